"""The Celery app. Without CELERY_BROKER_URL tasks run eagerly in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meschain.settings")

app = Celery("meschain")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.broker_url = app.conf.broker_url or "memory://"
app.autodiscover_tasks()

# Tasks carry the request id, tenant and user of the request that queued them.
from meschain import task_context  # noqa: E402, F401
