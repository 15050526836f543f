"""A local, in-memory stand-in for the Hepsiburada Marketplace API (notes §2).

Hepsiburada serves each product from its own host (§2.1); this sandbox serves them all from
one port under path prefixes: ``/listing`` (listing-external), ``/oms`` (oms-external) and
``/mpop/product`` (the catalog). Point the adapter's ``listing_url`` / ``oms_url`` /
``catalog_url`` options at them (a base URL ending in ``/listing`` implies the others).

==========  ===================================================================  =======
host        method + path                                                        notes
==========  ===================================================================  =======
listing     GET  /listings/merchantid/{m}?offset=&limit=[&merchantSkuList=]      §2.3
listing     POST /listings/merchantid/{m}/{inventory|stock|price}-uploads        §2.3
listing     GET  /listings/merchantid/{m}/{inventory|stock|price}-uploads/id/{id} §2.3
oms         GET  /orders/merchantid/{m}?offset=&limit=&begindate=&enddate=       §2.4
oms         GET  /orders/merchantid/{m}/ordernumber/{no} · /cancelled · /paymentawaiting
oms         GET  /packages/merchantid/{m}?Offset=&limit=[&begindate=&enddate=|&timespan=]
oms         POST /packages/merchantid/{m}  (create a package from line items)    §2.4
oms         GET  /packages/merchantid/{m}/{shipped|delivered|undelivered}        §2.4
oms         PUT  /packages/merchantid/{m}/packagenumber/{no}/invoice             §2.4
oms         POST /packages/merchantid/{m}/packagenumber/{no}/{intransit|deliver|undeliver}
catalog     POST /api/products/import (multipart ``file``: a JSON array)         §2.1
catalog     GET  /api/products/status/{trackingId}?page=&size=                   §2.1
catalog     GET  /api/categories/get-all-categories?page=&size= · /{id}/attributes · /{id}/attribute/{a}/values
==========  ===================================================================  =======

Auth (§2.2): Basic ``merchantId`` (or the configured ``username``) : service key, and the
registered User-Agent verbatim; otherwise 401 — ``text/plain`` "Missing Credentials!" on the
listing host, an empty body on OMS (sent without a Content-Type), ``{success: false, code:
401}`` on the catalog. The
merchant segment must be the lowercase ``merchantid``: ``merchantId`` is 400 on the listing
host (404 on OMS); another merchant's id is 403. Uploads take a bare JSON array (at most
4,000 rows), answer ``{id}`` and are processed after ``batch_delay`` seconds; their result
(``status`` Processing/Done, ``errors[{elementNo, merchantSku, errors[]}]``) keeps row
failures inside a 200. A sixth upload while five are processing is answered 200 without an
id. A stock row for a listing fulfilled by Hepsiburada is *accepted* (as the real service
does, overselling it) and counted in ``fbh_stock_writes``. Order filters need
``yyyy-MM-dd HH:mm`` Turkey time at most 24 h apart (an ISO date matches nothing; other
shapes → 400 WrongDateFormat); ``limit`` is required (orders ≤100, packages ≤10 with a
capital ``Offset``, feeds ≤50); the feeds and ``/cancelled`` refuse date filters.
Real-time limits (``rate_limits``; figures in ``limits``): listing 180/min (429 with
Retry-After, L), catalog 100/s (403), OMS 1000/s (429 with ``X-RateLimit-*``).

Simplified or inferred: a successful catalog import creates the listing at once (no
matching/approval); catalog rules checked are the mandatory base attributes, a leaf
category, the comma-decimal price, the VAT rate and the category's enum values;
re-importing a known merchantSku updates its content only; price bands / SKU locks,
shipping-info uploads, claims, labels, splits and unpacking are not implemented. Line
statuses are Open, Packaged, InTransit, Delivered, Undelivered and Cancelled.

Control endpoints (no auth): the base ones, plus ``POST /__sandbox/orders`` (``{count, skus,
lines_per_order?, quantity?, createdAt? (s), interval?, cargo? "hb"|"own"}``),
``POST /__sandbox/orders/{no}/cancel`` · ``/pack``, ``POST /__sandbox/packages/{no}/status``
(``{status}``), ``POST /__sandbox/reject`` (``{keys, message}``) and
``POST /__sandbox/fulfilled`` (``{keys}``: listings Hepsiburada's warehouse fulfils).
"""

from __future__ import annotations

import re
import uuid
import zlib
from collections import Counter
from typing import Any

from marketplaces.sandbox.base import Answer, SandboxError, SandboxServer, basic_credentials, json_body
from marketplaces.sandbox.hepsiburada_catalog import CatalogMixin
from marketplaces.sandbox.hepsiburada_oms import OmsMixin

MERCHANT_ID = "7c2f4b1e-9a0d-4c1f-8e3b-5d6a7b8c9d0e"
SERVICE_KEY = "Hb7kP2mX9qRt"
USER_AGENT = "meschain_dev"
PREFIXES = {"listing": "/listing", "oms": "/oms", "catalog": "/mpop/product"}
MAX_UPLOAD_ROWS = 4000
MAX_CONCURRENT_UPLOADS = 5
RATE_LIMITS = {"listing": (180, 60.0), "catalog": (100, 1.0), "oms": (1000, 1.0)}
UPLOAD_KINDS = ("inventory", "stock", "price")
MERCHANT_PATH = re.compile(r"^/(listings|orders|packages|lineitems)/(merchantid)/([^/]+)(/.*)?$", re.IGNORECASE)
DEMO_SKUS = ["DEMO-TEE-S", "DEMO-TEE-M", "DEMO-SHIRT-M", "DEMO-CASE-15", "DEMO-MUG-BLK"]


class HepsiburadaSandbox(CatalogMixin, OmsMixin, SandboxServer):
    name = "hepsiburada"
    api_prefix = ""

    def __init__(self, *, merchant_id: str = MERCHANT_ID, service_key: str = SERVICE_KEY,
                 user_agent: str = USER_AGENT, username: str | None = None, batch_delay: float = 0.0,
                 rate_limits: bool = True, **options: Any) -> None:  # fmt: skip
        self.merchant_id, self.service_key, self.user_agent = merchant_id, service_key, user_agent
        self.username = username
        self.batch_delay = batch_delay
        self.rate_limits = rate_limits
        self.limits = dict(RATE_LIMITS)  # service -> (requests, per seconds)
        super().__init__(**options)
        self.reset()

    # ---- state --------------------------------------------------------------------------------

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.listings: dict[str, dict[str, Any]] = {}
            self.uploads: dict[str, dict[str, Any]] = {}
            self.rejections: dict[str, str] = {}
            self.fulfilled: set[str] = set()
            self.fbh_stock_writes: Counter = Counter()
            self._hits: dict[tuple[str, int], int] = {}
            self.reset_catalog()
            self.reset_oms()

    def reject_items(self, keys: list[str], message: str) -> None:
        """Refuse these merchant SKUs in catalog imports and uploads with `message`."""
        with self._lock:
            for key in keys:
                self.rejections[str(key)] = str(message)

    def set_fulfilled_by_hb(self, keys: list[str]) -> None:
        with self._lock:
            self.fulfilled.update(str(k) for k in keys)
            for key in keys:
                if key in self.listings:
                    self.listings[key]["isFulfilledByHB"] = True

    def add_listing(self, sku: str, *, price: float = 100.0, stock: int = 0, fulfilled: bool = False) -> dict[str, Any]:
        """A listing as if its product had been created and matched."""
        with self._lock:
            listing = {"listingId": str(uuid.uuid4()), "uniqueIdentifier": str(uuid.uuid4()),
                       "hepsiburadaSku": f"HBV{zlib.crc32(sku.encode()):010d}", "merchantSku": sku,
                       "price": price, "availableStock": stock, "dispatchTime": 3, "isSalable": True,
                       "isSuspended": False, "isLocked": False, "isFrozen": False,
                       "isFulfilledByHB": fulfilled or sku in self.fulfilled, "productName": f"Ürün {sku}"}
            self.listings[sku] = listing
            return listing

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {"listings": len(self.listings), "uploads": len(self.uploads), "orders": len(self.orders),
                    "packages": len(self.packages), "products": len(self.products),
                    "fbhStockWrites": sum(self.fbh_stock_writes.values())}  # fmt: skip

    # ---- demo wiring --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self.root_url + PREFIXES["listing"]

    def service_url(self, service: str) -> str:
        return self.root_url + PREFIXES[service]

    def adapter_options(self) -> dict[str, str]:
        return {f"{service}_url": self.service_url(service) for service in PREFIXES}

    @classmethod
    def from_options(cls, *, host: str = "127.0.0.1", port: int = 0, seed: int = 0, fail_rate: float = 0.0,
                     rate_limit_rate: float | None = None, error_rate: float | None = None,
                     drop_rate: float | None = None, delay: float = 0.0, slow_rate: float = 1.0,
                     batch_delay: float = 2.0, orders: int = 0) -> HepsiburadaSandbox:  # fmt: skip
        """A sandbox with the DEMO credentials (``orders`` demo orders waiting)."""
        sandbox = cls(host=host, port=port, seed=seed, fail_rate=fail_rate, rate_limit_rate=rate_limit_rate,
                      error_rate=error_rate, drop_rate=drop_rate, delay=delay, slow_rate=slow_rate,
                      batch_delay=batch_delay)  # fmt: skip
        if orders:
            sandbox.add_orders(orders, DEMO_SKUS, interval=60)
        return sandbox

    def connection_lines(self) -> list[tuple[str, str]]:
        """Labels are the credential and option names to enter (the base URL implies the
        OMS and catalog URLs)."""
        return [("base URL", self.base_url), ("oms_url", self.service_url("oms")),
                ("catalog_url", self.service_url("catalog")), ("merchant_id", self.merchant_id),
                ("service_key", self.service_key), ("user_agent", self.user_agent)]  # fmt: skip

    # ---- faults and limits --------------------------------------------------------------------

    def fault_answer(self, fault: str, status: int) -> Answer:
        if fault == "429":
            return 429, {"message": "Too Many Requests"}, {"Retry-After": str(self.faults.retry_after)}
        return status, {"message": "Internal Server Error"}, {}

    def _limit(self, service: str) -> None:
        if not self.rate_limits:
            return
        limit, period = self.limits[service]
        now = self.now()
        window = int(now // period)
        with self._lock:
            count = self._hits.get((service, window), 0) + 1
            self._hits = {k: v for k, v in self._hits.items() if k[1] >= window - 1}
            self._hits[(service, window)] = count
        if count <= limit:
            return
        wait = str(max(1, int((window + 1) * period - now + 0.999)))
        if service == "catalog":
            raise SandboxError(403, {"success": False, "code": 403, "message": "Request limit exceeded."})
        headers = {"Retry-After": wait, "X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0",
                   "X-RateLimit-Reset": wait}  # fmt: skip
        raise SandboxError(429, {"message": "Too Many Requests"}, headers)

    # ---- auth and routing ---------------------------------------------------------------------

    def _authorised(self, headers: Any) -> bool:
        credentials = basic_credentials(headers)
        user = self.username or self.merchant_id
        return credentials == (user, self.service_key) and headers.get("User-Agent") == self.user_agent

    def handle_api(self, method: str, path: str, query: dict[str, list[str]], headers: Any, raw: bytes) -> Answer:
        service = next((s for s, prefix in PREFIXES.items() if path == prefix or path.startswith(prefix + "/")), None)
        if service is None:
            raise SandboxError(404, {"message": f"No service at {path}."})
        rest = path[len(PREFIXES[service]):]
        if not self._authorised(headers):
            if service == "listing":
                raise SandboxError(401, "Missing Credentials!", {"Content-Type": "text/plain"})
            if service == "oms":
                raise SandboxError(401, None, {"Content-Type": "application/json"})
            raise SandboxError(401, {"success": False, "code": 401, "message": "Unauthorized"})
        self._limit(service)
        if service == "catalog":
            status, body = self.handle_catalog(method, rest, query, headers, raw)
            return status, body, {}
        match = MERCHANT_PATH.match(rest)
        if match is None or match.group(1) not in (("listings",) if service == "listing" else ("orders", "packages")):
            raise SandboxError(404, {"message": f"No service at {path}."})
        if match.group(2) != "merchantid":
            if service == "listing":
                raise SandboxError(400, {"errors": ["Path segment must be merchantid."], "message": "Bad Request"})
            raise SandboxError(404, {"message": f"No service at {path}."})
        if match.group(3) != self.merchant_id:
            raise SandboxError(403, {"message": "Forbidden: not this merchant's resource."})
        body = json_body(raw, {"message": "The body is not JSON."}) if raw else None
        tail = match.group(4) or ""
        if service == "listing":
            status, answer = self._listing_api(method, tail, query, body)
        else:
            status, answer = self.handle_oms(method, f"{match.group(1)}|{tail}", query, body)
        return status, answer, {}

    def control(self, method: str, path: str, body: Any) -> tuple[int, Any] | None:
        if method != "POST":
            return None
        if path == "/orders":
            numbers = self.add_orders(int(body.get("count", 1)), list(body.get("skus") or DEMO_SKUS),
                                      lines_per_order=int(body.get("lines_per_order", 1)),
                                      quantity=int(body.get("quantity", 1)), created_at=body.get("createdAt"),
                                      interval=float(body.get("interval", 0)), cargo=str(body.get("cargo", "hb")))
            return 200, {"orderNumbers": numbers}
        if path == "/reject":
            self.reject_items(list(body["keys"]), str(body.get("message") or "Rejected."))
            return 200, {"rejected": len(body["keys"])}
        if path == "/fulfilled":
            self.set_fulfilled_by_hb(list(body["keys"]))
            return 200, {"fulfilled": len(body["keys"])}
        match = re.fullmatch(r"/orders/([^/]+)/(cancel|pack)", path)
        if match and match.group(1) in self.orders:
            if match.group(2) == "cancel":
                self.cancel_lines(match.group(1))
                return 200, {"status": self.order_status(match.group(1))}
            return 200, {"packageNumber": self.hb_pack(match.group(1))}
        match = re.fullmatch(r"/packages/([^/]+)/status", path)
        if match and match.group(1) in self.packages:
            self.set_package_status(match.group(1), str(body["status"]))
            return 200, {"status": body["status"]}
        return None

    # ---- listing host -------------------------------------------------------------------------

    def _listing_api(self, method: str, tail: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        if tail == "" and method == "GET":
            return 200, self._list_listings(query)
        match = re.fullmatch(r"/(inventory|stock|price)-uploads(?:/id/([^/]+))?", tail)
        if match is None:
            raise SandboxError(404, {"message": "Not found."})
        kind, upload_id = match.group(1), match.group(2)
        if upload_id is None and method == "POST":
            return 200, self._create_upload(kind, body)
        if upload_id is not None and method == "GET":
            with self._lock:
                upload = self.uploads.get(upload_id)
                if upload is None or upload["kind"] != kind:
                    raise SandboxError(404, {"message": f"Upload {upload_id} not found."})
                return 200, self._upload_result(upload)
        raise SandboxError(405, {"message": "Method not allowed."})

    def _list_listings(self, query: dict[str, list[str]]) -> dict[str, Any]:
        try:
            offset, limit = int(query["offset"][0]), int(query["limit"][0])
        except (KeyError, ValueError) as exc:
            raise SandboxError(400, {"errors": ["offset and limit are required."], "message": "Bad Request"}) from exc
        if limit < 1 or limit > 1000 or offset < 0:
            raise SandboxError(400, {"errors": ["limit must be from 1 to 1000."], "message": "Bad Request"})
        skus = [s for s in (query.get("merchantSkuList") or [""])[0].split(",") if s]
        if len(skus) > 50:
            raise SandboxError(400, {"errors": ["At most 50 SKUs may be queried."], "message": "Bad Request"})
        with self._lock:
            rows = [self.listings[s] for s in skus if s in self.listings] if skus else list(self.listings.values())
            page = [dict(row) for row in rows[offset:offset + limit]]
        return {"listings": page, "totalCount": len(rows), "limit": limit, "offset": offset}

    def _create_upload(self, kind: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, list):
            raise SandboxError(400, {"errors": ["The body must be a JSON array."], "message": "Bad Request"})
        if not body or len(body) > MAX_UPLOAD_ROWS:
            raise SandboxError(400, {"errors": [f"Send 1 to {MAX_UPLOAD_ROWS} rows."], "message": "Bad Request"})
        with self._lock:
            busy = [u for u in self.uploads.values() if not u["processed"] and self.now() < u["due"]]
            if len(busy) >= MAX_CONCURRENT_UPLOADS:
                return {"message": f"En fazla {MAX_CONCURRENT_UPLOADS} yükleme aynı anda işlenebilir."}
            upload_id = str(uuid.uuid4())
            self.uploads[upload_id] = {"id": upload_id, "kind": kind, "rows": body, "created": self.now(),
                                       "due": self.now() + self.batch_delay, "processed": False, "errors": []}
        return {"id": upload_id}

    def _upload_result(self, upload: dict[str, Any]) -> dict[str, Any]:
        if not upload["processed"] and self.now() >= upload["due"]:
            upload["errors"] = [e for n, row in enumerate(upload["rows"], 1) if (e := self._apply_row(upload, n, row))]
            upload["processed"] = True
        return {"id": upload["id"], "status": "Done" if upload["processed"] else "Processing",
                "createdAt": upload["created"], "total": len(upload["rows"]), "errors": upload["errors"]}

    def _apply_row(self, upload: dict[str, Any], number: int, row: Any) -> dict[str, Any] | None:
        row = row if isinstance(row, dict) else {}
        sku = str(row.get("merchantSku") or "")
        if not sku and row.get("hepsiburadaSku"):
            sku = next((k for k, v in self.listings.items() if v["hepsiburadaSku"] == row["hepsiburadaSku"]), "")
        errors = []
        listing = self.listings.get(sku)
        if listing is None:
            errors.append("Listing bulunamadı.")
        if sku in self.rejections:
            errors.append(self.rejections[sku])
        price, stock = row.get("price"), row.get("availableStock")
        wants = {"inventory": ("price", "availableStock"), "stock": ("availableStock",), "price": ("price",)}
        if upload["kind"] == "inventory" and price is None and stock is None:
            errors.append("price or availableStock is required.")
        elif upload["kind"] != "inventory" and row.get(wants[upload["kind"]][0]) is None:
            errors.append(f"{wants[upload['kind']][0]} is required.")
        if price is not None and (isinstance(price, bool) or not isinstance(price, int | float) or price <= 0
                                  or round(price, 2) != price):  # fmt: skip
            errors.append("price must be a positive number with at most two decimals.")
        if stock is not None and (isinstance(stock, bool) or not isinstance(stock, int) or stock < 0):
            errors.append("availableStock must be a whole number of at least 0.")
        if errors:
            return {"elementNo": number, "merchantSku": sku, "hepsiburadaSku": row.get("hepsiburadaSku") or "",
                    "errors": errors}  # fmt: skip
        if price is not None and "price" in wants[upload["kind"]]:
            listing["price"] = price
        if stock is not None and "availableStock" in wants[upload["kind"]]:
            listing["availableStock"] = stock
            if listing["isFulfilledByHB"]:
                self.fbh_stock_writes[sku] += 1
        return None


def _demo() -> dict[str, Any]:
    return {
        "port": 8101,
        "base_path": PREFIXES["listing"],
        "credentials": {"merchant_id": MERCHANT_ID, "service_key": SERVICE_KEY, "user_agent": USER_AGENT},
        "settings": {"adapter_options": {"default_brand": "MesChain Demo"}},
        "category_mappings": {
            "Tişört": ("18021982", "Tişört", {"renk_variant_property": "Siyah", "beden_variant_property": "M"}),
            "Gömlek": ("18021983", "Gömlek", {"renk_variant_property": "Beyaz", "beden_variant_property": "L"}),
            "Telefon Kılıfı": ("60001537", "Telefon Kılıfı", {"uyumlu_marka": "Apple", "00004XAG": "Silikon"}),
            "Kupa": ("70002421", "Kupa", {"hacim_variant_property": "350 ml", "00004XAG": "Seramik"}),
        },
    }


#: what ``manage.py marketplace_sandbox hepsiburada`` and ``seed_demo`` use
DEMO = _demo()

__all__ = ["DEMO", "HepsiburadaSandbox"]
