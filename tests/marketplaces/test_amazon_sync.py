"""Amazon through our sync services, in-process: Pending orders reserve nothing until
Amazon moves them to Unshipped; listings and stock go by feed or by patch as their number
decides; a completed order is confirmed as shipped."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db.models import Sum

from catalog.models import StockLevel
from catalog.services import stock as stock_services
from marketplaces import services
from marketplaces.models import SyncJob, SyncState
from marketplaces.sandbox.amazon import AmazonSandbox
from orders.models import Order
from tests.marketplaces.contract.conftest import ContractWorld, contract_world
from tests.marketplaces.contract.kit_amazon import AmazonKit
from tests.marketplaces.sync_world import fast_sync  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_sync")]
KIT = AmazonKit()


@pytest.fixture
def sandbox() -> Iterator[AmazonSandbox]:
    sandbox = KIT.start_sandbox()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def world(sandbox: AmazonSandbox, make_tenant: Any) -> ContractWorld:
    return contract_world(KIT, sandbox, make_tenant("acme"), products=10)


def run(world: ContractWorld, kind: str) -> SyncJob:
    job = services.request_sync(world.account, kind, actor="test", enqueue=False)
    outcome = services.run_job(job.pk, worker="test-worker")
    job.refresh_from_db()
    assert outcome == job.state, (outcome, job.message, job.errors[:3])
    return job


def reserved(world: ContractWorld) -> int:
    return StockLevel.objects.filter(tenant=world.tenant).aggregate(units=Sum("reserved"))["units"] or 0


def test_pending_orders_reserve_nothing_until_amazon_says_unshipped(world: ContractWorld, sandbox: AmazonSandbox):
    run(world, "catalog")
    keys = [world.key(v) for v in world.variants()]
    pending = sandbox.add_orders(2, keys[:2], status="Pending")
    ready = sandbox.add_orders(1, keys[2:3])

    assert run(world, "orders").state == SyncState.SUCCEEDED
    ours = Order.objects.filter(tenant=world.tenant)
    assert list(ours.values_list("external_id", flat=True)) == ready
    assert reserved(world) == 1

    sandbox.set_order_status(pending, "Unshipped")
    assert run(world, "orders").state == SyncState.SUCCEEDED
    assert sorted(ours.values_list("external_id", flat=True)) == sorted(ready + pending)
    assert reserved(world) == 3
    assert set(ours.values_list("marketplace_status", flat=True)) == {"Unshipped"}


def test_listings_go_by_feed_and_small_stock_changes_by_patch(world: ContractWorld, sandbox: AmazonSandbox):
    job = run(world, "catalog")
    assert (job.state, job.done) == (SyncState.SUCCEEDED, 50)
    assert sandbox.count_requests("POST", "/feeds/2021-06-30/feeds") == 1
    listing = sandbox.listings()[world.key(world.variants()[0])]
    assert listing["productType"] == "SHIRT"
    assert listing["attributes"]["color"][0]["value"] == "Siyah"
    assert listing["attributes"]["brand"][0]["value"] == "Acme"

    changed = world.variants()[:3]
    for variant in changed:
        stock_services.adjust(world.tenant.pk, variant.pk, delta=-5, actor="test")
    services.mark_stock_changed(world.tenant.pk, variant_ids={v.pk for v in changed})
    job = run(world, "stock_price")

    assert (job.state, job.done, job.failed) == (SyncState.SUCCEEDED, 3, 0)
    assert sandbox.count_requests("PATCH", "/listings/") == 3
    assert sandbox.count_requests("POST", "/feeds/2021-06-30/feeds") == 1
    assert all(sandbox.stock(world.key(v)) == 45 for v in changed)


def test_a_completed_order_is_confirmed_as_shipped(world: ContractWorld, sandbox: AmazonSandbox, settings: Any):
    from orders.services import change_status

    account = world.account
    account.settings = {**account.settings, "adapter_options": {**account.settings["adapter_options"],
                                                                "tracking_number": "YK-000123"}}  # fmt: skip
    account.save(update_fields=["settings"])
    run(world, "catalog")
    [external_id] = sandbox.add_orders(1, [world.key(world.variants()[0])])
    run(world, "orders")
    order = Order.objects.get(tenant=world.tenant, external_id=external_id)

    change_status(order, "processing", actor="test")
    assert services.queue_status_pushes(world.tenant.pk, [{"channel": order.channel, "order_id": order.pk}]) == []
    order = change_status(Order.objects.get(pk=order.pk), "completed", actor="test")
    [push_id] = services.queue_status_pushes(world.tenant.pk, [{"channel": order.channel, "order_id": order.pk}])

    assert services.send_status_push(push_id) == "sent"
    assert sandbox.order(external_id)["OrderStatus"] == "Shipped"
    [confirm] = sandbox.requests_to("POST", "/shipmentConfirmation")
    assert confirm.body["packageDetail"]["trackingNumber"] == "YK-000123"


def test_the_tracking_number_given_when_an_order_ships_goes_to_amazon(
    world: ContractWorld, sandbox: AmazonSandbox, client_for: Any
):
    from accounts.models import User

    run(world, "catalog")
    [external_id] = sandbox.add_orders(1, [world.key(world.variants()[0])])
    run(world, "orders")
    order = Order.objects.get(tenant=world.tenant, external_id=external_id)
    api = client_for(User.objects.get(username="acme-owner"))
    assert api.put(f"/api/orders/{order.pk}/status", {"status": "processing"}, format="json").status_code == 200

    too_long = api.put(f"/api/orders/{order.pk}/status", {"status": "completed", "tracking_number": "Y" * 101},
                       format="json")  # fmt: skip
    assert too_long.status_code == 400 and Order.objects.get(pk=order.pk).status == "processing"
    shipped = api.put(f"/api/orders/{order.pk}/status", {"status": "completed", "tracking_number": " YK-42 "},
                      format="json")  # fmt: skip
    assert shipped.status_code == 200 and shipped.json()["data"]["tracking_number"] == "YK-42"
    [push_id] = services.queue_status_pushes(world.tenant.pk, [{"channel": order.channel, "order_id": order.pk}])

    assert services.send_status_push(push_id) == "sent"
    [confirm] = sandbox.requests_to("POST", "/shipmentConfirmation")
    assert confirm.body["packageDetail"]["trackingNumber"] == "YK-42"  # this order's, not an account default
