"""Ozon Seller API (§5 of the protocol notes): products by the seller's offer id.

- Products go through ``/v3/product/import`` (at most 100 items, an async task polled with
  ``/v1/product/import/info``); the day's quota (``/v4/product/info/limit``) is read first
  and items beyond it are refused here, with the time it resets, instead of being sent.
- An import carries the price but no stock (``create_carries_stock`` false): the sync
  services push the stock right after, once the product has its price.
- Prices (``/v1/product/import/prices``, as strings) and stocks (``/v2/products/stocks``, at
  most 100 offer+warehouse pairs, into the account's ``warehouse_id``) answer per item
  inside a 200; an item is refused when either part is. Ozon takes one stock update per
  item and warehouse every 2 minutes: ``min_stock_interval`` makes the sync hold such
  items back, and one call never carries an item twice.
- FBS postings are the orders (``/v3/posting/fbs/list``, offset paging with ``has_next``);
  our "processing" packs and ships a posting (``/v4/posting/fbs/ship``).

Adapter options: ``warehouse_id`` (required for stock), ``currency`` (RUB),
``default_weight_g`` (500) and ``default_dimensions_mm`` ("250x200x50") for variants
without their own, ``posting_lookback_days`` (30: how far back postings whose status
changes are looked for), ``page_size`` (postings per page, at most 1000).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from marketplaces.adapters.base import (
    CANCELLED,
    COMPLETED,
    ITEM_FAILED,
    ITEM_PENDING,
    ITEM_SUCCESS,
    PENDING,
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
    OrderLine,
    OrderPull,
    StockPriceItem,
    register,
)
from marketplaces.client import MarketplaceError, MarketplaceHttpClient

PRODUCTION_BASE_URL = "https://api-seller.ozon.ru"
MAX_IMPORT_ITEMS, MAX_STOCK_PAIRS, MAX_PRICES, MAX_PAGE = 100, 100, 1000, 1000
DEFAULT_OVERLAP = timedelta(minutes=15)
STATUS_MAP = {
    "awaiting_registration": PENDING, "acceptance_in_progress": PENDING, "awaiting_approve": PENDING,
    "awaiting_packaging": PENDING, "awaiting_deliver": PROCESSING, "arbitration": PROCESSING,
    "client_arbitration": PROCESSING, "delivering": PROCESSING, "driver_pickup": PROCESSING,
    "sent_by_seller": PROCESSING, "delivered": COMPLETED, "cancelled": CANCELLED, "not_accepted": CANCELLED,
}  # fmt: skip
SHIPPED = "awaiting_deliver"
REACHED = {SHIPPED: {SHIPPED, "arbitration", "client_arbitration", "delivering", "driver_pickup", "sent_by_seller",
                     "delivered", "cancelled", "not_accepted"}}  # fmt: skip


def _text(value: Decimal | float | int) -> str:
    return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _errors(entries: Any) -> list[str]:
    return [str(e.get("message") or e.get("description") or e.get("code")) for e in entries or []
            if isinstance(e, dict)]  # fmt: skip


@register
class OzonAdapter(MarketplaceAdapter):
    code = "ozon"
    name = "Ozon"
    max_batch_items = MAX_IMPORT_ITEMS
    min_stock_interval = 120.0
    create_carries_stock = False

    def __init__(self, config: AccountConfig, *, client: MarketplaceHttpClient | None = None) -> None:
        super().__init__(config)
        options, credentials = config.options, config.credentials
        self.warehouse_id = int(options["warehouse_id"]) if str(options.get("warehouse_id", "")).isdigit() else None
        self.currency = str(options.get("currency", "RUB"))
        self.default_weight = int(options.get("default_weight_g", 500))
        self.default_dimensions = [int(x) for x in str(options.get("default_dimensions_mm", "250x200x50")).split("x")]
        self.lookback = timedelta(days=float(options.get("posting_lookback_days", 30)))
        self.page_size = max(1, min(int(options.get("page_size", MAX_PAGE)), MAX_PAGE))
        headers = {"Client-Id": credentials.get("client_id") or config.seller_id,
                   "Api-Key": credentials.get("api_key") or config.api_key}  # fmt: skip
        self.client = client or MarketplaceHttpClient(
            config.base_url or PRODUCTION_BASE_URL, account_key=config.limiter_key, headers=headers,
            timeout=config.timeout, rate_limit=config.rate_limit, **options.get("client_options", {}),
        )  # fmt: skip

    def close(self) -> None:
        self.client.close()

    @classmethod
    def listing_key(cls, barcode: str, sku: str) -> str:
        return sku

    def test_connection(self) -> None:
        """The seller's warehouses; the account's warehouse must be one of them."""
        body = self.client.post("/v1/warehouse/list", json={}) or {}
        known = {w.get("warehouse_id") for w in body.get("result") or []}
        if self.warehouse_id is not None and self.warehouse_id not in known:
            raise MarketplaceError(_("Ozon has no warehouse %(id)s for this seller.") % {"id": self.warehouse_id})

    # ---- products ------------------------------------------------------------------------------

    def _product(self, item: ListingItem) -> dict[str, Any]:
        category, _sep, type_id = item.category_code.partition(":")
        depth, width, height = [*self.default_dimensions, 1, 1, 1][:3]
        product: dict[str, Any] = {
            "offer_id": item.barcode, "name": item.title, "description": item.description,
            "description_category_id": int(category), "type_id": int(type_id),
            "price": _text(item.sale_price),
            "old_price": _text(item.list_price) if Decimal(str(item.list_price)) > Decimal(str(item.sale_price))
            else "0",
            "vat": format(Decimal(item.vat_rate) / 100, "f").rstrip("0").rstrip(".") or "0",
            "currency_code": self.currency, "weight": item.weight_grams or self.default_weight, "weight_unit": "g",
            "depth": depth, "width": width, "height": height, "dimension_unit": "mm",
            "images": item.images[:30], "attributes": item.attributes,
        }  # fmt: skip
        if item.gtin:
            product["barcode"] = item.gtin
        return {**product, **item.extra}

    def _quota_left(self, kind: str) -> tuple[int | None, str]:
        body = self.client.post("/v4/product/info/limit", json={}) or {}
        quota = body.get(kind) or {}
        limit = quota.get("limit")
        if not isinstance(limit, int) or limit < 0:
            return None, ""
        return max(0, limit - int(quota.get("usage") or 0)), str(quota.get("reset_at") or "")

    def _import(self, items: Iterable[ListingItem], kind: str, quota: str) -> list[BatchHandle]:
        items = list(items)
        left, reset_at = self._quota_left(quota) if items else (None, "")
        refused, payloads = [], []
        for item in items:
            category, _sep, type_id = item.category_code.partition(":")
            if not (category.isdigit() and type_id.isdigit()):
                refused.append(ItemResult(item.barcode, ITEM_FAILED, [_(
                    "Map the category to an Ozon description category and type, written as “category:type”.")]))
            elif left is not None and len(payloads) >= left:
                refused.append(ItemResult(item.barcode, ITEM_FAILED, [_(
                    "Ozon's daily limit of products is used up; the product is sent again after %(reset)s.")
                    % {"reset": reset_at or _("the limit resets")}]))  # fmt: skip
            else:
                payloads.append(self._product(item))
        handles = []
        for start in range(0, len(payloads), min(self.batch_size, MAX_IMPORT_ITEMS)):
            chunk = payloads[start : start + min(self.batch_size, MAX_IMPORT_ITEMS)]
            body = self.client.post("/v3/product/import", json={"items": chunk}) or {}
            task_id = (body.get("result") or {}).get("task_id")
            handles.append(BatchHandle(f"task-{task_id}", kind, [p["offer_id"] for p in chunk]))
        if refused:
            handles.append(self.settled_batch(kind, refused))
        return handles

    def push_listings(self, items: Iterable[ListingItem]) -> list[BatchHandle]:
        return self._import(items, "listings", "daily_create")

    def update_listings(self, items: Iterable[ListingItem]) -> list[BatchHandle]:
        """An import overwrites the whole card: the same call with the full content."""
        return self._import(items, "listings_update", "daily_update")

    def poll_batch(self, handle: BatchHandle) -> BatchResult:
        if (settled := self.settled_result(handle)) is not None:
            return settled
        task_id = int(handle.batch_id.removeprefix("task-"))
        body = self.client.post("/v1/product/import/info", json={"task_id": task_id}) or {}
        statuses = {row.get("offer_id"): row for row in (body.get("result") or {}).get("items") or []}
        items = []
        for key in handle.keys:
            row = statuses.get(key) or {}
            status = row.get("status")
            if status in ("imported", "skipped"):
                items.append(ItemResult(key, ITEM_SUCCESS, raw=row))
            elif status == "failed":
                items.append(ItemResult(key, ITEM_FAILED, _errors(row.get("errors")), raw=row))
            else:
                items.append(ItemResult(key, ITEM_PENDING, raw=row))
        return BatchResult(handle.batch_id, all(i.status != ITEM_PENDING for i in items), items, raw=body)

    # ---- prices and stock --------------------------------------------------------------------------

    def push_stock_prices(self, items: Iterable[StockPriceItem]) -> list[BatchHandle]:
        latest: dict[str, StockPriceItem] = {}
        for item in items:  # one call never carries an item twice (Ozon's 2-minute rule)
            latest.pop(item.barcode, None)
            latest[item.barcode] = item
        errors: dict[str, list[str]] = {key: [] for key in latest}
        priced = [i for i in latest.values() if i.sale_price is not None and i.price_changed]
        for start in range(0, len(priced), MAX_PRICES):
            prices = []
            for item in priced[start : start + MAX_PRICES]:
                old = item.list_price if item.list_price is not None else item.sale_price
                prices.append({"offer_id": item.barcode, "price": _text(item.sale_price),
                               "old_price": _text(old) if Decimal(str(old)) > Decimal(str(item.sale_price)) else "0",
                               "currency_code": self.currency})  # fmt: skip
            body = self.client.post("/v1/product/import/prices", json={"prices": prices}) or {}
            for row in body.get("result") or []:
                if row.get("offer_id") in errors and (row.get("errors") or not row.get("updated")):
                    errors[row["offer_id"]].extend(_errors(row.get("errors")) or [_("Ozon did not update the price.")])
        stocked = [i for i in latest.values() if i.quantity is not None and not errors[i.barcode]]
        if stocked and self.warehouse_id is None:
            for item in stocked:
                errors[item.barcode].append(_("Set the Ozon warehouse (warehouse_id) in the account's adapter options."))
            stocked = []
        for start in range(0, len(stocked), MAX_STOCK_PAIRS):
            pairs = [{"offer_id": i.barcode, "stock": i.quantity, "warehouse_id": self.warehouse_id}
                     for i in stocked[start : start + MAX_STOCK_PAIRS]]  # fmt: skip
            body = self.client.post("/v2/products/stocks", json={"stocks": pairs}) or {}
            for row in body.get("result") or []:
                if row.get("offer_id") in errors and (row.get("errors") or not row.get("updated")):
                    errors[row["offer_id"]].extend(_errors(row.get("errors")) or [_("Ozon did not update the stock.")])
        results = [ItemResult(key, ITEM_FAILED if reasons else ITEM_SUCCESS, reasons) for key, reasons in errors.items()]
        return [self.settled_batch("stock_price", results)] if results else []

    # ---- orders ----------------------------------------------------------------------------------------

    def _postings(self, filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            body = self.client.post("/v3/posting/fbs/list", json={
                "dir": "ASC", "filter": filters, "limit": self.page_size, "offset": offset,
                "with": {"analytics_data": True, "financial_data": False},
            }) or {}  # fmt: skip
            result = body.get("result") or {}
            postings = result.get("postings") or []
            yield from postings
            if not result.get("has_next") or not postings:
                return
            offset += len(postings)

    def fetch_orders(self, since: datetime, until: datetime | None = None,
                     overlap: timedelta | None = None) -> OrderPull:  # fmt: skip
        until = until or datetime.now(UTC)
        start = since - (DEFAULT_OVERLAP if overlap is None else overlap)
        filters = {"since": _time(start - self.lookback), "to": _time(until),
                   "last_changed_status_date": {"from": _time(start), "to": _time(until)}}  # fmt: skip
        seen: dict[str, MarketplaceOrder] = {}
        for posting in self._postings(filters):
            order = parse_posting(posting, self.currency)
            seen[order.external_id] = order
        return OrderPull(list(seen.values()), until, requests=self.client.stats.attempts)

    def fetch_order(self, external_id: str) -> MarketplaceOrder | None:
        try:
            body = self.client.post("/v3/posting/fbs/get", json={"posting_number": external_id}) or {}
        except MarketplaceError as exc:
            if exc.status == 404:
                return None
            raise
        return parse_posting(body["result"], self.currency) if body.get("result") else None

    def push_order_status(self, order: MarketplaceOrder, status: str, *,
                          invoice_number: str | None = None) -> None:  # fmt: skip
        """Pack every product of the posting into one package and ship it."""
        if status != SHIPPED:
            raise MarketplaceError(_("Ozon takes no status %(status)s from the seller.") % {"status": status})
        # the ship call's "product_id" is the Ozon SKU the posting lists
        products = [{"product_id": int(line.line_id), "quantity": line.quantity} for line in order.lines]
        self.client.post("/v4/posting/fbs/ship", json={"posting_number": order.external_id,
                                                        "packages": [{"products": products}]})  # fmt: skip

    @classmethod
    def seller_status_for(cls, status: str) -> str | None:
        return SHIPPED if status == PROCESSING else None

    @classmethod
    def has_reached(cls, target: str, marketplace_status: str) -> bool:
        return marketplace_status in REACHED.get(target, {target})

    # ---- categories ----------------------------------------------------------------------------------

    def fetch_categories(self) -> list[Category]:
        """Description categories with their product types as leaves (id "category:type")."""
        body = self.client.post("/v1/description-category/tree", json={"language": "DEFAULT"}) or {}

        def build(node: dict[str, Any], parent: int | None) -> Category:
            if "type_id" in node:
                return Category(f"{parent}:{node['type_id']}", node.get("type_name", ""), parent)
            category_id = node["description_category_id"]
            children = [build(child, category_id) for child in node.get("children") or []]
            return Category(category_id, node.get("category_name", ""), parent, children)

        return [build(node, None) for node in body.get("result") or []]

    def fetch_category_attributes(self, category_id: int | str) -> list[CategoryAttribute]:
        category, _sep, type_id = str(category_id).partition(":")
        body = self.client.post("/v1/description-category/attribute", json={
            "description_category_id": int(category), "type_id": int(type_id), "language": "DEFAULT"}) or {}  # fmt: skip
        return [
            CategoryAttribute(row["id"], row.get("name", ""), bool(row.get("is_required")),
                              allow_custom=not row.get("dictionary_id"), varianter=bool(row.get("is_aspect")),
                              slicer=False, allow_multiple=bool(row.get("is_collection")), raw=row)
            for row in body.get("result") or []
        ]  # fmt: skip

    def mapping_attributes(self, values: dict[str, Any]) -> list[dict[str, Any]]:
        """``{"10096": 61574, "4295": "48"}`` → dictionary value ids where numeric, text otherwise."""
        attributes = []
        for key, value in sorted(values.items(), key=lambda kv: str(kv[0])):
            entries = value if isinstance(value, list) else [value]
            rendered = [{"dictionary_value_id": int(v)} if isinstance(v, int) and not isinstance(v, bool)
                        else {"value": str(v)} for v in entries]  # fmt: skip
            attributes.append({"id": int(key), "complex_id": 0, "values": rendered})
        return attributes


def parse_posting(posting: dict[str, Any], currency: str = "RUB") -> MarketplaceOrder:
    """A posting in our order shape (Ozon shows FBS sellers no buyer: the city only)."""
    lines, total = [], Decimal("0")
    for index, product in enumerate(posting.get("products") or []):
        price = Decimal(str(product.get("price") or "0")).quantize(Decimal("0.01"))
        quantity = int(product.get("quantity") or 0)
        total += price * quantity
        lines.append(OrderLine(
            line_id=f"{product.get('sku', index)}", barcode=str(product.get("offer_id") or ""),
            merchant_sku=str(product.get("offer_id") or ""), quantity=quantity, unit_price=price,
            gross_amount=price * quantity, discount=Decimal("0"), product_name=str(product.get("name") or ""),
            marketplace_status=posting.get("status", ""), raw=product,
        ))  # fmt: skip
    status = str(posting.get("status") or "")
    city = (posting.get("analytics_data") or {}).get("city") or ""
    address = {"city": city, "country": "RU"} if city else {}
    cancellation = posting.get("cancellation") or {}
    return MarketplaceOrder(
        external_id=str(posting["posting_number"]), order_number=str(posting.get("order_number") or ""),
        status=STATUS_MAP.get(status, PENDING), marketplace_status=status, lines=lines, customer={},
        shipping_address=address, billing_address={}, ordered_at=_parse_time(posting.get("in_process_at")),
        created_at=_parse_time(posting.get("in_process_at")),
        modified_at=_parse_time(posting.get("last_changed_status_date")),
        currency=(posting.get("products") or [{}])[0].get("currency_code") or currency, gross_amount=total,
        total=total, cancel_reason=str(cancellation.get("cancel_reason") or ""), raw=posting,
    )  # fmt: skip
