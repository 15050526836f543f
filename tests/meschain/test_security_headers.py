"""What a browser gets from the admin: branding, a strict CSP, safe cookies, idle expiry."""

import re

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

_SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)


def _csp(response) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def _admin_pages(admin_client_for, owner, operator) -> list:
    client = admin_client_for(owner)
    return [
        Client().get("/admin/login/"),
        client.get("/admin/"),
        client.get("/admin/accounts/user/"),
        client.get(f"/admin/accounts/user/{operator.pk}/change/"),
        client.get("/admin/accounts/user/add/"),
        client.get("/admin/accounts/apikey/add/"),
        client.get("/admin/meschain/auditlog/"),
    ]


def test_admin_is_branded(admin_client_for, owner):
    login = Client().get("/admin/login/")
    index = admin_client_for(owner).get("/admin/")

    assert login.status_code == index.status_code == 200
    assert "<title>Log in | MesChain Back Office</title>" in login.content.decode()
    assert "MesChain Back Office" in index.content.decode()
    assert "Django administration" not in index.content.decode()


def test_admin_pages_send_strict_csp(admin_client_for, owner, operator):
    for response in _admin_pages(admin_client_for, owner, operator):
        assert response.status_code == 200, response.request["PATH_INFO"]
        csp = _csp(response)
        assert csp["script-src"] == ["'self'"]
        assert csp["default-src"] == ["'self'"]
        assert csp["object-src"] == ["'none'"]
        assert csp["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]
        assert "'unsafe-eval'" not in response["Content-Security-Policy"]
        # No inline script that this CSP would block: every <script> loads a file (or is a
        # json_script data block, which the browser never runs).
        for tag in _SCRIPT_TAG.findall(response.content.decode()):
            assert " src=" in tag or 'type="application/json"' in tag, (response.request["PATH_INFO"], tag)
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_login_sets_httponly_samesite_session_cookie(owner):
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": "alpha-owner", "password": PASSWORD})

    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 1800
    assert response.cookies[settings.CSRF_COOKIE_NAME]["httponly"] is True


def test_session_expires_after_30_idle_minutes_counted_from_the_last_request(admin_client_for, owner):
    assert settings.SESSION_COOKIE_AGE == 1800
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    client = admin_client_for(owner)

    # Every request re-sends the cookie with a fresh 30-minute lifetime.
    for _request in range(2):
        response = client.get("/admin/")
        assert response.status_code == 200
        assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 1800
    assert client.session.get_expiry_age() == 1800
