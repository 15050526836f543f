"""manage.py report sales|performance|inventory --tenant SLUG [--from … --to …]
[--group-by day|week|month] [--channel …] [--format table|csv|xlsx] [--output FILE]."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from accounts.models import Tenant
from meschain.errors import DomainError
from reports.services.build import KINDS, build_report
from reports.services.tables import report_tables, to_csv, to_text, to_xlsx


class Command(BaseCommand):
    @property
    def help(self) -> str:  # a property: translated when asked, and argparse needs a plain str
        return _(
            "Print a report (sales, performance or inventory) of one tenant as a table, or write it as "
            "CSV or XLSX: the figures of GET /api/reports/<report>."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("report", choices=KINDS)
        parser.add_argument("--tenant", required=True, help=_("the tenant's slug"))
        parser.add_argument("--from", dest="start", help=_("first day, YYYY-MM-DD (default: 30 days ago)"))
        parser.add_argument("--to", dest="end", help=_("last day, included (default: today)"))
        parser.add_argument("--group-by", choices=["day", "week", "month"], default="day")
        parser.add_argument("--channel", default="", help=_("only this channel, e.g. trendyol:3"))
        parser.add_argument("--format", choices=["table", "csv", "xlsx"], default="table")
        parser.add_argument(
            "--output", help=_("write to this file (required for xlsx; default: standard output)")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(_("No tenant with the slug %(slug)s.") % {"slug": options["tenant"]})
        if options["format"] == "xlsx" and not options["output"]:
            raise CommandError(_("An XLSX report needs --output FILE."))
        try:
            report = build_report(options["report"], tenant.pk, start=options["start"], end=options["end"],
                                  group_by=options["group_by"], channel=options["channel"])  # fmt: skip
        except DomainError as exc:
            details = "; ".join(
                f"{name}: {' '.join(map(str, msgs))}" for name, msgs in (exc.details or {}).items()
            )
            raise CommandError(f"{exc.message} {details}".strip()) from exc
        tables = report_tables(options["report"], report)
        if options["format"] == "table":
            body: bytes = to_text(tables).encode()
        elif options["format"] == "csv":
            body = to_csv(tables)
        else:
            body = to_xlsx(tables)
        if options["output"]:
            Path(options["output"]).write_bytes(body)
            self.stderr.write(_("Wrote %(path)s.") % {"path": options["output"]})
        else:
            self.stdout.write(body.decode("utf-8-sig"), ending="")
