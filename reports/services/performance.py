"""Marketplace performance: per account, its syncs (how many, how often they succeed,
how long they take, the last success), its listings in error and the orders it brought
(from the roll-ups), and the tenant's storefront webhook deliveries."""

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from marketplaces.models import Listing, ListingStatus, MarketplaceAccount, SyncJob, SyncState
from reports.models import DailySales
from reports.services.periods import Range, cents
from webhooks.models import DeliveryState, WebhookDelivery

FINISHED = (SyncState.SUCCEEDED, SyncState.PARTIAL, SyncState.FAILED)


def channel_of(account: Any) -> str:
    """The order channel of a marketplace account ("trendyol:3")."""
    return f"{account.marketplace}:{account.pk}"


def _rate(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else None


def _moments(span: Range) -> tuple[datetime, datetime]:
    tz = timezone.get_default_timezone()
    return datetime.combine(span.start, time.min, tzinfo=tz), datetime.combine(
        span.end + timedelta(days=1), time.min, tzinfo=tz
    )


def performance_report(tenant_id: int, span: Range) -> dict[str, Any]:
    start, end = _moments(span)
    accounts = list(
        MarketplaceAccount.objects.filter(tenant_id=tenant_id).order_by("marketplace", "name", "pk")
        .only("pk", "marketplace", "name", "is_active")
    )  # fmt: skip
    jobs = {
        row["account_id"]: row
        for row in SyncJob.objects.filter(tenant_id=tenant_id, created_at__gte=start, created_at__lt=end)
        .order_by().values("account_id")
        .annotate(jobs=Count("pk"), finished=Count("pk", filter=Q(state__in=FINISHED)),
                  succeeded=Count("pk", filter=Q(state=SyncState.SUCCEEDED)),
                  failed=Count("pk", filter=Q(state=SyncState.FAILED)))
    }  # fmt: skip
    durations: dict[int, list[float]] = defaultdict(list)
    timed = SyncJob.objects.filter(
        tenant_id=tenant_id, created_at__gte=start, created_at__lt=end, state__in=FINISHED,
        started_at__isnull=False, finished_at__isnull=False,
    ).values_list("account_id", "started_at", "finished_at")  # fmt: skip
    for account_id, started, finished in timed:
        durations[account_id].append((finished - started).total_seconds())
    last_success = dict(
        SyncJob.objects.filter(tenant_id=tenant_id, state=SyncState.SUCCEEDED)
        .order_by().values("account_id").annotate(last=Max("finished_at")).values_list("account_id", "last")
    )  # fmt: skip
    listings = {
        row["account_id"]: row
        for row in Listing.objects.filter(tenant_id=tenant_id).order_by().values("account_id")
        .annotate(listings=Count("pk"), in_error=Count("pk", filter=Q(status=ListingStatus.ERROR)))
    }  # fmt: skip
    orders = {
        row["channel"]: row
        for row in DailySales.objects.filter(
            tenant_id=tenant_id, day__gte=span.start, day__lte=span.end, channel__in=[channel_of(a) for a in accounts]
        ).order_by().values("channel").annotate(orders=Sum("orders"), net=Sum("net"))
    }  # fmt: skip
    rows = []
    for account in accounts:
        job = jobs.get(account.pk, {})
        spent = durations.get(account.pk, [])
        channel = channel_of(account)
        rows.append({
            "account_id": account.pk, "marketplace": account.marketplace, "name": account.name,
            "channel": channel, "is_active": account.is_active,
            "sync_jobs": job.get("jobs", 0), "sync_succeeded": job.get("succeeded", 0),
            "sync_failed": job.get("failed", 0),
            "sync_success_rate": _rate(job.get("succeeded", 0), job.get("finished", 0)),
            "average_sync_seconds": round(sum(spent) / len(spent), 1) if spent else None,
            "last_success_at": last_success.get(account.pk),
            "listings": listings.get(account.pk, {}).get("listings", 0),
            "listings_in_error": listings.get(account.pk, {}).get("in_error", 0),
            "orders_imported": int(orders.get(channel, {}).get("orders") or 0),
            "net_revenue": cents(orders.get(channel, {}).get("net")),
        })  # fmt: skip
    deliveries = WebhookDelivery.objects.filter(tenant_id=tenant_id, created_at__gte=start, created_at__lt=end).aggregate(
        total=Count("pk"),
        succeeded=Count("pk", filter=Q(state=DeliveryState.SUCCEEDED)),
        failed=Count("pk", filter=Q(state=DeliveryState.FAILED)),
    )  # fmt: skip
    return {
        "from": span.start,
        "to": span.end,
        "accounts": rows,
        "webhooks": {
            "deliveries": deliveries["total"],
            "succeeded": deliveries["succeeded"],
            "failed": deliveries["failed"],
            "success_rate": _rate(deliveries["succeeded"], deliveries["succeeded"] + deliveries["failed"]),
        },
    }
