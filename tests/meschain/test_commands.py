"""seed_demo: the demo tenant, its users and a platform admin, idempotently."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import Role, Tenant, User
from meschain.models import AuditLog

pytestmark = pytest.mark.django_db


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _counts() -> tuple[int, int, int]:
    return Tenant.objects.count(), User.objects.count(), AuditLog.objects.count()


def test_seed_demo_creates_the_demo_and_prints_the_logins():
    output = _seed()

    assert output.splitlines() == [
        "Demo logins (admin at /admin/, API at /api/auth/login):",
        "  demo-owner      Bazaar-Lantern-2026        Owner of “Demo Store”",
        "  demo-operator   Cargo-Ready-4711           Operator of “Demo Store”",
        "  admin           Platform-Root-2026         platform superuser",
    ]
    tenant = Tenant.objects.get(slug="demo")
    assert {(u.username, u.role, u.tenant_id) for u in User.objects.filter(is_superuser=False)} == {
        ("demo-owner", Role.OWNER, tenant.pk),
        ("demo-operator", Role.OPERATOR, tenant.pk),
    }
    admin = User.objects.get(username="admin")
    assert (admin.is_superuser, admin.is_staff, admin.tenant_id) == (True, True, None)


def test_seed_demo_is_idempotent():
    first = _seed()
    counts = _counts()

    second = _seed()

    assert _counts() == counts == (1, 3, 3)
    assert second == first
    assert _seed("--quiet-if-present") == ""
    assert _counts() == counts


def test_printed_logins_work():
    _seed()
    client = APIClient()

    owner = client.post(
        "/api/auth/login", {"username": "demo-owner", "password": "Bazaar-Lantern-2026"}, format="json"
    )
    operator = client.post(
        "/api/auth/login", {"username": "demo-operator", "password": "Cargo-Ready-4711"}, format="json"
    )
    admin = client.post("/admin/login/", {"username": "admin", "password": "Platform-Root-2026"})

    assert owner.status_code == operator.status_code == 200
    assert owner.json()["data"]["user"]["tenant"]["slug"] == "demo"
    assert admin.status_code == 302


def test_seed_demo_refuses_in_production(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match=r"seed_demo does not run with DJANGO_ENV=production\."):
        _seed()

    assert _counts() == (0, 0, 0)
