"""Orders of the Amazon sandbox (Orders API v0): getOrders with its parameter rules and
NextToken paging, getOrder, getOrderItems (NextToken-paged) and confirmShipment; a mixin
of :class:`marketplaces.sandbox.amazon.AmazonSandbox`."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from marketplaces.sandbox.amazon_listings import invalid_input
from marketplaces.sandbox.base import SandboxError

STATUSES = ("Pending", "Unshipped", "PartiallyShipped", "Shipped", "Canceled", "Unfulfillable",
            "InvoiceUnconfirmed", "PendingAvailability")  # fmt: skip
SHIPPABLE = ("Unshipped", "PartiallyShipped")


def stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(value: str, name: str) -> float:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_input(f"{name} is not an ISO 8601 date-time.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


class OrdersMixin:
    """Needs ``_orders``, ``_items``, ``_next_tokens``, ``marketplace_ids``, ``currency``,
    ``order_lag``, ``event_age``, ``items_page_size``, ``_lock``, ``now()``."""

    _orders: dict[str, dict[str, Any]]
    _items: dict[str, list[dict[str, Any]]]
    _next_tokens: dict[str, tuple[list[str], int, int, str]]
    marketplace_ids: tuple[str, ...]
    currency: str
    order_lag: float
    event_age: float
    items_page_size: int

    now: Any  # SandboxServer's clock

    # ---- test controls -----------------------------------------------------------------------

    def add_orders(self, count: int, skus: list[str], *, status: str = "Unshipped", quantity: int = 1,
                   channel: str = "MFN", price: str = "199.90") -> list[str]:  # fmt: skip
        """`count` new orders (one line each, cycling through `skus`), stamped `event_age`
        seconds ago (so a pull, which sees up to two minutes ago, finds them)."""
        if status not in STATUSES or not skus or count < 1:
            raise ValueError("a known status, some SKUs and a positive count are needed")
        ids = []
        with self._lock:
            moment = stamp(self.now() - self.event_age)
            for index in range(count):
                order_id = f"{400 + len(self._orders) % 10:03d}-{secrets.randbelow(10**7):07d}-{len(self._orders):07d}"
                sku = skus[index % len(skus)]
                total = str((Decimal(price) * quantity).quantize(Decimal("0.01")))
                self._orders[order_id] = {
                    "AmazonOrderId": order_id, "PurchaseDate": moment, "LastUpdateDate": moment,
                    "OrderStatus": status, "FulfillmentChannel": channel, "SalesChannel": "Amazon.com.tr",
                    "OrderType": "StandardOrder", "MarketplaceId": self.marketplace_ids[0],
                    "NumberOfItemsShipped": 0, "NumberOfItemsUnshipped": quantity,
                    "OrderTotal": {"CurrencyCode": self.currency, "Amount": total}, "PaymentMethod": "Other",
                    "IsPrime": False, "IsBusinessOrder": False, "IsPremiumOrder": False,
                    "ShippingAddress": {"City": "İstanbul", "StateOrRegion": "İstanbul", "PostalCode": "34000",
                                        "CountryCode": "TR"},
                }  # fmt: skip
                self._items[order_id] = [{
                    "ASIN": f"B0{secrets.randbelow(10**8):08d}", "SellerSKU": sku,
                    "OrderItemId": f"{secrets.randbelow(10**14):014d}", "Title": f"Ürün {sku}",
                    "QuantityOrdered": quantity, "QuantityShipped": 0,
                    "ItemPrice": {"CurrencyCode": self.currency, "Amount": total},
                    "ItemTax": {"CurrencyCode": self.currency, "Amount": "0.00"},
                    "PromotionDiscount": {"CurrencyCode": self.currency, "Amount": "0.00"},
                }]  # fmt: skip
                ids.append(order_id)
        return ids

    def set_order_status(self, order_ids: list[str], status: str) -> None:
        """Amazon moves orders on (payment authorised → Unshipped, cancelled…)."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status}")
        with self._lock:
            moment = stamp(self.now() - self.event_age)
            for order_id in order_ids:
                self._orders[order_id]["OrderStatus"] = status
                self._orders[order_id]["LastUpdateDate"] = moment

    def order(self, order_id: str) -> dict[str, Any]:
        with self._lock:
            return {**self._orders[order_id], "items": [dict(i) for i in self._items[order_id]]}

    # ---- API ---------------------------------------------------------------------------------

    def _get_orders(self, query: dict[str, list[str]]) -> dict[str, Any]:
        def one(name: str) -> str:
            return (query.get(name) or [""])[0]

        marketplaces = [m for v in query.get("MarketplaceIds") or [] for m in v.split(",") if m]
        if not marketplaces:
            raise invalid_input("MarketplaceIds is required.")
        if any(m not in self.marketplace_ids for m in marketplaces):
            raise invalid_input("The seller does not sell in the MarketplaceIds given.")
        if one("NextToken"):
            found = self._next_tokens.pop(one("NextToken"), None)
            if found is None:
                raise invalid_input("Invalid NextToken.")
            ids, offset, size, before_name = found
            return self._orders_page(ids, offset, size, before_name, "")
        created_after, updated_after = one("CreatedAfter"), one("LastUpdatedAfter")
        if bool(created_after) == bool(updated_after):
            raise invalid_input("Exactly one of CreatedAfter and LastUpdatedAfter is required.")
        if created_after and (one("LastUpdatedBefore") or updated_after):
            raise invalid_input("LastUpdatedAfter and LastUpdatedBefore cannot be used with CreatedAfter.")
        if updated_after and one("CreatedBefore"):
            raise invalid_input("CreatedBefore cannot be used with LastUpdatedAfter.")
        size_text = one("MaxResultsPerPage") or "100"
        if not size_text.isdigit() or not 1 <= int(size_text) <= 100:
            raise invalid_input("MaxResultsPerPage must be between 1 and 100.")
        latest = self.now() - self.order_lag
        field, before_name = ("LastUpdateDate", "LastUpdatedBefore") if updated_after else ("PurchaseDate",
                                                                                            "CreatedBefore")
        after = parse_stamp(updated_after or created_after, "LastUpdatedAfter" if updated_after else "CreatedAfter")
        before = parse_stamp(one(before_name), before_name) if one(before_name) else latest
        if before > latest + 1:
            raise invalid_input(f"{before_name} must be at least {int(self.order_lag)} seconds before now.")
        if after >= before:
            raise invalid_input(f"The date after must be earlier than {before_name}.")
        statuses = {s for v in query.get("OrderStatuses") or [] for s in v.split(",") if s}
        channels = {c for v in query.get("FulfillmentChannels") or [] for c in v.split(",") if c}
        with self._lock:
            ids = sorted(
                (o[field], order_id) for order_id, o in self._orders.items()
                if after <= parse_stamp(o[field], field) < before and o["MarketplaceId"] in marketplaces
                and (not statuses or o["OrderStatus"] in statuses)
                and (not channels or o["FulfillmentChannel"] in channels))  # fmt: skip
        return self._orders_page([i for _t, i in ids], 0, int(size_text), before_name, stamp(before))

    def _orders_page(self, ids: list[str], offset: int, size: int, before_name: str, before: str) -> dict[str, Any]:
        with self._lock:
            page = [dict(self._orders[i]) for i in ids[offset:offset + size] if i in self._orders]
            payload: dict[str, Any] = {"Orders": page}
            if offset + size < len(ids):
                token = secrets.token_urlsafe(24)
                self._next_tokens[token] = (ids, offset + size, size, before_name)
                payload["NextToken"] = token
        if before:
            payload[before_name] = before
        return {"payload": payload}

    def _known(self, order_id: str) -> dict[str, Any]:
        order = self._orders.get(order_id)
        if order is None:
            raise SandboxError(404, {"errors": [{"code": "NotFound", "message": f"Order {order_id} not found.",
                                                 "details": ""}]})  # fmt: skip
        return order

    def _get_order(self, order_id: str) -> dict[str, Any]:
        with self._lock:
            return {"payload": dict(self._known(order_id))}

    def _get_items(self, order_id: str, query: dict[str, list[str]]) -> dict[str, Any]:
        token = (query.get("NextToken") or [""])[0]
        offset = 0
        if token:
            if not token.startswith(f"{order_id}:") or not token.split(":")[1].isdigit():
                raise invalid_input("Invalid NextToken.")
            offset = int(token.split(":")[1])
        with self._lock:
            self._known(order_id)
            items = self._items[order_id]
            payload: dict[str, Any] = {"AmazonOrderId": order_id,
                                       "OrderItems": [dict(i) for i in items[offset:offset + self.items_page_size]]}
            if offset + self.items_page_size < len(items):
                payload["NextToken"] = f"{order_id}:{offset + self.items_page_size}"
        return {"payload": payload}

    def _confirm_shipment(self, order_id: str, body: Any) -> None:
        if not isinstance(body, dict) or not isinstance(body.get("packageDetail"), dict):
            raise invalid_input("packageDetail is required.")
        package = body["packageDetail"]
        for name in ("packageReferenceId", "carrierCode", "trackingNumber", "shipDate", "orderItems"):
            if not package.get(name):
                raise invalid_input(f"packageDetail.{name} is required.")
        if not str(package["packageReferenceId"]).isdigit() or int(package["packageReferenceId"]) < 1:
            raise invalid_input("packageReferenceId must be a positive number.")
        if package["carrierCode"] in ("Other", "Others") and not package.get("carrierName"):
            raise invalid_input("carrierName is required when carrierCode is Other.")
        parse_stamp(str(package["shipDate"]), "shipDate")
        with self._lock:
            order = self._known(order_id)
            if body.get("marketplaceId") != order["MarketplaceId"]:
                raise invalid_input("marketplaceId must be the order's marketplace.")
            if order["OrderStatus"] not in SHIPPABLE:
                raise invalid_input(f"The order is {order['OrderStatus']}: only Unshipped and PartiallyShipped "
                                    "orders can be confirmed.")  # fmt: skip
            items = {i["OrderItemId"]: i for i in self._items[order_id]}
            for entry in package["orderItems"]:
                item = items.get(str(entry.get("orderItemId")))
                quantity = entry.get("quantity")
                if item is None:
                    raise invalid_input(f"Order item {entry.get('orderItemId')} is not in this order.")
                if not isinstance(quantity, int) or not 1 <= quantity <= item["QuantityOrdered"] - item[
                        "QuantityShipped"]:
                    raise invalid_input(f"Order item {item['OrderItemId']}: the quantity is more than is unshipped.")
            for entry in package["orderItems"]:
                items[str(entry["orderItemId"])]["QuantityShipped"] += entry["quantity"]
            shipped = sum(i["QuantityShipped"] for i in items.values())
            ordered = sum(i["QuantityOrdered"] for i in items.values())
            order["OrderStatus"] = "Shipped" if shipped >= ordered else "PartiallyShipped"
            order["NumberOfItemsShipped"], order["NumberOfItemsUnshipped"] = shipped, ordered - shipped
            order["LastUpdateDate"] = stamp(self.now())
            order.setdefault("Shipments", []).append({k: package[k] for k in ("carrierCode", "trackingNumber")})
