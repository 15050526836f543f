"""The orders side (``oms-external``, notes §2.4) of the Hepsiburada sandbox, mixed into
:class:`marketplaces.sandbox.hepsiburada.HepsiburadaSandbox`. See that module's docstring."""

from __future__ import annotations

import re
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from marketplaces.sandbox.base import SandboxError

TURKEY = timedelta(hours=3)
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T")
MAX_WINDOW_SECONDS = 24 * 3600
LIMITS = {"orders": 100, "packages": 10, "feed": 50}
RANK = {"Open": 0, "Packaged": 1, "InTransit": 2, "Undelivered": 2, "Delivered": 3, "Cancelled": 5}
FEED_STATUS = {"shipped": ("InTransit", "ShippedDate"), "delivered": ("Delivered", "DeliveredDate"),
               "undelivered": ("Undelivered", "UndeliveredDate")}  # fmt: skip


def tr_iso(seconds: float) -> str:
    """A response timestamp: ISO without a zone, Turkey time."""
    return (datetime.fromtimestamp(seconds, tz=UTC) + TURKEY).replace(tzinfo=None).isoformat(timespec="seconds")


def _bad(message: str, code: str = "BadRequest") -> SandboxError:
    return SandboxError(400, {"code": code, "message": message})


def _int(query: dict[str, list[str]], name: str, default: int | None = None) -> int | None:
    values = query.get(name)
    if not values:
        return default
    try:
        return int(values[0])
    except ValueError as exc:
        raise _bad(f"{name} must be a whole number.") from exc


def parse_hb_date(value: str) -> float | None:
    """Seconds of a ``yyyy-MM-dd HH:mm`` Turkey-time filter; None for an ISO value (which
    Hepsiburada accepts and then matches nothing); 400 for anything else."""
    if ISO_RE.match(value):
        return None
    if not DATE_RE.match(value):
        raise _bad("Tarih formatı yyyy-MM-dd HH:mm olmalıdır.", "WrongDateFormat")
    moment = datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=UTC) - TURKEY
    return moment.timestamp()


class OmsMixin:
    """Orders, line items and packages; needs ``now()``, ``_lock`` and ``merchant_id``."""

    merchant_id: str

    def reset_oms(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.lines: dict[str, dict[str, Any]] = {}
        self.packages: dict[str, dict[str, Any]] = {}
        self._order_seq = 0
        self._line_seq = 0
        self._package_seq = 0

    # ---- control: making orders happen ------------------------------------------------------

    def add_orders(self, count: int, skus: list[str], *, lines_per_order: int = 1, quantity: int = 1,
                   created_at: float | None = None, interval: float = 0.0, price: float = 199.9,
                   cargo: str = "hb") -> list[str]:  # fmt: skip
        """`count` paid orders (lines cycling through `skus`) waiting to be packed."""
        numbers, start = [], self.now() if created_at is None else created_at
        with self._lock:
            cursor = 0
            for index in range(count):
                self._order_seq += 1
                number = str(4_100_000_000 + self._order_seq)
                created = start + index * interval
                line_ids = []
                for _ in range(lines_per_order):
                    self._line_seq += 1
                    sku = skus[cursor % len(skus)] if skus else f"SKU-{cursor}"
                    cursor += 1
                    line_id = f"L{self._line_seq:08d}"
                    listing = getattr(self, "listings", {}).get(sku, {})
                    self.lines[line_id] = {
                        "id": line_id, "orderNumber": number, "merchantSku": sku,
                        "hbSku": listing.get("hepsiburadaSku", f"HBV{zlib.crc32(sku.encode()):010d}"),
                        "name": listing.get("productName", f"Ürün {sku}"), "quantity": quantity, "price": price,
                        "status": "Open", "packageNumber": "", "created": created, "updated": created,
                        "cancelled": None,
                    }  # fmt: skip
                    line_ids.append(line_id)
                self.orders[number] = {"orderNumber": number, "orderId": f"O{self._order_seq}", "created": created,
                                       "customer": f"Müşteri {self._order_seq}", "lineIds": line_ids,
                                       "cargo": cargo}  # fmt: skip
                numbers.append(number)
        return numbers

    def order_status(self, number: str) -> str:
        """The order's status: its least advanced line that is not cancelled."""
        with self._lock:
            lines = [self.lines[i] for i in self.orders[number]["lineIds"]]
        live = [line for line in lines if line["status"] != "Cancelled"]
        return min(live, key=lambda line: RANK[line["status"]])["status"] if live else "Cancelled"

    def cancel_lines(self, number: str) -> None:
        """Hepsiburada (the customer) cancels the order's open lines."""
        with self._lock:
            for line_id in self.orders[number]["lineIds"]:
                line = self.lines[line_id]
                if line["status"] == "Open":
                    line.update(status="Cancelled", cancelled=self.now(), updated=self.now())

    def hb_pack(self, number: str) -> str:
        """Hepsiburada packs the order's open lines itself (auto-packaging)."""
        open_ids = [i for i in self.orders[number]["lineIds"] if self.lines[i]["status"] == "Open"]
        return self._pack(open_ids)

    def set_package_status(self, package_number: str, status: str) -> None:
        """Carrier news for a package (InTransit, Delivered, Undelivered)."""
        with self._lock:
            package = self.packages[package_number]
            self._move(package, status)

    def _move(self, package: dict[str, Any], status: str) -> None:
        now = self.now()
        package["status"] = status
        for name, (feed_status, field) in FEED_STATUS.items():
            if feed_status == status:
                package["events"][field] = now
                package["feeds"].add(name)
        for line_id in package["lineIds"]:
            self.lines[line_id].update(status=status, updated=now)

    def _pack(self, line_ids: list[str]) -> str:
        with self._lock:
            self._package_seq += 1
            number = f"P{7_000_000 + self._package_seq}"
            order = self.orders[self.lines[line_ids[0]]["orderNumber"]]
            self.packages[number] = {"packageNumber": number, "barcode": f"HBP{self._package_seq:09d}",
                                     "status": "Packaged", "lineIds": list(line_ids), "created": self.now(),
                                     "cargo": order["cargo"], "invoiceLink": "", "events": {}, "feeds": set()}
            for line_id in line_ids:
                self.lines[line_id].update(status="Packaged", packageNumber=number, updated=self.now())
            return number

    # ---- shapes ---------------------------------------------------------------------------------

    def _line_json(self, line: dict[str, Any]) -> dict[str, Any]:
        order = self.orders[line["orderNumber"]]
        total = round(line["price"] * line["quantity"], 2)
        address = {"name": order["customer"], "address": "Atatürk Cad. 1", "city": "İstanbul", "town": "Kadıköy",
                   "district": "Moda", "countryCode": "TR", "phoneNumber": "05550000000",
                   "email": f"c{order['orderId']}@example.com"}  # fmt: skip
        return {
            "id": line["id"], "orderId": order["orderId"], "orderNumber": line["orderNumber"],
            "orderDate": tr_iso(order["created"]), "merchantId": self.merchant_id,
            "merchantSKU": line["merchantSku"], "sku": line["hbSku"], "name": line["name"],
            "quantity": line["quantity"], "unitPrice": {"amount": line["price"], "currency": "TRY"},
            "totalPrice": {"amount": total, "currency": "TRY"}, "status": line["status"],
            "packageNumber": line["packageNumber"], "lastStatusUpdateDate": tr_iso(line["updated"]),
            "customerName": order["customer"], "shippingAddress": address, "invoice": {"address": address},
            "canCreatePackage": line["status"] == "Open", "vatRate": 20,
        }  # fmt: skip

    def _package_json(self, package: dict[str, Any]) -> dict[str, Any]:
        lines = [self.lines[i] for i in package["lineIds"]]
        order = self.orders[lines[0]["orderNumber"]]
        return {
            "id": package["packageNumber"], "packageNumber": package["packageNumber"], "barcode": package["barcode"],
            "status": package["status"], "orderDate": tr_iso(order["created"]), "customerName": order["customer"],
            "recipientName": order["customer"], "shippingCity": "İstanbul", "shippingTown": "Kadıköy",
            "cargoCompany": "Hepsijet" if package["cargo"] == "hb" else "Satıcı Kargosu",
            "totalPrice": {"amount": round(sum(x["price"] * x["quantity"] for x in lines), 2), "currency": "TRY"},
            "items": [{"lineItemId": x["id"], "orderNumber": x["orderNumber"], "merchantSku": x["merchantSku"],
                       "hbSku": x["hbSku"], "productName": x["name"], "quantity": x["quantity"],
                       "price": {"amount": x["price"], "currency": "TRY"},
                       "totalPrice": {"amount": round(x["price"] * x["quantity"], 2), "currency": "TRY"},
                       "orderDate": tr_iso(order["created"]), "merchantId": self.merchant_id} for x in lines],
        }  # fmt: skip

    # ---- the OMS API -----------------------------------------------------------------------------

    def _window(self, query: dict[str, list[str]], *, timespan: bool = False) -> tuple[float, float] | None:
        """The [begin, end] of a date filter; None: matches nothing (ISO dates)."""
        begin_text, end_text = (query.get("begindate") or [""])[0], (query.get("enddate") or [""])[0]
        if not begin_text and not end_text:
            hours = _int(query, "timespan", 24) if timespan else None
            return (self.now() - hours * 3600, self.now()) if hours is not None else (0.0, float("inf"))
        begin = parse_hb_date(begin_text) if begin_text else None
        end = parse_hb_date(end_text) if end_text else self.now()
        if (begin_text and begin is None) or (end_text and end is None):
            return None
        if begin is None:
            raise _bad("begindate is required with enddate.")
        if end - begin > MAX_WINDOW_SECONDS:
            raise _bad("begindate ile enddate arasındaki fark en fazla 24 saat olabilir.", "DateRangeTooLong")
        return begin, end + 59  # enddate is a whole minute: its seconds count

    def _paging(self, query: dict[str, list[str]], kind: str, offset_name: str = "offset") -> tuple[int, int]:
        limit = _int(query, "limit")
        if limit is None or limit < 1:
            raise _bad("limit is required and must be at least 1.")
        if limit > LIMITS[kind]:
            raise _bad(f"limit must be at most {LIMITS[kind]}.")
        return _int(query, offset_name, 0) or 0, limit

    def handle_oms(self, method: str, rest: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        """``rest``: the path after ``/{orders|packages|lineitems}/merchantid/{m}``, routed by the caller."""
        head, _sep, tail = rest.partition("|")
        if head == "orders":
            return self._orders_api(method, tail, query)
        if head == "packages":
            return self._packages_api(method, tail, query, body)
        raise SandboxError(404, {"message": "Not found."})

    def _orders_api(self, method: str, tail: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if method != "GET":
            raise SandboxError(405, {"message": "Method not allowed."})
        if tail == "":
            window = self._window(query)
            offset, limit = self._paging(query, "orders")
            with self._lock:
                rows = [] if window is None else sorted(
                    (x for x in self.lines.values() if x["status"] == "Open" and window[0] <= x["created"] <= window[1]),
                    key=lambda x: (x["created"], x["id"]))  # fmt: skip
                page = [self._line_json(x) for x in rows[offset:offset + limit]]
            return 200, {"items": page, "offset": offset, "limit": limit, "totalCount": len(rows),
                         "pageCount": -(-len(rows) // limit)}  # fmt: skip
        if tail == "/cancelled":
            if query.get("begindate") or query.get("enddate"):
                raise _bad("WrongDateFormat", "WrongDateFormat")
            offset, limit = self._paging(query, "feed")
            with self._lock:
                rows = sorted((x for x in self.lines.values() if x["cancelled"]), key=lambda x: (x["cancelled"], x["id"]))
                page = [{"lineItemId": x["id"], "orderNumber": x["orderNumber"], "merchantId": self.merchant_id,
                         "merchantSku": x["merchantSku"], "sku": x["hbSku"], "quantity": x["quantity"],
                         "cancelDate": tr_iso(x["cancelled"]), "cancelledBy": "Customer", "cancelReasonCode": "1"}
                        for x in rows[offset:offset + limit]]  # fmt: skip
            return 200, {"items": page, "offset": offset, "limit": limit, "totalCount": len(rows)}
        if tail == "/paymentawaiting":
            return 200, {"items": [], "offset": 0, "limit": 50, "totalCount": 0}
        if tail.startswith("/ordernumber/"):
            number = tail[len("/ordernumber/"):]
            with self._lock:
                order = self.orders.get(number)
                if order is None:
                    raise SandboxError(404, {"message": f"Order {number} not found."})
                items = [self._line_json(self.lines[i]) for i in order["lineIds"]]
            first = items[0]
            return 200, {"orderId": order["orderId"], "orderNumber": number, "orderDate": first["orderDate"],
                         "createdDate": first["orderDate"], "paymentStatus": "Paid",
                         "customer": {"customerId": order["orderId"], "name": order["customer"]},
                         "deliveryAddress": first["shippingAddress"], "invoice": first["invoice"], "items": items}
        raise SandboxError(404, {"message": "Not found."})

    def _packages_api(self, method: str, tail: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        if tail == "" and method == "GET":
            window = self._window(query, timespan=True)
            offset, limit = self._paging(query, "packages", "Offset")  # lowercase offset is ignored
            with self._lock:
                rows = [] if window is None else sorted(
                    (p for p in self.packages.values()
                     if p["status"] == "Packaged" and window[0] <= p["created"] <= window[1]),
                    key=lambda p: (p["created"], p["packageNumber"]))  # fmt: skip
                return 200, [self._package_json(p) for p in rows[offset:offset + limit]]
        if tail == "" and method == "POST":
            return self._create_package(body)
        feed = tail.lstrip("/")
        if feed in FEED_STATUS and method == "GET":
            if query.get("begindate") or query.get("enddate"):
                raise _bad("WrongDateFormat", "WrongDateFormat")
            offset, limit = self._paging(query, "feed")
            field = FEED_STATUS[feed][1]
            with self._lock:
                rows = sorted((p for p in self.packages.values() if feed in p["feeds"]),
                              key=lambda p: (p["events"][field], p["packageNumber"]))  # fmt: skip
                page = []
                for p in rows[offset:offset + limit]:
                    numbers = sorted({self.lines[i]["orderNumber"] for i in p["lineIds"]})
                    page.append({"Id": p["packageNumber"], "MerchantId": self.merchant_id, "OrderNumber": numbers[0],
                                 "OrderNumbers": numbers, "PackageNumber": p["packageNumber"],
                                 "Barcode": p["barcode"], field: tr_iso(p["events"][field])})  # fmt: skip
            return 200, {"items": page, "offset": offset, "limit": limit, "totalCount": len(rows)}
        match = re.fullmatch(r"/packagenumber/([^/]+)/(invoice|intransit|deliver|undeliver)", tail)
        if match:
            return self._package_action(method, match.group(1), match.group(2), body)
        raise SandboxError(404, {"message": "Not found."})

    def _create_package(self, body: Any) -> tuple[int, Any]:
        requests = body.get("lineItemRequests") if isinstance(body, dict) else None
        if not isinstance(requests, list) or not requests:
            raise _bad("lineItemRequests must list the line items to pack.")
        with self._lock:
            ids = []
            for request in requests:
                line = self.lines.get(str((request or {}).get("id")))
                if line is None:
                    raise _bad(f"Line item {request.get('id')} not found.", "LineItemNotFound")
                if line["status"] != "Open":
                    raise _bad(f"Line item {line['id']} cannot be packed: it is {line['status']}.",
                               "LineItemNotPackable")  # fmt: skip
                if request.get("quantity") != line["quantity"]:
                    raise _bad(f"quantity of line item {line['id']} must be {line['quantity']}.")
                ids.append(line["id"])
            if len({self.lines[i]["orderNumber"] for i in ids}) > 1:
                raise _bad("These line items cannot be packed together.", "NotPackageableWith")
            number = self._pack(ids)
        return 201, {"packageNumber": number, "barcode": self.packages[number]["barcode"]}

    def _package_action(self, method: str, number: str, action: str, body: Any) -> tuple[int, Any]:
        body = body if isinstance(body, dict) else {}
        with self._lock:
            package = self.packages.get(number)
            if package is None:
                raise SandboxError(404, {"message": f"Package {number} not found."})
            if action == "invoice":
                if method != "PUT":
                    raise SandboxError(405, {"message": "Method not allowed."})
                link = str(body.get("invoiceLink") or "")
                if not link.startswith(("http://", "https://")):
                    raise _bad("invoiceLink must be a link to the invoice.")
                if package["invoiceLink"]:
                    raise SandboxError(409, {"message": "This package has an invoice already."})
                package["invoiceLink"] = link
                return 200, ""
            if method != "POST":
                raise SandboxError(405, {"message": "Method not allowed."})
            if package["cargo"] != "own":
                raise _bad("Only packages shipped with the merchant's own cargo take delivery news.",
                           "NotMerchantCargo")  # fmt: skip
            allowed = {"intransit": ("Packaged", "InTransit"), "deliver": ("InTransit", "Delivered"),
                       "undeliver": ("InTransit", "Undelivered")}[action]  # fmt: skip
            if package["status"] != allowed[0]:
                raise _bad(f"Package {number} is {package['status']}, not {allowed[0]}.", "InvalidStatus")
            self._move(package, allowed[1])
        return 200, ""
