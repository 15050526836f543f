"""manage.py import_orders FILE --tenant SLUG: orders from a CSV or JSON file, with a
per-row report. Exit status: 0 every order imported, 1 some orders failed (the others
are in), 2 nothing was imported (unreadable file, unknown tenant, bad option)."""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from accounts.models import Tenant
from meschain.errors import DomainError
from orders import imports
from orders.files import read_orders_csv
from orders.models import StockPolicy
from orders.serializers import ImportQuerySerializer

FORMATS = ("csv", "json")
#: orders handed to the import service at a time (set-based: larger batches are cheaper)
BATCH = 500
ACTOR = "manage.py import_orders"
REPORT_COLUMNS = ("row", "external_id", "status", "number", "code", "messages")


def _messages(errors: Any, prefix: str = "") -> list[str]:
    """Error details as "field: message" lines (nested line errors as lines.0.sku)."""
    if isinstance(errors, dict) and errors and all(isinstance(v, (str, int)) for v in errors.values()):
        text = ", ".join(f"{key}={value}" for key, value in errors.items())  # e.g. a short stock line
        return [f"{prefix}: {text}" if prefix else text]
    if isinstance(errors, dict):
        found: list[str] = []
        for key, value in errors.items():
            found += _messages(value, f"{prefix}.{key}" if prefix else str(key))
        return found
    if isinstance(errors, list) and all(isinstance(item, (str, int)) for item in errors):
        text = "; ".join(str(item) for item in errors)
        return [f"{prefix}: {text}" if prefix else text]
    if isinstance(errors, list):
        found = []
        for index, value in enumerate(errors):
            found += _messages(value, f"{prefix}.{index}" if prefix else str(index))
        return found
    return [f"{prefix}: {errors}" if prefix else str(errors)]


def _cell(value: Any) -> str:
    return str(value).replace("\t", " ").replace("\n", " ")


class Command(BaseCommand):
    @property
    def help(self) -> str:  # a property: translated when asked, and argparse needs a plain str
        return _(
            "Import orders from a CSV file (one row per order line, the columns of the admin's export) "
            "or a JSON file (a list of orders as POST /api/orders/import takes them). Prints one line "
            "per order; exits with 1 when any order failed, 2 when nothing could be imported."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=_("The file to import; - reads standard input (give --format)."))
        parser.add_argument("--tenant", required=True, help=_("Tenant slug."))
        parser.add_argument(
            "--channel",
            default="import",
            help=_("Channel the orders belong to, e.g. import, manual, trendyol:3 (default import)."),
        )
        parser.add_argument(
            "--stock-policy",
            choices=StockPolicy.values,
            default=StockPolicy.RESERVE,
            help=_(
                "reserve: refuse an order whose stock is short; skip: leave stock alone; "
                "force: reserve what is there and flag the order (default reserve)."
            ),
        )
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default=None,
            help=_("csv or json (default: from the file name's extension)."),
        )

    def _fail(self, message: str) -> CommandError:
        return CommandError(message, returncode=2)

    def _read(self, name: str, fmt: str | None) -> tuple[list[Any], list[int]]:
        """The orders of the file and the row each is reported under: the CSV line of its
        first line (the header is line 1), or its position in the JSON list (from 1)."""
        if fmt is None:
            fmt = name.rsplit(".", 1)[-1].lower() if "." in Path(name).name else ""
            if fmt not in FORMATS:
                raise self._fail(_("Name the format with --format csv or --format json."))
        try:
            content = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            raise self._fail(
                _("Cannot read %(file)s: %(error)s") % {"file": name, "error": exc.strerror}
            ) from exc
        if fmt == "csv":
            try:
                return read_orders_csv(content)
            except DomainError as exc:
                raise self._fail("; ".join(_messages(exc.details) or [str(exc.message)])) from exc
        try:
            document = json.loads(content.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise self._fail(_("This is not a readable JSON file.")) from exc
        if isinstance(document, dict) and isinstance(document.get("orders"), list):
            document = document["orders"]
        if not isinstance(document, list):
            raise self._fail(
                _("The JSON file must hold a list of orders, or an object with an “orders” list.")
            )
        return document, list(range(1, len(document) + 1))

    def _progress(self, done: int, total: int, *, final: bool = False) -> None:
        text = _("%(done)d of %(total)d orders") % {"done": done, "total": total}
        if self.stderr.isatty():
            self.stderr.write(f"\r{text}", ending="\n" if final else "")
        else:
            self.stderr.write(text)
        self.stderr.flush()

    def handle(self, *args: Any, **opts: Any) -> None:
        tenant = Tenant.objects.filter(slug=opts["tenant"]).first()
        if tenant is None:
            raise self._fail(_("No tenant with the slug %(slug)s.") % {"slug": opts["tenant"]})
        options = ImportQuerySerializer(
            data={"channel": opts["channel"], "stock_policy": opts["stock_policy"]}
        )
        if not options.is_valid():
            raise self._fail("; ".join(_messages(options.errors)))
        orders, rows = self._read(opts["file"], opts["format"])
        if not orders:
            raise self._fail(_("The file holds no orders."))

        total = len(orders)
        show_progress = total > BATCH
        self.stdout.write("\t".join(REPORT_COLUMNS))
        counts = dict.fromkeys(("created", "updated", "unchanged", "error"), 0)
        for start in range(0, total, BATCH):
            results = imports.import_orders(
                tenant.pk,
                orders[start : start + BATCH],
                channel=opts["channel"],
                stock_policy=opts["stock_policy"],
                actor=ACTOR,
            )
            for result in results:
                counts[result.status] += 1
                cells = (rows[start + result.row], result.external_id, result.status, result.number,
                         result.code, " | ".join(_messages(result.errors)))  # fmt: skip
                self.stdout.write("\t".join(_cell(cell) for cell in cells))
            if show_progress:
                self._progress(min(start + BATCH, total), total, final=start + BATCH >= total)

        summary = (
            _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(error)d with errors.")
            % counts
        )
        if counts["error"]:
            raise CommandError(summary, returncode=1)
        self.stderr.write(self.style.SUCCESS(summary))
