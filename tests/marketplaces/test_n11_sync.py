"""N11 through our sync services (in-process, any database): what the seller sees on the
listings and orders, and what the N11 sandbox received."""

from decimal import Decimal
from typing import Any

import pytest

from catalog.models import Variant
from catalog.services import stock as stock_services
from marketplaces import services
from marketplaces.models import Listing, ListingStatus, SyncJob, SyncState
from marketplaces.sandbox.n11 import N11Sandbox
from orders.models import Order
from tests.marketplaces.contract.kit_n11 import N11Kit
from tests.marketplaces.sync_world import make_catalogue

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_sync")]
KIT = N11Kit()


@pytest.fixture
def sandbox() -> Any:
    sb = KIT.start_sandbox()
    yield sb
    sb.stop()


def connect(make_tenant: Any, sandbox: N11Sandbox, **options: Any) -> Any:
    tenant = make_tenant("acme")
    category = make_catalogue(tenant, products=6, variants_per_product=2)
    return KIT.connect(tenant, sandbox, category, adapter_options=options)


def run(account: Any, kind: str) -> SyncJob:
    job = services.request_sync(account, kind, actor="test", enqueue=False)
    outcome = services.run_job(job.pk, worker="test-worker")
    job.refresh_from_db()
    assert outcome == job.state, (outcome, job.message, job.errors[:3])
    return job


def test_items_n11_would_refuse_are_kept_back_with_a_reason_and_nothing_is_sent(make_tenant: Any,
                                                                                sandbox: N11Sandbox):  # fmt: skip
    account = connect(make_tenant, sandbox, shipment_template="")

    job = run(account, "catalog")

    assert (job.state, job.done, job.failed) == (SyncState.PARTIAL, 0, 12)
    listing = Listing.objects.filter(account=account).first()
    assert listing.status == ListingStatus.ERROR and "shipment template" in listing.last_error
    assert sandbox.count_requests("POST", "/product-create") == 0 and sandbox.products() == {}

    settings = {**account.settings, "adapter_options": {"shipment_template": "Standart Kargo"}}
    services.update_account(account, actor=None, changes={"settings": settings})
    services.retry_listings(Listing.objects.filter(account=account), actor="test")
    retry = run(account, "catalog")
    assert (retry.state, retry.done, retry.failed) == (SyncState.SUCCEEDED, 12, 0)
    assert set(sandbox.products()) == set(Variant.objects.filter(tenant=account.tenant).values_list("sku", flat=True))
    sent = sandbox.tasks()[0]["skus"][0]
    assert (sent["salePrice"], sent["listPrice"], sent["currencyType"]) == (Decimal("199.90"), Decimal("249.90"), "TL")
    assert [a["id"] for a in sent["attributes"]] == [1, 429, 430] and sent["attributes"][0]["valueId"] == 8400002


def test_price_and_stock_changes_go_out_together_with_two_decimals(make_tenant: Any, sandbox: N11Sandbox):
    account = connect(make_tenant, sandbox)
    run(account, "catalog")
    variant = Variant.objects.filter(tenant=account.tenant).order_by("sku").first()
    Variant.objects.filter(pk=variant.pk).update(price=Decimal("180"), compare_at_price=Decimal("199.9"))
    stock_services.adjust(account.tenant.pk, variant.pk, delta=-5, actor="test")
    services.mark_stock_changed(account.tenant.pk, variant_ids={variant.pk})

    job = run(account, "stock_price")

    assert (job.state, job.done) == (SyncState.SUCCEEDED, 1)
    [sku] = sandbox.tasks()[-1]["skus"]
    assert sku == {"stockCode": variant.sku, "quantity": 45, "listPrice": Decimal("199.90"),
                   "salePrice": Decimal("180.00"), "currencyType": "TL"}  # fmt: skip
    assert sandbox.price(variant.sku) == (Decimal("180.00"), Decimal("199.90"))


def test_orders_come_in_and_a_split_package_cancels_its_parent(make_tenant: Any, sandbox: N11Sandbox):
    account = connect(make_tenant, sandbox)
    run(account, "catalog")
    skus = sorted(sandbox.products())
    ids = sandbox.add_packages(3, skus[:3], max_quantity=2)

    assert run(account, "orders").state == SyncState.SUCCEEDED
    orders = Order.objects.filter(tenant=account.tenant, channel=f"n11:{account.pk}")
    assert sorted(orders.values_list("external_id", flat=True)) == sorted(str(i) for i in ids)
    first = orders.get(external_id=str(ids[0]))
    assert first.status == "pending" and first.lines.get().variant.sku == skus[0]

    sandbox.set_package_status(ids[0], "UnPacked")
    assert run(account, "orders").state == SyncState.SUCCEEDED
    first.refresh_from_db()
    assert first.status == "cancelled" and first.marketplace_status == "UnPacked"
