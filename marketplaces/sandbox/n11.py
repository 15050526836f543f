"""A local, in-memory stand-in for N11's REST API (protocol notes §3.2).

Paths are production's (``https://api.n11.com/ms/...``, ``/cdn/...``, ``/rest/...``) under
the sandbox's root, so an adapter only swaps its base URL for ``http://host:port``.

======  ==========================================  ===============================================
method  path                                        notes
======  ==========================================  ===============================================
GET     /cdn/categories                             whole tree; ``subCategories: null`` on leaves
GET     /cdn/category/{id}/attribute                leaves only; ``isMandatory``, ``isCustomValue``…
GET     /ms/product-query?stockCode=&page=&size=    ``totalElements``; size ≤ 100
POST    /ms/product/tasks/product-create            ``{"payload": {"integrator", "skus"}}`` ≤ 1000
POST    /ms/product/tasks/product-update            same envelope (description, vatRate…)
POST    /ms/product/tasks/price-stock-update        same envelope; ``currencyType`` TL/USD/EUR
POST    /ms/product/task-details/page-query         ``{"taskId", "pageable": {"page", "size"}}``
GET     /rest/delivery/v1/shipmentPackages          one status per call; page from 0, size ≤ 100
PUT     /rest/order/v1/update                       INFERRED (notes list split only): lines → Picking
======  ==========================================  ===============================================

Behaviour: headers ``appkey`` (every call) and ``appsecret`` (all but ``/cdn``) must match,
else 401. A task answers ``{"id", "type", "status": "IN_QUEUE"|"REJECT", "reasons"}``; it is
REJECTed as a whole when the integrator is missing, there are no or more than 1,000 SKUs,
or any SKU breaks the price rules (listPrice and salePrice together, JSON numbers with
exactly two decimals and a dot, positive, listPrice ≥ salePrice). An accepted task is
processed after ``batch_delay`` seconds: each SKU then has ``status`` SUCCESS/FAIL and
``reasons`` (unknown or non-leaf category, missing mandatory attribute, unknown value id,
unknown shipment template, VAT not 0/1/10/20, stock code already there or unknown, and
the items made to fail with :meth:`N11Sandbox.reject_items`). Package lists need
``status`` (one value), ``startDate``/``endDate`` at most 31 days apart and not before
2024-11-01 unless ``packageIds``/``orderNumber`` is given; they are filtered and sorted
on ``lastModifiedDate`` (``orderByDirection``, default DESC). 1,000 package-list requests
a minute per app key (``rate_limits``, ``order_requests_per_minute``), then 429 with
Retry-After.

Simplified or inferred: error bodies ``{"timestamp", "status", "error", "message",
"path"}``; messages in English; task dates ``dd-MM-yyyy HH:mm:ss``; task item statuses
SUCCESS/FAIL; the date filter applies to the last-modified date; products are Active as
soon as their task is processed; tasks are kept for the sandbox's lifetime; order-line
update answers ``{"content": [{"lineId",
"status", "reasons"}]}``; split, claims, questions and invoices are not implemented.

Control endpoints (no auth): ``GET /__sandbox/state``, ``POST /__sandbox/faults``,
``/clock``, ``/reset`` (base), ``POST /__sandbox/orders`` (``{"count", "stockCodes"?,
"status"?, "createdAt"? (ms), "interval"? (s)}``), ``POST /__sandbox/packages/{id}/status``
(``{"status"}``, N11-side) and ``POST /__sandbox/reject`` (``{"keys", "message"}``).
"""

from __future__ import annotations

import json
import math
import re
import time
from decimal import Decimal
from typing import Any

from marketplaces.sandbox.base import Answer, SandboxError, SandboxServer
from marketplaces.sandbox.n11_data import (
    BRAND_ATTRIBUTE_ID,
    CATEGORIES_BY_ID,
    CATEGORY_TREE,
    LEAVES,
    SHIPMENT_TEMPLATES,
    category_attributes,
)
from marketplaces.sandbox.n11_orders import PackagesMixin

MAX_TASK_SKUS = 1000
MAX_TASK_PAGE = 1000
ORDER_REQUESTS_PER_MINUTE = 1000
CURRENCIES = ("TL", "USD", "EUR")
VAT_RATES = (0, 1, 10, 20)
TASK_TYPES = {"create": "PRODUCT_CREATE", "update": "PRODUCT_UPDATE", "price_stock": "SKU_UPDATE"}
ROUTES: list[tuple[str, re.Pattern[str], str, bool]] = [
    ("GET", re.compile(r"^/cdn/categories$"), "_categories", False),
    ("GET", re.compile(r"^/cdn/category/(\d+)/attribute$"), "_attributes", False),
    ("GET", re.compile(r"^/ms/product-query$"), "_product_query", True),
    ("POST", re.compile(r"^/ms/product/tasks/product-create$"), "_create", True),
    ("POST", re.compile(r"^/ms/product/tasks/product-update$"), "_update", True),
    ("POST", re.compile(r"^/ms/product/tasks/price-stock-update$"), "_price_stock", True),
    ("POST", re.compile(r"^/ms/product/task-details/page-query$"), "_task_details", True),
    ("GET", re.compile(r"^/rest/delivery/v1/shipmentPackages$"), "_packages_api", True),
    ("PUT", re.compile(r"^/rest/order/v1/update$"), "_order_update", True),
]
REASONS = {
    "prices": "{code}: listPrice and salePrice must be sent together.",
    "decimals": "{code}: {field} must be a number with exactly two decimals and a dot (e.g. 249.90).",
    "positive": "{code}: {field} must be greater than zero.",
    "order": "{code}: listPrice must be greater than or equal to salePrice.",
}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class N11Sandbox(PackagesMixin, SandboxServer):
    name = "n11"
    api_prefix = ""

    def __init__(self, *, app_key: str, app_secret: str, batch_delay: float = 0.0, orders: int = 0,
                 rate_limits: bool = True, order_requests_per_minute: int = ORDER_REQUESTS_PER_MINUTE,
                 strict_attributes: bool = True, **options: Any) -> None:  # fmt: skip
        self.app_key, self.app_secret = app_key, app_secret
        self.order_requests_per_minute = order_requests_per_minute
        self.batch_delay = batch_delay
        self.rate_limits = rate_limits
        self.strict_attributes = strict_attributes
        super().__init__(**options)
        self._clear()
        if orders:
            self.add_packages(orders)

    def _clear(self) -> None:
        self._products: dict[str, dict[str, Any]] = {}
        self._tasks: dict[int, dict[str, Any]] = {}
        self._packages: dict[int, dict[str, Any]] = {}
        self._rejections: dict[str, str] = {}
        self._windows: dict[str, tuple[int, int]] = {}
        self._next_task, self._next_product = 700_000_001, 900_000_001
        self._next_package, self._next_line = 300_000_001, 500_000_001

    @classmethod
    def from_options(cls, *, host: str, port: int, seed: int, fail_rate: float, rate_limit_rate: float | None,
                     error_rate: float | None, drop_rate: float | None, delay: float, slow_rate: float,
                     batch_delay: float, orders: int) -> N11Sandbox:  # fmt: skip
        credentials = DEMO["credentials"]
        return cls(app_key=credentials["app_key"], app_secret=credentials["app_secret"], host=host, port=port,
                   seed=seed, fail_rate=fail_rate, rate_limit_rate=rate_limit_rate, error_rate=error_rate,
                   drop_rate=drop_rate, delay=delay, slow_rate=slow_rate, batch_delay=batch_delay, orders=orders)

    def connection_lines(self) -> list[tuple[str, str]]:
        """Labels are the credential and adapter option names to enter (the base URL is the
        sandbox's root)."""
        options = DEMO["settings"]["adapter_options"]
        return [("app_key", self.app_key), ("app_secret", self.app_secret), ("seller id", DEMO["seller_id"]),
                ("options", f"integrator={options['integrator']}, shipment_template={options['shipment_template']}")]

    # ---- state for tests -------------------------------------------------------------------

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self._clear()

    def state(self) -> dict[str, Any]:
        return {"products": len(self._products), "tasks": len(self._tasks), "packages": len(self._packages),
                "rejections": len(self._rejections)}  # fmt: skip

    def products(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            self._settle()
            return {code: dict(product) for code, product in self._products.items()}

    def stock(self, stock_code: str) -> int | None:
        product = self.products().get(stock_code)
        return None if product is None else product["quantity"]

    def price(self, stock_code: str) -> tuple[Decimal, Decimal] | None:
        """(salePrice, listPrice) as received."""
        product = self.products().get(stock_code)
        return None if product is None else (product["salePrice"], product["listPrice"])

    def task(self, task_id: int | str) -> dict[str, Any]:
        with self._lock:
            self._settle()
            return self._tasks[int(task_id)]

    def tasks(self) -> list[dict[str, Any]]:
        with self._lock:
            self._settle()
            return list(self._tasks.values())

    def reject_items(self, keys: list[str], message: str) -> None:
        """Make create, update and price/stock tasks fail these stock codes with `message`."""
        with self._lock:
            for key in keys:
                self._rejections[str(key)] = str(message)

    def error(self, status: int, message: str, path: str = "") -> SandboxError:
        reason = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
                  429: "Too Many Requests"}.get(status, "Error")  # fmt: skip
        return SandboxError(status, {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S"), "status": status,
                                     "error": reason, "message": message, "path": path})  # fmt: skip

    def fault_answer(self, fault: str, status: int) -> Answer:
        if fault == "429":
            return 429, self.error(429, "Rate limit exceeded.").body, {"Retry-After": str(self.faults.retry_after)}
        return status, self.error(status, "Internal server error, try again.").body, {}

    # ---- control -------------------------------------------------------------------------------

    def control(self, method: str, path: str, body: Any) -> tuple[int, Any] | None:
        if method == "POST" and path == "/orders":
            created_at = body.get("createdAt")
            ids = self.add_packages(int(body.get("count", 1)), body.get("stockCodes"),
                                    status=body.get("status", "Created"),
                                    created_at=None if created_at is None else created_at / 1000,
                                    interval=float(body.get("interval", 0)))  # fmt: skip
            return 200, {"ids": ids}
        if method == "POST" and (match := re.fullmatch(r"/packages/(\d+)/status", path)):
            self.set_package_status(int(match.group(1)), str(body.get("status")))
            return 200, self.package(int(match.group(1)))
        if method == "POST" and path == "/reject":
            self.reject_items([str(k) for k in body.get("keys") or []], str(body.get("message") or "Rejected."))
            return 200, {"rejected": len(body.get("keys") or [])}
        return None

    # ---- the API -----------------------------------------------------------------------------

    def handle_api(self, method: str, path: str, query: dict[str, list[str]], headers: Any, raw: bytes) -> Answer:
        matching = [route for route in ROUTES if route[1].match(path)]
        if not matching:
            raise self.error(404, f"No service at {path}.", path)
        route = next((r for r in matching if r[0] == method), None)
        if route is None:
            raise self.error(405, f"{method} is not supported on {path}.", path)
        _method, pattern, handler, secret = route
        if headers.get("appkey") != self.app_key or (secret and headers.get("appsecret") != self.app_secret):
            raise self.error(401, "appkey/appsecret missing or not valid.", path)
        body = None
        if method in ("POST", "PUT"):
            try:
                body = json.loads(raw or b"null", parse_float=Decimal)
            except (ValueError, UnicodeDecodeError) as exc:
                raise self.error(400, "The request body is not valid JSON.", path) from exc
        with self._lock:
            self._settle()
            if handler == "_packages_api":
                self._rate_limit("orders", self.order_requests_per_minute)
            answer = getattr(self, handler)(pattern.match(path), query, body)
        return 200, _plain(answer), {}

    def _rate_limit(self, group: str, limit: int) -> None:
        if not self.rate_limits:
            return
        now = self.now()
        window = int(now // 60)
        current, count = self._windows.get(group, (window, 0))
        count = count + 1 if current == window else 1
        self._windows[group] = (window, count)
        if count > limit:
            error = self.error(429, f"At most {limit} requests a minute.")
            error.headers = {"Retry-After": str(max(1, math.ceil((window + 1) * 60 - now)))}
            raise error

    def _categories(self, match: Any, query: dict, body: Any) -> Any:
        return {"categories": CATEGORY_TREE}

    def _attributes(self, match: Any, query: dict, body: Any) -> Any:
        category_id = int(match.group(1))
        if category_id not in CATEGORIES_BY_ID:
            raise self.error(404, f"Category {category_id} not found.")
        if category_id not in LEAVES:
            raise self.error(400, f"Category {category_id} is not a leaf category.")
        return category_attributes(category_id)

    def _product_query(self, match: Any, query: dict, body: Any) -> Any:
        page, size = int((query.get("page") or ["0"])[-1] or 0), int((query.get("size") or ["20"])[-1] or 20)
        if page < 0 or not 1 <= size <= 100:
            raise self.error(400, "page must be 0 or more and size between 1 and 100.")
        code = (query.get("stockCode") or [""])[-1]
        rows = [p for c, p in self._products.items() if not code or c == code]
        return {"content": rows[page * size:(page + 1) * size], "totalElements": len(rows),
                "totalPages": math.ceil(len(rows) / size), "number": page, "size": size}  # fmt: skip

    # ---- tasks ---------------------------------------------------------------------------------

    def _create(self, match: Any, query: dict, body: Any) -> Any:
        return self._submit("create", body)

    def _update(self, match: Any, query: dict, body: Any) -> Any:
        return self._submit("update", body)

    def _price_stock(self, match: Any, query: dict, body: Any) -> Any:
        return self._submit("price_stock", body)

    def _submit(self, kind: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("payload"), dict):
            raise self.error(400, 'Send {"payload": {"integrator": …, "skus": […]}}.')
        payload = body["payload"]
        skus, integrator = payload.get("skus"), payload.get("integrator")
        reasons = []
        if not isinstance(integrator, str) or not integrator.strip():
            reasons.append("integrator is required.")
        if not isinstance(skus, list) or not skus or not all(isinstance(s, dict) for s in skus):
            reasons.append("skus must be a non-empty list of objects.")
        elif len(skus) > MAX_TASK_SKUS:
            reasons.append(f"At most {MAX_TASK_SKUS} skus can be sent in one task.")
        elif kind != "update":
            for sku in skus:
                reasons.extend(self._price_reasons(sku, required=kind == "create"))
        task_id = self._next_task
        self._next_task += 1
        status = "REJECT" if reasons else "IN_QUEUE"
        self._tasks[task_id] = {"id": task_id, "type": TASK_TYPES[kind], "kind": kind, "status": status,
                                "created": self.now(), "integrator": integrator, "skus": skus if not reasons else [],
                                "reasons": reasons, "results": []}  # fmt: skip
        return {"id": task_id, "type": TASK_TYPES[kind], "status": status, "reasons": reasons}

    @staticmethod
    def _price_reasons(sku: dict[str, Any], *, required: bool) -> list[str]:
        code = sku.get("stockCode")
        present = [f for f in ("listPrice", "salePrice") if f in sku]
        if not present and not required:
            return []
        if len(present) < 2:
            return [REASONS["prices"].format(code=code)]
        reasons = []
        for field in ("listPrice", "salePrice"):
            value = sku[field]
            if not isinstance(value, Decimal) or value.as_tuple().exponent != -2:
                reasons.append(REASONS["decimals"].format(code=code, field=field))
            elif value <= 0:
                reasons.append(REASONS["positive"].format(code=code, field=field))
        if not reasons and sku["listPrice"] < sku["salePrice"]:
            reasons.append(REASONS["order"].format(code=code))
        return reasons

    def _settle(self) -> None:
        now = self.now()
        for task in self._tasks.values():
            if task["status"] != "IN_QUEUE" or now < task["created"] + self.batch_delay:
                continue
            for position, sku in enumerate(task["skus"]):
                code = str(sku.get("stockCode") or "")
                failures = [self._rejections[code]] if code in self._rejections else []
                failures = failures or getattr(self, f"_{task['kind']}_failures")(sku)
                if not failures:
                    getattr(self, f"_apply_{task['kind']}")(sku)
                task["results"].append({"id": task["id"] * 10_000 + position, "taskId": task["id"], "itemCode": code,
                                        "status": "FAIL" if failures else "SUCCESS", "sku": sku,
                                        "reasons": failures})  # fmt: skip
            task["status"] = "PROCESSED"

    def _common_failures(self, sku: dict[str, Any]) -> list[str]:
        failures = []
        if "vatRate" in sku and sku["vatRate"] not in VAT_RATES:
            failures.append(f"vatRate must be one of {', '.join(map(str, VAT_RATES))}.")
        if "shipmentTemplate" in sku and sku["shipmentTemplate"] not in SHIPMENT_TEMPLATES:
            failures.append(f"Shipment template {sku['shipmentTemplate']!r} not found.")
        if "preparingDay" in sku and (not _is_int(sku["preparingDay"]) or not 1 <= sku["preparingDay"] <= 30):
            failures.append("preparingDay must be a whole number from 1 to 30.")
        return failures

    def _create_failures(self, sku: dict[str, Any]) -> list[str]:
        code = sku.get("stockCode")
        if not isinstance(code, str) or not code.strip():
            return ["stockCode is required."]
        if code in self._products:
            return [f"stockCode {code} already exists."]
        failures = [f"{field} is required." for field in ("title", "productMainId", "shipmentTemplate",
                                                          "preparingDay", "vatRate", "currencyType")
                    if sku.get(field) in (None, "")]  # fmt: skip
        if sku.get("currencyType") not in CURRENCIES:
            failures.append(f"currencyType must be one of {', '.join(CURRENCIES)}.")
        if not _is_int(sku.get("quantity")) or sku["quantity"] < 0:
            failures.append("quantity must be a whole number of 0 or more.")
        if any(not isinstance(i, dict) or not str(i.get("url") or "").startswith(("http://", "https://"))
               for i in sku.get("images") or []):  # fmt: skip
            failures.append("Every image needs an http(s) url.")
        category_id = sku.get("categoryId")
        if category_id not in CATEGORIES_BY_ID:
            return [*failures, f"Category {category_id} not found."]
        if category_id not in LEAVES:
            return [*failures, f"Category {category_id} is not a leaf category."]
        return failures + self._common_failures(sku) + self._attribute_failures(category_id, sku.get("attributes"))

    def _attribute_failures(self, category_id: int, attributes: Any) -> list[str]:
        if not isinstance(attributes, list) or not all(isinstance(a, dict) for a in attributes):
            return ["attributes must be a list of {id, valueId, customValue}."]
        known = {a["attributeId"]: a for a in category_attributes(category_id)["categoryAttributes"]}
        failures, given = [], set()
        for attribute in attributes:
            spec = known.get(attribute.get("id"))
            if spec is None:
                failures.append(f"Attribute {attribute.get('id')} does not belong to category {category_id}.")
                continue
            given.add(spec["attributeId"])
            value_id, custom = attribute.get("valueId"), attribute.get("customValue")
            if value_id is not None:
                if value_id not in {v["id"] for v in spec["attributeValues"]}:
                    failures.append(f"Value {value_id} is not a value of attribute {spec['attributeName']}.")
            elif not custom:
                failures.append(f"Attribute {spec['attributeName']} needs a valueId or a customValue.")
            elif not spec["isCustomValue"]:
                failures.append(f"Attribute {spec['attributeName']} takes no custom value; send a valueId.")
        if self.strict_attributes:
            failures += [f"Attribute {spec['attributeName']} is mandatory." for spec in known.values()
                         if spec["isMandatory"] and spec["attributeId"] not in given]  # fmt: skip
        return failures

    def _apply_create(self, sku: dict[str, Any]) -> None:
        brand = next((a for a in sku.get("attributes") or [] if a.get("id") == BRAND_ATTRIBUTE_ID), {})
        self._products[sku["stockCode"]] = {
            **{k: v for k, v in sku.items() if k != "attributes"}, "attributes": list(sku.get("attributes") or []),
            "n11ProductId": self._next_product, "status": "Active",
            "saleStatus": "On_Sale" if sku["quantity"] else "Out_Of_Stock", "brandValueId": brand.get("valueId"),
        }  # fmt: skip
        self._next_product += 1

    def _update_failures(self, sku: dict[str, Any]) -> list[str]:
        if sku.get("stockCode") not in self._products:
            return [f"Product with stockCode {sku.get('stockCode')} not found."]
        return self._common_failures(sku)

    def _apply_update(self, sku: dict[str, Any]) -> None:
        fields = ("description", "vatRate", "productMainId", "preparingDay", "shipmentTemplate", "status",
                  "maxPurchaseQuantity")  # fmt: skip
        self._products[sku["stockCode"]].update({k: sku[k] for k in fields if k in sku})

    def _price_stock_failures(self, sku: dict[str, Any]) -> list[str]:
        if sku.get("stockCode") not in self._products:
            return [f"Product with stockCode {sku.get('stockCode')} not found."]
        failures = []
        if "quantity" not in sku and "salePrice" not in sku:
            failures.append("Send quantity, prices or both.")
        if "quantity" in sku and (not _is_int(sku["quantity"]) or sku["quantity"] < 0):
            failures.append("quantity must be a whole number of 0 or more.")
        if "currencyType" in sku and sku["currencyType"] not in CURRENCIES:
            failures.append(f"currencyType must be one of {', '.join(CURRENCIES)}.")
        return failures

    def _apply_price_stock(self, sku: dict[str, Any]) -> None:
        product = self._products[sku["stockCode"]]
        product.update({k: sku[k] for k in ("quantity", "salePrice", "listPrice", "currencyType") if k in sku})
        product["saleStatus"] = "On_Sale" if product["quantity"] else "Out_Of_Stock"

    def _task_details(self, match: Any, query: dict, body: Any) -> Any:
        if not isinstance(body, dict) or not isinstance(body.get("pageable"), dict):
            raise self.error(400, 'Send {"taskId": …, "pageable": {"page": 0, "size": …}}.')
        task_id, pageable = body.get("taskId"), body["pageable"]
        task = self._tasks.get(int(task_id)) if str(task_id).isdigit() else None
        if task is None:
            raise self.error(404, f"Task {task_id} not found.")
        page, size = pageable.get("page", 0), pageable.get("size", 20)
        if not _is_int(page) or not _is_int(size) or page < 0 or not 1 <= size <= MAX_TASK_PAGE:
            raise self.error(400, f"page must be 0 or more and size between 1 and {MAX_TASK_PAGE}.")
        results = task["results"]
        pages = math.ceil(len(results) / size)
        return {"taskId": task["id"], "type": task["type"], "status": task["status"], "reasons": task["reasons"],
                "createdDate": time.strftime("%d-%m-%Y %H:%M:%S", time.localtime(task["created"])),
                "skus": {"content": results[page * size:(page + 1) * size], "totalElements": len(results),
                         "totalPages": pages, "number": page, "size": size, "first": page == 0,
                         "last": page + 1 >= pages, "pageable": {"pageNumber": page, "pageSize": size}}}  # fmt: skip

    def _packages_api(self, match: Any, query: dict, body: Any) -> Any:
        return self._list_packages(query)

    def _order_update(self, match: Any, query: dict, body: Any) -> Any:
        return self._update_order(body)


#: what `manage.py marketplace_sandbox n11` serves and `seed_demo` connects to
DEMO: dict[str, Any] = {
    "port": 8102,
    "base_path": "",
    "seller_id": "meschain-demo-n11",  # N11 credentials carry no seller id: the account names the shop
    "credentials": {"app_key": "n11-sandbox-appkey", "app_secret": "n11-sandbox-appsecret"},
    "settings": {"default_brand_id": 8400001,  # "MesChain Demo", a value of attribute 1 (Marka)
                 "adapter_options": {"integrator": "MesChain", "shipment_template": "Standart Kargo",
                                     "preparing_day": 3}},
    "category_mappings": {
        "Tişört": ("1001011", "Tişört", {"429": 8773701, "430": 8800002, "431": 8810001}),  # Siyah, M, Pamuk
        "Gömlek": ("1001012", "Gömlek", {"429": 8773702, "430": 8800003, "431": 8810002}),  # Beyaz, L, Keten
        "Telefon Kılıfı": ("1002111", "Telefon Kılıfı", {"440": 8900001, "441": 8900101}),  # Apple, iPhone 15
        "Kupa": ("1003111", "Kupa & Bardak", {"450": 8910001, "451": 8920001}),  # 350 ml, Seramik
    },
}
