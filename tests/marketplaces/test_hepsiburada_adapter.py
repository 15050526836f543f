"""The Hepsiburada adapter against its sandbox over HTTP: hosts, auth, listings through the
catalog import, stock and price uploads, fulfilled-by-Hepsiburada listings, categories and
retried faults."""

from collections.abc import Iterator
from typing import Any

import pytest

from marketplaces.adapters.base import ITEM_FAILED, ITEM_SUCCESS, StockPriceItem
from marketplaces.adapters.hepsiburada import FULFILLED_BY_HB, HOSTS, HepsiburadaAdapter, service_urls
from marketplaces.client import MarketplaceError
from marketplaces.sandbox.hepsiburada import HepsiburadaSandbox
from tests.marketplaces.hb_world import CREDENTIALS, make_adapter, open_adapter, running_sandbox, tee


@pytest.fixture
def sandbox() -> Iterator[HepsiburadaSandbox]:
    yield from running_sandbox()


@pytest.fixture
def adapter(sandbox: HepsiburadaSandbox) -> Iterator[HepsiburadaAdapter]:
    yield from open_adapter(sandbox)



@pytest.fixture(autouse=True)
def _fast_retries(settings: Any) -> None:
    settings.MARKETPLACE_RETRY_BASE_SECONDS = 0.01
    settings.MARKETPLACE_HTTP_MAX_ATTEMPTS = 10


def results(adapter: HepsiburadaAdapter, handles: list) -> dict[str, Any]:
    found = {}
    for handle in handles:
        result = adapter.wait_for_batch(handle, timeout=5, interval=0.05)
        assert result.done
        found.update({item.key: item for item in result.items})
    return found


# ---- hosts ---------------------------------------------------------------------------------------


def test_hosts_per_service_follow_the_environment_and_the_overrides():
    assert service_urls("https://listing-external.hepsiburada.com", {}) == HOSTS["prod"]
    assert service_urls("", {"environment": "sit"}) == {
        "listing": "https://listing-external-sit.hepsiburada.com",
        "oms": "https://oms-external-sit.hepsiburada.com",
        "catalog": "https://mpop-sit.hepsiburada.com/product"}
    # the default (prod) base URL does not override an explicit sandbox environment
    assert service_urls("https://listing-external.hepsiburada.com", {"environment": "sit"}) == HOSTS["sit"]
    assert service_urls("https://listing-external-sit.hepsiburada.com", {})["oms"].endswith("-sit.hepsiburada.com")
    assert service_urls("http://gw.local:9/hb/listing", {}) == {
        "listing": "http://gw.local:9/hb/listing", "oms": "http://gw.local:9/hb/oms",
        "catalog": "http://gw.local:9/hb/mpop/product"}
    assert service_urls("", {"oms_url": "https://oms.example/"})["oms"] == "https://oms.example"
    with pytest.raises(MarketplaceError, match="Unknown Hepsiburada environment"):
        service_urls("", {"environment": "staging"})


def test_explicit_per_service_urls_reach_the_sandbox(sandbox: HepsiburadaSandbox):
    with make_adapter(sandbox, explicit_hosts=True) as a:
        a.test_connection()
    assert sandbox.count_requests("GET", "/listing/listings/") == 1
    assert sandbox.count_requests("GET", "/oms/orders/") == 1


# ---- auth ----------------------------------------------------------------------------------------


def test_connection_works_with_the_merchant_credentials(adapter: HepsiburadaAdapter, sandbox: HepsiburadaSandbox):
    adapter.test_connection()
    request = sandbox.requests[0]
    assert request.header("User-Agent") == CREDENTIALS["user_agent"]


@pytest.mark.parametrize("change", [{"service_key": "WrongKey1234"}, {"user_agent": "7c2f - meschain_dev"},
                                    {"username": "developer-user"}])  # fmt: skip
def test_bad_credentials_are_refused_with_the_listing_hosts_401(sandbox: HepsiburadaSandbox, change: dict):
    with make_adapter(sandbox, credentials={**CREDENTIALS, **change}) as a, pytest.raises(MarketplaceError) as exc:
        a.test_connection()
    assert exc.value.status == 401 and exc.value.body == "Missing Credentials!"
    assert not exc.value.retryable


def test_a_configured_username_takes_the_basic_auth_slot(sandbox: HepsiburadaSandbox):
    sandbox.username = "developer-user"
    with make_adapter(sandbox, credentials={**CREDENTIALS, "username": "developer-user"}) as a:
        a.test_connection()


def test_without_a_user_agent_nothing_is_sent(sandbox: HepsiburadaSandbox):
    credentials = {k: v for k, v in CREDENTIALS.items() if k != "user_agent"}
    with make_adapter(sandbox, credentials=credentials) as a, pytest.raises(MarketplaceError, match="user_agent"):
        a.test_connection()
    assert sandbox.request_count == 0


# ---- listings ------------------------------------------------------------------------------------


def test_listings_are_created_through_the_catalog_import_and_polled(adapter: HepsiburadaAdapter,
                                                                    sandbox: HepsiburadaSandbox):  # fmt: skip
    sandbox.reject_items(["TEE-3"], "Görseller yetersiz.")
    items = [tee(f"TEE-{i}") for i in range(5)] + [tee("NOATTR", attributes=[])]

    found = results(adapter, adapter.push_listings(items))

    assert {k for k, r in found.items() if r.status == ITEM_SUCCESS} == {"TEE-0", "TEE-1", "TEE-2", "TEE-4"}
    assert found["TEE-3"].errors == ["Görseller yetersiz."]
    assert any("renk_variant_property" in e for e in found["NOATTR"].errors)
    assert sandbox.listings["TEE-0"]["availableStock"] == 5 and sandbox.listings["TEE-0"]["price"] == 199.9
    [upload] = sandbox.requests_to("POST", "/api/products/import")
    assert upload.header("Content-Type").startswith("multipart/form-data")
    assert "integrator.json" in upload.body and '"price": "199,90"' in upload.body


def test_rules_that_cost_money_are_checked_before_sending(adapter: HepsiburadaAdapter,
                                                          sandbox: HepsiburadaSandbox):  # fmt: skip
    found = results(adapter, adapter.push_listings([tee("FREE", sale_price=0), tee("VAT8", vat_rate=8)]))

    assert found["FREE"].status == ITEM_FAILED and "greater than zero" in found["FREE"].errors[0]
    assert found["VAT8"].status == ITEM_FAILED and "VAT" in found["VAT8"].errors[0]
    assert sandbox.request_count == 0


def test_a_dot_decimal_catalog_price_is_refused_by_the_catalog(sandbox: HepsiburadaSandbox):
    with make_adapter(sandbox, catalog_price_format="dot") as a:
        found = results(a, a.push_listings([tee("TEE-1")]))
    assert found["TEE-1"].status == ITEM_FAILED and "130,50" in found["TEE-1"].errors[0]


# ---- stock and prices ----------------------------------------------------------------------------


def test_stock_and_prices_go_as_bare_arrays_and_row_failures_come_inside_a_200(
        adapter: HepsiburadaAdapter, sandbox: HepsiburadaSandbox):  # fmt: skip
    for sku in ("A", "B", "C"):
        sandbox.add_listing(sku)
    sandbox.reject_items(["C"], "Fiyat kategori bandının dışında.")
    items = [StockPriceItem("A", quantity=7, sale_price=120.5, sku="A"), StockPriceItem("B", quantity=3, sku="B"),
             StockPriceItem("C", quantity=1, sale_price=99, sku="C"), StockPriceItem("GHOST", quantity=1, sku="GHOST")]

    found = results(adapter, adapter.push_stock_prices(items))

    assert (found["A"].status, found["B"].status) == (ITEM_SUCCESS, ITEM_SUCCESS)
    assert found["C"].errors == ["Fiyat kategori bandının dışında."]
    assert found["GHOST"].status == ITEM_FAILED and found["GHOST"].errors == ["Listing bulunamadı."]
    assert (sandbox.listings["A"]["availableStock"], sandbox.listings["A"]["price"]) == (7, 120.5)
    assert sandbox.listings["B"]["availableStock"] == 3
    inventory = sandbox.requests_to("POST", "/inventory-uploads")[0].body
    assert isinstance(inventory, list) and {"merchantSku": "A", "price": 120.5, "availableStock": 7}.items() <= \
        inventory[0].items()
    assert sandbox.requests_to("POST", "/stock-uploads")[0].body[0]["availableStock"] in (3, 1)


def test_listings_fulfilled_by_hepsiburada_get_their_price_but_never_our_stock(
        adapter: HepsiburadaAdapter, sandbox: HepsiburadaSandbox):  # fmt: skip
    sandbox.add_listing("OWN")
    sandbox.add_listing("FBH", fulfilled=True)
    items = [StockPriceItem("OWN", quantity=9, sale_price=50, sku="OWN"),
             StockPriceItem("FBH", quantity=9, sale_price=60, sku="FBH")]

    found = results(adapter, adapter.push_stock_prices(items))

    assert found["OWN"].status == ITEM_SUCCESS
    assert found["FBH"].status == ITEM_FAILED and found["FBH"].errors == [str(FULFILLED_BY_HB)]
    assert sandbox.listings["FBH"]["price"] == 60 and sandbox.listings["FBH"]["availableStock"] == 0
    assert not sandbox.fbh_stock_writes
    sent = [row for r in sandbox.requests_to("POST", "-uploads") for row in r.body if row["merchantSku"] == "FBH"]
    assert sent == [{"merchantSku": "FBH", "hepsiburadaSku": sandbox.listings["FBH"]["hepsiburadaSku"], "price": 60.0}]


def test_skip_mode_reports_fulfilled_listings_as_accepted(sandbox: HepsiburadaSandbox):
    sandbox.add_listing("FBH", fulfilled=True)
    with make_adapter(sandbox, fulfilled_by_hb="skip") as a:
        found = results(a, a.push_stock_prices([StockPriceItem("FBH", quantity=4, sale_price=10, sku="FBH"),
                                                StockPriceItem("FBH2", quantity=4, sku="FBH2")]))
    assert found["FBH"].status == ITEM_SUCCESS and not sandbox.fbh_stock_writes


def test_many_listings_are_looked_up_with_one_scan(adapter: HepsiburadaAdapter, sandbox: HepsiburadaSandbox):
    for i in range(450):
        sandbox.add_listing(f"S{i:03d}", fulfilled=i % 100 == 0)
    items = [StockPriceItem(f"S{i:03d}", quantity=i, sale_price=10, sku=f"S{i:03d}") for i in range(450)]

    found = results(adapter, adapter.push_stock_prices(items))

    assert sum(r.status == ITEM_FAILED for r in found.values()) == 5 and not sandbox.fbh_stock_writes
    lookups = [r for r in sandbox.requests_to("GET", "/listings/merchantid/") if "-uploads" not in r.path]
    assert len(lookups) == 1 and "limit=1000" in lookups[0].query  # one page of 1,000
    assert sandbox.listings["S449"]["availableStock"] == 449


def test_a_sixth_upload_in_flight_waits_for_a_slot(sandbox: HepsiburadaSandbox):
    sandbox.batch_delay = 0.3
    for i in range(6):
        sandbox.add_listing(f"K{i}")
    with make_adapter(sandbox, batch_size=1, upload_slot_wait_seconds=0.2) as a:
        handles = a.push_stock_prices([StockPriceItem(f"K{i}", quantity=1, sku=f"K{i}") for i in range(6)])
        found = results(a, handles)
    assert len(handles) == 6 and all(r.status == ITEM_SUCCESS for r in found.values())
    assert sandbox.count_requests("POST", "/stock-uploads") >= 7  # the sixth was told to wait, inside a 200


# ---- categories ----------------------------------------------------------------------------------


def test_categories_and_attributes(adapter: HepsiburadaAdapter):
    roots = adapter.fetch_categories()
    leaves = {c.id: c.name for root in roots for c in root.walk() if c.is_leaf}
    assert leaves[18021982] == "Tişört" and {r.name for r in roots} == {"Moda", "Elektronik", "Ev, Yaşam"}

    attributes = {a.id: a for a in adapter.fetch_category_attributes(18021982)}
    colour = attributes["renk_variant_property"]
    assert colour.required and colour.varianter and {v["name"] for v in colour.values} >= {"Siyah", "Beyaz"}
    assert attributes["UrunAdi"].required and attributes["UrunAdi"].allow_custom


def test_a_branch_category_has_no_attributes_and_says_so_inside_a_200(adapter: HepsiburadaAdapter):
    with pytest.raises(MarketplaceError, match="leaf") as exc:
        adapter.fetch_category_attributes(18021000)
    assert exc.value.status == 200 and exc.value.body["code"] == 1003


# ---- faults --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["rate_limit_rate", "error_rate", "drop_rate"])
def test_throttling_server_errors_and_drops_are_retried(adapter: HepsiburadaAdapter, sandbox: HepsiburadaSandbox,
                                                        fault: str):  # fmt: skip
    sandbox.set_faults(**{fault: 0.5}, retry_after=0, seed=7)
    adapter.test_connection()
    assert adapter.fetch_categories()
    faulted = [r for r in sandbox.requests if r.fault]
    assert faulted and all(r.fault == {"rate_limit_rate": "429", "error_rate": "5xx",
                                       "drop_rate": "drop"}[fault] for r in faulted)  # fmt: skip


def test_a_429_retry_after_is_honoured(sandbox: HepsiburadaSandbox):
    waits: list[float] = []
    sandbox.set_faults(rate_limit_rate=1.0, retry_after=2)
    with make_adapter(sandbox) as a:
        for client in a.clients.values():
            client._sleep = waits.append
            client.retry.max_attempts = 3
        with pytest.raises(MarketplaceError) as exc:
            a.test_connection()
    assert exc.value.status == 429 and waits == [2.0, 2.0]
