"""Two-factor authentication in the admin: setting it up with an authenticator app,
logging in with a code after the password, recovery codes, the lockout."""

import re

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role
from meschain.models import AuditLog
from tests.accounts.two_factor_helpers import enrol, next_code, secret_code
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
CODE_STEP = "/admin/login/code/"
SETUP = "/admin/account/two-factor/setup/"
OVERVIEW = "/admin/account/two-factor/"


def _password_step(client: Client, username: str = "alpha-owner"):
    return client.post(LOGIN, {"username": username, "password": PASSWORD, "next": "/admin/"})


def _logged_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


class TestSetup:
    def test_setup_page_shows_the_key_and_a_qr_code_and_turns_on_with_a_code(self, admin_client_for, owner):
        client = admin_client_for(owner)

        page = client.get(SETUP)

        assert page.status_code == 200
        html = page.content.decode()
        assert '<img class="two-factor-qr" src="data:image/svg+xml;base64,' in html
        secret = page.context["secret"]
        assert re.fullmatch(r"([A-Z2-7]{4} )*[A-Z2-7]{1,4}", secret)
        assert client.get(SETUP).context["secret"] == secret  # a reload shows the same key

        done = client.post(SETUP, {"code": secret_code(secret)})

        assert done.status_code == 200
        codes = done.context["codes"]
        assert len(codes) == len(set(codes)) == 10
        assert all(code in done.content.decode() for code in codes)
        assert "no-store" in done["Cache-Control"]
        device = TOTPDevice.objects.get(user=owner)
        assert device.confirmed
        assert StaticToken.objects.filter(device__user=owner).count() == 10
        assert AuditLog.objects.filter(action="user.two_factor_enabled", object_id=str(owner.pk)).count() == 1
        overview = client.get(OVERVIEW).content.decode()
        assert "You have 10 unused recovery codes." in overview
        assert not any(code in overview for code in codes)  # shown once only

    def test_a_wrong_code_does_not_turn_it_on(self, admin_client_for, owner):
        client = admin_client_for(owner)
        client.get(SETUP)

        response = client.post(SETUP, {"code": "000000"})

        assert response.status_code == 200
        assert "The code is not valid." in response.content.decode()
        assert not TOTPDevice.objects.filter(user=owner, confirmed=True).exists()
        assert not StaticToken.objects.filter(device__user=owner).exists()
        assert not AuditLog.objects.filter(action="user.two_factor_enabled").exists()

    def test_setup_page_needs_a_login(self, db):
        response = Client().get(SETUP)

        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


class TestLogin:
    def test_user_without_two_factor_logs_in_with_the_password_alone(self, owner):
        client = Client()

        response = _password_step(client)

        assert response.status_code == 302
        assert response["Location"] == "/admin/"
        assert _logged_in(client)

    def test_login_asks_for_the_code_after_the_password(self, owner):
        enrol(owner)
        client = Client()

        response = _password_step(client)

        assert response.status_code == 302
        assert response["Location"] == CODE_STEP
        assert not _logged_in(client)  # the password alone does not log in
        assert not AuditLog.objects.filter(action="auth.login").exists()
        page = client.get(CODE_STEP)
        assert page.status_code == 200
        assert "alpha-owner, your account has two-factor authentication on." in page.content.decode()

        done = client.post(CODE_STEP, {"code": next_code(owner)})

        assert done.status_code == 302
        assert done["Location"] == "/admin/"
        assert _logged_in(client)
        assert AuditLog.objects.filter(action="auth.login", actor=owner).count() == 1

    def test_a_wrong_code_is_refused_and_audited(self, owner):
        enrol(owner)
        client = Client()
        _password_step(client)

        response = client.post(CODE_STEP, {"code": "123456"})

        assert response.status_code == 200
        assert "The code is not valid." in response.content.decode()
        assert not _logged_in(client)
        row = AuditLog.objects.get(action="auth.two_factor_failed")
        assert (row.actor_label, row.object_id) == ("alpha-owner", str(owner.pk))

    def test_a_code_is_accepted_once(self, owner):
        enrol(owner)
        code = next_code(owner)
        first = Client()
        _password_step(first)
        assert first.post(CODE_STEP, {"code": code}).status_code == 302

        second = Client()
        _password_step(second)
        response = second.post(CODE_STEP, {"code": code})

        assert response.status_code == 200
        assert not _logged_in(second)

    def test_code_step_without_the_password_step_goes_back_to_the_login(self, owner):
        enrol(owner)
        client = Client()

        response = client.post(CODE_STEP, {"code": next_code(owner)})

        assert response.status_code == 302
        assert response["Location"] == "/admin/login/"
        assert not _logged_in(client)

    def test_wrong_codes_count_towards_the_lockout(self, owner):
        enrol(owner)
        client = Client()
        _password_step(client)
        for _attempt in range(4):
            assert client.post(CODE_STEP, {"code": "111111"}).status_code == 200

        fifth = client.post(CODE_STEP, {"code": "111111"})

        assert fifth.status_code == 429
        assert "Too many failed login attempts." in fifth.content.decode()
        # locked: neither the password step nor a right code gets in now
        again = _password_step(client)
        assert again.status_code == 429
        assert client.post(CODE_STEP, {"code": next_code(owner)}).status_code == 302  # back to login
        assert not _logged_in(client)
        assert AuditLog.objects.filter(action="auth.locked_out", object_id=str(owner.pk)).count() == 1

    def test_a_right_password_does_not_reset_the_count_of_wrong_codes(self, owner):
        enrol(owner)
        client = Client()
        for _round in range(2):
            assert _password_step(client)["Location"] == CODE_STEP
            client.post(CODE_STEP, {"code": "222222"})
            client.post(CODE_STEP, {"code": "222222"})
        _password_step(client)

        response = client.post(CODE_STEP, {"code": "222222"})

        assert response.status_code == 429


class TestRecoveryCodes:
    def test_a_recovery_code_logs_in_once(self, owner):
        codes = enrol(owner)
        client = Client()
        _password_step(client)

        response = client.post(CODE_STEP, {"code": codes[0].upper()}, follow=True)

        assert response.status_code == 200
        assert "You logged in with a recovery code. 9 recovery codes are left." in response.content.decode()
        assert AuditLog.objects.filter(action="user.recovery_code_used", actor=owner).count() == 1
        client.post("/admin/logout/")
        _password_step(client)
        again = client.post(CODE_STEP, {"code": codes[0]})
        assert again.status_code == 200
        assert "The code is not valid." in again.content.decode()
        assert not _logged_in(client)
        assert client.post(CODE_STEP, {"code": codes[1]}).status_code == 302

    def test_new_recovery_codes_replace_the_old_ones(self, admin_client_for, owner):
        old = enrol(owner)
        client = admin_client_for(owner)

        response = client.post("/admin/account/two-factor/recovery-codes/", {"code": next_code(owner)})

        new = response.context["codes"]
        assert len(new) == 10 and not set(new) & set(old)
        assert set(StaticToken.objects.filter(device__user=owner).values_list("token", flat=True)) == set(new)

    def test_new_recovery_codes_need_a_right_code(self, admin_client_for, owner):
        old = enrol(owner)

        response = admin_client_for(owner).post(
            "/admin/account/two-factor/recovery-codes/", {"code": "999999"}, follow=True
        )

        assert "The code is not valid." in response.content.decode()
        assert set(StaticToken.objects.filter(device__user=owner).values_list("token", flat=True)) == set(old)


class TestTurningOff:
    def test_user_turns_it_off_with_a_code(self, admin_client_for, owner):
        enrol(owner)

        response = admin_client_for(owner).post(
            "/admin/account/two-factor/off/", {"code": next_code(owner)}, follow=True
        )

        assert "Two-factor authentication is off." in response.content.decode()
        assert not TOTPDevice.objects.filter(user=owner).exists()
        assert not StaticToken.objects.filter(device__user=owner).exists()
        assert _password_step(Client())["Location"] == "/admin/"

    def test_turning_off_needs_a_right_code(self, admin_client_for, owner):
        enrol(owner)

        admin_client_for(owner).post("/admin/account/two-factor/off/", {"code": "000000"})

        assert TOTPDevice.objects.filter(user=owner, confirmed=True).exists()

    def test_owner_turns_it_off_for_a_user_who_lost_the_phone(self, admin_client_for, owner, operator):
        enrol(operator)

        response = admin_client_for(owner).post(
            "/admin/accounts/user/",
            {"action": "turn_off_two_factor", "_selected_action": [operator.pk]},
            follow=True,
        )

        assert "Two-factor authentication turned off for 1 user." in response.content.decode()
        assert not TOTPDevice.objects.filter(user=operator).exists()
        row = AuditLog.objects.get(action="user.two_factor_disabled")
        assert (row.actor_id, row.object_id) == (owner.pk, str(operator.pk))

    def test_another_tenants_owner_cannot_turn_it_off(self, admin_client_for, operator, other_owner):
        enrol(operator)

        admin_client_for(other_owner).post(
            "/admin/accounts/user/", {"action": "turn_off_two_factor", "_selected_action": [operator.pk]}
        )

        assert TOTPDevice.objects.filter(user=operator, confirmed=True).exists()

    def test_an_operator_cannot_turn_it_off_for_others(self, admin_client_for, manager, make_user, tenant_a):
        enrol(manager)
        viewer = make_user(tenant_a, Role.VIEWER)

        admin_client_for(viewer).post(
            "/admin/accounts/user/", {"action": "turn_off_two_factor", "_selected_action": [manager.pk]}
        )

        assert TOTPDevice.objects.filter(user=manager, confirmed=True).exists()


def test_a_failed_code_is_not_kept_in_the_lockout_records(owner):
    enrol(owner)
    client = Client()
    _password_step(client)

    client.post(CODE_STEP, {"code": "314159"})

    attempt = AccessAttempt.objects.get(username="alpha-owner")
    assert attempt.failures_since_start == 1
    assert "314159" not in attempt.post_data


def test_the_users_list_shows_who_has_two_factor_on(admin_client_for, owner, operator, viewer):
    enrol(operator)

    response = admin_client_for(owner).get("/admin/accounts/user/")

    on = {user.username: user.has_two_factor for user in response.context["cl"].result_list}
    assert on == {"alpha-owner": False, "alpha-operator": True, "alpha-viewer": False}
    assert "column-two_factor_on" in response.content.decode()
