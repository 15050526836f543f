"""Running a sync job: listings out (create, then update what changed), stock and prices
out (only what changed since the last push), orders in (see `orderflow`).

Every stage is resumable: what is in flight is recorded on the listing (the batch id and
what was sent) before the worker waits for the marketplace, so a worker that dies is
replaced by one that polls those batches instead of sending them again, and that skips
what is done. Item errors are kept on the listing as the marketplace sent them and
retried with back-off.
"""

import logging
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplaces.adapters.base import (
    ITEM_PENDING,
    ITEM_SUCCESS,
    AccountConfig,
    BatchHandle,
    BatchResult,
    MarketplaceAdapter,
    adapter_class,
    get_adapter,
)
from marketplaces.client import MarketplaceError
from marketplaces.models import Listing, ListingStatus, MarketplaceAccount, SyncJob, SyncKind
from marketplaces.services import jobs
from marketplaces.services.listings import (
    list_variants,
    seconds_until_stock_due,
    stock_to_push,
    unmapped_variant_count,
)
from marketplaces.services.payloads import (
    Offer,
    barcode_of,
    build_offers,
    due_filter,
    listings_with_catalogue,
)
from meschain import audit
from meschain.bulk import update as bulk_update

logger = logging.getLogger(__name__)

RETRY_BASE = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=6)
MAX_STOCK_ROUNDS = 20
STAGES = {
    SyncKind.CATALOG: ("catalog",),
    SyncKind.STOCK_PRICE: ("stock_price",),
    SyncKind.ORDERS: ("orders",),
    SyncKind.FULL: ("catalog", "stock_price", "orders"),
}


def account_config(account: MarketplaceAccount) -> AccountConfig:
    """What the adapter needs; the secrets stay out of its repr."""
    credentials = account.credential_values
    options = dict((account.settings or {}).get("adapter_options") or {})
    return AccountConfig(
        marketplace=account.marketplace,
        seller_id=account.seller_id,
        api_key=credentials.get("api_key", ""),
        api_secret=credentials.get("api_secret", ""),
        base_url=account.base_url,
        account_key=f"account:{account.pk}",
        options=options,
        credentials=dict(credentials),
    )


def adapter_for(account: MarketplaceAccount) -> MarketplaceAdapter:
    return get_adapter(account_config(account))


def test_connection(account: MarketplaceAccount, *, actor: Any = None) -> tuple[bool, str]:
    """Call the marketplace with the account's credentials: (works, what it said)."""
    try:
        with adapter_for(account) as adapter:
            adapter.test_connection()
    except MarketplaceError as exc:
        audit.record("marketplace.connection_tested", actor=actor, obj=account, after={"ok": False})
        return False, exc.message
    audit.record("marketplace.connection_tested", actor=actor, obj=account, after={"ok": True})
    return True, _("Connected: the marketplace accepted the credentials.")


def backoff(retry_count: int) -> timedelta:
    return min(RETRY_BASE * (2 ** min(retry_count, 12)), RETRY_MAX)


def _poll_interval() -> float:
    return getattr(settings, "MARKETPLACE_BATCH_POLL_SECONDS", 2.0)


def _poll_timeout() -> float:
    return getattr(settings, "MARKETPLACE_BATCH_TIMEOUT_SECONDS", 600.0)


def _error_text(errors: list[str]) -> str:
    return "; ".join(errors)[:2000] or _("The marketplace refused this item without a reason.")


class JobRunner:
    """One run of one job by one worker."""

    def __init__(
        self, job: SyncJob, adapter: MarketplaceAdapter, *, on_progress: Callable | None = None
    ) -> None:
        self.job = job
        self.account = job.account
        self.adapter = adapter
        self.on_progress = on_progress
        self._requests_seen = 0

    # ---- progress ------------------------------------------------------------------------

    def _sent_requests(self) -> int:
        stats = getattr(getattr(self.adapter, "client", None), "stats", None)
        attempts = getattr(stats, "attempts", 0)
        delta, self._requests_seen = attempts - self._requests_seen, attempts
        return delta

    def progress(self, *, done: int = 0, failed: int = 0, total: int = 0, errors: list | tuple = ()) -> None:
        self.job = jobs.record_job_progress(
            self.job, done=done, failed=failed, total=total, errors=errors, requests=self._sent_requests()
        )
        if self.on_progress:
            self.on_progress(self.job)

    def beat(self, **changes: Any) -> None:
        jobs.heartbeat(self.job, **changes)

    def wait(self, handle: BatchHandle) -> BatchResult:
        """Poll a batch until it is done or the timeout passes, heart-beating meanwhile."""
        deadline = time.monotonic() + _poll_timeout()
        while True:
            result = self.adapter.poll_batch(handle)
            if result.done or time.monotonic() >= deadline:
                return result
            self.beat()
            time.sleep(_poll_interval())

    # ---- the job -------------------------------------------------------------------------

    def run(self) -> None:
        from marketplaces.services import orderflow

        for stage in STAGES[self.job.kind]:
            self.beat(stage=stage)
            if stage == "catalog":
                self.push_listings()
            elif stage == "stock_price":
                self.push_stock_prices()
            else:
                orderflow.pull_orders(self)

    # ---- listings ------------------------------------------------------------------------

    def _chunks(self, queryset: Any, *, content: bool = True) -> Iterator[list[Listing]]:
        """Keyset pages of a listing queryset, a marketplace batch each."""
        size = self.adapter.max_batch_items
        last = 0
        while True:
            page = list(
                listings_with_catalogue(queryset.filter(pk__gt=last).order_by("pk"), content=content)[:size]
            )
            if not page:
                return
            yield page
            last = page[-1].pk

    def push_listings(self) -> None:
        account = self.account
        created = list_variants(account)
        skipped = unmapped_variant_count(account)
        if skipped:
            message = _("%(count)d variants are not listed: their category is not mapped.") % {
                "count": skipped
            }
            self.beat(message=message[:500])
        logger.info("Account %s: %s new listings, %s unmapped variants", account.pk, created, skipped)
        in_flight = Listing.objects.filter(account=account).exclude(batch_id="")
        if self.job.runs == 1:  # a resumed job counted them when it sent them
            self.progress(total=in_flight.count())
        for batch_id in sorted(set(in_flight.values_list("batch_id", flat=True))):
            listings = list(in_flight.filter(batch_id=batch_id).select_related("variant"))
            keys = [self._key(lst) for lst in listings]
            kind = "listings_update" if listings[0].external_barcode else "listings"
            self._apply_listing_results(listings, self.wait(BatchHandle(batch_id, kind, keys)))
        now = timezone.now()
        candidates = Listing.objects.filter(account=account, batch_id="").filter(
            Q(status=ListingStatus.PENDING)
            | (Q(status=ListingStatus.ERROR) & due_filter(now))
            | Q(status=ListingStatus.SYNCED)
            | (Q(status=ListingStatus.ERROR) & ~Q(external_barcode=""))
        )
        for page in self._chunks(candidates):
            offers = build_offers(account, self.adapter, page)
            creates = [
                o for o in offers if o.item and not o.listing.external_barcode and self._due(o.listing, now)
            ]
            updates = [
                o for o in offers
                if o.item and o.listing.external_barcode and o.content_hash != o.listing.payload_hash
            ]  # fmt: skip
            unmapped = [o for o in offers if o.item is None and o.listing.status == ListingStatus.PENDING]
            if unmapped:
                self._fail_unmapped(unmapped)
            if creates or updates:
                self.progress(total=len(creates) + len(updates))
            if creates:
                self._send(creates, self.adapter.push_listings, "listings")
            if updates:
                update = self.adapter.update_listings if self.adapter.can_update_listings() else self.adapter.push_listings
                self._send(updates, update, "listings_update")

    @staticmethod
    def _due(listing: Listing, now: Any) -> bool:
        return (
            listing.status != ListingStatus.ERROR
            or listing.next_attempt_at is None
            or listing.next_attempt_at <= now
        )

    def _key(self, listing: Listing) -> str:
        """The key a listing is known by at the marketplace (or was sent with)."""
        return listing.external_barcode or barcode_of(listing.variant, self.adapter)

    def _batches(self, offers: list[Offer]) -> Iterator[list[Offer]]:
        """The adapter's batch size at a time: each batch is recorded as in flight right
        after it is accepted, before the next is sent."""
        size = max(1, int(getattr(self.adapter, "batch_size", self.adapter.max_batch_items)))
        for start in range(0, len(offers), size):
            yield offers[start : start + size]

    def _send(self, offers: list[Offer], push: Callable, kind: str) -> None:
        """Send offers batch by batch, record each batch on its listings as soon as the
        marketplace accepted it, then wait for the results. A worker dying between a push
        and its record sends that one batch again; a create the marketplace already has
        is refused as such and counts as listed."""
        by_key = {o.item.barcode: o for o in offers}
        handles = []
        for batch in self._batches(offers):
            for handle in push([o.item for o in batch]):
                handles.append(handle)
                listings = []
                for key in handle.keys:
                    offer = by_key[key]
                    offer.listing.sent_hash = offer.content_hash
                    offer.listing.stock_sent = {"barcode": key}
                    if kind == "listings":  # a create carries stock and price as well
                        offer.listing.stock_sent.update(self._stock_sent(offer))
                    listings.append(offer.listing)
                ids = [listing.pk for listing in listings]
                with transaction.atomic():
                    bulk_update(listings, ["sent_hash", "stock_sent"])
                    Listing.objects.filter(pk__in=ids).update(batch_id=handle.batch_id)
                    Listing.objects.filter(pk__in=ids).exclude(status=ListingStatus.SYNCED).update(
                        status=ListingStatus.UPDATING
                    )
                if handle.settled:  # answered at once: recorded now, nothing to wait for
                    self._apply_listing_results(listings, self.adapter.poll_batch(handle))
                    handles.pop()
        for handle in handles:
            listings = [by_key[key].listing for key in handle.keys]
            self._apply_listing_results(listings, self.wait(handle))

    @staticmethod
    def _stock_sent(offer: Offer) -> dict[str, Any]:
        return {
            "version": offer.listing.stock_version,
            "hash": offer.stock_hash,
            "quantity": offer.stock.quantity,
            "price": str(offer.stock.sale_price),
        }

    def _apply_listing_results(self, listings: list[Listing], result: BatchResult) -> None:
        """Record a batch's outcome set-based: what was sent is on each row (sent_hash,
        stock_sent), so success is a few UPDATEs whatever the batch size."""
        now = timezone.now()
        by_key = {self._key(listing): listing for listing in listings}
        created, known, updated, failed_rows, errors = [], [], [], [], []
        for item in result.items:
            listing = by_key.get(item.key)
            if listing is None or item.status == ITEM_PENDING:
                continue
            creating = not listing.external_barcode
            if item.status == ITEM_SUCCESS:
                (created if creating else updated).append(listing.pk)
            elif creating and self.adapter.is_already_listed(item):
                known.append(listing.pk)  # on the marketplace already: its content is sent next time
            else:
                _refused(listing, item, now, errors)
                listing.batch_id, listing.sent_hash, listing.stock_sent = "", "", {}
                failed_rows.append(listing)
        settled = {
            "status": ListingStatus.SYNCED, "last_error": "", "retry_count": 0, "next_attempt_at": None,
            "last_synced_at": now, "batch_id": "", "sent_hash": "", "stock_sent": {}, "updated_at": now,
        }  # fmt: skip
        with transaction.atomic():
            stock = _stock_accepted() if self.adapter.create_carries_stock else {}  # else pushed next
            Listing.objects.filter(pk__in=created).update(
                **settled, external_barcode=KT("stock_sent__barcode"), payload_hash=F("sent_hash"), **stock
            )
            Listing.objects.filter(pk__in=known).update(
                **settled, external_barcode=KT("stock_sent__barcode"), payload_hash=""
            )
            Listing.objects.filter(pk__in=updated).update(**settled, payload_hash=F("sent_hash"))
            bulk_update(failed_rows, [
                "status", "last_error", "retry_count", "next_attempt_at", "batch_id", "sent_hash", "stock_sent",
                "updated_at",
            ])  # fmt: skip
        self.progress(done=len(created) + len(known) + len(updated), failed=len(failed_rows), errors=errors)

    def _fail_unmapped(self, offers: list[Offer]) -> None:
        now = timezone.now()
        message = _("The product's category is not mapped to a marketplace category for this account.")
        for offer in offers:
            offer.listing.status, offer.listing.last_error = ListingStatus.ERROR, message
            offer.listing.next_attempt_at = now + backoff(offer.listing.retry_count)
        bulk_update([o.listing for o in offers], ["status", "last_error", "next_attempt_at", "updated_at"])

    # ---- stock and prices ----------------------------------------------------------------

    def push_stock_prices(self) -> None:
        account = self.account
        in_flight = Listing.objects.filter(account=account).exclude(stock_batch_id="")
        if self.job.runs == 1:
            self.progress(total=in_flight.count())
        for batch_id in sorted(set(in_flight.values_list("stock_batch_id", flat=True))):
            listings = list(in_flight.filter(stock_batch_id=batch_id).select_related("variant"))
            handle = BatchHandle(batch_id, "stock_price", [lst.external_barcode for lst in listings])
            self._apply_stock_results(listings, self.wait(handle))
        for _round in range(MAX_STOCK_ROUNDS):  # changes made while we pushed join the job
            dirty = stock_to_push(
                Listing.objects.filter(account=account), min_interval=self.adapter.min_stock_interval
            )
            count = dirty.count()
            if not count:
                return
            self.progress(total=count)
            for page in self._chunks(dirty, content=False):
                self._push_stock_page(page)

    def _push_stock_page(self, page: list[Listing]) -> None:
        offers = build_offers(self.account, self.adapter, page, content=False)
        same = [o for o in offers if o.stock_hash == o.listing.stock_price_hash]
        if same:  # nothing to send: the marketplace has these values already
            for offer in same:
                offer.listing.pushed_stock_version = offer.listing.stock_version
            bulk_update([o.listing for o in same], ["pushed_stock_version"])
            self.progress(done=len(same))
        changed = [o for o in offers if o.stock_hash != o.listing.stock_price_hash]
        if changed:
            self._send_stock(changed)

    def _send_stock(self, offers: list[Offer]) -> None:
        by_key = {o.stock.barcode: o for o in offers}
        handles = []
        for batch in self._batches(offers):
            for handle in self.adapter.push_stock_prices([o.stock for o in batch]):
                handles.append(handle)
                listings = []
                for key in handle.keys:
                    offer = by_key[key]
                    offer.listing.stock_sent = self._stock_sent(offer)
                    listings.append(offer.listing)
                with transaction.atomic():
                    bulk_update(listings, ["stock_sent"])
                    Listing.objects.filter(pk__in=[lst.pk for lst in listings]).update(
                        stock_batch_id=handle.batch_id
                    )
                if handle.settled:  # answered at once: recorded now, nothing to wait for
                    self._apply_stock_results(listings, self.adapter.poll_batch(handle))
                    handles.pop()
        for handle in handles:
            self._apply_stock_results([by_key[key].listing for key in handle.keys], self.wait(handle))

    def _apply_stock_results(self, listings: list[Listing], result: BatchResult) -> None:
        now = timezone.now()
        by_key = {listing.external_barcode: listing for listing in listings}
        accepted, failed_rows, errors = [], [], []
        for item in result.items:
            listing = by_key.get(item.key)
            if listing is None or item.status == ITEM_PENDING:
                continue
            if item.status == ITEM_SUCCESS or self.adapter.is_identical_refusal(item):
                accepted.append(listing.pk)
            else:
                _refused(listing, item, now, errors)
                listing.stock_batch_id, listing.stock_sent = "", {}
                failed_rows.append(listing)
        with transaction.atomic():
            Listing.objects.filter(pk__in=accepted).update(
                **_stock_accepted(), status=ListingStatus.SYNCED, last_error="", retry_count=0,
                next_attempt_at=None, last_synced_at=now, stock_batch_id="", stock_sent={}, updated_at=now,
            )  # fmt: skip
            bulk_update(failed_rows, [
                "status", "last_error", "retry_count", "next_attempt_at", "stock_batch_id", "stock_sent",
                "updated_at",
            ])  # fmt: skip
        self.progress(done=len(accepted), failed=len(failed_rows), errors=errors)


def _refused(listing: Listing, item: Any, now: Any, errors: list[dict[str, Any]]) -> None:
    """Keep the marketplace's refusal on the listing and schedule its retry."""
    listing.status, listing.last_error = ListingStatus.ERROR, _error_text(item.errors)
    listing.retry_count += 1
    listing.next_attempt_at = now + backoff(listing.retry_count)
    errors.append({"sku": listing.variant.sku, "barcode": item.key, "errors": item.errors})


def _stock_accepted() -> dict[str, Any]:
    """Column updates recording the stock and price in flight (`stock_sent`) as accepted."""
    return {
        "pushed_stock_version": Greatest(
            F("pushed_stock_version"), Cast(KT("stock_sent__version"), models.BigIntegerField())
        ),
        "stock_price_hash": KT("stock_sent__hash"),
        "pushed_quantity": Cast(KT("stock_sent__quantity"), models.IntegerField()),
        "pushed_price": Cast(KT("stock_sent__price"), models.DecimalField(max_digits=12, decimal_places=2)),
        "stock_pushed_at": timezone.now(),
    }


def run_job(job_id: int, *, worker: str, on_progress: Callable | None = None) -> str:
    """Claim and run a job. Returns the outcome: the job's final state, or why it was not
    run ("finished", "taken", "busy", "missing", "lost")."""
    job, why = jobs.claim_job(job_id, worker)
    if job is None:
        return why
    try:
        with adapter_for(job.account) as adapter:
            JobRunner(job, adapter, on_progress=on_progress).run()
    except jobs.JobLost:
        logger.warning("Sync job %s was taken over by another worker; %s stops", job_id, worker)
        return "lost"
    except MarketplaceError as exc:
        logger.warning("Sync job %s failed: %s", job_id, exc.message)
        return jobs.finish_job(job, error=exc.message).state
    except Exception:
        logger.exception("Sync job %s crashed", job_id)
        jobs.finish_job(job, error=_("An unexpected error stopped this sync. It has been logged."))
        raise
    finish = jobs.finish_job(job)
    _record_success(finish)
    if finish.kind in (SyncKind.STOCK_PRICE, SyncKind.FULL, SyncKind.CATALOG):
        # changes that arrived after this job's last look, while it still counted as running,
        # listings just created whose offer goes apart (create_carries_stock false),
        # or held back by the marketplace's minimum interval between two updates of an item
        wait = seconds_until_stock_due(
            Listing.objects.filter(account=finish.account),
            adapter_class(finish.account.marketplace).min_stock_interval,
        )
        if wait is not None:
            jobs.request_sync_if_idle(finish.account, SyncKind.STOCK_PRICE, actor="stock change", countdown=wait)
    return finish.state


def _record_success(job: SyncJob) -> None:
    """Stamp the account's last successful sync of each kind the job covered."""
    fields = {
        "catalog": "last_catalog_sync_at",
        "stock_price": "last_stock_price_sync_at",
        "orders": "last_orders_sync_at",
    }
    if job.state == "failed":
        return
    now = timezone.now()
    MarketplaceAccount.objects.filter(pk=job.account_id).update(
        **{fields[stage]: now for stage in STAGES[job.kind]}
    )
