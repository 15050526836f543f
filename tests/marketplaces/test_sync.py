"""The sync runner against the Trendyol sandbox over HTTP, in-process (any database)."""

from decimal import Decimal
from typing import Any

import pytest

from catalog.services import stock as stock_services
from marketplaces import services
from marketplaces.models import Listing, ListingStatus, SyncJob, SyncState
from marketplaces.sandbox.trendyol import TrendyolSandbox
from orders.models import Order, OrderLine
from tests.marketplaces.sync_world import World, make_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_sync")]



@pytest.fixture
def sandbox(sync_sandbox: TrendyolSandbox) -> TrendyolSandbox:
    return sync_sandbox


@pytest.fixture
def world(make_tenant: Any, sandbox: TrendyolSandbox) -> World:
    return make_world(make_tenant("acme"), sandbox, products=12, variants_per_product=2)


def run(world: World, kind: str) -> SyncJob:
    job = services.request_sync(world.account, kind, actor="test", enqueue=False)
    outcome = services.run_job(job.pk, worker="test-worker")
    job.refresh_from_db()
    assert outcome == job.state, (outcome, job.message, job.errors[:3])
    return job


def creates(sandbox: TrendyolSandbox) -> int:
    return sandbox.count_requests("POST", "/v2/products")


def test_catalog_sync_lists_every_variant_then_sends_nothing_unchanged(
    world: World, sandbox: TrendyolSandbox
):
    job = run(world, "catalog")

    assert (job.state, job.total, job.done, job.failed) == (SyncState.SUCCEEDED, 24, 24, 0)
    assert set(sandbox.products()) == {v.barcode or v.sku for v in world.variants()}
    assert creates(sandbox) == 1  # 24 items, one batch
    listing = Listing.objects.get(variant__sku="TEE-0003-1")
    assert listing.status == ListingStatus.SYNCED and listing.external_barcode == "TEE-0003-1"
    assert sandbox.stock("TEE-0003-1") == 50 and sandbox.price("TEE-0003-1") == (199.9, 249.9)
    world.account.refresh_from_db()
    assert world.account.last_catalog_sync_at is not None

    again = run(world, "catalog")
    assert (again.state, again.total, again.done) == (SyncState.SUCCEEDED, 0, 0)
    assert creates(sandbox) == 1
    assert sandbox.count_requests("POST", "bulk-update") == 0


def test_rejected_items_keep_the_marketplace_error_and_are_retried(world: World, sandbox: TrendyolSandbox):
    bad = world.variants()[0]
    bad.vat_rate = Decimal("8")  # Trendyol accepts 0, 1, 10 and 20
    bad.save()

    job = run(world, "catalog")

    assert (job.state, job.done, job.failed) == (SyncState.PARTIAL, 23, 1)
    listing = Listing.objects.get(variant=bad)
    assert listing.status == ListingStatus.ERROR
    assert "vatRate must be one of 0, 1, 10, 20." in listing.last_error
    assert job.errors[0]["sku"] == bad.sku and listing.next_attempt_at is not None

    bad.vat_rate = Decimal("10")
    bad.save()
    services.retry_listings(Listing.objects.filter(pk=listing.pk), actor="test")
    retry = run(world, "catalog")
    assert (retry.state, retry.done, retry.failed) == (SyncState.SUCCEEDED, 1, 0)
    assert Listing.objects.get(pk=listing.pk).status == ListingStatus.SYNCED
    assert sandbox.products()[bad.sku]["vatRate"] == 10


def test_stock_changes_push_only_the_variants_that_changed(world: World, sandbox: TrendyolSandbox):
    run(world, "catalog")
    changed = world.variants()[:3]
    for variant in changed:
        stock_services.adjust(world.tenant.pk, variant.pk, delta=-7, actor="test")
    services.mark_stock_changed(world.tenant.pk, variant_ids={v.pk for v in world.variants()[:5]})

    job = run(world, "stock_price")

    assert (job.state, job.done, job.failed) == (SyncState.SUCCEEDED, 5, 0)
    pushes = [r for r in sandbox.requests if r.method == "POST" and "price-and-inventory" in r.path]
    assert len(pushes) == 1
    assert sorted(i["barcode"] for i in pushes[0].body["items"]) == sorted(v.sku for v in changed)
    assert all(sandbox.stock(v.sku) == 43 for v in changed)
    assert Listing.objects.get(variant=changed[0]).pushed_quantity == 43

    nothing = run(world, "stock_price")
    assert (nothing.total, nothing.done) == (0, 0)


def test_markup_and_buffer_shape_what_the_marketplace_gets(world: World, sandbox: TrendyolSandbox):
    services.update_account(
        world.account, actor="test", changes={"settings": {"markup_percent": 10, "stock_buffer": 5}}
    )
    run(world, "catalog")
    assert sandbox.price("TEE-0000-0") == (219.89, 274.89)
    assert sandbox.stock("TEE-0000-0") == 45


def test_orders_are_pulled_once_with_stock_reserved_and_cancellations_flagged(
    world: World, sandbox: TrendyolSandbox
):
    run(world, "catalog")
    package_ids = sandbox.add_packages(15, barcodes=[v.sku for v in world.variants()])

    job = run(world, "orders")

    assert (job.state, job.done, job.failed) == (SyncState.SUCCEEDED, 15, 0)
    channel = f"trendyol:{world.account.pk}"
    orders = Order.objects.filter(tenant=world.tenant, channel=channel)
    assert orders.count() == 15
    assert set(orders.values_list("external_id", flat=True)) == {str(p) for p in package_ids}
    lines = OrderLine.objects.filter(order__in=orders)
    assert lines.filter(variant__isnull=True).count() == 0 and all(lines.values_list("reserved", flat=True))
    package = sandbox.package(package_ids[0])
    order = orders.get(external_id=str(package_ids[0]))
    assert order.total == Decimal(str(package["packageTotalPrice"]))
    assert order.marketplace_status == "Created"

    sandbox.set_package_status(package_ids[0], "Cancelled")
    sandbox.advance_clock(5)
    again = run(world, "orders")
    assert Order.objects.filter(channel=channel).count() == 15
    assert (again.total, again.done) == (1, 1)  # only the package that changed counts
    order.refresh_from_db()
    assert (order.status, order.marketplace_status, order.needs_attention) == ("cancelled", "Cancelled", True)
    assert "Cancelled on Trendyol" in order.attention_reason
    assert not order.lines.filter(reserved=True).exists()


def test_our_status_change_is_pushed_back(world: World, sandbox: TrendyolSandbox):
    from orders.services import change_status

    run(world, "catalog")
    [package_id] = sandbox.add_packages(1, barcodes=[world.variants()[0].sku])
    run(world, "orders")
    order = Order.objects.get(external_id=str(package_id))

    change_status(order, "processing", actor="test")
    [push_id] = services.queue_status_pushes(
        world.tenant.pk, [{"channel": order.channel, "order_id": order.pk}]
    )
    assert services.send_status_push(push_id) == "sent"

    assert sandbox.package(package_id)["status"] == "Picking"
    order.refresh_from_db()
    assert order.marketplace_status == "Picking"
    # the marketplace reports Picking itself next time: nothing more is pushed
    assert (
        services.queue_status_pushes(world.tenant.pk, [{"channel": order.channel, "order_id": order.pk}])
        == []
    )


def test_a_sync_requested_through_the_api_runs_and_reports_its_progress(
    world: World, sandbox: TrendyolSandbox, client_for: Any, django_capture_on_commit_callbacks: Any
):
    from accounts.models import User

    api = client_for(User.objects.get(username="acme-owner"))
    with django_capture_on_commit_callbacks(execute=True):  # eager Celery: the job runs on commit
        response = api.post("/api/sync/trendyol", {"kind": "catalog", "account": world.account.pk}, format="json")
    assert response.status_code == 202, response.content
    job_id = response.json()["data"]["id"]

    status = api.get(f"/api/sync/status/{job_id}").json()["data"]
    assert (status["state"], status["total"], status["done"], status["percent"]) == ("succeeded", 24, 24, 100)
    assert status["requests"] >= 2 and status["runs"] == 1
    listings = api.get("/api/listings", {"status": "synced"}).json()
    assert listings["pagination"]["total"] == 24
    assert {row["pushed_quantity"] for row in listings["data"]} == {50}
    assert len(sandbox.products()) == 24


def test_a_bad_sync_request_changes_nothing(world: World, client_for: Any):
    from accounts.models import User

    api = client_for(User.objects.get(username="acme-owner"))
    response = api.post("/api/sync/trendyol", {"kind": "everything", "account": world.account.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert not SyncJob.objects.exists()


def test_a_worker_cannot_run_a_job_another_worker_holds(world: World, settings: Any):
    job = services.request_sync(world.account, "catalog", actor="test", enqueue=False)
    claimed, why = services.claim_job(job.pk, "worker-a")
    assert why == "claimed" and claimed.runs == 1

    assert services.run_job(job.pk, worker="worker-b") == "taken"
    other = services.request_sync(world.account, "orders", actor="test", enqueue=False)
    assert services.run_job(other.pk, worker="worker-b") == "busy"  # one running job per account

    settings.MARKETPLACE_SYNC_STALE_SECONDS = 0  # worker-a stopped heart-beating: b takes over
    assert services.run_job(job.pk, worker="worker-b") == "succeeded"
    with pytest.raises(services.JobLost):
        services.record_job_progress(claimed, done=1)  # worker-a's late write is refused
    job.refresh_from_db()
    assert (job.runs, job.worker, job.done) == (2, "worker-b", 24)
