"""The contract every marketplace adapter passes, against its sandbox over HTTP, through our
sync services (in-process here; `test_contract_worker.py` runs it with a Celery worker):
500 variants listed once, prices and stock pushed, 100 orders pulled into the orders
services, a status pushed back, per-item refusals kept on the listing, throttling and
server errors retried, and a sync that dies resumed without duplicates."""

from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum

from catalog.models import StockLevel, Variant
from catalog.services import stock as stock_services
from marketplaces import services
from marketplaces.models import Listing, ListingStatus, SyncJob, SyncState
from orders.models import Order, OrderLine
from tests.marketplaces.contract.conftest import ContractWorld, contract_world, let_the_stock_interval_pass

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_sync")]


class WorkerDied(BaseException):
    """Stands for a worker process killed in the middle of a job (not an Exception: the
    runner cannot catch it and mark the job failed, exactly as with a real kill)."""


#: the proofs that need volume use the full catalogue (500 variants); the others a fifth of it
SMALL = 20


@pytest.fixture
def world(kit: Any, contract_sandbox: Any, make_tenant: Any) -> ContractWorld:
    return contract_world(kit, contract_sandbox, make_tenant("acme"), products=SMALL)


def run(world: ContractWorld, kind: str, **options: Any) -> SyncJob:
    job = services.request_sync(world.account, kind, actor="test", enqueue=False)
    outcome = services.run_job(job.pk, worker="contract-worker", **options)
    job.refresh_from_db()
    assert outcome == job.state, (outcome, job.message, job.errors[:3])
    return job


def follow_ups(world: ContractWorld) -> None:
    """Run the jobs a job queued when it ended (a worker would): e.g. the stock of listings
    whose create carried none."""
    for job in SyncJob.objects.filter(account=world.account, state=SyncState.QUEUED):
        assert services.run_job(job.pk, worker="contract-worker") == SyncState.SUCCEEDED


def listed(world: ContractWorld) -> SyncJob:
    job = run(world, "catalog")
    assert (job.state, job.failed) == (SyncState.SUCCEEDED, 0), (job.message, job.errors[:3])
    follow_ups(world)
    return job


def test_every_variant_is_listed_once_and_nothing_unchanged_is_sent_again(kit: Any, contract_sandbox: Any,
                                                                         make_tenant: Any):  # fmt: skip
    world = contract_world(kit, contract_sandbox, make_tenant("acme"))  # 500 variants
    sandbox = world.sandbox
    job = listed(world)

    keys = {world.key(v) for v in world.variants()}
    assert (job.total, job.done) == (500, 500)
    assert kit.listed_keys(sandbox) == keys
    assert Listing.objects.filter(account=world.account, status=ListingStatus.SYNCED).count() == 500
    assert set(Listing.objects.filter(account=world.account).values_list("external_barcode", flat=True)) == keys
    assert max(kit.creates_sent(sandbox).values()) == 1
    some = world.variants()[7]
    assert kit.stock_of(sandbox, world.key(some)) == 50

    again = run(world, "catalog")
    assert (again.state, again.done, again.failed) == (SyncState.SUCCEEDED, 0, 0)
    assert max(kit.creates_sent(sandbox).values()) == 1


def test_price_and_stock_changes_reach_the_marketplace(world: ContractWorld):
    kit, sandbox = world.kit, world.sandbox
    listed(world)
    let_the_stock_interval_pass(world)
    variants = world.variants()
    for variant in variants[:20]:
        stock_services.adjust(world.tenant.pk, variant.pk, delta=-3, actor="test")
    repriced = variants[20:25]
    Variant.objects.filter(pk__in=[v.pk for v in repriced]).update(price=Decimal("179.50"))
    services.mark_stock_changed(world.tenant.pk, variant_ids={v.pk for v in variants[:25]})

    job = run(world, "stock_price")

    assert (job.state, job.done, job.failed) == (SyncState.SUCCEEDED, 25, 0), job.errors[:3]
    assert all(kit.stock_of(sandbox, world.key(v)) == 47 for v in variants[:20])
    assert all(kit.price_of(sandbox, world.key(v)) == Decimal("179.50") for v in repriced)
    assert kit.stock_of(sandbox, world.key(variants[30])) == 50
    let_the_stock_interval_pass(world)
    assert run(world, "stock_price").done == 0


def test_orders_are_pulled_into_the_order_book_with_stock_reserved(world: ContractWorld):
    kit, sandbox = world.kit, world.sandbox
    listed(world)
    external_ids = kit.add_orders(sandbox, 100, [world.key(v) for v in world.variants()])

    job = run(world, "orders")

    assert job.state == SyncState.SUCCEEDED, (job.message, job.errors[:3])
    ours = Order.objects.filter(tenant=world.tenant, channel=f"{kit.code}:{world.account.pk}")
    assert sorted(ours.values_list("external_id", flat=True)) == sorted(external_ids)
    lines = OrderLine.objects.filter(order__in=ours)
    assert not lines.filter(variant__isnull=True).exists()
    ordered = lines.aggregate(units=Sum("quantity"))["units"]
    reserved = StockLevel.objects.filter(tenant=world.tenant).aggregate(units=Sum("reserved"))["units"]
    assert ordered == reserved and not lines.filter(reserved=False).exists()

    again = run(world, "orders")
    assert again.state == SyncState.SUCCEEDED and ours.count() == 100


def test_our_status_change_reaches_the_marketplace(world: ContractWorld):
    from orders.services import change_status, status_path

    kit, sandbox = world.kit, world.sandbox
    listed(world)
    [external_id] = kit.add_orders(sandbox, 1, [world.key(world.variants()[0])])
    run(world, "orders")
    order = Order.objects.get(tenant=world.tenant, external_id=external_id)

    for status in status_path(order.status, kit.status_to_push):
        order = change_status(order, status, actor="test")
    [push_id] = services.queue_status_pushes(world.tenant.pk, [{"channel": order.channel, "order_id": order.pk}])

    assert services.send_status_push(push_id) == "sent"
    assert kit.order_status(sandbox, external_id) == kit.pushed_status


def test_a_refused_item_keeps_the_marketplace_reason_and_the_rest_is_listed(world: ContractWorld):
    kit, sandbox = world.kit, world.sandbox
    bad = world.variants()[3]
    reason = "Kontrat testi: bu ürün reddedildi."
    kit.reject_items(sandbox, [world.key(bad)], reason)

    job = run(world, "catalog")

    assert (job.state, job.done, job.failed) == (SyncState.PARTIAL, len(world.variants()) - 1, 1)
    listing = Listing.objects.get(account=world.account, variant=bad)
    assert listing.status == ListingStatus.ERROR and reason in listing.last_error
    assert listing.next_attempt_at is not None and job.errors[0]["sku"] == bad.sku
    assert world.key(bad) not in kit.listed_keys(sandbox)


def test_throttling_and_server_errors_are_retried(kit: Any, contract_sandbox: Any, make_tenant: Any,
                                                 settings: Any):  # fmt: skip
    settings.MARKETPLACE_HTTP_MAX_ATTEMPTS = 10
    world = contract_world(kit, contract_sandbox, make_tenant("acme"), products=SMALL,
                           adapter_options={"batch_size": 20})  # fmt: skip
    sandbox = world.sandbox
    sandbox.set_faults(rate_limit_rate=0.25, error_rate=0.25, retry_after=0, seed=3)

    listed(world)
    let_the_stock_interval_pass(world)
    for variant in world.variants()[:10]:
        stock_services.adjust(world.tenant.pk, variant.pk, delta=-1, actor="test")
    services.mark_stock_changed(world.tenant.pk, variant_ids={v.pk for v in world.variants()[:10]})
    job = run(world, "stock_price")

    assert (job.state, job.failed) == (SyncState.SUCCEEDED, 0), job.errors[:3]
    faults = [r for r in sandbox.requests if r.fault in ("429", "5xx")]
    assert any(r.fault == "429" for r in faults) and any(r.fault == "5xx" for r in faults)
    assert len(kit.listed_keys(sandbox)) == len(world.variants())
    assert all(kit.stock_of(sandbox, world.key(v)) == 49 for v in world.variants()[:10])


def test_a_sync_that_dies_is_resumed_without_duplicates(kit: Any, contract_sandbox: Any, make_tenant: Any,
                                                       settings: Any):  # fmt: skip
    world = contract_world(kit, contract_sandbox, make_tenant("acme"), products=SMALL,
                           adapter_options={"batch_size": 20})  # fmt: skip
    job = services.request_sync(world.account, "catalog", actor="test", enqueue=False)

    def die_after_the_first_results(progress: SyncJob) -> None:
        if progress.done:  # every batch was sent; the first one's results are recorded
            raise WorkerDied

    with pytest.raises(WorkerDied):
        services.run_job(job.pk, worker="worker-a", on_progress=die_after_the_first_results)
    job.refresh_from_db()
    total = len(world.variants())
    assert job.state == SyncState.RUNNING and 0 < job.done < total

    settings.MARKETPLACE_SYNC_STALE_SECONDS = 0  # the dead worker's heartbeat is stale at once
    assert services.run_job(job.pk, worker="worker-b") in (SyncState.SUCCEEDED,)
    job.refresh_from_db()
    assert (job.state, job.runs, job.done, job.failed) == (SyncState.SUCCEEDED, 2, total, 0)
    assert kit.listed_keys(world.sandbox) == {world.key(v) for v in world.variants()}
    assert max(kit.creates_sent(world.sandbox).values()) == 1
