"""Repeated failed logins at /admin/login/ lock that username + IP out, with audit rows."""

import pytest
from django.test import Client

from meschain.models import AuditLog
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
LOCK_MESSAGE = "Too many failed login attempts. This account is locked for 30 minutes."


def _fail(client: Client, username: str = "alpha-owner"):
    return client.post(LOGIN, {"username": username, "password": "wrong-password"})


def test_failed_admin_login_shows_form_error_and_is_audited(owner, tenant_a):
    response = _fail(Client())

    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.content.decode()
    row = AuditLog.objects.get(action="auth.login_failed")
    assert (row.actor_label, row.object_id, row.tenant_id) == ("alpha-owner", str(owner.pk), tenant_a.pk)
    assert row.actor_id is None
    assert row.ip_address == "127.0.0.1"
    assert row.request_id.startswith("req_")


def test_failed_login_for_unknown_user_is_audited_without_tenant(db):
    _fail(Client(), username="nobody")

    row = AuditLog.objects.get(action="auth.login_failed")
    assert (row.actor_label, row.object_id, row.tenant_id) == ("nobody", "", None)


def test_five_failures_lock_the_admin_login(owner):
    client = Client()
    for _attempt in range(4):
        assert _fail(client).status_code == 200

    fifth = _fail(client)  # the fifth failure reaches the limit: locked from here on
    assert fifth.status_code == 429

    response = client.post(LOGIN, {"username": "alpha-owner", "password": PASSWORD})

    assert response.status_code == 429
    assert "admin/locked_out.html" in [t.name for t in response.templates]
    assert LOCK_MESSAGE in response.content.decode()
    assert response["Retry-After"] == "1800"
    assert "_auth_user_id" not in client.session  # the right password does not get in
    assert AuditLog.objects.filter(action="auth.login_failed").count() == 4
    locked = AuditLog.objects.filter(action="auth.locked_out")
    assert locked.count() == 1  # one row per lockout, not one per attempt
    assert {(row.actor_label, row.object_id) for row in locked} == {("alpha-owner", str(owner.pk))}
    assert not AuditLog.objects.filter(action="auth.login").exists()


def test_lockout_is_per_username(owner, manager):
    client = Client()
    for _attempt in range(5):
        _fail(client)

    response = client.post(LOGIN, {"username": "alpha-manager", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert AuditLog.objects.filter(action="auth.login", actor=manager).count() == 1


def test_success_before_the_limit_resets_the_count(owner):
    client = Client()
    for _attempt in range(4):
        _fail(client)
    assert client.post(LOGIN, {"username": "alpha-owner", "password": PASSWORD}).status_code == 302
    client.logout()

    for _attempt in range(4):
        assert _fail(client).status_code == 200


def test_locked_out_page_has_the_admin_branding_and_no_inline_script(owner):
    client = Client()
    for _attempt in range(5):
        _fail(client)

    response = _fail(client)
    html = response.content.decode()

    assert response.status_code == 429
    assert "MesChain Back Office" in html
    assert "<script>" not in html
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
