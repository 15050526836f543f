"""Fixtures of the contract suite: one run per marketplace kit."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import F

from catalog.models import Category, Variant
from marketplaces.adapters.base import adapter_class
from marketplaces.models import Listing, MarketplaceAccount
from tests.marketplaces.contract.kit import MarketplaceKit
from tests.marketplaces.contract.kits import KITS
from tests.marketplaces.sync_world import fast_sync, make_catalogue  # noqa: F401 - fixture

PRODUCTS, VARIANTS_PER_PRODUCT, STOCK = 100, 5, 50


@dataclass
class ContractWorld:
    kit: MarketplaceKit
    sandbox: Any
    tenant: Any
    account: MarketplaceAccount
    category: Category

    def variants(self) -> list[Variant]:
        return list(Variant.objects.filter(tenant=self.tenant).order_by("sku"))

    def key(self, variant: Variant) -> str:
        return adapter_class(self.kit.code).listing_key(variant.barcode or "", variant.sku)


@pytest.fixture(params=KITS, ids=lambda kit: kit.code)
def kit(request: Any) -> MarketplaceKit:
    return request.param


@pytest.fixture
def contract_sandbox(kit: MarketplaceKit) -> Iterator[Any]:
    sandbox = kit.start_sandbox()
    yield sandbox
    sandbox.stop()


def let_the_stock_interval_pass(world: ContractWorld) -> None:
    """Move both clocks past the marketplace's minimum interval between two stock updates
    of an item (Ozon: 2 minutes): our record of the last push, and the sandbox's clock."""
    interval = adapter_class(world.kit.code).min_stock_interval
    if not interval:
        return
    Listing.objects.filter(account=world.account).exclude(stock_pushed_at=None).update(
        stock_pushed_at=F("stock_pushed_at") - timedelta(seconds=interval + 1)
    )
    world.kit.age_stock_updates(world.sandbox, interval + 1)


def contract_world(kit: MarketplaceKit, sandbox: Any, tenant: Any, *, products: int = PRODUCTS,
                   adapter_options: dict | None = None) -> ContractWorld:  # fmt: skip
    category = make_catalogue(tenant, products=products, variants_per_product=VARIANTS_PER_PRODUCT, stock=STOCK)
    account = kit.connect(tenant, sandbox, category, adapter_options=adapter_options)
    return ContractWorld(kit, sandbox, tenant, account, category)
