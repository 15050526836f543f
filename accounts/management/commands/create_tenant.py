from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from accounts import services
from meschain.errors import DomainError


class Command(BaseCommand):
    help = "Create a tenant (seller organisation) with its first owner."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="Short unique id, e.g. acme-store.")
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner-username", required=True)
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-password", required=True)

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            tenant, owner = services.create_tenant(
                slug=opts["slug"],
                name=opts["name"],
                owner_username=opts["owner_username"],
                owner_email=opts["owner_email"],
                owner_password=opts["owner_password"],
            )
        except DomainError as exc:
            raise CommandError(describe(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _("Created tenant %(slug)s with owner %(owner)s.")
                % {"slug": tenant.slug, "owner": owner.username}
            )
        )


def describe(exc: DomainError) -> str:
    lines = [str(exc.message)]
    for field, errors in exc.details.items():
        lines.extend(f"  {field}: {error}" for error in errors)
    return "\n".join(lines)
