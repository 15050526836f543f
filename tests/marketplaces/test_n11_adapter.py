"""The N11 adapter against its sandbox over HTTP (no mocks), asserting on what the sandbox
received: the appkey/appsecret headers and the integrator, tasks of at most 1,000 SKUs
polled page by page, the price rules enforced before anything is sent, shipment packages
pulled one status at a time in windows of at most a month, and the Picking push."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import pytest

from marketplaces.adapters.base import (
    CANCELLED,
    ITEM_FAILED,
    ITEM_SUCCESS,
    PENDING,
    PROCESSING,
    AccountConfig,
    ListingItem,
    StockPriceItem,
)
from marketplaces.adapters.n11 import N11Adapter
from marketplaces.client import MarketplaceError
from marketplaces.sandbox.n11 import N11Sandbox

KEY, SECRET = "n11-key-Q7", "n11-secret-W3"
TSHIRT = 1001011
MONTH_MS = 30 * 24 * 3600 * 1000

pytestmark = pytest.mark.usefixtures("fast_sync")


@pytest.fixture
def sandbox() -> Iterator[N11Sandbox]:
    sb = N11Sandbox(app_key=KEY, app_secret=SECRET).start()
    yield sb
    sb.stop()


def make_adapter(sandbox: N11Sandbox, secret: str = SECRET, **options: Any) -> N11Adapter:
    config = AccountConfig("n11", "shop", "", "", base_url=sandbox.base_url, rate_limit="",
                           credentials={"app_key": KEY, "app_secret": secret},
                           options={"shipment_template": "Standart Kargo", **options})  # fmt: skip
    return N11Adapter(config)


@pytest.fixture
def adapter(sandbox: N11Sandbox) -> Iterator[N11Adapter]:
    with make_adapter(sandbox) as a:
        yield a


def listing(code: str, list_price: Any = Decimal("249.90"), sale_price: Any = Decimal("199.90"),
            **overrides: Any) -> ListingItem:  # fmt: skip
    item = ListingItem(barcode=code, sku=code, title=f"Pamuk tişört {code}", group_code="P1", brand_id=8400002,
                       category_id=TSHIRT, quantity=7, list_price=list_price, sale_price=sale_price,
                       attributes=[{"id": 429, "valueId": 8773701, "customValue": None},
                                   {"id": 430, "valueId": 8800002, "customValue": None}])  # fmt: skip
    for name, value in overrides.items():
        setattr(item, name, value)
    return item


def results(adapter: N11Adapter, handles: list) -> dict[str, Any]:
    found = {}
    for handle in handles:
        result = adapter.poll_batch(handle)
        assert result.done
        found.update({item.key: item for item in result.items})
    return found


def sent_stock_codes(sandbox: N11Sandbox) -> set[str]:
    return {sku["stockCode"] for r in sandbox.requests if isinstance(r.body, dict) and "payload" in r.body
            for sku in r.body["payload"]["skus"]}  # fmt: skip


def test_connection_works_and_bad_credentials_are_reported_without_the_secret(sandbox: N11Sandbox,
                                                                              adapter: N11Adapter):  # fmt: skip
    adapter.test_connection()
    with make_adapter(sandbox, secret="wrong-secret-9") as bad, pytest.raises(MarketplaceError) as caught:
        bad.test_connection()
    assert caught.value.status == 401 and not caught.value.retryable
    assert "wrong-secret-9" not in caught.value.message and "wrong-secret-9" not in str(caught.value.body)


def test_every_call_carries_the_appkey_the_secret_except_on_the_cdn_and_the_integrator(sandbox: N11Sandbox):
    with make_adapter(sandbox, integrator="Acme Entegrasyon") as adapter:
        adapter.fetch_categories()
        results(adapter, adapter.push_listings([listing("A")]))
        results(adapter, adapter.push_stock_prices([StockPriceItem("A", quantity=2, sku="A")]))
    assert all(r.header("appkey") == KEY for r in sandbox.requests)
    assert [r.header("appsecret") for r in sandbox.requests_to(path_contains="/cdn/")] == [None]
    assert all(r.header("appsecret") == SECRET for r in sandbox.requests if not r.path.startswith("/cdn/"))
    assert {t["integrator"] for t in sandbox.tasks()} == {"Acme Entegrasyon"}
    with make_adapter(sandbox) as default:
        results(default, default.push_stock_prices([StockPriceItem("A", quantity=1, sku="A")]))
    assert sandbox.tasks()[-1]["integrator"] == "MesChain"


def test_price_rules_are_checked_before_sending_and_broken_items_never_reach_n11(sandbox: N11Sandbox,
                                                                                 adapter: N11Adapter):  # fmt: skip
    """The issue's proof for N11: listPrice ≥ salePrice and exactly two decimals."""
    items = [listing("OK", Decimal("249.9"), 199), listing("LOW", Decimal("100.00"), Decimal("199.90")),
             listing("FINE", 250.0, 0.1 + 0.2)]  # fmt: skip
    found = results(adapter, adapter.push_listings(items))

    assert found["OK"].status == ITEM_SUCCESS
    assert found["LOW"].status == ITEM_FAILED and "N11 requires listPrice ≥ salePrice" in found["LOW"].errors[0]
    assert found["FINE"].errors == ["salePrice 0.30000000000000004 has more than two decimals; N11 takes exactly two."]
    assert sent_stock_codes(sandbox) == {"OK"}  # the refused items were never sent
    [sent] = sandbox.tasks()[0]["skus"]
    assert (sent["listPrice"], sent["salePrice"], sent["currencyType"]) == (Decimal("249.90"), Decimal("199.00"), "TL")
    assert sent["listPrice"].as_tuple().exponent == sent["salePrice"].as_tuple().exponent == -2

    updates = [StockPriceItem("OK", quantity=3, sale_price=Decimal("150"), list_price=Decimal("149.99")),
               StockPriceItem("OK", quantity=4, sale_price=Decimal("150"), list_price=None),
               StockPriceItem("STOCK", quantity=5)]  # fmt: skip
    stock = results(adapter, adapter.push_stock_prices(updates))
    assert stock["OK"].errors == ["N11 needs the list price and the sale price together."]  # the last one wins
    assert stock["STOCK"].status == ITEM_FAILED  # sent (stock only), but N11 does not know it
    assert sandbox.stock("OK") == 7 and sent_stock_codes(sandbox) == {"OK", "STOCK"}
    assert [s["stockCode"] for s in sandbox.tasks()[-1]["skus"]] == ["STOCK"]


def test_a_task_n11_rejects_as_a_whole_fails_every_item_with_n11s_reasons(sandbox: N11Sandbox,
                                                                          adapter: N11Adapter):  # fmt: skip
    smuggled = listing("B", extra={"listPrice": Decimal("99.9")})  # bypasses the adapter's own checks
    found = results(adapter, adapter.push_listings([listing("A"), smuggled]))

    assert {found["A"].status, found["B"].status} == {ITEM_FAILED}
    assert found["A"].errors == ["B: listPrice must be a number with exactly two decimals and a dot (e.g. 249.90)."]
    assert sandbox.products() == {}


def test_listings_go_in_tasks_of_at_most_1000_skus_polled_page_by_page(sandbox: N11Sandbox):
    items = [listing(f"S{i:04d}") for i in range(2500)]
    with make_adapter(sandbox, task_page_size=400) as adapter:
        handles = adapter.push_listings(items)
        found = results(adapter, handles)

    creates = sandbox.requests_to("POST", "/tasks/product-create")
    assert [len(r.body["payload"]["skus"]) for r in creates] == [1000, 1000, 500]
    assert len(handles) == 3 and all(h.kind == "listings" for h in handles)
    pages = [r.body["pageable"] for r in sandbox.requests_to("POST", "/task-details/page-query")]
    assert pages == [{"page": p, "size": 400} for p in (0, 1, 2)] * 2 + [{"page": 0, "size": 400},
                                                                         {"page": 1, "size": 400}]
    assert len(found) == 2500 and {r.status for r in found.values()} == {ITEM_SUCCESS}
    assert len(sandbox.products()) == 2500


def test_per_item_failures_keep_n11s_reasons_and_queued_tasks_are_not_done(sandbox: N11Sandbox,
                                                                           adapter: N11Adapter):  # fmt: skip
    sandbox.reject_items(["R"], "Bu ürün satışa uygun değil.")
    sandbox.batch_delay = 30
    items = [listing("A"), listing("R"), listing("M", attributes=[{"id": 429, "valueId": 8773701}])]
    handles = adapter.push_listings(items)
    queued = adapter.poll_batch(handles[0])
    assert not queued.done and {i.status for i in queued.items} == {"pending"}

    sandbox.advance_clock(31)
    found = results(adapter, handles)
    assert found["A"].status == ITEM_SUCCESS
    assert found["R"].errors == ["Bu ürün satışa uygun değil."]
    assert found["M"].errors == ["Attribute Beden is mandatory."]
    sandbox.batch_delay = 0
    again = results(adapter, adapter.push_listings([listing("A")]))
    assert adapter.is_already_listed(again["A"])


def test_content_updates_go_through_product_update(sandbox: N11Sandbox, adapter: N11Adapter):
    results(adapter, adapter.push_listings([listing("A")]))
    changed = listing("A", description="Yeni açıklama", vat_rate=10)
    assert adapter.content_hash(changed) != adapter.content_hash(listing("A"))
    described = listing("A", description="Pamuk")  # REST cannot change titles: not part of the hash
    assert adapter.content_hash(listing("A", description="Pamuk", title="Another")) == adapter.content_hash(described)

    found = results(adapter, adapter.update_listings([changed]))
    assert found["A"].status == ITEM_SUCCESS
    assert sandbox.products()["A"]["description"] == "Yeni açıklama" and sandbox.products()["A"]["vatRate"] == 10
    assert sandbox.tasks()[-1]["type"] == "PRODUCT_UPDATE"


def _package_queries(sandbox: N11Sandbox) -> list[dict[str, str]]:
    return [{k: v[-1] for k, v in parse_qs(r.query).items()}
            for r in sandbox.requests_to("GET", "/shipmentPackages")]  # fmt: skip


def test_orders_are_pulled_one_status_a_call_in_windows_of_a_month_every_page_from_zero(sandbox: N11Sandbox):
    now = sandbox.now()
    day = 24 * 3600
    created = sandbox.add_packages(150, ["A", "B"], created_at=now - 70 * day, interval=day * 70 / 150)
    picking = sandbox.add_packages(60, ["C"], status="Picking", created_at=now - 20 * day, interval=600)
    cancelled = sandbox.add_packages(40, ["A"], status="Cancelled", created_at=now - 5 * day, interval=60)
    since = datetime.fromtimestamp(now, UTC) - timedelta(days=75)
    with make_adapter(sandbox, order_page_size=20) as adapter:
        pull = adapter.fetch_orders(since, overlap=timedelta(0))

    by_id = {o.external_id: o for o in pull.orders}
    assert len(pull.orders) == 250 and set(by_id) == {str(i) for i in created + picking + cancelled}
    assert {by_id[str(i)].status for i in created} == {PENDING}
    assert {by_id[str(i)].status for i in picking} == {PROCESSING}
    assert {by_id[str(i)].status for i in cancelled} == {CANCELLED}
    queries = _package_queries(sandbox)
    assert pull.requests == len(queries) > 27  # 3 windows × 9 statuses, plus the extra pages
    assert all(int(q["endDate"]) - int(q["startDate"]) <= MONTH_MS and "," not in q["status"] for q in queries)
    assert all(q["orderByDirection"] == "ASC" and int(q["size"]) == 20 for q in queries)
    firsts: dict[tuple[str, str], str] = {}
    for q in queries:
        firsts.setdefault((q["status"], q["endDate"]), q["page"])
    assert set(firsts.values()) == {"0"} and len(firsts) == 27
    line = by_id[str(created[0])].lines[0]
    assert (line.barcode, line.merchant_sku, line.quantity > 0) == ("A", "A", True)


def test_a_long_pull_starts_at_november_2024_and_is_cut_into_months(sandbox: N11Sandbox, adapter: N11Adapter):
    until = datetime(2025, 3, 1, tzinfo=UTC)
    adapter.order_statuses = ("Created",)
    adapter.fetch_orders(datetime(2023, 1, 1, tzinfo=UTC), until)

    queries = _package_queries(sandbox)
    starts = [int(q["startDate"]) for q in queries]
    assert starts[0] == int(datetime(2024, 11, 1, tzinfo=UTC).timestamp() * 1000)
    assert len(queries) == 4 and int(queries[-1]["endDate"]) == int(until.timestamp() * 1000)
    assert all(int(b) == int(a["endDate"]) + 1 for a, b in zip(queries, starts[1:], strict=False))


def test_processing_pushes_picking_for_the_created_lines(sandbox: N11Sandbox, adapter: N11Adapter):
    [package_id] = sandbox.add_packages(1, ["A", "B"], lines_per_package=2)
    order = adapter.fetch_order(str(package_id))
    assert order is not None and order.status == PENDING
    assert adapter.seller_status_for(PROCESSING) == "Picking" and adapter.seller_status_for(CANCELLED) is None
    assert adapter.has_reached("Picking", "Shipped") and not adapter.has_reached("Picking", "Created")

    adapter.push_order_status(order, "Picking")
    [put] = sandbox.requests_to("PUT", "/rest/order/v1/update")
    assert put.body == {"lines": [{"lineId": int(line.line_id)} for line in order.lines], "status": "Picking"}
    assert sandbox.package(package_id)["shipmentPackageStatus"] == "Picking"
    adapter.push_order_status(adapter.fetch_order(str(package_id)), "Picking")  # nothing left to move
    assert sandbox.count_requests("PUT") == 1

    sandbox.set_package_status(package_id, "Shipped")
    with pytest.raises(MarketplaceError) as caught:
        adapter.push_order_status(order, "Picking")  # stale: the lines were Created when fetched
    assert "only Created lines can move to Picking" in caught.value.message
    assert adapter.fetch_order("12345") is None


def test_categories_and_attributes(adapter: N11Adapter):
    roots = adapter.fetch_categories()
    leaves = {c.id: c for root in roots for c in root.walk() if c.is_leaf}
    assert leaves[TSHIRT].name == "Tişört" and leaves[TSHIRT].parent_id == 1001000
    attributes = {a.name: a for a in adapter.fetch_category_attributes(TSHIRT)}
    assert attributes["Marka"].required and attributes["Marka"].allow_custom and attributes["Beden"].varianter
    assert {"id": 8800002, "name": "M"} in attributes["Beden"].values
    assert adapter.mapping_attributes({"430": 8800002, "431": "Organik pamuk"}) == [
        {"id": 430, "valueId": 8800002, "customValue": None}, {"id": 431, "valueId": None, "customValue": "Organik pamuk"}]
    assert N11Adapter.listing_key("8690000000001", "TEE-1") == "TEE-1"


def test_throttling_server_errors_and_dropped_connections_are_retried(sandbox: N11Sandbox, settings: Any):
    settings.MARKETPLACE_HTTP_MAX_ATTEMPTS = 10
    sandbox.set_faults(rate_limit_rate=0.2, error_rate=0.2, drop_rate=0.1, retry_after=0, seed=5)
    with make_adapter(sandbox) as adapter:
        found = results(adapter, adapter.push_listings([listing(f"F{i}") for i in range(30)]))
        results(adapter, adapter.push_stock_prices([StockPriceItem(f"F{i}", quantity=1) for i in range(30)]))
        adapter.fetch_categories()
        retries = adapter.client.stats.retries

    assert {r.status for r in found.values()} == {ITEM_SUCCESS} and len(sandbox.products()) == 30
    assert {r.fault for r in sandbox.requests} >= {"429", "5xx", "drop"} and retries > 0
    assert all(sandbox.stock(f"F{i}") == 1 for i in range(30))


def test_order_dates_can_be_sent_as_turkey_time(sandbox: N11Sandbox):
    since, until = datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 6, 2, tzinfo=UTC)
    with make_adapter(sandbox, order_time_offset_hours=3, order_statuses=["Created"]) as adapter:
        adapter.fetch_orders(since, until, overlap=timedelta(0))
    [query] = _package_queries(sandbox)
    assert int(query["startDate"]) == int((since + timedelta(hours=3)).timestamp() * 1000)
    assert int(query["endDate"]) == int((until + timedelta(hours=3)).timestamp() * 1000)
