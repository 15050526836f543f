"""A report as tables, and the tables as CSV, XLSX or a terminal table: the downloads
and the `report` command carry exactly the figures of the API answer."""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

FORMATS = ("json", "csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: a spreadsheet must not run text as a formula: such text is written behind a quote
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]]

    @property
    def labels(self) -> list[str]:
        """The columns as a person reads them (files keep the stable names)."""
        return [str(LABELS.get(column, column.replace("_", " "))) for column in self.columns]


LABELS = {
    "period": gettext_lazy("period"),
    "orders": gettext_lazy("orders"),
    "units": gettext_lazy("units"),
    "gross": gettext_lazy("gross revenue"),
    "discounts": gettext_lazy("discounts"),
    "refunds": gettext_lazy("refunds"),
    "net": gettext_lazy("net revenue"),
    "average_order_value": gettext_lazy("average order value"),
    "channel": gettext_lazy("channel"),
    "sku": gettext_lazy("SKU"),
    "title": gettext_lazy("product"),
    "revenue": gettext_lazy("revenue"),
    "account_id": gettext_lazy("account id"),
    "marketplace": gettext_lazy("marketplace"),
    "name": gettext_lazy("name"),
    "sync_jobs": gettext_lazy("syncs"),
    "sync_succeeded": gettext_lazy("succeeded"),
    "sync_failed": gettext_lazy("failed"),
    "sync_success_rate": gettext_lazy("success rate (%)"),
    "average_sync_seconds": gettext_lazy("average duration (s)"),
    "last_success_at": gettext_lazy("last success"),
    "listings": gettext_lazy("listings"),
    "listings_in_error": gettext_lazy("listings in error"),
    "orders_imported": gettext_lazy("orders imported"),
    "net_revenue": gettext_lazy("net revenue"),
    "deliveries": gettext_lazy("deliveries"),
    "succeeded": gettext_lazy("succeeded"),
    "failed": gettext_lazy("failed"),
    "success_rate": gettext_lazy("success rate (%)"),
    "variants": gettext_lazy("variants"),
    "on_hand": gettext_lazy("on hand"),
    "reserved": gettext_lazy("reserved"),
    "available": gettext_lazy("available"),
    "value_at_cost": gettext_lazy("value at cost"),
    "value_at_price": gettext_lazy("value at price"),
    "low_stock": gettext_lazy("low stock"),
    "out_of_stock": gettext_lazy("out of stock"),
    "sold_last_30_days": gettext_lazy("sold, last 30 days"),
    "days_of_cover": gettext_lazy("days of cover"),
    "threshold": gettext_lazy("threshold"),
    "code": gettext_lazy("code"),
}


def _table(title: str, items: list[dict[str, Any]], columns: list[str]) -> Table:
    return Table(title, columns, [[item.get(column) for column in columns] for item in items])


FIGURES = ["orders", "units", "gross", "discounts", "refunds", "net", "average_order_value"]


def report_tables(kind: str, report: dict[str, Any]) -> list[Table]:
    if kind == "sales":
        return [
            _table(
                _("Sales by %(period)s") % {"period": report["group_by"]},
                report["series"],
                ["period", *FIGURES],
            ),
            _table(_("Totals"), [report["totals"]], FIGURES),
            _table(_("Channels"), report["channels"], ["channel", *FIGURES]),
            _table(_("Top products"), report["top_products"], ["sku", "title", "units", "revenue"]),
        ]
    if kind == "performance":
        return [
            _table(
                _("Marketplace accounts"),
                report["accounts"],
                [
                    "account_id",
                    "marketplace",
                    "name",
                    "channel",
                    "sync_jobs",
                    "sync_succeeded",
                    "sync_failed",
                    "sync_success_rate",
                    "average_sync_seconds",
                    "last_success_at",
                    "listings",
                    "listings_in_error",
                    "orders_imported",
                    "net_revenue",
                ],
            ),
            _table(
                _("Webhook deliveries"),
                [report["webhooks"]],
                ["deliveries", "succeeded", "failed", "success_rate"],
            ),
        ]
    stock = [
        "sku",
        "title",
        "name",
        "on_hand",
        "reserved",
        "available",
        "threshold",
        "sold_last_30_days",
        "days_of_cover",
    ]
    return [
        _table(
            _("Totals"),
            [report["totals"]],
            [
                "variants",
                "on_hand",
                "reserved",
                "available",
                "value_at_cost",
                "value_at_price",
                "low_stock",
                "out_of_stock",
                "sold_last_30_days",
                "days_of_cover",
            ],
        ),
        _table(
            _("Warehouses"),
            report["warehouses"],
            ["code", "name", "on_hand", "reserved", "value_at_cost", "value_at_price"],
        ),
        _table(_("Low stock"), report["low_stock"], stock),
        _table(_("Out of stock"), report["out_of_stock"], stock),
    ]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_csv(tables: list[Table]) -> bytes:
    """Each table under its title, a blank line between them; UTF-8 with a BOM."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.columns)
        for row in table.rows:
            cells = []
            for value in row:
                text = _text(value)
                if isinstance(value, str) and text.startswith(_FORMULA_STARTS):
                    text = "'" + text
                cells.append(text)
            writer.writerow(cells)
    return out.getvalue().encode("utf-8-sig")


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value  # Excel has no time zones: UTC
    if isinstance(value, (bool, int, float, Decimal, date)) or value is None:
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def to_xlsx(tables: list[Table]) -> bytes:
    """One worksheet per table, numbers as numbers."""
    book = Workbook(write_only=True)
    for table in tables:
        sheet = book.create_sheet(title=table.title[:31].replace("/", "-"))
        sheet.append(table.columns)
        for row in table.rows:
            sheet.append([_cell(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_text(tables: list[Table]) -> str:
    """Aligned plain-text tables for a terminal."""
    blocks = []
    for table in tables:
        cells = [table.columns, *[[_text(v) for v in row] for row in table.rows]]
        widths = [max(len(str(row[i])) for row in cells) for i in range(len(table.columns))]
        lines = [table.title]
        for number, row in enumerate(cells):
            lines.append("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
            if number == 0:
                lines.append("  ".join("-" * w for w in widths))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
