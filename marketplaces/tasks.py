"""Celery tasks of the marketplaces: thin wrappers over marketplaces.services."""

import os
import socket

from celery import shared_task

from marketplaces.services import jobs, listings, orderflow, sync

BUSY_RETRY_SECONDS = 15


def _worker_name(task_id: str | None) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{task_id or 'local'}"[:200]


@shared_task(bind=True, name="marketplaces.run_sync_job", ignore_result=True, acks_late=True)
def run_sync_job(self, job_id: int) -> str:
    """Run one sync job. When its account is busy with another job, or another worker
    still holds it, try again later (a dead worker's job is taken over once stale)."""
    outcome = sync.run_job(job_id, worker=_worker_name(self.request.id))
    if outcome == "busy":
        run_sync_job.apply_async((job_id,), countdown=BUSY_RETRY_SECONDS)
    elif outcome == "taken":
        run_sync_job.apply_async((job_id,), countdown=jobs.stale_after().total_seconds() + 1)
    return outcome


@shared_task(name="marketplaces.resume_stalled_jobs", ignore_result=True)
def resume_stalled_jobs() -> int:
    """Beat: hand every stalled job (lost task, dead worker) to a worker again."""
    ids = list(jobs.stalled_jobs().values_list("pk", flat=True)[:200])
    for job_id in ids:
        run_sync_job.delay(job_id)
    return len(ids)


@shared_task(name="marketplaces.pull_orders", ignore_result=True)
def pull_orders_of_all_accounts() -> int:
    """Beat: an order pull for every active account (unless one is queued or running)."""
    from marketplaces.models import MarketplaceAccount

    started = 0
    for account in MarketplaceAccount.objects.filter(is_active=True):
        started += jobs.request_sync_if_idle(account, "orders", actor="schedule") is not None
    return started


@shared_task(name="marketplaces.push_pending_stock", ignore_result=True)
def push_pending_stock() -> int:
    """Beat: a stock-and-price sync for accounts with changes not pushed yet (changes made
    while a job ran, retries due)."""
    started = 0
    for account in listings.accounts_with_pending_stock():
        started += jobs.request_sync_if_idle(account, "stock_price", actor="schedule") is not None
    return started


@shared_task(name="marketplaces.retry_listings", ignore_result=True)
def retry_due_listings() -> int:
    """Beat: a catalogue sync for accounts with pending listings or retries due."""
    started = 0
    for account in listings.accounts_with_listings_due():
        started += jobs.request_sync_if_idle(account, "catalog", actor="schedule") is not None
    return started


@shared_task(name="marketplaces.push_order_status", ignore_result=True, acks_late=True)
def push_order_status(push_id: int) -> str:
    return orderflow.send_status_push(push_id)


@shared_task(name="marketplaces.push_due_statuses", ignore_result=True)
def push_due_statuses() -> int:
    """Beat: retry status pushes whose time has come."""
    ids = orderflow.due_status_pushes()
    for push_id in ids:
        orderflow.send_status_push(push_id)
    return len(ids)
