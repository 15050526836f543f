"""create_tenant and create_api_key: staff commands over the same services as the API."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey, Role, Tenant, User
from meschain.models import AuditLog

pytestmark = pytest.mark.django_db

OWNER_OPTIONS = {
    "name": "Acme Store",
    "owner_username": "acme-boss",
    "owner_email": "boss@acme.example.com",
    "owner_password": "Sturdy-Anvil-Rocket-77",
}


def _run(command: str, *args: str, **options: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(command, *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


class TestCreateTenant:
    def test_creates_tenant_with_owner(self):
        out, _err = _run("create_tenant", "acme", **OWNER_OPTIONS)

        assert out == "Created tenant acme with owner acme-boss.\n"
        tenant = Tenant.objects.get(slug="acme")
        owner = User.objects.get(username="acme-boss")
        assert (tenant.name, tenant.is_active) == ("Acme Store", True)
        assert (owner.tenant_id, owner.role, owner.email, owner.is_staff) == (
            tenant.pk,
            Role.OWNER,
            "boss@acme.example.com",
            True,
        )
        assert owner.check_password("Sturdy-Anvil-Rocket-77")
        assert list(owner.groups.values_list("name", flat=True)) == [Role.OWNER]
        assert list(AuditLog.objects.order_by("id").values_list("action", flat=True)) == [
            "tenant.created",
            "user.created",
        ]

    def test_duplicate_slug_is_refused_and_changes_nothing(self):
        _run("create_tenant", "acme", **OWNER_OPTIONS)
        counts = (Tenant.objects.count(), User.objects.count(), AuditLog.objects.count())

        with pytest.raises(CommandError) as excinfo:
            _run(
                "create_tenant",
                "acme",
                name="Other",
                owner_username="other-boss",
                owner_email="boss@other.example.com",
                owner_password="Sturdy-Anvil-Rocket-77",
            )

        assert str(excinfo.value) == "A tenant with the slug “acme” already exists."
        assert (Tenant.objects.count(), User.objects.count(), AuditLog.objects.count()) == counts
        assert Tenant.objects.get(slug="acme").name == "Acme Store"

    def test_bad_slug_is_refused(self):
        with pytest.raises(CommandError) as excinfo:
            _run("create_tenant", "Not A Slug", **OWNER_OPTIONS)

        assert (
            str(excinfo.value)
            == "Some fields are not valid.\n  slug: Use lowercase letters, digits and hyphens."
        )
        assert not Tenant.objects.exists()

    def test_weak_owner_password_rolls_the_tenant_back(self):
        with pytest.raises(CommandError) as excinfo:
            _run("create_tenant", "acme", **{**OWNER_OPTIONS, "owner_password": "123"})

        assert "  password: This password is too short. It must contain at least 8 characters." in str(
            excinfo.value
        )
        assert not Tenant.objects.exists()
        assert not User.objects.exists()
        assert not AuditLog.objects.exists()


class TestCreateApiKey:
    def test_prints_a_working_key_once(self, tenant_a):
        out, err = _run(
            "create_api_key", tenant="alpha", name="Storefront", scopes="catalog:read, orders:write"
        )

        full_key = out.strip()
        assert out == full_key + "\n"  # only the key on stdout, so scripts can capture it
        assert err == "API key Storefront created. Store it now: it is not shown again.\n"
        key = ApiKey.objects.get()
        assert full_key.startswith(f"mck_{key.prefix}_")
        assert (key.tenant_id, key.name, key.scopes, key.expires_at) == (
            tenant_a.pk,
            "Storefront",
            ["catalog:read", "orders:write"],
            None,
        )
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=full_key)
        response = client.get("/api/users/me")
        assert response.status_code == 403  # authenticated as a key; keys cannot use user endpoints
        assert response.json()["error"]["code"] == "PERMISSION_DENIED"
        client.credentials(HTTP_X_API_KEY=full_key + "x")
        assert client.get("/api/users/me").status_code == 401

    def test_expiry_in_days(self, tenant_a):
        _run("create_api_key", "--tenant=alpha", "--name=Short", "--scopes=catalog:read", "--expires-days=7")

        expires = ApiKey.objects.get().expires_at
        assert abs(expires - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)

    def test_bad_scope_is_refused(self, tenant_a):
        with pytest.raises(CommandError) as excinfo:
            _run("create_api_key", tenant="alpha", name="Storefront", scopes="catalog:read,admin:all")

        assert str(excinfo.value) == (
            "Some fields are not valid.\n  scopes: Choose one or more of: catalog:read, catalog:write, "
            "inventory:read, inventory:write, orders:read, orders:write"
        )
        assert not ApiKey.objects.exists()
        assert not AuditLog.objects.filter(action="api_key.created").exists()

    def test_unknown_tenant_is_refused(self, db):
        with pytest.raises(CommandError, match=r"No tenant with the slug nowhere\."):
            _run("create_api_key", tenant="nowhere", name="Storefront", scopes="catalog:read")

        assert not ApiKey.objects.exists()
