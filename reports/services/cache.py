"""Sales reports answered from the cache until the roll-ups they read change.

A report is stored with the roll-up versions it was computed at: the tenant's, bumped by
every roll-up write of the tenant, and a platform-wide one, bumped by a rebuild of every
tenant. The versions and the entry are read in one round trip; an entry of older versions
is computed again. A writer bumps when it writes and again when its transaction commits,
so that a report computed from the figures before the commit never outlives it.
Product titles in a cached report may lag a rename by up to TTL_SECONDS.
"""

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction

TTL_SECONDS = 300
PLATFORM_KEY = "reports:v"

logger = logging.getLogger(__name__)


def tenant_key(tenant_id: int) -> str:
    return f"reports:v:{tenant_id}"


def _new_version() -> int:
    return time.time_ns()  # never an earlier value, even if the cache dropped the counter


def _bump_keys(keys: list[str]) -> None:
    try:
        for key in keys:
            try:
                cache.incr(key)
            except ValueError:  # not in the cache (yet, or any more)
                cache.add(key, _new_version(), timeout=None)
    except Exception:  # the cache is down: reports may lag until TTL_SECONDS
        logger.warning("reports.cache_bump_failed", exc_info=True)


def rollups_changed(tenant_ids: Iterable[int] | None) -> None:
    """The roll-ups of these tenants (None: of every tenant) change in this transaction."""
    keys = [PLATFORM_KEY] if tenant_ids is None else [tenant_key(pk) for pk in sorted(set(tenant_ids))]
    if not keys:
        return
    _bump_keys(keys)
    transaction.on_commit(lambda: _bump_keys(keys))


def cached_report(tenant_id: int, parameters: tuple, compute: Callable[[], Any]) -> Any:
    """`compute()`'s answer for these parameters, from the cache while the tenant's
    roll-ups have not changed."""
    digest = hashlib.sha1(repr(parameters).encode(), usedforsecurity=False).hexdigest()
    key, version_keys = f"reports:r:{tenant_id}:{digest}", [PLATFORM_KEY, tenant_key(tenant_id)]
    try:
        found = cache.get_many([*version_keys, key])
        if any(name not in found for name in version_keys):
            for name in version_keys:
                cache.add(name, _new_version(), timeout=None)
            found = cache.get_many(version_keys)
        versions = tuple(found.get(name) for name in version_keys)
        stored = found.get(key)
    except Exception:
        logger.warning("reports.cache_read_failed", exc_info=True)
        return compute()
    if stored is not None and stored[0] == versions:
        return stored[1]
    report = compute()
    try:
        cache.set(key, (versions, report), timeout=TTL_SECONDS)
    except Exception:
        logger.warning("reports.cache_write_failed", exc_info=True)
    return report
