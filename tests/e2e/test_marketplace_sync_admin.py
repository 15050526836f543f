"""An operator syncs a marketplace account from the admin in a real browser, against an
in-process Trendyol sandbox, and watches a job's progress update on its page."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from marketplaces import services
from marketplaces.models import Listing, ListingStatus, SyncJob
from marketplaces.sandbox.trendyol import TrendyolSandbox
from tests.e2e.test_admin import SITE, log_in
from tests.marketplaces.sync_world import World, make_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fast_sync")]



@pytest.fixture
def sandbox(sync_sandbox: TrendyolSandbox) -> TrendyolSandbox:
    return sync_sandbox


@pytest.fixture
def world(operator: User, sandbox: TrendyolSandbox) -> World:
    # the account's base URL points at the sandbox started for this test
    return make_world(operator.tenant, sandbox, products=5, variants_per_product=2)


def test_operator_clicks_sync_now_and_the_job_succeeds(page: Page, world: World) -> None:
    log_in(page, "alpha-operator")
    page.goto("/admin/marketplaces/marketplaceaccount/")
    expect(page.locator("#result_list td.field-last_sync")).to_have_text("never")
    page.get_by_role("link", name="Trendyol TR", exact=True).click()
    expect(page).to_have_title(re.compile(rf"Trendyol TR .*\| {SITE}"))
    expect(page.locator("#mp-sync-panel")).to_contain_text("Not synced yet.")

    page.get_by_role("button", name="Test connection").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "Connected: the marketplace accepted the credentials."
    )
    page.get_by_label("What to sync:").select_option("catalog")
    page.get_by_role("button", name="Sync now").click()

    # Without a broker the job runs within the request: the job page shows it done.
    job = SyncJob.objects.get()
    expect(page).to_have_url(re.compile(rf"/admin/marketplaces/syncjob/{job.pk}/change/$"))
    expect(page.locator(".messagelist")).to_contain_text(f"Catalogue sync #{job.pk} requested.")
    expect(page.locator(".field-state_badge .mp-status")).to_have_text("Succeeded")
    expect(page.locator(".field-progress .mp-progress__label")).to_have_text("10 / 10")
    expect(page.locator("#mp-cancel")).to_have_count(0)
    assert Listing.objects.filter(status=ListingStatus.SYNCED).count() == 10
    assert len(world.sandbox.products()) == 10

    page.get_by_role("link", name="Trendyol TR (Trendyol)").click()
    expect(page.locator("#mp-listing-counts")).to_contain_text("10 listings")
    expect(page.locator("#mp-sync-panel .mp-status")).to_have_text("Succeeded")


def test_a_job_page_follows_the_job_live(page: Page, world: World, operator: User) -> None:
    job = services.request_sync(world.account, "full", actor=operator, enqueue=False)
    log_in(page, "alpha-operator")
    page.goto(f"/admin/marketplaces/syncjob/{job.pk}/change/")
    state = page.locator(".field-state_badge .mp-status")
    expect(state).to_have_text("Queued")
    expect(page.locator("#mp-cancel")).to_be_visible()

    # A worker elsewhere picks it up and reports progress (single-row updates, as a worker's are).
    SyncJob.objects.filter(pk=job.pk).update(state="running", stage="stock_price", total=10, done=3, failed=1,
                                             message="Sending stock and prices")  # fmt: skip
    expect(state).to_have_text("Running")
    expect(page.locator(".field-progress .mp-progress__label")).to_have_text("4 / 10")
    expect(page.locator(".field-live_stage")).to_contain_text("Stock and prices")
    expect(page.locator(".field-live_message")).to_contain_text("Sending stock and prices")

    SyncJob.objects.filter(pk=job.pk).update(state="succeeded", done=9, finished_at=timezone.now())
    expect(state).to_have_text("Succeeded")
    expect(state).to_have_class(re.compile(r"mp-status--succeeded"))
    expect(page.locator(".field-progress .mp-progress__label")).to_have_text("10 / 10")
    expect(page.locator(".field-live_failed")).to_contain_text("1")
    expect(page.locator("#mp-cancel")).to_be_hidden()
