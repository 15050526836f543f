from collections.abc import Callable
from typing import Any

import pytest

from catalog.models import Variant
from catalog.services import products, stock


@pytest.fixture
def stocked() -> Callable[..., Variant]:
    """A published product with one variant `sku` holding `qty` units at `price`."""

    def make(tenant: Any, sku: str, qty: int, price: str = "10.00") -> Variant:
        product = products.create_product(
            tenant.pk, data={"title": f"Item {sku}"}, variants=[{"sku": sku, "price": price}]
        )
        products.change_status(product, "published")
        variant = product.variants.get()
        if qty:
            stock.adjust(tenant.pk, variant.pk, delta=qty)
        return variant

    return make
