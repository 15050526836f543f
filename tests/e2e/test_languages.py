"""An operator switches the back office to Turkish or Russian before logging in: the
dashboard and an order page show no English, and the choice stays after the login."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.conftest import PASSWORD
from tests.meschain.test_i18n import (
    DASHBOARD_ENGLISH,
    ORDER_ENGLISH,
    _compiled,  # noqa: F401 (a fixture: the catalogues compiled)
    english_left,
    make_order,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("_compiled")]


@pytest.mark.parametrize(
    ("language", "title", "log_in", "money"),
    [("tr", "Gösterge paneli", "Oturum aç", "2474,25"), ("ru", "Сводка", "Войти", "2474,25")],
    ids=["tr", "ru"],
)
def test_operator_works_in_turkish_or_russian(
    page: Page, operator: User, language: str, title: str, log_in: str, money: str
) -> None:
    order = make_order(operator.tenant)
    page.goto("/admin/login/?next=/admin/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.locator("#mc-language-select").select_option(language)
    page.get_by_role("button", name="Change language").click()

    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#login-form input[type=submit]")).to_have_value(log_in)
    page.locator("#id_username").fill(operator.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form input[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page).to_have_title(re.compile(rf"^{title}"))
    expect(page.locator("#mc-language-select")).to_have_value(language)
    assert english_left(page.content(), DASHBOARD_ENGLISH) == []

    page.goto(f"/admin/orders/order/{order.pk}/change/")

    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator(".field-total .readonly")).to_contain_text(money)
    assert english_left(page.content(), ORDER_ENGLISH) == []
