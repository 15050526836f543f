"""The API's JWT login for a user with two-factor authentication on: the code is asked
for, a wrong one is a failed login, a right one gets the tokens."""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import Tenant
from meschain.models import AuditLog
from tests.accounts.two_factor_helpers import enrol, next_code
from tests.conftest import PASSWORD
from tests.meschain.envelope_asserts import assert_error, assert_ok

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login"


def login(**payload: str):
    return APIClient().post(LOGIN, payload, format="json")


def test_without_a_code_the_login_asks_for_it(owner):
    enrol(owner)

    body = assert_error(login(username="alpha-owner", password=PASSWORD), 401, "OTP_REQUIRED")

    assert "authenticator app" in body["error"]["message"]
    assert not OutstandingToken.objects.filter(user=owner).exists()
    assert not AuditLog.objects.filter(action__in=["auth.login", "auth.two_factor_failed"]).exists()


def test_a_wrong_code_is_refused_and_counts_as_a_failed_login(owner):
    enrol(owner)

    assert_error(login(username="alpha-owner", password=PASSWORD, otp_code="000000"), 401, "OTP_INVALID")

    assert not OutstandingToken.objects.filter(user=owner).exists()
    assert AuditLog.objects.filter(action="auth.two_factor_failed", object_id=str(owner.pk)).count() == 1


def test_the_right_code_gets_the_tokens(owner):
    enrol(owner)

    body = assert_ok(login(username="alpha-owner", password=PASSWORD, otp_code=next_code(owner)))

    assert set(body["data"]) == {"access", "refresh", "user"}
    assert OutstandingToken.objects.filter(user=owner).count() == 1
    assert AuditLog.objects.filter(action="auth.login", actor=owner).count() == 1


def test_a_recovery_code_works_once(owner):
    codes = enrol(owner)

    assert_ok(login(username="alpha-owner", password=PASSWORD, otp_code=codes[3]))

    assert_error(login(username="alpha-owner", password=PASSWORD, otp_code=codes[3]), 401, "OTP_INVALID")


def test_a_wrong_password_is_refused_before_the_code(owner):
    enrol(owner)

    assert_error(
        login(username="alpha-owner", password="wrong-password", otp_code=next_code(owner)),
        401,
        "AUTHENTICATION_FAILED",
    )


def test_wrong_codes_lock_the_account(owner):
    enrol(owner)
    for _attempt in range(4):
        assert_error(login(username="alpha-owner", password=PASSWORD, otp_code="424242"), 401, "OTP_INVALID")

    assert_error(login(username="alpha-owner", password=PASSWORD, otp_code="424242"), 429, "ACCOUNT_LOCKED")

    assert_error(
        login(username="alpha-owner", password=PASSWORD, otp_code=next_code(owner)), 429, "ACCOUNT_LOCKED"
    )


def test_users_without_two_factor_need_no_code(owner):
    assert_ok(login(username="alpha-owner", password=PASSWORD))
    assert_ok(login(username="alpha-owner", password=PASSWORD, otp_code=""))


def test_a_tenant_that_requires_two_factor_refuses_users_without_it(owner, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(require_two_factor=True)

    assert_error(login(username="alpha-owner", password=PASSWORD), 403, "TWO_FACTOR_SETUP_REQUIRED")

    assert not OutstandingToken.objects.filter(user=owner).exists()


def test_an_overlong_code_is_a_validation_error(owner):
    enrol(owner)

    body = assert_error(login(username="alpha-owner", password=PASSWORD, otp_code="1" * 33), 400, "VALIDATION_ERROR")

    assert "otp_code" in body["error"]["details"]
