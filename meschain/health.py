"""Liveness and readiness for load balancers and orchestrators."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """The process is up and answering; checks nothing else."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    cache.set("meschain:ready", "1", timeout=5)
    if cache.get("meschain:ready") != "1":
        raise RuntimeError("cache did not return what was written")


def _check_broker() -> None:
    from meschain.celery import app

    with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
        conn.ensure_connection(max_retries=0, timeout=2)


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    """Can this instance serve traffic? 503 naming each component that failed."""
    checks = {"database": _check_database, "cache": _check_cache}
    if settings.CELERY_BROKER_URL:
        checks["broker"] = _check_broker
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # any failure means not ready
            logger.warning("Readiness check %s failed: %s", name, exc)
            results[name] = "error"
    failed = sorted(name for name, state in results.items() if state != "ok")
    if failed:
        return JsonResponse(
            {
                "status": "unavailable",
                "checks": results,
                "message": _("Not ready: %(components)s unavailable.") % {"components": ", ".join(failed)},
            },
            status=503,
        )
    return JsonResponse({"status": "ok", "checks": results})
