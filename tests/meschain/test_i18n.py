"""Languages: the Turkish and Russian catalogues are complete, and the admin and the API
speak them (Accept-Language, the language cookie) while API error codes stay the same."""

import html
import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.commands import makemessages
from django.test import Client, override_settings
from django.utils import formats, timezone, translation

from catalog.services import products, stock
from orders import services as order_services
from orders.models import Order

LANGUAGES = ["tr", "ru"]
PLURAL_FORMS = {"tr": "nplurals=2; plural=(n != 1);"}
LOCALE = Path(settings.BASE_DIR) / "locale"
# the options the README's makemessages command uses
IGNORE = [".venv", "node_modules"]

PY_FORMAT = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>[diouxXeEfFgGcrsa%])"
)
BRACE_FORMAT = re.compile(r"{(\w*)[^{}]*}")
TAG = re.compile(r"</?(?:a|b|br|code|em|i|kbd|p|span|strong)\b[^>]*>")

# English words of the dashboard and an order page (ours and Django's): none may be left
# on those pages in Turkish or Russian. Shared with the browser test.
DASHBOARD_ENGLISH = [
    "Dashboard", "Welcome,", "Two-factor authentication", "My sessions", "Store settings",
    "View site", "Change password", "Log out", "Language", "Change language", "Toggle theme",
    "Revenue today", "Orders today", "Revenue, last 30 days", "Orders, last 30 days",
    "Average order value", "Revenue per channel, last 30 days", "Orders by status, last 30 days",
    "Sync health, last 7 days", "Success rate", "Average duration", "Last success",
    "Listings in error", "No marketplace accounts yet.", "Low stock", "Available", "Threshold",
    "Days of cover", "Sales report", "Marketplace performance", "Inventory report",
    "Pending", "Processing", "Completed", "Cancelled", "Refunded",
    "Catalogue", "Products", "Warehouses", "Categories", "Brands", "Stock movements",
    "Marketplaces", "Marketplace accounts", "Sync jobs", "Listings", "Orders", "Customers",
    "Webhooks", "Webhook endpoints", "Webhook deliveries", "Users", "API keys", "Reports",
    "Daily sales", "Recent actions", "My actions", "Add", "Change", "View",
]  # fmt: skip
ORDER_ENGLISH = [
    "Home", "View order", "History", "Status", "Start processing", "Cancel order", "Number",
    "Channel", "External id", "Marketplace status", "Placed", "Customer", "Customer email",
    "Shipping address", "Billing address", "Amounts", "Currency", "Subtotal", "Shipping",
    "Discount", "Tax", "Total", "Handling", "Needs attention", "Stock policy", "Notes",
    "Order lines", "Unit price", "Line total", "Quantity", "Warehouse", "Timeline",
    "Add a note", "Add note", "system", "Created", "Pending", "Reserve stock",
]  # fmt: skip


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


def placeholders(text: str, brace: bool = False) -> Counter:
    if brace:
        return Counter(BRACE_FORMAT.findall(text))
    return Counter((m["name"], m["conv"]) for m in PY_FORMAT.finditer(text) if m["conv"] != "%")


def problems_of(entry: polib.POEntry, nplurals: int) -> list[str]:
    """What is wrong with one translated entry: missing, fuzzy, placeholders or tags changed."""
    if entry.fuzzy:
        return ["fuzzy"]
    if not entry.translated():
        return ["not translated"]
    found = []
    brace = "python-brace-format" in entry.flags
    checked = "python-format" in entry.flags or brace
    if entry.msgid_plural:
        if len(entry.msgstr_plural) != nplurals:
            found.append(f"{len(entry.msgstr_plural)} plural forms, not {nplurals}")
        wanted = [entry.msgid, entry.msgid_plural]
        translations = list(entry.msgstr_plural.values())
    else:
        wanted = [entry.msgid]
        translations = [entry.msgstr]
    for text in translations:
        if checked and placeholders(text, brace) not in [placeholders(w, brace) for w in wanted]:
            found.append(f"placeholders differ: {text!r}")
        if Counter(TAG.findall(text)) not in [Counter(TAG.findall(w)) for w in wanted]:
            found.append(f"HTML tags differ: {text!r}")
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_string_is_translated_with_its_placeholders(language: str) -> None:
    po = catalogue(language)

    assert po.metadata["Language"] == language
    assert po.metadata["Plural-Forms"] == PLURAL_FORMS.get(language, po.metadata["Plural-Forms"])
    nplurals = int(re.search(r"nplurals=(\d+)", po.metadata["Plural-Forms"])[1])
    assert not po.metadata_is_fuzzy
    broken = {
        entry.msgid: problems
        for entry in po
        if not entry.obsolete and (problems := problems_of(entry, nplurals))
    }
    assert not broken, f"{language}: {len(broken)} entries to fix: {broken}"
    assert len(po) > 900


class _ExtractToTempDir(makemessages.Command):
    """makemessages with every catalogue going to the first LOCALE_PATHS entry (a
    temporary folder), never to the project's locale/."""

    def find_files(self, root: str) -> list[Any]:
        files = super().find_files(root)
        for file in files:
            file.locale_dir = self.default_locale_path
        self.locale_paths = [self.default_locale_path]
        return files


@pytest.fixture
def extracted(tmp_path: Path) -> set[tuple[str, str]]:
    """The msgids makemessages finds in the source now."""
    here = os.getcwd()
    os.chdir(settings.BASE_DIR)
    try:
        with override_settings(LOCALE_PATHS=[str(tmp_path)]):
            call_command(
                _ExtractToTempDir(), locale=["tr"], ignore_patterns=IGNORE, no_obsolete=True, verbosity=0
            )
    finally:
        os.chdir(here)
    po = polib.pofile(str(tmp_path / "tr" / "LC_MESSAGES" / "django.po"))
    return {(entry.msgid, entry.msgid_plural) for entry in po}


@pytest.mark.slow
def test_the_catalogues_hold_exactly_the_strings_marked_in_the_source(
    extracted: set[tuple[str, str]],
) -> None:
    """One test for every language: makemessages writes scratch files next to the templates
    it reads, so two runs at once (two test processes) could trip over each other."""
    assert len(extracted) > 900
    differences = {}
    for language in LANGUAGES:
        catalogued = {
            (entry.msgid, entry.msgid_plural) for entry in catalogue(language) if not entry.obsolete
        }
        if new := sorted(extracted - catalogued):
            differences[f"marked in the source, missing from locale/{language} (run makemessages)"] = new
        if gone := sorted(catalogued - extracted):
            differences[f"in locale/{language}, no longer in the source (run makemessages --no-obsolete)"] = (
                gone
            )
    assert not differences


# --- Pages and the API in each language ----------------------------------------------------


@pytest.fixture(scope="module")
def _compiled() -> None:
    """`make install` compiles the catalogues; a test run straight after editing a .po
    compiles them here (compilemessages skips those already up to date)."""
    here = os.getcwd()
    os.chdir(settings.BASE_DIR)
    try:
        call_command("compilemessages", ignore_patterns=IGNORE, verbosity=0)
    finally:
        os.chdir(here)


@pytest.fixture
def compiled(_compiled: None, settings: Any) -> Iterator[None]:
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)  # drops catalogues loaded before compiling
    yield


def visible_text(page: str) -> str:
    page = re.sub(r"(?s)<script.*?</script>|<style.*?</style>|<select.*?</select>", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", "\n", page))


def english_left(page: str, words: list[str]) -> list[str]:
    text = visible_text(page)
    return [word for word in words if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text)]


def make_order(tenant: Any) -> Order:
    """An order of 2 × 1234.50 + 5.25 shipping: 2474.25 in all."""
    product = products.create_product(
        tenant.pk, data={"title": "Linen shirt"}, variants=[{"sku": "TEE", "price": "1234.50"}]
    )
    products.change_status(product, "published")
    stock.adjust(tenant.pk, product.variants.get().pk, delta=5)
    return order_services.place_order(
        tenant.pk,
        channel="storefront",
        lines=[{"sku": "TEE", "quantity": 2}],
        customer={"email": "buyer@example.com", "name": "Ayşe Yılmaz"},
        shipping_total="5.25",
    )


@pytest.fixture
def order(tenant_a: Any) -> Order:
    return make_order(tenant_a)


def test_english_pages_name_the_words_the_other_languages_replace(
    compiled: None, admin_client_for: Any, owner: Any, order: Order
) -> None:
    """The word lists are right: every word is on the English pages."""
    client = admin_client_for(owner)
    dashboard = client.get("/admin/").content.decode()
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()

    assert english_left(dashboard, DASHBOARD_ENGLISH) == DASHBOARD_ENGLISH
    assert english_left(page, ORDER_ENGLISH) == ORDER_ENGLISH
    assert "2474.25" in visible_text(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_dashboard_and_order_page_have_no_english_left(
    compiled: None, admin_client_for: Any, owner: Any, order: Order, language: str
) -> None:
    client = admin_client_for(owner)

    dashboard = client.get("/admin/", HTTP_ACCEPT_LANGUAGE=language)
    page = client.get(f"/admin/orders/order/{order.pk}/change/", HTTP_ACCEPT_LANGUAGE=language)
    listing = client.get("/admin/orders/order/", HTTP_ACCEPT_LANGUAGE=language)

    for response in (dashboard, page, listing):
        assert response.status_code == 200
        assert f'<html lang="{language}"' in response.content.decode()
        assert response["Content-Language"] == language
    assert english_left(dashboard.content.decode(), DASHBOARD_ENGLISH) == []
    assert english_left(page.content.decode(), ORDER_ENGLISH) == []
    # money with a decimal comma, dates with the language's month names
    text = visible_text(page.content.decode())
    assert "2474,25" in text and "2474.25" not in text
    assert "2474,25 TRY" in visible_text(listing.content.decode())
    with translation.override(language):
        placed = formats.localize(timezone.localtime(order.placed_at))
    assert placed in text
    assert timezone.localtime(order.placed_at).strftime("%B") not in text


def test_the_language_switcher_sets_the_language_of_the_admin(
    compiled: None, admin_client_for: Any, owner: Any
) -> None:
    client = admin_client_for(owner)
    dashboard = client.get("/admin/").content.decode()
    assert 'action="/i18n/setlang/"' in dashboard
    assert re.search(r'<option value="ru" lang="ru"\s*>Русский</option>', dashboard)

    response = client.post("/i18n/setlang/", {"language": "ru", "next": "/admin/"})

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    dashboard = client.get("/admin/").content.decode()
    assert '<html lang="ru"' in dashboard
    assert re.search(r'<option value="ru" lang="ru" selected>', dashboard)


def test_the_login_page_offers_the_switcher_without_inline_script(compiled: None) -> None:
    page = Client().get("/admin/login/", HTTP_ACCEPT_LANGUAGE="tr").content.decode()

    assert '<html lang="tr"' in page
    assert 'action="/i18n/setlang/"' in page
    assert "Dili değiştir" in page
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None


def test_the_switcher_ignores_an_unknown_language(compiled: None) -> None:
    client = Client()

    response = client.post("/i18n/setlang/", {"language": "xx", "next": "/admin/"})

    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert '<html lang="en"' in client.get("/admin/login/").content.decode()


def test_the_switcher_does_not_redirect_to_another_site(compiled: None) -> None:
    response = Client().post("/i18n/setlang/", {"language": "ru", "next": "https://evil.example/"})

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_the_switcher_needs_csrf(compiled: None) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post("/i18n/setlang/", {"language": "ru", "next": "/admin/"})

    assert response.status_code == 403
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def _error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert body["success"] is False
    return body["error"]


def test_api_errors_keep_their_code_and_translate_their_message(
    compiled: None, client_for: Any, operator: Any
) -> None:
    client = client_for(operator)
    answers = {}
    for language in ["en", *LANGUAGES]:
        invalid = client.post("/api/v1/orders", {}, format="json", HTTP_ACCEPT_LANGUAGE=language)
        missing = client.get("/api/v1/orders/999999", HTTP_ACCEPT_LANGUAGE=language)
        assert (invalid.status_code, missing.status_code) == (400, 404)
        assert invalid["Content-Language"] == language
        answers[language] = (_error(invalid), _error(missing))

    for language in LANGUAGES:
        invalid, missing = answers[language]
        assert invalid["code"] == "VALIDATION_ERROR" and missing["code"] == "NOT_FOUND"
        assert invalid["details"].keys() == answers["en"][0]["details"].keys()
        with translation.override(language):
            assert invalid["message"] == translation.gettext("Some fields are not valid.")
        assert invalid["message"] != answers["en"][0]["message"]
        assert missing["message"] != answers["en"][1]["message"]
        for field, messages in invalid["details"].items():
            assert messages != answers["en"][0]["details"][field], field
    assert answers["tr"][0]["message"] == "Bazı alanlar geçerli değil."


@pytest.mark.parametrize("language", LANGUAGES)
def test_refusals_before_the_locale_middleware_are_translated_too(
    compiled: None, client_for: Any, operator: Any, language: str
) -> None:
    client = client_for(operator)

    english = _error(client.get("/api/v1/orders?q=a%00b"))
    translated = _error(client.get("/api/v1/orders?q=a%00b", HTTP_ACCEPT_LANGUAGE=language))

    assert english["code"] == translated["code"] == "VALIDATION_ERROR"
    assert english["message"] == "Some fields are not valid."
    with translation.override(language):
        assert translated["message"] == translation.gettext("Some fields are not valid.")
        assert translated["details"] == {"q": [translation.gettext("Null characters are not allowed.")]}
    assert translated["message"] != english["message"]
