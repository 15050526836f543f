"""The proofs of the sync, on PostgreSQL and Redis with real Celery workers, over HTTP
against the Trendyol sandbox: everything listed, stock pushed, orders pulled with stock
reserved, a status pushed back — with and without injected faults; a worker killed in
the middle of a sync; two workers asked to run the same sync."""

import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db.models import Sum

from catalog.models import StockLevel
from catalog.services import stock as stock_services
from marketplaces import services
from marketplaces.models import Listing, ListingStatus, SyncJob, SyncState
from marketplaces.sandbox.trendyol import TrendyolSandbox
from meschain.errors import Conflict
from orders.models import Order, OrderLine
from orders.services import change_status
from tests.celery_worker import celery_workers
from tests.marketplaces.sync_world import World, make_world, start_sandbox

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

WORKER_ENV = {
    "MARKETPLACE_BATCH_POLL_SECONDS": "0.05",
    "MARKETPLACE_RETRY_BASE_SECONDS": "0.02",
    "MARKETPLACE_RETRY_MAX_SECONDS": "0.2",
    "MARKETPLACE_HTTP_MAX_ATTEMPTS": "8",
    "MARKETPLACE_HTTP_TIMEOUT_SECONDS": "5",
    "MARKETPLACE_RATE_LIMIT": "6000/min",
    "MARKETPLACE_SYNC_STALE_SECONDS": "3",
    "MARKETPLACE_SYNC_SWEEP_SECONDS": "1",
    "OUTBOX_SWEEP_SECONDS": "1",
}


@pytest.fixture
def workers(settings: Any) -> Iterator[Callable[..., Any]]:
    with celery_workers(settings, WORKER_ENV) as start:
        yield start


@pytest.fixture
def sandbox() -> Iterator[TrendyolSandbox]:
    sb = start_sandbox()
    yield sb
    sb.stop()


def wait_for(condition: Callable[[], Any], *, timeout: float = 90.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"Timed out waiting for {what or condition}")


def finished(job: SyncJob, timeout: float = 120.0) -> SyncJob:
    def done() -> SyncJob | None:
        job.refresh_from_db()
        return job if job.state not in ("queued", "running") else None

    return wait_for(done, timeout=timeout, what=f"job {job.pk} to finish")


def created_items(sandbox: TrendyolSandbox) -> Counter:
    """How many times each barcode reached the marketplace in a create batch it accepted."""
    return Counter(
        item["barcode"]
        for r in sandbox.requests
        if r.method == "POST" and r.path.endswith("/v2/products") and r.status == 200
        for item in r.body["items"]
    )


def full_round(world: World, sandbox: TrendyolSandbox, *, variants: int, orders: int) -> None:
    tenant, account = world.tenant, world.account
    catalog = finished(services.request_sync(account, "catalog", actor="test"), timeout=240)
    assert catalog.state == SyncState.SUCCEEDED, (catalog.message, catalog.errors[:3])
    assert (catalog.done, catalog.failed) == (variants, 0)
    assert len(sandbox.products()) == variants
    assert Listing.objects.filter(account=account, status=ListingStatus.SYNCED).count() == variants

    # stock changes travel as events: the worker coalesces them into one stock job
    changed = world.variants()[:100]
    for variant in changed:
        stock_services.adjust(tenant.pk, variant.pk, delta=-3, actor="test")
    wait_for(
        lambda: all(sandbox.stock(v.sku) == 47 for v in changed), timeout=120, what="stock on the marketplace"
    )

    barcodes = [v.sku for v in world.variants()]
    package_ids = sandbox.add_packages(orders, barcodes=barcodes, max_quantity=1)
    pull = finished(services.request_sync(account, "orders", actor="test"), timeout=120)
    assert pull.state == SyncState.SUCCEEDED, (pull.message, pull.errors[:3])
    ours = Order.objects.filter(tenant=tenant, channel=f"trendyol:{account.pk}")
    assert sorted(ours.values_list("external_id", flat=True)) == sorted(str(p) for p in package_ids)
    ordered = OrderLine.objects.filter(order__in=ours).aggregate(units=Sum("quantity"))["units"]
    reserved = StockLevel.objects.filter(tenant=tenant).aggregate(units=Sum("reserved"))["units"]
    assert ordered == reserved and not OrderLine.objects.filter(order__in=ours, reserved=False).exists()

    # the reservations travel back out: the marketplace now offers what is left to sell
    ordered_skus = set(OrderLine.objects.filter(order__in=ours).values_list("sku", flat=True)[:50])
    sellable = {
        row["variant__sku"]: row["on_hand"] - row["reserved"]
        for row in StockLevel.objects.filter(tenant=tenant, variant__sku__in=ordered_skus)
        .values("variant__sku")
        .annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    }
    assert any(units < 50 for units in sellable.values())
    wait_for(lambda: all(sandbox.stock(sku) == units for sku, units in sellable.items()),
             timeout=120, what="reserved stock on the marketplace")  # fmt: skip

    order = ours.get(external_id=str(package_ids[0]))
    change_status(order, "processing", actor="test")
    wait_for(lambda: sandbox.package(package_ids[0])["status"] == "Picking", what="status pushed back")


def test_end_to_end_with_a_worker(workers: Any, sandbox: TrendyolSandbox, make_tenant: Any):
    world = make_world(make_tenant("acme"), sandbox, products=500, variants_per_product=5)
    workers(beat=True)  # as deployed: beat sweeps what events may have missed

    full_round(world, sandbox, variants=2500, orders=300)

    assert max(created_items(sandbox).values()) == 1


def test_the_same_result_with_faults_injected(workers: Any, sandbox: TrendyolSandbox, make_tenant: Any):
    world = make_world(make_tenant("acme"), sandbox, products=500, variants_per_product=5)
    sandbox.set_faults(fail_rate=0.2, seed=7, drop_phase="after", retry_after=0)
    workers(beat=True)

    full_round(world, sandbox, variants=2500, orders=300)

    failures = Counter(r.status for r in sandbox.requests)
    assert failures[429] and failures[500] + failures[502] + failures[503] > 0


def test_a_worker_killed_mid_sync_is_replaced_and_the_job_finishes(
    workers: Any, sandbox: TrendyolSandbox, make_tenant: Any
):
    world = make_world(
        make_tenant("acme"),
        sandbox,
        products=120,
        variants_per_product=5,
        adapter_options={"batch_size": 200},
    )
    sandbox.batch_delay = 3.0  # batches stay in progress: the worker is waiting on them when it dies
    first = workers(name="doomed")
    job = services.request_sync(world.account, "catalog", actor="test")
    wait_for(lambda: Listing.objects.filter(account=world.account).exclude(batch_id="").count() == 600,
             what="a batch in flight")  # fmt: skip
    first.kill()
    in_flight = Listing.objects.filter(account=world.account).exclude(batch_id="").count()

    workers(name="rescuer", beat=True)  # beat hands stalled jobs to a worker again
    job = finished(job, timeout=120)

    assert job.state == SyncState.SUCCEEDED and job.runs == 2, (job.state, job.runs, job.message)
    assert (job.done, job.failed, job.total) == (600, 0, 600)
    assert len(sandbox.products()) == 600
    sent = created_items(sandbox)
    assert set(sent.values()) == {1}, "an item in flight when the worker died was sent again"
    assert in_flight == 600


def test_two_workers_asked_for_the_same_sync_run_it_once(
    workers: Any, sandbox: TrendyolSandbox, make_tenant: Any
):
    from marketplaces.tasks import run_sync_job

    world = make_world(make_tenant("acme"), sandbox, products=80, variants_per_product=5)
    sandbox.batch_delay = 1.0
    workers(name="a")
    workers(name="b")
    job = services.request_sync(world.account, "catalog", actor="test")
    with pytest.raises(Conflict):
        services.request_sync(world.account, "catalog", actor="someone else")
    run_sync_job.delay(job.pk)  # the same job handed out twice more
    run_sync_job.delay(job.pk)

    job = finished(job)

    assert job.state == SyncState.SUCCEEDED and job.runs == 1
    assert set(created_items(sandbox).values()) == {1} and len(sandbox.products()) == 400
    assert SyncJob.objects.filter(account=world.account).count() == 1
