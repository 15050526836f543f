"""Order packages of the Trendyol sandbox (mixed into
:class:`~marketplaces.sandbox.trendyol.TrendyolSandbox`): generated orders, the package
list and its stream (§1.6), the seller's status updates (Created → Picking → Invoiced) and
the Trendyol-side transitions tests drive. Packages carry both the old and the renamed field
names of the 2025-12-08 announcement unless ``field_names`` is ``"old"`` or ``"new"``."""

from __future__ import annotations

import base64
import binascii
import copy
import zlib
from typing import Any

from marketplaces.sandbox.trendyol_common import SandboxError, Seller, int_param, money, ms, page_of

MAX_PACKAGE_PAGE_SIZE = 200
PACKAGE_RECORD_WINDOW = 10000
PACKAGE_LOOKBACK_SECONDS = 90 * 24 * 3600
STREAM_MAX_WINDOW_SECONDS = 14 * 24 * 3600
TURKEY_OFFSET_MS = 3 * 3600 * 1000

PACKAGE_STATUSES = (
    "Awaiting", "Created", "Picking", "Invoiced", "Shipped", "Delivered", "UnDelivered",
    "Cancelled", "Returned", "Repack", "UnPacked", "UnSupplied",
)
# What the seller may push (§1.6): target status -> allowed current statuses.
SELLER_TRANSITIONS = {"Picking": ("Created",), "Invoiced": ("Picking",)}

# Field renames of the 2025-12-08 announcement (§1.6): new name -> old name.
PACKAGE_OLD_NAMES = {
    "shipmentPackageId": "id", "sellerId": "merchantId", "packageGrossAmount": "grossAmount",
    "packageSellerDiscount": "totalDiscount", "packageTyDiscount": "totalTyDiscount",
    "packageTotalPrice": "totalPrice",
}
LINE_OLD_NAMES = {
    "lineId": "id", "stockCode": "merchantSku", "sellerId": "merchantId",
    "lineGrossAmount": "amount", "lineSellerDiscount": "discount", "lineTyDiscount": "tyDiscount",
    "lineUnitPrice": "price", "contentId": "productCode", "vatRate": "vatBaseAmount",
}
PACKAGE_NEW_ONLY = ("cancelledBy", "cancelReason", "cancelReasonCode", "packageTotalDiscount")
LINE_NEW_ONLY = ("lineTotalDiscount",)

FIRST_NAMES = ("Ayşe", "Mehmet", "Zeynep", "Ahmet", "Elif", "Mustafa", "Fatma", "Can", "Deniz", "Emre")
LAST_NAMES = ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Aydın", "Öztürk", "Arslan", "Doğan")
CITIES = (("İstanbul", 34, "Kadıköy"), ("Ankara", 6, "Çankaya"), ("İzmir", 35, "Karşıyaka"),
          ("Bursa", 16, "Nilüfer"), ("Antalya", 7, "Muratpaşa"))
CARGO_PROVIDERS = ("Trendyol Express Marketplace", "Yurtiçi Kargo Marketplace", "Aras Kargo Marketplace")


class PackagesMixin:
    """Needs ``_lock``, ``now()``, ``_seller()``, ``_settle()``, ``_data_rng``, ``field_names``
    and the package and line id counters from the sandbox."""

    # ---- test helpers and state accessors ----------------------------------------------------

    def packages(self, seller_id: str | int | None = None) -> list[dict[str, Any]]:
        """Packages (with the configured field names), oldest first."""
        with self._lock:
            seller = self._seller(seller_id)
            return [self._render_package(p) for _, p in sorted(seller.packages.items())]

    def package(self, package_id: int, seller_id: str | int | None = None) -> dict[str, Any]:
        with self._lock:
            return self._render_package(self._seller(seller_id).packages[int(package_id)])

    def add_packages(
        self,
        count: int,
        *,
        barcodes: list[str] | None = None,
        seller_id: str | int | None = None,
        status: str = "Created",
        max_lines: int = 3,
        max_quantity: int = 3,
        created_at: float | None = None,
        interval: float = 0.0,
    ) -> list[int]:
        """Create ``count`` order packages with lines for the given barcodes (default: the
        seller's products, else synthetic barcodes); returns their shipmentPackageIds.

        The first package is created at ``created_at`` (sandbox clock seconds, default now),
        each next one ``interval`` seconds later."""
        if status not in PACKAGE_STATUSES:
            raise ValueError(f"unknown package status {status!r}")
        if count < 0 or max_lines < 1 or max_quantity < 1:
            raise ValueError("count must be >= 0, max_lines and max_quantity >= 1")
        with self._lock:
            self._settle()
            seller = self._seller(seller_id)
            rng = self._data_rng
            pool = list(barcodes or sorted(seller.products) or [f"SBX-{n:06d}" for n in range(1, 21)])
            start = self.now() if created_at is None else created_at
            ids = []
            for index in range(count):
                package_id = self._next_package_id
                self._next_package_id += 1
                order_number = str(self._next_order_number)
                self._next_order_number += 1
                picked = rng.sample(pool, k=min(len(pool), rng.randint(1, max_lines)))
                lines = []
                for barcode in picked:
                    product = seller.products.get(barcode, {})
                    unit = float(product.get("salePrice") or rng.randint(50, 900) + 0.9)
                    quantity = rng.randint(1, max_quantity)
                    gross = money(unit * quantity)
                    seller_discount = money(gross * rng.choice((0, 0, 0.05, 0.1)))
                    ty_discount = money(gross * rng.choice((0, 0, 0, 0.05)))
                    lines.append({
                        "lineId": self._next_line_id, "quantity": quantity, "barcode": barcode,
                        "stockCode": product.get("stockCode", barcode), "productName": product.get("title", f"Ürün {barcode}"),
                        "contentId": product.get("contentId", 100000000 + zlib.crc32(barcode.encode()) % 899999999),
                        "lineUnitPrice": money(unit), "lineGrossAmount": gross,
                        "lineSellerDiscount": seller_discount, "lineTyDiscount": ty_discount,
                        "lineTotalDiscount": money(seller_discount + ty_discount),
                        "vatRate": product.get("vatRate", 20), "currencyCode": "TRY",
                        "orderLineItemStatusName": status, "sellerId": int(seller.seller_id),
                    })
                    self._next_line_id += 1
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                city, city_code, district = rng.choice(CITIES)
                address = {
                    "id": rng.randint(10_000_000, 99_999_999), "firstName": first, "lastName": last,
                    "fullName": f"{first} {last}", "address1": f"{rng.randint(1, 200)}. Sokak No:{rng.randint(1, 90)}",
                    "address2": "", "city": city, "cityCode": city_code, "district": district,
                    "postalCode": f"{city_code:02d}{rng.randint(100, 999)}", "countryCode": "TR",
                    "phone": None, "fullAddress": f"{district} / {city}",
                }
                gross = money(sum(line["lineGrossAmount"] for line in lines))
                seller_discount = money(sum(line["lineSellerDiscount"] for line in lines))
                ty_discount = money(sum(line["lineTyDiscount"] for line in lines))
                created = ms(start + index * interval)
                seller.packages[package_id] = {
                    "shipmentPackageId": package_id, "orderNumber": order_number,
                    "sellerId": int(seller.seller_id), "customerId": rng.randint(1_000_000, 9_999_999),
                    "customerFirstName": first, "customerLastName": last,
                    "customerEmail": f"pf+{rng.randint(100000, 999999)}@trendyolmail.com",
                    "shipmentAddress": address, "invoiceAddress": dict(address),
                    "packageGrossAmount": gross, "packageSellerDiscount": seller_discount,
                    "packageTyDiscount": ty_discount, "packageTotalDiscount": money(seller_discount + ty_discount),
                    "packageTotalPrice": money(gross - seller_discount - ty_discount), "currencyCode": "TRY",
                    "status": status, "shipmentPackageStatus": status,
                    "orderDate": created + TURKEY_OFFSET_MS, "createdDate": created, "lastModifiedDate": created,
                    "cargoProviderName": rng.choice(CARGO_PROVIDERS),
                    "cargoTrackingNumber": 7_330_000_000_000 + package_id % 1_000_000_000,
                    "deliveryType": "normal", "fastDelivery": False, "invoiceNumber": None,
                    "cancelledBy": None, "cancelReason": None, "cancelReasonCode": None,
                    "packageHistories": [{"createdDate": created, "status": status}],
                    "lines": lines,
                }
                ids.append(package_id)
            return ids

    def set_package_status(self, package_id: int, status: str, seller_id: str | int | None = None) -> None:
        """A Trendyol-side transition (any status, e.g. Shipped, Delivered, Cancelled)."""
        if status not in PACKAGE_STATUSES:
            raise ValueError(f"unknown package status {status!r}")
        with self._lock:
            package = self._seller(seller_id).packages[int(package_id)]
            if status == "Cancelled":
                package.update(cancelledBy="customer", cancelReason="Vazgeçtim", cancelReasonCode=501)
            self._set_status(package, status)

    def _set_status(self, package: dict[str, Any], status: str) -> None:
        now = ms(self.now())
        package["status"] = package["shipmentPackageStatus"] = status
        package["lastModifiedDate"] = max(now, package["lastModifiedDate"] + 1)
        package["packageHistories"].append({"createdDate": package["lastModifiedDate"], "status": status})
        for line in package["lines"]:
            line["orderLineItemStatusName"] = status

    # ---- rendering ---------------------------------------------------------------------------

    def _render_package(self, package: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(package)
        lines = out["lines"]
        if self.field_names != "new":
            for new, old in PACKAGE_OLD_NAMES.items():
                out[old] = out[new]
            for line in lines:
                for new, old in LINE_OLD_NAMES.items():
                    line[old] = line[new]
        if self.field_names == "old":
            for new in (*PACKAGE_OLD_NAMES, *PACKAGE_NEW_ONLY):
                out.pop(new, None)
            for line in lines:
                for new in (*LINE_OLD_NAMES, *LINE_NEW_ONLY):
                    line.pop(new, None)
        return out

    # ---- API handlers (each gets seller, path params, query, JSON body) ----------------------

    def _package_sort_key(self, field_name: str):
        return lambda p: (p[field_name], p["shipmentPackageId"])

    def _list_packages(self, seller: Seller, params: dict, query: dict, body: Any) -> Any:
        page, size = int_param(query, "page", 0), int_param(query, "size", 50)
        if page < 0 or not 1 <= size <= MAX_PACKAGE_PAGE_SIZE:
            raise SandboxError(400, "BadRequestException", f"page must be >= 0 and size between 1 and {MAX_PACKAGE_PAGE_SIZE}.")
        if (page + 1) * size > PACKAGE_RECORD_WINDOW:
            raise SandboxError(400, "BadRequestException",
                               f"Only the first {PACKAGE_RECORD_WINDOW} records can be paged; narrow the dates.")
        order_by = (query.get("orderByField") or ["PackageLastModifiedDate"])[0]
        if order_by not in ("PackageLastModifiedDate", "CreatedDate"):
            raise SandboxError(400, "BadRequestException", "orderByField must be PackageLastModifiedDate or CreatedDate.")
        direction = (query.get("orderByDirection") or ["DESC"])[0].upper()
        if direction not in ("ASC", "DESC"):
            raise SandboxError(400, "BadRequestException", "orderByDirection must be ASC or DESC.")
        date_field = "lastModifiedDate" if order_by == "PackageLastModifiedDate" else "createdDate"
        now_ms = ms(self.now())
        start = max(int_param(query, "startDate", 0), now_ms - ms(PACKAGE_LOOKBACK_SECONDS))
        end = int_param(query, "endDate", now_ms)
        if end < start:
            raise SandboxError(400, "BadRequestException", "endDate must not be before startDate.")
        packages = [p for p in seller.packages.values() if start <= p[date_field] <= end]
        status = (query.get("status") or [None])[0]
        if status:
            if status not in PACKAGE_STATUSES:
                raise SandboxError(400, "BadRequestException", f"Unknown status {status}.")
            packages = [p for p in packages if p["status"] == status]
        order_number = (query.get("orderNumber") or [None])[0]
        if order_number:
            packages = [p for p in packages if p["orderNumber"] == order_number]
        ids = (query.get("shipmentPackageIds") or [None])[0]
        if ids:
            wanted = {int(i) for i in ids.split(",") if i.strip().isdigit()}
            packages = [p for p in packages if p["shipmentPackageId"] in wanted]
        packages.sort(key=self._package_sort_key(date_field), reverse=direction == "DESC")
        return page_of([self._render_package(p) for p in packages[page * size:(page + 1) * size]],
                     page, size, total=len(packages), sliced=True)

    def _stream_packages(self, seller: Seller, params: dict, query: dict, body: Any) -> Any:
        size = int_param(query, "size", 50)
        if not 1 <= size <= MAX_PACKAGE_PAGE_SIZE:
            raise SandboxError(400, "BadRequestException", f"size must be between 1 and {MAX_PACKAGE_PAGE_SIZE}.")
        if "lastModifiedStartDate" not in query or "lastModifiedEndDate" not in query:
            raise SandboxError(400, "BadRequestException", "lastModifiedStartDate and lastModifiedEndDate are required.")
        start, end = int_param(query, "lastModifiedStartDate", 0), int_param(query, "lastModifiedEndDate", 0)
        if end < start or end - start > ms(STREAM_MAX_WINDOW_SECONDS):
            raise SandboxError(400, "BadRequestException", "The last-modified window must be 0 to 14 days.")
        statuses = {s for s in ",".join(query.get("packageItemStatuses") or []).split(",") if s}
        after: tuple[int, int] = (start - 1, 0)
        cursor = (query.get("nextCursor") or query.get("cursor") or [None])[0]
        if cursor:
            try:
                modified, _, package_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
                after = (int(modified), int(package_id))
            except (ValueError, binascii.Error) as exc:
                raise SandboxError(400, "BadRequestException", "Invalid cursor.") from exc
        packages = sorted((p for p in seller.packages.values()
                           if start <= p["lastModifiedDate"] <= end and (not statuses or p["status"] in statuses)),
                          key=self._package_sort_key("lastModifiedDate"))
        packages = [p for p in packages if (p["lastModifiedDate"], p["shipmentPackageId"]) > after]
        chunk, more = packages[:size], len(packages) > size
        next_cursor = None
        if more:
            last = chunk[-1]
            next_cursor = base64.urlsafe_b64encode(
                f"{last['lastModifiedDate']}:{last['shipmentPackageId']}".encode()).decode()
        return {"content": [self._render_package(p) for p in chunk], "nextCursor": next_cursor, "hasMore": more}

    def _update_package(self, seller: Seller, params: dict, query: dict, body: Any) -> Any:
        package = seller.packages.get(int(params["packageId"]))
        if package is None:
            raise SandboxError(404, "NotFoundException", f"Shipment package {params['packageId']} was not found.")
        if not isinstance(body, dict):
            raise SandboxError(400, "BadRequestException", "The body must be a JSON object.")
        status = body.get("status")
        if status not in SELLER_TRANSITIONS:
            raise SandboxError(400, "BadRequestException",
                               f"A seller may set only Picking or Invoiced, not {status}.", "invalid.status")
        if package["status"] not in SELLER_TRANSITIONS[status]:
            raise SandboxError(400, "BadRequestException",
                               f"A {package['status']} package cannot become {status}.", "invalid.status.transition")
        lines = body.get("lines")
        expected = {line["lineId"]: line["quantity"] for line in package["lines"]}
        sent = {}
        if isinstance(lines, list):
            for line in lines:
                if isinstance(line, dict):
                    sent[line.get("lineId")] = line.get("quantity")
        if sent != expected or len(lines) != len(expected):
            raise SandboxError(400, "BadRequestException",
                               "lines must list every line of the package with its full quantity.", "invalid.lines")
        invoice_number = None
        if status == "Invoiced":
            invoice_number = (body.get("params") or {}).get("invoiceNumber")
            if not isinstance(invoice_number, str) or not invoice_number.strip():
                raise SandboxError(400, "BadRequestException", "params.invoiceNumber is required for Invoiced.",
                                   "invoice.number.required")
            package["invoiceNumber"] = invoice_number
        self._set_status(package, status)
        return None
