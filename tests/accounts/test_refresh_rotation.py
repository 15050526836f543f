"""Refresh-token rotation edge cases: who may still refresh, and single use under races."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from tests.meschain.envelope_asserts import assert_error, assert_ok

REFRESH = "/api/auth/refresh"
BAD_REFRESH = "Refresh token is invalid, expired or revoked."


def refresh(token: str):
    return APIClient().post(REFRESH, {"refresh": token}, format="json")


@pytest.mark.django_db
def test_refresh_is_refused_once_the_tenant_is_deactivated(owner):
    token = RefreshToken.for_user(owner)
    owner.tenant.is_active = False
    owner.tenant.save(update_fields=["is_active"])
    tokens_before = OutstandingToken.objects.count()

    assert_error(refresh(str(token)), 401, "AUTHENTICATION_FAILED", message=BAD_REFRESH)

    assert OutstandingToken.objects.count() == tokens_before
    assert not BlacklistedToken.objects.exists()


@pytest.mark.django_db
def test_refresh_for_a_user_that_no_longer_exists_is_refused(viewer):
    token = str(RefreshToken.for_user(viewer))
    User.objects.filter(pk=viewer.pk).delete()

    assert_error(refresh(token), 401, "AUTHENTICATION_FAILED", message=BAD_REFRESH)

    assert OutstandingToken.objects.filter(user__isnull=False).count() == 0
    assert not BlacklistedToken.objects.exists()


@pytest.mark.django_db
def test_the_new_refresh_token_is_recorded_for_its_user(owner):
    body = assert_ok(refresh(str(RefreshToken.for_user(owner))))
    new = RefreshToken(body["data"]["refresh"])

    recorded = OutstandingToken.objects.get(jti=new["jti"])
    assert recorded.user == owner
    assert BlacklistedToken.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_refresh_token_presented_twice_at_once_works_only_once(owner):
    rounds = 5
    for _ in range(rounds):
        token = str(RefreshToken.for_user(owner))
        start = threading.Barrier(2)
        statuses: list[int] = []

        def present(token: str = token, start: threading.Barrier = start, statuses: list[int] = statuses) -> None:
            try:
                start.wait(timeout=10)
                statuses.append(refresh(token).status_code)
            finally:
                connection.close()

        threads = [threading.Thread(target=present) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert sorted(statuses) == [200, 401]
    # every round: the presented token blacklisted once, one new token issued
    assert BlacklistedToken.objects.count() == rounds
    assert OutstandingToken.objects.count() == 2 * rounds
