"""Hepsiburada through our sync services (in-process), asserting on what the sandbox received:
the lowercase ``merchantid`` segment, Basic auth and the registered User-Agent on every call;
listings fulfilled by Hepsiburada kept out of stock sync; an order whose lines move from the
orders feed into packages kept whole."""

from collections.abc import Iterator
from typing import Any

import pytest

from catalog.services import stock as stock_services
from marketplaces import services
from marketplaces.adapters.hepsiburada import FULFILLED_BY_HB
from marketplaces.models import Listing, ListingStatus, SyncJob, SyncState
from marketplaces.sandbox.base import basic_credentials
from marketplaces.sandbox.hepsiburada import MERCHANT_ID, SERVICE_KEY, USER_AGENT, HepsiburadaSandbox
from orders.models import Order, OrderLine
from orders.services import change_status
from tests.marketplaces.contract.conftest import ContractWorld, contract_world
from tests.marketplaces.contract.kit_hepsiburada import HepsiburadaKit
from tests.marketplaces.hb_world import running_sandbox
from tests.marketplaces.sync_world import fast_sync  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_sync")]


@pytest.fixture
def sandbox() -> Iterator[HepsiburadaSandbox]:
    yield from running_sandbox()


@pytest.fixture
def world(sandbox: HepsiburadaSandbox, make_tenant: Any) -> ContractWorld:
    return contract_world(HepsiburadaKit(), sandbox, make_tenant("acme"), products=4)


def run(world: ContractWorld, kind: str) -> SyncJob:
    job = services.request_sync(world.account, kind, actor="test", enqueue=False)
    outcome = services.run_job(job.pk, worker="test-worker")
    job.refresh_from_db()
    assert outcome == job.state, (outcome, job.message, job.errors[:3])
    return job


def push_processing(world: ContractWorld, order: Order) -> str:
    change_status(order, "processing", actor="test")
    [push] = services.queue_status_pushes(world.tenant.pk, [{"channel": order.channel, "order_id": order.pk}])
    return services.send_status_push(push)


def test_every_call_uses_lowercase_merchantid_basic_auth_and_the_registered_user_agent(
        world: ContractWorld, sandbox: HepsiburadaSandbox):  # fmt: skip
    assert run(world, "catalog").state == SyncState.SUCCEEDED
    variants = world.variants()
    stock_services.adjust(world.tenant.pk, variants[0].pk, delta=-2, actor="test")
    services.mark_stock_changed(world.tenant.pk, variant_ids={variants[0].pk})
    assert run(world, "stock_price").done == 1
    [number] = sandbox.add_orders(1, [world.key(variants[1])])
    assert run(world, "orders").state == SyncState.SUCCEEDED
    assert push_processing(world, Order.objects.get(external_id=number)) == "sent"

    assert sum(job.requests for job in SyncJob.objects.all()) + 2 == len(sandbox.requests)  # + the status push
    paths = {r.path.split("/")[1] for r in sandbox.requests}
    assert paths == {"listing", "oms", "mpop"} and len(sandbox.requests) > 20
    for request in sandbox.requests:
        assert request.header("User-Agent") == USER_AGENT, request.path
        assert basic_credentials(request.headers) == (MERCHANT_ID, SERVICE_KEY), request.path
        if not request.path.startswith("/mpop/"):
            assert f"/merchantid/{MERCHANT_ID}" in request.path, request.path
        assert "merchantId" not in request.path and request.status in (200, 201), request.path


def test_fulfilled_by_hepsiburada_listings_are_kept_out_of_stock_sync(world: ContractWorld,
                                                                      sandbox: HepsiburadaSandbox):  # fmt: skip
    run(world, "catalog")
    variants = world.variants()[:3]
    fulfilled = world.key(variants[0])
    sandbox.set_fulfilled_by_hb([fulfilled])
    for variant in variants:
        stock_services.adjust(world.tenant.pk, variant.pk, delta=-5, actor="test")
    services.mark_stock_changed(world.tenant.pk, variant_ids={v.pk for v in variants})

    job = run(world, "stock_price")

    assert (job.state, job.done, job.failed) == (SyncState.PARTIAL, 2, 1)
    listing = Listing.objects.get(account=world.account, variant=variants[0])
    assert listing.status == ListingStatus.ERROR and str(FULFILLED_BY_HB) in listing.last_error
    assert not sandbox.fbh_stock_writes and sandbox.listings[fulfilled]["availableStock"] == 50
    assert all(sandbox.listings[world.key(v)]["availableStock"] == 45 for v in variants[1:])
    rows = [row for r in sandbox.requests_to("POST", "-uploads") for row in r.body]
    assert not [row for row in rows if row["merchantSku"] == fulfilled and "availableStock" in row]


def test_a_content_change_is_sent_through_the_catalog_import_again(world: ContractWorld,
                                                                   sandbox: HepsiburadaSandbox):  # fmt: skip
    from catalog.models import Product

    run(world, "catalog")
    variant = world.variants()[0]
    Product.objects.filter(pk=variant.product_id).update(title="Keten tişört")

    job = run(world, "catalog")

    assert (job.state, job.done, job.failed) == (SyncState.SUCCEEDED, 5, 0)  # the product's five variants
    key = world.key(variant)
    assert sandbox.products[key]["attributes"]["UrunAdi"].startswith("Keten tişört")
    assert sandbox.import_counts[key] == 2 and sandbox.listings[key]["availableStock"] == 50


def test_an_order_whose_lines_move_into_packages_stays_whole(world: ContractWorld, sandbox: HepsiburadaSandbox):
    keys = [world.key(v) for v in world.variants()[:2]]
    run(world, "catalog")
    [number] = sandbox.add_orders(1, keys, lines_per_order=2)
    run(world, "orders")
    order = Order.objects.get(tenant=world.tenant, external_id=number)
    assert (order.status, order.lines.count()) == ("pending", 2)

    first = sandbox.orders[number]["lineIds"][0]  # the seller packs one line in the panel
    sandbox._pack([first])
    assert run(world, "orders").state == SyncState.SUCCEEDED
    order.refresh_from_db()
    assert (order.status, order.lines.count(), order.marketplace_status) == ("pending", 2, "Open")

    assert push_processing(world, order) == "sent"  # the other line is packed by us
    assert sandbox.order_status(number) == "Packaged" and len(sandbox.packages) == 2
    run(world, "orders")
    order.refresh_from_db()
    assert (order.status, order.marketplace_status) == ("processing", "Packaged")
    assert sorted(OrderLine.objects.filter(order=order).values_list("sku", flat=True)) == sorted(
        v.sku for v in world.variants()[:2])
