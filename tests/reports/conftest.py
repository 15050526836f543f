from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Q
from django.utils import timezone

from catalog.models import Variant
from catalog.services import products, stock
from orders import services as order_services
from orders.models import Order
from reports.models import DailySales, ProductSales
from reports.services.rollups import PRODUCT_KEY, PRODUCT_SUMS, SALES_SUMS, sales_from_orders

SALES_KEY = ("tenant_id", "day", "channel")

#: a fixed "now" far from midnight, so that "today" in a test is the same day throughout
CENT = Decimal("0.01")
NOON = timezone.make_aware(datetime(2026, 11, 20, 12, 0))


def today_noon() -> datetime:
    """Noon of the real today (reports of "the last 30 days" count from it)."""
    return timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)


@pytest.fixture
def stocked() -> Callable[..., Variant]:
    """A published product with one variant `sku` holding `qty` units at `price` and `cost`."""

    def make(tenant: Any, sku: str, qty: int = 0, price: str = "10.00", cost: str | None = None,
             **variant: Any) -> Variant:  # fmt: skip
        product = products.create_product(
            tenant.pk,
            data={"title": f"Item {sku}"},
            variants=[{"sku": sku, "price": price, **({"cost": cost} if cost else {}), **variant}],
        )
        products.change_status(product, "published")
        variant_row = product.variants.get()
        if qty:
            stock.adjust(tenant.pk, variant_row.pk, delta=qty)
        return variant_row

    return make


def sell(tenant: Any, sku: str, quantity: int, unit_price: str, *, days_ago: int = 0, channel: str = "trendyol:1",
         discount: str = "0", shipping: str = "0", now: datetime = NOON) -> Order:  # fmt: skip
    """An order placed `days_ago` before `now`, prices as the channel sent them."""
    return order_services.place_order(
        tenant.pk,
        channel=channel,
        lines=[{"sku": sku, "quantity": quantity, "unit_price": unit_price}],
        placed_at=now - timedelta(days=days_ago),
        discount_total=discount,
        shipping_total=shipping,
        stock_policy="skip",
    )


def _rows(rows: Any, keys: tuple[str, ...], sums: tuple[str, ...]) -> dict[tuple, tuple]:
    found = {}
    for row in rows:
        values = tuple(Decimal(row[name] or 0).quantize(CENT) for name in sums)  # SQLite sums are floats
        if any(values):
            found[tuple(row[name] for name in keys)] = values
    return found


def rollups_now() -> tuple[dict, dict]:
    return (
        _rows(DailySales.objects.values(), SALES_KEY, SALES_SUMS),
        _rows(ProductSales.objects.values(), PRODUCT_KEY, PRODUCT_SUMS),
    )


def recomputed() -> tuple[dict, dict]:
    sales, product_querysets = sales_from_orders(Q())
    products_rows = [row for queryset in product_querysets for row in queryset]
    return _rows(sales, SALES_KEY, SALES_SUMS), _rows(products_rows, PRODUCT_KEY, PRODUCT_SUMS)
