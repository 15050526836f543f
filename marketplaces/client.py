"""The one HTTP client layer every marketplace adapter talks through.

- **Timeouts** on connect, read, write and pool (``MARKETPLACE_HTTP_TIMEOUT_SECONDS``).
- **Retries** on 429, 5xx, dropped connections and timeouts, with exponential back-off and
  full jitter (a random wait between 0 and ``base * 2**(attempt-1)``, capped), honouring a
  ``Retry-After`` header (seconds or an HTTP date, capped), for at most
  ``MARKETPLACE_HTTP_MAX_ATTEMPTS`` attempts. Any other 4xx is final at once.
- **A per-account rate limit** shared by every process through the Django cache (Redis when
  ``REDIS_URL`` is set): a fixed-window counter keyed by the account, incremented
  atomically; a caller over the limit sleeps until the next window opens, for at most
  ``MARKETPLACE_RATE_LIMIT_MAX_WAIT_SECONDS`` in total, then gets a retryable error.
- **Structured errors**: :class:`MarketplaceError` carries the HTTP status, the
  marketplace's error body as received and whether trying again later may help.
- **Counters** (:class:`ClientStats`) of logical requests, HTTP attempts, retries and
  rate-limit waits, for benchmarks and sync job statistics.

Credentials and the ``Authorization`` header are never logged, and never appear in the
text of an error.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from meschain.api.throttling import parse_rate

logger = logging.getLogger("marketplaces.http")

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


class MarketplaceError(Exception):
    """A marketplace call that did not succeed.

    ``status`` is the HTTP status (None when no answer arrived), ``body`` the marketplace's
    error body as received (parsed JSON when it was JSON, else text), ``retryable`` whether
    the same call may succeed later (429, 5xx, network trouble, our own rate-limit wait)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: Any = None,
        retryable: bool = False,
        method: str = "",
        path: str = "",
        attempts: int = 0,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body
        self.retryable = retryable
        self.method = method
        self.path = path
        self.attempts = attempts

    @property
    def errors(self) -> list[str]:
        """The marketplace's error messages, when its body lists any."""
        body = self.body
        if isinstance(body, dict):
            found = [str(e.get("message") or e.get("key") or e) if isinstance(e, dict) else str(e)
                     for e in body.get("errors") or []]
            if not found and body.get("message"):
                found = [str(body["message"])]
            return found
        return [body] if isinstance(body, str) and body else []

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able form, for storing on a sync job or listing."""
        return {"message": self.message, "status": self.status, "body": self.body,
                "retryable": self.retryable, "method": self.method, "path": self.path,
                "attempts": self.attempts}

    def __repr__(self) -> str:
        return f"MarketplaceError(status={self.status!r}, retryable={self.retryable!r}, message={self.message!r})"


@dataclass
class RetryPolicy:
    """How often and how patiently a call is tried again."""

    max_attempts: int = 5
    base_seconds: float = 0.5
    max_seconds: float = 30.0  # cap of one back-off wait and of an honoured Retry-After

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        return cls(
            max_attempts=int(_setting("MARKETPLACE_HTTP_MAX_ATTEMPTS", 5)),
            base_seconds=float(_setting("MARKETPLACE_RETRY_BASE_SECONDS", 0.5)),
            max_seconds=float(_setting("MARKETPLACE_RETRY_MAX_SECONDS", 30.0)),
        )

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max, base * 2**(attempt-1))]."""
        ceiling = min(self.max_seconds, self.base_seconds * (2 ** max(0, attempt - 1)))
        return rng.uniform(0, ceiling)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RateLimitExceeded(MarketplaceError):
    """Our own shared per-account limit kept the call waiting longer than allowed."""


class SharedRateLimiter:
    """A fixed-window request counter per account, shared through the Django cache.

    ``limit`` requests per ``period`` seconds; windows are aligned on the wall clock, so
    every process computes the same window key. The counter is created with ``add`` and
    bumped with the cache's atomic ``incr`` (INCRBY on Redis)."""

    def __init__(self, key: str, limit: int, period: float, max_wait: float = 60.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("limit must be >= 1 and period > 0")
        self.key = key
        self.limit = limit
        self.period = period
        self.max_wait = max_wait
        self._sleep = sleep

    @classmethod
    def from_rate(cls, key: str, rate: str, max_wait: float = 60.0,
                  sleep: Callable[[float], None] = time.sleep) -> SharedRateLimiter:
        """A limiter from ``"N/period"`` (``s``, ``min``, ``hour``, ``day``)."""
        limit, period = parse_rate(rate)
        return cls(key, limit, period, max_wait, sleep)

    def _cache_key(self, window: int) -> str:
        return f"mp-rate:{self.key}:{self.period}:{window}"

    def acquire(self) -> float:
        """Take one slot, sleeping until a window has room; returns the seconds waited."""
        waited = 0.0
        while True:
            now = time.time()
            window = int(now // self.period)
            key = self._cache_key(window)
            timeout = int(self.period) + 2
            if cache.add(key, 1, timeout):
                return waited
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr
                continue
            if count <= self.limit:
                return waited
            pause = (window + 1) * self.period - now + random.uniform(0, min(0.05, self.period / 20))  # noqa: S311
            if waited + pause > self.max_wait:
                raise RateLimitExceeded(
                    _("The request rate limit of this marketplace account kept the call waiting too long."),
                    retryable=True)
            self._sleep(pause)
            waited += pause


@dataclass
class ClientStats:
    """What a client did: logical requests, HTTP attempts, retries and waits."""

    requests: int = 0
    attempts: int = 0
    retries: int = 0
    failures: int = 0
    rate_limit_waits: int = 0
    rate_limit_wait_seconds: float = 0.0
    backoff_seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    network_errors: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"requests": self.requests, "attempts": self.attempts, "retries": self.retries,
                "failures": self.failures, "rate_limit_waits": self.rate_limit_waits,
                "rate_limit_wait_seconds": round(self.rate_limit_wait_seconds, 3),
                "backoff_seconds": round(self.backoff_seconds, 3),
                "statuses": dict(self.statuses), "network_errors": self.network_errors}


def _body_of(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text[:4000]


class MarketplaceHttpClient:
    """An httpx client with retries, a shared per-account rate limit and counters.

    ``auth`` is a (username, password) pair sent as HTTP Basic; ``headers`` are sent on every
    request. ``rate_limit`` is ``"N/period"`` (e.g. ``"900/min"``), ``None`` for the
    ``MARKETPLACE_RATE_LIMIT`` setting, or ``""`` for none; the limit is shared by every
    client built with the same ``account_key``. ``sleep`` and ``seed`` exist so tests and
    benchmarks can make waits measurable and repeatable."""

    def __init__(
        self,
        base_url: str,
        *,
        account_key: str,
        auth: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        rate_limit: str | None = None,
        rate_limit_max_wait: float | None = None,
        seed: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        **httpx_options: Any,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.account_key = account_key
        self.retry = retry or RetryPolicy.from_settings()
        timeout = float(_setting("MARKETPLACE_HTTP_TIMEOUT_SECONDS", 30.0)) if timeout is None else timeout
        if rate_limit is None:
            rate_limit = str(_setting("MARKETPLACE_RATE_LIMIT", "900/min"))
        max_wait = (float(_setting("MARKETPLACE_RATE_LIMIT_MAX_WAIT_SECONDS", 60.0))
                    if rate_limit_max_wait is None else rate_limit_max_wait)
        self.limiter = SharedRateLimiter.from_rate(account_key, rate_limit, max_wait, sleep) if rate_limit else None
        self._sleep = sleep
        self._rng = random.Random(seed)  # noqa: S311 - jitter, not security
        self._lock = threading.Lock()
        self.stats = ClientStats()
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=httpx.BasicAuth(*auth) if auth else None,
            headers=dict(headers or {}),
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            **httpx_options,
        )

    # ---- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MarketplaceHttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MarketplaceHttpClient(base_url={self.base_url!r}, account_key={self.account_key!r})"

    # ---- requests ----------------------------------------------------------------------

    def get(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, *, json: Any = None) -> Any:
        return self.request("POST", path, json=json)

    def put(self, path: str, *, json: Any = None) -> Any:
        return self.request("PUT", path, json=json)

    def _count(self, **changes: Any) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self.stats, name, getattr(self.stats, name) + value)

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None, headers: Mapping[str, str] | None = None, files: Any = None,
                content: bytes | None = None, raw: bool = False) -> Any:
        """Send one logical request and return its parsed JSON body (None when empty).
        ``files`` sends a multipart/form-data body (httpx's ``files``) instead of JSON;
        ``content`` sends these bytes as the body as they are (set the Content-Type header);
        ``raw`` returns the answer's body as bytes, unparsed (e.g. a compressed document).

        Raises :class:`MarketplaceError` when the answer is a final error or every attempt
        failed."""
        self._count(requests=1)
        attempt = 0
        while True:
            attempt += 1
            if self.limiter is not None:
                try:
                    waited = self.limiter.acquire()
                except RateLimitExceeded as exc:
                    exc.method, exc.path, exc.attempts = method, path, attempt - 1
                    self._count(failures=1)
                    raise
                if waited:
                    self._count(rate_limit_waits=1, rate_limit_wait_seconds=waited)
            self._count(attempts=1)
            retry_after: float | None = None
            try:
                response = self._http.request(method, path, params=params, json=json, headers=headers,
                                              files=files, content=content)
            except httpx.TransportError as exc:  # timeouts, refused or dropped connections
                self._count(network_errors=1)
                kind = type(exc).__name__
                error = MarketplaceError(
                    _("The marketplace could not be reached (%(kind)s).") % {"kind": kind},
                    retryable=True, method=method, path=path, attempts=attempt)
                logger.warning("marketplace %s %s attempt %d: %s", method, path, attempt, kind,
                               extra={"account": self.account_key})
            else:
                with self._lock:
                    self.stats.statuses[response.status_code] += 1
                if response.status_code < 400:
                    logger.debug("marketplace %s %s -> %d (attempt %d)", method, path, response.status_code,
                                 attempt, extra={"account": self.account_key})
                    return response.content if raw else _body_of(response)
                body = _body_of(response)
                retryable = response.status_code in RETRYABLE_STATUSES
                error = MarketplaceError(
                    _("The marketplace answered %(status)d to %(method)s %(path)s.")
                    % {"status": response.status_code, "method": method, "path": path},
                    status=response.status_code, body=body, retryable=retryable,
                    method=method, path=path, attempts=attempt)
                logger.warning("marketplace %s %s -> %d (attempt %d)", method, path, response.status_code,
                               attempt, extra={"account": self.account_key})
                if not retryable:
                    self._count(failures=1)
                    raise error
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if attempt >= self.retry.max_attempts:
                self._count(failures=1)
                raise error
            if retry_after is not None:
                pause = min(retry_after, self.retry.max_seconds)
            else:
                with self._lock:
                    pause = self.retry.backoff(attempt, self._rng)
            self._count(retries=1, backoff_seconds=pause)
            if pause > 0:
                self._sleep(pause)
