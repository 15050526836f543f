"""Ozon: the adapter against its sandbox over HTTP, and the rules that cost a seller when
broken — at most 100 products an import and the day's quota read first, prices as text,
partial failures inside a 200, offset paging of postings, and one stock update per item
and warehouse every 2 minutes (asserted on what the sandbox received)."""

from collections import Counter
from decimal import Decimal
from typing import Any

import httpx
import pytest

from catalog.services import stock as stock_services
from marketplaces import services
from marketplaces.adapters.base import ITEM_FAILED, ITEM_SUCCESS, AccountConfig, ListingItem, StockPriceItem
from marketplaces.adapters.ozon import OzonAdapter
from marketplaces.client import MarketplaceError
from marketplaces.models import Listing, SyncJob, SyncState
from marketplaces.sandbox.ozon import OzonSandbox
from marketplaces.sandbox.ozon_data import WAREHOUSES
from orders.models import Order
from tests.marketplaces.contract.conftest import contract_world, let_the_stock_interval_pass
from tests.marketplaces.contract.kit_ozon import API_KEY, CLIENT_ID, OzonKit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_sync")]
WAREHOUSE = WAREHOUSES[0]["warehouse_id"]


@pytest.fixture
def sandbox() -> Any:
    sb = OzonSandbox(CLIENT_ID, API_KEY, rate_limits=False).start()
    yield sb
    sb.stop()


def adapter(sandbox: OzonSandbox, **options: Any) -> OzonAdapter:
    return OzonAdapter(AccountConfig(
        "ozon", CLIENT_ID, api_key=API_KEY, api_secret="", base_url=sandbox.base_url, rate_limit="",
        credentials={"client_id": CLIENT_ID, "api_key": API_KEY}, options={"warehouse_id": WAREHOUSE, **options},
    ))  # fmt: skip


def item(n: int, **changes: Any) -> ListingItem:
    data = {"barcode": f"OZ-{n:04d}", "sku": f"OZ-{n:04d}", "title": f"Футболка {n}", "group_code": "P1",
            "brand_id": None, "category_id": None, "category_code": "200000933:93244", "quantity": 5,
            "list_price": Decimal("249.90"), "sale_price": Decimal("199.90"),
            "attributes": OzonAdapter.mapping_attributes(None, {"85": "Acme", "10096": 61574, "4295": "48"})}  # fmt: skip
    return ListingItem(**{**data, **changes})


def listed(sandbox: OzonSandbox, count: int) -> OzonAdapter:
    ozon = adapter(sandbox)
    for handle in ozon.push_listings([item(n) for n in range(count)]):
        assert all(r.status == ITEM_SUCCESS for r in ozon.wait_for_batch(handle, interval=0.01).items)
    return ozon


def test_connection_checks_the_keys_and_the_warehouse(sandbox: OzonSandbox):
    adapter(sandbox).test_connection()
    wrong = OzonAdapter(AccountConfig("ozon", CLIENT_ID, api_key="wrong", api_secret="", base_url=sandbox.base_url,
                                      rate_limit="", credentials={"client_id": CLIENT_ID, "api_key": "wrong"}))
    with pytest.raises(MarketplaceError) as refused:
        wrong.test_connection()
    assert refused.value.status == 403 and "Invalid Api-Key" in refused.value.errors[0]
    with pytest.raises(MarketplaceError, match="no warehouse 42"):
        adapter(sandbox, warehouse_id=42).test_connection()
    assert "wrong" not in repr(wrong.config)


def test_imports_go_in_tasks_of_at_most_100_and_the_quota_is_read_first(sandbox: OzonSandbox):
    answer = httpx.post(sandbox.base_url + "/v3/product/import", json={"items": [{}] * 101},
                        headers={"Client-Id": CLIENT_ID, "Api-Key": API_KEY})
    assert answer.status_code == 400 and answer.json()["code"] == 3

    listed(sandbox, 230)

    imports = [r for r in sandbox.requests_to("POST", "/v3/product/import") if r.status == 200]
    assert [len(r.body["items"]) for r in imports] == [100, 100, 30]
    assert sandbox.requests[1].path == "/v4/product/info/limit"  # before the first import
    assert all(isinstance(p["price"], str) and p["old_price"] == "249.90" for r in imports for p in r.body["items"])
    assert sandbox.product("OZ-0229")["state"] == "price_sent"


def test_items_beyond_the_daily_quota_are_held_back_not_sent(sandbox: OzonSandbox):
    sandbox.quota["daily_create"] = 3
    ozon = adapter(sandbox)
    results = [r for h in ozon.push_listings([item(n) for n in range(5)])
               for r in ozon.wait_for_batch(h, interval=0.01).items]  # fmt: skip

    assert sorted(r.key for r in results if r.status == ITEM_SUCCESS) == ["OZ-0000", "OZ-0001", "OZ-0002"]
    held = [r for r in results if r.status == ITEM_FAILED]
    assert len(held) == 2 and "daily limit" in held[0].errors[0]
    assert sum(len(r.body["items"]) for r in sandbox.requests_to("POST", "/v3/product/import")) == 3


def test_a_bad_card_is_refused_by_ozon_with_its_reason(sandbox: OzonSandbox):
    ozon = adapter(sandbox)
    [handle] = ozon.push_listings([item(1, attributes=[]), item(2)])
    result = ozon.wait_for_batch(handle, interval=0.01)
    by_key = {r.key: r for r in result.items}
    assert by_key["OZ-0002"].status == ITEM_SUCCESS
    assert by_key["OZ-0001"].status == ITEM_FAILED
    assert any("attribute 10096" in e for e in by_key["OZ-0001"].errors)

    [local] = ozon.push_listings([item(3, category_code="600")])
    refused = ozon.poll_batch(local).items[0]
    assert refused.status == ITEM_FAILED and "category:type" in refused.errors[0]


def test_prices_go_as_text_and_partial_failures_come_back_per_item(sandbox: OzonSandbox):
    answer = httpx.post(sandbox.base_url + "/v1/product/import/prices",
                        json={"prices": [{"offer_id": "X", "price": 100}]},
                        headers={"Client-Id": CLIENT_ID, "Api-Key": API_KEY})  # fmt: skip
    assert answer.status_code == 400
    ozon = listed(sandbox, 3)
    sandbox.reject_items(["OZ-0001"], "Товар заблокирован")

    [handle] = ozon.push_stock_prices([
        StockPriceItem("OZ-0000", quantity=7, sale_price=Decimal("150"), list_price=Decimal("150")),
        StockPriceItem("OZ-0001", quantity=7, sale_price=Decimal("150")),
        StockPriceItem("NOPE", quantity=7),
    ])  # fmt: skip
    results = {r.key: r for r in ozon.poll_batch(handle).items}

    assert results["OZ-0000"].status == ITEM_SUCCESS
    assert results["OZ-0001"].errors == ["Товар заблокирован"]
    assert results["NOPE"].errors == ["Product not found"]
    assert sandbox.stock("OZ-0000") == 7 and sandbox.product("OZ-0000")["price"] == "150.00"
    [prices] = [r for r in sandbox.requests_to("POST", "/v1/product/import/prices") if r.status == 200]
    assert prices.body["prices"][0] == {"offer_id": "OZ-0000", "price": "150.00", "old_price": "0",
                                         "currency_code": "RUB"}  # fmt: skip


def test_stock_goes_in_calls_of_at_most_100_pairs_and_an_item_once_a_call(sandbox: OzonSandbox):
    ozon = listed(sandbox, 150)
    items = [StockPriceItem(f"OZ-{n:04d}", quantity=n) for n in range(150)]
    [handle] = ozon.push_stock_prices([*items, StockPriceItem("OZ-0000", quantity=99)])

    assert all(r.status == ITEM_SUCCESS for r in ozon.poll_batch(handle).items)
    calls = sandbox.requests_to("POST", "/v2/products/stocks")
    assert [len(c.body["stocks"]) for c in calls] == [100, 50]
    assert Counter(p["offer_id"] for c in calls for p in c.body["stocks"])["OZ-0000"] == 1
    assert sandbox.stock("OZ-0000") == 99
    assert {p["warehouse_id"] for c in calls for p in c.body["stocks"]} == {WAREHOUSE}


def test_one_stock_update_per_item_and_warehouse_every_two_minutes(sandbox: OzonSandbox, make_tenant: Any):
    world = contract_world(OzonKit(), sandbox, make_tenant("acme"), products=4)
    services.run_job(services.request_sync(world.account, "catalog", actor="test", enqueue=False).pk, worker="w")
    [follow_up] = SyncJob.objects.filter(account=world.account, state=SyncState.QUEUED)
    services.run_job(follow_up.pk, worker="w")  # the new products' stock, right after the import
    variant = world.variants()[0]

    def updates() -> int:
        return sum(1 for r in sandbox.requests_to("POST", "/v2/products/stocks")
                   for p in r.body["stocks"] if p["offer_id"] == variant.sku)  # fmt: skip

    assert updates() == 1 and sandbox.stock(variant.sku) == 50
    stock_services.adjust(world.tenant.pk, variant.pk, delta=-5, actor="test")
    services.mark_stock_changed(world.tenant.pk, variant_ids={variant.pk})
    early = services.request_sync(world.account, "stock_price", actor="test", enqueue=False)
    services.run_job(early.pk, worker="w")

    assert updates() == 1  # held back: Ozon would refuse it inside the 2 minutes
    [later] = SyncJob.objects.filter(account=world.account, state=SyncState.QUEUED)
    assert Listing.objects.get(account=world.account, variant=variant).pushed_quantity == 50
    refused = [p for r in sandbox.requests_to("POST", "/v2/products/stocks") for p in r.body["stocks"]]
    assert len(refused) == 20  # every pair sent once

    let_the_stock_interval_pass(world)
    assert services.run_job(later.pk, worker="w") == SyncState.SUCCEEDED
    assert updates() == 2 and sandbox.stock(variant.sku) == 45


def test_postings_are_paged_by_offset_and_shipped_back(sandbox: OzonSandbox, make_tenant: Any):
    world = contract_world(OzonKit(), sandbox, make_tenant("acme"), products=4,
                           adapter_options={"page_size": 100})  # fmt: skip
    services.run_job(services.request_sync(world.account, "catalog", actor="test", enqueue=False).pk, worker="w")
    numbers = sandbox.add_postings(250, [v.sku for v in world.variants()])

    pull = services.request_sync(world.account, "orders", actor="test", enqueue=False)
    assert services.run_job(pull.pk, worker="w") == SyncState.SUCCEEDED

    pages = sandbox.requests_to("POST", "/v3/posting/fbs/list")
    assert [p.body["offset"] for p in pages] == [0, 100, 200]
    assert all(p.body["filter"]["since"].endswith("Z") and p.body["filter"]["to"] for p in pages)
    orders = Order.objects.filter(tenant=world.tenant, channel=f"ozon:{world.account.pk}")
    assert orders.count() == 250
    order = orders.get(external_id=numbers[0])
    assert order.marketplace_status == "awaiting_packaging" and order.status == "pending"

    ozon = adapter(sandbox)
    posting = ozon.fetch_order(numbers[0])
    ozon.push_order_status(posting, "awaiting_deliver")
    assert sandbox.posting(numbers[0])["status"] == "awaiting_deliver"
    with pytest.raises(MarketplaceError) as refused:
        ozon.push_order_status(posting, "awaiting_deliver")
    assert refused.value.errors == ["POSTING_ALREADY_SHIPPED"]
    assert ozon.fetch_order("0000-nope") is None


def test_the_category_tree_has_product_types_as_leaves(sandbox: OzonSandbox):
    ozon = adapter(sandbox)
    leaves = {c.id: c.name for root in ozon.fetch_categories() for c in root.walk() if c.is_leaf}
    assert leaves["200000933:93244"] == "Футболка" and len(leaves) == 4
    attributes = {a.id: a for a in ozon.fetch_category_attributes("200000933:93244")}
    assert attributes[10096].required and attributes[10096].allow_multiple and not attributes[10096].allow_custom


def test_a_stock_change_sends_no_price_and_a_price_change_does(sandbox: OzonSandbox, make_tenant: Any):
    world = contract_world(OzonKit(), sandbox, make_tenant("acme"), products=2)
    services.run_job(services.request_sync(world.account, "catalog", actor="test", enqueue=False).pk, worker="w")
    for job in SyncJob.objects.filter(account=world.account, state=SyncState.QUEUED):
        services.run_job(job.pk, worker="w")
    first, second = world.variants()[:2]

    def prices_sent() -> list[str]:
        return [p["offer_id"] for r in sandbox.requests_to("POST", "/v1/product/import/prices") for p in r.body["prices"]]

    before = len(prices_sent())
    let_the_stock_interval_pass(world)
    stock_services.adjust(world.tenant.pk, first.pk, delta=-2, actor="test")
    first.price = Decimal("149.90")
    first.save(update_fields=["price"])
    stock_services.adjust(world.tenant.pk, second.pk, delta=-2, actor="test")
    services.mark_stock_changed(world.tenant.pk, variant_ids={first.pk, second.pk})
    job = services.request_sync(world.account, "stock_price", actor="test", enqueue=False)
    assert services.run_job(job.pk, worker="w") == SyncState.SUCCEEDED

    assert prices_sent()[before:] == [first.sku]  # only the repriced variant's price went out
    assert sandbox.stock(first.sku) == sandbox.stock(second.sku) == 48
    assert sandbox.product(first.sku)["price"] == "149.90"
