"""A user's sessions: listed in the admin, the others logged out on request and when
the password changes."""

import pytest
from django.test import Client
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import UserSession
from meschain.models import AuditLog
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
SESSIONS = "/admin/account/sessions/"
NEW_PASSWORD = "Another-Staple-Horse-42"


def _browser(username: str = "alpha-owner", agent: str = "Firefox/140.0", ip: str = "127.0.0.1") -> Client:
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=ip)
    response = client.post(LOGIN, {"username": username, "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    return client


def _logged_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def test_my_sessions_lists_every_browser_with_this_one_marked(owner, operator):
    laptop = _browser(agent="Firefox/140.0")
    _browser(agent="Chrome/141.0 Mobile", ip="10.1.2.3")
    _browser("alpha-operator", agent="Operator Browser")

    response = laptop.get(SESSIONS)

    assert response.status_code == 200
    rows = response.context["sessions"]
    assert len(rows) == 2
    assert {row.user_agent for row, _current in rows} == {"Firefox/140.0", "Chrome/141.0 Mobile"}
    assert [row.user_agent for row, current in rows if current] == ["Firefox/140.0"]
    html = response.content.decode()
    assert "10.1.2.3" in html
    assert "Operator Browser" not in html


def test_log_out_other_sessions_ends_them(owner):
    laptop = _browser()
    phone = _browser(agent="Phone")
    assert _logged_in(phone)

    response = laptop.post(SESSIONS, {"end_others": "1"}, follow=True)

    assert "1 session logged out." in response.content.decode()
    assert _logged_in(laptop)
    assert not _logged_in(phone)
    assert phone.get("/admin/")["Location"].startswith("/admin/login/")
    assert UserSession.objects.filter(user=owner).count() == 1
    row = AuditLog.objects.get(action="user.sessions_ended")
    assert (row.actor_id, row.after) == (owner.pk, {"count": 1})


def test_one_session_can_be_logged_out(owner):
    laptop = _browser()
    phone = _browser(agent="Phone")
    tablet = _browser(agent="Tablet")
    phone_row = UserSession.objects.get(user=owner, user_agent="Phone")

    laptop.post(SESSIONS, {"end": str(phone_row.pk)})

    assert not _logged_in(phone)
    assert _logged_in(tablet)
    assert _logged_in(laptop)


def test_another_users_session_cannot_be_ended(owner, operator):
    mine = _browser()
    theirs = _browser("alpha-operator")
    their_row = UserSession.objects.get(user=operator)

    response = mine.post(SESSIONS, {"end": str(their_row.pk)}, follow=True)

    assert "0 sessions logged out." in response.content.decode()
    assert _logged_in(theirs)


def test_the_current_session_is_not_ended_by_its_own_row(owner):
    laptop = _browser()
    row = UserSession.objects.get(user=owner)

    laptop.post(SESSIONS, {"end": str(row.pk)})

    assert _logged_in(laptop)


def test_logging_out_removes_the_session_from_the_list(owner):
    laptop = _browser()
    phone = _browser(agent="Phone")

    phone.post("/admin/logout/")

    assert [row.user_agent for row, _current in laptop.get(SESSIONS).context["sessions"]] == ["Firefox/140.0"]
    assert UserSession.objects.filter(user=owner).count() == 1


def test_changing_the_password_ends_the_other_sessions_and_api_tokens(owner):
    laptop = _browser()
    phone = _browser(agent="Phone")
    refresh = RefreshToken.for_user(owner)

    response = laptop.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/password_change/done/"
    assert _logged_in(laptop)
    assert not _logged_in(phone)
    assert [row.user_agent for row, _current in laptop.get(SESSIONS).context["sessions"]] == ["Firefox/140.0"]
    assert BlacklistedToken.objects.filter(token__jti=refresh["jti"]).exists()
    assert AuditLog.objects.filter(action="user.password_changed", actor=owner).count() == 1


def test_a_wrong_old_password_changes_nothing(owner):
    laptop = _browser()
    phone = _browser(agent="Phone")

    response = laptop.post(
        "/admin/password_change/",
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert _logged_in(phone)
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    assert not OutstandingToken.objects.filter(user=owner, blacklistedtoken__isnull=False).exists()


def test_my_sessions_needs_a_login(db):
    response = Client().get(SESSIONS)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
