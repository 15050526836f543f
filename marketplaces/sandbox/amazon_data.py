"""Data of the Amazon sandbox: the product types it knows (a small subset of Amazon's, with
the attributes their LISTING requirements make mandatory), the marketplaces a sandbox
seller sells on, and the rate plans it enforces (those of the protocol notes, §4)."""

from __future__ import annotations

from typing import Any

from marketplaces.adapters.amazon_api import MARKETPLACES, OPERATION_LIMITS

TURKEY, GERMANY = "A33AVAJ2PDY3EV", "A1PA6795UKMFR9"

#: every listing needs these (LISTING requirements), besides its product type's own
COMMON_REQUIRED = ("item_name", "brand", "condition_type")

#: product type → (display name, own required attributes, optional attributes, enum values)
PRODUCT_TYPES: dict[str, dict[str, Any]] = {
    "SHIRT": {"displayName": "Shirt", "required": ("color", "size"), "optional": ("material", "department"),
              "enums": {"department": ["womens", "mens", "unisex-adult"]}},
    "CELLULAR_PHONE_CASE": {"displayName": "Cellular Phone Case", "required": ("color", "compatible_phone_models"),
                            "optional": ("material",), "enums": {}},
    "DRINKING_CUP": {"displayName": "Drinking Cup", "required": ("color",), "optional": ("capacity", "material"),
                     "enums": {}},
    "PRODUCT": {"displayName": "Product (offers only)", "required": (), "optional": (), "enums": {}},
}
#: offers only: allowed with requirements LISTING_OFFER_ONLY and in patches
OFFER_ONLY_TYPES = frozenset({"PRODUCT"})
BASE_PROPERTIES = (
    "item_name", "brand", "condition_type", "product_description", "externally_assigned_product_identifier",
    "supplier_declared_has_product_identifier_exemption", "main_product_image_locator", "item_package_weight",
    "fulfillment_availability", "purchasable_offer", "list_price",
)  # fmt: skip


def schema(product_type: str) -> dict[str, Any]:
    """A (much reduced) JSON Schema of a product type, as the definition's link serves it."""
    spec = PRODUCT_TYPES[product_type]
    names = [*BASE_PROPERTIES, *spec["required"], *spec["optional"]]
    properties = {}
    for name in names:
        value: dict[str, Any] = {"type": "string"}
        if name in spec["enums"]:
            value["enum"] = spec["enums"][name]
        properties[name] = {"title": name.replace("_", " ").title(), "type": "array", "minItems": 1,
                            "maxItems": 1, "items": {"type": "object", "properties": {"value": value}}}  # fmt: skip
    required = [] if product_type in OFFER_ONLY_TYPES else [*COMMON_REQUIRED, *spec["required"]]
    return {"$schema": "https://schemas.amazon.com/selling-partners/definitions/product-types/meta-schema/v1",
            "$id": f"https://schemas.amazon.com/selling-partners/definitions/product-types/schema/v1/{product_type}",
            "type": "object", "required": required, "properties": properties}  # fmt: skip


def participation(marketplace_id: str) -> dict[str, Any]:
    country, _region, currency, language = MARKETPLACES[marketplace_id]
    domain = {"TR": "www.amazon.com.tr", "DE": "www.amazon.de", "GB": "www.amazon.co.uk"}.get(
        country, f"www.amazon.{country.lower()}")
    return {"marketplace": {"id": marketplace_id, "countryCode": country, "name": domain.removeprefix("www."),
                            "defaultCurrencyCode": currency, "defaultLanguageCode": language, "domainName": domain},
            "participation": {"isParticipating": True, "hasSuspendedListings": False}}  # fmt: skip


#: operation → (rate, burst) the sandbox enforces (the notes' default plans)
LIMITS: dict[str, tuple[float, int]] = dict(OPERATION_LIMITS)

DEMO_SKUS = ("DEMO-TEE-S", "DEMO-TEE-M", "DEMO-SHIRT-M", "DEMO-CASE-15", "DEMO-MUG-BLK")
DEMO_PORT = 8103
DEMO_CREDENTIALS = {
    "seller_id": "A2MESCHAINDEMO",
    "client_id": "amzn1.application-oa2-client.meschainsandbox",
    "client_secret": "amzn1.oa2-cs.v1.sandbox-client-secret",
    "refresh_token": "Atzr|IwEBIsandbox-refresh-token",
    "marketplace_id": TURKEY,
}
DEMO_CATEGORY_MAPPINGS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "Tişört": ("SHIRT", "Shirt", {"color": "Siyah", "size": "M", "material": "Pamuk"}),
    "Gömlek": ("SHIRT", "Shirt", {"color": "Beyaz", "size": "L", "material": "Keten"}),
    "Telefon Kılıfı": ("CELLULAR_PHONE_CASE", "Cellular Phone Case",
                       {"color": "Şeffaf", "compatible_phone_models": "Apple iPhone 15", "material": "Silikon"}),
    "Kupa": ("DRINKING_CUP", "Drinking Cup", {"color": "Siyah", "capacity": "350 ml", "material": "Seramik"}),
}
