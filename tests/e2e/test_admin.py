"""An operator works in the back office through a real browser."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts import services
from accounts.models import ApiKey, Role, Tenant, User
from tests.conftest import PASSWORD
from tests.e2e.conftest import PageProblems

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SITE = "MesChain Back Office"
BAD_LOGIN = (
    "Please enter the correct username and password for a staff account. "
    "Note that both fields may be case-sensitive."
)
LOCKED = "Too many failed login attempts. This account is locked for 30 minutes."


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Username:").fill(username)
    page.get_by_label("Password:").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_owner_logs_in_and_sees_the_dashboard(page: Page, owner: User) -> None:
    page.goto("/admin/")

    expect(page).to_have_title(f"Log in | {SITE}")
    expect(page.locator("#site-name")).to_have_text(SITE)
    log_in(page, "alpha-owner")

    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page).to_have_title(f"Dashboard | {SITE}")
    expect(page.locator("#site-name")).to_have_text(SITE)
    expect(page.locator("#user-tools")).to_contain_text("Welcome, alpha-owner.")
    accounts = page.locator("#content-main .app-accounts")
    expect(accounts.locator("th[scope=row] a")).to_have_text(["API keys", "Users"])
    expect(page.locator("#content-main")).not_to_contain_text("Tenants")


def test_users_list_shows_the_tenants_users_only(
    page: Page, owner: User, operator: User, viewer: User, other_owner: User, make_user
) -> None:
    stranger = make_user(other_owner.tenant, Role.OPERATOR)
    log_in(page, "alpha-owner")

    page.locator("#content-main").get_by_role("link", name="Users", exact=True).click()

    expect(page).to_have_title(f"Select user to change | {SITE}")
    expect(page.locator("#result_list tbody th a")).to_have_text(
        ["alpha-operator", "alpha-owner", "alpha-viewer"]
    )
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    expect(page.locator(".paginator")).to_contain_text("3 users")
    expect(page.locator("#content")).not_to_contain_text("bravo")

    page.goto(f"/admin/accounts/user/{stranger.pk}/change/")

    expect(page).to_have_title(f"Dashboard | {SITE}")
    expect(page.locator(".messagelist .warning")).to_have_text(
        f"User with ID “{stranger.pk}” doesn’t exist. Perhaps it was deleted?"
    )


def test_new_api_key_is_shown_in_full_once(page: Page, owner: User, tenant_a: Tenant) -> None:
    log_in(page, "alpha-owner")
    page.locator("#content-main").get_by_role("link", name="API keys", exact=True).click()
    expect(page.locator("#result_list")).to_have_count(0)  # no key yet
    page.get_by_role("link", name="Add API key").click()

    page.get_by_label("Name:").fill("Web storefront")
    page.get_by_label("catalog:read").check()
    page.get_by_label("orders:write").check()
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page).to_have_title(f"API key created | {SITE}")
    expect(page.locator("#content-main .warning")).to_have_text(
        "Copy this key now. It is shown only once: MesChain keeps only a hash of it."
    )
    shown = page.get_by_label("API key")
    expect(shown).to_have_value(re.compile(r"^mck_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$"))
    full_key = shown.input_value()
    key = ApiKey.objects.get(tenant=tenant_a)
    assert (key.name, key.scopes, key.created_by_id) == (
        "Web storefront",
        ["catalog:read", "orders:write"],
        owner.pk,
    )
    assert full_key.startswith(f"mck_{key.prefix}_")
    secret = full_key.split("_", 2)[2]

    page.get_by_role("link", name="Back to API keys").click()

    expect(page).to_have_title(f"Select API key to change | {SITE}")
    row = page.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("th")).to_have_text("Web storefront")
    expect(row.locator("td.field-prefix")).to_have_text(key.prefix)
    expect(row.locator("td.field-scope_list")).to_have_text("catalog:read, orders:write")
    expect(row.locator("td.field-state")).to_have_text("active")
    assert secret not in page.content()

    row.get_by_role("link", name="Web storefront").click()

    expect(page).to_have_title(f"{key} | View API key | {SITE}")
    expect(page.locator(".field-prefix .readonly")).to_have_text(key.prefix)
    assert secret not in page.content()
    assert ApiKey.objects.count() == 1
    assert services.authenticate_api_key(full_key) == key  # the key shown is the working one


def test_repeated_bad_passwords_lock_the_account(
    page: Page, page_problems: PageProblems, owner: User
) -> None:
    page_problems.allow_document_status(429)  # the lockout page answers "429 Too Many Requests"
    for _attempt in range(4):
        log_in(page, "alpha-owner", "wrong-password")
        expect(page).to_have_title(f"Error: Log in | {SITE}")
        expect(page.locator(".errornote")).to_have_text(BAD_LOGIN)

    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        log_in(page, "alpha-owner", "wrong-password")

    assert answer.value.status == 429
    expect(page).to_have_title(f"Locked out | {SITE}")
    expect(page.locator(".errornote")).to_have_text(LOCKED)

    log_in(page, "alpha-owner", PASSWORD)  # the right password does not open a locked account

    expect(page).to_have_title(f"Locked out | {SITE}")
    expect(page.locator(".errornote")).to_have_text(LOCKED)
    expect(page.locator("#user-tools")).to_have_count(0)  # not logged in
    expect(page.locator("#nav-sidebar")).to_have_count(0)
    owner.refresh_from_db()
    assert owner.last_login is None
