"""Hepsiburada orders through the adapter, over HTTP: Turkey-time windows of at most 24 hours,
paging of every feed, lines merged across the orders and packages feeds, the thin status
feeds, and our status changes (package, invoice link, own-cargo delivery news)."""

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest

from marketplaces.adapters.base import CANCELLED, COMPLETED, PENDING, PROCESSING
from marketplaces.adapters.hepsiburada import HepsiburadaAdapter
from marketplaces.adapters.hepsiburada_orders import hb_date, parse_date, windows
from marketplaces.client import MarketplaceError
from marketplaces.sandbox.hepsiburada import MERCHANT_ID, HepsiburadaSandbox
from tests.marketplaces.hb_world import open_adapter, running_sandbox, seller


@pytest.fixture
def sandbox() -> Iterator[HepsiburadaSandbox]:
    yield from running_sandbox()


@pytest.fixture
def adapter(sandbox: HepsiburadaSandbox) -> Iterator[HepsiburadaAdapter]:
    yield from open_adapter(sandbox)


HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _fast_retries(settings: Any) -> None:
    settings.MARKETPLACE_RETRY_BASE_SECONDS = 0.01


def params(request: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.query).items()}


def by_number(pull: Any) -> dict[str, Any]:
    return {order.external_id: order for order in pull.orders}


def test_dates_are_turkey_time_minutes():
    moment = datetime(2026, 8, 25, 9, 0, 41, tzinfo=UTC)
    assert hb_date(moment) == "2026-08-25 12:00"
    assert parse_date("2026-08-25T12:00:00") == datetime(2026, 8, 25, 9, 0, tzinfo=UTC)
    assert parse_date("2018-12-23T13:28:27.4518986") == datetime(2018, 12, 23, 10, 28, 27, 451898, tzinfo=UTC)
    assert parse_date("2020-09-15T16:06:51Z") == datetime(2020, 9, 15, 16, 6, 51, tzinfo=UTC)
    spans = list(windows(moment - 50 * HOUR, moment))
    assert len(spans) == 3 and all(end - start <= 24 * HOUR for start, end in spans)
    assert spans[0][0] == datetime(2026, 8, 23, 7, 0, tzinfo=UTC) and spans[-1][1] == moment.replace(
        second=0) + timedelta(minutes=1)


def test_a_long_pull_goes_in_windows_of_at_most_24_hours(adapter: HepsiburadaAdapter, sandbox: HepsiburadaSandbox):
    now = datetime.now(UTC)
    old, recent = sandbox.add_orders(1, ["A"], created_at=(now - 50 * HOUR).timestamp()), sandbox.add_orders(1, ["B"])

    pull = adapter.fetch_orders(now - 60 * HOUR, now, overlap=timedelta(0))

    assert set(by_number(pull)) == {*old, *recent}
    for kind, path_end in (("orders", f"/orders/merchantid/{MERCHANT_ID}"),
                           ("packages", f"/packages/merchantid/{MERCHANT_ID}")):  # fmt: skip
        calls = [params(r) for r in sandbox.requests_to("GET", path_end) if r.path.endswith(path_end)]
        spans = [(datetime.strptime(c["begindate"], "%Y-%m-%d %H:%M"), datetime.strptime(c["enddate"], "%Y-%m-%d %H:%M"))
                 for c in calls]  # fmt: skip
        assert len(spans) == 3, kind
        assert all(end - begin <= 24 * HOUR for begin, end in spans)
        assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))  # contiguous
        start_tr = (now - 60 * HOUR + timedelta(hours=3)).replace(tzinfo=None, second=0, microsecond=0)
        assert spans[0][0] == start_tr and spans[-1][1] >= (now + timedelta(hours=3)).replace(tzinfo=None)


def test_every_page_of_orders_and_packages_is_read(adapter: HepsiburadaAdapter, sandbox: HepsiburadaSandbox):
    numbers = sandbox.add_orders(250, [f"S{i}" for i in range(7)])
    for number in numbers[:25]:
        sandbox.hb_pack(number)

    pull = adapter.fetch_orders(datetime.now(UTC) - HOUR)

    orders = by_number(pull)
    assert set(orders) == set(numbers)
    assert sum(o.status == PROCESSING for o in orders.values()) == 25
    order_pages = [params(r) for r in sandbox.requests_to("GET") if r.path.endswith(f"/orders/merchantid/{MERCHANT_ID}")]
    assert [(p["offset"], p["limit"]) for p in order_pages] == [("0", "100"), ("100", "100"), ("200", "100")]  # 225 open lines
    package_pages = [params(r) for r in sandbox.requests_to("GET") if r.path.endswith(f"/packages/merchantid/{MERCHANT_ID}")]
    assert [(p.get("Offset"), p["limit"]) for p in package_pages] == [("0", "10"), ("10", "10"), ("20", "10")]
    assert pull.requests == len(sandbox.requests)


def test_lines_in_both_feeds_are_merged_into_one_order(adapter: HepsiburadaAdapter, sandbox: HepsiburadaSandbox):
    [number] = sandbox.add_orders(1, ["A", "B"], lines_per_order=2)
    first, second = sandbox.orders[number]["lineIds"]
    with seller(sandbox, "oms") as oms:  # the seller packs one line elsewhere (panel, another tool)
        answer = oms.post(f"/packages/merchantid/{MERCHANT_ID}", json={"lineItemRequests": [{"id": first, "quantity": 1}]})
    assert answer.status_code == 201

    order = by_number(adapter.fetch_orders(datetime.now(UTC) - HOUR))[number]

    assert {(line.line_id, line.marketplace_status) for line in order.lines} == {(first, "Packaged"), (second, "Open")}
    assert (order.status, order.marketplace_status) == (PENDING, "Open")
    assert {line.merchant_sku for line in order.lines} == {"A", "B"} and order.total > 0


def test_an_older_order_packed_in_part_now_is_read_in_full(adapter: HepsiburadaAdapter, sandbox: HepsiburadaSandbox):
    [number] = sandbox.add_orders(1, ["A", "B"], lines_per_order=2,
                                  created_at=(datetime.now(UTC) - 5 * HOUR).timestamp())  # fmt: skip
    first, second = sandbox.orders[number]["lineIds"]
    sandbox._pack([first])  # packed now; its open line was created before the pull's window

    order = by_number(adapter.fetch_orders(datetime.now(UTC) - HOUR))[number]

    assert {(line.line_id, line.marketplace_status) for line in order.lines} == {(first, "Packaged"), (second, "Open")}
    assert order.status == PENDING
    assert sandbox.count_requests("GET", f"/ordernumber/{number}") == 1


def test_shipped_delivered_and_cancelled_orders_are_read_in_full(adapter: HepsiburadaAdapter,
                                                                 sandbox: HepsiburadaSandbox):  # fmt: skip
    shipped, delivered, cancelled = sandbox.add_orders(3, ["A"], created_at=(datetime.now(UTC) - 48 * HOUR).timestamp())
    for number in (shipped, delivered):
        sandbox.set_package_status(sandbox.hb_pack(number), "InTransit")
    sandbox.set_package_status(sandbox.orders[delivered]["lineIds"] and
                               sandbox.lines[sandbox.orders[delivered]["lineIds"][0]]["packageNumber"], "Delivered")
    sandbox.cancel_lines(cancelled)

    orders = by_number(adapter.fetch_orders(datetime.now(UTC) - HOUR))

    assert (orders[shipped].status, orders[shipped].marketplace_status) == (PROCESSING, "InTransit")
    assert (orders[delivered].status, orders[cancelled].status) == (COMPLETED, CANCELLED)
    assert all(len(o.lines) == 1 and o.lines[0].merchant_sku == "A" for o in orders.values())
    for feed in ("shipped", "delivered", "undelivered"):
        [request] = sandbox.requests_to("GET", f"/packages/merchantid/{MERCHANT_ID}/{feed}")
        assert "begindate" not in request.query and params(request)["limit"] == "50"


# ---- our status changes ----------------------------------------------------------------------------


def test_processing_packs_the_open_lines_and_then_nothing_more(adapter: HepsiburadaAdapter,
                                                               sandbox: HepsiburadaSandbox):  # fmt: skip
    [number] = sandbox.add_orders(1, ["A", "B"], lines_per_order=2)
    status = adapter.seller_status_for(PROCESSING)

    adapter.push_order_status(adapter.fetch_order(number), status)

    assert sandbox.order_status(number) == "Packaged" and len(sandbox.packages) == 1
    [request] = sandbox.requests_to("POST", f"/packages/merchantid/{MERCHANT_ID}")
    assert sorted(r["id"] for r in request.body["lineItemRequests"]) == sandbox.orders[number]["lineIds"]
    adapter.push_order_status(adapter.fetch_order(number), status)  # sent again: nothing left to pack
    assert sandbox.count_requests("POST", "/packages/") == 1


def test_invoice_link_and_own_cargo_delivery_news(adapter: HepsiburadaAdapter, sandbox: HepsiburadaSandbox):
    [number] = sandbox.add_orders(1, ["A"], cargo="own")
    adapter.push_order_status(adapter.fetch_order(number), "Packaged")
    order = adapter.fetch_order(number)
    [package] = sandbox.packages

    with pytest.raises(MarketplaceError, match="link"):
        adapter.push_order_status(order, "Invoiced", invoice_number="FTR2026000001")
    adapter.push_order_status(order, "Invoiced", invoice_number="https://fatura.example.com/FTR2026000001.pdf")
    adapter.push_order_status(order, "InTransit", tracking_number="TRK123")
    assert sandbox.order_status(number) == "InTransit"
    adapter.push_order_status(adapter.fetch_order(number), "Delivered", received_by="Alıcı")

    assert sandbox.order_status(number) == "Delivered"
    assert sandbox.packages[package]["invoiceLink"].endswith("FTR2026000001.pdf")
    assert sandbox.requests_to("POST", "/intransit")[0].body["trackingNumber"] == "TRK123"


def test_hepsiburada_cargo_packages_refuse_delivery_news_and_unpacked_orders_have_none(
        adapter: HepsiburadaAdapter, sandbox: HepsiburadaSandbox):  # fmt: skip
    hb_cargo, unpacked = sandbox.add_orders(2, ["A"])
    adapter.push_order_status(adapter.fetch_order(hb_cargo), "Packaged")

    with pytest.raises(MarketplaceError) as exc:
        adapter.push_order_status(adapter.fetch_order(hb_cargo), "InTransit")
    assert exc.value.status == 400 and exc.value.body["code"] == "NotMerchantCargo"
    with pytest.raises(MarketplaceError, match="no package"):
        adapter.push_order_status(adapter.fetch_order(unpacked), "Invoiced", invoice_number="https://x.example/1.pdf")
    assert sandbox.order_status(hb_cargo) == "Packaged" and adapter.fetch_order("999") is None
