"""N11 shipment packages (orders) in our internal shape, and the pull plan: one status per
call, ``page`` from 0, windows of at most a month, packages since November 2024.

Used by :mod:`marketplaces.adapters.n11`; see its docstring for what is inferred.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from marketplaces.adapters.base import (
    CANCELLED,
    COMPLETED,
    PENDING,
    PROCESSING,
    REFUNDED,
    MarketplaceOrder,
    OrderLine,
)

#: N11 keeps order data from this moment on (notes §3.2: "only data since Nov-2024")
ORDERS_AVAILABLE_SINCE = datetime(2024, 11, 1, tzinfo=UTC)
#: the longest startDate–endDate window one call may ask for ("at most a month"); 30 days
#: keeps every window inside the shortest month
MAX_ORDER_WINDOW = timedelta(days=30)
MAX_PAGE_SIZE = 100

# N11 package status -> ours; the marketplace status is always kept as received.
STATUS_MAP: dict[str, str] = {
    "Created": PENDING,
    "Picking": PROCESSING,
    "Shipped": PROCESSING,
    "UnDelivered": PROCESSING,
    "Delivered": COMPLETED,
    "Cancelled": CANCELLED,
    "UnSupplied": CANCELLED,
    # a split parent: its lines live on in new packages, which are imported on their own
    "UnPacked": CANCELLED,
    "Returned": REFUNDED,
}
#: package statuses at or past the point a seller's push would move the package to
REACHED = {
    "Picking": {"Picking", "Shipped", "Delivered", "UnDelivered", "Cancelled", "Returned", "UnSupplied", "UnPacked"},
}
#: every status a pull asks for, one call (and its pages) each
ORDER_STATUSES = ("Created", "Picking", "Shipped", "Delivered", "Cancelled", "UnDelivered", "Returned",
                  "UnPacked", "UnSupplied")  # fmt: skip


def map_status(marketplace_status: str) -> str:
    """Our status for an N11 package status (unknown ones stay pending)."""
    return STATUS_MAP.get(marketplace_status, PENDING)


def money(value: Any) -> Decimal:
    if value in (None, ""):
        return Decimal("0")
    return Decimal(str(value).replace(",", ".")).quantize(Decimal("0.01"))


def to_ms(moment: datetime, offset: timedelta = timedelta(0)) -> int:
    return int((moment + offset).timestamp() * 1000)


def from_ms(value: Any, offset: timedelta = timedelta(0)) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC) - offset
    except (TypeError, ValueError):
        return None


def windows(start: datetime, until: datetime, size: timedelta = MAX_ORDER_WINDOW) -> Iterator[tuple[datetime, datetime]]:
    """[start, until] cut into consecutive windows of at most `size` (ends inclusive, the
    next window starts one millisecond later)."""
    window_start = start
    while window_start <= until:
        window_end = min(until, window_start + size)
        yield window_start, window_end
        window_start = window_end + timedelta(milliseconds=1)


def _address(data: dict[str, Any] | None) -> dict[str, Any]:
    data = data or {}
    full_name = str(data.get("fullName") or "")
    first, _sep, last = full_name.partition(" ")
    return {
        "first_name": first, "last_name": last, "full_name": full_name, "company": "",
        "address1": str(data.get("address") or ""), "address2": str(data.get("neighborhood") or ""),
        "city": str(data.get("city") or ""), "district": str(data.get("district") or ""),
        "postal_code": str(data.get("postalCode") or ""), "country_code": "TR",
        "phone": str(data.get("gsm") or ""), "full_address": str(data.get("address") or ""),
    }  # fmt: skip


def parse_package(package: dict[str, Any], offset: timedelta = timedelta(0)) -> MarketplaceOrder:
    """A shipment package in our internal shape. Line ``barcode`` is the stock code (our
    listing key at N11); the seller's discounts count, N11's own (``mallDiscount``) do not;
    the total is the sum of the lines' ``sellerInvoiceAmount`` (notes §3.2)."""
    lines = []
    for line in package.get("lines") or []:
        quantity = int(line.get("quantity") or 0)
        price = money(line.get("price"))
        stock_code = str(line.get("stockCode") or "")
        lines.append(OrderLine(
            line_id=str(line.get("orderLineId") or ""),
            barcode=stock_code,
            merchant_sku=stock_code,
            quantity=quantity,
            unit_price=price,
            gross_amount=price * quantity,
            discount=money(line.get("sellerDiscount")) + money(line.get("sellerCouponDiscount")),
            product_name=str(line.get("productName") or ""),
            marketplace_status=str(line.get("orderItemLineItemStatusName") or ""),
            raw=line,
        ))  # fmt: skip
    status = str(package.get("shipmentPackageStatus") or package.get("status") or "")
    gross = sum((line.gross_amount for line in lines), Decimal("0"))
    invoiced = [money(line.raw.get("sellerInvoiceAmount")) for line in lines if line.raw.get("sellerInvoiceAmount")
                is not None]  # fmt: skip
    total = sum(invoiced, Decimal("0")) if invoiced else money(package.get("totalAmount"))
    name = str(package.get("customerfullName") or "")
    first, _sep, last = name.partition(" ")
    cancel_reason = ""
    if status == "UnPacked":
        cancel_reason = "UnPacked"
    return MarketplaceOrder(
        external_id=str(package.get("id")),
        order_number=str(package.get("orderNumber") or ""),
        status=map_status(status),
        marketplace_status=status,
        lines=lines,
        customer={"id": package.get("customerId"), "first_name": first, "last_name": last,
                  "email": str(package.get("customerEmail") or "")},
        shipping_address=_address(package.get("shippingAddress")),
        billing_address=_address(package.get("billingAddress")),
        ordered_at=from_ms(package.get("orderDate") or package.get("createdDate"), offset),
        created_at=from_ms(package.get("createdDate"), offset),
        modified_at=from_ms(package.get("lastModifiedDate"), offset),
        currency="TRY",
        gross_amount=gross,
        discount=sum((line.discount for line in lines), Decimal("0")),
        total=total,
        cancel_reason=cancel_reason,
        raw=package,
    )  # fmt: skip


def newest_first_wins(packages: Iterable[dict[str, Any]], offset: timedelta, found: dict[str, MarketplaceOrder],
                      until: datetime) -> None:  # fmt: skip
    """Parse packages into `found` by id, keeping the most recently modified version (a
    package that changed status while we pulled shows up under both statuses)."""
    for package in packages:
        order = parse_package(package, offset)
        current = found.get(order.external_id)
        if current is None or (order.modified_at or until) >= (current.modified_at or until):
            found[order.external_id] = order
