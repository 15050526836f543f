"""Passwords are bcrypt-SHA256 at cost 12; older hashes are upgraded at the next login."""

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, identify_hasher

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.real_hasher]

BCRYPT_12 = "bcrypt_sha256$$2b$12$"


def _legacy_pbkdf2(user: User) -> str:
    # A real PBKDF2 hash as an older install stored it (few iterations keep the test fast).
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "legacysalt20190101", iterations=10_000)
    user.save(update_fields=["password"])
    return user.password


def test_new_users_get_bcrypt_sha256_cost_12(owner):
    assert owner.password.startswith(BCRYPT_12)
    assert identify_hasher(owner.password).algorithm == "bcrypt_sha256"


def test_pbkdf2_user_logs_in_and_is_upgraded_to_bcrypt(owner, anon_client):
    legacy = _legacy_pbkdf2(owner)
    assert legacy.startswith("pbkdf2_sha256$10000$")

    response = anon_client.post(
        "/api/auth/login", {"username": "alpha-owner", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["data"]["user"]["username"] == "alpha-owner"
    owner.refresh_from_db()
    assert owner.password.startswith(BCRYPT_12)
    assert identify_hasher(owner.password).algorithm == "bcrypt_sha256"
    assert owner.check_password(PASSWORD)


def test_failed_login_leaves_the_old_hash_alone(owner, anon_client):
    legacy = _legacy_pbkdf2(owner)

    response = anon_client.post(
        "/api/auth/login", {"username": "alpha-owner", "password": "not-the-password"}, format="json"
    )

    assert response.status_code == 401
    owner.refresh_from_db()
    assert owner.password == legacy
