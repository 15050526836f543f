"""An operator connects a Hepsiburada account in the admin, maps a category with the search,
and syncs the catalogue, in a real browser against an in-process Hepsiburada sandbox."""

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from catalog.models import Variant
from marketplaces import services
from marketplaces.models import CategoryMapping, Listing, ListingStatus, MarketplaceAccount, SyncJob
from marketplaces.sandbox.hepsiburada import MERCHANT_ID, SERVICE_KEY, USER_AGENT, HepsiburadaSandbox
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_admin import SITE, log_in
from tests.marketplaces.sync_world import make_catalogue

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fast_sync")]

ACCOUNT = "Hepsiburada TR"


@pytest.fixture
def hb_sandbox() -> Iterator[HepsiburadaSandbox]:
    sandbox = HepsiburadaSandbox(rate_limits=False).start()
    yield sandbox
    sandbox.stop()


def test_operator_connects_hepsiburada_maps_a_category_by_search_and_syncs(
    page: Page, operator: User, hb_sandbox: HepsiburadaSandbox
) -> None:
    make_catalogue(operator.tenant, products=3, variants_per_product=2)
    skus = set(Variant.objects.filter(tenant=operator.tenant).values_list("sku", flat=True))
    log_in(page, "alpha-operator")

    # --- connect: only Hepsiburada's credential keys show -----------------------------------
    page.goto("/admin/marketplaces/marketplaceaccount/add/")
    page.get_by_label("Marketplace:").select_option("hepsiburada")
    for key in ("merchant_id", "service_key", "user_agent", "username"):
        expect(page.locator(f"#id_credential_{key}")).to_be_visible()
    for key in ("api_key", "api_secret", "client_id", "refresh_token"):
        if page.locator(f"#id_credential_{key}").count():
            expect(page.locator(f"#id_credential_{key}")).to_be_hidden()
    page.get_by_label("Name:", exact=True).fill(ACCOUNT)
    page.get_by_label("API base URL:").fill(hb_sandbox.base_url)  # implies the OMS and catalog hosts
    page.locator("#id_settings").fill(json.dumps({"adapter_options": {"default_brand": "Acme"}}))
    page.locator("#id_credential_merchant_id").fill(MERCHANT_ID)
    page.locator("#id_credential_service_key").fill(SERVICE_KEY)
    page.locator("#id_credential_user_agent").fill(USER_AGENT)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text(ACCOUNT)
    account = MarketplaceAccount.objects.get(name=ACCOUNT)
    assert (account.tenant_id, account.marketplace, account.seller_id) == (operator.tenant_id, "hepsiburada",
                                                                          MERCHANT_ID)  # fmt: skip

    # --- map our category with the search -------------------------------------------------
    page.goto("/admin/marketplaces/categorymapping/add/")
    expect(page).to_have_title(re.compile(rf"Add category mapping \| {SITE}"))
    page.get_by_label("Account:").select_option(label=f"{ACCOUNT} (Hepsiburada)")
    page.get_by_label("Our category:").select_option(label="Tişört")
    search = page.get_by_label("Search the marketplace's categories")
    search.fill("TİŞÖRT")
    search.press("Enter")
    result = page.locator("#mp-category-results").get_by_role("button", name="Moda › Giyim › Tişört")
    expect(result).to_be_visible()
    result.click()
    expect(page.locator("#id_marketplace_category_id")).to_have_value("18021982")
    expect(page.locator("#id_marketplace_category_name")).to_have_value("Tişört")
    attributes = page.locator("#mp-category-attributes")
    expect(attributes.locator("label.required")).to_have_text(["Renk:", "Beden:"])
    expect(attributes).to_contain_text("Filled from the product by the sync:")
    attributes.get_by_label("Renk:", exact=True).select_option(label="Siyah")
    attributes.get_by_label("Beden:", exact=True).select_option(label="M")
    expect(page.locator("#id_attribute_values")).to_have_value(
        re.compile(r'"renk_variant_property":"Siyah".*"beden_variant_property":"M"')
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "hepsiburada_category_mapping_search.png"), full_page=True)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    mapping = CategoryMapping.objects.get()
    assert (mapping.account_id, mapping.marketplace_category_id) == (account.pk, "18021982")
    assert mapping.attribute_values == {"renk_variant_property": "Siyah", "beden_variant_property": "M"}

    # --- sync the catalogue and watch it finish -------------------------------------------
    page.goto(f"/admin/marketplaces/marketplaceaccount/{account.pk}/change/")
    page.get_by_label("What to sync:").select_option("catalog")
    page.get_by_role("button", name="Sync now").click()
    job = SyncJob.objects.get()
    expect(page).to_have_url(re.compile(rf"/admin/marketplaces/syncjob/{job.pk}/change/$"))
    expect(page.locator(".field-state_badge .mp-status")).to_have_text("Succeeded")
    expect(page.locator(".field-progress .mp-progress__label")).to_have_text("6 / 6")
    assert set(hb_sandbox.listings) == skus  # the sandbox received every product
    assert Listing.objects.filter(account=account, status=ListingStatus.SYNCED).count() == 6

    page.get_by_role("link", name=f"{ACCOUNT} (Hepsiburada)").click()
    expect(page.locator("#mp-listing-counts")).to_contain_text("6 listings")
    expect(page.locator("#mp-sync-panel .mp-status")).to_have_text("Succeeded")


def test_an_existing_mapping_shows_its_values_and_a_missing_required_one_is_refused(
    page: Page, operator: User, hb_sandbox: HepsiburadaSandbox
) -> None:
    category = make_catalogue(operator.tenant, products=1)
    account = services.connect_account(
        tenant=operator.tenant, marketplace="hepsiburada", name=ACCOUNT, base_url=hb_sandbox.base_url,
        credentials={"merchant_id": MERCHANT_ID, "service_key": SERVICE_KEY, "user_agent": USER_AGENT},
        settings={"adapter_options": {"default_brand": "Acme"}}, actor=operator,
    )  # fmt: skip
    values = {"renk_variant_property": "Mavi", "beden_variant_property": "XL"}
    mapping = CategoryMapping.objects.create(
        tenant=operator.tenant, account=account, category=category, marketplace_category_id="18021982",
        marketplace_category_name="Tişört", attribute_values=values,
    )  # fmt: skip
    log_in(page, "alpha-operator")
    page.goto(f"/admin/marketplaces/categorymapping/{mapping.pk}/change/")
    attributes = page.locator("#mp-category-attributes")
    expect(attributes.get_by_label("Renk:", exact=True)).to_have_value("3")  # Mavi, the 4th value
    expect(attributes.get_by_label("Renk:", exact=True).locator("option:checked")).to_have_text("Mavi")
    expect(attributes.get_by_label("Beden:", exact=True).locator("option:checked")).to_have_text("XL")

    search = page.get_by_label("Search the marketplace's categories")
    search.fill("yok böyle bir şey")
    search.press("Enter")
    expect(page.locator("#mp-category-status")).to_have_text("No leaf category matches.")

    attributes.get_by_label("Beden:", exact=True).select_option(label="—")
    expect(page.locator("#id_attribute_values")).to_have_value('{"renk_variant_property":"Mavi"}')
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errorlist")).to_contain_text(
        "Hepsiburada requires these attributes in Tişört: Beden (beden_variant_property)."
    )
    mapping.refresh_from_db()
    assert mapping.attribute_values == values  # nothing saved
