"""A seller's world for sync tests: a catalogue whose category is mapped to a Trendyol
leaf category, stock in the default warehouse, and an account connected to a sandbox."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from catalog.models import Category, Product, ProductStatus, Variant
from catalog.services import bulk
from catalog.services import products as product_services
from catalog.services.stock import set_on_hand_many
from catalog.services.warehouses import default_warehouse
from marketplaces import services
from marketplaces.models import CategoryMapping, MarketplaceAccount
from marketplaces.sandbox.trendyol import TrendyolSandbox

SELLER = "555001"
KEY, SECRET = "tr-key-Hh27pL", "tr-secret-Zq81xW"
TSHIRT_CATEGORY = "600"  # a leaf of the sandbox's tree; requires attributes 47 and 338
TSHIRT_ATTRIBUTES = {"47": 686, "338": 4603}
BRAND_ID = 1791


@dataclass
class World:
    tenant: Any
    account: MarketplaceAccount
    sandbox: TrendyolSandbox
    category: Category

    def variants(self) -> list[Variant]:
        return list(Variant.objects.filter(tenant=self.tenant).order_by("sku"))


def start_sandbox(**options: Any) -> TrendyolSandbox:
    return TrendyolSandbox(seller_id=SELLER, api_key=KEY, api_secret=SECRET, **options).start()


def make_catalogue(tenant: Any, *, products: int, variants_per_product: int = 1, stock: int = 50) -> Category:
    """Published t-shirts (SKU ``TEE-pppp-v``, 199.90, list price 249.90) with `stock` units
    each in the default warehouse; returns their category."""
    rows = [
        {"sku": f"TEE-{p:04d}-{v}", "product_key": f"TEE-{p:04d}", "title": f"Pamuk tişört {p}",
         "name": f"Beden {v}", "price": "199.90", "compare_at_price": "249.90", "vat_rate": "20",
         "category": "Tişört", "brand": "Acme"}
        for p in range(products) for v in range(variants_per_product)
    ]  # fmt: skip
    for start in range(0, len(rows), 5000):
        result = bulk.bulk_upsert(tenant.pk, rows[start : start + 5000])
        assert result.applied, [r.as_dict() for r in result.rows if r.errors][:3]
    category = Category.objects.get(tenant=tenant, name="Tişört")
    product_services.change_status_many(Product.objects.filter(tenant=tenant), ProductStatus.PUBLISHED)
    warehouse = default_warehouse(tenant.pk)
    set_on_hand_many(
        tenant.pk,
        {(v.pk, warehouse.pk): stock for v in Variant.objects.filter(tenant=tenant)},
        reason="manual",
    )
    return category


def make_world(tenant: Any, sandbox: TrendyolSandbox, *, products: int, variants_per_product: int = 1,
               stock: int = 50, adapter_options: dict | None = None) -> World:  # fmt: skip
    category = make_catalogue(tenant, products=products, variants_per_product=variants_per_product, stock=stock)
    account = services.connect_account(
        tenant=tenant, marketplace="trendyol", name="Trendyol TR", base_url=sandbox.base_url,
        credentials={"seller_id": SELLER, "api_key": KEY, "api_secret": SECRET},
        settings={"default_brand_id": BRAND_ID, "adapter_options": adapter_options or {}},
    )  # fmt: skip
    CategoryMapping.objects.create(
        tenant=tenant, account=account, category=category, marketplace_category_id=TSHIRT_CATEGORY,
        marketplace_category_name="Tişört", attribute_values=TSHIRT_ATTRIBUTES,
    )  # fmt: skip
    return World(tenant, account, sandbox, category)


@pytest.fixture
def fast_sync(settings: Any) -> None:
    """Sync settings for tests: poll batches at once, no rate limit, short back-off."""
    settings.MARKETPLACE_BATCH_POLL_SECONDS = 0.01
    settings.MARKETPLACE_RATE_LIMIT = ""
    settings.MARKETPLACE_RETRY_BASE_SECONDS = 0.01
    settings.MARKETPLACE_HTTP_MAX_ATTEMPTS = 2


@pytest.fixture
def sync_sandbox() -> Iterator[TrendyolSandbox]:
    """The Trendyol sandbox the world's account is connected to (this seller's keys)."""
    sandbox = start_sandbox()
    yield sandbox
    sandbox.stop()
