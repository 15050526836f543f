"""A local, in-memory stand-in for Trendyol's Seller (Partner) API.

Section numbers refer to the Trendyol part (§1) of the team's marketplace protocol notes.
Paths are relative to ``base_url`` (``http://host:port/integration``, like production's
``https://apigw.trendyol.com/integration``), so an adapter only swaps its base URL.

Implemented endpoints (§1.2):

======  =====================================================================  =========
method  path                                                                   notes
======  =====================================================================  =========
GET     /product/brands?page=&size=                                            §1.2
GET     /product/brands/by-name?name=                                          §1.2
GET     /product/product-categories                                            §1.2
GET     /product/categories/{categoryId}/attributes[?required=true|false]      §1.2, §1.3
GET     /product/categories/{categoryId}/attributes/{attributeId}/values       §1.2
GET     /product/product-categories/{categoryId}/attributes   (v1, with values) §1.2
POST    /product/sellers/{sellerId}/v2/products                                §1.3
POST    /product/sellers/{sellerId}/products/content-bulk-update               §1.2, §1.3
POST    /product/sellers/{sellerId}/products/unapproved-bulk-update            §1.2, §1.3
GET     /product/sellers/{sellerId}/products?page=&size=&barcode=&approved=    §1.2
GET     /product/sellers/{sellerId}/products/batch-requests/{batchRequestId}   §1.4
POST    /inventory/sellers/{sellerId}/products/price-and-inventory             §1.5
GET     /order/sellers/{sellerId}/orders  (and .../v2/orders)                  §1.6
GET     /order/sellers/{sellerId}/orders/stream                                §1.6
PUT     /order/sellers/{sellerId}/shipment-packages/{packageId}                §1.6
======  =====================================================================  =========

Behaviour (§1.1, §1.7): a ``User-Agent`` that is missing or not ``"<sellerId> - <Name>"``
(name alphanumeric, at most 30 characters, e.g. ``SelfIntegration``) → 403; bad Basic
credentials → 401 with ``"exception": "ClientApiAuthenticationException"``; a path whose
seller id is not the authenticated seller's → 403. Bodies of more than 1,000 items → 400.
Product creation, product content updates and price/stock updates answer
``{"batchRequestId": …}`` and are applied asynchronously (after ``batch_delay`` seconds);
the batch result lists every item with ``status`` SUCCESS/FAILED and ``failureReasons``.
Price/stock batch results carry no batch-level ``status`` (§1.4). An identical price/stock
item (same barcode and values) accepted within the last 15 minutes is refused (§1.5).
Results are kept 4 hours.
Content updates (batch types ``ProductV2ContentUpdate`` for approved products via
content-bulk-update, ``ProductV2UnapprovedUpdate`` for not yet approved ones via
unapproved-bulk-update) need an existing barcode in the matching approval state and the same
content rules as a create (no "already exists" rule); quantity, prices and currencyType are
ignored (they go through price-and-inventory); an approved product's varianter/slicer
attribute values cannot change (§1.3). A success replaces the content fields sent and moves
``lastUpdateDate``. Per-minute rate limits follow the "current" figures of §1.7 (answer
429 + Retry-After); both update routes share the ``product_update`` group (update 1000/min).

Order packages carry both the old and the renamed field names of the 2025-12-08
announcement (§1.6) unless ``field_names`` is ``"old"`` or ``"new"``. The seller may move
a package only Created → Picking → Invoiced (Invoiced needs ``params.invoiceNumber`` and
every line with its full quantity); everything else → 400.

Simplified or inferred (notes mark these L/M or say nothing): error bodies are
``{"timestamp", "exception", "errors": [{"key", "message", "errorParams"}]}``; failure
messages are English (except the 15-minute refusal, quoted from the notes); the date
filter of the package list applies to the last-modified date when ``orderByField`` is
``PackageLastModifiedDate`` (the default) and to the order date for ``CreatedDate``;
products are approved as soon as their create batch completes (``auto_approve``); an
update item is the full content of a create item, and its batch result item is shaped like
a create's (``requestItem.product``); an updated approved product stays approved;
an unknown ``storeFrontCode`` header → 400 ``invalid.storefrontcode`` but every storefront
shares one catalogue; variant/delivery update, delete/archive, the per-barcode price limit
of 2026-09, claims, addresses, webhooks and tracking numbers are not implemented.

Fault injection, the recorded requests, the movable clock and the common ``/__sandbox/``
control endpoints (``state``, ``faults``, ``clock``, ``reset``) come from
:class:`~marketplaces.sandbox.base.SandboxServer`; injected errors and 404s have Trendyol's
error body. Trendyol's own control endpoints (no auth): ``POST /__sandbox/orders``
(``{"count", "barcodes"?, "status"?, "sellerId"?, "createdAt"? (ms), "interval"? (s)}``),
``POST /__sandbox/packages/{id}/status`` (Trendyol-side transitions such as Shipped or
Cancelled), ``POST /__sandbox/approve`` and ``POST /__sandbox/reject`` (``{"keys", "message"}``:
refuse those barcodes' create and price/stock items with that message). ``GET
/__sandbox/state`` also counts each seller's products, batches and packages.

The catalogue and content rules are in :mod:`~marketplaces.sandbox.trendyol_catalog`, the
batches of products and price/stock updates in :mod:`~marketplaces.sandbox.trendyol_products`
and the order packages in :mod:`~marketplaces.sandbox.trendyol_orders`.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

from marketplaces.sandbox.base import Answer, SandboxServer, basic_credentials
from marketplaces.sandbox.trendyol_catalog import CatalogMixin
from marketplaces.sandbox.trendyol_common import SandboxError, Seller, error_body, ms
from marketplaces.sandbox.trendyol_orders import PACKAGE_STATUSES, PackagesMixin
from marketplaces.sandbox.trendyol_products import (
    IDENTICAL_REQUEST_MESSAGE,
    IDENTICAL_WINDOW_SECONDS,
    ProductsMixin,
)

API_PREFIX = "/integration"

# Requests per minute per seller and group (§1.7, "current" limits); None = unlimited.
# "product_update" is §1.7's product "update" limit, counted apart from package updates.
DEFAULT_RATE_LIMITS: dict[str, int | None] = {
    "create": 1000, "update": 1000, "product_update": 1000, "price_inventory": None, "batch": 1000,
    "filter": 2000, "brands": 50, "categories": 50, "orders": 1000,
}
USER_AGENT_RE = re.compile(r"^\s*(\d+) - ([A-Za-z0-9]{1,30})\s*$")
STOREFRONT_CODES = frozenset(("TR", "AE", "SA", "QA", "KW", "BH", "OM", "DE", "AZ", "RO", "CZ", "HU", "SK", "BG", "GR"))

__all__ = ["API_PREFIX", "IDENTICAL_REQUEST_MESSAGE", "PACKAGE_STATUSES", "SandboxError", "TrendyolSandbox",
           "error_body"]  # fmt: skip


#: what `seed_demo` connects to `manage.py marketplace_sandbox trendyol` (its defaults)
DEMO: dict[str, Any] = {
    "port": 8100,
    "base_path": API_PREFIX,
    "credentials": {"seller_id": "100000", "api_key": "sandbox-api-key", "api_secret": "sandbox-api-secret"},
    "settings": {"default_brand_id": 1791},
    # our category → (sandbox leaf category id, its name, the attribute values it requires)
    "category_mappings": {
        "Tişört": ("600", "T-Shirt", {"47": 686, "338": 4603}),  # Renk: Siyah, Beden: M
        "Gömlek": ("601", "Gömlek", {"47": 687, "338": 4604}),  # Renk: Beyaz, Beden: L
        "Telefon Kılıfı": ("1072", "Telefon Kılıfı", {"700": 7001, "14": 108}),  # Apple, Silikon
        "Kupa": ("2002", "Kupa & Bardak", {"800": 8002, "14": 107}),  # 350 ml, Seramik
    },
}


class TrendyolSandbox(CatalogMixin, ProductsMixin, PackagesMixin, SandboxServer):
    """Run with ``TrendyolSandbox(...).start()``; ``base_url`` is what an adapter uses."""

    name = "trendyol"
    api_prefix = API_PREFIX
    json_content_type = "application/json;charset=UTF-8"

    def __init__(
        self,
        seller_id: str | int = "100000",
        api_key: str = "sandbox-api-key",
        api_secret: str = "sandbox-api-secret",  # noqa: S107 - a throwaway local credential
        port: int = 0,
        host: str = "127.0.0.1",
        *,
        seed: int = 0,
        fail_rate: float = 0.0,
        rate_limit_rate: float | None = None,
        error_rate: float | None = None,
        drop_rate: float | None = None,
        delay: float = 0.0,
        slow_rate: float = 1.0,
        retry_after: int = 1,
        drop_phase: str = "before",
        batch_delay: float = 0.0,
        auto_approve: bool = True,
        strict_attributes: bool = True,
        rate_limits: dict[str, int | None] | bool = True,
        identical_window: float = IDENTICAL_WINDOW_SECONDS,
        field_names: str = "both",
        orders: int = 0,
        order_barcodes: list[str] | None = None,
    ) -> None:
        if field_names not in ("both", "old", "new"):
            raise ValueError("field_names must be 'both', 'old' or 'new'")
        super().__init__(host=host, port=port, seed=seed, fail_rate=fail_rate, rate_limit_rate=rate_limit_rate,
                         error_rate=error_rate, drop_rate=drop_rate, delay=delay, slow_rate=slow_rate,
                         retry_after=retry_after, drop_phase=drop_phase)  # fmt: skip
        self.batch_delay = batch_delay
        self.auto_approve = auto_approve
        self.strict_attributes = strict_attributes
        self.identical_window = identical_window
        self.field_names = field_names
        if rate_limits is True:
            self.rate_limits: dict[str, int | None] = dict(DEFAULT_RATE_LIMITS)
        elif rate_limits is False:
            self.rate_limits = {}
        else:
            self.rate_limits = {**DEFAULT_RATE_LIMITS, **rate_limits}
        self._sellers: dict[str, Seller] = {}
        self._by_credentials: dict[tuple[str, str], str] = {}
        self.primary_seller_id = str(seller_id)
        self.add_seller(seller_id, api_key, api_secret)
        self._data_rng = random.Random(f"trendyol-data-{seed}")  # noqa: S311 - repeatable test data
        self._next_package_id = 3_300_000_001
        self._next_line_id = 4_400_000_001
        self._next_order_number = 10_100_000_001
        self.rejected: dict[str, str] = {}  # barcode -> the reason every create/price item of it gets
        if orders:
            self.add_packages(orders, barcodes=order_barcodes)

    # ---- configuration -----------------------------------------------------------------

    def add_seller(self, seller_id: str | int, api_key: str, api_secret: str) -> None:
        """Register another seller account with its own credentials and state."""
        seller_id = str(seller_id)
        with self._lock:
            self._sellers[seller_id] = Seller(seller_id, api_key, api_secret)
            self._by_credentials[(api_key, api_secret)] = seller_id

    def user_agent(self, seller_id: str | int | None = None) -> str:
        """The User-Agent Trendyol requires for own software (§1.1)."""
        return f"{seller_id or self.primary_seller_id} - SelfIntegration"

    def credentials(self, seller_id: str | int | None = None) -> tuple[str, str]:
        seller = self._seller(seller_id)
        return seller.api_key, seller.api_secret

    def reset(self) -> None:
        """Forget products, batches, packages, requests and rate windows (sellers and faults stay)."""
        with self._lock:
            super().reset()
            self.rejected.clear()
            for seller in self._sellers.values():
                self._sellers[seller.seller_id] = Seller(seller.seller_id, seller.api_key, seller.api_secret)

    def _seller(self, seller_id: str | int | None) -> Seller:
        return self._sellers[str(seller_id or self.primary_seller_id)]

    # ---- the base server's hooks ---------------------------------------------------------

    def fault_answer(self, fault: str, status: int) -> Answer:
        now_ms = ms(self.now())
        if fault == "429":
            return 429, error_body("TooManyRequestsException", "Too many requests, try again later.",
                                   now_ms=now_ms), {"Retry-After": str(self.faults.retry_after)}  # fmt: skip
        exception = "ServiceUnavailableException" if status == 503 else "InternalServerErrorException"
        return status, error_body(exception, "Sistemsel bir sorun meydana geldi, tekrar deneyiniz.", now_ms=now_ms), {}

    def not_found(self, path: str) -> Answer:
        return 404, error_body("NotFoundException", f"No service at {path}.", now_ms=ms(self.now())), {}

    def state(self) -> dict[str, Any]:
        self._settle()
        return {"sellers": {sid: {"products": len(s.products), "batches": len(s.batches), "packages": len(s.packages)}
                            for sid, s in self._sellers.items()}}  # fmt: skip

    def control(self, method: str, path: str, body: Any) -> tuple[int, Any] | None:
        if method != "POST":
            return None
        if path == "/orders":
            ids = self.add_packages(int(body.get("count", 1)), barcodes=body.get("barcodes"),
                                    seller_id=body.get("sellerId"), status=body.get("status", "Created"),
                                    created_at=body.get("createdAt") and body["createdAt"] / 1000,
                                    interval=float(body.get("interval", 0)))  # fmt: skip
            return 201, {"shipmentPackageIds": ids}
        match = re.fullmatch(r"/packages/(\d+)/status", path)
        if match:
            self.set_package_status(int(match.group(1)), body["status"], seller_id=body.get("sellerId"))
            return 200, self.package(int(match.group(1)), seller_id=body.get("sellerId"))
        if path == "/approve":
            count = self.approve(body["barcodes"], bool(body.get("approved", True)), seller_id=body.get("sellerId"))
            return 200, {"changed": count}
        if path == "/reject":
            self.reject_items(list(body["keys"]), str(body["message"]))
            return 200, {"rejected": len(body["keys"])}
        return None

    # ---- request handling -------------------------------------------------------------------

    def _authenticate(self, headers: Any) -> Seller:
        agent = headers.get("User-Agent") or ""
        match = USER_AGENT_RE.match(agent)
        if not match:
            raise SandboxError(403, "ClientApiAuthorizationException",
                               "User-Agent must be '<sellerId> - <IntegratorName>' "
                               "(for own software '<sellerId> - SelfIntegration').", "user.agent.required")
        credentials = basic_credentials(headers)
        seller_id = None if credentials is None else self._by_credentials.get(credentials)
        if seller_id is None:
            raise SandboxError(401, "ClientApiAuthenticationException",
                               "Authentication failed: check the API key and API secret.")
        if match.group(1) != seller_id:
            raise SandboxError(403, "ClientApiAuthorizationException",
                               "The seller id in the User-Agent does not match the credentials.",
                               "user.agent.seller.mismatch")
        return self._sellers[seller_id]

    def _rate_limit(self, seller: Seller, group: str) -> None:
        limit = self.rate_limits.get(group)
        if not limit:
            return
        now = self.now()
        minute = int(now // 60)
        window, count = seller.rate_windows.get(group, (minute, 0))
        if window != minute:
            window, count = minute, 0
        if count >= limit:
            retry = max(1, int(60 - now % 60))
            raise SandboxError(429, "TooManyRequestsException",
                               f"Too many requests: at most {limit} per minute for this service.",
                               headers={"Retry-After": str(retry)})
        seller.rate_windows[group] = (window, count + 1)

    def handle_api(self, method: str, path: str, query: dict[str, list[str]], headers: Any,
                   raw_body: bytes) -> Answer:  # fmt: skip
        """Answer one API request: (status, JSON-able body or None, extra headers)."""
        try:
            return self._answer(method, path, query, headers, raw_body)
        except SandboxError as exc:
            exc.body["timestamp"] = ms(self.now())  # errors are stamped with the sandbox clock
            raise

    def _answer(self, method: str, path: str, query: dict[str, list[str]], headers: Any, raw_body: bytes) -> Answer:
        if not path.startswith("/"):  # e.g. ``/integrationX``: not under the API prefix at all
            raise SandboxError(404, "NotFoundException", f"No service at {API_PREFIX}{path}.")
        route = _match_route(method, path)
        with self._lock:
            self._settle()
            seller = self._authenticate(headers)
            if route is None:
                raise SandboxError(404, "NotFoundException", f"No service at {path}.")
            if route == "method":
                raise SandboxError(405, "MethodNotAllowedException", f"{method} is not allowed on {path}.")
            handler_name, group, params = route
            if "sellerId" in params and params["sellerId"] != seller.seller_id:
                raise SandboxError(403, "ClientApiAuthorizationException",
                                   "You may not access another seller's resources.", "seller.mismatch")
            storefront = headers.get("storeFrontCode")
            if storefront is not None and storefront.upper() not in STOREFRONT_CODES:
                raise SandboxError(400, "BadRequestException", f"Unknown storeFrontCode {storefront}.",
                                   "invalid.storefrontcode")
            self._rate_limit(seller, group)
            body = None
            if method in ("POST", "PUT"):
                content_type = headers.get("Content-Type") or ""
                if "json" not in content_type:
                    raise SandboxError(415, "UnsupportedMediaTypeException", "Send application/json.")
                try:
                    body = json.loads(raw_body or b"null")
                except (ValueError, UnicodeDecodeError) as exc:
                    raise SandboxError(400, "BadRequestException", "The body is not valid JSON.") from exc
            result = getattr(self, handler_name)(seller, params, query, body)
            self._settle()
            return 200, result, {}


ROUTES: list[tuple[str, re.Pattern[str], str, str]] = [
    (method, re.compile("^" + pattern + "$"), handler, group)
    for method, pattern, handler, group in [
        ("GET", r"/product/brands", "_brands", "brands"),
        ("GET", r"/product/brands/by-name", "_brands_by_name", "brands"),
        ("GET", r"/product/product-categories", "_category_tree", "categories"),
        ("GET", r"/product/categories/(?P<categoryId>\d+)/attributes", "_category_attributes", "categories"),
        ("GET", r"/product/categories/(?P<categoryId>\d+)/attributes/(?P<attributeId>\d+)/values",
         "_attribute_values", "categories"),
        ("GET", r"/product/product-categories/(?P<categoryId>\d+)/attributes", "_category_attributes_v1", "categories"),
        ("POST", r"/product/sellers/(?P<sellerId>\d+)/v2/products", "_create_products", "create"),
        ("POST", r"/product/sellers/(?P<sellerId>\d+)/products/content-bulk-update", "_content_update",
         "product_update"),
        ("POST", r"/product/sellers/(?P<sellerId>\d+)/products/unapproved-bulk-update", "_unapproved_update",
         "product_update"),
        ("GET", r"/product/sellers/(?P<sellerId>\d+)/products", "_filter_products", "filter"),
        ("GET", r"/product/sellers/(?P<sellerId>\d+)/products/batch-requests/(?P<batchRequestId>[A-Za-z0-9-]+)",
         "_batch_result", "batch"),
        ("POST", r"/inventory/sellers/(?P<sellerId>\d+)/products/price-and-inventory", "_price_inventory",
         "price_inventory"),
        ("GET", r"/order/sellers/(?P<sellerId>\d+)/(?:v2/)?orders", "_list_packages", "orders"),
        ("GET", r"/order/sellers/(?P<sellerId>\d+)/orders/stream", "_stream_packages", "orders"),
        ("PUT", r"/order/sellers/(?P<sellerId>\d+)/shipment-packages/(?P<packageId>\d+)", "_update_package", "update"),
    ]
]


def _match_route(method: str, path: str) -> tuple[str, str, dict[str, str]] | str | None:
    wrong_method = False
    for route_method, pattern, handler, group in ROUTES:
        match = pattern.match(path)
        if match:
            if route_method == method:
                return handler, group, match.groupdict()
            wrong_method = True
    return "method" if wrong_method else None

