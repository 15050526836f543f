"""Rows the marketplace tests share: a connected Trendyol account, a product with a variant."""

from typing import Any

from catalog.services import products as product_services
from marketplaces import services
from marketplaces.models import MarketplaceAccount

API_SECRET = "tr-secret-Zq81xW"  # distinctive, so a leak anywhere is easy to find
API_KEY = "tr-key-Hh27pL"


def trendyol_credentials(seller_id: str = "555001") -> dict[str, str]:
    return {"seller_id": seller_id, "api_key": API_KEY, "api_secret": API_SECRET}


def connect(user: Any, *, name: str = "Trendyol TR", seller_id: str = "555001") -> MarketplaceAccount:
    return services.connect_account(
        tenant=user.tenant,
        marketplace="trendyol",
        name=name,
        credentials=trendyol_credentials(seller_id),
        actor=user,
    )


def make_variant(user: Any, sku: str = "TEE-M") -> Any:
    product = product_services.create_product(
        user.tenant_id, data={"title": f"Tee {sku}"}, variants=[{"sku": sku, "price": "19.90"}], actor=user
    )
    return product.variants.get()
