"""Sync jobs: requesting one, a worker claiming it, its heartbeat, progress and end.

Concurrency rules, all enforced by the database so they hold across workers:
- one queued or running job per account and kind (a partial unique index);
- one *running* job per account: a claim locks the account row and refuses while another
  job of the account has a fresh heartbeat;
- a job whose worker died (no heartbeat for ``MARKETPLACE_SYNC_STALE_SECONDS``) is taken
  over by the next claim; the old worker, should it wake up, loses every later write
  (they are fenced on the job's ``worker``).
"""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplaces.models import (
    ACTIVE_SYNC_STATES,
    MAX_JOB_ERRORS,
    MarketplaceAccount,
    SyncJob,
    SyncKind,
    SyncState,
)
from meschain import audit, metrics
from meschain.errors import Conflict, ValidationFailed
from meschain.tenancy import scope

logger = logging.getLogger(__name__)


class JobLost(Exception):
    """Another worker has taken this job over (ours stopped heart-beating)."""


def _marketplace_of(job: SyncJob) -> str:
    """The job's marketplace, for metric labels: from the loaded account, else one query."""
    if SyncJob.account.is_cached(job):
        return job.account.marketplace
    return (
        MarketplaceAccount.objects.filter(pk=job.account_id).values_list("marketplace", flat=True).first() or ""
    )


def stale_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "MARKETPLACE_SYNC_STALE_SECONDS", 120))


def request_sync(
    account: MarketplaceAccount, kind: str, *, actor: Any, enqueue: bool = True, countdown: float = 0
) -> SyncJob:
    """Queue a sync and hand it to a worker once committed. A second queued or running job
    of the same kind for the account is a CONFLICT naming the job that is."""
    if kind not in SyncKind.values:
        raise ValidationFailed(
            details={"kind": [_("Choose one of: %(kinds)s") % {"kinds": ", ".join(SyncKind.values)}]}
        )
    if not account.is_active:
        raise Conflict(_("This account is deactivated; activate it before syncing."))
    try:
        with transaction.atomic():
            job = SyncJob.objects.create(
                tenant_id=account.tenant_id, account=account, kind=kind, started_by=audit.label_of(actor)
            )
            audit.record(
                "marketplace.sync_requested", actor=actor, obj=account, after={"job": job.pk, "kind": kind}
            )
    except IntegrityError as exc:
        running = active_job(account, kind)
        raise Conflict(
            _("A sync of this kind is already queued or running for this account."),
            details={"job": [str(running.pk)]} if running else None,
        ) from exc
    if enqueue:
        enqueue_job(job, countdown=countdown)
    return job


def active_job(account: MarketplaceAccount, kind: str) -> SyncJob | None:
    return SyncJob.objects.filter(account=account, kind=kind, state__in=ACTIVE_SYNC_STATES).first()


def request_sync_if_idle(
    account: MarketplaceAccount, kind: str, *, actor: Any = None, countdown: float = 0
) -> SyncJob | None:
    """Queue a sync unless one of that kind is queued or running already (it will see the
    change); for automatic triggers. `countdown` lets more changes gather into the job.
    Returns the new job, or None."""
    if not account.is_active or active_job(account, kind) is not None:
        return None
    try:
        return request_sync(account, kind, actor=actor, countdown=countdown)
    except Conflict:
        return None


def enqueue_job(job: SyncJob, *, countdown: float = 0) -> None:
    """Send the job to a worker after the current transaction commits."""
    from marketplaces.tasks import run_sync_job

    def send() -> None:
        run_sync_job.apply_async((job.pk,), countdown=countdown or None)

    transaction.on_commit(send)


def claim_job(job_id: int, worker: str) -> tuple[SyncJob | None, str]:
    """Take a job for `worker`. Returns (job, "claimed"), or (None, why): "finished",
    "taken" (another worker runs it), "busy" (another job of the account runs: retry
    later), "missing"."""
    now = timezone.now()
    with transaction.atomic():
        job = SyncJob.objects.filter(pk=job_id).first()
        if job is None:
            return None, "missing"
        MarketplaceAccount.objects.select_for_update().filter(pk=job.account_id).first()
        job = SyncJob.objects.select_for_update().get(pk=job_id)
        if job.state not in ACTIVE_SYNC_STATES:
            return None, "finished"
        fresh = now - stale_after()
        if job.state == SyncState.RUNNING and job.worker != worker and (job.heartbeat_at or now) > fresh:
            return None, "taken"
        other = (
            SyncJob.objects.filter(account_id=job.account_id, state=SyncState.RUNNING, heartbeat_at__gt=fresh)
            .exclude(pk=job.pk)
            .exists()
        )
        if other:
            return None, "busy"
        resumed = job.state == SyncState.RUNNING
        job.state, job.worker, job.heartbeat_at = SyncState.RUNNING, worker, now
        job.runs += 1
        job.started_at = job.started_at or now
        job.save(update_fields=["state", "worker", "heartbeat_at", "runs", "started_at"])
    if resumed:
        logger.warning("Sync job %s resumed by %s (run %s)", job.pk, worker, job.runs)
    return job, "claimed"


def _locked(job: SyncJob) -> SyncJob:
    """The job's row, locked, provided `job.worker` still owns it."""
    current = SyncJob.objects.select_for_update().get(pk=job.pk)
    if current.worker != job.worker or current.state != SyncState.RUNNING:
        raise JobLost(job.pk)
    return current


def heartbeat(job: SyncJob, **changes: Any) -> SyncJob:
    """Prove the worker is alive; optionally set stage, message, total or cursor."""
    with transaction.atomic():
        current = _locked(job)
        for name, value in changes.items():
            setattr(current, name, value)
        current.heartbeat_at = timezone.now()
        current.save(update_fields=["heartbeat_at", *changes])
    for name, value in changes.items():
        setattr(job, name, value)
    return job


def record_job_progress(
    job: SyncJob,
    *,
    done: int = 0,
    failed: int = 0,
    errors: list[dict[str, Any]] | tuple = (),
    requests: int = 0,
    total: int = 0,
) -> SyncJob:
    """Add to a job's counts and keep the items' errors (the first MAX_JOB_ERRORS), under a
    row lock so concurrent reports do not lose each other's counts."""
    with transaction.atomic():
        current = SyncJob.objects.select_for_update().get(pk=job.pk)
        if job.worker and current.worker != job.worker:
            raise JobLost(job.pk)
        current.done += max(done, 0)
        current.failed += max(failed, 0)
        current.total += max(total, 0)
        current.requests += max(requests, 0)
        room = MAX_JOB_ERRORS - len(current.errors)
        if room > 0 and errors:
            current.errors = [*current.errors, *list(errors)[:room]]
        current.heartbeat_at = timezone.now()
        current.save(update_fields=["done", "failed", "total", "requests", "errors", "heartbeat_at"])
    if SyncJob.account.is_cached(job):
        current.account = job.account  # keep the loaded account (and spare the next report a query)
    metrics.record_sync_items(_marketplace_of(current), current.kind, done=done, failed=failed)
    return current


def finish_job(job: SyncJob, *, error: str = "") -> SyncJob:
    """Close a job: failed with `error`, partial when items failed, else succeeded."""
    with transaction.atomic():
        current = _locked(job)
        if error:
            current.state = SyncState.FAILED
        elif current.failed:
            current.state = SyncState.PARTIAL
        else:
            current.state = SyncState.SUCCEEDED
        current.message = (error or current.message)[:500]
        current.finished_at = timezone.now()
        if current.total < current.done + current.failed:
            current.total = current.done + current.failed
        current.save(update_fields=["state", "message", "finished_at", "total"])
    metrics.record_sync_job(_marketplace_of(job), current.kind, current.state)
    logger.info(
        "Sync job %s (%s) of account %s: %s, %s done, %s failed",
        current.pk, current.kind, current.account_id, current.state, current.done, current.failed,
    )  # fmt: skip
    return current


def cancel_job(job: SyncJob, *, actor: Any) -> SyncJob:
    """Stop a queued or running job: it ends as failed; a worker running it stops at its
    next heartbeat. What was sent stays sent."""
    with transaction.atomic():
        current = SyncJob.objects.select_for_update().get(pk=job.pk)
        if current.state not in ACTIVE_SYNC_STATES:
            raise Conflict(_("This sync has already finished."))
        current.state, current.finished_at = SyncState.FAILED, timezone.now()
        current.message = (_("Cancelled by %(who)s.") % {"who": audit.label_of(actor)})[:500]
        current.worker = ""
        current.save(update_fields=["state", "finished_at", "message", "worker"])
        audit.record(
            "marketplace.sync_cancelled", actor=actor, obj=current.account, after={"job": current.pk}
        )
    metrics.record_sync_job(current.account.marketplace, current.kind, "cancelled")
    return current


def stalled_jobs() -> QuerySet:
    """Queued or running jobs nobody has touched for the stale period (their task was lost
    or their worker died)."""
    cutoff = timezone.now() - stale_after()
    return (
        SyncJob.objects.filter(state__in=ACTIVE_SYNC_STATES)
        .exclude(heartbeat_at__gt=cutoff)
        .filter(created_at__lte=cutoff)
    )


def jobs_visible_to(actor: Any) -> QuerySet:
    return scope(SyncJob.objects.select_related("account"), actor)
