"""manage.py import_commerceml --tenant SLUG FILE…: import CommerceML files (import.xml,
offers.xml, prices.xml, rests.xml, or a zip of them) as a 1C exchange would."""

import shutil
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from accounts.models import Tenant
from catalog.management.commands.import_products import Progress
from meschain.errors import DomainError
from onec import importer, parsing, services
from onec.models import OneCExchange


def account_for(tenant_slug: str, username: str | None) -> OneCExchange:
    tenant = Tenant.objects.filter(slug=tenant_slug).first()
    if tenant is None:
        raise CommandError(_("No tenant with the slug %(slug)s.") % {"slug": tenant_slug})
    accounts = OneCExchange.objects.filter(tenant=tenant).order_by("pk")
    account = accounts.filter(username=username).first() if username else accounts.first()
    if account is None and username:
        raise CommandError(_("The tenant has no 1C account %(name)s.") % {"name": username})
    if account is None:  # a login nobody can use: it only holds the id mapping of command imports
        account = services.create_account(tenant, username=f"import-{tenant.slug}"[:150], password="",
                                          is_active=False, actor="manage.py")  # fmt: skip
    return account


class Command(BaseCommand):
    help = _("Import CommerceML 2 files (catalogue, offers, prices, stock) into a tenant's catalogue.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help=_("import.xml, offers.xml … or a .zip of them, in order."))
        parser.add_argument("--tenant", required=True, help=_("Slug of the tenant."))
        parser.add_argument("--account", help=_("Username of the tenant's 1C account (default: its first)."))
        parser.add_argument("--no-progress", action="store_true", help=_("Print no progress on stderr."))

    def handle(self, *args: Any, **options: Any) -> None:
        account = account_for(options["tenant"], options.get("account"))
        session = services.open_command_session(account)
        folder = services.folder_of(session)
        names = []
        for raw in options["files"]:
            source = Path(raw)
            if not source.is_file():
                raise CommandError(_("No such file: %(name)s") % {"name": raw})
            shutil.copyfile(source, folder / source.name)
            session.files[source.name] = {"size": source.stat().st_size, "chunks": 1}
            names.append(source.name)
        session.save(update_fields=["files"])
        started = time.monotonic()
        try:
            services.unpack_archives(session)
            xml_files = [n for n in names if not n.lower().endswith(".zip")] or sorted(
                p.name for p in folder.glob("*.xml")
            )
            for name in xml_files:
                self.stderr.write(name)
                progress = Progress(self.stderr, 0, enabled=not options["no_progress"])

                def advance(done: int, total: int, progress: Progress = progress) -> None:
                    progress.total = total
                    progress.advance(done - progress.done)

                importer.run_step(session, folder / name, budget=float("inf"), on_batch=advance)
        except (services.ExchangeError, parsing.BadFile, DomainError) as exc:
            services.fail(session, str(exc))
            services.finish(session, "failed")
            raise CommandError(str(exc)) from exc
        services.finish(session)
        seconds = time.monotonic() - started
        self.stdout.write(_("Imported in %(seconds).1f s (session %(id)d):") % {"seconds": seconds, "id": session.pk})
        for key, value in sorted(session.counts.items()):
            self.stdout.write(f"  {key}: {value}")
        for warning in session.errors[:20]:
            self.stdout.write(f"  ! {warning}")
