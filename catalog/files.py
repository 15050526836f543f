"""Product files: reading and writing the CSV, XLSX and JSON files that the admin's
import/export and the `import_products` / `export_products` commands exchange.

One row per variant, with the columns of `COLUMNS` (the rows `bulk.bulk_upsert` takes).
An export is a file the import reads back unchanged. This module only turns bytes into
rows and rows into bytes (and reads the rows to export); every rule about what a row may
contain is in catalog.services.bulk.
"""

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import StockLevel, Variant
from meschain.errors import ValidationFailed

#: the columns of a product file, in the order they are written
COLUMNS = [
    "sku", "product_key", "title", "description", "brand", "category", "barcode", "name", "price",
    "compare_at_price", "cost", "vat_rate", "weight_grams", "attributes", "stock", "low_stock_threshold",
]  # fmt: skip
COLUMN_HELP = {
    "sku": gettext_lazy("the variant's SKU: rows are matched by it (required)"),
    "product_key": gettext_lazy("rows with the same key are variants of one product (default: the SKU)"),
    "title": gettext_lazy("product title (required for a new product)"),
    "description": gettext_lazy("product description"),
    "brand": gettext_lazy("brand name, created when missing"),
    "category": gettext_lazy("category name, created when missing"),
    "barcode": gettext_lazy("GTIN-8/12/13/14 with a correct check digit"),
    "name": gettext_lazy("variant name, e.g. “Red / XL”"),
    "price": gettext_lazy("price (required)"),
    "compare_at_price": gettext_lazy("compare-at price"),
    "cost": gettext_lazy("cost"),
    "vat_rate": gettext_lazy("VAT rate in percent (default 20)"),
    "weight_grams": gettext_lazy("weight in grams"),
    "attributes": gettext_lazy('variant attributes as a JSON object, e.g. {"size": "M"}'),
    "stock": gettext_lazy("on-hand units in the default warehouse (empty: unchanged)"),
    "low_stock_threshold": gettext_lazy(
        "available units at or below which the variant is low on stock (empty: the store's default)"
    ),
}
FORMATS = ("csv", "xlsx", "json")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
_INTEGER_COLUMNS = ("weight_grams", "stock", "low_stock_threshold")
#: a spreadsheet must not run text as a formula: such text is written behind a quote
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: an XLSX is a zip: refuse one that would expand beyond this
MAX_XLSX_EXPANDED_BYTES = 200 * 1024 * 1024


@dataclass
class ParsedFile:
    """Rows as dicts, each with the line of the file it came from (the header is line 1)."""

    rows: list[dict[str, Any]]
    lines: list[int]
    ignored_columns: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)


def _fail(message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"file": [message]})


def detect_format(filename: str, explicit: str | None = None) -> str:
    """csv, xlsx or json, from `explicit` or the file name's extension."""
    if explicit:
        if explicit not in FORMATS:
            raise _fail(_("Unknown format %(format)s: use csv, xlsx or json.") % {"format": explicit})
        return explicit
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in FORMATS:
        raise _fail(_("Upload a .csv, .xlsx or .json file."))
    return extension


# --- Reading --------------------------------------------------------------------


def _column_name(value: Any) -> str:
    return str(value if value is not None else "").strip().lower().replace(" ", "_").replace("-", "_")


def _cell(column: str, value: Any) -> Any:
    """A cell as bulk_upsert expects it: text, whole numbers where it wants them, and
    attributes decoded from JSON. An empty cell is "" (it clears an optional value)."""
    if value is None:
        value = ""
    if isinstance(value, bool):
        value = "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and column in (*_INTEGER_COLUMNS, "sku", "barcode"):
        value = int(value)
    if isinstance(value, int) and column in _INTEGER_COLUMNS:
        return value
    text = value if isinstance(value, str) else str(value)
    text = text.strip()
    if text[:1] == "'" and text[1:2] and text[1:2] in _FORMULA_STARTS:
        text = text[1:]  # the quote write_csv puts before text that looks like a formula
    if column in _INTEGER_COLUMNS:
        digits = text[:-2] if text.endswith(".0") else text
        return int(digits) if digits.isdigit() else text
    if column == "attributes" and text:
        try:
            return json.loads(text)
        except ValueError:
            return text  # the service answers "Enter an object of name: value pairs."
    return text


def _table_rows(
    header: list[Any], records: Iterable[tuple[int, list[Any]]], max_rows: int | None
) -> ParsedFile:
    names = [_column_name(name) for name in header]
    if "sku" not in names:
        raise _fail(_("The first row must name the columns, and one of them must be “sku”."))
    known = [(index, name) for index, name in enumerate(names) if name in COLUMNS]
    ignored = [name for name in names if name and name not in COLUMNS]
    parsed = ParsedFile(rows=[], lines=[], ignored_columns=ignored)
    for line, values in records:
        if all(value is None or str(value).strip() == "" for value in values):
            continue  # blank lines in a spreadsheet are no rows
        if max_rows is not None and len(parsed.rows) >= max_rows:
            raise _fail(_("The file has more than %(max)s rows.") % {"max": f"{max_rows:,}"})
        row = {}
        for index, name in known:
            row[name] = _cell(name, values[index] if index < len(values) else None)
        if row.get("attributes") == "":
            del row["attributes"]  # an empty cell leaves a variant's attributes alone
        parsed.rows.append(row)
        parsed.lines.append(line)
    return parsed


def read_csv(data: bytes, *, max_rows: int | None = None) -> ParsedFile:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _fail(_("The CSV file must be UTF-8 text.")) from None
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise _fail(_("The file is empty."))
        return _table_rows(header, enumerate(reader, start=2), max_rows)
    except csv.Error as exc:
        raise _fail(_("This is not a readable CSV file: %(error)s") % {"error": exc}) from None


def read_xlsx(data: bytes, *, max_rows: int | None = None) -> ParsedFile:
    """The first worksheet; its first row names the columns."""
    from openpyxl import load_workbook

    not_xlsx = _("This is not a readable XLSX workbook.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_EXPANDED_BYTES:
                raise _fail(_("The workbook expands to too much data."))
    except zipfile.BadZipFile:
        raise _fail(not_xlsx) from None
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise _fail(not_xlsx) from exc
    try:
        if not workbook.worksheets:
            raise _fail(_("The workbook has no worksheet."))
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        try:
            header = next(rows, None)
            if header is None:
                raise _fail(_("The file is empty."))
            return _table_rows(
                list(header), ((line, list(values)) for line, values in enumerate(rows, start=2)), max_rows
            )
        except ValidationFailed:
            raise
        except Exception as exc:
            raise _fail(not_xlsx) from exc
    finally:
        workbook.close()


def read_json(data: bytes, *, max_rows: int | None = None) -> ParsedFile:
    """A list of row objects, or {"rows": [...]}; row n is the n-th object (from 1)."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _fail(_("This is not a readable JSON file.")) from None
    if isinstance(document, dict) and isinstance(document.get("rows"), list):
        document = document["rows"]
    if not isinstance(document, list):
        raise _fail(_("The JSON file must hold a list of rows, or an object with a “rows” list."))
    if max_rows is not None and len(document) > max_rows:
        raise _fail(_("The file has more than %(max)s rows.") % {"max": f"{max_rows:,}"})
    return ParsedFile(rows=document, lines=list(range(1, len(document) + 1)))


def read_rows(data: bytes, fmt: str, *, max_rows: int | None = None) -> ParsedFile:
    """Parse a product file; raises ValidationFailed (details under "file") when it cannot."""
    readers = {"csv": read_csv, "xlsx": read_xlsx, "json": read_json}
    if fmt not in readers:
        raise _fail(_("Upload a .csv, .xlsx or .json file."))
    if not data:
        raise _fail(_("The file is empty."))
    return readers[fmt](data, max_rows=max_rows)


def batches(parsed: ParsedFile, size: int) -> Iterator[list[int]]:
    """Row indexes in batches of about `size`, keeping together the rows that must meet
    in one bulk_upsert call: the variants of one product (same product_key) and every
    row naming the same SKU. Rows keep their file order inside a batch."""
    parent: dict[int, int] = {}

    def find(index: int) -> int:
        while parent.setdefault(index, index) != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    first_of: dict[tuple[str, str], int] = {}
    for index, row in enumerate(parsed.rows):
        parent.setdefault(index, index)
        if not isinstance(row, dict):
            continue
        sku = str(row.get("sku") or "").strip()
        key = str(row.get("product_key") or "").strip() or sku
        for mark in (("sku", sku), ("key", key)):
            if mark[1]:
                other = first_of.setdefault(mark, index)
                parent[find(index)] = find(other)
    groups: dict[int, list[int]] = {}
    for index in range(len(parsed.rows)):
        groups.setdefault(find(index), []).append(index)
    batch: list[int] = []
    for members in groups.values():
        if batch and len(batch) + len(members) > size:
            yield sorted(batch)
            batch = []
        batch.extend(members)
    if batch:
        yield sorted(batch)


# --- Writing --------------------------------------------------------------------


def export_rows(products: QuerySet) -> Iterator[dict[str, Any]]:
    """One row per variant of `products`, in the columns of COLUMNS; `stock` is the on-hand
    figure in the tenant's default warehouse. One query, streamed."""
    default_stock = StockLevel.objects.filter(variant=OuterRef("pk"), warehouse__is_default=True).values(
        "on_hand"
    )[:1]
    variants = (
        Variant.objects.filter(product__in=products.order_by().values("pk"))
        .select_related("product__brand", "product__category")
        .annotate(default_on_hand=Subquery(default_stock))
        .order_by("product_id", "position", "id")
    )
    keys: dict[int, str] = {}
    for variant in variants.iterator(chunk_size=2000):
        product = variant.product
        keys.setdefault(product.pk, variant.sku)
        yield {
            "sku": variant.sku,
            "product_key": keys[product.pk],
            "title": product.title,
            "description": product.description,
            "brand": product.brand.name if product.brand else "",
            "category": product.category.name if product.category else "",
            "barcode": variant.barcode or "",
            "name": variant.name,
            "price": variant.price,
            "compare_at_price": variant.compare_at_price,
            "cost": variant.cost,
            "vat_rate": variant.vat_rate,
            "weight_grams": variant.weight_grams,
            "attributes": variant.attributes or {},
            "stock": variant.default_on_hand or 0,
            "low_stock_threshold": variant.low_stock_threshold,
        }


def _text(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column == "attributes":
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    return str(value)


def write_csv(rows: Iterable[dict[str, Any]]) -> bytes:
    """UTF-8 with a byte-order mark (so spreadsheet programs read non-Latin text)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        cells = []
        for column in COLUMNS:
            text = _text(column, row.get(column))
            if isinstance(row.get(column), str) and text.startswith(_FORMULA_STARTS):
                text = "'" + text
            cells.append(text)
        writer.writerow(cells)
    return out.getvalue().encode("utf-8-sig")


def write_xlsx(rows: Iterable[dict[str, Any]]) -> bytes:
    """One worksheet "products": text cells stay text (never formulas), prices and
    quantities are numbers."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("products")
    sheet.append(COLUMNS)
    for row in rows:
        cells = []
        for column in COLUMNS:
            value = row.get(column)
            if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
                cell = WriteOnlyCell(sheet, value=value)
            else:
                cell = WriteOnlyCell(sheet, value=_text(column, value))
                cell.data_type = "s"  # "=…" stays text
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def write_json(rows: Iterable[dict[str, Any]]) -> bytes:
    def plain(value: Any) -> Any:
        return str(value) if isinstance(value, Decimal) else value

    document = [{column: plain(row.get(column)) for column in COLUMNS} for row in rows]
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def write_rows(rows: Iterable[dict[str, Any]], fmt: str) -> bytes:
    writers = {"csv": write_csv, "xlsx": write_xlsx, "json": write_json}
    if fmt not in writers:
        raise _fail(_("Unknown format %(format)s: use csv, xlsx or json.") % {"format": fmt})
    return writers[fmt](rows)
