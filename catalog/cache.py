"""The storefront's catalogue cache: rendered `data` bytes and their ETag, in Redis when
REDIS_URL is set.

Invalidation is by version stamps, read in the same round trip as the entry:

- a product detail page is stamped with its product's version, bumped by that product's
  events and by `stock.updated` for any of its variants (an order touches one product's
  page, not the whole catalogue);
- list pages (and their totals) are stamped with the tenant's list version, bumped by any
  `product.*` event and by the `stock.updated` events that can move a product in or out of
  the in-stock lists (sold out, or a movement that adds stock back). Order reservations that
  leave stock on hand do not bump it: the list's `available` figures may then lag by up to
  `CATALOG_LIST_CACHE_SECONDS`, the list entries' lifetime.
"""

import hashlib
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.request import Request

from meschain.models import Event

TTL_SECONDS = 300
INVALIDATING_EVENTS = frozenset(
    {"product.published", "product.updated", "product.archived", "product.deleted", "stock.updated"}
)
# Stock movements that only take units away while some remain on hand do not change
# which products a list shows: these reasons never add available stock.
_TAKING_REASONS = frozenset({"order_reserve", "order_fulfil"})

Entry = tuple[str, bytes, Any]


def list_version_key(tenant_id: int) -> str:
    return f"catalog:v:{tenant_id}"


def product_version_key(tenant_id: int, product_id: int) -> str:
    return f"catalog:v:{tenant_id}:p:{product_id}"


def list_ttl() -> int:
    return settings.CATALOG_LIST_CACHE_SECONDS


def _new_version() -> int:
    # Never repeats an earlier value, even if Redis evicted the counter.
    return time.time_ns()


def _bump(keys: Iterable[str]) -> None:
    for key in keys:
        try:
            cache.incr(key)
        except ValueError:
            cache.add(key, _new_version(), timeout=None)


def bump(tenant_id: int) -> None:
    """Make every cached list page of the tenant stale."""
    _bump([list_version_key(tenant_id)])


def bump_products(tenant_id: int, product_ids: Iterable[int]) -> None:
    """Make the cached detail pages of these products stale."""
    _bump(product_version_key(tenant_id, pk) for pk in sorted(set(product_ids)))


def invalidate_on_events(events: list[Event]) -> None:
    """Outbox consumer: drops exactly the cached pages a catalogue change makes stale."""
    from catalog.models import Variant

    lists: set[int] = set()
    products: dict[int, set[int]] = {}
    variants: dict[int, set[int]] = {}
    for event in events:
        if event.type not in INVALIDATING_EVENTS:
            continue
        data = event.payload or {}
        if event.type == "stock.updated":
            if data.get("variant_id") is not None:
                variants.setdefault(event.tenant_id, set()).add(int(data["variant_id"]))
            else:  # an event without its variant: be safe
                lists.add(event.tenant_id)
            if int(data.get("available", 0)) <= 0 or data.get("reason") not in _TAKING_REASONS:
                lists.add(event.tenant_id)
        else:
            lists.add(event.tenant_id)
            product_id = data.get("product_id")
            if product_id is None and event.object_type == "product" and str(event.object_id).isdigit():
                product_id = event.object_id
            if product_id is not None:
                products.setdefault(event.tenant_id, set()).add(int(product_id))
    for tenant_id, variant_ids in variants.items():
        owners = Variant.objects.filter(tenant_id=tenant_id, pk__in=variant_ids).values_list(
            "product_id", flat=True
        )
        products.setdefault(tenant_id, set()).update(owners)
    for tenant_id in lists:
        bump(tenant_id)
    for tenant_id, product_ids in products.items():
        bump_products(tenant_id, product_ids)


_PAGE_PARAMETERS = frozenset({"page"})


def _digest(request: Request | HttpRequest, *, leave_out: frozenset[str] = frozenset()) -> str:
    query = "&".join(
        sorted(f"{k}={v}" for k, values in request.GET.lists() if k not in leave_out for v in values)
    )
    return hashlib.sha1(f"{request.path}?{query}".encode(), usedforsecurity=False).hexdigest()


class Lookup:
    """One storefront cache lookup: the entry and its version stamp in one round trip."""

    def __init__(
        self, tenant_id: int, request: Request | HttpRequest, *, product_id: int | None = None
    ) -> None:
        digest = _digest(request)
        self.tenant_id, self.request = tenant_id, request
        if product_id is None:
            self.version_key = list_version_key(tenant_id)
            self.key = f"catalog:sf:{tenant_id}:l:{digest}"
            self.timeout = list_ttl()
        else:
            self.version_key = product_version_key(tenant_id, product_id)
            self.key = f"catalog:sf:{tenant_id}:p:{product_id}:{digest}"
            self.timeout = TTL_SECONDS
        found = cache.get_many([self.version_key, self.key])
        self.version = found.get(self.version_key)
        stored = found.get(self.key)
        self.entry: Entry | None = None
        if self.version is None:
            cache.add(self.version_key, _new_version(), timeout=None)
            self.version = cache.get(self.version_key)
        elif stored is not None and stored[0] == self.version:
            self.entry = stored[1:]

    def count(self, compute: Callable[[], int]) -> int:
        """The list's total for this filter set, whatever the page: counted once per
        list version (the COUNT(*) is the dearest query of a list page)."""
        # every page of one filter set shares its total
        count_key = f"catalog:sf:{self.tenant_id}:n:{_digest(self.request, leave_out=_PAGE_PARAMETERS)}"
        stored = cache.get(count_key)
        if stored is not None and stored[0] == self.version:
            return stored[1]
        total = compute()
        cache.set(count_key, (self.version, total), timeout=self.timeout)
        return total

    def put(self, data_json: bytes, pagination: Any) -> Entry:
        etag = (
            '"' + hashlib.sha1(data_json + repr(pagination).encode(), usedforsecurity=False).hexdigest() + '"'
        )
        entry = (etag, data_json, pagination)
        cache.set(self.key, (self.version, *entry), timeout=self.timeout)
        return entry
