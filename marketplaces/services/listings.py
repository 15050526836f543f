"""Listings: which variants an account offers, their queries, retries and health."""

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplaces.models import (
    ACTIVE_SYNC_STATES,
    CategoryMapping,
    Listing,
    ListingStatus,
    MarketplaceAccount,
    SyncJob,
)
from meschain import audit
from meschain.bulk import insert_rows
from meschain.errors import ValidationFailed
from meschain.tenancy import scope


def ensure_listing(account: MarketplaceAccount, variant: Any, *, actor: Any = None) -> Listing:
    """The listing of `variant` on `account`, created pending if there is none yet."""
    if variant.tenant_id != account.tenant_id:
        raise ValidationFailed(details={"variant": [_("Not found in your catalogue.")]})
    listing, _created = Listing.objects.get_or_create(
        account=account, variant=variant, defaults={"tenant_id": account.tenant_id}
    )
    return listing


def listings_visible_to(
    actor: Any,
    *,
    account_id: int | None = None,
    status: str | None = None,
    has_error: bool | None = None,
    sku: str | None = None,
) -> QuerySet:
    """The caller's listings, filtered; `sku` matches the variant's SKU exactly."""
    queryset = scope(Listing.objects.select_related("account", "variant"), actor)
    if account_id is not None:
        queryset = queryset.filter(account_id=account_id)
    if status:
        if status not in ListingStatus.values:
            raise ValidationFailed(
                details={
                    "status": [_("Choose one of: %(values)s") % {"values": ", ".join(ListingStatus.values)}]
                }
            )
        queryset = queryset.filter(status=status)
    if has_error is True:
        queryset = queryset.exclude(last_error="")
    elif has_error is False:
        queryset = queryset.filter(last_error="")
    if sku:
        queryset = queryset.filter(variant__sku=sku)
    return queryset.order_by("id")


def account_health(accounts: list[MarketplaceAccount]) -> dict[int, dict[str, Any]]:
    """Per account: listing counts, listings in error, the last sync job and whether one is
    queued or running — in three queries whatever the number of accounts."""
    ids = [a.pk for a in accounts]
    health: dict[int, dict[str, Any]] = {
        pk: {"listings": 0, "listings_in_error": 0, "sync_active": False, "last_job": None} for pk in ids
    }
    counts = (
        Listing.objects.filter(account_id__in=ids)
        .values("account_id")
        .annotate(total=Count("id"), in_error=Count("id", filter=Q(status=ListingStatus.ERROR)))
    )
    for row in counts:
        health[row["account_id"]].update(listings=row["total"], listings_in_error=row["in_error"])
    last_ids = (
        SyncJob.objects.filter(account_id__in=ids)
        .values("account_id")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    for job in SyncJob.objects.filter(pk__in=list(last_ids)):
        health[job.account_id]["last_job"] = {
            "id": job.pk,
            "kind": job.kind,
            "state": job.state,
            "created_at": job.created_at,
            "finished_at": job.finished_at,
        }
    for account_id in SyncJob.objects.filter(account_id__in=ids, state__in=ACTIVE_SYNC_STATES).values_list(
        "account_id", flat=True
    ):
        health[account_id]["sync_active"] = True
    return health


def list_variants(account: MarketplaceAccount, *, product_ids: list[int] | None = None) -> int:
    """Create pending listings for the active variants of published products whose
    category is mapped for this account (all of them, or those of `product_ids`); existing
    listings stay as they are. Returns how many were created."""
    from catalog.models import ProductStatus, Variant

    mapped = CategoryMapping.objects.filter(account=account).values("category_id")
    variants = Variant.objects.filter(
        tenant_id=account.tenant_id,
        is_active=True,
        product__status=ProductStatus.PUBLISHED,
        product__category_id__in=mapped,
    ).exclude(listings__account=account)
    if product_ids is not None:
        variants = variants.filter(product_id__in=product_ids)
    rows = [
        {"tenant_id": account.tenant_id, "account_id": account.pk, "variant_id": variant_id}
        for variant_id in variants.values_list("id", flat=True)
    ]
    try:
        with transaction.atomic():
            insert_rows(Listing, rows)  # COPY on PostgreSQL
    except IntegrityError:  # someone listed one of them meanwhile
        Listing.objects.bulk_create([Listing(**row) for row in rows], batch_size=2000, ignore_conflicts=True)
    return len(rows)


def unmapped_variant_count(account: MarketplaceAccount) -> int:
    """Active variants of published products the account cannot list: no category mapping."""
    from catalog.models import ProductStatus, Variant

    mapped = CategoryMapping.objects.filter(account=account).values("category_id")
    return (
        Variant.objects.filter(
            tenant_id=account.tenant_id, is_active=True, product__status=ProductStatus.PUBLISHED
        )
        .exclude(product__category_id__in=mapped)
        .count()
    )


@transaction.atomic
def retry_listings(listings: QuerySet, *, actor: Any) -> int:
    """Make listings in error due again now (the next catalogue sync sends them)."""
    ids = list(listings.filter(status=ListingStatus.ERROR).values_list("id", flat=True))
    Listing.objects.filter(pk__in=ids).update(next_attempt_at=None, retry_count=0, updated_at=timezone.now())
    if ids:
        audit.record("marketplace.listings_retried", actor=actor, after={"listings": len(ids)})
    return len(ids)


def mark_stock_changed(
    tenant_id: int, *, variant_ids: set[int] = frozenset(), product_ids: set[int] = frozenset()
) -> list[int]:
    """Bump the stock-and-price version of the listings of these variants (or of every
    variant of these products); returns the accounts whose listings changed."""
    listings = Listing.objects.filter(tenant_id=tenant_id)
    if product_ids:
        listings = listings.filter(Q(variant_id__in=variant_ids) | Q(variant__product_id__in=product_ids))
    else:
        listings = listings.filter(variant_id__in=variant_ids)
    accounts = sorted(set(listings.values_list("account_id", flat=True)))
    if accounts:
        listings.update(stock_version=F("stock_version") + 1)
    return accounts


def stock_to_push(listings: QuerySet | None = None, *, min_interval: float | None = None) -> QuerySet:
    """Listings on the marketplace whose stock or price changed since the last push, not in
    flight and not waiting for a retry. With `min_interval` (seconds the marketplace wants
    between two updates of one item), listings pushed more recently than that are held."""
    now = timezone.now()
    pending = (
        (Listing.objects.all() if listings is None else listings)
        .filter(stock_batch_id="", stock_version__gt=F("pushed_stock_version"))
        .exclude(external_barcode="")
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    )
    if min_interval:
        pending = pending.filter(
            Q(stock_pushed_at__isnull=True) | Q(stock_pushed_at__lte=now - timedelta(seconds=min_interval))
        )
    return pending


def seconds_until_stock_due(listings: QuerySet, min_interval: float | None) -> float | None:
    """How long until the next stock push of these listings may go out: 0 when one may go
    now, None when nothing waits to be pushed."""
    pending = stock_to_push(listings)
    if not min_interval:
        return 0.0 if pending.exists() else None
    if stock_to_push(listings, min_interval=min_interval).exists():
        return 0.0
    oldest = pending.aggregate(oldest=Min("stock_pushed_at"))["oldest"]
    if oldest is None:
        return None
    due = oldest + timedelta(seconds=min_interval) - timezone.now()
    return max(0.0, due.total_seconds())


def accounts_with_pending_stock() -> QuerySet:
    """Active accounts with stock or prices to push."""
    return MarketplaceAccount.objects.filter(is_active=True).filter(
        Exists(stock_to_push(Listing.objects.filter(account=OuterRef("pk"))))
    )


def accounts_with_listings_due() -> QuerySet:
    """Active accounts with pending listings, or listings in error whose retry time came."""
    now = timezone.now()
    due = Listing.objects.filter(account=OuterRef("pk")).filter(
        Q(status=ListingStatus.PENDING)
        | Q(status=ListingStatus.ERROR, external_barcode="", next_attempt_at__lte=now)
    )
    return MarketplaceAccount.objects.filter(is_active=True).filter(Exists(due))
