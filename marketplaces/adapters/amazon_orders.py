"""Amazon orders (Orders API v0) for the Amazon adapter.

- **Pulling**: ``getOrders`` by ``LastUpdatedAfter`` (the watermark minus an overlap,
  option ``order_overlap_seconds``, default 300) with ``MaxResultsPerPage`` 100 (option
  ``order_page_size``) and ``NextToken`` paging, then ``getOrderItems`` (NextToken-paged
  as well) for every order imported. getOrders restores 0.0167 tokens a second (burst 20)
  and getOrderItems 0.5 (burst 30): each call waits for its token in the account's shared
  bucket instead of running into 429s, so a pull of many pages slows down to Amazon's pace
  rather than failing; ``adapter.on_wait`` is called while waiting (for a job heartbeat).
  The next pull starts from the ``LastUpdatedBefore`` Amazon answers with (it lags two
  minutes behind the present), so nothing between two pulls is missed.
- **Statuses**: Unshipped → pending (stock reserved), PartiallyShipped → processing,
  Shipped and InvoiceUnconfirmed → completed, Canceled and Unfulfillable → cancelled.
  ``Pending`` (payment not authorised yet) and ``PendingAvailability`` (pre-orders) are
  **not imported**: our import reserves stock for every pending order, and Amazon says not
  to ship or count those yet; once Amazon moves one to Unshipped its LastUpdateDate changes
  and the next pull imports it with its stock reserved. (One that is cancelled before that
  is imported as cancelled, reserving nothing.) Only merchant-fulfilled orders are pulled
  by default (``fulfillment_channels`` option, "MFN"; "" for all): Amazon's stock ships FBA.
- **Status push**: there is no seller-side "processing" step in the Orders API, so our
  processing sends nothing; completed → ``confirmShipment`` of every unshipped item with
  the tracking number (the ``invoice_number`` argument), carrier from the options
  ``carrier_code`` (default "Other") / ``carrier_name`` / ``shipping_method``.
- Buyer names, e-mails and full addresses are restricted data (a Restricted Data Token
  from the Tokens API is needed): the adapter reads what Amazon returns without one (city,
  region, postal and country code).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.utils.translation import gettext as _

from marketplaces.adapters.base import (
    CANCELLED,
    COMPLETED,
    PENDING,
    PROCESSING,
    MarketplaceOrder,
    OrderLine,
    OrderPull,
)
from marketplaces.client import MarketplaceError

STATUS_MAP = {
    "Unshipped": PENDING,
    "PartiallyShipped": PROCESSING,
    "Shipped": COMPLETED,
    "InvoiceUnconfirmed": COMPLETED,
    "Canceled": CANCELLED,
    "Unfulfillable": CANCELLED,
}
#: not imported: payment or availability still open at Amazon (no stock reserved for them)
NOT_YET_ORDERS = frozenset({"Pending", "PendingAvailability"})
SHIPPED = "Shipped"
LAST_UPDATE_LAG = timedelta(minutes=2)
DEFAULT_OVERLAP = timedelta(minutes=5)
CENT = Decimal("0.01")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def amount(money: Any) -> Decimal:
    if not isinstance(money, dict) or money.get("Amount") in (None, ""):
        return Decimal("0")
    return Decimal(str(money["Amount"])).quantize(CENT)


def _address(data: dict[str, Any] | None) -> dict[str, Any]:
    data = data or {}
    return {
        "full_name": data.get("Name") or "", "address1": data.get("AddressLine1") or "",
        "address2": data.get("AddressLine2") or "", "city": data.get("City") or "",
        "district": data.get("District") or data.get("County") or "", "region": data.get("StateOrRegion") or "",
        "postal_code": data.get("PostalCode") or "", "country_code": data.get("CountryCode") or "",
        "phone": data.get("Phone") or "",
    }  # fmt: skip


def parse_order(order: dict[str, Any], items: list[dict[str, Any]]) -> MarketplaceOrder:
    """An Amazon order and its items in our internal shape (lines keyed by SellerSKU)."""
    lines = []
    for item in items:
        quantity = int(item.get("QuantityOrdered") or 0)
        gross = amount(item.get("ItemPrice"))  # the price of the whole quantity
        unit = (gross / quantity).quantize(CENT) if quantity else gross
        sku = str(item.get("SellerSKU") or "")
        lines.append(OrderLine(
            line_id=str(item.get("OrderItemId") or ""), barcode=sku, merchant_sku=sku, quantity=quantity,
            unit_price=unit, gross_amount=gross, discount=amount(item.get("PromotionDiscount")),
            product_name=str(item.get("Title") or ""), raw=item))  # fmt: skip
    status = str(order.get("OrderStatus") or "")
    buyer = order.get("BuyerInfo") or {}
    address = _address(order.get("ShippingAddress"))
    total = order.get("OrderTotal") or {}
    return MarketplaceOrder(
        external_id=str(order.get("AmazonOrderId") or ""),
        order_number=str(order.get("SellerOrderId") or order.get("AmazonOrderId") or ""),
        status=STATUS_MAP.get(status, PENDING),
        marketplace_status=status,
        lines=lines,
        customer={"id": "", "first_name": "", "last_name": "", "email": buyer.get("BuyerEmail") or ""},
        shipping_address=address,
        billing_address=address,
        ordered_at=parse_time(order.get("PurchaseDate")),
        created_at=parse_time(order.get("PurchaseDate")),
        modified_at=parse_time(order.get("LastUpdateDate")),
        currency=str(total.get("CurrencyCode") or "TRY"),
        gross_amount=sum((line.gross_amount for line in lines), Decimal("0")),
        discount=sum((line.discount for line in lines), Decimal("0")),
        total=amount(total),
        raw=order,
    )


class AmazonOrdersMixin:
    """Orders for :class:`~marketplaces.adapters.amazon.AmazonAdapter` (uses its ``call``)."""

    config: Any
    client: Any
    marketplace_id: str

    call: Any  # AmazonAdapter.call: one SP-API operation

    def _order_options(self) -> tuple[timedelta, int, str]:
        options = self.config.options
        overlap = timedelta(seconds=float(options.get("order_overlap_seconds", DEFAULT_OVERLAP.total_seconds())))
        page_size = max(1, min(100, int(options.get("order_page_size", 100))))
        return overlap, page_size, str(options.get("fulfillment_channels", "MFN"))

    def fetch_orders(self, since: datetime, until: datetime | None = None,
                     overlap: timedelta | None = None) -> OrderPull:
        default_overlap, page_size, channels = self._order_options()
        start = since - (default_overlap if overlap is None else overlap)
        requests_before = self.client.stats.attempts
        params: dict[str, Any] = {"MarketplaceIds": self.marketplace_id, "LastUpdatedAfter": iso(start),
                                  "MaxResultsPerPage": page_size}  # fmt: skip
        if channels:
            params["FulfillmentChannels"] = channels
        if until is not None:
            before = min(until, datetime.now(UTC) - LAST_UPDATE_LAG)
            if before <= start:  # nothing Amazon can answer for yet
                return OrderPull([], since, 0)
            params["LastUpdatedBefore"] = iso(before)
        watermark: datetime | None = None
        found: dict[str, MarketplaceOrder] = {}
        while True:
            body = self.call("getOrders", "GET", "/orders/v0/orders", params=params) or {}
            payload = body.get("payload") or {}
            if watermark is None:
                watermark = parse_time(payload.get("LastUpdatedBefore"))
            for raw in payload.get("Orders") or []:
                if str(raw.get("OrderStatus")) in NOT_YET_ORDERS:
                    continue
                order = parse_order(raw, self.order_items(str(raw["AmazonOrderId"])))
                current = found.get(order.external_id)
                if current is None or (order.modified_at or start) >= (current.modified_at or start):
                    found[order.external_id] = order
            token = payload.get("NextToken")
            if not token:
                break
            params = {"MarketplaceIds": self.marketplace_id, "NextToken": token}
        if watermark is None:
            watermark = until or datetime.now(UTC) - LAST_UPDATE_LAG
        orders = sorted(found.values(), key=lambda o: (o.modified_at or watermark, o.external_id))
        return OrderPull(orders, watermark, self.client.stats.attempts - requests_before)

    def order_items(self, order_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {}
        path = f"/orders/v0/orders/{quote(order_id, safe='')}/orderItems"
        while True:
            body = self.call("getOrderItems", "GET", path, params=params or None) or {}
            payload = body.get("payload") or {}
            items.extend(payload.get("OrderItems") or [])
            if not payload.get("NextToken"):
                return items
            params = {"NextToken": payload["NextToken"]}

    def fetch_order(self, external_id: str) -> MarketplaceOrder | None:
        try:
            body = self.call("getOrder", "GET", f"/orders/v0/orders/{quote(external_id, safe='')}") or {}
        except MarketplaceError as exc:
            if exc.status == 404:
                return None
            raise
        raw = body.get("payload")
        if not raw:
            return None
        return parse_order(raw, self.order_items(external_id))

    @classmethod
    def seller_status_for(cls, status: str) -> str | None:
        return SHIPPED if status == COMPLETED else None

    def push_order_status(self, order: MarketplaceOrder, status: str, *,
                          invoice_number: str | None = None) -> None:
        """Shipped: confirmShipment of every item not shipped yet, with the order's tracking
        number (else `invoice_number`, else the account's `tracking_number` option). Amazon has
        no other status a seller sets."""
        if status != SHIPPED:
            raise MarketplaceError(_("Amazon takes no status %(status)s from sellers.") % {"status": status})
        tracking = order.tracking_number or invoice_number or str(self.config.options.get("tracking_number") or "")
        if not tracking:
            raise MarketplaceError(_("Amazon needs the tracking number of the parcel to confirm a shipment."))
        items = []
        for line in order.lines:
            shipped = int((line.raw or {}).get("QuantityShipped") or 0)
            if line.quantity - shipped > 0:
                items.append({"orderItemId": line.line_id, "quantity": line.quantity - shipped})
        if not items:
            return
        options = self.config.options
        package = {"packageReferenceId": "1", "carrierCode": str(options.get("carrier_code") or "Other"),
                   "trackingNumber": tracking, "shipDate": iso(datetime.now(UTC)), "orderItems": items}
        if package["carrierCode"] == "Other":
            package["carrierName"] = str(options.get("carrier_name") or "Other")
        if options.get("shipping_method"):
            package["shippingMethod"] = str(options["shipping_method"])
        self.call("confirmShipment", "POST",
                  f"/orders/v0/orders/{quote(order.external_id, safe='')}/shipmentConfirmation",
                  json={"packageDetail": package, "marketplaceId": self.marketplace_id})  # fmt: skip
