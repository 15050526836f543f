"""manage.py rebuild_rollups [--tenant SLUG] [--from …] [--to …]: recompute the daily
sales roll-ups from the orders (after a restore, a data fix, or to check them), a month
per transaction, printing each month as it is done."""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from accounts.models import Tenant
from meschain.errors import DomainError
from reports.services.periods import parse_day
from reports.services.rebuild import rebuild_rollups


class Command(BaseCommand):
    @property
    def help(self) -> str:  # a property: translated when asked, and argparse needs a plain str
        return _(
            "Recompute the daily sales roll-ups from the orders, of one tenant or all, of all days or a range."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help=_("the tenant's slug (default: every tenant)"))
        parser.add_argument("--from", dest="start", help=_("first day, YYYY-MM-DD"))
        parser.add_argument("--to", dest="end", help=_("last day, included"))

    def handle(self, *args: Any, **options: Any) -> None:
        tenant_id = None
        if options["tenant"]:
            tenant = Tenant.objects.filter(slug=options["tenant"]).first()
            if tenant is None:
                raise CommandError(_("No tenant with the slug %(slug)s.") % {"slug": options["tenant"]})
            tenant_id = tenant.pk
        errors: dict = {}
        start, end = parse_day(options["start"], "from", errors), parse_day(options["end"], "to", errors)
        if errors:
            raise CommandError(_("Enter dates as YYYY-MM-DD."))
        try:
            counts = rebuild_rollups(tenant_id, since=start, until=end, progress=self._progress)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            _("%(sales)d daily sales rows and %(products)d product sales rows written.")
            % {"sales": counts["daily_sales"], "products": counts["product_sales"]}
        )

    def _progress(self, month: date, done: int, total: int, counts: dict[str, int]) -> None:
        self.stdout.write(
            _("%(month)s done (%(done)d of %(total)d months): %(sales)d daily sales rows and "
              "%(products)d product sales rows so far.")
            % {"month": month.strftime("%Y-%m"), "done": done, "total": total,
               "sales": counts["daily_sales"], "products": counts["product_sales"]}
        )  # fmt: skip
        self.stdout.flush()
