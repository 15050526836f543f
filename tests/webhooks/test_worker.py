"""A real Celery worker, over the Redis broker, delivers events end to end."""

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction

from meschain import events
from meschain.celery import app
from webhooks import services
from webhooks.models import DeliveryState, WebhookDelivery

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def celery_worker(settings: Any) -> Iterator[subprocess.Popen]:
    """Starts `celery worker` against the test database and Redis; routes our tasks to it."""
    broker = django_settings.REDIS_URL
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": broker,
        "CELERY_BROKER_URL": broker,
        "WEBHOOK_RETRY_BASE_SECONDS": "0",
        "WEBHOOK_TIMEOUT_SECONDS": "1",
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
    }
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "meschain", "worker", "-P", "solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url = broker
    app.conf.task_always_eager = False
    _reset_producer_pools()
    settings.CELERY_BROKER_URL = broker
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        _wait_until_ready(worker, Path(log.name))
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
        app.conf.broker_url, app.conf.task_always_eager = previous
        _reset_producer_pools()
        Path(log.name).unlink(missing_ok=True)


def _reset_producer_pools() -> None:
    """Celery builds its connection pools on first use (with the eager default broker):
    drop them so the next send connects to the broker configured now."""
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


def _wait_until_ready(worker: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail("The Celery worker exited:\n" + log.read_text())
        if "ready." in log.read_text():
            return
        time.sleep(0.2)
    pytest.fail("The Celery worker did not start:\n" + log.read_text())


def _wait_for_state(delivery_filter: dict, state: str, timeout: float = 20.0) -> WebhookDelivery:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery = WebhookDelivery.objects.filter(**delivery_filter).first()
        if delivery is not None and delivery.state == state:
            return delivery
        time.sleep(0.1)
    pytest.fail(f"No delivery reached {state}: {list(WebhookDelivery.objects.values())}")


def test_worker_dispatches_and_delivers_with_retry(celery_worker, tenant_a, receiver):
    receiver.script = ["500"]  # first attempt fails, the worker retries
    endpoint, secret = services.create_endpoint(
        tenant=tenant_a, url=receiver.url, event_types=["order.created"]
    )

    with transaction.atomic():
        events.emit(tenant_a, "order.created", {"number": "A-1001"}, object_type="order", object_id=1001)

    received = receiver.wait_for(2, timeout=30)
    assert [json.loads(r.body)["data"] for r in received] == [{"number": "A-1001"}] * 2
    assert services.verify(secret, received[1].headers["X-MesChain-Signature"], received[1].body)
    delivery = _wait_for_state({"endpoint": endpoint}, DeliveryState.SUCCEEDED)
    assert list(delivery.attempts.order_by("number").values_list("status_code", flat=True)) == [500, 200]
