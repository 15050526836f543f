"""A local, in-memory stand-in for Amazon's Selling Partner API (the team's protocol
notes, §4): every SP-API path on one port, the Login with Amazon token endpoint, and the
presigned document URLs (Amazon's S3) pointing back at the same server.

======  ==========================================================================  ==========
method  path                                                                        notes
======  ==========================================================================  ==========
POST    /auth/o2/token  (form: grant_type=refresh_token, refresh_token, client_id,   §4.1 LWA
        client_secret)
GET     /sellers/v1/marketplaceParticipations                                       0.016/15
GET     /listings/2021-08-01/items/{sellerId}?marketplaceIds=  (search)             §4.2
GET     /listings/2021-08-01/items/{sellerId}/{sku}?marketplaceIds=                 §4.2
PUT     /listings/2021-08-01/items/{sellerId}/{sku}?marketplaceIds=[&mode=]         §4.2
PATCH   /listings/2021-08-01/items/{sellerId}/{sku}?marketplaceIds=                 §4.2
DELETE  /listings/2021-08-01/items/{sellerId}/{sku}?marketplaceIds=                 §4.2
POST    /feeds/2021-06-30/documents                                                 §4.3
PUT     /tortuga/{documentId}?X-Amz-…  (presigned upload, 5 minutes)                §4.3
POST    /feeds/2021-06-30/feeds                                                     §4.3
GET     /feeds/2021-06-30/feeds/{feedId}                                            §4.3
GET     /feeds/2021-06-30/documents/{documentId}                                    §4.3
GET     /tortuga/{documentId}?X-Amz-…  (presigned download: report, GZIP)           §4.3
GET     /orders/v0/orders                                                           §4.4
GET     /orders/v0/orders/{orderId}                                                 §4.4
GET     /orders/v0/orders/{orderId}/orderItems                                      §4.4
POST    /orders/v0/orders/{orderId}/shipmentConfirmation                            §4.4
GET     /definitions/2020-09-01/productTypes?marketplaceIds=                        (schema link
GET     /definitions/2020-09-01/productTypes/{productType}?marketplaceIds=           presigned)
======  ==========================================================================  ==========

Behaviour: SP-API calls without a valid ``x-amz-access-token`` → 403 ``Unauthorized``
(an expired one says so in ``details``); a seller id in a path that is not the token's →
403. LWA answers ``invalid_client`` (401) and ``invalid_grant`` (400) like Amazon. Every
operation has its token bucket (the notes' rates and bursts; ``rate_limits=False`` turns
them off, ``rate_scale`` multiplies every restore rate for tests): an empty bucket → 429
``QuotaExceeded``; every answer carries ``x-amzn-RateLimit-Limit``. JSON_LISTINGS_FEED
submissions are limited to 5 per 5 minutes as well. Feeds are processed ``batch_delay``
seconds after createFeed (IN_QUEUE until then), messages validated like putListingsItem /
patchListingsItem, and the report lists issues by messageId and sku (GZIP unless
``gzip_reports=False``). getOrders follows the parameter rules of §4.4 (one of
CreatedAfter/LastUpdatedAfter, the Before dates at least ``order_lag`` seconds, default
120, before now, MaxResultsPerPage 1–100, NextToken paging); orders created through the
controls are stamped ``event_age`` seconds in the past so the next pull sees them.

Simplified: one seller, its marketplaces (TR by default, plus the ones given); product
types are four (:mod:`marketplaces.sandbox.amazon_data`) with reduced schemas; validation
covers required attributes, identifiers (check digit), offers (price > 0, currency of the
marketplace, quantity 0–999,999); no ASIN matching, no variations, no restricted data
(buyer names, full addresses); issue codes are Amazon-like, messages English.

Controls (``/__sandbox/…``, besides the base ones): ``POST orders`` ``{"count", "skus",
"status", "quantity", "channel"}``, ``POST orders/status`` ``{"ids", "status"}``, ``POST
reject`` ``{"keys", "message"}``, ``POST rate_limits`` ``{"enabled", "scale"}``, ``POST
tokens/expire``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, unquote

from marketplaces.adapters.amazon_api import MARKETPLACES
from marketplaces.sandbox import amazon_data as data
from marketplaces.sandbox.amazon_feeds import FeedsMixin, errors
from marketplaces.sandbox.amazon_listings import ListingsMixin, invalid_input
from marketplaces.sandbox.amazon_orders import OrdersMixin
from marketplaces.sandbox.base import Answer, SandboxError, SandboxServer, json_body

LISTING_PATH = re.compile(r"^/listings/2021-08-01/items/([^/]+)(?:/([^/]+))?$")
ORDER_PATH = re.compile(r"^/orders/v0/orders/([^/]+)(/orderItems|/shipmentConfirmation)?$")


class AmazonSandbox(FeedsMixin, OrdersMixin, ListingsMixin, SandboxServer):
    name = "amazon"
    api_prefix = ""

    def __init__(self, *, seller_id: str = data.DEMO_CREDENTIALS["seller_id"],
                 client_id: str = data.DEMO_CREDENTIALS["client_id"],
                 client_secret: str = data.DEMO_CREDENTIALS["client_secret"],
                 refresh_token: str = data.DEMO_CREDENTIALS["refresh_token"],
                 marketplace_ids: tuple[str, ...] = (data.TURKEY,), rate_limits: bool = True, rate_scale: float = 1.0,
                 batch_delay: float = 0.0, gzip_reports: bool = True, token_lifetime: int = 3600,
                 order_lag: float = 120.0, event_age: float = 150.0, items_page_size: int = 50,
                 **options: Any) -> None:  # fmt: skip
        super().__init__(**options)
        self.seller_id, self.client_id, self.client_secret = seller_id, client_id, client_secret
        self.refresh_token = refresh_token
        self.marketplace_ids = tuple(marketplace_ids)
        self.currency = MARKETPLACES[self.marketplace_ids[0]][2]
        self.rate_limits, self.rate_scale = rate_limits, rate_scale
        self.batch_delay, self.gzip_reports, self.token_lifetime = batch_delay, gzip_reports, token_lifetime
        self.order_lag, self.event_age, self.items_page_size = order_lag, event_age, items_page_size
        self._signing_key = secrets.token_bytes(16)
        self._clear()

    def _clear(self) -> None:
        self._tokens: dict[str, float] = {}
        self._listings: dict[str, dict[str, Any]] = {}
        self._rejections: dict[str, str] = {}
        self._documents: dict[str, dict[str, Any]] = {}
        self._feeds: dict[str, dict[str, Any]] = {}
        self._orders: dict[str, dict[str, Any]] = {}
        self._items: dict[str, list[dict[str, Any]]] = {}
        self._next_tokens: dict[str, tuple[list[str], int, int, str]] = {}
        self._buckets: dict[str, list[float]] = {}
        self.calls: list[tuple[str, float, int]] = []  # (operation, sandbox time, status) of every SP-API call
        self.token_exchanges = 0

    @classmethod
    def from_options(cls, *, host: str = "127.0.0.1", port: int = 0, seed: int = 0, fail_rate: float = 0.0,
                     rate_limit_rate: float | None = None, error_rate: float | None = None,
                     drop_rate: float | None = None, delay: float = 0.0, slow_rate: float = 1.0,
                     batch_delay: float = 0.0, orders: int = 0) -> AmazonSandbox:  # fmt: skip
        """A sandbox with the DEMO credentials (and ``orders`` Unshipped demo orders)."""
        sandbox = cls(host=host, port=port, seed=seed, fail_rate=fail_rate, rate_limit_rate=rate_limit_rate,
                      error_rate=error_rate, drop_rate=drop_rate, delay=delay, slow_rate=slow_rate,
                      batch_delay=batch_delay)  # fmt: skip
        if orders:
            sandbox.add_orders(orders, list(data.DEMO_SKUS))
        return sandbox

    def connection_lines(self) -> list[tuple[str, str]]:
        """(label, value) lines: the account's base URL, its ``lwa_url`` option and credentials."""
        return [("Base URL", self.base_url), ("lwa_url", f"{self.root_url}/auth/o2/token"),
                ("seller_id", self.seller_id), ("client_id", self.client_id), ("secret", self.client_secret),
                ("refresh", self.refresh_token), ("marketplace", self.marketplace_ids[0])]  # fmt: skip

    # ---- state for tests -------------------------------------------------------------------

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self._clear()

    def state(self) -> dict[str, Any]:
        return {"listings": len(self._listings), "feeds": len(self._feeds), "orders": len(self._orders),
                "rejections": len(self._rejections), "rateLimits": self.rate_limits, "rateScale": self.rate_scale,
                "tokenExchanges": self.token_exchanges}  # fmt: skip

    def listings(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {sku: dict(listing) for sku, listing in self._listings.items()}

    def stock(self, sku: str) -> int | None:
        listing = self._listings.get(sku)
        entries = (listing or {}).get("attributes", {}).get("fulfillment_availability") or []
        return int(entries[0]["quantity"]) if entries else None

    def price(self, sku: str) -> float | None:
        listing = self._listings.get(sku)
        for offer in (listing or {}).get("attributes", {}).get("purchasable_offer") or []:
            for price in offer.get("our_price") or []:
                for entry in price.get("schedule") or []:
                    return float(entry["value_with_tax"])
        return None

    def reject_items(self, keys: list[str], message: str) -> None:
        with self._lock:
            self._rejections.update({str(k): message for k in keys})

    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens = dict.fromkeys(self._tokens, 0.0)

    def set_rate_limits(self, *, enabled: bool | None = None, scale: float | None = None) -> None:
        with self._lock:
            if enabled is not None:
                self.rate_limits = bool(enabled)
            if scale is not None:
                if float(scale) <= 0:
                    raise ValueError("scale must be above 0")
                self.rate_scale = float(scale)
            self._buckets.clear()

    def calls_of(self, operation: str) -> list[tuple[float, int]]:
        with self._lock:
            return [(t, status) for op, t, status in self.calls if op == operation]

    def control(self, method: str, path: str, body: Any) -> tuple[int, Any] | None:
        if method != "POST":
            return None
        if path == "/orders":
            ids = self.add_orders(int(body.get("count", 1)), list(body.get("skus") or data.DEMO_SKUS),
                                  status=str(body.get("status") or "Unshipped"), quantity=int(body.get("quantity", 1)),
                                  channel=str(body.get("channel") or "MFN"))  # fmt: skip
            return 200, {"ids": ids}
        if path == "/orders/status":
            self.set_order_status(list(body["ids"]), str(body["status"]))
            return 200, {"updated": len(body["ids"])}
        if path == "/reject":
            self.reject_items(list(body["keys"]), str(body["message"]))
            return 200, {"rejected": len(body["keys"])}
        if path == "/rate_limits":
            self.set_rate_limits(enabled=body.get("enabled"), scale=body.get("scale"))
            return 200, {"enabled": self.rate_limits, "scale": self.rate_scale}
        if path == "/tokens/expire":
            self.expire_tokens()
            return 200, {"expired": True}
        return None

    def fault_answer(self, fault: str, status: int) -> Answer:
        if fault == "429":
            return 429, errors("QuotaExceeded", "You exceeded your quota for the requested resource."), {
                "Retry-After": str(self.faults.retry_after)}
        return status, errors("InternalFailure", "We encountered an internal error. Please try again."), {}

    # ---- auth and buckets --------------------------------------------------------------------

    def _lwa(self, headers: Any, raw: bytes) -> Answer:
        if "application/x-www-form-urlencoded" not in (headers.get("Content-Type") or ""):
            return 400, {"error": "invalid_request", "error_description": "The request must be form-encoded."}, {}
        form = {k: v[0] for k, v in parse_qs(raw.decode(errors="replace")).items()}
        for name in ("grant_type", "client_id", "client_secret"):
            if not form.get(name):
                return 400, {"error": "invalid_request", "error_description": f"Missing parameter: {name}"}, {}
        if form["grant_type"] != "refresh_token":
            return 400, {"error": "unsupported_grant_type", "error_description": "Use refresh_token."}, {}
        if not (hmac.compare_digest(form["client_id"].encode(), self.client_id.encode())
                and hmac.compare_digest(form["client_secret"].encode(), self.client_secret.encode())):  # fmt: skip
            return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}, {}
        if not hmac.compare_digest(form.get("refresh_token", "").encode(), self.refresh_token.encode()):
            return 400, {"error": "invalid_grant",
                         "error_description": "The request has an invalid grant parameter : refresh_token"}, {}
        token = "Atza|" + secrets.token_urlsafe(48)
        with self._lock:
            self._tokens[token] = self.now() + self.token_lifetime
            self.token_exchanges += 1
        return 200, {"access_token": token, "refresh_token": self.refresh_token, "token_type": "bearer",
                     "expires_in": self.token_lifetime}, {"Cache-Control": "no-store"}  # fmt: skip

    def _authorise(self, headers: Any) -> None:
        token = headers.get("x-amz-access-token") or ""
        with self._lock:
            expires = self._tokens.get(token)
        if expires is None:
            raise SandboxError(403, errors("Unauthorized", "Access to requested resource is denied."))
        if expires <= self.now():
            raise SandboxError(403, errors("Unauthorized", "Access to requested resource is denied.",
                                            "The access token you provided has expired."))  # fmt: skip

    def _take_token(self, operation: str) -> dict[str, str]:
        rate, burst = data.LIMITS[operation]
        rate *= self.rate_scale
        headers = {"x-amzn-RateLimit-Limit": f"{rate:g}", "x-amzn-RequestId": secrets.token_hex(8)}
        with self._lock:
            now = self.now()
            allowed = True
            if self.rate_limits:
                tokens, last = self._buckets.get(operation, [float(burst), now])
                tokens = min(float(burst), tokens + (now - last) * rate)
                allowed = tokens >= 1 - 1e-6
                self._buckets[operation] = [tokens - 1 if allowed else tokens, now]
            if not operation.startswith("feedType:"):
                self.calls.append((operation, now, 200 if allowed else 429))
        if not allowed:
            raise SandboxError(429, errors("QuotaExceeded", "You exceeded your quota for the requested resource."),
                               headers)  # fmt: skip
        return headers

    # ---- routing -------------------------------------------------------------------------------

    def handle_api(self, method: str, path: str, query: dict[str, list[str]], headers: Any, raw: bytes) -> Answer:
        if path == "/auth/o2/token" and method == "POST":
            return self._lwa(headers, raw)
        if path.startswith("/tortuga/") and method in ("GET", "PUT"):
            return self._document(method, path.removeprefix("/tortuga/"), query, headers, raw)
        self._authorise(headers)
        operation, handler = self._route(method, path)
        limit_headers = self._take_token(operation)
        body = json_body(raw, errors("InvalidInput", "The request body is not JSON.")) if raw else None
        status, answer = handler(query, body)
        return status, answer, limit_headers

    def _route(self, method: str, path: str) -> tuple[str, Any]:
        listing = LISTING_PATH.match(path)
        if listing:
            seller, sku = unquote(listing.group(1)), unquote(listing.group(2) or "")
            if seller != self.seller_id:
                raise SandboxError(403, errors("Unauthorized", "Access to requested resource is denied.",
                                                "The seller id is not the one this token was issued for."))
            return self._listing_route(method, sku)
        order = ORDER_PATH.match(path)
        if order:
            order_id, tail = unquote(order.group(1)), order.group(2) or ""
            if method == "GET" and not tail:
                return "getOrder", lambda q, b: (200, self._get_order(order_id))
            if method == "GET" and tail == "/orderItems":
                return "getOrderItems", lambda q, b: (200, self._get_items(order_id, q))
            if method == "POST" and tail == "/shipmentConfirmation":
                return "confirmShipment", lambda q, b: (204, self._confirm_shipment(order_id, b))
        routes = {
            ("GET", "/orders/v0/orders"): ("getOrders", lambda q, b: (200, self._get_orders(q))),
            ("GET", "/sellers/v1/marketplaceParticipations"): ("getMarketplaceParticipations", lambda q, b: (
                200, {"payload": [data.participation(m) for m in self.marketplace_ids]})),
            ("POST", "/feeds/2021-06-30/documents"): ("createFeedDocument", self._create_document),
            ("POST", "/feeds/2021-06-30/feeds"): ("createFeed", self._create_feed),
            ("GET", "/definitions/2020-09-01/productTypes"): ("searchDefinitionsProductTypes", self._product_types),
        }
        if (method, path) in routes:
            return routes[(method, path)]
        if method == "GET" and path.startswith("/feeds/2021-06-30/feeds/"):
            feed_id = unquote(path.rsplit("/", 1)[1])
            return "getFeed", lambda q, b: (200, self._get_feed(feed_id))
        if method == "GET" and path.startswith("/feeds/2021-06-30/documents/"):
            document_id = unquote(path.rsplit("/", 1)[1])
            return "getFeedDocument", lambda q, b: (200, self._get_document(document_id))
        if method == "GET" and path.startswith("/definitions/2020-09-01/productTypes/"):
            name = unquote(path.rsplit("/", 1)[1])
            return "getDefinitionsProductType", lambda q, b: (200, self._product_type(name, q))
        raise SandboxError(404, errors("NotFound", f"No operation at {method} {path}."))

    def _marketplace(self, query: dict[str, list[str]], name: str = "marketplaceIds") -> str:
        ids = [m for v in query.get(name) or [] for m in v.split(",") if m]
        if not ids:
            raise invalid_input(f"Missing required '{name}'.")
        if ids[0] not in self.marketplace_ids:
            raise invalid_input(f"The seller does not sell in marketplace {ids[0]}.")
        return ids[0]

    # ---- listings API --------------------------------------------------------------------------

    def _listing_route(self, method: str, sku: str) -> tuple[str, Any]:
        if not sku:
            if method != "GET":
                raise SandboxError(404, errors("NotFound", "No such operation."))
            return "searchListingsItems", self._search
        operations = {"GET": "getListingsItem", "PUT": "putListingsItem", "PATCH": "patchListingsItem",
                      "DELETE": "deleteListingsItem"}  # fmt: skip
        if method not in operations:
            raise SandboxError(404, errors("NotFound", "No such operation."))

        def handle(query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
            marketplace = self._marketplace(query)
            currency = MARKETPLACES[marketplace][2]
            with self._lock:
                if method == "GET":
                    listing = self._listings.get(sku)
                    if listing is None:
                        raise SandboxError(404, errors("NOT_FOUND", f"SKU '{sku}' not found in marketplace "
                                                        f"{marketplace}"))  # fmt: skip
                    return 200, {"sku": sku, "summaries": [{"marketplaceId": marketplace, "productType":
                                 listing["productType"], "status": ["BUYABLE"], "createdDate": listing["createdDate"],
                                 "lastUpdatedDate": listing["lastUpdatedDate"]}], "attributes": listing["attributes"],
                                 "issues": []}  # fmt: skip
                if method == "DELETE":
                    self._listings.pop(sku, None)
                    return 200, {"sku": sku, "status": "ACCEPTED", "submissionId": self.submission_id(), "issues": []}
                if not isinstance(body, dict) or not body.get("productType"):
                    raise invalid_input("'productType' is required.")
                preview = (query.get("mode") or [""])[0] == "VALIDATION_PREVIEW"
                if method == "PUT":
                    attributes = body.get("attributes")
                    issues = self._listing_issues(sku, str(body["productType"]), str(body.get("requirements")
                                                  or "LISTING"), attributes, marketplace, currency)  # fmt: skip
                    if not issues and not preview:
                        self._store(sku, str(body["productType"]), attributes)
                else:
                    problem = self._check_patches(body.get("patches"))
                    if problem:
                        raise invalid_input(problem)
                    attributes, issues = self._patch(sku, body["productType"], body["patches"], marketplace, currency)
                    if attributes is not None and not preview:
                        self._store(sku, self._listings[sku]["productType"], attributes)
            status = "INVALID" if issues else ("VALID" if preview else "ACCEPTED")
            return 200, {"sku": sku, "status": status, "submissionId": self.submission_id(), "issues": issues}

        return operations[method], handle

    def _search(self, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        self._marketplace(query)
        size = int((query.get("pageSize") or ["10"])[0] or 10)
        offset = int((query.get("pageToken") or ["0"])[0] or 0)
        with self._lock:
            skus = sorted(self._listings)
            page = [{"sku": s, "summaries": [{"productType": self._listings[s]["productType"]}]}
                    for s in skus[offset:offset + size]]  # fmt: skip
        answer: dict[str, Any] = {"numberOfResults": len(skus), "items": page}
        if offset + size < len(skus):
            answer["pagination"] = {"nextToken": str(offset + size)}
        return 200, answer

    # ---- product type definitions --------------------------------------------------------------

    def _product_types(self, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        marketplace = self._marketplace(query)
        return 200, {"productTypes": [{"name": name, "displayName": spec["displayName"], "marketplaceIds": [
            marketplace]} for name, spec in sorted(data.PRODUCT_TYPES.items())], "productTypeVersion": "U1.0"}

    def _product_type(self, name: str, query: dict[str, list[str]]) -> dict[str, Any]:
        marketplace = self._marketplace(query)
        if name not in data.PRODUCT_TYPES:
            raise SandboxError(404, errors("NotFound", f"Product type {name} not found."))
        document_id = f"schema-{name}"
        with self._lock:
            self._documents[document_id] = {"contentType": "application/json",
                                             "content": json.dumps(data.schema(name)).encode()}
        return {"productType": name, "displayName": data.PRODUCT_TYPES[name]["displayName"],
                "marketplaceIds": [marketplace], "requirements": "LISTING", "requirementsEnforced": "ENFORCED",
                "schema": {"link": {"resource": self.presigned_url(document_id, "GET"), "verb": "GET"},
                           "checksum": hashlib.md5(document_id.encode()).hexdigest()},  # noqa: S324
                "productTypeVersion": {"version": "U1.0", "latest": True}}


#: what `manage.py marketplace_sandbox amazon` serves and `seed_demo` connects to
DEMO: dict[str, Any] = {
    "port": data.DEMO_PORT,
    "base_path": "",
    "credentials": dict(data.DEMO_CREDENTIALS),
    "settings": {"adapter_options": {"lwa_url": f"http://127.0.0.1:{data.DEMO_PORT}/auth/o2/token",
                                     "brand": "MesChain Demo"}},
    "category_mappings": data.DEMO_CATEGORY_MAPPINGS,
}

__all__ = ["DEMO", "AmazonSandbox"]
