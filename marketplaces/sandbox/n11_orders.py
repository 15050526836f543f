"""Shipment packages of the N11 sandbox (mixed into :class:`~marketplaces.sandbox.n11.N11Sandbox`):
the list endpoint with its rules (one status per call, page from 0, size ≤ 100, windows of
at most 31 days, nothing before November 2024, sorted by last update), the seller's line
update to Picking, and the marketplace-side transitions tests drive."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from typing import Any

from marketplaces.sandbox.base import SandboxError

PACKAGE_STATUSES = ("Created", "Picking", "Shipped", "Delivered", "Cancelled", "UnDelivered", "Returned",
                    "UnPacked", "UnSupplied")  # fmt: skip
MAX_PAGE_SIZE = 100
MAX_WINDOW_MS = 31 * 24 * 3600 * 1000
AVAILABLE_SINCE_MS = 1_730_419_200_000  # 2024-11-01T00:00:00Z
DEMO_STOCK_CODES = ("DEMO-TEE-M", "DEMO-SHIRT-L", "DEMO-CASE-15", "DEMO-MUG-BLK")
CUSTOMERS = (("Ayşe Yılmaz", "İstanbul", "Kadıköy"), ("Mehmet Demir", "Ankara", "Çankaya"),
             ("Zeynep Kaya", "İzmir", "Karşıyaka"), ("Ali Çelik", "Bursa", "Nilüfer"))  # fmt: skip


def _query_value(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _int(query: dict[str, list[str]], name: str, default: int | None) -> int | None:
    value = _query_value(query, name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise SandboxError(400, {"status": 400, "error": "Bad Request",
                                 "message": f"{name} must be a whole number."}) from exc


class PackagesMixin:
    """Needs ``_lock``, ``now()``, ``seed``, ``_products``, ``_packages``, ``_next_package``,
    ``_next_line`` and ``error`` from the sandbox."""

    # ---- test helpers ------------------------------------------------------------------------

    def add_packages(self, count: int, stock_codes: list[str] | tuple[str, ...] | None = None, *,
                     status: str = "Created", created_at: float | None = None, interval: float = 0.0,
                     max_quantity: int = 3, lines_per_package: int = 1) -> list[int]:  # fmt: skip
        """Create `count` packages (``lines_per_package`` lines each, stock codes cycling through
        `stock_codes`); returns their ids. ``created_at`` (seconds) and ``interval`` spread
        their creation and last-modified dates."""
        if status not in PACKAGE_STATUSES:
            raise ValueError(f"unknown status {status}")
        with self._lock:
            codes = list(stock_codes or self._products or DEMO_STOCK_CODES)
            rng = random.Random(f"n11-packages-{self.seed}-{self._next_package}")  # noqa: S311 - repeatable
            start = self.now() if created_at is None else created_at
            ids = []
            for number in range(count):
                moment = int((start + number * interval) * 1000)
                package_id = self._next_package
                self._next_package += 1
                name, city, district = CUSTOMERS[package_id % len(CUSTOMERS)]
                address = {"fullName": name, "address": f"{district} Mah. No:{package_id % 90 + 1}", "city": city,
                           "district": district, "neighborhood": district, "gsm": "05550000000", "postalCode": "34000"}
                lines = []
                for index in range(lines_per_package):
                    code = codes[(number * lines_per_package + index) % len(codes)]
                    product = self._products.get(code) or {}
                    price = Decimal(str(product.get("salePrice") or "100.00"))
                    quantity = rng.randint(1, max(1, max_quantity))
                    self._next_line += 1
                    lines.append({
                        "orderLineId": self._next_line, "productId": product.get("n11ProductId", 0),
                        "productName": product.get("title") or code, "stockCode": code,
                        "barcode": product.get("barcode"), "quantity": quantity, "price": price,
                        "dueAmount": price * quantity, "sellerInvoiceAmount": price * quantity,
                        "sellerDiscount": Decimal("0.00"), "mallDiscount": Decimal("0.00"),
                        "sellerCouponDiscount": Decimal("0.00"), "orderItemLineItemStatusName": status,
                        "variantAttributes": [],
                    })  # fmt: skip
                self._packages[package_id] = {
                    "id": package_id, "orderNumber": f"2{package_id:011d}", "status": status,
                    "createdDate": moment, "orderDate": moment, "lastModifiedDate": moment,
                    "customerId": 50000 + package_id, "customerfullName": name,
                    "customerEmail": f"customer{package_id}@example.com", "cargoProviderName": "Yurtiçi Kargo",
                    "cargoTrackingNumber": f"N11{package_id:09d}", "shippingAddress": address,
                    "billingAddress": dict(address), "lines": lines,
                    "packageHistories": [{"createdDate": moment, "status": status}],
                }  # fmt: skip
                ids.append(package_id)
            return ids

    def packages(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self._render_package(p) for p in self._packages.values()]

    def package(self, package_id: int | str) -> dict[str, Any]:
        with self._lock:
            return self._render_package(self._packages[int(package_id)])

    def set_package_status(self, package_id: int | str, status: str) -> None:
        """An N11-side transition (Shipped, Delivered, Cancelled…): every line follows."""
        if status not in PACKAGE_STATUSES:
            raise ValueError(f"unknown status {status}")
        with self._lock:
            package = self._packages[int(package_id)]
            for line in package["lines"]:
                line["orderItemLineItemStatusName"] = status
            self._move(package, status)

    def _move(self, package: dict[str, Any], status: str) -> None:
        now = int(self.now() * 1000)
        package["lastModifiedDate"] = max(now, package["lastModifiedDate"] + 1)
        package["status"] = status
        package["packageHistories"].append({"createdDate": now, "status": status})

    @staticmethod
    def _render_package(package: dict[str, Any]) -> dict[str, Any]:
        lines = [{k: float(v) if isinstance(v, Decimal) else v for k, v in line.items()} for line in package["lines"]]
        total = sum((line["sellerInvoiceAmount"] for line in package["lines"]), Decimal("0"))
        rendered = {k: v for k, v in package.items() if k not in ("lines", "status")}
        rendered.update(shipmentPackageStatus=package["status"], lines=lines, totalAmount=float(total),
                        totalDiscountAmount=0.0, packageHistories=list(package["packageHistories"]))
        return rendered

    # ---- the API -----------------------------------------------------------------------------

    def _list_packages(self, query: dict[str, list[str]]) -> dict[str, Any]:
        page, size = _int(query, "page", 0), _int(query, "size", MAX_PAGE_SIZE)
        if page < 0 or not 1 <= size <= MAX_PAGE_SIZE:
            raise self.error(400, f"page must be 0 or more and size between 1 and {MAX_PAGE_SIZE}.")
        statuses = [s for value in query.get("status", []) for s in value.split(",") if s.strip()]
        if len(statuses) > 1:
            raise self.error(400, "Only one status can be queried per call.")
        status = statuses[0].strip() if statuses else None
        if status is not None and status not in PACKAGE_STATUSES:
            raise self.error(400, f"Unknown status {status}.")
        ids = {int(i) for value in query.get("packageIds", []) for i in value.split(",") if i.strip().isdigit()}
        order_number = _query_value(query, "orderNumber")
        start, end = _int(query, "startDate", None), _int(query, "endDate", None)
        if not ids and not order_number:
            if status is None:
                raise self.error(400, "status is required.")
            if start is None or end is None:
                raise self.error(400, "startDate and endDate are required.")
        if start is not None and end is not None:
            if end < start:
                raise self.error(400, "endDate must not be before startDate.")
            if end - start > MAX_WINDOW_MS:
                raise self.error(400, "The date range may be at most one month.")
        if start is not None and start < AVAILABLE_SINCE_MS:
            raise self.error(400, "Order data is available from 01-11-2024 on.")
        direction = (_query_value(query, "orderByDirection") or "DESC").upper()
        if direction not in ("ASC", "DESC"):
            raise self.error(400, "orderByDirection must be ASC or DESC.")
        with self._lock:
            rows = [p for p in self._packages.values()
                    if (status is None or p["status"] == status) and (not ids or p["id"] in ids)
                    and (not order_number or p["orderNumber"] == order_number)
                    and (start is None or p["lastModifiedDate"] >= start)
                    and (end is None or p["lastModifiedDate"] <= end)]  # fmt: skip
            rows.sort(key=lambda p: (p["lastModifiedDate"], p["id"]), reverse=direction == "DESC")
            content = [self._render_package(p) for p in rows[page * size:(page + 1) * size]]
        total = len(rows)
        pages = math.ceil(total / size)
        return {"content": content, "pageable": {"pageNumber": page, "pageSize": size}, "totalElements": total,
                "totalPages": pages, "number": page, "page": page, "size": size, "numberOfElements": len(content),
                "first": page == 0, "last": page + 1 >= pages}  # fmt: skip

    def _update_order(self, body: Any) -> dict[str, Any]:
        """PUT /rest/order/v1/update: the seller moves Created lines to Picking."""
        if not isinstance(body, dict) or not isinstance(body.get("lines"), list) or not body["lines"]:
            raise self.error(400, "Send {\"lines\": [{\"lineId\": …}], \"status\": \"Picking\"}.")
        if body.get("status") != "Picking":
            raise self.error(400, "The seller can only set the status Picking.")
        results = []
        with self._lock:
            lines = {line["orderLineId"]: (package, line) for package in self._packages.values()
                     for line in package["lines"]}  # fmt: skip
            touched = {}
            for entry in body["lines"]:
                line_id = entry.get("lineId") if isinstance(entry, dict) else None
                found = lines.get(line_id) if isinstance(line_id, int) else None
                if found is None:
                    results.append({"lineId": line_id, "status": "FAIL", "reasons": [f"Order line {line_id} not found."]})
                    continue
                package, line = found
                current = line["orderItemLineItemStatusName"]
                if current != "Created":
                    results.append({"lineId": line_id, "status": "FAIL", "reasons": [
                        f"Order line {line_id} is {current}; only Created lines can move to Picking."]})
                    continue
                line["orderItemLineItemStatusName"] = "Picking"
                touched[package["id"]] = package
                results.append({"lineId": line_id, "status": "SUCCESS", "reasons": []})
            for package in touched.values():
                open_lines = [ln for ln in package["lines"] if ln["orderItemLineItemStatusName"] != "Cancelled"]
                if all(ln["orderItemLineItemStatusName"] == "Picking" for ln in open_lines):
                    self._move(package, "Picking")
                else:
                    package["lastModifiedDate"] = max(int(self.now() * 1000), package["lastModifiedDate"] + 1)
        return {"content": results}
