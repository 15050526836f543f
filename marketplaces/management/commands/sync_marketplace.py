"""manage.py sync_marketplace ACCOUNT --kind …: run a sync job here, with a progress bar, or
(--async) queue it for a worker."""

import os
import socket
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from marketplaces import services
from marketplaces.models import MarketplaceAccount, SyncJob, SyncKind, SyncState
from meschain.errors import Conflict, DomainError

ACTOR = "manage.py sync_marketplace"
BAR_WIDTH = 30
ERRORS_SHOWN = 5


def find_account(reference: str) -> MarketplaceAccount:
    """An account by id, or by "tenant-slug:account name"."""
    accounts = MarketplaceAccount.objects.select_related("tenant")
    if reference.isdigit():
        account = accounts.filter(pk=int(reference)).first()
    elif ":" in reference:
        slug, name = reference.split(":", 1)
        account = accounts.filter(tenant__slug=slug.strip(), name=name.strip()).first()
    else:
        account = None
    if account is None:
        raise CommandError(
            _('No marketplace account "%(ref)s". Give its id or "tenant-slug:account name".')
            % {"ref": reference}
        )
    return account


def progress_line(job: SyncJob) -> str:
    filled = BAR_WIDTH * job.percent // 100
    bar = "#" * filled + "-" * (BAR_WIDTH - filled)
    stage = dict(SyncKind.choices).get(job.stage, job.stage) or "…"
    return _("[%(bar)s] %(percent)3d%%  %(stage)s  %(done)d/%(total)d done, %(failed)d failed") % {
        "bar": bar, "percent": job.percent, "stage": stage, "done": job.done, "total": job.total,
        "failed": job.failed,
    }  # fmt: skip


class Command(BaseCommand):
    help = _("Sync a marketplace account: run the job here with a progress bar, or queue it with --async.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("account", help=_('The account\'s id, or "tenant-slug:account name".'))
        parser.add_argument("--kind", choices=SyncKind.values, default=SyncKind.FULL, help=_("What to sync."))
        parser.add_argument(
            "--async", dest="run_async", action="store_true", help=_("Only queue the job for a worker.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        account = find_account(options["account"])
        kind = options["kind"]
        try:
            job = services.request_sync(account, kind, actor=ACTOR, enqueue=options["run_async"])
        except Conflict as exc:
            running = (exc.details or {}).get("job") or []
            raise CommandError(
                _("%(message)s Running job: %(job)s.")
                % {"message": exc.message, "job": ", ".join(running) or "?"}
            ) from exc
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        if options["run_async"]:
            self.stdout.write(_("Queued sync job %(id)d (%(kind)s) of %(account)s.")
                              % {"id": job.pk, "kind": job.get_kind_display(), "account": account})  # fmt: skip
            return
        self.stdout.write(_("Sync job %(id)d (%(kind)s) of %(account)s:")
                          % {"id": job.pk, "kind": job.get_kind_display(), "account": account})  # fmt: skip
        started = time.monotonic()
        interactive = self.stdout.isatty()
        last_line = ""

        def on_progress(current: SyncJob) -> None:
            nonlocal last_line
            line = progress_line(current)
            if line == last_line:
                return
            last_line = line
            if interactive:
                self.stdout.write("\r" + line, ending="")
                self.stdout.flush()
            else:
                self.stdout.write(line)

        worker = f"{socket.gethostname()}:{os.getpid()}:command"
        outcome = services.run_job(job.pk, worker=worker, on_progress=on_progress)
        if interactive and last_line:
            self.stdout.write("")
        job.refresh_from_db()
        self.summary(job, outcome, time.monotonic() - started)
        if job.state == SyncState.FAILED or outcome not in SyncState.values:
            raise CommandError(_("The sync did not succeed (%(outcome)s).") % {"outcome": outcome})

    def summary(self, job: SyncJob, outcome: str, seconds: float) -> None:
        out = self.stdout
        out.write(progress_line(job))
        out.write(_("State:    %(state)s") % {"state": job.get_state_display()})
        out.write(_("Done:     %(done)d of %(total)d") % {"done": job.done, "total": job.total})
        out.write(_("Failed:   %(failed)d") % {"failed": job.failed})
        out.write(_("Requests: %(requests)d") % {"requests": job.requests})
        out.write(_("Duration: %(seconds).1f s") % {"seconds": seconds})
        if job.message:
            out.write(_("Message:  %(message)s") % {"message": job.message})
        if outcome not in SyncState.values:
            out.write(_("Not run: %(outcome)s") % {"outcome": outcome})
        if job.errors:
            out.write(_("First errors:"))
            for error in job.errors[:ERRORS_SHOWN]:
                label = error.get("sku") or error.get("barcode") or error.get("item") or "?"
                text = error.get("errors") or error.get("error") or error.get("message") or error
                if isinstance(text, list):
                    text = "; ".join(map(str, text))
                out.write(f"  {label}: {text}")
            if job.failed > ERRORS_SHOWN:
                out.write(_("  … %(count)d more") % {"count": job.failed - ERRORS_SHOWN})
