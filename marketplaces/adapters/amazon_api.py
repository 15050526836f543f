"""Amazon SP-API plumbing shared by the Amazon adapter: regions and marketplace ids, the
Login with Amazon (LWA) access token, cached and shared by every process, and the
per-operation token buckets, shared through the Django cache as well.

- **LWA**: ``POST <lwa_url>`` (default :data:`LWA_URL`) with the form fields
  ``grant_type=refresh_token``, ``refresh_token``, ``client_id``, ``client_secret``; the
  ``access_token`` is kept in the cache under the account (and a digest of the
  credentials, so new credentials never reuse an old token), encrypted with the project's
  keys, until shortly before ``expires_in`` runs out, and sent as ``x-amz-access-token``.
  Tokens and secrets are never logged nor put in an error message.
- **Token buckets**: every SP-API operation has a restore rate (requests per second) and a
  burst (:data:`OPERATION_LIMITS`, the documented default plans). :class:`TokenBucket`
  is a GCRA ("virtual scheduling") bucket: its one state value, the theoretical arrival
  time, lives in the cache per account and operation and is read and written under a short
  cache lock (``add``), so all workers of an account share one bucket. A caller reserves
  the next free slot and sleeps until it; a wait longer than allowed raises a retryable
  error without taking the slot.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.utils.translation import gettext as _

from marketplaces.client import MarketplaceError, MarketplaceHttpClient, RateLimitExceeded
from meschain import crypto

LWA_URL = "https://api.amazon.com/auth/o2/token"
REGION_HOSTS = {
    "na": "https://sellingpartnerapi-na.amazon.com",
    "eu": "https://sellingpartnerapi-eu.amazon.com",
    "fe": "https://sellingpartnerapi-fe.amazon.com",
}
SANDBOX_REGION_HOSTS = {code: url.replace("://", "://sandbox.") for code, url in REGION_HOSTS.items()}
TURKEY = "A33AVAJ2PDY3EV"

#: marketplace id → (country, region, currency, language tag)
MARKETPLACES: dict[str, tuple[str, str, str, str]] = {
    "ATVPDKIKX0DER": ("US", "na", "USD", "en_US"),
    "A2EUQ1WTGCTBG2": ("CA", "na", "CAD", "en_CA"),
    "A1AM78C64UM0Y8": ("MX", "na", "MXN", "es_MX"),
    "A2Q3Y263D00KWC": ("BR", "na", "BRL", "pt_BR"),
    "A1RKKUPIHCS9HS": ("ES", "eu", "EUR", "es_ES"),
    "A1F83G8C2ARO7P": ("GB", "eu", "GBP", "en_GB"),
    "A13V1IB3VIYZZH": ("FR", "eu", "EUR", "fr_FR"),
    "AMEN7PMS3EDWL": ("BE", "eu", "EUR", "fr_BE"),
    "A1805IZSGTT6HS": ("NL", "eu", "EUR", "nl_NL"),
    "A1PA6795UKMFR9": ("DE", "eu", "EUR", "de_DE"),
    "APJ6JRA9NG5V4": ("IT", "eu", "EUR", "it_IT"),
    "A2NODRKZP88ZB9": ("SE", "eu", "SEK", "sv_SE"),
    "AE08WJ6YKNBMC": ("ZA", "eu", "ZAR", "en_ZA"),
    "A1C3SOZRARQ6R3": ("PL", "eu", "PLN", "pl_PL"),
    "ARBP9OOSHTCHU": ("EG", "eu", "EGP", "ar_EG"),
    TURKEY: ("TR", "eu", "TRY", "tr_TR"),
    "A17E79C6D8DWNP": ("SA", "eu", "SAR", "ar_SA"),
    "A2VIGQ35RCS4UG": ("AE", "eu", "AED", "en_AE"),
    "A21TJRUUN4KGV": ("IN", "eu", "INR", "en_IN"),
    "A19VAU5U5O7RUS": ("SG", "fe", "SGD", "en_SG"),
    "A39IBJ37TRP1C6": ("AU", "fe", "AUD", "en_AU"),
    "A1VC38T7YXB528": ("JP", "fe", "JPY", "ja_JP"),
}

#: operation → (restore rate in requests per second, burst), the documented default plans
OPERATION_LIMITS: dict[str, tuple[float, int]] = {
    "getOrders": (0.0167, 20),
    "getOrder": (0.5, 30),
    "getOrderItems": (0.5, 30),
    "confirmShipment": (2.0, 10),
    "getListingsItem": (5.0, 10),
    "putListingsItem": (5.0, 10),
    "patchListingsItem": (5.0, 5),
    "deleteListingsItem": (5.0, 5),
    "searchListingsItems": (5.0, 5),
    "createFeedDocument": (0.5, 15),
    "createFeed": (0.0083, 15),
    "getFeed": (2.0, 15),
    "getFeedDocument": (0.0222, 10),
    "getMarketplaceParticipations": (0.016, 15),
    "searchDefinitionsProductTypes": (5.0, 10),
    "getDefinitionsProductType": (5.0, 10),
    # not an operation: JSON_LISTINGS_FEED submissions, 5 per 5 minutes per region
    "feedType:JSON_LISTINGS_FEED": (5 / 300, 5),
}


def region_of(marketplace_id: str) -> str:
    return MARKETPLACES.get(marketplace_id, ("", "eu", "", ""))[1]


def currency_of(marketplace_id: str) -> str:
    return MARKETPLACES.get(marketplace_id, ("", "", "TRY", ""))[2]


def language_of(marketplace_id: str) -> str:
    return MARKETPLACES.get(marketplace_id, ("", "", "", "tr_TR"))[3]


def resolve_host(base_url: str, region: str, *, sandbox: bool = False) -> str:
    """The SP-API host: the account's base URL unless it is empty or one of Amazon's
    regional hosts (then the host of `region`, the ``sandbox.`` one when asked)."""
    base = (base_url or "").rstrip("/")
    if base and base not in REGION_HOSTS.values() and base not in SANDBOX_REGION_HOSTS.values():
        return base
    hosts = SANDBOX_REGION_HOSTS if sandbox else REGION_HOSTS
    if region not in hosts:
        raise MarketplaceError(_("Unknown Amazon region %(region)s (use na, eu or fe).") % {"region": region})
    return hosts[region]


@dataclass
class TokenBucket:
    """One operation's bucket of one account, shared by every process (see module doc)."""

    key: str
    rate: float
    burst: int
    max_wait: float = 300.0
    sleep: Callable[[float], None] = time.sleep
    on_wait: Callable[[], None] | None = None

    LOCK_SECONDS = 5

    def _lock(self) -> str:
        lock = f"{self.key}:lock"
        deadline = time.monotonic() + self.LOCK_SECONDS
        while not cache.add(lock, 1, self.LOCK_SECONDS):
            if time.monotonic() > deadline:  # a holder died: its lock expires by itself
                cache.delete(lock)
            time.sleep(0.002)
        return lock

    def reserve(self) -> float:
        """Take the next free slot; the seconds until it (0: at once)."""
        interval = 1.0 / self.rate
        lock = self._lock()
        try:
            now = time.time()
            tat = max(float(cache.get(self.key) or 0.0), now)
            allowed_at = max(now, tat - (self.burst - 1) * interval)
            wait = allowed_at - now
            if wait > self.max_wait:
                raise RateLimitExceeded(
                    _("Amazon's request quota for this operation is used up; the call is tried again later."),
                    retryable=True)
            cache.set(self.key, tat + interval, int(self.burst * interval) + 60)
            return wait
        finally:
            cache.delete(lock)

    def acquire(self) -> float:
        """Wait for a slot (calling ``on_wait`` about every 10 s of waiting); the seconds waited."""
        wait = self.reserve()
        slot = time.time() + wait
        left = wait
        while left > 0:
            step = min(left, 10.0)
            self.sleep(step)
            left -= step
            if left > 0 and self.on_wait is not None:
                self.on_wait()
        self._slot = slot
        return wait

    def sent(self) -> None:
        """The call is going out now: a late start moves the bucket on (see push_back)."""
        slot = getattr(self, "_slot", None)
        if slot is not None and self.rate * self.burst and time.time() - slot > 0.001:
            self.push_back(time.time() - slot)

    def push_back(self, seconds: float) -> None:
        """A call went out `seconds` after its slot: move the bucket on by as much, so the
        spacing Amazon sees between calls never shrinks below the restore interval."""
        if seconds <= 0:
            return
        lock = self._lock()
        try:
            tat = float(cache.get(self.key) or 0.0)
            if tat:
                cache.set(self.key, tat + seconds, int(self.burst / self.rate) + 60)
        finally:
            cache.delete(lock)

    def drain(self) -> None:
        """Amazon said 429: count the bucket as empty from now on."""
        lock = self._lock()
        try:
            now = time.time()
            interval = 1.0 / self.rate
            tat = max(float(cache.get(self.key) or 0.0), now + self.burst * interval)
            cache.set(self.key, tat, int(self.burst * interval) + 60)
        finally:
            cache.delete(lock)


class LwaTokens:
    """The account's LWA access token: from the cache while valid, else exchanged."""

    def __init__(self, client: MarketplaceHttpClient, token_url: str, *, account_key: str,
                 client_id: str, client_secret: str, refresh_token: str, margin: float = 120.0) -> None:  # fmt: skip
        self.client = client
        self.token_url = token_url
        self._form = {"grant_type": "refresh_token", "refresh_token": refresh_token,
                      "client_id": client_id, "client_secret": client_secret}  # fmt: skip
        digest = hashlib.sha256(f"{client_id}\0{refresh_token}".encode()).hexdigest()[:24]
        self.cache_key = f"amazon-lwa:{account_key}:{digest}"
        self.margin = margin
        self.exchanges = 0

    def __repr__(self) -> str:
        return f"LwaTokens(cache_key={self.cache_key!r})"

    def token(self) -> str:
        cached = cache.get(self.cache_key)
        if isinstance(cached, dict) and cached.get("expires_at", 0) - self.margin > time.time():
            try:  # kept encrypted in the cache (Redis), bound to its key
                return crypto.decrypt(str(cached["access_token"]), associated_data=self.cache_key.encode())
            except (crypto.DecryptionError, ValueError):
                pass  # keys rotated, or not ours: exchange again
        return self.refresh()

    def invalidate(self) -> None:
        cache.delete(self.cache_key)

    def refresh(self) -> str:
        """Exchange the refresh token for a new access token and cache it."""
        for name in ("refresh_token", "client_id", "client_secret"):
            if not self._form[name]:
                raise MarketplaceError(_("The Amazon account has no %(field)s.") % {"field": name})
        try:
            body = self.client.request(
                "POST", self.token_url, content=urlencode(self._form).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"})  # fmt: skip
        except MarketplaceError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                detail = exc.body.get("error_description") or exc.body.get("error") if isinstance(exc.body, dict) else ""
                raise MarketplaceError(
                    _("Login with Amazon refused the credentials: %(detail)s") % {"detail": detail or exc.status},
                    status=exc.status, body=exc.body, method="POST", path="/auth/o2/token") from None
            raise
        self.exchanges += 1
        if not isinstance(body, dict) or not body.get("access_token"):
            raise MarketplaceError(_("Login with Amazon answered without an access token."), retryable=True)
        expires_in = float(body.get("expires_in") or 3600)
        sealed = crypto.encrypt(str(body["access_token"]), associated_data=self.cache_key.encode())
        cache.set(self.cache_key, {"access_token": sealed, "expires_at": time.time() + expires_in},
                  max(1, int(expires_in)))  # fmt: skip
        return str(body["access_token"])


def is_token_refusal(exc: MarketplaceError) -> bool:
    """An SP-API 401/403 "Unauthorized" (an expired or revoked access token)."""
    if exc.status not in (401, 403) or not isinstance(exc.body, dict):
        return False
    return any(isinstance(e, dict) and str(e.get("code")) == "Unauthorized" for e in exc.body.get("errors") or [])


def error_messages(body: Any) -> list[str]:
    """``{"errors": [{code, message, details}]}`` as readable lines."""
    out = []
    for error in (body or {}).get("errors") or [] if isinstance(body, dict) else []:
        if isinstance(error, dict):
            text = f"{error.get('code') or ''}: {error.get('message') or ''}".strip(": ")
            if error.get("details"):
                text += f" ({error['details']})"
            out.append(text)
    return out
