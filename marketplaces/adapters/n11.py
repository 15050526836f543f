"""The N11 adapter: REST only, per the team's protocol notes (§3.2). N11's SOAP stock, price
and product-update services were switched off on 2024-06-01.

- Base URL per account (production ``https://api.n11.com``); paths as production's:
  ``/ms/...`` (products, tasks), ``/cdn/...`` (categories), ``/rest/...`` (orders).
- Auth: headers ``appkey`` and ``appsecret`` (no Authorization header). The category
  service needs ``appkey`` only, so the secret is not sent there.
- Every product payload is ``{"payload": {"integrator": <name>, "skus": [...]}}``; the
  integrator name is the ``integrator`` option (default ``"MesChain"``) and the same on
  every call.
- Product create, product update and price/stock updates are tasks of at most 1,000 SKUs,
  answered ``{"id", "type", "status": IN_QUEUE|REJECT, "reasons"}``; :meth:`poll_batch`
  reads ``/ms/product/task-details/page-query`` page by page (``pageable{page,size}``) and
  keeps each SKU's ``reasons`` as N11 sent them (a task REJECTed as a whole fails every
  SKU with the task's reasons).
- Price rules checked BEFORE sending, because a single bad SKU can get a whole task
  rejected and a wrong price costs the seller money: listPrice and salePrice go together,
  each a positive amount with at most two decimals (never rounded by us), and
  listPrice ≥ salePrice. An item breaking them comes back as a failed item with a
  translated reason and never reaches N11. Prices go out as JSON numbers with exactly two
  decimals and a dot (``249.90``), with ``currencyType`` ``"TL"``.
- Listings are keyed by the seller's stock code (``stockCode`` = our SKU).
- Orders are shipment packages (``/rest/delivery/v1/shipmentPackages``): one ``status``
  per call, ``page`` from 0 (size ≤ 100), ``startDate``/``endDate`` in epoch ms cut into
  windows of at most 30 days, nothing before November 2024, sorted by last update
  ascending. Pages are keyed on ``lastModifiedDate`` (a full page restarts page 0 at the
  last date seen), so a package modified while we page cannot push another out of sight.
- Our "processing" becomes N11's ``Picking`` for the package's Created lines.

Inferred or configurable (the notes mark these M/L or say nothing) — adapter options:
``integrator``; ``update_order_path`` (default ``/rest/order/v1/update``, body
``{"lines": [{"lineId"}], "status": "Picking"}``: not in the notes, which list split only;
several public integrations use it); ``order_statuses``; ``order_window_days`` (30);
``order_page_size`` (100); ``order_paging`` (``"keyset"`` or plain ``"pages"``);
``order_time_offset_hours`` (0; some integrators read N11's epoch ms as GMT+3);
``task_page_size`` (1000); ``shipment_template`` (N11 needs the name of one of the
seller's shipment templates: items are refused before sending until it is set);
``preparing_day`` (3); ``brand_attribute_id`` (1, N11's "Marka": the account's brand
value id is added when the mapping names no brand). Content updates use
``/ms/product/tasks/product-update`` with the fields it takes (description, VAT rate,
product main id, preparing day, shipment template); title, images and attributes cannot
be changed through the REST API, so they are not part of the content hash.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from marketplaces.adapters import n11_orders as orders
from marketplaces.adapters.base import (
    ITEM_FAILED,
    ITEM_PENDING,
    ITEM_SUCCESS,
    PROCESSING,
    AccountConfig,
    BatchHandle,
    BatchResult,
    Category,
    CategoryAttribute,
    ItemResult,
    ListingItem,
    MarketplaceAdapter,
    MarketplaceOrder,
    OrderPull,
    StockPriceItem,
    payload_hash,
    register,
)
from marketplaces.client import MarketplaceError, MarketplaceHttpClient

PRODUCTION_BASE_URL = "https://api.n11.com"
MAX_BATCH_ITEMS = 1000
DEFAULT_INTEGRATOR = "MesChain"
CREATE_PATH = "/ms/product/tasks/product-create"
UPDATE_PATH = "/ms/product/tasks/product-update"
PRICE_STOCK_PATH = "/ms/product/tasks/price-stock-update"
TASK_DETAILS_PATH = "/ms/product/task-details/page-query"
PRODUCT_QUERY_PATH = "/ms/product-query"
PACKAGES_PATH = "/rest/delivery/v1/shipmentPackages"
UPDATE_ORDER_PATH = "/rest/order/v1/update"  # inferred: see the module docstring
DEFAULT_ORDER_OVERLAP = timedelta(minutes=15)
CENT = Decimal("0.01")
CURRENCIES = {"TRY": "TL", "TL": "TL", "USD": "USD", "EUR": "EUR"}
ALREADY_EXISTS_MARKER = "already exists"
DONE_TASK_STATUSES = {"PROCESSED", "REJECT", "COMPLETED", "DONE", "FAILED"}
FAILED_ITEM_STATUSES = {"FAIL", "FAILED", "REJECT", "REJECTED", "ERROR"}
CONTENT_FIELDS = ("stockCode", "description", "vatRate", "productMainId", "preparingDay", "shipmentTemplate")


def _amount(value: Decimal | float | int | str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal("NaN")
    return amount


def price_problems(list_price: Any, sale_price: Any) -> list[str]:
    """Why N11 would refuse this pair of prices (empty: it would not). Checked before
    sending; nothing is rounded, a third decimal is refused."""
    if list_price is None or sale_price is None:
        return [_("N11 needs the list price and the sale price together.")]
    problems = []
    values = {}
    for field, value in (("listPrice", list_price), ("salePrice", sale_price)):
        amount = _amount(value)
        if amount is None or not amount.is_finite() or amount <= 0:
            problems.append(_("%(field)s must be a positive amount.") % {"field": field})
        elif amount != amount.quantize(CENT):
            problems.append(_("%(field)s %(value)s has more than two decimals; N11 takes exactly two.")
                            % {"field": field, "value": amount})  # fmt: skip
        else:
            values[field] = amount
    if not problems and values["listPrice"] < values["salePrice"]:
        problems.append(_("The list price %(list)s is lower than the sale price %(sale)s; N11 requires "
                          "listPrice ≥ salePrice.") % {"list": values["listPrice"], "sale": values["salePrice"]})
    return problems


def money(value: Any) -> Decimal:
    """An amount with exactly two decimals (validated by :func:`price_problems` first)."""
    return Decimal(str(value)).quantize(CENT)


def dumps(payload: Any) -> bytes:
    """JSON bytes in which every Decimal is a number written as it is (``249.90`` keeps
    both decimals, which ``json`` would drop for a float)."""
    token = uuid.uuid4().hex

    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"{token}{value:f}{token}"
        raise TypeError(f"not JSON-able: {type(value).__name__}")

    text = json.dumps(payload, default=default, ensure_ascii=False, separators=(",", ":"))
    return re.sub(f'"{token}(-?[0-9]+(?:\\.[0-9]+)?){token}"', r"\1", text).encode()


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _reasons(value: Any) -> list[str]:
    if value in (None, "", []):
        return []
    if isinstance(value, list | tuple):
        return [str(v.get("message") or v) if isinstance(v, dict) else str(v) for v in value]
    return [str(value)]


@register
class N11Adapter(MarketplaceAdapter):
    code = "n11"
    name = "N11"
    max_batch_items = MAX_BATCH_ITEMS

    def __init__(self, config: AccountConfig, *, client: MarketplaceHttpClient | None = None) -> None:
        super().__init__(config)
        options = config.options
        credentials = config.credentials or {}
        self._app_key = credentials.get("app_key") or config.api_key
        self._app_secret = credentials.get("app_secret") or config.api_secret
        self.integrator = str(options.get("integrator") or DEFAULT_INTEGRATOR)
        self.batch_size = max(1, min(int(options.get("batch_size", MAX_BATCH_ITEMS)), MAX_BATCH_ITEMS))
        self.task_page_size = max(1, min(int(options.get("task_page_size", 1000)), 1000))
        self.order_page_size = max(1, min(int(options.get("order_page_size", orders.MAX_PAGE_SIZE)),
                                          orders.MAX_PAGE_SIZE))  # fmt: skip
        self.order_window = min(timedelta(days=float(options.get("order_window_days", 30))), orders.MAX_ORDER_WINDOW)
        self.order_statuses = tuple(options.get("order_statuses") or orders.ORDER_STATUSES)
        self.order_paging = options.get("order_paging", "keyset")
        self.order_overlap = timedelta(seconds=float(options.get("order_overlap_seconds",
                                                                 DEFAULT_ORDER_OVERLAP.total_seconds())))
        self.time_offset = timedelta(hours=float(options.get("order_time_offset_hours", 0)))
        self.update_order_path = str(options.get("update_order_path") or UPDATE_ORDER_PATH)
        self.shipment_template = str(options.get("shipment_template") or "")
        self.preparing_day = int(options.get("preparing_day", 3))
        self.brand_attribute_id = int(options.get("brand_attribute_id", 1))
        self.client = client or MarketplaceHttpClient(
            config.base_url or PRODUCTION_BASE_URL,
            account_key=config.limiter_key,
            headers={"appkey": self._app_key, "Accept": "application/json"},
            timeout=config.timeout,
            rate_limit=config.rate_limit,
            **options.get("client_options", {}),
        )

    def close(self) -> None:
        self.client.close()

    def _call(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None) -> Any:
        """An authenticated call (``appsecret`` added to the ``appkey`` every call carries)."""
        headers = {"appsecret": self._app_secret}
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = dumps(body)
        return self.client.request(method, path, params=params, headers=headers, content=content)

    # ---- connection ----------------------------------------------------------------------

    def test_connection(self) -> None:
        """A cheap authenticated call: one product of the seller."""
        self._call("GET", PRODUCT_QUERY_PATH, params={"page": 0, "size": 1})

    # ---- payloads --------------------------------------------------------------------------

    def _currency(self, currency: str) -> str:
        return CURRENCIES.get((currency or "TRY").upper(), currency)

    def _attributes(self, item: ListingItem) -> list[dict[str, Any]]:
        attributes = [dict(a) for a in item.attributes]
        if item.brand_id and not any(str(a.get("id")) == str(self.brand_attribute_id) for a in attributes):
            attributes.insert(0, {"id": self.brand_attribute_id, "valueId": int(item.brand_id), "customValue": None})
        return attributes

    def listing_payload(self, item: ListingItem) -> dict[str, Any]:
        """The product-create SKU of a listing (prices validated first)."""
        sku: dict[str, Any] = {
            "title": item.title, "description": item.description or item.title,
            "categoryId": item.category_id, "currencyType": self._currency(item.currency),
            "productMainId": item.group_code, "preparingDay": self.preparing_day,
            "shipmentTemplate": self.shipment_template, "stockCode": item.barcode,
            "barcode": item.gtin or None, "quantity": int(item.quantity),
            "images": [{"url": url, "order": position} for position, url in enumerate(item.images, 1)],
            "attributes": self._attributes(item),
            "salePrice": money(item.sale_price), "listPrice": money(item.list_price), "vatRate": item.vat_rate,
        }  # fmt: skip
        sku.update(item.extra)
        return sku

    def content_payload(self, item: ListingItem) -> dict[str, Any]:
        """The product-update SKU: only what N11's REST update takes."""
        return {"stockCode": item.barcode, "description": item.description or item.title, "vatRate": item.vat_rate,
                "productMainId": item.group_code, "preparingDay": self.preparing_day,
                "shipmentTemplate": self.shipment_template}  # fmt: skip

    def stock_price_payload(self, item: StockPriceItem) -> dict[str, Any]:
        sku: dict[str, Any] = {"stockCode": item.barcode}
        if item.quantity is not None:
            sku["quantity"] = int(item.quantity)
        if item.list_price is not None or item.sale_price is not None:
            sku["listPrice"], sku["salePrice"] = money(item.list_price), money(item.sale_price)
        sku["currencyType"] = "TL"
        return sku

    def _listing_problems(self, item: ListingItem) -> list[str]:
        problems = price_problems(item.list_price, item.sale_price)
        if not self.shipment_template:
            problems.append(_("Set the N11 shipment template name (adapter option shipment_template) "
                              "of this account first."))  # fmt: skip
        if item.category_id is None:
            problems.append(_("The category mapping names no N11 category id."))
        return problems

    @staticmethod
    def _stock_problems(item: StockPriceItem) -> list[str]:
        if item.list_price is None and item.sale_price is None:
            return [] if item.quantity is not None else [_("Nothing to send: no stock and no prices.")]
        return price_problems(item.list_price, item.sale_price)

    # ---- tasks -------------------------------------------------------------------------------

    def _submit(self, path: str, kind: str, skus: list[dict[str, Any]]) -> list[BatchHandle]:
        handles = []
        for chunk in _chunks(skus, self.batch_size):
            keys = [sku["stockCode"] for sku in chunk]
            body = self._call("POST", path, body={"payload": {"integrator": self.integrator, "skus": chunk}}) or {}
            if str(body.get("status") or "").upper() == "REJECT" or body.get("id") is None:
                reasons = _reasons(body.get("reasons")) or [_("N11 rejected the task without a reason.")]
                handles.append(self.settled_batch(kind, [ItemResult(key, ITEM_FAILED, reasons, body) for key in keys]))
            else:
                handles.append(BatchHandle(str(body["id"]), kind, keys))
        return handles

    def _send(self, path: str, kind: str, items: list[tuple[str, list[str], dict[str, Any] | None]]) -> list[BatchHandle]:
        """Refused items (key, problems) become one settled handle; the rest go as tasks."""
        latest: dict[str, tuple[list[str], dict[str, Any] | None]] = {}
        for key, problems, sku in items:  # one entry per stock code: the last wins
            latest.pop(key, None)
            latest[key] = (problems, sku)
        refused = [ItemResult(key, ITEM_FAILED, problems) for key, (problems, _sku) in latest.items() if problems]
        handles = [self.settled_batch(kind, refused)] if refused else []
        return handles + self._submit(path, kind, [sku for problems, sku in latest.values() if not problems and sku])

    def push_listings(self, items: Iterable[ListingItem]) -> list[BatchHandle]:
        prepared = []
        for item in items:
            problems = self._listing_problems(item)
            prepared.append((item.barcode, problems, None if problems else self.listing_payload(item)))
        return self._send(CREATE_PATH, "listings", prepared)

    def update_listings(self, items: Iterable[ListingItem]) -> list[BatchHandle]:
        """Send what N11's product-update takes (see the module docstring)."""
        prepared = []
        for item in items:
            problems = [] if self.shipment_template else [_("Set the N11 shipment template name (adapter option "
                                                            "shipment_template) of this account first.")]
            prepared.append((item.barcode, problems, None if problems else self.content_payload(item)))
        return self._send(UPDATE_PATH, "listings_update", prepared)

    def push_stock_prices(self, items: Iterable[StockPriceItem]) -> list[BatchHandle]:
        prepared = []
        for item in items:
            problems = self._stock_problems(item)
            prepared.append((item.barcode, problems, None if problems else self.stock_price_payload(item)))
        return self._send(PRICE_STOCK_PATH, "stock_price", prepared)

    def _task_page(self, task_id: str, page: int) -> dict[str, Any]:
        body = {"taskId": int(task_id) if task_id.isdigit() else task_id,
                "pageable": {"page": page, "size": self.task_page_size}}  # fmt: skip
        return self._call("POST", TASK_DETAILS_PATH, body=body) or {}

    def poll_batch(self, handle: BatchHandle) -> BatchResult:
        if (settled := self.settled_result(handle)) is not None:
            return settled
        first = self._task_page(handle.batch_id, 0)
        status = str(first.get("status") or "").upper()
        if status not in DONE_TASK_STATUSES:
            return BatchResult(handle.batch_id, False, [ItemResult(k, ITEM_PENDING) for k in handle.keys], first)
        found: dict[str, list[dict[str, Any]]] = {}
        body, page = first, 0
        while True:
            skus = body.get("skus") or {}
            content = skus.get("content") or [] if isinstance(skus, dict) else skus
            for entry in content:
                key = str(entry.get("itemCode") or (entry.get("sku") or {}).get("stockCode") or "")
                found.setdefault(key, []).append(entry)
            page += 1
            total_pages = int(skus.get("totalPages") or 0) if isinstance(skus, dict) else 0
            if not content or page >= total_pages:
                break
            body = self._task_page(handle.batch_id, page)
        task_reasons = _reasons(first.get("reasons"))
        results = []
        for key in handle.keys:
            entries = found.get(key)
            if not entries:
                if status == "REJECT":
                    reasons = task_reasons or [_("N11 rejected the task without a reason.")]
                else:
                    reasons = [_("N11 reported no result for this item.")]
                results.append(ItemResult(key, ITEM_FAILED, reasons))
                continue
            entry = entries.pop(0)
            item_status = str(entry.get("status") or "").upper()
            reasons = _reasons(entry.get("reasons")) or _reasons((entry.get("sku") or {}).get("reasons"))
            if item_status == "SUCCESS":
                results.append(ItemResult(key, ITEM_SUCCESS, reasons, entry))
            elif item_status in FAILED_ITEM_STATUSES:
                results.append(ItemResult(key, ITEM_FAILED, reasons or task_reasons, entry))
            else:
                results.append(ItemResult(key, ITEM_PENDING, reasons, entry))
        done = all(r.status != ITEM_PENDING for r in results)
        return BatchResult(handle.batch_id, done, results, first)

    # ---- orders ------------------------------------------------------------------------------

    def fetch_orders(self, since: datetime, until: datetime | None = None,
                     overlap: timedelta | None = None) -> OrderPull:  # fmt: skip
        until = until or datetime.now(UTC)
        start = max(since - (self.order_overlap if overlap is None else overlap), orders.ORDERS_AVAILABLE_SINCE)
        requests_before = self.client.stats.attempts
        found: dict[str, MarketplaceOrder] = {}
        for window_start, window_end in orders.windows(start, until, self.order_window):
            for status in self.order_statuses:
                packages = self._packages(status, orders.to_ms(window_start, self.time_offset),
                                          orders.to_ms(window_end, self.time_offset))  # fmt: skip
                orders.newest_first_wins(packages, self.time_offset, found, until)
        ordered = sorted(found.values(), key=lambda o: (o.modified_at or until, o.external_id))
        return OrderPull(ordered, until, self.client.stats.attempts - requests_before)

    def _packages(self, status: str, start_ms: int, end_ms: int) -> Iterable[dict[str, Any]]:
        """Every package of one status modified in [start, end], from page 0, oldest first."""
        size = self.order_page_size
        cursor, page = start_ms, 0
        while True:
            params = {"status": status, "startDate": cursor, "endDate": end_ms, "page": page, "size": size,
                      "orderByDirection": "ASC"}  # fmt: skip
            body = self._call("GET", PACKAGES_PATH, params=params) or {}
            content = body.get("content") or []
            yield from content
            if len(content) < size or page + 1 >= int(body.get("totalPages") or 0):
                return
            last = int(content[-1].get("lastModifiedDate") or cursor)
            if self.order_paging == "keyset" and last > cursor:
                cursor, page = last, 0
            else:
                page += 1

    def fetch_order(self, external_id: str) -> MarketplaceOrder | None:
        body = self._call("GET", PACKAGES_PATH, params={"packageIds": external_id, "page": 0, "size": 1}) or {}
        content = body.get("content") or []
        return orders.parse_package(content[0], self.time_offset) if content else None

    def push_order_status(self, order: MarketplaceOrder, status: str, *,
                          invoice_number: str | None = None) -> None:  # fmt: skip
        """Move the package's Created lines to Picking (the one status a seller sets through
        the REST API). N11's per-line refusals surface as a MarketplaceError."""
        if status != "Picking":
            raise MarketplaceError(_("N11 takes only Picking from the seller, not %(status)s.") % {"status": status})
        lines = [{"lineId": int(line.line_id) if line.line_id.isdigit() else line.line_id}
                 for line in order.lines if line.marketplace_status in ("", "Created")]  # fmt: skip
        if not lines:
            return
        body = self._call("PUT", self.update_order_path, body={"lines": lines, "status": status}) or {}
        refused = [entry for entry in body.get("content") or []
                   if str(entry.get("status") or "").upper() in FAILED_ITEM_STATUSES]  # fmt: skip
        if refused:
            reasons = "; ".join(f"{entry.get('lineId')}: {', '.join(_reasons(entry.get('reasons')))}"
                                for entry in refused)  # fmt: skip
            raise MarketplaceError(_("N11 refused the status change: %(reasons)s") % {"reasons": reasons},
                                   body=body, method="PUT", path=self.update_order_path)  # fmt: skip

    # ---- hooks for the sync services --------------------------------------------------------

    @classmethod
    def listing_key(cls, barcode: str, sku: str) -> str:
        return sku

    def content_hash(self, item: ListingItem) -> str:
        return payload_hash(self.content_payload(item))

    def mapping_attributes(self, values: dict[str, Any]) -> list[dict[str, Any]]:
        """``{"429": 8773701, "431": "Pamuk"}`` → ``valueId`` where numeric, ``customValue``
        otherwise."""
        attributes = []
        for key, value in sorted(values.items(), key=lambda kv: str(kv[0])):
            attribute_id = int(key) if str(key).isdigit() else key
            if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
                attributes.append({"id": attribute_id, "valueId": int(value), "customValue": None})
            else:
                attributes.append({"id": attribute_id, "valueId": None, "customValue": str(value)})
        return attributes

    def is_already_listed(self, result: ItemResult) -> bool:
        return result.status == ITEM_FAILED and any(ALREADY_EXISTS_MARKER in e for e in result.errors)

    @classmethod
    def seller_status_for(cls, status: str) -> str | None:
        return "Picking" if status == PROCESSING else None

    @classmethod
    def has_reached(cls, target: str, marketplace_status: str) -> bool:
        return marketplace_status in orders.REACHED.get(target, {target})

    @classmethod
    def filled_by_sync(cls, attribute_id: str, settings: dict[str, Any]) -> bool:
        """The brand attribute, when the account has a brand to send."""
        brand = attribute_id == str((settings.get("adapter_options") or {}).get("brand_attribute_id", 1))
        return brand and bool(settings.get("default_brand_id") or settings.get("brand_ids"))

    # ---- categories -----------------------------------------------------------------------

    def fetch_categories(self) -> list[Category]:
        body = self.client.get("/cdn/categories")  # appkey only
        nodes = body if isinstance(body, list) else (body or {}).get("categories") or []

        def build(node: dict[str, Any], parent: int | None) -> Category:
            category = Category(int(node["id"]), str(node.get("name") or ""), parent)
            category.children = [build(child, category.id) for child in node.get("subCategories") or []]
            return category

        return [build(node, None) for node in nodes]

    def fetch_category_attributes(self, category_id: int) -> list[CategoryAttribute]:
        body = self.client.get(f"/cdn/category/{int(category_id)}/attribute") or {}
        attributes = []
        for entry in body.get("categoryAttributes") or []:
            values = [{"id": v.get("id"), "name": v.get("value")} for v in entry.get("attributeValues") or []]
            attributes.append(CategoryAttribute(
                id=int(entry.get("attributeId")), name=str(entry.get("attributeName") or ""),
                required=bool(entry.get("isMandatory")), allow_custom=bool(entry.get("isCustomValue")),
                varianter=bool(entry.get("isVariant")), slicer=bool(entry.get("isSlicer")),
                allow_multiple=False, values=values, raw=entry,
            ))  # fmt: skip
        return attributes
