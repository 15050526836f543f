"""A local, in-memory stand-in for the Ozon Seller API (§5 of the team's protocol notes).

Paths as on ``https://api-seller.ozon.ru``; every call is ``POST`` with a JSON body and the
``Client-Id`` / ``Api-Key`` headers (missing → 401, wrong → 403, error bodies
``{"code", "message", "details": []}``).

========================================  ==========================================  =====
path                                      what                                        notes
========================================  ==========================================  =====
/v1/description-category/tree             category tree (types are the leaves)        §5
/v1/description-category/attribute        attributes of a category + type             §5
/v4/product/info/limit                    daily_create / daily_update / total quotas  §5
/v3/product/import                        ≤100 items → ``{result: {task_id}}``         §5
/v1/product/import/info                   per-item status of a task                   §5
/v1/product/import/prices                 ≤1000 prices, strings only, per-item errors  §5
/v2/products/stocks                       ≤100 offer+warehouse pairs, per-item errors  §5
/v1/warehouse/list                        the seller's warehouses                     §5
/v3/posting/fbs/list                      FBS postings, offset paging, ``has_next``    §5
/v3/posting/fbs/get                       one posting by number                       L
/v4/posting/fbs/ship                      awaiting_packaging → awaiting_deliver        L
========================================  ==========================================  =====

Rules enforced: an import of more than 100 items, a price given as a number instead of a
string, more than 100 stock pairs or 1,000 prices → 400 (the API's schema errors, code 3);
an import beyond the day's ``daily_create`` quota fails those items; a product is
``price_sent`` (and takes stock) once its import task is processed (after ``batch_delay``
seconds); a stock update of the same offer at the same warehouse within 2 minutes of the
last one is refused inside the 200 (``TOO_MANY_REQUESTS``); unknown offers (``NOT_FOUND``)
and warehouses (``WAREHOUSE_NOT_FOUND``) likewise. Rate limits: 50 requests a second per
Client-Id and 80 stock calls a minute (answer 429 ``{"code": 8, "message": "You have
reached request rate limit per second"}``; ``rate_limits=False`` switches them off).

Inferred (the notes do not say): the auth error codes and texts, the per-item error codes
other than ``WAREHOUSE_NOT_FOUND``, the ship endpoint and its body (v4 with packages of
products), and that postings are filtered by both ``since``/``to`` (the processing start)
and ``last_changed_status_date``.

Control endpoints besides the common ones: ``POST /__sandbox/orders`` (``{"count",
"keys"?, "status"?}``), ``POST /__sandbox/postings/{posting_number}/status``,
``POST /__sandbox/reject`` (``{"keys", "message"}``), ``POST /__sandbox/quota``
(``{"daily_create"?, "daily_update"?}``).
"""

from __future__ import annotations

import copy
import itertools
import random
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from marketplaces.sandbox.base import Answer, SandboxError, SandboxServer, json_body
from marketplaces.sandbox.ozon_data import DICTIONARIES, TREE, TYPE_ATTRIBUTES, TYPE_PARENTS, WAREHOUSES

MAX_IMPORT_ITEMS, MAX_STOCK_PAIRS, MAX_PRICES, MAX_POSTING_PAGE = 100, 100, 1000, 1000
STOCK_INTERVAL_SECONDS = 120
VAT_RATES = ("0", "0.05", "0.07", "0.1", "0.2")
CURRENCIES = ("RUB", "BYN", "KZT", "EUR", "USD", "CNY")
POSTING_STATUSES = (
    "awaiting_registration", "acceptance_in_progress", "awaiting_approve", "awaiting_packaging",
    "awaiting_deliver", "arbitration", "client_arbitration", "delivering", "driver_pickup", "delivered",
    "cancelled", "not_accepted", "sent_by_seller",
)  # fmt: skip
RATE_LIMIT_BODY = {"code": 8, "message": "You have reached request rate limit per second", "details": []}
CITIES = ("Москва", "Санкт-Петербург", "Казань", "Новосибирск", "Екатеринбург")

DEMO = {
    "port": 8104,
    "base_path": "",
    "credentials": {"client_id": "836120", "api_key": "ozon-sandbox-api-key"},
    "settings": {"adapter_options": {"warehouse_id": WAREHOUSES[0]["warehouse_id"]}},
    "category_mappings": {
        "Tişört": ("200000933:93244", "Футболка", {"85": "MesChain Demo", "10096": 61574, "4295": "48"}),
        "Gömlek": ("200000933:93245", "Рубашка", {"85": "MesChain Demo", "10096": 61576, "4295": "50"}),
        "Telefon Kılıfı": ("53884411:970895", "Чехол для смартфона", {"85": "MesChain Demo", "5076": "iPhone 15"}),
        "Kupa": ("17029016:92436", "Кружка", {"85": "MesChain Demo", "8229": "350", "4975": 62000}),
    },
}


def error(status: int, code: int, message: str) -> SandboxError:
    return SandboxError(status, {"code": code, "message": message, "details": []})


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _parse_time(value: Any, name: str) -> float:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise error(400, 3, f"{name}: invalid RFC3339 time {value!r}") from exc


def _decimal_text(value: Any) -> Decimal | None:
    if not isinstance(value, str):
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


class OzonSandbox(SandboxServer):
    name = "ozon"

    def __init__(self, client_id: str = "836120", api_key: str = "ozon-sandbox-api-key", *,
                 batch_delay: float = 0.0, rate_limits: bool = True, daily_create: int = 100_000,
                 daily_update: int = 100_000, orders: int = 0, **options: Any) -> None:  # fmt: skip
        super().__init__(**options)
        self.client_id, self.api_key = str(client_id), api_key
        self.batch_delay, self.rate_limits = batch_delay, rate_limits
        self.quota = {"daily_create": daily_create, "daily_update": daily_update}
        self._rng = random.Random(f"ozon-data-{self.seed}")  # noqa: S311 - repeatable test data
        self._clear()
        if orders:
            self.add_postings(orders)

    def _clear(self) -> None:
        self.products: dict[str, dict[str, Any]] = {}  # offer_id -> product
        self.tasks: dict[int, dict[str, Any]] = {}
        self.postings: dict[str, dict[str, Any]] = {}
        self.stock_updates: dict[tuple[str, int], float] = {}  # (offer, warehouse) -> when
        self.rejected: dict[str, str] = {}
        self.usage = {"daily_create": 0, "daily_update": 0}
        self._windows: dict[str, tuple[int, int]] = {}
        self._ids = itertools.count(1)
        self._order_numbers = itertools.count(10_000_001)

    @classmethod
    def from_options(cls, *, batch_delay: float = 0.0, orders: int = 0, **options: Any) -> OzonSandbox:
        credentials = DEMO["credentials"]
        return cls(credentials["client_id"], credentials["api_key"], batch_delay=batch_delay, orders=orders,
                   **options)  # fmt: skip

    def connection_lines(self) -> list[tuple[str, str]]:
        return [("Client-Id", self.client_id), ("Api-Key", self.api_key),
                ("warehouse", str(WAREHOUSES[0]["warehouse_id"]))]  # fmt: skip

    def reset(self) -> None:
        with self._lock:
            super().reset()
            self._clear()

    def state(self) -> dict[str, Any]:
        return {"products": len(self.products), "tasks": len(self.tasks), "postings": len(self.postings)}

    def fault_answer(self, fault: str, status: int) -> Answer:
        if fault == "429":
            return 429, RATE_LIMIT_BODY, {"Retry-After": str(self.faults.retry_after)}
        return status, {"code": 13, "message": "Internal error", "details": []}, {}

    # ---- accessors for tests ---------------------------------------------------------------

    def product(self, offer_id: str) -> dict[str, Any] | None:
        with self._lock:
            self._settle()
            product = self.products.get(offer_id)
            return copy.deepcopy(product) if product else None

    def stock(self, offer_id: str, warehouse_id: int | None = None) -> int | None:
        product = self.product(offer_id)
        if product is None:
            return None
        return product["stocks"].get(warehouse_id or WAREHOUSES[0]["warehouse_id"])

    def posting(self, posting_number: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self.postings[posting_number])

    def age_stock_updates(self, seconds: float) -> None:
        """Make the recorded stock updates `seconds` older (the 2-minute rule, in tests)."""
        with self._lock:
            self.stock_updates = {key: when - seconds for key, when in self.stock_updates.items()}

    def reject_items(self, offer_ids: list[str], message: str) -> None:
        with self._lock:
            self.rejected.update(dict.fromkeys(offer_ids, message))

    def set_posting_status(self, posting_number: str, status: str) -> None:
        if status not in POSTING_STATUSES:
            raise ValueError(f"unknown posting status {status}")
        with self._lock:
            posting = self.postings[posting_number]
            posting["status"] = status
            posting["last_changed_status_date"] = _iso(self.now())

    def add_postings(self, count: int, offer_ids: list[str] | None = None,
                     status: str = "awaiting_packaging") -> list[str]:  # fmt: skip
        """`count` FBS postings of one product each (cycling through `offer_ids`, else the
        products imported so far)."""
        with self._lock:
            self._settle()
            offers = list(offer_ids or self.products)
            if not offers:
                raise ValueError("no products to order: import some or pass offer ids")
            numbers = []
            for index in range(count):
                offer_id = offers[index % len(offers)]
                product = self.products.get(offer_id) or {"name": offer_id, "price": "100.00", "product_id": 0}
                order_number = f"{next(self._order_numbers):08d}-0001"
                number = f"{order_number}-1"
                now = _iso(self.now())
                self.postings[number] = {
                    "posting_number": number, "order_id": int(order_number[:8]), "order_number": order_number,
                    "status": status, "substatus": "posting_created", "in_process_at": now,
                    "shipment_date": _iso(self.now() + 86400), "last_changed_status_date": now,
                    "delivery_method": {"id": 1020000000001, "name": "Ozon Логистика", "warehouse_id":
                                        WAREHOUSES[0]["warehouse_id"], "warehouse": WAREHOUSES[0]["name"]},
                    "tracking_number": "", "tpl_integration_type": "ozon", "cancellation": None,
                    "customer": None, "addressee": None,
                    "analytics_data": {"city": self._rng.choice(CITIES), "region": "", "delivery_type": "Courier"},
                    "products": [{"sku": product["product_id"] + 1_000_000_000, "offer_id": offer_id,
                                  "name": product["name"], "quantity": 1, "price": product["price"],
                                  "currency_code": "RUB"}],
                }  # fmt: skip
                numbers.append(number)
            return numbers

    # ---- request handling ----------------------------------------------------------------------

    def _authenticate(self, headers: Any) -> None:
        client_id, api_key = headers.get("Client-Id"), headers.get("Api-Key")
        if not client_id or not api_key:
            raise error(401, 16, "Client-Id and Api-Key headers are required")
        if client_id != self.client_id or api_key != self.api_key:
            raise error(403, 7, "Invalid Api-Key, please contact support")

    def _rate_limit(self, group: str, limit: int, window_seconds: int) -> None:
        if not self.rate_limits:
            return
        window = int(self.now() // window_seconds)
        start, count = self._windows.get(group, (window, 0))
        if start != window:
            start, count = window, 0
        if count >= limit:
            raise SandboxError(429, RATE_LIMIT_BODY, {"Retry-After": str(window_seconds)})
        self._windows[group] = (start, count + 1)

    def handle_api(self, method: str, path: str, query: dict[str, list[str]], headers: Any, raw: bytes) -> Answer:
        handler = ROUTES.get(path)
        with self._lock:
            self._authenticate(headers)
            if handler is None:
                raise error(404, 5, f"Method {path} not found")
            if method != "POST":
                raise error(405, 12, "Method not allowed: use POST")
            self._rate_limit("second", 50, 1)
            body = json_body(raw, {"code": 3, "message": "invalid JSON body", "details": []})
            if not isinstance(body, dict):
                raise error(400, 3, "The body must be a JSON object")
            self._settle()
            return 200, handler(self, body), {}

    # ---- catalogue -------------------------------------------------------------------------------

    def _tree(self, body: dict) -> Any:
        return {"result": copy.deepcopy(TREE)}

    def _attributes(self, body: dict) -> Any:
        type_id = body.get("type_id")
        if TYPE_PARENTS.get(type_id) != body.get("description_category_id"):
            raise error(400, 3, "description_category_id and type_id do not match")
        return {"result": copy.deepcopy(TYPE_ATTRIBUTES[type_id])}

    def _limits(self, body: dict) -> Any:
        reset_at = _iso((self.now() // 86400 + 1) * 86400)
        return {
            "daily_create": {"limit": self.quota["daily_create"], "usage": self.usage["daily_create"],
                             "reset_at": reset_at},
            "daily_update": {"limit": self.quota["daily_update"], "usage": self.usage["daily_update"],
                             "reset_at": reset_at},
            "total": {"limit": -1, "usage": len(self.products)},
        }  # fmt: skip

    def _import(self, body: dict) -> Any:
        items = body.get("items")
        if not isinstance(items, list) or not items:
            raise error(400, 3, "items: value is required")
        if len(items) > MAX_IMPORT_ITEMS:
            raise error(400, 3, f"items: value must contain at most {MAX_IMPORT_ITEMS} item(s)")
        task_id = next(self._ids) + 1_000_000
        results = []
        for item in items:
            offer_id = item.get("offer_id") if isinstance(item, dict) else None
            reasons = self._item_failures(item)
            kind = "daily_update" if offer_id in self.products else "daily_create"
            if not reasons and self.usage[kind] >= self.quota[kind]:
                reasons = [("DAILY_LIMIT_EXCEEDED", f"The {kind} limit of {self.quota[kind]} products is used up")]
            if not reasons:
                self.usage[kind] += 1
            results.append({"offer_id": offer_id, "item": copy.deepcopy(item), "reasons": reasons})
        self.tasks[task_id] = {"at": self.now() + self.batch_delay, "items": results, "settled": False}
        return {"result": {"task_id": task_id}}

    def _item_failures(self, item: Any) -> list[tuple[str, str]]:
        if not isinstance(item, dict):
            return [("INVALID", "The item must be an object")]
        reasons = []
        offer_id = item.get("offer_id")
        if not isinstance(offer_id, str) or not 0 < len(offer_id) <= 50:
            return [("INVALID_OFFER_ID", "offer_id must be text of 1 to 50 characters")]
        if offer_id in self.rejected:
            return [("REJECTED", self.rejected[offer_id])]
        if not isinstance(item.get("name"), str) or not item["name"].strip():
            reasons.append(("EMPTY_NAME", "name is required"))
        type_id = item.get("type_id")
        if TYPE_PARENTS.get(type_id) != item.get("description_category_id") or type_id is None:
            reasons.append(("INVALID_CATEGORY", "description_category_id and type_id must name a product type"))
        price, old_price = _decimal_text(item.get("price")), _decimal_text(item.get("old_price", "0"))
        if price is None or price <= 0:
            reasons.append(("INVALID_PRICE", "price must be a positive number written as a string"))
        elif old_price is None or (old_price and old_price <= price):
            reasons.append(("INVALID_OLD_PRICE", "old_price must be \"0\" or more than price"))
        if item.get("vat") not in VAT_RATES:
            reasons.append(("INVALID_VAT", f"vat must be one of {', '.join(VAT_RATES)}"))
        if item.get("currency_code", "RUB") not in CURRENCIES:
            reasons.append(("INVALID_CURRENCY", "unknown currency_code"))
        for name in ("weight", "height", "width", "depth"):
            value = item.get(name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                reasons.append(("INVALID_DIMENSIONS", f"{name} must be a positive number"))
        if item.get("weight_unit") not in ("g", "kg", "lb") or item.get("dimension_unit") not in ("mm", "cm", "in"):
            reasons.append(("INVALID_DIMENSIONS", "weight_unit and dimension_unit are required"))
        if type_id in TYPE_ATTRIBUTES:
            reasons.extend(self._attribute_failures(type_id, item.get("attributes")))
        return reasons

    @staticmethod
    def _attribute_failures(type_id: int, attributes: Any) -> list[tuple[str, str]]:
        given = {}
        for attribute in attributes if isinstance(attributes, list) else []:
            if isinstance(attribute, dict) and isinstance(attribute.get("values"), list) and attribute["values"]:
                given[attribute.get("id")] = attribute["values"]
        reasons = []
        for spec in TYPE_ATTRIBUTES[type_id]:
            values = given.get(spec["id"])
            if values is None:
                if spec["is_required"]:
                    reasons.append(("REQUIRED_ATTRIBUTE_MISSING", f"attribute {spec['id']} ({spec['name']}) is required"))
                continue
            if spec["dictionary_id"]:
                known = DICTIONARIES.get(spec["id"], {})
                if any(v.get("dictionary_value_id") not in known for v in values if isinstance(v, dict)):
                    reasons.append(("INVALID_DICTIONARY_VALUE", f"attribute {spec['id']}: unknown dictionary value"))
        return reasons

    def _settle(self) -> None:
        """Process the import tasks whose time came."""
        now = self.now()
        for task in self.tasks.values():
            if task["settled"] or task["at"] > now:
                continue
            task["settled"] = True
            for result in task["items"]:
                if result["reasons"]:
                    continue
                item = result["item"]
                product = self.products.get(item["offer_id"])
                if product is None:
                    product = {"product_id": 100_000_000 + next(self._ids), "stocks": {}}
                    self.products[item["offer_id"]] = product
                product.update({k: v for k, v in item.items() if k != "stocks"}, state="price_sent")
                result["product_id"] = product["product_id"]

    def _import_info(self, body: dict) -> Any:
        task = self.tasks.get(body.get("task_id"))
        if task is None:
            raise error(404, 5, "task not found")
        items = []
        for result in task["items"]:
            if not task["settled"]:
                status, errors = "pending", []
            elif result["reasons"]:
                status = "failed"
                errors = [{"code": code, "field": "", "attribute_id": 0, "state": "", "level": "error",
                           "description": message, "message": message} for code, message in result["reasons"]]  # fmt: skip
            else:
                status, errors = "imported", []
            items.append({"offer_id": result["offer_id"], "product_id": result.get("product_id", 0),
                          "status": status, "errors": errors})  # fmt: skip
        return {"result": {"items": items, "total": len(items)}}

    # ---- prices and stocks -------------------------------------------------------------------------

    def _prices(self, body: dict) -> Any:
        prices = body.get("prices")
        if not isinstance(prices, list) or not prices or len(prices) > MAX_PRICES:
            raise error(400, 3, f"prices: from 1 to {MAX_PRICES} items are required")
        for entry in prices:
            for name in ("price", "old_price", "min_price"):
                if isinstance(entry, dict) and name in entry and not isinstance(entry[name], str):
                    raise error(400, 3, f"prices.{name}: invalid value for string type")
        results = []
        for entry in prices:
            offer_id = entry.get("offer_id") if isinstance(entry, dict) else None
            product = self.products.get(offer_id)
            price, old = _decimal_text(entry.get("price")), _decimal_text(entry.get("old_price", "0"))
            errors = []
            if offer_id in self.rejected:
                errors.append({"code": "REJECTED", "message": self.rejected[offer_id]})
            elif product is None:
                errors.append({"code": "NOT_FOUND", "message": "Product not found"})
            elif price is None or price <= 0:
                errors.append({"code": "INVALID_PRICE", "message": "price must be a positive number"})
            elif old is None or (old and old <= price):
                errors.append({"code": "INVALID_OLD_PRICE", "message": "old_price must be \"0\" or more than price"})
            else:
                product["price"], product["old_price"] = entry["price"], entry.get("old_price", product.get("old_price"))
            results.append({"offer_id": offer_id, "product_id": product["product_id"] if product else 0,
                            "updated": not errors, "errors": errors})  # fmt: skip
        return {"result": results}

    def _stocks(self, body: dict) -> Any:
        stocks = body.get("stocks")
        if not isinstance(stocks, list) or not stocks or len(stocks) > MAX_STOCK_PAIRS:
            raise error(400, 3, f"stocks: from 1 to {MAX_STOCK_PAIRS} items are required")
        self._rate_limit("stocks", 80, 60)
        warehouses = {w["warehouse_id"] for w in WAREHOUSES}
        now, results = self.now(), []
        for entry in stocks:
            entry = entry if isinstance(entry, dict) else {}
            offer_id, warehouse_id, quantity = entry.get("offer_id"), entry.get("warehouse_id"), entry.get("stock")
            product = self.products.get(offer_id)
            last = self.stock_updates.get((offer_id, warehouse_id))
            if offer_id in self.rejected:
                code, message = "REJECTED", self.rejected[offer_id]
            elif product is None:
                code, message = "NOT_FOUND", "Product not found"
            elif warehouse_id not in warehouses:
                code, message = "WAREHOUSE_NOT_FOUND", "Warehouse not found"
            elif product.get("state") != "price_sent":
                code, message = "PRODUCT_IS_NOT_CREATED", "The product has no price yet"
            elif not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
                code, message = "INVALID_STOCK", "stock must be a whole number of at least 0"
            elif last is not None and now - last < STOCK_INTERVAL_SECONDS:
                code, message = "TOO_MANY_REQUESTS", (
                    "The stock of a product at a warehouse may be updated once in 2 minutes")
            else:
                code = message = None
                product["stocks"][warehouse_id] = quantity
                self.stock_updates[(offer_id, warehouse_id)] = now
            results.append({"warehouse_id": warehouse_id, "product_id": product["product_id"] if product else 0,
                            "offer_id": offer_id, "updated": code is None,
                            "errors": [{"code": code, "message": message}] if code else []})  # fmt: skip
        return {"result": results}

    def _warehouses(self, body: dict) -> Any:
        return {"result": copy.deepcopy(WAREHOUSES)}

    # ---- postings ------------------------------------------------------------------------------------

    def _postings(self, body: dict) -> Any:
        filters = body.get("filter") or {}
        if "since" not in filters or "to" not in filters:
            raise error(400, 3, "filter.since and filter.to are required")
        since, to = _parse_time(filters["since"], "filter.since"), _parse_time(filters["to"], "filter.to")
        limit, offset = body.get("limit"), body.get("offset", 0)
        if not isinstance(limit, int) or not 1 <= limit <= MAX_POSTING_PAGE:
            raise error(400, 3, f"limit must be from 1 to {MAX_POSTING_PAGE}")
        if not isinstance(offset, int) or offset < 0:
            raise error(400, 3, "offset must not be negative")
        changed = filters.get("last_changed_status_date") or {}
        changed_from = _parse_time(changed["from"], "from") if changed.get("from") else None
        changed_to = _parse_time(changed["to"], "to") if changed.get("to") else None
        rows = []
        for posting in self.postings.values():
            started = _parse_time(posting["in_process_at"], "in_process_at")
            moved = _parse_time(posting["last_changed_status_date"], "last_changed_status_date")
            if not since <= started <= to or (filters.get("status") and posting["status"] != filters["status"]):
                continue
            if (changed_from is not None and moved < changed_from) or (changed_to is not None and moved > changed_to):
                continue
            rows.append(posting)
        rows.sort(key=lambda p: (p["in_process_at"], p["posting_number"]), reverse=body.get("dir") == "DESC")
        page = rows[offset : offset + limit]
        with_data = body.get("with") or {}
        rendered = []
        for posting in page:
            row = copy.deepcopy(posting)
            if not with_data.get("analytics_data"):
                row["analytics_data"] = None
            rendered.append(row)
        return {"result": {"postings": rendered, "has_next": offset + limit < len(rows)}}

    def _posting(self, body: dict) -> Any:
        posting = self.postings.get(body.get("posting_number"))
        if posting is None:
            raise error(404, 5, "POSTING_NOT_FOUND")
        return {"result": copy.deepcopy(posting)}

    def _ship(self, body: dict) -> Any:
        number = body.get("posting_number")
        posting = self.postings.get(number)
        if posting is None:
            raise error(404, 5, "POSTING_NOT_FOUND")
        if posting["status"] != "awaiting_packaging":
            raise error(400, 3, "POSTING_ALREADY_SHIPPED")
        packages = body.get("packages")
        shipped: dict[int, int] = {}
        for package in packages if isinstance(packages, list) else []:
            for product in package.get("products") or []:
                shipped[product.get("product_id")] = shipped.get(product.get("product_id"), 0) + product.get("quantity", 0)
        ordered = {p["sku"]: p["quantity"] for p in posting["products"]}  # product_id is the Ozon SKU here
        if shipped != ordered:
            raise error(400, 3, "PRODUCTS_MISMATCH: every product of the posting must be packed with its quantity")
        posting["status"], posting["substatus"] = "awaiting_deliver", "posting_awaiting_passport_data"
        posting["last_changed_status_date"] = _iso(self.now())
        return {"additional_data": [], "result": [number]}

    # ---- control ---------------------------------------------------------------------------------------

    def control(self, method: str, path: str, body: Any) -> tuple[int, Any] | None:
        if method != "POST":
            return None
        if path == "/orders":
            numbers = self.add_postings(int(body.get("count", 1)), body.get("keys"),
                                        body.get("status", "awaiting_packaging"))  # fmt: skip
            return 201, {"posting_numbers": numbers}
        if path == "/reject":
            self.reject_items(list(body["keys"]), str(body["message"]))
            return 200, {"rejected": len(body["keys"])}
        if path == "/quota":
            with self._lock:
                self.quota.update({k: int(v) for k, v in body.items() if k in self.quota})
            return 200, {"quota": self.quota}
        if path.startswith("/postings/") and path.endswith("/status"):
            self.set_posting_status(path[len("/postings/") : -len("/status")], body["status"])
            return 200, {"status": body["status"]}
        return None


ROUTES = {
    "/v1/description-category/tree": OzonSandbox._tree,
    "/v1/description-category/attribute": OzonSandbox._attributes,
    "/v4/product/info/limit": OzonSandbox._limits,
    "/v3/product/import": OzonSandbox._import,
    "/v1/product/import/info": OzonSandbox._import_info,
    "/v1/product/import/prices": OzonSandbox._prices,
    "/v2/products/stocks": OzonSandbox._stocks,
    "/v1/warehouse/list": OzonSandbox._warehouses,
    "/v3/posting/fbs/list": OzonSandbox._postings,
    "/v3/posting/fbs/get": OzonSandbox._posting,
    "/v4/posting/fbs/ship": OzonSandbox._ship,
}
