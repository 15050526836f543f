"""Hepsiburada orders and packages (notes §2.4), mixed into the Hepsiburada adapter.

Our order is Hepsiburada's order number; its lines are Hepsiburada's line items wherever
they are now. A paid line waits in the orders feed (``GET /orders/merchantid/{m}``) until it
is packed; then it leaves that feed and appears in a package (``GET /packages/…``), later in
the thin shipped / delivered / undelivered feeds and, cancelled, in ``…/cancelled``. No feed
is a snapshot: the lines of one order found in several feeds are **merged by line id**, never
replaced, and an order seen in a thin feed is read in full from the order detail.

- The orders and packages feeds take ``begindate``/``enddate`` as ``yyyy-MM-dd HH:mm`` in
  Turkey time (UTC+3) and at most 24 hours apart: a longer pull is split into 24-hour
  windows. Orders page with ``offset``/``limit`` (≤100), packages with ``Offset`` (capital
  O) / ``limit`` (≤10). The thin feeds and the cancelled feed take no date filter (a date
  is answered 400): they are paged (``offset``/``limit`` ≤50, at most
  ``status_feed_max_pages`` pages, default 20) and filtered on their event dates here.
- Our "processing" creates a package from the order's open lines (``POST /packages``).
  :meth:`HepsiburadaOrdersMixin.push_order_status` also sends an invoice link
  (``"Invoiced"``, ``PUT …/invoice``) and, for packages the seller ships with its own
  cargo, ``"InTransit"`` and ``"Delivered"`` (``POST …/intransit`` / ``…/deliver``).

Inferred (notes say nothing): the line status names and their mapping onto ours
(``STATUS_MAP``), and the order's status being its least advanced line that is not
cancelled.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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
    REFUNDED,
    MarketplaceOrder,
    OrderLine,
    OrderPull,
)
from marketplaces.client import MarketplaceError

TURKEY = timedelta(hours=3)
MAX_WINDOW = timedelta(hours=24)
DEFAULT_ORDER_OVERLAP = timedelta(minutes=15)
ORDER_PAGE_SIZE = 100
PACKAGE_PAGE_SIZE = 10
FEED_PAGE_SIZE = 50
DATE_FORMAT = "%Y-%m-%d %H:%M"

# Hepsiburada line / package status -> ours, with a rank (how far along the line is).
STATUS_MAP: dict[str, tuple[str, int]] = {
    "PaymentAwaiting": (PENDING, 0), "Open": (PENDING, 0), "Unpacked": (PENDING, 0),
    "Packaged": (PROCESSING, 1), "ReadyToShip": (PROCESSING, 1), "InTransit": (PROCESSING, 2),
    "Shipped": (PROCESSING, 2), "Undelivered": (PROCESSING, 2), "Delivered": (COMPLETED, 3),
    "Returned": (REFUNDED, 4), "Cancelled": (CANCELLED, 5),
}  # fmt: skip
OPEN_STATUSES = ("Open", "Unpacked")
FEEDS = {"shipped": ("InTransit", "ShippedDate"), "delivered": ("Delivered", "DeliveredDate"),
         "undelivered": ("Undelivered", "UndeliveredDate")}  # fmt: skip


def hb_date(moment: datetime) -> str:
    """``yyyy-MM-dd HH:mm`` in Turkey time: what the order filters read (§2.4)."""
    return (moment.astimezone(UTC) + TURKEY).strftime(DATE_FORMAT)


def parse_date(value: Any) -> datetime | None:
    """A response timestamp; one without a zone is Turkey time."""
    if not value:
        return None
    text = str(value).strip().replace("Z", "+00:00")
    if "." in text:  # .NET writes seven fractional digits
        head, _dot, tail = text.partition(".")
        digits = "".join(c for c in tail if c.isdigit())
        text = f"{head}.{digits[:6]}{tail[len(digits):]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) - TURKEY if moment.tzinfo is None else moment.astimezone(UTC)


def windows(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """[start, end] in windows of at most 24 hours on whole minutes."""
    start = start.replace(second=0, microsecond=0)
    if end.second or end.microsecond:
        end = end.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while start < end:
        stop = min(end, start + MAX_WINDOW)
        yield start, stop
        start = stop


def _amount(value: Any) -> Decimal:
    if isinstance(value, dict):
        value = value.get("amount")
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _address(data: Any) -> dict[str, Any]:
    data = data if isinstance(data, dict) else {}
    return {"full_name": data.get("name") or "", "address1": data.get("address") or "",
            "city": data.get("city") or "", "district": data.get("town") or data.get("district") or "",
            "postal_code": data.get("postalCode") or "", "country_code": data.get("countryCode") or "",
            "phone": data.get("phoneNumber") or "", "email": data.get("email") or ""}  # fmt: skip


def _line(raw: dict[str, Any], status: str, package: str = "") -> dict[str, Any]:
    """A line item from any feed in one shape (orders feed, detail or package line)."""
    sku = raw.get("merchantSKU") or raw.get("merchantSku") or ""
    return {
        "id": str(raw.get("id") or raw.get("lineItemId") or ""), "orderNumber": str(raw.get("orderNumber") or ""),
        "merchantSku": str(sku), "hbSku": str(raw.get("sku") or raw.get("hbSku") or ""),
        "name": str(raw.get("name") or raw.get("productName") or ""), "quantity": int(raw.get("quantity") or 0),
        "unitPrice": _amount(raw.get("unitPrice") or raw.get("price")), "totalPrice": _amount(raw.get("totalPrice")),
        "discount": _amount((raw.get("merchantDiscount") or {}).get("totalPrice") or raw.get("totalMerchantDiscount"))
        + _amount((raw.get("hbDiscount") or {}).get("totalPrice") or raw.get("totalHBDiscount")),
        "status": str(raw.get("status") or status), "packageNumber": str(raw.get("packageNumber") or package or ""),
        "orderDate": raw.get("orderDate"), "updated": parse_date(raw.get("lastStatusUpdateDate")),
        "customer": raw.get("customerName") or "", "address": raw.get("shippingAddress"),
        "invoice": (raw.get("invoice") or {}).get("address"),
    }  # fmt: skip


def build_order(number: str, lines: Iterable[dict[str, Any]], detail: dict[str, Any] | None = None,
                seen_at: datetime | None = None) -> MarketplaceOrder:  # fmt: skip
    """One order from its merged lines (and the order detail, when read)."""
    lines = sorted(lines, key=lambda line: line["id"])
    live = [line for line in lines if STATUS_MAP.get(line["status"], (PENDING, 0))[1] != 5] or lines
    least = min(live, key=lambda line: STATUS_MAP.get(line["status"], (PENDING, 0))[1])
    status_name = least["status"]
    detail = detail or {}
    first = lines[0] if lines else {}
    updated = [line["updated"] for line in lines if line["updated"]]
    customer = detail.get("customer") or {}
    return MarketplaceOrder(
        external_id=number, order_number=number, status=STATUS_MAP.get(status_name, (PENDING, 0))[0],
        marketplace_status=status_name,
        lines=[OrderLine(line_id=line["id"], barcode=line["merchantSku"], merchant_sku=line["merchantSku"],
                         quantity=line["quantity"], unit_price=line["unitPrice"],
                         gross_amount=line["totalPrice"] or line["unitPrice"] * line["quantity"],
                         discount=line["discount"], product_name=line["name"], marketplace_status=line["status"],
                         raw={k: (str(v) if isinstance(v, Decimal | datetime) else v) for k, v in line.items()})
               for line in lines],
        customer={"id": customer.get("customerId"), "first_name": customer.get("name") or first.get("customer", ""),
                  "last_name": "", "email": (detail.get("deliveryAddress") or {}).get("email") or ""},
        shipping_address=_address(detail.get("deliveryAddress") or first.get("address")),
        billing_address=_address((detail.get("invoice") or {}).get("address") or first.get("invoice")),
        ordered_at=parse_date(detail.get("orderDate") or first.get("orderDate")),
        created_at=parse_date(detail.get("createdDate") or detail.get("orderDate") or first.get("orderDate")),
        modified_at=max(updated) if updated else seen_at,
        gross_amount=sum((line["totalPrice"] + line["discount"] for line in live), Decimal("0")),
        discount=sum((line["discount"] for line in live), Decimal("0")),
        total=sum((line["totalPrice"] for line in live), Decimal("0")),
        raw={"detail": bool(detail)},
    )  # fmt: skip


class HepsiburadaOrdersMixin:
    """Orders and packages on the OMS host; expects ``call`` and ``m`` from the adapter."""

    config: Any
    m: str

    def call(self, service: str, method: str, path: str, **kwargs: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    @property
    def requests_sent(self) -> int:  # pragma: no cover
        raise NotImplementedError

    # ---- pulling -------------------------------------------------------------------------

    def fetch_orders(self, since: datetime, until: datetime | None = None,
                     overlap: timedelta | None = None) -> OrderPull:  # fmt: skip
        options = self.config.options
        until = until or datetime.now(UTC)
        default_overlap = timedelta(seconds=float(options.get("order_overlap_seconds",
                                                              DEFAULT_ORDER_OVERLAP.total_seconds())))
        start = since - (default_overlap if overlap is None else overlap)
        before = self.requests_sent
        lines: dict[str, dict[str, dict[str, Any]]] = {}  # order number -> line id -> line
        created_here: set[str] = set()  # orders whose (open) lines were created in the pull
        for begin, end in windows(start, until):
            for raw in self._paged("/orders/merchantid/{m}", "offset", ORDER_PAGE_SIZE, begin, end):
                line = _line(raw, "Open")
                created_here.add(line["orderNumber"])
                self._merge(lines, line)
            for package in self._paged("/packages/merchantid/{m}", "Offset", PACKAGE_PAGE_SIZE, begin, end):
                for raw in package.get("items") or []:
                    self._merge(lines, _line(raw, str(package.get("status") or "Packaged"),
                                             str(package.get("packageNumber") or "")))
        # An order packed now but placed before the pull may have lines still open that this
        # pull did not see (or lines in older packages): it is read in full, like the orders
        # that only the thin feeds mention.
        wanted = self._changed_in_feeds(start, until) | (set(lines) - created_here)
        details = {number: self.order_detail(number) for number in sorted(wanted)}
        orders = []
        for number in sorted(set(lines) | set(details)):
            detail = details.get(number)
            merged = dict(lines.get(number, {}))
            for raw in (detail or {}).get("items") or []:
                line = _line(raw, "Open")
                merged[line["id"]] = line  # the detail is the latest word on every line
            if merged:
                orders.append(build_order(number, merged.values(), detail, until))
        return OrderPull(orders, until, self.requests_sent - before)

    @staticmethod
    def _merge(lines: dict[str, dict[str, dict[str, Any]]], line: dict[str, Any]) -> None:
        """Add a line; one seen twice keeps its further-along state."""
        known = lines.setdefault(line["orderNumber"], {})
        current = known.get(line["id"])
        rank = STATUS_MAP.get(line["status"], (PENDING, 0))[1]
        if current is None or rank >= STATUS_MAP.get(current["status"], (PENDING, 0))[1]:
            known[line["id"]] = line

    def _paged(self, template: str, offset_name: str, size: int, begin: datetime | None = None,
               end: datetime | None = None, max_pages: int | None = None) -> Iterator[dict[str, Any]]:  # fmt: skip
        path = template.replace("{m}", self.m)
        offset, page = 0, 0
        while max_pages is None or page < max_pages:
            params: dict[str, Any] = {offset_name: offset, "limit": size}
            if begin is not None and end is not None:
                params.update(begindate=hb_date(begin), enddate=hb_date(end))
            body = self.call("oms", "GET", path, params=params)
            rows = body if isinstance(body, list) else (body or {}).get("items") or []
            yield from rows
            offset, page = offset + len(rows), page + 1
            total = None if isinstance(body, list) else (body or {}).get("totalCount")
            if len(rows) < size or (total is not None and offset >= int(total)):
                return

    def _changed_in_feeds(self, start: datetime, until: datetime) -> set[str]:
        """Order numbers whose packages shipped, were delivered or not, or whose lines were
        cancelled in [start, until] (these feeds take no date filter)."""
        pages = int(self.config.options.get("status_feed_max_pages", 20))
        numbers: set[str] = set()
        feeds = [(f"/packages/merchantid/{{m}}/{name}", date_field) for name, (_s, date_field) in FEEDS.items()]
        feeds.append(("/orders/merchantid/{m}/cancelled", "cancelDate"))
        for template, date_field in feeds:
            for row in self._paged(template, "offset", FEED_PAGE_SIZE, max_pages=pages):
                moment = parse_date(row.get(date_field))
                if moment is None or start <= moment <= until:
                    for number in row.get("OrderNumbers") or [row.get("OrderNumber") or row.get("orderNumber")]:
                        if number:
                            numbers.add(str(number))
        return numbers

    def order_detail(self, number: str) -> dict[str, Any] | None:
        try:
            return self.call("oms", "GET", f"/orders/merchantid/{self.m}/ordernumber/{quote(number, safe='')}")
        except MarketplaceError as exc:
            if exc.status == 404:
                return None
            raise

    def fetch_order(self, external_id: str) -> MarketplaceOrder | None:
        detail = self.order_detail(external_id)
        if not detail or not detail.get("items"):
            return None
        return build_order(external_id, [_line(raw, "Open") for raw in detail["items"]], detail,
                           datetime.now(UTC))  # fmt: skip

    # ---- our status changes ----------------------------------------------------------------

    def push_order_status(self, order: MarketplaceOrder, status: str, *, invoice_number: str | None = None,
                          tracking_number: str = "", tracking_url: str = "", received_by: str = "") -> None:
        """``Packaged``: a package of every open line (nothing open: nothing to do);
        ``Invoiced``: the invoice link (``invoice_number`` is its URL) on every package;
        ``InTransit`` / ``Delivered``: own-cargo delivery news for every package."""
        base = f"/packages/merchantid/{self.m}"
        if status == "Packaged":
            open_lines = [line for line in order.lines if line.marketplace_status in OPEN_STATUSES]
            if open_lines:
                self.call("oms", "POST", base, json={"lineItemRequests": [
                    {"id": line.line_id, "quantity": line.quantity} for line in open_lines]})
            return
        packages = sorted({str((line.raw or {}).get("packageNumber") or "") for line in order.lines} - {""})
        if status not in ("Invoiced", "InTransit", "Delivered"):
            raise MarketplaceError(_("Hepsiburada has no seller status %(status)s.") % {"status": status})
        if not packages:
            raise MarketplaceError(_("Order %(number)s has no package yet: package it first.")
                                   % {"number": order.order_number})  # fmt: skip
        now = hb_date(datetime.now(UTC))
        for number in packages:
            path = f"{base}/packagenumber/{quote(number, safe='')}"
            if status == "Invoiced":
                link = (invoice_number or "").strip()
                if not link.startswith(("https://", "http://")):
                    raise MarketplaceError(_("Hepsiburada wants the invoice as a link (http or https URL)."))
                self.call("oms", "PUT", f"{path}/invoice", json={"invoiceLink": link})
            elif status == "InTransit":
                self.call("oms", "POST", f"{path}/intransit", json={
                    "trackingNumber": tracking_number or number, "trackingUrl": tracking_url, "shippedDate": now})
            else:
                self.call("oms", "POST", f"{path}/deliver", json={"receivedBy": received_by, "receivedDate": now})
