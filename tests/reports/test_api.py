"""/api/reports/*: the figures an operator would check by hand, downloads that match them,
and nobody reads another tenant's numbers."""

import csv
import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.utils import timezone

from catalog.models import Variant, Warehouse
from catalog.services import products, stock
from marketplaces.models import Listing, MarketplaceAccount, SyncJob
from orders import services as order_services
from reports.api import plain
from reports.serializers import InventoryReportSerializer, PerformanceReportSerializer, SalesReportSerializer
from reports.services.build import build_report
from tests.reports.conftest import sell, today_noon
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def _data(response: Any) -> Any:
    assert response.status_code == 200, response.content
    return response.json()["data"]


def _shop(tenant: Any) -> None:
    """Five orders over three days on two channels; one cancelled, one refunded."""
    sell(tenant, "TEE", 2, "10.00", days_ago=0, channel="storefront-x", shipping="5.00", discount="2.00")
    sell(tenant, "TEE", 1, "10.00", days_ago=1, channel="trendyol:9")
    sell(tenant, "MUG", 4, "7.50", days_ago=1, channel="trendyol:9")
    cancelled = sell(tenant, "MUG", 10, "7.50", days_ago=2, channel="trendyol:9")
    order_services.change_status(cancelled, "cancelled")
    refunded = sell(tenant, "CAP", 1, "30.00", days_ago=2, channel="storefront-x")
    for status in ("processing", "completed", "refunded"):
        refunded = order_services.change_status(refunded, status)


def test_sales_by_day_with_totals_channels_and_top_products(
    owner: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    _shop(owner.tenant)
    client = client_for(owner)

    with django_assert_max_num_queries(12):
        data = _data(client.get("/api/reports/sales", {"from": "2026-11-18", "to": "2026-11-20"}))

    assert [(p["period"], p["orders"], p["units"], p["net"]) for p in data["series"]] == [
        ("2026-11-18", 1, 1, "0.00"),  # the refunded order: counted, its total refunded
        ("2026-11-19", 2, 5, "40.00"),
        ("2026-11-20", 1, 2, "23.00"),
    ]
    assert data["totals"] == {"orders": 4, "units": 8, "gross": "95.00", "discounts": "2.00", "refunds": "30.00",
                              "net": "63.00", "average_order_value": "23.25"}  # fmt: skip
    assert [(c["channel"], c["orders"], c["net"]) for c in data["channels"]] == [
        ("storefront-x", 2, "23.00"),
        ("trendyol:9", 2, "40.00"),
    ]
    assert [(t["sku"], t["units"], t["revenue"]) for t in data["top_products"]] == [
        ("MUG", 4, "30.00"),
        ("TEE", 3, "30.00"),
    ]


def test_sales_by_week_and_month_fill_empty_periods_and_filter_by_channel(
    owner: Any, client_for: Any
) -> None:
    _shop(owner.tenant)
    sell(owner.tenant, "OLD", 1, "99.00", days_ago=40, channel="trendyol:9")
    client = client_for(owner)

    weekly = _data(client.get("/api/reports/sales", {"from": "2026-10-01", "to": "2026-11-20", "group_by": "week",
                                                    "channel": "trendyol:9"}))  # fmt: skip
    monthly = _data(
        client.get("/api/reports/sales", {"from": "2026-10-01", "to": "2026-11-20", "group_by": "month"})
    )

    assert weekly["series"][0]["period"] == "2026-09-28"  # the Monday of the first week
    assert [p["period"] for p in weekly["series"] if p["orders"]] == ["2026-10-05", "2026-11-16"]
    assert weekly["totals"]["orders"] == 3 and weekly["totals"]["net"] == "139.00"
    assert [(p["period"], p["orders"]) for p in monthly["series"]] == [("2026-10-01", 1), ("2026-11-01", 4)]


def test_another_tenants_orders_never_show(owner: Any, other_owner: Any, client_for: Any) -> None:
    _shop(other_owner.tenant)
    sell(owner.tenant, "MINE", 1, "1.00")

    data = _data(client_for(owner).get("/api/reports/sales", {"channel": "trendyol:9"}))
    mine = _data(client_for(owner).get("/api/reports/sales"))

    assert data["totals"]["orders"] == 0 and data["top_products"] == []
    assert mine["totals"]["orders"] == 1 and [t["sku"] for t in mine["top_products"]] == ["MINE"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"from": "2026-11-21", "to": "2026-11-20"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2020-01-01", "to": "2026-11-20"}, "to"),
        ({"group_by": "year"}, "group_by"),
        ({"format": "pdf"}, "format"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_field(
    owner: Any, client_for: Any, params: dict, field: str
) -> None:
    response = client_for(owner).get("/api/reports/sales", params)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert field in response.json()["error"]["details"]


def test_who_may_read_reports(
    viewer: Any, anon_client: Any, client_for: Any, make_api_key: Any, key_client: Any
) -> None:
    _key, full = make_api_key(viewer.tenant, scopes=["catalog:read", "orders:read"])

    assert client_for(viewer).get("/api/reports/inventory").status_code == 200
    assert anon_client.get("/api/reports/sales").status_code == 401
    assert key_client(full).get("/api/reports/sales").status_code == 403


def test_csv_and_xlsx_downloads_carry_the_api_figures(owner: Any, client_for: Any) -> None:
    _shop(owner.tenant)
    client = client_for(owner)
    params = {"from": "2026-11-18", "to": "2026-11-20"}
    data = _data(client.get("/api/reports/sales", params))

    as_csv = client.get("/api/reports/sales", {**params, "format": "csv"})
    as_xlsx = client.get("/api/reports/sales", {**params, "format": "xlsx"})

    assert as_csv["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="sales-report.csv"' in as_csv["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[1] == [
        "period",
        "orders",
        "units",
        "gross",
        "discounts",
        "refunds",
        "net",
        "average_order_value",
    ]
    assert rows[2:5] == [[p["period"], str(p["orders"]), str(p["units"]), p["gross"], p["discounts"], p["refunds"],
                          p["net"], p["average_order_value"]] for p in data["series"]]  # fmt: skip
    book = openpyxl.load_workbook(io.BytesIO(as_xlsx.content))
    assert book.sheetnames == ["Sales by day", "Totals", "Channels", "Top products"]
    _header, *series = list(book["Sales by day"].values)
    assert [(row[0].date().isoformat(), row[1], Decimal(str(row[6]))) for row in series] == [
        (p["period"], p["orders"], Decimal(p["net"])) for p in data["series"]
    ]
    totals = dict(zip(*list(book["Totals"].values), strict=True))
    assert Decimal(str(totals["net"])) == Decimal(data["totals"]["net"])
    assert Decimal(str(totals["average_order_value"])) == Decimal(data["totals"]["average_order_value"])


def test_performance_per_marketplace_account(owner: Any, other_owner: Any, client_for: Any) -> None:
    tenant = owner.tenant
    account = MarketplaceAccount.objects.create(tenant=tenant, marketplace="trendyol", name="TY", seller_id="1",
                                                base_url="https://ty.example.com")  # fmt: skip
    idle = MarketplaceAccount.objects.create(tenant=tenant, marketplace="trendyol", name="Idle", seller_id="2",
                                             base_url="https://ty.example.com")  # fmt: skip
    MarketplaceAccount.objects.create(tenant=other_owner.tenant, marketplace="trendyol", name="Theirs",
                                      seller_id="3", base_url="https://ty.example.com")  # fmt: skip
    now = timezone.now()
    for state, seconds in (("succeeded", 10), ("succeeded", 20), ("failed", 30), ("running", None)):
        SyncJob.objects.create(tenant=tenant, account=account, kind="stock_price", state=state,
                               started_at=now - timedelta(seconds=60),
                               finished_at=now - timedelta(seconds=60 - seconds) if seconds else None)  # fmt: skip
    for sku, status in (("A", "synced"), ("B", "error"), ("C", "error")):
        product = products.create_product(
            tenant.pk, data={"title": sku}, variants=[{"sku": sku, "price": "1.00"}]
        )
        Listing.objects.create(
            tenant=tenant,
            account=account,
            variant=product.variants.get(),
            status=status,
            last_error="Refused." if status == "error" else "",
        )
    sell(tenant, "A", 1, "15.00", channel=f"trendyol:{account.pk}", now=today_noon())
    sell(tenant, "A", 1, "15.00", channel=f"trendyol:{account.pk}", days_ago=1, now=today_noon())
    endpoint = WebhookEndpoint.objects.create(tenant=tenant, url="https://hook.example.com", secret="s")
    for state in ("succeeded", "succeeded", "succeeded", "failed", "pending"):
        WebhookDelivery.objects.create(tenant=tenant, endpoint=endpoint, event_type="order.created", body="{}",
                                       state=state)  # fmt: skip

    data = _data(client_for(owner).get("/api/reports/performance"))

    mine = {row["name"]: row for row in data["accounts"]}
    assert set(mine) == {"TY", "Idle"}
    row = mine["TY"]
    assert (row["sync_jobs"], row["sync_succeeded"], row["sync_failed"], row["sync_success_rate"]) == (
        4,
        2,
        1,
        "66.7",
    )
    assert row["average_sync_seconds"] == 20.0
    assert row["last_success_at"] is not None
    assert (row["listings"], row["listings_in_error"], row["orders_imported"], row["net_revenue"]) == (
        3,
        2,
        2,
        "30.00",
    )
    assert mine["Idle"]["sync_success_rate"] is None and mine["Idle"]["orders_imported"] == 0
    assert idle.pk == mine["Idle"]["account_id"]
    assert data["webhooks"] == {"deliveries": 5, "succeeded": 3, "failed": 1, "success_rate": "75.0"}


def test_inventory_values_low_stock_out_of_stock_and_days_of_cover(
    owner: Any, other_owner: Any, client_for: Any, stocked: Any, settings: Any
) -> None:
    settings.LOW_STOCK_THRESHOLD = 5
    tenant = owner.tenant
    plenty = stocked(tenant, "PLENTY", qty=100, price="10.00", cost="4.00")
    low = stocked(tenant, "LOW", qty=4, price="20.00", cost="8.00")
    own_threshold = stocked(tenant, "OWN", qty=8, price="5.00")
    Variant.objects.filter(pk=own_threshold.pk).update(low_stock_threshold=10)
    stocked(tenant, "GONE", qty=0, price="1.00")
    stocked(other_owner.tenant, "THEIRS", qty=1, price="1.00")
    second = Warehouse.objects.create(tenant=tenant, code="second", name="Second")
    stock.adjust(tenant.pk, plenty.pk, delta=20, warehouse_id=second.pk)
    for days_ago in range(3):  # 30 LOW a month: one a day
        sell(tenant, "LOW", 10, "20.00", days_ago=days_ago * 10 + 1, now=today_noon())

    data = _data(client_for(owner).get("/api/reports/inventory"))

    totals = data["totals"]
    assert (totals["variants"], totals["on_hand"], totals["low_stock"], totals["out_of_stock"]) == (
        4,
        132,
        2,
        1,
    )
    assert totals["value_at_cost"] == "512.00"  # 120 × 4 + 4 × 8
    assert totals["value_at_price"] == "1320.00"  # 120 × 10 + 4 × 20 + 8 × 5
    assert sorted((w["code"] == "second", w["on_hand"]) for w in data["warehouses"]) == [
        (False, 112),
        (True, 20),
    ]
    by_sku = {row["sku"]: row for row in data["low_stock"]}
    assert set(by_sku) == {"LOW", "OWN"}
    assert by_sku["OWN"]["threshold"] == 10 and by_sku["LOW"]["threshold"] == 5
    assert by_sku["LOW"]["sold_last_30_days"] == 30 and by_sku["LOW"]["days_of_cover"] == "4.0"
    assert by_sku["OWN"]["days_of_cover"] is None
    assert [row["sku"] for row in data["out_of_stock"]] == ["GONE"]
    assert low.pk == by_sku["LOW"]["variant_id"] and own_threshold.pk == by_sku["OWN"]["variant_id"]


def test_a_client_that_accepts_no_json_gets_a_406_and_a_bad_format_a_400(owner: Any, client_for: Any) -> None:
    client = client_for(owner)

    assert client.get("/api/reports/inventory", HTTP_ACCEPT="application/xml").status_code == 406
    assert client.get("/api/reports/inventory", {"format": ""}).status_code == 200
    assert client.get("/api/reports/inventory", {"format": "html"}).status_code == 400


def test_the_json_answers_are_what_their_documented_serializers_give(owner: Any, stocked: Any) -> None:
    _shop(owner.tenant)
    stocked(owner.tenant, "LOW", qty=2, price="3.00", cost="1.10")
    MarketplaceAccount.objects.create(tenant=owner.tenant, marketplace="trendyol", name="TY", seller_id="1",
                                      base_url="https://ty.example.com")  # fmt: skip
    SyncJob.objects.create(tenant=owner.tenant, account=MarketplaceAccount.objects.get(), kind="orders",
                           state="succeeded", started_at=timezone.now(), finished_at=timezone.now())  # fmt: skip
    for kind, serializer in (("sales", SalesReportSerializer), ("performance", PerformanceReportSerializer),
                             ("inventory", InventoryReportSerializer)):  # fmt: skip
        report = build_report(kind, owner.tenant.pk, start="2026-11-01", end="2026-11-30", group_by="week")
        assert plain(report) == serializer(report).data, kind


def test_an_operator_sets_a_variants_own_low_stock_threshold_through_the_api(
    owner: Any, client_for: Any, stocked: Any, settings: Any
) -> None:
    settings.LOW_STOCK_THRESHOLD = 5
    variant = stocked(owner.tenant, "CUPS", qty=8, price="5.00")
    api = client_for(owner)
    assert _data(api.get("/api/reports/inventory"))["totals"]["low_stock"] == 0

    refused = api.put(
        f"/api/products/{variant.product_id}",
        {"variants": [{"sku": "CUPS", "price": "5.00", "low_stock_threshold": -1}]},
        format="json",
    )
    assert refused.status_code == 400
    variant.refresh_from_db()
    assert variant.low_stock_threshold is None

    changed = api.put(
        f"/api/products/{variant.product_id}",
        {"variants": [{"sku": "CUPS", "price": "5.00", "low_stock_threshold": 10}]},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["data"]["variants"][0]["low_stock_threshold"] == 10
    assert _data(api.get("/api/reports/inventory"))["totals"]["low_stock"] == 1
