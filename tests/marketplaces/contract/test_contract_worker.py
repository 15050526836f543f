"""The contract with a real Celery worker (and beat) on PostgreSQL and Redis, for every
marketplace: listed, a stock change travels as an event to the marketplace, 100 orders
pulled with stock reserved, and our status change pushed back — all by the worker."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db.models import Sum

from catalog.models import StockLevel
from catalog.services import stock as stock_services
from marketplaces import services
from marketplaces.models import Listing, ListingStatus, SyncJob, SyncState
from orders.models import Order, OrderLine
from orders.services import change_status, status_path
from tests.celery_worker import celery_workers
from tests.marketplaces.contract.conftest import contract_world, let_the_stock_interval_pass
from tests.marketplaces.test_sync_worker import WORKER_ENV, finished, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def workers(settings: Any) -> Iterator[Callable[..., Any]]:
    with celery_workers(settings, WORKER_ENV) as start:
        yield start


def test_the_contract_with_a_worker(kit: Any, contract_sandbox: Any, make_tenant: Any, workers: Any):
    world = contract_world(kit, contract_sandbox, make_tenant("acme"))
    tenant, account, sandbox = world.tenant, world.account, world.sandbox
    workers(beat=True)

    catalog = finished(services.request_sync(account, "catalog", actor="test"))
    assert (catalog.state, catalog.done, catalog.failed) == (SyncState.SUCCEEDED, 500, 0), catalog.errors[:3]
    assert kit.listed_keys(sandbox) == {world.key(v) for v in world.variants()}
    assert Listing.objects.filter(account=account, status=ListingStatus.SYNCED).count() == 500

    wait_for(lambda: not SyncJob.objects.filter(account=account, state__in=("queued", "running")).exists(),
             what="the jobs that follow the catalogue")  # fmt: skip
    let_the_stock_interval_pass(world)
    changed = world.variants()[:20]
    for variant in changed:  # stock changes travel as events into one stock job
        stock_services.adjust(tenant.pk, variant.pk, delta=-4, actor="test")
    wait_for(lambda: all(kit.stock_of(sandbox, world.key(v)) == 46 for v in changed),
             timeout=150, what="the new stock on the marketplace")  # fmt: skip

    external_ids = kit.add_orders(sandbox, 100, [world.key(v) for v in world.variants()])
    pull = finished(services.request_sync(account, "orders", actor="test"))
    assert pull.state == SyncState.SUCCEEDED, (pull.message, pull.errors[:3])
    ours = Order.objects.filter(tenant=tenant, channel=f"{kit.code}:{account.pk}")
    assert sorted(ours.values_list("external_id", flat=True)) == sorted(external_ids)
    ordered = OrderLine.objects.filter(order__in=ours).aggregate(units=Sum("quantity"))["units"]
    reserved = StockLevel.objects.filter(tenant=tenant).aggregate(units=Sum("reserved"))["units"]
    assert ordered == reserved

    order = ours.get(external_id=external_ids[0])
    for status in status_path(order.status, kit.status_to_push):
        order = change_status(order, status, actor="test")
    wait_for(lambda: kit.order_status(sandbox, external_ids[0]) == kit.pushed_status,
             timeout=60, what="our status on the marketplace")  # fmt: skip
    assert max(kit.creates_sent(sandbox).values()) == 1
