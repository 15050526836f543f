from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from meschain.tasks import dispatch_events
from webhooks.tasks import deliver_due_webhooks


class Command(BaseCommand):
    help = (
        "Dispatch pending outbox events and retry due webhook deliveries. Celery beat does "
        "this every OUTBOX_SWEEP_SECONDS; run it by hand (or from cron) without a broker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--max-batches", type=int, default=50)

    def handle(self, *args: Any, **opts: Any) -> None:
        events = dispatch_events(max_batches=opts["max_batches"])
        deliveries = deliver_due_webhooks()
        self.stdout.write(
            _("%(events)d events dispatched, %(deliveries)d due deliveries attempted.")
            % {"events": events, "deliveries": deliveries}
        )
