"""Login, refresh, logout through the real HTTP API, and what they leave in the audit log."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import User, UserStatus
from meschain.models import AuditLog
from tests.conftest import PASSWORD
from tests.meschain.envelope_asserts import assert_error, assert_ok

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login"
REFRESH = "/api/auth/refresh"
LOGOUT = "/api/auth/logout"
ME = "/api/users/me"
BAD_CREDENTIALS = "Unable to log in with the provided credentials."
BAD_REFRESH = "Refresh token is invalid, expired or revoked."


def login(client: APIClient, **payload: str):
    return client.post(LOGIN, payload, format="json")


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


# --- logging in ---------------------------------------------------------------


def test_login_by_username_returns_a_working_token_pair(anon_client, owner):
    body = assert_ok(login(anon_client, username="alpha-owner", password=PASSWORD), message="Logged in.")

    assert set(body["data"]) == {"access", "refresh", "user"}
    assert body["data"]["user"]["id"] == owner.pk
    assert body["data"]["user"]["role"] == "owner"
    me = assert_ok(bearer(body["data"]["access"]).get(ME))
    assert me["data"]["username"] == "alpha-owner"
    assert OutstandingToken.objects.filter(user=owner).count() == 1


@pytest.mark.parametrize(
    "payload",
    [
        {"email": "OWNER@Alpha.Example.COM"},
        {"email": "owner@alpha.example.com"},
        {"username": "Owner@ALPHA.example.com"},
    ],
    ids=["email-upper", "email-exact", "email-in-username-field"],
)
def test_login_by_email_ignores_case(anon_client, owner, payload):
    body = assert_ok(login(anon_client, password=PASSWORD, **payload))

    assert body["data"]["user"]["username"] == "alpha-owner"


def test_wrong_password_is_401_and_gives_no_token(anon_client, owner):
    response = login(anon_client, username="alpha-owner", password="wrong-password")

    assert_error(response, 401, "AUTHENTICATION_FAILED", message=BAD_CREDENTIALS)
    assert OutstandingToken.objects.filter(user=owner).count() == 0
    owner.refresh_from_db()
    assert owner.last_login is None


def test_unknown_user_answers_like_a_wrong_password(anon_client, owner):
    response = login(anon_client, username="nobody-here", password=PASSWORD)

    assert_error(response, 401, "AUTHENTICATION_FAILED", message=BAD_CREDENTIALS)


def test_username_is_case_sensitive(anon_client, owner):
    assert_error(login(anon_client, username="ALPHA-OWNER", password=PASSWORD), 401, "AUTHENTICATION_FAILED")


def test_login_without_identifier_is_a_validation_error(anon_client, owner):
    response = login(anon_client, password=PASSWORD)

    assert_error(
        response, 400, "VALIDATION_ERROR", details={"username": ["Give a username or an email."]}
    )


def test_login_updates_last_login(anon_client, owner):
    assert owner.last_login is None
    before = timezone.now()

    assert_ok(login(anon_client, username="alpha-owner", password=PASSWORD))

    owner.refresh_from_db()
    assert owner.last_login is not None
    assert before <= owner.last_login <= timezone.now()


@pytest.mark.parametrize("status", [UserStatus.SUSPENDED, UserStatus.DELETED])
def test_suspended_or_deleted_user_cannot_log_in_and_loses_access(anon_client, client_for, owner, viewer, status):
    logged_in = assert_ok(login(anon_client, username="alpha-viewer", password=PASSWORD))["data"]
    viewer_client = bearer(logged_in["access"])
    assert_ok(viewer_client.get(ME))

    changed = client_for(owner).patch(f"/api/users/{viewer.pk}", {"status": status}, format="json")
    assert_ok(changed, message="User updated.")
    viewer.refresh_from_db()
    assert viewer.status == status
    assert viewer.is_active is False

    assert_error(login(anon_client, username="alpha-viewer", password=PASSWORD), 401, "AUTHENTICATION_FAILED")
    assert_error(viewer_client.get(ME), 401, "AUTHENTICATION_FAILED")
    refreshed = anon_client.post(REFRESH, {"refresh": logged_in["refresh"]}, format="json")
    assert_error(refreshed, 401, "AUTHENTICATION_FAILED", message=BAD_REFRESH)
    assert BlacklistedToken.objects.filter(token__user=viewer).count() == 1


def test_user_of_a_deactivated_tenant_cannot_log_in(anon_client, owner, tenant_a):
    access = assert_ok(login(anon_client, username="alpha-owner", password=PASSWORD))["data"]["access"]
    tenant_a.is_active = False
    tenant_a.save()

    assert_error(login(anon_client, username="alpha-owner", password=PASSWORD), 401, "AUTHENTICATION_FAILED")
    assert_error(bearer(access).get(ME), 401, "AUTHENTICATION_FAILED")


def test_garbage_and_missing_bearer_tokens_are_401(anon_client, owner):
    assert_error(bearer("not-a-jwt").get(ME), 401, "AUTHENTICATION_FAILED")
    response = anon_client.get(ME)
    assert_error(response, 401, "AUTHENTICATION_FAILED")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


# --- refresh ------------------------------------------------------------------


def test_refresh_gives_a_new_pair_and_the_old_refresh_token_stops_working(anon_client, owner):
    first = assert_ok(login(anon_client, username="alpha-owner", password=PASSWORD))["data"]

    second = assert_ok(anon_client.post(REFRESH, {"refresh": first["refresh"]}, format="json"))["data"]

    assert set(second) == {"access", "refresh"}
    assert second["refresh"] != first["refresh"]
    assert second["access"] != first["access"]
    assert assert_ok(bearer(second["access"]).get(ME))["data"]["id"] == owner.pk
    replay = anon_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert_error(replay, 401, "AUTHENTICATION_FAILED", message=BAD_REFRESH)
    # the rotated token still works once
    assert_ok(anon_client.post(REFRESH, {"refresh": second["refresh"]}, format="json"))


def test_refresh_rejects_an_access_token_and_garbage(anon_client, owner):
    pair = assert_ok(login(anon_client, username="alpha-owner", password=PASSWORD))["data"]

    for token in (pair["access"], "garbage"):
        response = anon_client.post(REFRESH, {"refresh": token}, format="json")
        assert_error(response, 401, "AUTHENTICATION_FAILED", message=BAD_REFRESH)


def test_refresh_requires_the_refresh_field(anon_client):
    response = anon_client.post(REFRESH, {}, format="json")

    assert_error(response, 400, "VALIDATION_ERROR", details={"refresh": ["This field is required."]})


# --- logout -------------------------------------------------------------------


def test_logout_revokes_the_refresh_token(anon_client, owner):
    pair = assert_ok(login(anon_client, username="alpha-owner", password=PASSWORD))["data"]

    response = bearer(pair["access"]).post(LOGOUT, {"refresh": pair["refresh"]}, format="json")

    assert assert_ok(response, message="Logged out.")["data"] == {}
    assert BlacklistedToken.objects.filter(token__user=owner).count() == 1
    refreshed = anon_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert_error(refreshed, 401, "AUTHENTICATION_FAILED", message=BAD_REFRESH)


def test_logout_needs_an_authenticated_user(anon_client, owner):
    pair = assert_ok(login(anon_client, username="alpha-owner", password=PASSWORD))["data"]

    assert_error(anon_client.post(LOGOUT, {"refresh": pair["refresh"]}, format="json"), 401, "AUTHENTICATION_FAILED")
    assert BlacklistedToken.objects.count() == 0


def test_logout_with_another_users_refresh_token_is_400_and_revokes_nothing(anon_client, owner, viewer):
    mine = assert_ok(login(anon_client, username="alpha-owner", password=PASSWORD))["data"]
    theirs = assert_ok(login(anon_client, username="alpha-viewer", password=PASSWORD))["data"]

    response = bearer(mine["access"]).post(LOGOUT, {"refresh": theirs["refresh"]}, format="json")

    assert_error(response, 400, "VALIDATION_ERROR", details={"refresh": ["Token is invalid or expired."]})
    assert BlacklistedToken.objects.count() == 0
    assert not AuditLog.objects.filter(action="auth.logout").exists()
    assert_ok(anon_client.post(REFRESH, {"refresh": theirs["refresh"]}, format="json"))


def test_logout_with_a_garbage_token_is_400(anon_client, client_for, owner):
    response = client_for(owner).post(LOGOUT, {"refresh": "garbage"}, format="json")

    assert_error(response, 400, "VALIDATION_ERROR", details={"refresh": ["Token is invalid or expired."]})


# --- audit --------------------------------------------------------------------


def test_login_failure_and_logout_are_audited_with_request_id_and_ip(anon_client, owner):
    failed = login(anon_client, username="alpha-owner", password="wrong-password")
    ok = login(anon_client, username="alpha-owner", password=PASSWORD)
    pair = ok.json()["data"]
    out = bearer(pair["access"]).post(LOGOUT, {"refresh": pair["refresh"]}, format="json")

    rows = {row.action: row for row in AuditLog.objects.filter(action__startswith="auth.")}
    assert set(rows) == {"auth.login", "auth.login_failed", "auth.logout"}
    for action, response in (("auth.login_failed", failed), ("auth.login", ok), ("auth.logout", out)):
        row = rows[action]
        assert row.tenant_id == owner.tenant_id
        assert row.object_type == "accounts.user"
        assert row.object_id == str(owner.pk)
        assert row.ip_address == "127.0.0.1"
        assert row.request_id == response["X-Request-ID"]
    assert rows["auth.login_failed"].actor is None
    assert rows["auth.login_failed"].actor_label == "alpha-owner"
    assert rows["auth.login"].actor == owner
    assert rows["auth.logout"].actor == owner


def test_failed_login_of_unknown_username_is_audited_without_tenant(anon_client):
    login(anon_client, username="ghost", password="whatever-it-is")

    row = AuditLog.objects.get(action="auth.login_failed")
    assert row.tenant_id is None
    assert row.object_id == ""
    assert row.actor_label == "ghost"


# --- lockout ------------------------------------------------------------------


def test_five_failures_lock_the_username_and_ip_even_for_the_right_password(anon_client, owner):
    for _attempt in range(4):
        assert_error(login(anon_client, username="alpha-owner", password="wrong-password"), 401, "AUTHENTICATION_FAILED")
    fifth = login(anon_client, username="alpha-owner", password="wrong-password")
    assert_error(fifth, 429, "ACCOUNT_LOCKED")
    assert fifth["Retry-After"] == str(30 * 60)

    locked = login(anon_client, username="alpha-owner", password=PASSWORD)

    body = assert_error(locked, 429, "ACCOUNT_LOCKED")
    assert body["error"]["message"] == (
        "Too many failed login attempts. This account is locked for 30 minutes."
    )
    assert locked["Retry-After"] == str(30 * 60)
    assert OutstandingToken.objects.filter(user=owner).count() == 0
    owner.refresh_from_db()
    assert owner.last_login is None
    lock_rows = AuditLog.objects.filter(action="auth.locked_out")
    assert lock_rows.count() == 1  # one row per lockout; refused attempts add none
    assert AuditLog.objects.filter(action="auth.login_failed").count() == 4
    assert {row.actor_label for row in lock_rows} == {"alpha-owner"}
    assert {row.object_id for row in lock_rows} == {str(owner.pk)}
    assert lock_rows.first().ip_address == "127.0.0.1"
    assert not AuditLog.objects.filter(action="auth.login").exists()


def test_lockout_is_per_ip_and_per_username(anon_client, owner, viewer):
    for _attempt in range(5):
        login(anon_client, username="alpha-owner", password="wrong-password")
    assert_error(login(anon_client, username="alpha-owner", password=PASSWORD), 429, "ACCOUNT_LOCKED")

    elsewhere = APIClient(REMOTE_ADDR="10.1.2.3")
    assert_ok(login(elsewhere, username="alpha-owner", password=PASSWORD))
    assert_ok(login(anon_client, username="alpha-viewer", password=PASSWORD))


def test_lockout_counts_only_within_the_limit_and_success_resets(anon_client, owner):
    for _attempt in range(4):
        login(anon_client, username="alpha-owner", password="wrong-password")
    assert_ok(login(anon_client, username="alpha-owner", password=PASSWORD))

    for _attempt in range(4):
        assert_error(login(anon_client, username="alpha-owner", password="wrong-password"), 401, "AUTHENTICATION_FAILED")
    assert_ok(login(anon_client, username="alpha-owner", password=PASSWORD))
    assert not AuditLog.objects.filter(action="auth.locked_out").exists()


def test_lockout_ends_after_the_cool_off(anon_client, owner):
    for _attempt in range(5):
        login(anon_client, username="alpha-owner", password="wrong-password")
    assert_error(login(anon_client, username="alpha-owner", password=PASSWORD), 429, "ACCOUNT_LOCKED")

    # the failures were 31 minutes ago (the lockout lasts 30)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))

    assert_ok(login(anon_client, username="alpha-owner", password=PASSWORD))


def test_unknown_username_locks_the_same_way(anon_client, owner):
    """A username that does not exist locks like a real one (no user enumeration)."""
    for _attempt in range(5):
        login(anon_client, username="ghost", password="wrong-password")

    assert_error(login(anon_client, username="ghost", password="wrong-password"), 429, "ACCOUNT_LOCKED")
    assert User.objects.filter(username="ghost").count() == 0
