"""manage.py cleanup_onec_exchanges [--days N] [--dry-run]: delete the files 1C sent in
exchanges older than the retention; the sessions and their file lists stay."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from onec import services


class Command(BaseCommand):
    help = _("Delete the received files of old 1C exchanges (the exchange records stay).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, help=_("Keep files this many days (default: ONEC_EXCHANGE_RETENTION_DAYS)."))
        parser.add_argument("--dry-run", action="store_true", help=_("Only report what would be deleted."))

    def handle(self, *args: Any, **options: Any) -> None:
        days = options.get("days")
        if days is not None and days < 1:
            raise CommandError(_("--days must be 1 or more."))
        days = services.retention_days() if days is None else days
        if days < 1:
            self.stdout.write(_("Retention is off (ONEC_EXCHANGE_RETENTION_DAYS is 0): nothing deleted."))
            return
        result = services.purge_old_exchanges(days=days, dry_run=options["dry_run"])
        template = (
            _("Would delete the files of %(sessions)d exchange(s) and %(orphans)d orphaned folder(s), %(mb).1f MB.")
            if options["dry_run"]
            else _("Deleted the files of %(sessions)d exchange(s) and %(orphans)d orphaned folder(s), %(mb).1f MB.")
        )
        self.stdout.write(template % {"sessions": result.sessions, "orphans": result.orphans,
                                      "mb": result.bytes_freed / 1e6})  # fmt: skip
