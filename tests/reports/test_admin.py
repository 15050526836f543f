"""The admin home page is the tenant's dashboard; report pages show, chart and download."""

import io
import json
import re
from typing import Any

import openpyxl
import pytest

from marketplaces.models import MarketplaceAccount
from tests.reports.conftest import sell, today_noon

pytestmark = pytest.mark.django_db


def _json_script(html: str, element_id: str) -> Any:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert found, element_id
    return json.loads(found[1])


def test_the_dashboard_shows_kpis_charts_sync_health_and_low_stock(
    owner: Any, other_owner: Any, admin_client_for: Any, stocked: Any, django_assert_max_num_queries: Any
) -> None:
    tenant = owner.tenant
    stocked(tenant, "LOW-1", qty=2, price="9.00")
    account = MarketplaceAccount.objects.create(tenant=tenant, marketplace="trendyol", name="TY Main", seller_id="1",
                                                base_url="https://ty.example.com")  # fmt: skip
    sell(tenant, "LOW-1", 1, "9.00", channel=f"trendyol:{account.pk}", now=today_noon())
    sell(tenant, "X", 2, "5.50", channel="import", days_ago=3, now=today_noon())
    sell(other_owner.tenant, "THEIRS", 1, "1000.00", now=today_noon())
    client = admin_client_for(owner)

    with django_assert_max_num_queries(40):
        response = client.get("/admin/")

    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'id="kpi-orders-today">1<', html) and re.search(r'id="kpi-orders-30">2<', html)
    assert re.search(r'id="kpi-revenue-30">20.00<', html)
    revenue = _json_script(html, "chart-revenue-data")
    assert [d["label"] for d in revenue["datasets"]] == ["import", f"trendyol:{account.pk}"]
    assert sum(revenue["datasets"][1]["data"]) == 9.0 and len(revenue["labels"]) == 30
    assert _json_script(html, "chart-status-data")["datasets"][0]["data"][0] == 2  # both pending
    assert "TY Main" in html and "LOW-1" in html and "THEIRS" not in html
    assert "<script>" not in html and "onclick" not in html
    assert "reports/chart.umd.js" in html and "reports/charts.js" in html


def test_a_platform_superuser_gets_the_index_without_a_tenant_dashboard(
    superuser: Any, admin_client_for: Any
) -> None:
    response = admin_client_for(superuser).get("/admin/")

    assert response.status_code == 200
    assert b"kpi-orders-today" not in response.content


@pytest.mark.parametrize(
    "url",
    [
        "/admin/reports/dailysales/",
        "/admin/reports/dailysales/performance/",
        "/admin/reports/dailysales/inventory/",
    ],
)
def test_report_pages_render_for_a_viewer_with_a_chart_and_downloads(
    viewer: Any, admin_client_for: Any, url: str
) -> None:
    sell(viewer.tenant, "A", 1, "3.00", now=today_noon())

    response = admin_client_for(viewer).get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="download-csv"' in html and 'id="download-xlsx"' in html
    assert _json_script(html, "chart-report-data")["type"] in ("line", "bar")


def test_the_sales_page_filters_downloads_and_reports_bad_dates(owner: Any, admin_client_for: Any) -> None:
    sell(owner.tenant, "A", 2, "3.00", now=today_noon())
    client = admin_client_for(owner)
    day = today_noon().date().isoformat()

    page = client.get("/admin/reports/dailysales/", {"from": day, "to": day})
    download = client.get("/admin/reports/dailysales/", {"from": day, "to": day, "format": "xlsx"})
    bad = client.get("/admin/reports/dailysales/", {"from": "31.12.2026"})

    assert _json_script(page.content.decode(), "chart-report-data")["datasets"][0]["data"] == [6.0]
    book = openpyxl.load_workbook(io.BytesIO(download.content))
    assert list(book["Totals"].values)[1][0] == 1
    assert bad.status_code == 200 and "Enter a date as YYYY-MM-DD." in bad.content.decode()


def test_nobody_edits_roll_up_rows_in_the_admin(owner: Any, admin_client_for: Any) -> None:
    assert admin_client_for(owner).get("/admin/reports/dailysales/add/").status_code == 403
