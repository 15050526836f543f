"""Orders in CSV: one row per order line, grouped into orders by external_id.

The admin's export writes the same columns the import reads, so an exported file can be
imported again (on another channel, say).
"""

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from meschain.errors import ValidationFailed

CSV_COLUMNS = [
    "external_id", "placed_at", "status", "currency", "customer_email", "customer_name", "shipping_total",
    "sku", "title", "quantity", "unit_price", "tax_rate",
]  # fmt: skip
REQUIRED = {"external_id", "sku", "quantity", "unit_price"}
#: text columns an export protects from spreadsheet formulas (with a leading ')
TEXT_COLUMNS = ("external_id", "customer_email", "customer_name", "sku", "title")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_BATCH = 500


def _unquote(value: Any) -> Any:
    """A cell without the quote an export puts before text that looks like a formula."""
    if isinstance(value, str) and value[:1] == "'" and value[1:2] and value[1:2] in _FORMULA_STARTS:
        return value[1:]
    return value


def orders_from_csv(content: bytes) -> list[dict[str, Any]]:
    return read_orders_csv(content)[0]


def read_orders_csv(content: bytes) -> tuple[list[dict[str, Any]], list[int]]:
    """The orders of a CSV file, and for each the line of the file its first row is on
    (the header is line 1)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(details={"file": [_("The file is not UTF-8 text.")]}) from exc
    reader = csv.DictReader(io.StringIO(text))
    try:
        fieldnames = reader.fieldnames
        records = list(enumerate(reader, start=2))
    except csv.Error as exc:
        raise ValidationFailed(
            details={"file": [_("This is not a readable CSV file: %(error)s") % {"error": exc}]}
        ) from exc
    missing = REQUIRED - set(fieldnames or [])
    if missing:
        raise ValidationFailed(
            details={"file": [_("Missing columns: %(columns)s") % {"columns": ", ".join(sorted(missing))}]}
        )
    orders: dict[str, dict[str, Any]] = {}
    first_lines: dict[str, int] = {}
    for number, raw_row in records:
        row = {key: _unquote(value) for key, value in raw_row.items() if key is not None}
        external_id = (row.get("external_id") or "").strip()
        order = orders.setdefault(
            external_id,
            {
                "external_id": external_id,
                "placed_at": row.get("placed_at") or None,
                "status": row.get("status") or None,
                "currency": row.get("currency") or "TRY",
                "shipping_total": row.get("shipping_total") or None,
                "customer": {"email": row["customer_email"], "name": row.get("customer_name") or ""}
                if row.get("customer_email")
                else None,
                "lines": [],
            },
        )
        first_lines.setdefault(external_id, number)
        quantity = (row.get("quantity") or "").strip()
        order["lines"].append(
            {
                "sku": row.get("sku", ""),
                "title": row.get("title", ""),
                "quantity": int(quantity) if quantity.isdigit() else quantity,
                "unit_price": row.get("unit_price"),
                "tax_rate": row.get("tax_rate") or None,
                "csv_row": number,
            }
        )
    for order in orders.values():
        for line in order["lines"]:
            line.pop("csv_row")
    return list(orders.values()), list(first_lines.values())


# --- Writing --------------------------------------------------------------------


def export_rows(orders: QuerySet) -> Iterator[dict[str, Any]]:
    """One row per line of `orders`, in the order of `orders`, in the columns of
    CSV_COLUMNS. An order without an external id is exported under its number. Streamed:
    one query for the orders, then one per 500 orders for their lines."""
    from orders.models import OrderLine

    order_ids = list(orders.values_list("pk", flat=True))
    position = {order_id: index for index, order_id in enumerate(order_ids)}
    for start in range(0, len(order_ids), _BATCH):
        chunk = order_ids[start : start + _BATCH]
        lines = sorted(
            OrderLine.objects.filter(order_id__in=chunk).select_related("order__customer"),
            key=lambda line: (position[line.order_id], line.pk),
        )
        for line in lines:
            order = line.order
            customer = order.customer
            yield {
                "external_id": order.external_id or order.number,
                "placed_at": order.placed_at.isoformat(),
                "status": order.status,
                "currency": order.currency,
                "customer_email": customer.email if customer else "",
                "customer_name": customer.name if customer else "",
                "shipping_total": order.shipping_total,
                "sku": line.sku,
                "title": line.title,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "tax_rate": line.tax_rate,
            }


def csv_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """The CSV file of `rows`, in pieces: UTF-8 with a byte-order mark (so spreadsheet
    programs read non-Latin text), text that looks like a formula behind a quote."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    first = True
    for count, row in enumerate(rows, start=1):
        cells = []
        for column in CSV_COLUMNS:
            value = row.get(column)
            text = "" if value is None else str(value)
            if column in TEXT_COLUMNS and text.startswith(_FORMULA_STARTS):
                text = "'" + text
            cells.append(text)
        writer.writerow(cells)
        if count % _BATCH == 0:
            yield out.getvalue().encode("utf-8-sig" if first else "utf-8")
            first = False
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8-sig" if first else "utf-8")
