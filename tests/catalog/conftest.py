from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from catalog.models import Product, Variant
from catalog.services import products


@pytest.fixture
def make_product() -> Callable[..., Product]:
    counter = {"n": 0}

    def make(tenant: Any, *, skus: list[str] | None = None, price: str = "10.00", **data: Any) -> Product:
        counter["n"] += 1
        skus = skus or [f"SKU-{counter['n']}"]
        return products.create_product(
            tenant.pk,
            data={"title": data.pop("title", f"Product {counter['n']}"), **data},
            variants=[{"sku": sku, "price": price} for sku in skus],
        )

    return make


@pytest.fixture
def variant(tenant_a: Any, make_product: Callable[..., Product]) -> Variant:
    return make_product(tenant_a, skus=["TEE-RED-M"], price="19.90").variants.get()


def money(value: str) -> Decimal:
    return Decimal(value)


@pytest.fixture
def media_root(settings: Any, tmp_path: Any) -> Any:
    """Uploaded files go to a fresh folder of this test."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


def image_bytes(width: int = 640, height: int = 480, fmt: str = "PNG", color: str = "teal") -> bytes:
    """A real image file, made with Pillow."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format=fmt)
    return out.getvalue()


def stored_files(root: Any) -> list[str]:
    """Paths of every file under `root`, relative to it, sorted."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
