"""The storefront's catalogue cache: rendered `data` bytes and their ETag, in Redis when
REDIS_URL is set, keyed by a per-tenant version that catalogue events bump."""

import hashlib
from typing import Any

from django.core.cache import cache
from rest_framework.request import Request

from meschain.models import Event

TTL_SECONDS = 300
INVALIDATING_EVENTS = frozenset(
    {"product.published", "product.updated", "product.archived", "product.deleted", "stock.updated"}
)


def _version_key(tenant_id: int) -> str:
    return f"catalog:version:{tenant_id}"


def version(tenant_id: int) -> int:
    current = cache.get(_version_key(tenant_id))
    if current is None:
        cache.add(_version_key(tenant_id), 1, timeout=None)
        current = cache.get(_version_key(tenant_id)) or 1
    return int(current)


def bump(tenant_id: int) -> None:
    try:
        cache.incr(_version_key(tenant_id))
    except ValueError:
        cache.add(_version_key(tenant_id), 2, timeout=None)


def invalidate_on_events(events: list[Event]) -> None:
    """Outbox consumer: any catalogue change makes the tenant's cached pages stale."""
    for tenant_id in {e.tenant_id for e in events if e.type in INVALIDATING_EVENTS}:
        bump(tenant_id)


def entry_key(tenant_id: int, request: Request) -> str:
    query = "&".join(sorted(f"{k}={v}" for k, values in request.query_params.lists() for v in values))
    digest = hashlib.sha1(f"{request.path}?{query}".encode(), usedforsecurity=False).hexdigest()
    return f"catalog:sf:{tenant_id}:{version(tenant_id)}:{digest}"


def get(key: str) -> tuple[str, bytes, Any] | None:
    return cache.get(key)


def put(key: str, data_json: bytes, pagination: Any) -> tuple[str, bytes, Any]:
    etag = '"' + hashlib.sha1(data_json + repr(pagination).encode(), usedforsecurity=False).hexdigest() + '"'
    entry = (etag, data_json, pagination)
    cache.set(key, entry, timeout=TTL_SECONDS)
    return entry
