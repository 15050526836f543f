from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import services
from accounts.models import Role, Tenant, User
from marketplaces import demo as marketplace_demo

DEMO_TENANT = "demo"
DEMO_USERS = [
    # username, email, password, role
    ("demo-owner", "owner@demo.meschain.local", "Bazaar-Lantern-2026", Role.OWNER),
    ("demo-operator", "operator@demo.meschain.local", "Cargo-Ready-4711", Role.OPERATOR),
]
DEMO_ADMIN = ("admin", "admin@meschain.local", "Platform-Root-2026")


class Command(BaseCommand):
    help = _(
        "Create the demo tenant, its owner and operator, a platform admin, a small catalogue and an account "
        "on the local Trendyol sandbox (idempotent)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--quiet-if-present", action="store_true", help="Print nothing when the demo exists."
        )

    @transaction.atomic
    def handle(self, *args: Any, **opts: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(_("seed_demo does not run with DJANGO_ENV=production."))
        created = False
        tenant = Tenant.objects.filter(slug=DEMO_TENANT).first()
        if tenant is None:
            username, email, password, _role = DEMO_USERS[0]
            tenant, _owner = services.create_tenant(
                slug=DEMO_TENANT,
                name="Demo Store",
                owner_username=username,
                owner_email=email,
                owner_password=password,
            )
            created = True
        for username, email, password, role in DEMO_USERS[1:]:
            if not User.objects.filter(username=username).exists():
                services.create_user(
                    tenant=tenant, username=username, email=email, password=password, role=role
                )
                created = True
        admin_name, admin_email, admin_password = DEMO_ADMIN
        if not User.objects.filter(username=admin_name).exists():
            User.objects.create_superuser(admin_name, admin_email, admin_password)
            created = True
        created |= marketplace_demo.seed_catalogue(tenant)
        seeded = marketplace_demo.seed_sandbox_accounts(tenant)
        created |= any(account_created for _account, account_created in seeded)
        (account, _created), others = seeded[0], seeded[1:]  # Trendyol first
        if opts["quiet_if_present"] and not created:
            return
        self.stdout.write(_("Demo logins (admin at /admin/, API at /api/auth/login):"))
        for username, _email, password, role in DEMO_USERS:
            who = _("%(role)s of “%(tenant)s”") % {"role": role.label, "tenant": tenant.name}
            self.stdout.write(f"  {username:<15} {password:<26} {who}")
        self.stdout.write(f"  {admin_name:<15} {admin_password:<26} " + _("platform superuser"))
        self.stdout.write(
            _("Marketplace account “%(name)s” talks to %(url)s: run `manage.py marketplace_sandbox trendyol`, "
              "then “Sync now” on the account in the admin.") % {"name": account.name, "url": account.base_url}
        )  # fmt: skip
        for other, _created in others:
            self.stdout.write(
                _("Marketplace account “%(name)s” talks to %(url)s: run `manage.py marketplace_sandbox %(code)s`.")
                % {"name": other.name, "url": other.base_url, "code": other.marketplace}
            )
