"""A forgotten password is reset by email from the admin's login page."""

import re

import pytest
from django.core import mail
from django.test import Client

from meschain.models import AuditLog
from tests.accounts.two_factor_helpers import enrol
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

RESET = "/admin/password_reset/"
NEW_PASSWORD = "Fresh-Lemon-Harbour-77"


def _link(message: mail.EmailMessage) -> str:
    found = re.search(r"http://testserver(/admin/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert found, message.body
    return found[1]


def test_the_login_page_links_to_the_reset(db):
    html = Client().get("/admin/login/").content.decode()

    assert f'href="{RESET}"' in html


def test_reset_by_email_sets_a_new_password_and_ends_every_session(owner):
    old_browser = Client()
    old_browser.post("/admin/login/?next=/admin/", {"username": "alpha-owner", "password": PASSWORD, "next": "/admin/"})
    client = Client()

    page = client.get(RESET)
    assert page.status_code == 200
    assert "MesChain Back Office" in page.content.decode()
    response = client.post(RESET, {"email": "OWNER@alpha.example.com"})

    assert response.status_code == 302
    assert response["Location"] == "/admin/password_reset/done/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["owner@alpha.example.com"]
    assert "alpha-owner" in message.body
    form_page = client.get(_link(message), follow=True)
    assert form_page.status_code == 200
    assert "new_password1" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.status_code == 302
    assert done["Location"] == "/admin/reset/done/"
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert old_browser.get("/admin/").status_code == 302  # logged out everywhere
    assert AuditLog.objects.filter(action="user.password_reset", object_id=str(owner.pk)).count() == 1
    login = Client().post(
        "/admin/login/?next=/admin/", {"username": "alpha-owner", "password": NEW_PASSWORD, "next": "/admin/"}
    )
    assert login["Location"] == "/admin/"
    assert client.get(_link(message), follow=True).context["validlink"] is False  # the link works once


def test_an_unknown_address_gets_the_same_answer_and_no_email(db):
    response = Client().post(RESET, {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert response["Location"] == "/admin/password_reset/done/"
    assert mail.outbox == []


def test_a_forged_link_is_refused(owner):
    response = Client().get("/admin/reset/MQ/bad-token/", follow=True)

    assert response.status_code == 200
    assert response.context["validlink"] is False
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_a_reset_does_not_skip_two_factor(owner):
    enrol(owner)
    Client().post(RESET, {"email": "owner@alpha.example.com"})
    client = Client()
    set_url = client.get(_link(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    response = client.post(
        "/admin/login/?next=/admin/", {"username": "alpha-owner", "password": NEW_PASSWORD, "next": "/admin/"}
    )

    assert response["Location"] == "/admin/login/code/"
    assert client.get("/admin/").status_code == 302


def test_reset_mails_are_limited_per_address(owner):
    for _attempt in range(7):
        response = Client().post(RESET, {"email": "owner@alpha.example.com"})
        assert response["Location"] == "/admin/password_reset/done/"

    assert len(mail.outbox) == 5


def test_the_reset_mail_speaks_the_language_of_the_request(owner):
    Client(HTTP_ACCEPT_LANGUAGE="tr").post(RESET, {"email": "owner@alpha.example.com"})

    message = mail.outbox[0]
    assert not message.subject.startswith("Password reset")
    assert "Parola" in message.subject or "parola" in message.subject
    assert "/admin/reset/" in message.body
