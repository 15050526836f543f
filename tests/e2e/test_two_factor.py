"""An operator sets up two-factor authentication in a real browser, then logs in with
the password and a code their authenticator app would show."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.accounts.two_factor_helpers import enrol, next_code, secret_code
from tests.e2e.test_admin import SITE, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_owner_sets_up_two_factor_and_logs_in_with_a_code(page: Page, owner: User) -> None:
    log_in(page, "alpha-owner")
    page.locator("#user-tools").get_by_role("link", name="Two-factor authentication").click()
    expect(page.locator(".two-factor-state")).to_contain_text("Two-factor authentication is off")
    page.get_by_role("link", name="Set up two-factor authentication").click()

    expect(page).to_have_title(f"Set up two-factor authentication | {SITE}")
    qr = page.locator("img.two-factor-qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")  # the QR code renders (CSP allows it)
    secret = page.locator("#two-factor-secret").inner_text()
    page.get_by_label("Code:").fill(secret_code(secret))
    page.get_by_role("button", name="Turn on").click()

    expect(page).to_have_title(f"Your recovery codes | {SITE}")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.locator("#logout-form button").click()

    log_in(page, "alpha-owner")
    expect(page).to_have_url(re.compile(r"/admin/login/code/$"))
    expect(page).to_have_title(f"Two-factor authentication | {SITE}")
    page.get_by_label("Code:").fill(next_code(owner))
    page.get_by_role("button", name="Verify").click()

    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page).to_have_title(f"Dashboard | {SITE}")
    expect(page.locator("#user-tools")).to_contain_text("Welcome, alpha-owner.")


def test_a_wrong_code_keeps_the_door_shut(page: Page, owner: User) -> None:
    enrol(owner)
    log_in(page, "alpha-owner")

    page.get_by_label("Code:").fill("000000")
    page.get_by_role("button", name="Verify").click()

    expect(page.locator(".errornote")).to_have_text("The code is not valid.")
    page.goto("/admin/")
    expect(page).to_have_title(f"Log in | {SITE}")
    expect(page.locator("#user-tools")).to_have_count(0)


def test_my_sessions_logs_out_another_browser(page: Page, browser, live_server, owner: User) -> None:
    other = browser.new_context(base_url=live_server.url, locale="en-US")
    other_page = other.new_page()
    log_in(other_page, "alpha-owner")
    expect(other_page).to_have_title(f"Dashboard | {SITE}")
    log_in(page, "alpha-owner")

    page.locator("#user-tools").get_by_role("link", name="My sessions").click()
    expect(page.locator("#session-list tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Log out other sessions").click()

    expect(page.locator(".messagelist .success")).to_have_text("1 session logged out.")
    expect(page.locator("#session-list tbody tr")).to_have_count(1)
    other_page.goto("/admin/")
    expect(other_page).to_have_title(f"Log in | {SITE}")
    other.close()
