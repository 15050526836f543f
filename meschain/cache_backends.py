"""The local-memory cache with django-prometheus's cache counters.

django-prometheus's own local-memory backend answers the default for cached falsy values
(0, "", []); this one keeps Django's semantics. Redis uses django-prometheus's backend.
"""

from typing import Any

from django.core.cache.backends import locmem
from django_prometheus.cache.metrics import (
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)

_MISSING = object()


class LocMemCache(locmem.LocMemCache):
    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        django_cache_get_total.labels(backend="locmem").inc()
        value = super().get(key, _MISSING, version)
        if value is _MISSING:
            django_cache_misses_total.labels(backend="locmem").inc()
            return default
        django_cache_hits_total.labels(backend="locmem").inc()
        return value
