"""The Amazon SP-API adapter against its sandbox over HTTP: LWA tokens, regional hosts,
listings by patch and by feed, orders with NextToken paging inside getOrders' token bucket,
shipment confirmation, categories and faults."""

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from marketplaces.adapters.amazon import AmazonAdapter
from marketplaces.adapters.amazon_api import OPERATION_LIMITS, REGION_HOSTS, TokenBucket, resolve_host
from marketplaces.adapters.base import ITEM_FAILED, ITEM_SUCCESS, AccountConfig, ListingItem, StockPriceItem
from marketplaces.client import MarketplaceError
from marketplaces.sandbox.amazon import AmazonSandbox
from tests.marketplaces.contract.kit_amazon import CREDENTIALS, SELLER

GERMANY = "A1PA6795UKMFR9"


@pytest.fixture(autouse=True)
def quick_http(settings: Any) -> None:
    settings.MARKETPLACE_RATE_LIMIT = ""
    settings.MARKETPLACE_RETRY_BASE_SECONDS = 0.01
    settings.MARKETPLACE_HTTP_MAX_ATTEMPTS = 4


def make_sandbox(**options: Any) -> AmazonSandbox:
    return AmazonSandbox(seller_id=SELLER, client_id=CREDENTIALS["client_id"], client_secret=CREDENTIALS[
        "client_secret"], refresh_token=CREDENTIALS["refresh_token"], **options).start()  # fmt: skip


@pytest.fixture
def sandbox() -> Iterator[AmazonSandbox]:
    sandbox = make_sandbox(rate_scale=50)
    yield sandbox
    sandbox.stop()


def make_adapter(sandbox: AmazonSandbox, *, account: str = "account:7", credentials: dict | None = None,
                 **options: Any) -> AmazonAdapter:  # fmt: skip
    options = {"lwa_url": f"{sandbox.root_url}/auth/o2/token", "rate_limit_scale": sandbox.rate_scale, **options}
    return AmazonAdapter(AccountConfig("amazon", SELLER, "", "", base_url=sandbox.base_url, account_key=account,
                                       options=options, credentials={**CREDENTIALS, **(credentials or {})}))


@pytest.fixture
def adapter(sandbox: AmazonSandbox) -> Iterator[AmazonAdapter]:
    with make_adapter(sandbox) as adapter:
        yield adapter


def shirt(sku: str, **changes: Any) -> ListingItem:
    values = {"barcode": sku, "sku": sku, "title": f"Pamuk tişört {sku}", "group_code": "P1", "brand_id": None,
              "category_id": None, "quantity": 5, "list_price": Decimal("249.90"), "sale_price": Decimal("199.90"),
              "attributes": [{"name": "color", "value": "Siyah"}, {"name": "size", "value": "M"}],
              "category_code": "SHIRT", **changes}  # fmt: skip
    return ListingItem(**values)


def listed(adapter: AmazonAdapter, items: list[ListingItem]) -> dict[str, Any]:
    results = {}
    for handle in adapter.push_listings(items):
        result = adapter.wait_for_batch(handle, timeout=10, interval=0.02)
        assert result.done
        results.update({r.key: r for r in result.items})
    return results


# ---- auth and hosts ------------------------------------------------------------------------


def test_connection_exchanges_the_refresh_token_once_and_sends_the_access_token(sandbox, adapter, caplog):
    caplog.set_level(logging.DEBUG)
    adapter.test_connection()
    adapter.test_connection()

    [exchange] = sandbox.requests_to("POST", "/auth/o2/token")
    assert exchange.header("Content-Type").startswith("application/x-www-form-urlencoded")
    assert "grant_type=refresh_token" in exchange.body and "client_secret=" in exchange.body
    calls = sandbox.requests_to("GET", "/sellers/v1/marketplaceParticipations")
    tokens = {r.header("x-amz-access-token") for r in calls}
    assert len(calls) == 2 and len(tokens) == 1 and next(iter(tokens)).startswith("Atza|")
    assert all(r.header("Authorization") is None for r in calls)  # no SigV4
    assert next(iter(tokens)) not in caplog.text and CREDENTIALS["refresh_token"] not in caplog.text


def test_the_cached_token_is_shared_by_every_adapter_of_the_account(sandbox):
    for _ in range(3):  # as three worker processes would, through the shared cache
        with make_adapter(sandbox) as adapter:
            adapter.test_connection()
    with make_adapter(sandbox, account="account:8") as other:
        other.test_connection()

    assert sandbox.token_exchanges == 2  # one per account
    from django.core.cache import cache

    with make_adapter(sandbox) as adapter:
        cached = cache.get(adapter.tokens.cache_key)
    token = sandbox.requests_to("GET", "/sellers/")[0].header("x-amz-access-token")
    assert token not in str(cached) and "account:7" in adapter.tokens.cache_key  # encrypted at rest


def test_an_expired_token_is_replaced_once_and_the_call_goes_through(sandbox, adapter):
    adapter.test_connection()
    sandbox.expire_tokens()

    adapter.test_connection()

    assert sandbox.token_exchanges == 2
    statuses = [r.status for r in sandbox.requests_to("GET", "/sellers/")]
    assert statuses == [200, 403, 200]


def test_bad_credentials_are_reported_without_echoing_them(sandbox):
    with (make_adapter(sandbox, credentials={"client_secret": "wrong-secret-123"}) as adapter,
          pytest.raises(MarketplaceError) as bad_client):
        adapter.test_connection()
    with (make_adapter(sandbox, account="account:9", credentials={"refresh_token": "Atzr|stale"}) as adapter,
          pytest.raises(MarketplaceError) as bad_grant):
        adapter.test_connection()

    assert bad_client.value.status == 401 and "Client authentication failed" in bad_client.value.message
    assert bad_grant.value.status == 400 and "invalid grant" in bad_grant.value.message
    assert "wrong-secret-123" not in bad_client.value.message and "stale" not in bad_grant.value.message
    assert sandbox.count_requests(path_contains="/sellers/") == 0


def test_a_marketplace_the_seller_does_not_sell_on_fails_the_connection_test(sandbox):
    with (make_adapter(sandbox, credentials={"marketplace_id": GERMANY}) as adapter,
          pytest.raises(MarketplaceError, match=GERMANY)):
        adapter.test_connection()


def test_regional_hosts_and_marketplace_currency():
    assert resolve_host("", "eu") == REGION_HOSTS["eu"]
    assert resolve_host(REGION_HOSTS["eu"], "na") == "https://sellingpartnerapi-na.amazon.com"
    assert resolve_host("", "fe", sandbox=True) == "https://sandbox.sellingpartnerapi-fe.amazon.com"
    assert resolve_host("http://127.0.0.1:8103", "na") == "http://127.0.0.1:8103"
    with pytest.raises(MarketplaceError):
        resolve_host("", "mars")
    config = AccountConfig("amazon", SELLER, "", "", base_url=REGION_HOSTS["eu"],
                           credentials={**CREDENTIALS, "marketplace_id": "ATVPDKIKX0DER"})
    with AmazonAdapter(config) as us:
        assert (us.client.base_url, us.currency, us.marketplace_id) == (REGION_HOSTS["na"], "USD", "ATVPDKIKX0DER")
    with AmazonAdapter(AccountConfig("amazon", SELLER, "", "", credentials=dict(CREDENTIALS))) as turkey:
        assert (turkey.client.base_url, turkey.currency, turkey.language) == (REGION_HOSTS["eu"], "TRY", "tr_TR")


def test_german_offers_go_out_in_euros():
    sandbox = make_sandbox(marketplace_ids=(GERMANY,), rate_limits=False)
    try:
        with make_adapter(sandbox, credentials={"marketplace_id": GERMANY}) as unconverted:
            refused = listed(unconverted, [shirt("DE-1")])["DE-1"]
        assert refused.status == ITEM_FAILED and "price_conversion_rate" in refused.errors[0]
        assert sandbox.request_count == 0  # TRY amounts never go out as euros
        with make_adapter(sandbox, credentials={"marketplace_id": GERMANY}, price_conversion_rate="0.027") as adapter:
            results = listed(adapter, [shirt("DE-1")])
        assert results["DE-1"].status == ITEM_SUCCESS
        [put] = sandbox.requests_to("PUT", "/listings/")
        assert f"marketplaceIds={GERMANY}" in put.query
        offer = put.body["attributes"]["purchasable_offer"][0]
        assert offer["currency"] == "EUR" and offer["our_price"][0]["schedule"][0]["value_with_tax"] == 5.4
        assert put.body["attributes"]["item_name"][0]["language_tag"] == "de_DE"
    finally:
        sandbox.stop()


# ---- listings, stock and prices --------------------------------------------------------------


def test_a_few_listings_go_one_by_one_and_refusals_keep_amazons_issues(sandbox, adapter):
    results = listed(adapter, [shirt("TEE-1", gtin="8690000000012"), shirt("TEE-2", gtin="8690000000029"),
                               shirt("TEE-3", attributes=[{"name": "color", "value": "Siyah"}])])  # fmt: skip

    assert results["TEE-1"].status == results["TEE-2"].status == ITEM_SUCCESS
    assert results["TEE-3"].status == ITEM_FAILED
    assert results["TEE-3"].errors == ["'size' is required but not supplied. [size]"]
    [first, *_rest] = sandbox.requests_to("PUT", "/listings/")
    assert first.path == f"/listings/2021-08-01/items/{SELLER}/TEE-1" and first.body["productType"] == "SHIRT"
    assert first.body["attributes"]["externally_assigned_product_identifier"][0] == {
        "type": "ean", "value": "8690000000012", "marketplace_id": "A33AVAJ2PDY3EV"}
    assert sandbox.count_requests(path_contains="/feeds/") == 0
    assert set(sandbox.listings()) == {"TEE-1", "TEE-2"}


def test_rules_that_cost_money_are_checked_before_anything_is_sent(sandbox, adapter):
    bad = [shirt("FREE", sale_price=Decimal("0")), shirt("BADEAN", gtin="8690000000013"), shirt("X" * 41),
           shirt("CHEAP", list_price=Decimal("10"))]  # fmt: skip
    results = listed(adapter, bad)

    assert {k: r.status for k, r in results.items()} == {i.barcode: ITEM_FAILED for i in bad}
    assert "above zero" in results["FREE"].errors[0]
    assert "check digit" in results["BADEAN"].errors[0]
    assert "list price" in results["CHEAP"].errors[0]
    [refused] = adapter.push_stock_prices([StockPriceItem("TEE-9", quantity=-1, sale_price=Decimal("-5"))])
    assert len(adapter.poll_batch(refused).items[0].errors) == 2
    assert sandbox.request_count == 0


def test_many_listings_go_as_one_json_listings_feed_with_the_report_mapped_back(sandbox, adapter):
    items = [shirt(f"BULK-{i:03d}") for i in range(60)]
    sandbox.reject_items(["BULK-007"], "Bu ürün bu kategoride listelenemez.")

    results = listed(adapter, items)

    assert results["BULK-007"].status == ITEM_FAILED
    assert results["BULK-007"].errors == ["Bu ürün bu kategoride listelenemez."]
    assert sum(r.status == ITEM_SUCCESS for r in results.values()) == 59
    [upload] = sandbox.requests_to("PUT", "/tortuga/")
    assert upload.header("Content-Type") == "application/json; charset=UTF-8"
    assert upload.header("x-amz-access-token") is None  # the token never goes to the document store
    assert upload.body["header"] == {"sellerId": SELLER, "version": "2.0", "issueLocale": "tr_TR"}
    assert [m["messageId"] for m in upload.body["messages"]] == list(range(1, 61))
    assert {m["operationType"] for m in upload.body["messages"]} == {"UPDATE"}
    [feed] = sandbox.requests_to("POST", "/feeds/2021-06-30/feeds")
    assert feed.body["feedType"] == "JSON_LISTINGS_FEED" and feed.body["marketplaceIds"] == ["A33AVAJ2PDY3EV"]
    assert sandbox.count_requests("GET", "/feeds/2021-06-30/documents/") == 1
    assert sandbox.count_requests("PUT", "/listings/") == 0 and len(sandbox.listings()) == 59


def test_report_issues_are_mapped_by_message_id_when_no_sku_is_given():
    from marketplaces.adapters.amazon_payloads import report_results

    report = {"issues": [{"messageId": 2, "severity": "ERROR", "message": "bad"},
                         {"messageId": 1, "severity": "WARNING", "message": "meh"}]}  # fmt: skip
    results = report_results(["A", "B"], report)
    assert [(r.key, r.status, r.errors) for r in results] == [("A", ITEM_SUCCESS, []), ("B", ITEM_FAILED, ["bad"])]
    fatal = report_results(["A"], {}, fatal="FATAL")
    assert fatal[0].status == ITEM_FAILED


def test_stock_and_price_patch_a_few_skus_and_feed_the_rest(sandbox, adapter):
    listed(adapter, [shirt(f"S-{i:02d}") for i in range(30)])
    sandbox.requests.clear()

    few = adapter.push_stock_prices([StockPriceItem(f"S-{i:02d}", quantity=i, sale_price=Decimal("150.00"),
                                                    list_price=Decimal("150.00")) for i in range(3)])  # fmt: skip
    assert all(r.status == ITEM_SUCCESS for h in few for r in adapter.poll_batch(h).items)
    patches = sandbox.requests_to("PATCH", "/listings/")
    assert len(patches) == 3 and patches[0].body["productType"] == "PRODUCT"
    assert {p["path"] for p in patches[1].body["patches"]} == {"/attributes/fulfillment_availability",
                                                               "/attributes/purchasable_offer"}
    assert sandbox.stock("S-02") == 2 and sandbox.price("S-02") == 150.0

    many = adapter.push_stock_prices([StockPriceItem(f"S-{i:02d}", quantity=40 + i, sale_price=Decimal("99.5"))
                                      for i in range(30)] + [StockPriceItem("S-29", quantity=7)])  # fmt: skip
    [handle] = many
    result = adapter.wait_for_batch(handle, timeout=10, interval=0.02)
    assert result.done and len(result.items) == 30 and not result.failed
    assert sandbox.count_requests("PATCH", "/listings/") == 3  # the 30 went as one feed
    assert sandbox.stock("S-10") == 50 and sandbox.stock("S-29") == 7 and sandbox.price("S-10") == 99.5


def test_a_feed_still_processing_is_polled_until_done():
    sandbox = make_sandbox(rate_limits=False, batch_delay=30)
    try:
        with make_adapter(sandbox) as slow:
            [handle] = slow.push_listings([shirt(f"Q-{i}") for i in range(25)])
            first = slow.poll_batch(handle)
            assert not first.done and {i.status for i in first.items} == {"pending"}
            sandbox.advance_clock(31)
            assert slow.poll_batch(handle).done
            assert slow.poll_batch(handle).done  # the report is read once
            assert sandbox.count_requests("GET", "/feeds/2021-06-30/documents/") == 1
    finally:
        sandbox.stop()


def test_throttling_server_errors_and_drops_are_retried(sandbox, adapter, settings):
    settings.MARKETPLACE_HTTP_MAX_ATTEMPTS = 10
    sandbox.set_faults(rate_limit_rate=0.2, error_rate=0.2, drop_rate=0.2, retry_after=0, seed=5)
    results = listed(adapter, [shirt(f"F-{i}") for i in range(10)])

    assert all(r.status == ITEM_SUCCESS for r in results.values())
    faults = {r.fault for r in sandbox.requests}
    assert {"429", "5xx", "drop"} <= faults
    assert len(sandbox.listings()) == 10


# ---- token buckets -----------------------------------------------------------------------------


def test_the_token_bucket_is_shared_by_every_client_of_the_account():
    slept: list[float] = []
    first = TokenBucket("amazon-bucket:test:getOrders", 0.0167, 20, sleep=slept.append)
    second = TokenBucket("amazon-bucket:test:getOrders", 0.0167, 20, sleep=slept.append)

    waits = [first.reserve() for _ in range(10)] + [second.reserve() for _ in range(10)]
    assert waits == [0.0] * 20
    assert second.reserve() == pytest.approx(1 / 0.0167, abs=0.5)
    assert first.reserve() == pytest.approx(2 / 0.0167, abs=0.5)
    other = TokenBucket("amazon-bucket:other:getOrders", 0.0167, 20)
    assert other.reserve() == 0.0
    with pytest.raises(MarketplaceError) as too_long:
        TokenBucket("amazon-bucket:test:getOrders", 0.0167, 20, max_wait=60).reserve()
    assert too_long.value.retryable


def test_accounts_of_one_seller_in_one_region_share_their_buckets(sandbox):
    turkey = make_adapter(sandbox, account="account:1")
    germany = make_adapter(sandbox, account="account:2", credentials={"marketplace_id": GERMANY})
    america = make_adapter(sandbox, account="account:3", credentials={"marketplace_id": "ATVPDKIKX0DER"})
    other_seller = make_adapter(sandbox, account="account:4", credentials={"seller_id": "A9OTHER"})
    try:
        key = turkey.bucket("getOrders").key
        assert germany.bucket("getOrders").key == key  # both in the EU region
        assert america.bucket("getOrders").key != key and other_seller.bucket("getOrders").key != key
        assert turkey.bucket("getOrderItems").key != key
    finally:
        for adapter in (turkey, germany, america, other_seller):
            adapter.close()


def test_a_window_amazon_cannot_answer_yet_sends_nothing(sandbox, adapter):
    now = datetime.now(UTC)
    pull = adapter.fetch_orders(now, until=now, overlap=timedelta(0))
    assert pull.orders == [] and pull.watermark == now and sandbox.request_count == 0


def test_a_long_wait_for_a_token_keeps_calling_the_heartbeat():
    slept: list[float] = []
    beats: list[int] = []
    bucket = TokenBucket("amazon-bucket:beat:getOrders", 1 / 60, 1, sleep=slept.append,
                         on_wait=lambda: beats.append(1))  # fmt: skip
    assert bucket.acquire() == 0.0
    assert bucket.acquire() == pytest.approx(60, abs=0.5)
    assert sum(slept) == pytest.approx(60, abs=0.5) and max(slept) <= 10 and len(beats) == 5


def test_get_orders_never_exceeds_its_bucket_while_paging_many_pages():
    """getOrders is 0.0167 req/s with a burst of 20: a pull of 30 pages takes 20 at once and
    then one per restore interval. Time runs 300× faster in sandbox and adapter alike."""
    scale = 300
    sandbox = make_sandbox(rate_scale=scale)
    try:
        sandbox.add_orders(300, ["SKU-A", "SKU-B"])
        with make_adapter(sandbox, order_page_size=10) as adapter:
            pull = adapter.fetch_orders(datetime.now(UTC) - timedelta(days=1))
        assert len(pull.orders) == 300
        calls = sandbox.calls_of("getOrders")
        assert len(calls) == 30 and all(status == 200 for _t, status in calls)
        rate, burst = OPERATION_LIMITS["getOrders"]
        rate *= scale
        times = [t for t, _status in calls]
        for i in range(len(times)):  # every stretch of calls fits in the bucket
            for j in range(i, len(times)):
                assert j - i + 1 <= burst + rate * (times[j] - times[i]) + 1e-6
        assert times[-1] - times[0] >= (30 - burst) / rate * 0.99
        assert all(status == 200 for _t, status in sandbox.calls_of("getOrderItems"))
        assert not [r for r in sandbox.requests if r.status == 429]
    finally:
        sandbox.stop()


def test_without_its_bucket_the_sandbox_throttles_get_orders():
    sandbox = make_sandbox(rate_scale=1)
    try:
        sandbox.add_orders(30, ["SKU-A"])
        with (make_adapter(sandbox, order_page_size=1, rate_limit_scale=1000) as greedy,
              pytest.raises(MarketplaceError) as throttled):
            greedy.fetch_orders(datetime.now(UTC) - timedelta(days=1))
        assert throttled.value.status == 429 and "QuotaExceeded" in throttled.value.message
        [refused, *_] = [r for r in sandbox.requests if r.status == 429]
        assert refused.path == "/orders/v0/orders"
    finally:
        sandbox.stop()


# ---- orders ----------------------------------------------------------------------------------


def test_orders_are_paged_and_pending_ones_wait_for_unshipped(sandbox, adapter):
    ready = sandbox.add_orders(7, ["SKU-A", "SKU-B"], quantity=2)
    pending = sandbox.add_orders(2, ["SKU-A"], status="Pending")
    sandbox.add_orders(1, ["SKU-A"], channel="AFN")  # Amazon ships these from its own stock
    adapter = make_adapter(sandbox, order_page_size=3)

    pull = adapter.fetch_orders(datetime.now(UTC) - timedelta(hours=1))

    assert sorted(o.external_id for o in pull.orders) == sorted(ready)
    assert sandbox.count_requests("GET", "/orders/v0/orders") - sandbox.count_requests(
        "GET", "/orderItems") == 3  # 9 MFN orders, 3 a page
    first = sandbox.requests_to("GET", "/orders/v0/orders")[0]
    assert "FulfillmentChannels=MFN" in first.query and "LastUpdatedAfter=" in first.query
    assert sandbox.count_requests("GET", "/orderItems") == 7  # none for the pending ones
    order = next(o for o in pull.orders if o.external_id == ready[0])
    assert (order.status, order.marketplace_status, order.currency) == ("pending", "Unshipped", "TRY")
    [line] = order.lines
    assert (line.barcode, line.merchant_sku, line.quantity, line.unit_price) == ("SKU-A", "SKU-A", 2,
                                                                                 Decimal("199.90"))
    assert pull.watermark <= datetime.now(UTC) - timedelta(minutes=2)

    sandbox.set_order_status(pending, "Unshipped")
    later = adapter.fetch_orders(pull.watermark)
    assert set(pending) <= {o.external_id for o in later.orders}


def test_shipped_confirms_the_shipment_with_the_tracking_number(sandbox, adapter):
    [order_id] = sandbox.add_orders(1, ["SKU-A"], quantity=3)
    order = adapter.fetch_order(order_id)
    assert AmazonAdapter.seller_status_for("processing") is None
    assert AmazonAdapter.seller_status_for("completed") == "Shipped"

    with pytest.raises(MarketplaceError, match="tracking number"):
        adapter.push_order_status(order, "Shipped")
    adapter.push_order_status(order, "Shipped", invoice_number="1Z999AA10123456784")

    [confirm] = sandbox.requests_to("POST", "/shipmentConfirmation")
    package = confirm.body["packageDetail"]
    assert package["trackingNumber"] == "1Z999AA10123456784" and package["carrierCode"] == "Other"
    assert package["orderItems"] == [{"orderItemId": order.lines[0].line_id, "quantity": 3}]
    assert sandbox.order(order_id)["OrderStatus"] == "Shipped"
    adapter.push_order_status(adapter.fetch_order(order_id), "Shipped", invoice_number="X")
    assert sandbox.count_requests("POST", "/shipmentConfirmation") == 1  # nothing left to ship
    assert adapter.fetch_order("999-0000000-0000000") is None


# ---- categories ---------------------------------------------------------------------------------


def test_product_types_and_their_attributes(adapter):
    types = {c.id: c for c in adapter.fetch_categories()}
    assert {"SHIRT", "CELLULAR_PHONE_CASE", "DRINKING_CUP"} <= set(types)
    assert types["SHIRT"].name == "Shirt" and types["SHIRT"].is_leaf

    attributes = {a.id: a for a in adapter.fetch_category_attributes("SHIRT")}
    assert attributes["color"].required and attributes["size"].required and not attributes["material"].required
    assert [v["id"] for v in attributes["department"].values] == ["womens", "mens", "unisex-adult"]


def test_content_updates_patch_the_content_and_leave_the_offer_alone(sandbox, adapter):
    listed(adapter, [shirt("UPD-1")])
    before = adapter.content_hash(shirt("UPD-1"))
    changed = shirt("UPD-1", title="Keten gömlek", quantity=99, sale_price=Decimal("1.00"))
    assert adapter.content_hash(changed) != before
    assert adapter.content_hash(shirt("UPD-1", quantity=99)) == before  # stock is not content

    [handle] = adapter.update_listings([changed])

    assert adapter.poll_batch(handle).items[0].status == ITEM_SUCCESS
    [patch] = sandbox.requests_to("PATCH", "/listings/")
    paths = {p["path"] for p in patch.body["patches"]}
    assert "/attributes/item_name" in paths and "/attributes/purchasable_offer" not in paths
    assert patch.body["productType"] == "SHIRT"
    listing = sandbox.listings()["UPD-1"]
    assert listing["attributes"]["item_name"][0]["value"] == "Keten gömlek"
    assert sandbox.stock("UPD-1") == 5 and sandbox.price("UPD-1") == 199.9
