"""A Trendyol sandbox on a free port per test, and an httpx client that speaks to it as a seller."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from marketplaces.sandbox.trendyol import TrendyolSandbox
from tests.marketplaces.sync_world import fast_sync, sync_sandbox  # noqa: F401 (fixtures of the sync tests)

SELLER = "100000"
KEY, SECRET = "sandbox-api-key", "sandbox-api-secret"


def valid_item(barcode: str, **overrides: Any) -> dict[str, Any]:
    """A product create item that passes every rule (T-Shirt, leaf category 600)."""
    item = {
        "barcode": barcode, "title": f"Basic T-Shirt {barcode}", "productMainId": "TSHIRT-1",
        "brandId": 1791, "categoryId": 600, "quantity": 10, "stockCode": f"SKU-{barcode}",
        "dimensionalWeight": 1, "description": "Cotton", "currencyType": "TRY",
        "listPrice": 250.0, "salePrice": 199.9, "vatRate": 20,
        "images": [{"url": "https://cdn.example.com/tshirt.jpg"}],
        "attributes": [{"attributeId": 47, "attributeValueIds": [686]},
                       {"attributeId": 338, "attributeValueIds": [4603]}],
    }
    item.update(overrides)
    return item


def seller_client(sandbox: TrendyolSandbox, **kwargs: Any) -> httpx.Client:
    return httpx.Client(base_url=sandbox.base_url, auth=(KEY, SECRET),
                        headers={"User-Agent": f"{SELLER} - SelfIntegration"}, timeout=5, **kwargs)


@pytest.fixture
def sandbox() -> Iterator[TrendyolSandbox]:
    sb = TrendyolSandbox(seller_id=SELLER, api_key=KEY, api_secret=SECRET).start()
    yield sb
    sb.stop()


@pytest.fixture
def client(sandbox: TrendyolSandbox) -> Iterator[httpx.Client]:
    with seller_client(sandbox) as c:
        yield c


def create_products(client: httpx.Client, items: list[dict[str, Any]]) -> dict[str, Any]:
    """POST a create batch and return its (completed) batch result."""
    response = client.post(f"/product/sellers/{SELLER}/v2/products", json={"items": items})
    assert response.status_code == 200, response.text
    batch_id = response.json()["batchRequestId"]
    return client.get(f"/product/sellers/{SELLER}/products/batch-requests/{batch_id}").json()


def update_price_stock(client: httpx.Client, items: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.post(f"/inventory/sellers/{SELLER}/products/price-and-inventory", json={"items": items})
    assert response.status_code == 200, response.text
    batch_id = response.json()["batchRequestId"]
    return client.get(f"/product/sellers/{SELLER}/products/batch-requests/{batch_id}").json()
