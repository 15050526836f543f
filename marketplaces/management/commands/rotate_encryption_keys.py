"""manage.py rotate_encryption_keys: re-encrypt every stored secret under the newest key."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from marketplaces import services
from meschain import crypto


class Command(BaseCommand):
    help = _(
        "Re-encrypt every encrypted value (marketplace credentials, webhook secrets) under the first key "
        "of ENCRYPTION_KEYS. Keep the old keys listed after it until this has run. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=500, help=_("Rows read and updated per transaction.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError(_("--batch-size must be at least 1."))
        newest = crypto.keys()[0][0]
        self.stdout.write(_("Newest key: %(kid)s") % {"kid": newest})
        results = services.rotate_encryption_keys(batch_size=options["batch_size"])
        unreadable = 0
        for label, counts in results.items():
            unreadable += counts["unreadable"]
            self.stdout.write(
                _("%(field)s: %(scanned)d scanned, %(rotated)d re-encrypted, %(unreadable)d unreadable")
                % {"field": label, **counts}
            )
        if unreadable:
            raise CommandError(
                _(
                    "%(count)d values could not be decrypted with any configured key; they were left as they are."
                )
                % {"count": unreadable}
            )
        self.stdout.write(self.style.SUCCESS(_("Done.")))
