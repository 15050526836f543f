"""The Trendyol adapter end to end against the sandbox over HTTP: listings in batches with
per-item results, stock and prices with the 15-minute rule, order packages with paging,
the overlap window and both field spellings, package status updates, categories, and the
same final state under injected 429s, 5xx and dropped connections."""

import base64
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from marketplaces.adapters import get_adapter, registered_codes
from marketplaces.adapters.base import (
    CANCELLED,
    COMPLETED,
    ITEM_FAILED,
    ITEM_SUCCESS,
    PENDING,
    PROCESSING,
    REFUNDED,
    AccountConfig,
    ListingItem,
    StockPriceItem,
)
from marketplaces.adapters.trendyol import (
    STATUS_MAP,
    UNAPPROVED_UPDATE_PATH,
    TrendyolAdapter,
    is_identical_request_refusal,
    listing_content_hash,
    listing_content_payload,
    listing_hash,
    stock_price_hash,
)
from marketplaces.client import MarketplaceError, RetryPolicy
from marketplaces.sandbox.trendyol import IDENTICAL_REQUEST_MESSAGE, TrendyolSandbox
from tests.marketplaces.conftest import KEY, SECRET, SELLER

FAST = RetryPolicy(max_attempts=10, base_seconds=0.002, max_seconds=0.02)
ATTRIBUTES = [{"attributeId": 47, "attributeValueIds": [686]}, {"attributeId": 338, "attributeValueIds": [4603]}]


def make_adapter(sandbox, *, secret=SECRET, integrator="SelfIntegration", **options) -> TrendyolAdapter:
    client_options = {"retry": FAST, "seed": 7, **options.pop("client_options", {})}
    config = AccountConfig("trendyol", SELLER, KEY, secret, base_url=sandbox.base_url, rate_limit="",
                           integrator_name=integrator, options={"client_options": client_options, **options})
    adapter = get_adapter(config)
    assert isinstance(adapter, TrendyolAdapter)
    return adapter


def listing(n: int, **overrides) -> ListingItem:
    values = {"barcode": f"TS-{n:05d}", "sku": f"SKU-{n:05d}", "title": f"Basic T-Shirt {n}",
              "group_code": f"TSHIRT-{n // 4}", "brand_id": 1791, "category_id": 600, "quantity": 10 + n % 7,
              "list_price": Decimal("250.00"), "sale_price": Decimal("199.90"),
              "images": ["https://cdn.example.com/tshirt.jpg"], "attributes": ATTRIBUTES}
    values.update(overrides)
    return ListingItem(**values)


def push_and_wait(adapter, items):
    handles = adapter.push_listings(items)
    return handles, [adapter.wait_for_batch(h, timeout=10, interval=0.02) for h in handles]


def test_registry_knows_trendyol():
    assert "trendyol" in registered_codes()


def test_requests_carry_basic_auth_and_the_seller_user_agent(sandbox):
    seen = []
    adapter = make_adapter(sandbox, client_options={"event_hooks": {"request": [seen.append]}})
    adapter.test_connection()
    assert seen[0].url.path == f"/integration/product/sellers/{SELLER}/products"
    assert seen[0].headers["User-Agent"] == f"{SELLER} - SelfIntegration"
    assert seen[0].headers["Authorization"] == "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    with pytest.raises(MarketplaceError) as caught:
        make_adapter(sandbox, secret="wrong").test_connection()
    assert caught.value.status == 401
    with pytest.raises(MarketplaceError) as caught:
        make_adapter(sandbox, integrator="Self Integration").test_connection()
    assert caught.value.status == 403


def test_2500_listings_go_out_in_three_batches_with_per_item_results(sandbox):
    items = []
    for n in range(2500):
        if n % 250 == 3:
            items.append(listing(n, list_price=Decimal("100.00"), sale_price=Decimal("150.00")))
        elif n % 500 == 7:
            items.append(listing(n, brand_id=424242))
        else:
            items.append(listing(n))
    adapter = make_adapter(sandbox)
    handles, results = push_and_wait(adapter, items)
    assert [len(h.keys) for h in handles] == [1000, 1000, 500]
    assert sandbox.count_requests("POST", "/v2/products") == 3
    assert all(r.done for r in results)
    by_key = {i.key: i for r in results for i in r.items}
    assert len(by_key) == 2500
    failed = {k: i.errors for k, i in by_key.items() if i.status == ITEM_FAILED}
    assert len(failed) == 15
    assert failed["TS-00003"] == ["listPrice cannot be lower than salePrice."]
    assert failed["TS-00007"] == ["Brand 424242 was not found."]
    assert sum(1 for i in by_key.values() if i.status == ITEM_SUCCESS) == 2485
    products = sandbox.products()
    assert len(products) == 2485 and "TS-00003" not in products
    assert products["TS-00010"]["stockCode"] == "SKU-00010" and products["TS-00010"]["salePrice"] == 199.9
    assert products["TS-00010"]["productMainId"] == "TSHIRT-2"


def test_polling_waits_for_an_asynchronous_batch():
    with TrendyolSandbox(seller_id=SELLER, api_key=KEY, api_secret=SECRET, batch_delay=0.3) as sandbox:
        adapter = make_adapter(sandbox)
        [handle] = adapter.push_listings([listing(1), listing(2)])
        first = adapter.poll_batch(handle)
        assert first.done is False and [i.status for i in first.items] == ["pending", "pending"]
        final = adapter.wait_for_batch(handle, timeout=5, interval=0.05)
        assert final.done is True and [i.status for i in final.items] == [ITEM_SUCCESS, ITEM_SUCCESS]
        assert sandbox.count_requests("GET", "/batch-requests/") >= 2


def test_stock_and_prices_per_item_and_the_15_minute_rule(sandbox):
    adapter = make_adapter(sandbox)
    push_and_wait(adapter, [listing(n) for n in range(1200)])
    changes = [StockPriceItem(f"TS-{n:05d}", quantity=n % 50, sale_price=Decimal("179.90")) for n in range(1200)]
    changes.append(StockPriceItem("NOPE-1", quantity=3))
    handles = adapter.push_stock_prices(changes)
    assert [len(h.keys) for h in handles] == [1000, 201]
    results = [adapter.wait_for_batch(h, timeout=5, interval=0.02) for h in handles]
    items = {i.key: i for r in results for i in r.items}
    assert all(r.done for r in results)
    assert items["NOPE-1"].status == ITEM_FAILED and items["NOPE-1"].errors == ["No product with barcode NOPE-1 was found."]
    assert sum(1 for i in items.values() if i.status == ITEM_SUCCESS) == 1200
    assert sandbox.stock("TS-00049") == 49 and sandbox.price("TS-00049") == (179.9, 250.0)

    # The identical request again within 15 minutes is refused by Trendyol, item by item...
    [again] = adapter.push_stock_prices(changes[:10])
    refused = adapter.wait_for_batch(again, timeout=5, interval=0.02)
    assert [i.errors for i in refused.items] == [[IDENTICAL_REQUEST_MESSAGE]] * 10
    assert all(is_identical_request_refusal(i) for i in refused.items)
    # ...which is why the sync compares hashes and sends only what changed.
    stored = {c.barcode: stock_price_hash(c) for c in changes}
    retyped = StockPriceItem("TS-00001", quantity=1, sale_price=179.9)  # same values, other types
    assert stock_price_hash(retyped) == stored["TS-00001"]
    changed = [c for c in (retyped, StockPriceItem("TS-00002", quantity=7, sale_price=Decimal("179.90")))
               if stock_price_hash(c) != stored[c.barcode]]
    assert [c.barcode for c in changed] == ["TS-00002"]
    [delta] = adapter.push_stock_prices(changed)
    assert [i.status for i in adapter.wait_for_batch(delta, timeout=5, interval=0.02).items] == [ITEM_SUCCESS]
    assert sandbox.stock("TS-00002") == 7
    assert listing_hash(listing(1)) == listing_hash(listing(1, sale_price=199.9))
    assert listing_hash(listing(1)) != listing_hash(listing(1, quantity=99))


def test_a_barcode_sent_twice_in_one_push_goes_out_once_with_the_last_values(sandbox):
    adapter = make_adapter(sandbox)
    push_and_wait(adapter, [listing(1)])
    [handle] = adapter.push_stock_prices([StockPriceItem("TS-00001", quantity=4), StockPriceItem("TS-00001", quantity=6)])
    assert handle.keys == ["TS-00001"]
    assert adapter.wait_for_batch(handle, timeout=5, interval=0.02).items[0].status == ITEM_SUCCESS
    assert sandbox.stock("TS-00001") == 6


def test_create_then_update_only_the_content_that_changed(sandbox):
    adapter = make_adapter(sandbox)
    created = [listing(1), listing(2)]
    push_and_wait(adapter, created)
    stored = {item.barcode: listing_content_hash(item) for item in created}
    before = sandbox.products()

    repriced = listing(2, sale_price=Decimal("149.90"), list_price=200, quantity=3)
    assert listing_content_hash(repriced) == stored["TS-00002"]  # price and stock are not content
    assert listing_hash(repriced) != listing_hash(listing(2))
    renamed = listing(1, title="Organic T-Shirt 1")
    assert listing_content_hash(renamed) != stored["TS-00001"]
    assert not {"quantity", "listPrice", "salePrice", "currencyType"} & set(listing_content_payload(renamed))
    changed = [i for i in (renamed, repriced) if listing_content_hash(i) != stored[i.barcode]]

    [handle] = adapter.update_listings(changed)
    result = adapter.wait_for_batch(handle, timeout=5, interval=0.02)

    assert (handle.kind, handle.keys) == ("listings_update", ["TS-00001"])
    assert sandbox.count_requests("POST", "/products/content-bulk-update") == 1
    assert result.done and [(i.key, i.status, i.errors) for i in result.items] == [("TS-00001", ITEM_SUCCESS, [])]
    after = sandbox.products()
    assert after["TS-00001"]["title"] == "Organic T-Shirt 1"
    assert after["TS-00001"]["lastUpdateDate"] > before["TS-00001"]["lastUpdateDate"]
    assert after["TS-00002"] == before["TS-00002"]


def test_updates_of_unknown_or_unapproved_listings_fail_per_item(sandbox):
    adapter = make_adapter(sandbox)
    push_and_wait(adapter, [listing(1), listing(2)])
    sandbox.approve(["TS-00002"], approved=False)

    [handle] = adapter.update_listings([listing(1, title="A"), listing(2, title="B"), listing(9)])
    result = adapter.wait_for_batch(handle, timeout=5, interval=0.02)
    unapproved = make_adapter(sandbox, content_update_path=UNAPPROVED_UPDATE_PATH)
    [second] = unapproved.update_listings([listing(2, title="B")])
    second_result = unapproved.wait_for_batch(second, timeout=5, interval=0.02)

    assert [(i.key, i.status) for i in result.items] == [
        ("TS-00001", ITEM_SUCCESS), ("TS-00002", ITEM_FAILED), ("TS-00009", ITEM_FAILED)]
    assert result.items[2].errors == ["Product with barcode TS-00009 was not found."]
    assert [(i.key, i.status) for i in second_result.items] == [("TS-00002", ITEM_SUCCESS)]
    assert sandbox.count_requests("POST", "/products/unapproved-bulk-update") == 1
    assert [sandbox.products()[b]["title"] for b in ("TS-00001", "TS-00002")] == ["A", "B"]


def final_state(sandbox):
    keep = ("quantity", "salePrice", "listPrice", "title", "stockCode", "productMainId", "approved")
    return {barcode: {k: p[k] for k in keep} for barcode, p in sandbox.products().items()}


def run_push(sandbox, adapter):
    items = [listing(n) if n % 400 != 5 else listing(n, brand_id=1) for n in range(2500)]
    _handles, results = push_and_wait(adapter, items)
    listing_results = {i.key: (i.status, i.errors) for r in results for i in r.items}
    changes = [StockPriceItem(f"TS-{n:05d}", quantity=n % 97, sale_price=Decimal("149.50")) for n in range(0, 2500, 2)]
    stock_results = {}
    for handle in adapter.push_stock_prices(changes):
        for item in adapter.wait_for_batch(handle, timeout=10, interval=0.02).items:
            stock_results[item.key] = item
    return listing_results, stock_results


@pytest.mark.parametrize("drop_phase", ["before", "after"])
def test_injected_faults_end_in_the_same_state_nothing_lost_nothing_duplicated(drop_phase):
    with TrendyolSandbox(seller_id=SELLER, api_key=KEY, api_secret=SECRET) as clean:
        expected_listings, expected_stock = run_push(clean, make_adapter(clean, batch_size=100))
        expected = final_state(clean)
    with TrendyolSandbox(seller_id=SELLER, api_key=KEY, api_secret=SECRET, seed=2026, fail_rate=0.2,
                         retry_after=0, drop_phase=drop_phase) as faulty:
        adapter = make_adapter(faulty, batch_size=100)  # ~80 requests: every kind of fault occurs
        listings, stock = run_push(faulty, adapter)
        assert final_state(faulty) == expected
        faults = Counter(r.fault for r in faulty.requests)
        assert faults["429"] and faults["5xx"] and faults["drop"]
        batches = httpx.get(faulty.control_url + "/state").json()["sellers"][SELLER]["batches"]
        if drop_phase == "before":  # 25 listing and 13 stock batches, none sent twice
            assert batches == 38
        else:  # answers lost after processing: those batches were sent again
            assert batches == 38 + faults["drop"] - sum(
                1 for r in faulty.requests if r.fault == "drop" and r.method == "GET")
        assert adapter.client.stats.retries > 0
        assert adapter.client.stats.attempts == faulty.request_count
    assert len(expected) == 2500 - 7
    if drop_phase == "before":  # a dropped request was never processed: identical answers
        assert listings == expected_listings
        assert {k: (i.status, i.errors) for k, i in stock.items()} == {
            k: (i.status, i.errors) for k, i in expected_stock.items()}
    else:
        # A processed request whose answer was lost is sent again: its items then come back
        # refused as already there (created, or identical within 15 minutes); nothing is
        # applied twice and the final state above is the same.
        for key, (status, errors) in listings.items():
            assert (status, errors) == expected_listings[key] or (
                status == ITEM_FAILED and errors == [f"A product with barcode {key} already exists."])
        for key, item in stock.items():
            assert item.status == expected_stock[key].status or is_identical_request_refusal(item)


def test_orders_are_pulled_page_by_page_in_one_internal_shape(sandbox):
    adapter = make_adapter(sandbox)
    push_and_wait(adapter, [listing(n) for n in range(30)])
    start = sandbox.now() - 3600
    ids = sandbox.add_packages(450, created_at=start, interval=1)
    before = sandbox.count_requests("GET", "/orders")
    pull = adapter.fetch_orders(datetime.fromtimestamp(start - 60, tz=UTC))
    assert sandbox.count_requests("GET", "/orders") - before == 3  # 200 + 200 + 50
    assert pull.requests == 3
    assert [int(o.external_id) for o in pull.orders] == ids
    raw = sandbox.package(ids[0])
    order = pull.orders[0]
    assert order.order_number == raw["orderNumber"]
    assert order.status == PENDING and order.marketplace_status == "Created"
    assert order.customer == {"id": raw["customerId"], "first_name": raw["customerFirstName"],
                              "last_name": raw["customerLastName"], "email": raw["customerEmail"]}
    assert order.shipping_address["city"] == raw["shipmentAddress"]["city"]
    assert order.total == Decimal(str(raw["packageTotalPrice"])).quantize(Decimal("0.01"))
    assert order.created_at == datetime.fromtimestamp(raw["createdDate"] / 1000, tz=UTC)
    assert order.ordered_at == order.created_at  # orderDate is GMT+3, read back into UTC
    line, raw_line = order.lines[0], raw["lines"][0]
    assert (line.line_id, line.barcode, line.merchant_sku, line.quantity) == (
        str(raw_line["lineId"]), raw_line["barcode"], f"SKU-{raw_line['barcode'][3:]}", raw_line["quantity"])
    assert line.unit_price == Decimal(str(raw_line["lineUnitPrice"])).quantize(Decimal("0.01"))


def test_packages_modified_while_paging_are_neither_skipped_nor_lost(sandbox):
    start = sandbox.now() - 3600
    ids = sandbox.add_packages(450, created_at=start, interval=1)
    pages = []

    def modify_after_first_page(response):
        if response.request.url.path.endswith("/orders"):
            pages.append(response.request.url.params["startDate"])
            if len(pages) == 1:  # Trendyol-side changes land between our first and second page
                for package_id in ids[:3]:
                    sandbox.set_package_status(package_id, "Cancelled")

    adapter = make_adapter(sandbox, client_options={"event_hooks": {"response": [modify_after_first_page]}})
    pull = adapter.fetch_orders(datetime.fromtimestamp(start - 60, tz=UTC))
    assert sorted(int(o.external_id) for o in pull.orders) == ids  # page numbers alone would skip 3
    assert len(pages) == 3
    later = make_adapter(sandbox).fetch_orders(pull.watermark)
    assert sorted(int(o.external_id) for o in later.orders if o.status == CANCELLED) == ids[:3]


def test_old_and_new_field_names_give_the_same_orders():
    shapes = {}
    for names in ("old", "new", "both"):
        with TrendyolSandbox(seller_id=SELLER, api_key=KEY, api_secret=SECRET, seed=4, field_names=names) as sandbox:
            created = sandbox.now() - 600
            sandbox.add_packages(5, created_at=created, interval=1)
            pull = make_adapter(sandbox).fetch_orders(datetime.fromtimestamp(created - 60, tz=UTC))
            for order in pull.orders:
                order.raw = None
                order.modified_at = order.created_at = order.ordered_at = None
                for line in order.lines:
                    line.raw = None
            shapes[names] = pull.orders
    assert len(shapes["old"]) == 5
    assert shapes["old"] == shapes["new"] == shapes["both"]
    assert shapes["old"][0].lines[0].merchant_sku.startswith("SBX-")


def test_the_overlap_window_catches_late_orders_and_ids_never_repeat(sandbox):
    adapter = make_adapter(sandbox, order_overlap_seconds=300)
    now = sandbox.now()
    first_ids = sandbox.add_packages(20, created_at=now - 1000, interval=10)
    first = adapter.fetch_orders(datetime.fromtimestamp(now - 2000, tz=UTC))
    assert [int(o.external_id) for o in first.orders] == first_ids
    # A package that reaches the list late, dated two minutes before the watermark, and new ones.
    late = sandbox.add_packages(1, created_at=first.watermark.timestamp() - 120)
    new = sandbox.add_packages(5)
    without_overlap = adapter.fetch_orders(first.watermark, overlap=timedelta(0))
    assert late[0] not in {int(o.external_id) for o in without_overlap.orders}
    second = adapter.fetch_orders(first.watermark)
    second_ids = [int(o.external_id) for o in second.orders]
    assert len(second_ids) == len(set(second_ids))
    assert set(late + new) <= set(second_ids)
    merged = {o.external_id: o for o in [*first.orders, *second.orders]}  # idempotent on the package id
    assert sorted(int(k) for k in merged) == sorted(first_ids + late + new)
    assert len(merged) == len(sandbox.packages())


def test_stream_endpoint_gives_the_same_orders(sandbox):
    created = sandbox.now() - 900
    sandbox.add_packages(230, created_at=created, interval=1)
    since = datetime.fromtimestamp(created - 60, tz=UTC)
    listed = make_adapter(sandbox).fetch_orders(since)
    streamed = make_adapter(sandbox, orders_endpoint="stream").fetch_orders(since)
    assert [o.external_id for o in streamed.orders] == [o.external_id for o in listed.orders]
    assert len(streamed.orders) == 230 and sandbox.count_requests("GET", "/orders/stream") == 2


def test_statuses_map_onto_ours_and_keep_the_marketplace_status(sandbox):
    ids = sandbox.add_packages(5, created_at=sandbox.now() - 100)
    for package_id, status in zip(ids, ["Shipped", "Delivered", "Cancelled", "Returned", "Awaiting"], strict=True):
        sandbox.set_package_status(package_id, status)
    pull = make_adapter(sandbox).fetch_orders(datetime.fromtimestamp(sandbox.now() - 200, tz=UTC))
    got = {o.marketplace_status: o.status for o in pull.orders}
    assert got == {"Shipped": PROCESSING, "Delivered": COMPLETED, "Cancelled": CANCELLED,
                   "Returned": REFUNDED, "Awaiting": PENDING}
    cancelled = next(o for o in pull.orders if o.marketplace_status == "Cancelled")
    assert cancelled.cancel_reason == "Vazgeçtim"
    assert set(STATUS_MAP.values()) == {PENDING, PROCESSING, COMPLETED, CANCELLED, REFUNDED}


def test_package_status_updates_and_a_refused_transition(sandbox):
    ids = sandbox.add_packages(2, created_at=sandbox.now() - 100)
    adapter = make_adapter(sandbox)
    orders = {int(o.external_id): o for o in adapter.fetch_orders(
        datetime.fromtimestamp(sandbox.now() - 200, tz=UTC)).orders}
    adapter.push_order_status(orders[ids[0]], "Picking")
    assert sandbox.package(ids[0])["status"] == "Picking"
    adapter.push_order_status(orders[ids[0]], "Invoiced", invoice_number="MES2026000001")
    assert sandbox.package(ids[0])["status"] == "Invoiced"
    assert sandbox.package(ids[0])["invoiceNumber"] == "MES2026000001"

    before = sandbox.count_requests("PUT")
    with pytest.raises(MarketplaceError) as caught:
        adapter.push_order_status(orders[ids[1]], "Invoiced", invoice_number="MES2026000002")
    assert caught.value.status == 400 and caught.value.retryable is False
    assert caught.value.body["errors"][0]["key"] == "invalid.status.transition"
    assert caught.value.errors == ["A Created package cannot become Invoiced."]
    assert sandbox.count_requests("PUT") - before == 1  # not retried
    assert sandbox.package(ids[1])["status"] == "Created" and sandbox.package(ids[1])["invoiceNumber"] is None


def test_categories_and_attributes(sandbox):
    adapter = make_adapter(sandbox)
    tree = adapter.fetch_categories()
    assert [c.name for c in tree] == ["Giyim", "Elektronik", "Ev & Yaşam"]
    leaves = [c.id for root in tree for c in root.walk() if c.is_leaf]
    assert leaves == [600, 601, 602, 1072, 1073, 2002]
    attributes = {a.id: a for a in adapter.fetch_category_attributes(600)}
    assert attributes[47].required is True
    assert {"id": 686, "name": attributes[47].values[0]["name"]} in attributes[47].values
    with pytest.raises(MarketplaceError) as caught:
        adapter.fetch_category_attributes(403)
    assert caught.value.status == 400
