"""An owner reads the dashboard and the reports in a real browser: the charts draw with
data, the downloads come, and no console error or CSP violation appears."""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from marketplaces.models import MarketplaceAccount, SyncJob
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_admin import log_in
from tests.reports.conftest import sell, today_noon

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _chart_points(page: Page, canvas_id: str) -> int:
    """Data points Chart.js drew on a canvas (0 when it drew nothing)."""
    return page.evaluate(
        """(id) => {
            const chart = window.Chart && window.Chart.getChart(document.getElementById(id));
            return chart ? chart.data.datasets.reduce((n, d) => n + d.data.filter((v) => v > 0).length, 0) : 0;
        }""",
        canvas_id,
    )


def test_owner_sees_the_dashboard_charts_and_downloads_a_report(page: Page, owner: User) -> None:
    tenant = owner.tenant
    account = MarketplaceAccount.objects.create(tenant=tenant, marketplace="trendyol", name="TY Main", seller_id="1",
                                                base_url="https://ty.example.com")  # fmt: skip
    SyncJob.objects.create(tenant=tenant, account=account, kind="orders", state="succeeded")
    for days_ago in range(5):
        sell(tenant, "MUG", days_ago + 1, "12.50", days_ago=days_ago, channel=f"trendyol:{account.pk}",
             now=today_noon())  # fmt: skip
        sell(tenant, "CAP", 1, "20.00", days_ago=days_ago * 2, channel="import", now=today_noon())

    log_in(page, "alpha-owner")

    expect(page.locator("#kpi-orders-30")).to_have_text("10")
    expect(page.locator("#chart-revenue")).to_have_attribute("data-rendered", "true")
    expect(page.locator("#chart-status")).to_have_attribute("data-rendered", "true")
    assert _chart_points(page, "chart-revenue") == 10
    assert _chart_points(page, "chart-status") == 1
    expect(page.locator("#sync-health")).to_contain_text("TY Main")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "reports_dashboard.png"), full_page=True)  # the dashboard itself

    page.get_by_role("link", name="Sales report").click()
    page.locator("select[name=group_by]").select_option("week")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#chart-report")).to_have_attribute("data-rendered", "true")
    assert _chart_points(page, "chart-report") >= 2
    with page.expect_download() as download:
        page.locator("#download-xlsx").click()
    assert download.value.suggested_filename == "sales-report.xlsx"

    page.get_by_role("link", name="Inventory report").click()
    expect(page.locator("#chart-report")).to_have_attribute("data-rendered", "true")
    page.get_by_role("link", name="Marketplace performance").click()
    expect(page.locator("#chart-report")).to_have_attribute("data-rendered", "true")
    expect(page.locator("#content")).to_contain_text("TY Main")
