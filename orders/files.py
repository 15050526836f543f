"""Orders from CSV: one row per order line, grouped into orders by external_id."""

import csv
import io
from typing import Any

from django.utils.translation import gettext as _

from meschain.errors import ValidationFailed

CSV_COLUMNS = [
    "external_id", "placed_at", "status", "currency", "customer_email", "customer_name", "shipping_total",
    "sku", "title", "quantity", "unit_price", "tax_rate",
]  # fmt: skip
REQUIRED = {"external_id", "sku", "quantity", "unit_price"}


def orders_from_csv(content: bytes) -> list[dict[str, Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(details={"file": [_("The file is not UTF-8 text.")]}) from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = REQUIRED - set(reader.fieldnames or [])
    if missing:
        raise ValidationFailed(
            details={"file": [_("Missing columns: %(columns)s") % {"columns": ", ".join(sorted(missing))}]}
        )
    orders: dict[str, dict[str, Any]] = {}
    for number, row in enumerate(reader, start=2):
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
    return list(orders.values())
