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

Fault injection (all deterministic for a given ``seed`` and request order; never applied to
the ``/__sandbox/`` control endpoints): ``rate_limit_rate`` (429 with Retry-After),
``error_rate`` (500/502/503/504), ``drop_rate`` (connection closed without an answer,
``drop_phase`` "before" or "after" the request was processed), ``delay`` seconds on a
``slow_rate`` fraction of requests. ``fail_rate`` splits evenly into the first three.

Control endpoints (no auth): ``GET /__sandbox/state``, ``POST /__sandbox/faults``,
``POST /__sandbox/orders`` (``{"count", "barcodes"?, "status"?, "sellerId"?, "createdAt"? (ms),
"interval"? (s)}``),
``POST /__sandbox/packages/{id}/status`` (Trendyol-side transitions such as Shipped or
Cancelled), ``POST /__sandbox/approve``, ``POST /__sandbox/reject`` (``{"keys", "message"}``:
refuse those barcodes' create and price/stock items with that message), ``POST /__sandbox/clock`` (``{"advance": s}``)
and ``POST /__sandbox/reset``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import json
import random
import re
import socket
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from marketplaces.sandbox.trendyol_data import (
    ATTRIBUTES,
    BRANDS,
    BRANDS_BY_ID,
    CATEGORIES_BY_ID,
    CATEGORY_ATTRIBUTES,
    CATEGORY_TREE,
    LEAF_CATEGORY_IDS,
)

API_PREFIX = "/integration"
CONTROL_PREFIX = "/__sandbox"
MAX_BATCH_ITEMS = 1000
MAX_STOCK = 20000
IDENTICAL_WINDOW_SECONDS = 15 * 60
BATCH_RETENTION_SECONDS = 4 * 60 * 60
MAX_PACKAGE_PAGE_SIZE = 200
PACKAGE_RECORD_WINDOW = 10000
PACKAGE_LOOKBACK_SECONDS = 90 * 24 * 3600
STREAM_MAX_WINDOW_SECONDS = 14 * 24 * 3600
TURKEY_OFFSET_MS = 3 * 3600 * 1000
IDENTICAL_REQUEST_MESSAGE = "15 dakika boyunca aynı isteği tekrarlı olarak atamazsınız!"

PACKAGE_STATUSES = (
    "Awaiting", "Created", "Picking", "Invoiced", "Shipped", "Delivered", "UnDelivered",
    "Cancelled", "Returned", "Repack", "UnPacked", "UnSupplied",
)
# What the seller may push (§1.6): target status -> allowed current statuses.
SELLER_TRANSITIONS = {"Picking": ("Created",), "Invoiced": ("Picking",)}

# Requests per minute per seller and group (§1.7, "current" limits); None = unlimited.
# "product_update" is §1.7's product "update" limit, counted apart from package updates.
DEFAULT_RATE_LIMITS: dict[str, int | None] = {
    "create": 1000, "update": 1000, "product_update": 1000, "price_inventory": None, "batch": 1000,
    "filter": 2000, "brands": 50, "categories": 50, "orders": 1000,
}
# Batch types of product content updates (§1.4) -> whether they are for approved products.
CONTENT_UPDATE_TYPES = {"ProductV2ContentUpdate": True, "ProductV2UnapprovedUpdate": False}
# What a content update does not change: §1.5's fields and the state Trendyol keeps.
NON_CONTENT_FIELDS = frozenset(("quantity", "listPrice", "salePrice", "currencyType", "approved", "onSale",
                                "archived", "locked", "contentId", "createDateTime", "lastUpdateDate"))

# Field renames of the 2025-12-08 announcement (§1.6): new name -> old name.
PACKAGE_OLD_NAMES = {
    "shipmentPackageId": "id", "sellerId": "merchantId", "packageGrossAmount": "grossAmount",
    "packageSellerDiscount": "totalDiscount", "packageTyDiscount": "totalTyDiscount",
    "packageTotalPrice": "totalPrice",
}
LINE_OLD_NAMES = {
    "lineId": "id", "stockCode": "merchantSku", "sellerId": "merchantId",
    "lineGrossAmount": "amount", "lineSellerDiscount": "discount", "lineTyDiscount": "tyDiscount",
    "lineUnitPrice": "price", "contentId": "productCode", "vatRate": "vatBaseAmount",
}
PACKAGE_NEW_ONLY = ("cancelledBy", "cancelReason", "cancelReasonCode", "packageTotalDiscount")
LINE_NEW_ONLY = ("lineTotalDiscount",)

BARCODE_RE = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
USER_AGENT_RE = re.compile(r"^\s*(\d+) - ([A-Za-z0-9]{1,30})\s*$")
VAT_RATES = (0, 1, 10, 20)
STOREFRONT_CODES = frozenset(("TR", "AE", "SA", "QA", "KW", "BH", "OM", "DE", "AZ", "RO", "CZ", "HU", "SK", "BG", "GR"))

FIRST_NAMES = ("Ayşe", "Mehmet", "Zeynep", "Ahmet", "Elif", "Mustafa", "Fatma", "Can", "Deniz", "Emre")
LAST_NAMES = ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Aydın", "Öztürk", "Arslan", "Doğan")
CITIES = (("İstanbul", 34, "Kadıköy"), ("Ankara", 6, "Çankaya"), ("İzmir", 35, "Karşıyaka"),
          ("Bursa", 16, "Nilüfer"), ("Antalya", 7, "Muratpaşa"))
CARGO_PROVIDERS = ("Trendyol Express Marketplace", "Yurtiçi Kargo Marketplace", "Aras Kargo Marketplace")


class SandboxError(Exception):
    """An error answer: HTTP status, Trendyol-style exception name and message."""

    def __init__(self, status: int, exception: str, message: str, key: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.exception = exception
        self.message = message
        self.key = key or exception
        self.headers = headers or {}


def error_body(exception: str, message: str, key: str | None = None, now_ms: int | None = None) -> dict[str, Any]:
    """The JSON body of an error answer."""
    return {
        "timestamp": now_ms if now_ms is not None else int(time.time() * 1000),
        "exception": exception,
        "errors": [{"key": key or exception, "message": message, "errorParams": []}],
    }


@dataclass
class Faults:
    """Fault-injection switches; fractions are in [0, 1]."""

    rate_limit_rate: float = 0.0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    delay: float = 0.0
    slow_rate: float = 1.0
    retry_after: int = 1
    drop_phase: str = "before"

    def validate(self) -> None:
        for name in ("rate_limit_rate", "error_rate", "drop_rate", "slow_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.rate_limit_rate + self.error_rate + self.drop_rate > 1.0:
            raise ValueError("rate_limit_rate + error_rate + drop_rate must not exceed 1")
        if self.delay < 0 or self.retry_after < 0:
            raise ValueError("delay and retry_after must not be negative")
        if self.drop_phase not in ("before", "after"):
            raise ValueError("drop_phase must be 'before' or 'after'")


@dataclass
class RecordedRequest:
    """One API request as the sandbox saw it (control endpoints are not recorded)."""

    method: str
    path: str
    query: str
    status: int | None  # None: the connection was dropped
    fault: str | None  # "429", "5xx", "drop" or None
    body: Any = None


@dataclass
class _Seller:
    seller_id: str
    api_key: str
    api_secret: str
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    accepted_price_items: dict[str, float] = field(default_factory=dict)  # fingerprint -> time
    packages: dict[int, dict[str, Any]] = field(default_factory=dict)
    rate_windows: dict[str, tuple[int, int]] = field(default_factory=dict)  # group -> (minute, count)


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def _money(value: float) -> float:
    return round(value + 0.0, 2)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class TrendyolSandbox:
    """Run with ``TrendyolSandbox(...).start()``; ``base_url`` is what an adapter uses."""

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
        self.host = host
        self.port = port
        self.seed = seed
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
        self._lock = threading.RLock()
        self._clock_offset = 0.0
        self._sellers: dict[str, _Seller] = {}
        self._by_credentials: dict[tuple[str, str], str] = {}
        self.primary_seller_id = str(seller_id)
        self.add_seller(seller_id, api_key, api_secret)
        self.faults = Faults()
        self.set_faults(fail_rate=fail_rate, rate_limit_rate=rate_limit_rate, error_rate=error_rate,
                        drop_rate=drop_rate, delay=delay, slow_rate=slow_rate, retry_after=retry_after,
                        drop_phase=drop_phase, seed=seed)
        self._data_rng = random.Random(f"trendyol-data-{seed}")  # noqa: S311 - repeatable test data
        self._next_package_id = 3_300_000_001
        self._next_line_id = 4_400_000_001
        self._next_order_number = 10_100_000_001
        self.requests: list[RecordedRequest] = []
        self.rejected: dict[str, str] = {}  # barcode -> the reason every create/price item of it gets
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        if orders:
            self.add_packages(orders, barcodes=order_barcodes)

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> TrendyolSandbox:
        """Start serving in a background thread; returns self."""
        handler = _make_handler(self)
        server = ThreadingHTTPServer((self.host, self.port), handler)
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="trendyol-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> TrendyolSandbox:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API base URL (the counterpart of ``https://apigw.trendyol.com/integration``)."""
        return self.root_url + API_PREFIX

    @property
    def control_url(self) -> str:
        return self.root_url + CONTROL_PREFIX

    # ---- configuration -----------------------------------------------------------------

    def add_seller(self, seller_id: str | int, api_key: str, api_secret: str) -> None:
        """Register another seller account with its own credentials and state."""
        seller_id = str(seller_id)
        with self._lock:
            self._sellers[seller_id] = _Seller(seller_id, api_key, api_secret)
            self._by_credentials[(api_key, api_secret)] = seller_id

    def user_agent(self, seller_id: str | int | None = None) -> str:
        """The User-Agent Trendyol requires for own software (§1.1)."""
        return f"{seller_id or self.primary_seller_id} - SelfIntegration"

    def credentials(self, seller_id: str | int | None = None) -> tuple[str, str]:
        seller = self._seller(seller_id)
        return seller.api_key, seller.api_secret

    def set_faults(self, *, seed: int | None = None, fail_rate: float | None = None, **changes: Any) -> Faults:
        """Change the fault switches; ``seed`` restarts the fault sequence."""
        with self._lock:
            current = self.faults.__dict__.copy() if hasattr(self, "faults") else {}
            if fail_rate is not None:  # splits evenly into the three unless one is given
                share = fail_rate / 3
                for name in ("rate_limit_rate", "error_rate", "drop_rate"):
                    if changes.get(name) is None:
                        changes[name] = share
            values = {**current, **{k: v for k, v in changes.items() if v is not None}}
            faults = Faults(**values)
            faults.validate()
            self.faults = faults
            if seed is not None or not hasattr(self, "_fault_rng"):
                self.seed = self.seed if seed is None else seed
                self._fault_rng = random.Random(f"trendyol-faults-{self.seed}")  # noqa: S311 - repeatable faults
            return faults

    def now(self) -> float:
        """The sandbox clock (wall time plus any ``advance_clock``), in seconds."""
        return time.time() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        with self._lock:
            self._clock_offset += seconds

    def reject_items(self, barcodes: list[str], message: str) -> None:
        """Refuse every create and price/stock item of these barcodes with `message` (tests)."""
        with self._lock:
            self.rejected.update(dict.fromkeys(barcodes, message))

    def reset(self) -> None:
        """Forget products, batches, packages, requests and rate windows (sellers and faults stay)."""
        with self._lock:
            self.rejected.clear()
            for seller in self._sellers.values():
                self._sellers[seller.seller_id] = _Seller(seller.seller_id, seller.api_key, seller.api_secret)
            self.requests.clear()

    # ---- state accessors ----------------------------------------------------------------

    def _seller(self, seller_id: str | int | None) -> _Seller:
        return self._sellers[str(seller_id or self.primary_seller_id)]

    def products(self, seller_id: str | int | None = None) -> dict[str, dict[str, Any]]:
        """Products by barcode, as stored after their batches completed."""
        with self._lock:
            self._settle()
            return copy.deepcopy(self._seller(seller_id).products)

    def product(self, barcode: str, seller_id: str | int | None = None) -> dict[str, Any] | None:
        """One product as stored (a copy), or None."""
        with self._lock:
            self._settle()
            return copy.deepcopy(self._seller(seller_id).products.get(barcode))

    def stock(self, barcode: str, seller_id: str | int | None = None) -> int | None:
        product = self.product(barcode, seller_id)
        return None if product is None else product["quantity"]

    def price(self, barcode: str, seller_id: str | int | None = None) -> tuple[float, float] | None:
        """(salePrice, listPrice) of a product, or None."""
        product = self.product(barcode, seller_id)
        return None if product is None else (product["salePrice"], product["listPrice"])

    def approve(self, barcodes: list[str], approved: bool = True, seller_id: str | int | None = None) -> int:
        with self._lock:
            self._settle()
            products = self._seller(seller_id).products
            changed = 0
            for barcode in barcodes:
                if barcode in products:
                    products[barcode]["approved"] = approved
                    products[barcode]["onSale"] = approved
                    changed += 1
            return changed

    def batch(self, batch_request_id: str, seller_id: str | int | None = None) -> dict[str, Any]:
        with self._lock:
            self._settle()
            return self._render_batch(self._seller(seller_id).batches[batch_request_id])

    def packages(self, seller_id: str | int | None = None) -> list[dict[str, Any]]:
        """Packages (with the configured field names), oldest first."""
        with self._lock:
            seller = self._seller(seller_id)
            return [self._render_package(p) for _, p in sorted(seller.packages.items())]

    def package(self, package_id: int, seller_id: str | int | None = None) -> dict[str, Any]:
        with self._lock:
            return self._render_package(self._seller(seller_id).packages[int(package_id)])

    @property
    def request_count(self) -> int:
        """API requests received (dropped and faulted ones included, control calls excluded)."""
        return len(self.requests)

    def count_requests(self, method: str | None = None, path_contains: str = "") -> int:
        with self._lock:
            return sum(1 for r in self.requests
                       if (method is None or r.method == method) and path_contains in r.path)

    # ---- generated orders ---------------------------------------------------------------

    def add_packages(
        self,
        count: int,
        *,
        barcodes: list[str] | None = None,
        seller_id: str | int | None = None,
        status: str = "Created",
        max_lines: int = 3,
        max_quantity: int = 3,
        created_at: float | None = None,
        interval: float = 0.0,
    ) -> list[int]:
        """Create ``count`` order packages with lines for the given barcodes (default: the
        seller's products, else synthetic barcodes); returns their shipmentPackageIds.

        The first package is created at ``created_at`` (sandbox clock seconds, default now),
        each next one ``interval`` seconds later."""
        if status not in PACKAGE_STATUSES:
            raise ValueError(f"unknown package status {status!r}")
        if count < 0 or max_lines < 1 or max_quantity < 1:
            raise ValueError("count must be >= 0, max_lines and max_quantity >= 1")
        with self._lock:
            self._settle()
            seller = self._seller(seller_id)
            rng = self._data_rng
            pool = list(barcodes or sorted(seller.products) or [f"SBX-{n:06d}" for n in range(1, 21)])
            start = self.now() if created_at is None else created_at
            ids = []
            for index in range(count):
                package_id = self._next_package_id
                self._next_package_id += 1
                order_number = str(self._next_order_number)
                self._next_order_number += 1
                picked = rng.sample(pool, k=min(len(pool), rng.randint(1, max_lines)))
                lines = []
                for barcode in picked:
                    product = seller.products.get(barcode, {})
                    unit = float(product.get("salePrice") or rng.randint(50, 900) + 0.9)
                    quantity = rng.randint(1, max_quantity)
                    gross = _money(unit * quantity)
                    seller_discount = _money(gross * rng.choice((0, 0, 0.05, 0.1)))
                    ty_discount = _money(gross * rng.choice((0, 0, 0, 0.05)))
                    lines.append({
                        "lineId": self._next_line_id, "quantity": quantity, "barcode": barcode,
                        "stockCode": product.get("stockCode", barcode), "productName": product.get("title", f"Ürün {barcode}"),
                        "contentId": product.get("contentId", 100000000 + zlib.crc32(barcode.encode()) % 899999999),
                        "lineUnitPrice": _money(unit), "lineGrossAmount": gross,
                        "lineSellerDiscount": seller_discount, "lineTyDiscount": ty_discount,
                        "lineTotalDiscount": _money(seller_discount + ty_discount),
                        "vatRate": product.get("vatRate", 20), "currencyCode": "TRY",
                        "orderLineItemStatusName": status, "sellerId": int(seller.seller_id),
                    })
                    self._next_line_id += 1
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                city, city_code, district = rng.choice(CITIES)
                address = {
                    "id": rng.randint(10_000_000, 99_999_999), "firstName": first, "lastName": last,
                    "fullName": f"{first} {last}", "address1": f"{rng.randint(1, 200)}. Sokak No:{rng.randint(1, 90)}",
                    "address2": "", "city": city, "cityCode": city_code, "district": district,
                    "postalCode": f"{city_code:02d}{rng.randint(100, 999)}", "countryCode": "TR",
                    "phone": None, "fullAddress": f"{district} / {city}",
                }
                gross = _money(sum(line["lineGrossAmount"] for line in lines))
                seller_discount = _money(sum(line["lineSellerDiscount"] for line in lines))
                ty_discount = _money(sum(line["lineTyDiscount"] for line in lines))
                created = _ms(start + index * interval)
                seller.packages[package_id] = {
                    "shipmentPackageId": package_id, "orderNumber": order_number,
                    "sellerId": int(seller.seller_id), "customerId": rng.randint(1_000_000, 9_999_999),
                    "customerFirstName": first, "customerLastName": last,
                    "customerEmail": f"pf+{rng.randint(100000, 999999)}@trendyolmail.com",
                    "shipmentAddress": address, "invoiceAddress": dict(address),
                    "packageGrossAmount": gross, "packageSellerDiscount": seller_discount,
                    "packageTyDiscount": ty_discount, "packageTotalDiscount": _money(seller_discount + ty_discount),
                    "packageTotalPrice": _money(gross - seller_discount - ty_discount), "currencyCode": "TRY",
                    "status": status, "shipmentPackageStatus": status,
                    "orderDate": created + TURKEY_OFFSET_MS, "createdDate": created, "lastModifiedDate": created,
                    "cargoProviderName": rng.choice(CARGO_PROVIDERS),
                    "cargoTrackingNumber": 7_330_000_000_000 + package_id % 1_000_000_000,
                    "deliveryType": "normal", "fastDelivery": False, "invoiceNumber": None,
                    "cancelledBy": None, "cancelReason": None, "cancelReasonCode": None,
                    "packageHistories": [{"createdDate": created, "status": status}],
                    "lines": lines,
                }
                ids.append(package_id)
            return ids

    def set_package_status(self, package_id: int, status: str, seller_id: str | int | None = None) -> None:
        """A Trendyol-side transition (any status, e.g. Shipped, Delivered, Cancelled)."""
        if status not in PACKAGE_STATUSES:
            raise ValueError(f"unknown package status {status!r}")
        with self._lock:
            package = self._seller(seller_id).packages[int(package_id)]
            if status == "Cancelled":
                package.update(cancelledBy="customer", cancelReason="Vazgeçtim", cancelReasonCode=501)
            self._set_status(package, status)

    def _set_status(self, package: dict[str, Any], status: str) -> None:
        now = _ms(self.now())
        package["status"] = package["shipmentPackageStatus"] = status
        package["lastModifiedDate"] = max(now, package["lastModifiedDate"] + 1)
        package["packageHistories"].append({"createdDate": package["lastModifiedDate"], "status": status})
        for line in package["lines"]:
            line["orderLineItemStatusName"] = status

    # ---- rendering ----------------------------------------------------------------------

    def _render_package(self, package: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(package)
        lines = out["lines"]
        if self.field_names != "new":
            for new, old in PACKAGE_OLD_NAMES.items():
                out[old] = out[new]
            for line in lines:
                for new, old in LINE_OLD_NAMES.items():
                    line[old] = line[new]
        if self.field_names == "old":
            for new in (*PACKAGE_OLD_NAMES, *PACKAGE_NEW_ONLY):
                out.pop(new, None)
            for line in lines:
                for new in (*LINE_OLD_NAMES, *LINE_NEW_ONLY):
                    line.pop(new, None)
        return out

    def _render_batch(self, batch: dict[str, Any]) -> dict[str, Any]:
        done = batch["applied"]
        items = batch["results"] if done else []
        body: dict[str, Any] = {
            "batchRequestId": batch["id"],
            "items": items,
            "creationDate": _ms(batch["created"]),
            "lastModification": _ms(batch["due"] if done else batch["created"]),
            "sourceType": "API",
            "itemCount": len(batch["items"]),
            "failedItemCount": sum(1 for i in items if i["status"] == "FAILED"),
            "batchRequestType": batch["type"],
        }
        if batch["type"] != "ProductInventoryUpdate":  # §1.4: no batch status for price/stock
            body["status"] = "COMPLETED" if done else "IN_PROGRESS"
        return body

    # ---- asynchronous batch processing ----------------------------------------------------

    def _new_batch(self, seller: _Seller, kind: str, items: list[Any]) -> str:
        now = self.now()
        batch_id = f"{uuid.UUID(int=self._data_rng.getrandbits(128), version=4)}-{int(now)}"
        seller.batches[batch_id] = {"id": batch_id, "type": kind, "items": items, "created": now,
                                    "due": now + self.batch_delay, "applied": False, "results": []}
        return batch_id

    def _settle(self) -> None:
        """Apply every batch whose processing time has come, in submission order."""
        now = self.now()
        for seller in self._sellers.values():
            pending = [b for b in seller.batches.values() if not b["applied"] and b["due"] <= now]
            for batch in sorted(pending, key=lambda b: b["created"]):
                if batch["type"] == "ProductV2OnBoarding":
                    batch["results"] = [self._apply_product(seller, item, batch["due"]) for item in batch["items"]]
                elif batch["type"] in CONTENT_UPDATE_TYPES:
                    approved = CONTENT_UPDATE_TYPES[batch["type"]]
                    batch["results"] = [self._apply_update(seller, item, batch["due"], approved)
                                        for item in batch["items"]]
                else:
                    batch["results"] = [self._apply_price(seller, item, batch["due"]) for item in batch["items"]]
                batch["applied"] = True

    def _apply_product(self, seller: _Seller, item: Any, when: float) -> dict[str, Any]:
        reasons = self._product_failures(seller, item)
        result = {"requestItem": {"product": item}, "status": "FAILED" if reasons else "SUCCESS",
                  "failureReasons": reasons}
        if reasons:
            return result
        stored = copy.deepcopy(item)
        stored.setdefault("currencyType", "TRY")
        stored.setdefault("description", "")
        stored.setdefault("images", [])
        stored.setdefault("attributes", [])
        stored.update({
            "approved": self.auto_approve, "onSale": self.auto_approve, "archived": False, "locked": False,
            "contentId": 100000000 + len(seller.products) + 1,
            "brand": BRANDS_BY_ID[item["brandId"]]["name"], "categoryName": CATEGORIES_BY_ID[item["categoryId"]]["name"],
            "createDateTime": _ms(when), "lastUpdateDate": _ms(when),
        })
        seller.products[item["barcode"]] = stored
        return result

    def _product_failures(self, seller: _Seller, item: Any, *, update: bool = False) -> list[str]:
        """Why a create item (or, with ``update``, the content of an update item) is refused."""
        if not isinstance(item, dict):
            return ["Item must be a JSON object."]
        reasons: list[str] = [self.rejected[item["barcode"]]] if item.get("barcode") in self.rejected else []
        for name in ("barcode", "title", "productMainId", "stockCode"):
            if not isinstance(item.get(name), str) or not item[name].strip():
                reasons.append(f"{name} is required.")
        barcode = item.get("barcode")
        if isinstance(barcode, str) and barcode.strip():
            if not BARCODE_RE.match(barcode):
                reasons.append("barcode may contain only letters, digits and '.', '-', '_' (at most 40).")
            elif barcode in seller.products and not update:
                reasons.append(f"A product with barcode {barcode} already exists.")
        if isinstance(item.get("title"), str) and len(item["title"]) > 100:
            reasons.append("title must be at most 100 characters.")
        brand_id = item.get("brandId")
        if brand_id is None:
            reasons.append("brandId is required.")
        elif brand_id not in BRANDS_BY_ID:
            reasons.append(f"Brand {brand_id} was not found.")
        category_id = item.get("categoryId")
        if category_id is None:
            reasons.append("categoryId is required.")
        elif category_id not in CATEGORIES_BY_ID:
            reasons.append(f"Category {category_id} was not found.")
        elif category_id not in LEAF_CATEGORY_IDS:
            reasons.append(f"Category {category_id} is not a leaf category.")
        if not update:  # a content update ignores quantity, prices and currency (§1.5 owns them)
            reasons.extend(self._quantity_price_failures(item))
        vat = item.get("vatRate")
        if vat is None:
            reasons.append("vatRate is required.")
        elif vat not in VAT_RATES:
            reasons.append("vatRate must be one of 0, 1, 10, 20.")
        if not update and item.get("currencyType", "TRY") != "TRY":
            reasons.append("currencyType must be TRY.")
        delivery = item.get("deliveryOption")
        if isinstance(delivery, dict) and delivery.get("fastDeliveryType") and delivery.get("deliveryDuration") != 1:
            reasons.append("fastDeliveryType can be set only when deliveryDuration is 1.")
        if category_id in LEAF_CATEGORY_IDS:
            reasons.extend(self._attribute_failures(category_id, item.get("attributes") or []))
        return reasons

    @staticmethod
    def _quantity_price_failures(item: dict[str, Any]) -> list[str]:
        reasons: list[str] = []
        quantity = item.get("quantity")
        if quantity is None:
            reasons.append("quantity is required.")
        elif not _is_int(quantity) or quantity < 0:
            reasons.append("quantity must be a whole number, 0 or more.")
        elif quantity > MAX_STOCK:
            reasons.append(f"quantity must be at most {MAX_STOCK}.")
        prices_ok = True
        for name in ("listPrice", "salePrice"):
            value = item.get(name)
            if value is None:
                reasons.append(f"{name} is required.")
                prices_ok = False
            elif not _is_number(value) or value <= 0:
                reasons.append(f"{name} must be a number greater than 0.")
                prices_ok = False
        if prices_ok and item["listPrice"] < item["salePrice"]:
            reasons.append("listPrice cannot be lower than salePrice.")
        return reasons

    def _attribute_failures(self, category_id: int, attributes: Any) -> list[str]:
        if not isinstance(attributes, list):
            return ["attributes must be a list."]
        definitions = {a[0]: a for a in CATEGORY_ATTRIBUTES[category_id]}
        reasons: list[str] = []
        seen: set[int] = set()
        for attr in attributes:
            attr_id = attr.get("attributeId") if isinstance(attr, dict) else None
            if attr_id not in definitions:
                reasons.append(f"Attribute {attr_id} does not belong to category {category_id}.")
                continue
            seen.add(attr_id)
            _id, _required, allow_custom, _varianter, _slicer, allow_multiple = definitions[attr_id]
            name, values = ATTRIBUTES[attr_id]
            value_ids = attr.get("attributeValueIds")
            if value_ids is None and "attributeValueId" in attr:
                value_ids = [attr["attributeValueId"]]
            if value_ids is not None:
                if not isinstance(value_ids, list) or not value_ids:
                    reasons.append(f"attributeValueIds of {name} must be a non-empty list.")
                elif len(value_ids) > 1 and not allow_multiple:
                    reasons.append(f"{name} accepts a single value.")
                else:
                    reasons.extend(f"Value {v} is not valid for {name}." for v in value_ids if v not in values)
            elif attr.get("attributeValue") not in (None, ""):
                if not allow_custom:
                    reasons.append(f"{name} does not accept a custom value.")
            else:
                reasons.append(f"A value is required for {name}.")
        if self.strict_attributes:
            for attr_id, required, *_rest in definitions.values():
                if required and attr_id not in seen:
                    reasons.append(f"Required attribute {ATTRIBUTES[attr_id][0]} ({attr_id}) is missing.")
        return reasons

    def _apply_update(self, seller: _Seller, item: Any, when: float, approved: bool) -> dict[str, Any]:
        reasons = self._update_failures(seller, item, approved)
        result = {"requestItem": {"product": item}, "status": "FAILED" if reasons else "SUCCESS",
                  "failureReasons": reasons}
        if reasons:
            return result
        product = seller.products[item["barcode"]]
        product.update({k: copy.deepcopy(v) for k, v in item.items() if k not in NON_CONTENT_FIELDS})
        product.update({
            "brand": BRANDS_BY_ID[item["brandId"]]["name"], "categoryName": CATEGORIES_BY_ID[item["categoryId"]]["name"],
            "lastUpdateDate": max(_ms(when), product["lastUpdateDate"] + 1),
        })
        return result

    def _update_failures(self, seller: _Seller, item: Any, approved: bool) -> list[str]:
        if not isinstance(item, dict):
            return ["Item must be a JSON object."]
        barcode = item.get("barcode")
        if not isinstance(barcode, str) or not barcode.strip():
            return ["barcode is required."]
        product = seller.products.get(barcode)
        if product is None:
            return [f"Product with barcode {barcode} was not found."]
        if approved and not product["approved"]:
            return [f"Product {barcode} is not approved yet; send its changes to unapproved-bulk-update."]
        if not approved and product["approved"]:
            return [f"Product {barcode} is already approved; send its content changes to content-bulk-update."]
        reasons = self._product_failures(seller, item, update=True)
        if approved and not reasons:
            reasons = self._locked_attribute_failures(product, item)
        return reasons

    @staticmethod
    def _locked_attribute_failures(product: dict[str, Any], item: dict[str, Any]) -> list[str]:
        """§1.3: the varianter and slicer attributes of an approved product cannot change."""
        def values(attributes: list[Any]) -> dict[Any, Any]:
            out = {}
            for attr in attributes or []:
                ids = attr.get("attributeValueIds")
                if ids is None and "attributeValueId" in attr:
                    ids = [attr["attributeValueId"]]
                out[attr.get("attributeId")] = sorted(ids) if ids is not None else attr.get("attributeValue")
            return out

        before, after = values(product.get("attributes")), values(item.get("attributes"))
        return [f"{ATTRIBUTES[attr_id][0]} cannot change after approval (varianter/slicer attribute)."
                for attr_id, _req, _custom, varianter, slicer, _multi in CATEGORY_ATTRIBUTES[product["categoryId"]]
                if (varianter or slicer) and before.get(attr_id) != after.get(attr_id)]

    def _apply_price(self, seller: _Seller, item: Any, when: float) -> dict[str, Any]:
        reasons = self._price_failures(seller, item, when)
        result = {"requestItem": item, "status": "FAILED" if reasons else "SUCCESS", "failureReasons": reasons}
        if not reasons:
            product = seller.products[item["barcode"]]
            for name in ("quantity", "salePrice", "listPrice"):
                if name in item:
                    product[name] = item[name]
            product["lastUpdateDate"] = _ms(when)
            seller.accepted_price_items[self._fingerprint(item)] = when
        return result

    @staticmethod
    def _fingerprint(item: dict[str, Any]) -> str:
        return json.dumps({k: item.get(k) for k in ("barcode", "quantity", "salePrice", "listPrice")}, sort_keys=True)

    def _price_failures(self, seller: _Seller, item: Any, when: float) -> list[str]:
        if not isinstance(item, dict):
            return ["Item must be a JSON object."]
        barcode = item.get("barcode")
        if not isinstance(barcode, str) or not barcode:
            return ["barcode is required."]
        if barcode in self.rejected:
            return [self.rejected[barcode]]
        product = seller.products.get(barcode)
        if product is None:
            return [f"No product with barcode {barcode} was found."]
        if not product["approved"]:
            return [f"Product {barcode} is not approved yet; only approved products can be updated."]
        if not any(name in item for name in ("quantity", "salePrice", "listPrice")):
            return ["Send quantity, salePrice or listPrice."]
        reasons = []
        if "quantity" in item:
            quantity = item["quantity"]
            if not _is_int(quantity) or quantity < 0:
                reasons.append("quantity must be a whole number, 0 or more.")
            elif quantity > MAX_STOCK:
                reasons.append(f"quantity must be at most {MAX_STOCK}.")
        prices_ok = True
        for name in ("salePrice", "listPrice"):
            if name in item and (not _is_number(item[name]) or item[name] <= 0):
                reasons.append(f"{name} must be a number greater than 0.")
                prices_ok = False
        if prices_ok:
            sale = item.get("salePrice", product["salePrice"])
            listed = item.get("listPrice", product["listPrice"])
            if listed < sale:
                reasons.append("listPrice cannot be lower than salePrice.")
        if not reasons:
            last = seller.accepted_price_items.get(self._fingerprint(item))
            if last is not None and when - last < self.identical_window:
                reasons.append(IDENTICAL_REQUEST_MESSAGE)
        return reasons

    # ---- request handling -------------------------------------------------------------------

    def _draw_fault(self) -> tuple[str | None, bool, int]:
        """One deterministic draw per API request: (fault, slow, 5xx status)."""
        with self._lock:
            rng = self._fault_rng
            roll, slow_roll, status = rng.random(), rng.random(), rng.choice((500, 502, 503, 504))
            f = self.faults
            fault = None
            if roll < f.drop_rate:
                fault = "drop"
            elif roll < f.drop_rate + f.rate_limit_rate:
                fault = "429"
            elif roll < f.drop_rate + f.rate_limit_rate + f.error_rate:
                fault = "5xx"
            return fault, f.delay > 0 and slow_roll < f.slow_rate, status

    def _authenticate(self, headers: Any) -> _Seller:
        agent = headers.get("User-Agent") or ""
        match = USER_AGENT_RE.match(agent)
        if not match:
            raise SandboxError(403, "ClientApiAuthorizationException",
                               "User-Agent must be '<sellerId> - <IntegratorName>' "
                               "(for own software '<sellerId> - SelfIntegration').", "user.agent.required")
        auth = headers.get("Authorization") or ""
        seller_id = None
        if auth.startswith("Basic "):
            try:
                key, _, secret = base64.b64decode(auth[6:].strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                key = secret = ""
            seller_id = self._by_credentials.get((key, secret))
        if seller_id is None:
            raise SandboxError(401, "ClientApiAuthenticationException",
                               "Authentication failed: check the API key and API secret.")
        if match.group(1) != seller_id:
            raise SandboxError(403, "ClientApiAuthorizationException",
                               "The seller id in the User-Agent does not match the credentials.",
                               "user.agent.seller.mismatch")
        return self._sellers[seller_id]

    def _rate_limit(self, seller: _Seller, group: str) -> None:
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
                   raw_body: bytes) -> tuple[int, Any, dict[str, str]]:
        """Answer one API request: (status, JSON-able body or None, extra headers)."""
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

    # ---- API handlers (each gets seller, path params, query, JSON body) -------------------

    def _brands(self, seller: _Seller, params: dict, query: dict, body: Any) -> Any:
        page, size = _int_param(query, "page", 0), _int_param(query, "size", 1000)
        if size < 1 or size > 1000 or page < 0:
            raise SandboxError(400, "BadRequestException", "page must be >= 0 and size between 1 and 1000.")
        return {"brands": BRANDS[page * size:(page + 1) * size]}

    def _brands_by_name(self, seller: _Seller, params: dict, query: dict, body: Any) -> Any:
        name = (query.get("name") or [""])[0].strip().casefold()
        if not name:
            raise SandboxError(400, "BadRequestException", "name is required.")
        return [b for b in BRANDS if b["name"].casefold() == name]

    def _category_tree(self, seller: _Seller, params: dict, query: dict, body: Any) -> Any:
        return {"categories": copy.deepcopy(CATEGORY_TREE)}

    def _leaf(self, params: dict) -> int:
        category_id = int(params["categoryId"])
        if category_id not in CATEGORIES_BY_ID:
            raise SandboxError(404, "NotFoundException", f"Category {category_id} was not found.")
        if category_id not in LEAF_CATEGORY_IDS:
            raise SandboxError(400, "BadRequestException", f"Category {category_id} is not a leaf category.")
        return category_id

    def _category_attributes(self, seller: _Seller, params: dict, query: dict, body: Any,
                             with_values: bool = False) -> Any:
        category_id = self._leaf(params)
        required = (query.get("required") or [None])[0]
        out = []
        for attr_id, req, custom, varianter, slicer, multiple in CATEGORY_ATTRIBUTES[category_id]:
            if required in ("true", "false") and req != (required == "true"):
                continue
            name, values = ATTRIBUTES[attr_id]
            entry = {"categoryId": category_id, "attribute": {"id": attr_id, "name": name}, "required": req,
                     "allowCustom": custom, "varianter": varianter, "slicer": slicer,
                     "allowMultipleAttributeValues": multiple}
            if with_values:
                entry["attributeValues"] = [{"id": i, "name": n} for i, n in values.items()]
            out.append(entry)
        node = CATEGORIES_BY_ID[category_id]
        return {"id": category_id, "name": node["name"], "displayName": node["name"], "categoryAttributes": out}

    def _category_attributes_v1(self, seller: _Seller, params: dict, query: dict, body: Any) -> Any:
        return self._category_attributes(seller, params, query, body, with_values=True)

    def _attribute_values(self, seller: _Seller, params: dict, query: dict, body: Any) -> Any:
        category_id = self._leaf(params)
        attr_id = int(params["attributeId"])
        if attr_id not in {a[0] for a in CATEGORY_ATTRIBUTES[category_id]}:
            raise SandboxError(404, "NotFoundException", f"Attribute {attr_id} does not belong to category {category_id}.")
        page, size = _int_param(query, "page", 0), _int_param(query, "size", 1000)
        if not (0 <= page <= 1000 and 1 <= size <= 1000):
            raise SandboxError(400, "BadRequestException", "page must be 0-1000 and size 1-1000.")
        values = [{"attributeValueId": i, "attributeValueName": n} for i, n in ATTRIBUTES[attr_id][1].items()]
        return _page(values, page, size)

    @staticmethod
    def _items(body: Any) -> list[Any]:
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise SandboxError(400, "BadRequestException", "The body must be {\"items\": [...]}.")
        items = body["items"]
        if not items:
            raise SandboxError(400, "BadRequestException", "items must not be empty.")
        if len(items) > MAX_BATCH_ITEMS:
            raise SandboxError(400, "BadRequestException",
                               f"At most {MAX_BATCH_ITEMS} items may be sent in one request ({len(items)} sent).",
                               "items.size.exceeded")
        return items

    def _create_products(self, seller: _Seller, params: dict, query: dict, body: Any) -> Any:
        return {"batchRequestId": self._new_batch(seller, "ProductV2OnBoarding", self._items(body))}

    def _content_update(self, seller: _Seller, params: dict, query: dict, body: Any) -> Any:
        return {"batchRequestId": self._new_batch(seller, "ProductV2ContentUpdate", self._items(body))}

    def _unapproved_update(self, seller: _Seller, params: dict, query: dict, body: Any) -> Any:
        return {"batchRequestId": self._new_batch(seller, "ProductV2UnapprovedUpdate", self._items(body))}

    def _price_inventory(self, seller: _Seller, params: dict, query: dict, body: Any) -> Any:
        return {"batchRequestId": self._new_batch(seller, "ProductInventoryUpdate", self._items(body))}

    def _batch_result(self, seller: _Seller, params: dict, query: dict, body: Any) -> Any:
        batch = seller.batches.get(params["batchRequestId"])
        if batch is None or self.now() - batch["created"] > BATCH_RETENTION_SECONDS:
            raise SandboxError(404, "NotFoundException", "Batch request was not found.")
        return self._render_batch(batch)

    def _filter_products(self, seller: _Seller, params: dict, query: dict, body: Any) -> Any:
        page, size = _int_param(query, "page", 0), _int_param(query, "size", 50)
        if page < 0 or not 1 <= size <= 1000:
            raise SandboxError(400, "BadRequestException", "page must be >= 0 and size between 1 and 1000.")
        products = [p for _, p in sorted(seller.products.items())]
        barcode = (query.get("barcode") or [None])[0]
        if barcode:
            products = [p for p in products if p["barcode"] == barcode]
        approved = (query.get("approved") or [None])[0]
        if approved in ("true", "false"):
            products = [p for p in products if p["approved"] == (approved == "true")]
        return _page(copy.deepcopy(products), page, size)

    def _package_sort_key(self, field_name: str):
        return lambda p: (p[field_name], p["shipmentPackageId"])

    def _list_packages(self, seller: _Seller, params: dict, query: dict, body: Any) -> Any:
        page, size = _int_param(query, "page", 0), _int_param(query, "size", 50)
        if page < 0 or not 1 <= size <= MAX_PACKAGE_PAGE_SIZE:
            raise SandboxError(400, "BadRequestException", f"page must be >= 0 and size between 1 and {MAX_PACKAGE_PAGE_SIZE}.")
        if (page + 1) * size > PACKAGE_RECORD_WINDOW:
            raise SandboxError(400, "BadRequestException",
                               f"Only the first {PACKAGE_RECORD_WINDOW} records can be paged; narrow the dates.")
        order_by = (query.get("orderByField") or ["PackageLastModifiedDate"])[0]
        if order_by not in ("PackageLastModifiedDate", "CreatedDate"):
            raise SandboxError(400, "BadRequestException", "orderByField must be PackageLastModifiedDate or CreatedDate.")
        direction = (query.get("orderByDirection") or ["DESC"])[0].upper()
        if direction not in ("ASC", "DESC"):
            raise SandboxError(400, "BadRequestException", "orderByDirection must be ASC or DESC.")
        date_field = "lastModifiedDate" if order_by == "PackageLastModifiedDate" else "createdDate"
        now_ms = _ms(self.now())
        start = max(_int_param(query, "startDate", 0), now_ms - _ms(PACKAGE_LOOKBACK_SECONDS))
        end = _int_param(query, "endDate", now_ms)
        if end < start:
            raise SandboxError(400, "BadRequestException", "endDate must not be before startDate.")
        packages = [p for p in seller.packages.values() if start <= p[date_field] <= end]
        status = (query.get("status") or [None])[0]
        if status:
            if status not in PACKAGE_STATUSES:
                raise SandboxError(400, "BadRequestException", f"Unknown status {status}.")
            packages = [p for p in packages if p["status"] == status]
        order_number = (query.get("orderNumber") or [None])[0]
        if order_number:
            packages = [p for p in packages if p["orderNumber"] == order_number]
        ids = (query.get("shipmentPackageIds") or [None])[0]
        if ids:
            wanted = {int(i) for i in ids.split(",") if i.strip().isdigit()}
            packages = [p for p in packages if p["shipmentPackageId"] in wanted]
        packages.sort(key=self._package_sort_key(date_field), reverse=direction == "DESC")
        return _page([self._render_package(p) for p in packages[page * size:(page + 1) * size]],
                     page, size, total=len(packages), sliced=True)

    def _stream_packages(self, seller: _Seller, params: dict, query: dict, body: Any) -> Any:
        size = _int_param(query, "size", 50)
        if not 1 <= size <= MAX_PACKAGE_PAGE_SIZE:
            raise SandboxError(400, "BadRequestException", f"size must be between 1 and {MAX_PACKAGE_PAGE_SIZE}.")
        if "lastModifiedStartDate" not in query or "lastModifiedEndDate" not in query:
            raise SandboxError(400, "BadRequestException", "lastModifiedStartDate and lastModifiedEndDate are required.")
        start, end = _int_param(query, "lastModifiedStartDate", 0), _int_param(query, "lastModifiedEndDate", 0)
        if end < start or end - start > _ms(STREAM_MAX_WINDOW_SECONDS):
            raise SandboxError(400, "BadRequestException", "The last-modified window must be 0 to 14 days.")
        statuses = {s for s in ",".join(query.get("packageItemStatuses") or []).split(",") if s}
        after: tuple[int, int] = (start - 1, 0)
        cursor = (query.get("nextCursor") or query.get("cursor") or [None])[0]
        if cursor:
            try:
                modified, _, package_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
                after = (int(modified), int(package_id))
            except (ValueError, binascii.Error) as exc:
                raise SandboxError(400, "BadRequestException", "Invalid cursor.") from exc
        packages = sorted((p for p in seller.packages.values()
                           if start <= p["lastModifiedDate"] <= end and (not statuses or p["status"] in statuses)),
                          key=self._package_sort_key("lastModifiedDate"))
        packages = [p for p in packages if (p["lastModifiedDate"], p["shipmentPackageId"]) > after]
        chunk, more = packages[:size], len(packages) > size
        next_cursor = None
        if more:
            last = chunk[-1]
            next_cursor = base64.urlsafe_b64encode(
                f"{last['lastModifiedDate']}:{last['shipmentPackageId']}".encode()).decode()
        return {"content": [self._render_package(p) for p in chunk], "nextCursor": next_cursor, "hasMore": more}

    def _update_package(self, seller: _Seller, params: dict, query: dict, body: Any) -> Any:
        package = seller.packages.get(int(params["packageId"]))
        if package is None:
            raise SandboxError(404, "NotFoundException", f"Shipment package {params['packageId']} was not found.")
        if not isinstance(body, dict):
            raise SandboxError(400, "BadRequestException", "The body must be a JSON object.")
        status = body.get("status")
        if status not in SELLER_TRANSITIONS:
            raise SandboxError(400, "BadRequestException",
                               f"A seller may set only Picking or Invoiced, not {status}.", "invalid.status")
        if package["status"] not in SELLER_TRANSITIONS[status]:
            raise SandboxError(400, "BadRequestException",
                               f"A {package['status']} package cannot become {status}.", "invalid.status.transition")
        lines = body.get("lines")
        expected = {line["lineId"]: line["quantity"] for line in package["lines"]}
        sent = {}
        if isinstance(lines, list):
            for line in lines:
                if isinstance(line, dict):
                    sent[line.get("lineId")] = line.get("quantity")
        if sent != expected or len(lines) != len(expected):
            raise SandboxError(400, "BadRequestException",
                               "lines must list every line of the package with its full quantity.", "invalid.lines")
        invoice_number = None
        if status == "Invoiced":
            invoice_number = (body.get("params") or {}).get("invoiceNumber")
            if not isinstance(invoice_number, str) or not invoice_number.strip():
                raise SandboxError(400, "BadRequestException", "params.invoiceNumber is required for Invoiced.",
                                   "invoice.number.required")
            package["invoiceNumber"] = invoice_number
        self._set_status(package, status)
        return None


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


def _int_param(query: dict[str, list[str]], name: str, default: int) -> int:
    values = query.get(name)
    if not values or values[0] == "":
        return default
    try:
        return int(values[0])
    except ValueError as exc:
        raise SandboxError(400, "BadRequestException", f"{name} must be a whole number.") from exc


def _page(rows: list[Any], page: int, size: int, total: int | None = None, sliced: bool = False) -> dict[str, Any]:
    total = len(rows) if total is None else total
    content = rows if sliced else rows[page * size:(page + 1) * size]
    return {"page": page, "size": size, "totalPages": (total + size - 1) // size, "totalElements": total,
            "content": content}


def _make_handler(sandbox: TrendyolSandbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "TrendyolSandbox/1.0"
        disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms ACK stalls

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PUT(self) -> None:
            self._handle("PUT")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            payload = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
            try:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                if body is not None:
                    self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _drop(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def _handle(self, method: str) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            url = urlsplit(self.path)
            query = parse_qs(url.query, keep_blank_values=True)
            if url.path.startswith(CONTROL_PREFIX + "/") or url.path == CONTROL_PREFIX:
                try:
                    status, body = _control(sandbox, method, url.path[len(CONTROL_PREFIX):], raw)
                except (ValueError, KeyError, TypeError) as exc:
                    status, body = 400, {"error": str(exc)}
                self._send(status, body)
                return
            record = RecordedRequest(method, url.path, url.query, None, None)
            try:
                record.body = json.loads(raw) if raw else None
            except ValueError:
                record.body = raw.decode(errors="replace")
            with sandbox._lock:
                sandbox.requests.append(record)
            fault, slow, error_status = sandbox._draw_fault()
            record.fault = fault
            if slow:
                time.sleep(sandbox.faults.delay)
            if fault == "drop" and sandbox.faults.drop_phase == "before":
                self._drop()
                return
            now_ms = _ms(sandbox.now())
            if fault == "429":
                record.status = 429
                self._send(429, error_body("TooManyRequestsException", "Too many requests, try again later.",
                                           now_ms=now_ms), {"Retry-After": str(sandbox.faults.retry_after)})
                return
            if fault == "5xx":
                record.status = error_status
                self._send(error_status, error_body("ServiceUnavailableException" if error_status == 503
                                                    else "InternalServerErrorException",
                                                    "Sistemsel bir sorun meydana geldi, tekrar deneyiniz.",
                                                    now_ms=now_ms))
                return
            if not url.path.startswith(API_PREFIX + "/"):
                status, body, headers = 404, error_body("NotFoundException", f"No service at {url.path}.",
                                                        now_ms=now_ms), {}
            else:
                try:
                    status, body, headers = sandbox.handle_api(
                        method, url.path[len(API_PREFIX):], query, self.headers, raw)
                except SandboxError as exc:
                    status, body, headers = exc.status, error_body(exc.exception, exc.message, exc.key, now_ms), exc.headers
            if fault == "drop":  # drop_phase "after": processed, but the answer never arrives
                self._drop()
                return
            record.status = status
            self._send(status, body, headers)

    return Handler


def _control(sandbox: TrendyolSandbox, method: str, path: str, raw: bytes) -> tuple[int, Any]:
    body = json.loads(raw) if raw else {}
    if method == "GET" and path in ("", "/", "/state"):
        with sandbox._lock:
            sandbox._settle()
            return 200, {
                "baseUrl": sandbox.base_url, "now": _ms(sandbox.now()), "requests": sandbox.request_count,
                "faults": sandbox.faults.__dict__, "seed": sandbox.seed,
                "sellers": {sid: {"products": len(s.products), "batches": len(s.batches), "packages": len(s.packages)}
                            for sid, s in sandbox._sellers.items()},
            }
    if method != "POST":
        return 405, {"error": "use POST"}
    if path == "/faults":
        faults = sandbox.set_faults(**body)
        return 200, {"faults": faults.__dict__, "seed": sandbox.seed}
    if path == "/orders":
        ids = sandbox.add_packages(int(body.get("count", 1)), barcodes=body.get("barcodes"),
                                   seller_id=body.get("sellerId"), status=body.get("status", "Created"),
                                   created_at=body.get("createdAt") and body["createdAt"] / 1000,
                                   interval=float(body.get("interval", 0)))
        return 201, {"shipmentPackageIds": ids}
    match = re.fullmatch(r"/packages/(\d+)/status", path)
    if match:
        sandbox.set_package_status(int(match.group(1)), body["status"], seller_id=body.get("sellerId"))
        return 200, sandbox.package(int(match.group(1)), seller_id=body.get("sellerId"))
    if path == "/approve":
        count = sandbox.approve(body["barcodes"], bool(body.get("approved", True)), seller_id=body.get("sellerId"))
        return 200, {"changed": count}
    if path == "/reject":
        sandbox.reject_items(list(body["keys"]), str(body["message"]))
        return 200, {"rejected": len(body["keys"])}
    if path == "/clock":
        sandbox.advance_clock(float(body.get("advance", 0)))
        return 200, {"now": _ms(sandbox.now())}
    if path == "/reset":
        sandbox.reset()
        return 200, {"reset": True}
    return 404, {"error": f"unknown control endpoint {path}"}
