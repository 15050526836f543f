"""A tenant's owner requires two-factor authentication: the tenant's users without it
are sent to set it up after logging in and can open nothing else until they have."""

import pytest
from django.test import Client

from accounts.models import Role, Tenant
from meschain.models import AuditLog
from tests.accounts.two_factor_helpers import enrol, next_code, secret_code
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
SETUP = "/admin/account/two-factor/setup/"
REQUIREMENT = "/admin/account/two-factor/requirement/"


def _require(tenant: Tenant) -> None:
    Tenant.objects.filter(pk=tenant.pk).update(require_two_factor=True)


def _log_in(username: str) -> Client:
    client = Client()
    response = client.post(LOGIN, {"username": username, "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302
    return client


class TestOwnerSetsTheRequirement:
    def test_owner_with_two_factor_requires_it(self, admin_client_for, owner, tenant_a):
        enrol(owner)

        response = admin_client_for(owner).post(REQUIREMENT, {"require_two_factor": "on"}, follow=True)

        assert "Two-factor authentication is now required for everyone in Alpha Store." in (
            response.content.decode()
        )
        tenant_a.refresh_from_db()
        assert tenant_a.require_two_factor
        row = AuditLog.objects.get(action="tenant.two_factor_requirement_changed")
        assert (row.actor_id, row.tenant_id, row.after) == (owner.pk, tenant_a.pk, {"require_two_factor": True})

    def test_owner_turns_it_on_for_themselves_first(self, admin_client_for, owner, tenant_a):
        response = admin_client_for(owner).post(REQUIREMENT, {"require_two_factor": "on"}, follow=True)

        assert "Turn on two-factor authentication for yourself first." in response.content.decode()
        tenant_a.refresh_from_db()
        assert not tenant_a.require_two_factor

    def test_a_manager_cannot_set_it(self, admin_client_for, manager, tenant_a):
        enrol(manager)

        response = admin_client_for(manager).post(REQUIREMENT, {"require_two_factor": "on"}, follow=True)

        assert "Only an owner of this tenant may do this." in response.content.decode()
        tenant_a.refresh_from_db()
        assert not tenant_a.require_two_factor
        assert not AuditLog.objects.filter(action="tenant.two_factor_requirement_changed").exists()

    def test_the_switch_is_shown_to_owners_only(self, admin_client_for, owner, manager):
        assert 'id="requirement-form"' in admin_client_for(owner).get("/admin/account/two-factor/").content.decode()
        assert 'id="requirement-form"' not in (
            admin_client_for(manager).get("/admin/account/two-factor/").content.decode()
        )


class TestUsersOfARequiringTenant:
    def test_user_without_two_factor_is_sent_to_set_it_up(self, operator, tenant_a):
        _require(tenant_a)
        client = _log_in("alpha-operator")

        for page in ("/admin/", "/admin/catalog/product/", "/admin/account/sessions/", "/admin/password_change/"):
            response = client.get(page)
            assert response.status_code == 302, page
            assert response["Location"] == SETUP
        setup = client.get(SETUP)
        assert setup.status_code == 200
        assert "Your organisation requires two-factor authentication." in setup.content.decode()

    def test_the_api_refuses_the_session_until_set_up(self, operator, tenant_a):
        _require(tenant_a)
        client = _log_in("alpha-operator")

        response = client.get("/api/users/me")

        assert response.status_code == 401
        assert response.json()["error"]["code"] == "AUTHENTICATION_FAILED"

    def test_after_setting_it_up_everything_opens(self, operator, tenant_a):
        _require(tenant_a)
        client = _log_in("alpha-operator")
        secret = client.get(SETUP).context["secret"]

        done = client.post(SETUP, {"code": secret_code(secret)})

        assert len(done.context["codes"]) == 10
        assert client.get("/admin/").status_code == 200
        assert client.get("/api/users/me").status_code == 200

    def test_user_can_still_log_out(self, operator, tenant_a):
        _require(tenant_a)
        client = _log_in("alpha-operator")

        response = client.post("/admin/logout/")

        assert response.status_code == 200
        assert client.get("/admin/")["Location"].startswith("/admin/login/")

    def test_user_with_two_factor_logs_in_with_the_code(self, operator, tenant_a):
        enrol(operator)
        _require(tenant_a)
        client = Client()
        client.post(LOGIN, {"username": "alpha-operator", "password": PASSWORD, "next": "/admin/"})

        client.post("/admin/login/code/", {"code": next_code(operator)})

        assert client.get("/admin/").status_code == 200

    def test_two_factor_cannot_be_turned_off_while_required(self, admin_client_for, operator, tenant_a):
        enrol(operator)
        _require(tenant_a)

        response = admin_client_for(operator).post(
            "/admin/account/two-factor/off/", {"code": next_code(operator)}, follow=True
        )

        assert "Your organisation requires two-factor authentication." in response.content.decode()
        assert operator.totpdevice_set.filter(confirmed=True).exists()

    def test_other_tenants_are_not_affected(self, make_user, tenant_a, tenant_b):
        _require(tenant_a)
        make_user(tenant_b, Role.OPERATOR)
        client = _log_in("bravo-operator")

        assert client.get("/admin/").status_code == 200
