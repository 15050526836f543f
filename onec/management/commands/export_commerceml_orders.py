"""manage.py export_commerceml_orders --tenant SLUG [--since …] [--out FILE]: the orders
1C would get from type=sale&mode=query, as a CommerceML 2 file (the watermark of the
exchange does not move)."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from catalog.management.commands.import_products import Progress
from onec import exporter
from onec.management.commands.import_commerceml import account_for


class Command(BaseCommand):
    help = _("Export a tenant's orders as CommerceML 2 documents for 1C:Enterprise.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help=_("Slug of the tenant."))
        parser.add_argument("--account", help=_("Username of the tenant's 1C account (default: its first)."))
        parser.add_argument("--since", help=_("Orders changed after this date or time (default: not yet confirmed by 1C)."))
        parser.add_argument("--out", help=_("Write to this file (default: standard output)."))
        parser.add_argument("--no-progress", action="store_true", help=_("Print no progress on stderr."))

    def handle(self, *args: Any, **options: Any) -> None:
        account = account_for(options["tenant"], options.get("account"))
        since = None
        if options.get("since"):
            since = parse_datetime(options["since"])
            if since is None and (day := parse_date(options["since"])) is not None:
                since = parse_datetime(f"{day.isoformat()}T00:00:00+00:00")
            if since is None:
                raise CommandError(_("--since takes a date or a date and time (ISO 8601)."))
            if timezone.is_naive(since):
                since = timezone.make_aware(since)
        orders = exporter.changed_orders(account, since=since)
        progress = Progress(self.stderr, len(orders), enabled=not options["no_progress"])
        body = exporter.render(account, orders, encoding="utf-8", on_progress=progress.advance)
        if options.get("out"):
            with open(options["out"], "wb") as handle:
                handle.write(body)
        else:
            sys.stdout.buffer.write(body)
        self.stderr.write(_("%(count)d orders exported.") % {"count": len(orders)})
