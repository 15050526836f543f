"""MesChain's own Prometheus metrics (HTTP, database and cache metrics come from
django-prometheus). Services call the `record_*` functions; `/metrics` serves them.

With ``PROMETHEUS_MULTIPROC_DIR`` set (before any process starts), every gunicorn and
Celery worker process writes its samples to files in that directory and `/metrics` adds
them up, so counters of a sync run by a worker show on the web's `/metrics`.
"""

import logging
import os

from prometheus_client import Counter, multiprocess

logger = logging.getLogger(__name__)

SYNC_JOBS = Counter(
    "meschain_sync_jobs_total",
    "Marketplace sync jobs finished, by marketplace, kind and result (succeeded, partial, failed, cancelled).",
    ["marketplace", "kind", "result"],
)
SYNC_ITEMS = Counter(
    "meschain_sync_items_total",
    "Items handled by marketplace sync jobs, by marketplace, kind and result (done, failed).",
    ["marketplace", "kind", "result"],
)
WEBHOOK_DELIVERIES = Counter(
    "meschain_webhook_deliveries_total",
    "Webhook delivery attempts by result: succeeded, retrying (tried again later) or failed (given up).",
    ["result"],
)
STOCK_RESERVATIONS_REFUSED = Counter(
    "meschain_stock_reservations_refused_total",
    "Stock reservations refused for insufficient stock, by movement reason.",
    ["reason"],
)


def record_sync_job(marketplace: str, kind: str, result: str) -> None:
    SYNC_JOBS.labels(marketplace=marketplace or "unknown", kind=kind, result=result).inc()


def record_sync_items(marketplace: str, kind: str, *, done: int = 0, failed: int = 0) -> None:
    if done > 0:
        SYNC_ITEMS.labels(marketplace=marketplace or "unknown", kind=kind, result="done").inc(done)
    if failed > 0:
        SYNC_ITEMS.labels(marketplace=marketplace or "unknown", kind=kind, result="failed").inc(failed)


def record_webhook_delivery(result: str) -> None:
    WEBHOOK_DELIVERIES.labels(result=result).inc()


def record_reservation_refused(reason: str) -> None:
    STOCK_RESERVATIONS_REFUSED.labels(reason=reason).inc()


def multiprocess_dir() -> str:
    """The shared sample directory, or "" when each process keeps its own samples."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def mark_process_dead(pid: int) -> None:
    """Drop a finished process's live gauges (its counters stay counted)."""
    if multiprocess_dir():
        try:
            multiprocess.mark_process_dead(pid)
        except OSError:
            logger.warning("Could not clear the metric files of process %s", pid)
