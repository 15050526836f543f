"""Fixed-window rate limit per API key, user or anonymous IP, shared through the cache
(Redis when REDIS_URL is set) with an atomic counter, so every process agrees."""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

_PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'60/min' → (60, 60)."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip().lower()]


def client_ident(request: Request) -> str:
    from meschain.middleware import client_ip

    key_id = getattr(request.user, "api_key_id", None)
    if key_id:
        return f"key:{key_id}"
    user = request.user
    if user is not None and user.is_authenticated and user.pk:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request._request) or 'unknown'}"


class ClientRateThrottle(BaseThrottle):
    def allow_request(self, request: Request, view: object) -> bool:
        limit, period = parse_rate(settings.API_THROTTLE_RATE)
        now = time.time()
        window = int(now // period)
        key = f"throttle:{client_ident(request)}:{period}:{window}"
        # One cache round trip per request once the window's counter exists.
        try:
            count = cache.incr(key)
        except ValueError:  # first request of the window (or the counter just expired)
            # add() fails when another process created it in between: count on from there
            count = 1 if cache.add(key, 1, timeout=period + 1) else cache.incr(key)
        self._wait = (window + 1) * period - now
        return count <= limit

    def wait(self) -> float:
        return max(self._wait, 1.0)
