from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services
from accounts.management.commands.create_tenant import describe
from accounts.models import Tenant
from meschain.errors import DomainError


class Command(BaseCommand):
    help = "Create a storefront API key for a tenant and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="Tenant slug.")
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--scopes",
            required=True,
            help="Comma-separated: " + ", ".join(services.API_KEY_SCOPES),
        )
        parser.add_argument("--expires-days", type=int, default=None, help="Expire after N days.")

    def handle(self, *args: Any, **opts: Any) -> None:
        tenant = Tenant.objects.filter(slug=opts["tenant"]).first()
        if tenant is None:
            raise CommandError(_("No tenant with the slug %(slug)s.") % {"slug": opts["tenant"]})
        expires = opts["expires_days"]
        try:
            key, full_key = services.create_api_key(
                tenant=tenant,
                name=opts["name"],
                scopes=[s.strip() for s in opts["scopes"].split(",") if s.strip()],
                expires_at=timezone.now() + timedelta(days=expires) if expires else None,
            )
        except DomainError as exc:
            raise CommandError(describe(exc)) from exc
        self.stderr.write(
            _("API key %(name)s created. Store it now: it is not shown again.") % {"name": key.name}
        )
        self.stdout.write(full_key)
