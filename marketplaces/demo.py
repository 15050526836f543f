"""The demo's marketplace side (seed_demo): a small published catalogue with stock, and an
account connected to the Trendyol sandbox as `manage.py marketplace_sandbox trendyol` serves it
(its default port, seller and keys), each demo category mapped to a sandbox leaf category.

Idempotent: what exists already is left as it is.
"""

from typing import Any

from django.db import transaction

from marketplaces import services
from marketplaces.models import CategoryMapping, MarketplaceAccount

SANDBOX_ACCOUNT = "Trendyol sandbox"
SANDBOX_BASE_URL = "http://127.0.0.1:8100/integration"
SANDBOX_CREDENTIALS = {
    "seller_id": "100000",
    "api_key": "sandbox-api-key",
    "api_secret": "sandbox-api-secret",
}
SANDBOX_SETTINGS = {"default_brand_id": 1791}

#: our category → (sandbox leaf category id, its name, the attribute values it requires)
CATEGORY_MAPPINGS: dict[str, tuple[str, str, dict[str, int]]] = {
    "Tişört": ("600", "T-Shirt", {"47": 686, "338": 4603}),  # Renk: Siyah, Beden: M
    "Gömlek": ("601", "Gömlek", {"47": 687, "338": 4604}),  # Renk: Beyaz, Beden: L
    "Telefon Kılıfı": ("1072", "Telefon Kılıfı", {"700": 7001, "14": 108}),  # Apple, Silikon
    "Kupa": ("2002", "Kupa & Bardak", {"800": 8002, "14": 107}),  # 350 ml, Seramik
}

# sku, product key, title, variant name, price, compare-at price, category
CATALOGUE = [
    ("DEMO-TEE-S", "DEMO-TEE", "Pamuk tişört", "S", "199.90", "249.90", "Tişört"),
    ("DEMO-TEE-M", "DEMO-TEE", "Pamuk tişört", "M", "199.90", "249.90", "Tişört"),
    ("DEMO-TEE-L", "DEMO-TEE", "Pamuk tişört", "L", "199.90", "249.90", "Tişört"),
    ("DEMO-OVR-M", "DEMO-OVR", "Oversize tişört", "M", "279.90", "", "Tişört"),
    ("DEMO-OVR-L", "DEMO-OVR", "Oversize tişört", "L", "279.90", "", "Tişört"),
    ("DEMO-SHIRT-M", "DEMO-SHIRT", "Keten gömlek", "M", "449.00", "599.00", "Gömlek"),
    ("DEMO-SHIRT-L", "DEMO-SHIRT", "Keten gömlek", "L", "449.00", "599.00", "Gömlek"),
    ("DEMO-CASE-15", "DEMO-CASE", "Silikon telefon kılıfı", "iPhone 15", "149.90", "", "Telefon Kılıfı"),
    ("DEMO-MUG-BLK", "DEMO-MUG", "Seramik kupa 350 ml", "Siyah", "129.90", "", "Kupa"),
    ("DEMO-MUG-WHT", "DEMO-MUG", "Seramik kupa 350 ml", "Beyaz", "129.90", "", "Kupa"),
]
STOCK = 25


@transaction.atomic
def seed_catalogue(tenant: Any) -> bool:
    """The demo products, published with stock, unless the tenant has products already."""
    from catalog.models import Product, ProductStatus, Variant
    from catalog.services import bulk
    from catalog.services import products as product_services
    from catalog.services.stock import set_on_hand_many
    from catalog.services.warehouses import default_warehouse

    if Product.objects.filter(tenant=tenant).exists():
        return False
    rows = [
        {"sku": sku, "product_key": key, "title": title, "name": name, "price": price, "compare_at_price": compare,
         "vat_rate": "20", "category": category, "brand": "MesChain Demo",
         "description": f"{title} — MesChain demo"}
        for sku, key, title, name, price, compare, category in CATALOGUE
    ]  # fmt: skip
    result = bulk.bulk_upsert(tenant.pk, rows, actor="seed_demo")
    if not result.applied:
        raise RuntimeError([r.as_dict() for r in result.rows if r.errors][:3])
    product_services.change_status_many(Product.objects.filter(tenant=tenant), ProductStatus.PUBLISHED)
    warehouse = default_warehouse(tenant.pk)
    targets = {(v.pk, warehouse.pk): STOCK for v in Variant.objects.filter(tenant=tenant)}
    set_on_hand_many(tenant.pk, targets, reason="manual")
    return True


@transaction.atomic
def seed_sandbox_account(tenant: Any) -> tuple[MarketplaceAccount, bool]:
    """The tenant's account on the local Trendyol sandbox, and the mapping of each demo
    category it has to a sandbox leaf category. Returns (account, created)."""
    from catalog.models import Category

    account = MarketplaceAccount.objects.filter(tenant=tenant, name=SANDBOX_ACCOUNT).first()
    created = account is None
    if account is None:
        account = services.connect_account(
            tenant=tenant, marketplace="trendyol", name=SANDBOX_ACCOUNT, base_url=SANDBOX_BASE_URL,
            credentials=SANDBOX_CREDENTIALS, settings=SANDBOX_SETTINGS, actor="seed_demo",
        )  # fmt: skip
    for category in Category.objects.filter(tenant=tenant, name__in=CATEGORY_MAPPINGS):
        category_id, category_name, attributes = CATEGORY_MAPPINGS[category.name]
        CategoryMapping.objects.get_or_create(
            account=account, category=category,
            defaults={"tenant": tenant, "marketplace_category_id": category_id,
                      "marketplace_category_name": category_name, "attribute_values": attributes},
        )  # fmt: skip
    return account, created


@transaction.atomic
def seed_other_sandbox_accounts(tenant: Any) -> list[tuple[MarketplaceAccount, bool]]:
    """An account on the local sandbox of every other marketplace that has one (its
    ``DEMO``: port, credentials, settings, category mappings), as
    `manage.py marketplace_sandbox <code>` serves it. Returns [(account, created)]."""
    from catalog.models import Category
    from marketplaces.models import Marketplace
    from marketplaces.sandbox import SANDBOXES, sandbox_module

    seeded = []
    for code in SANDBOXES:
        if code == Marketplace.TRENDYOL:
            continue
        demo = sandbox_module(code).DEMO
        name = f"{Marketplace(code).label} sandbox"
        account = MarketplaceAccount.objects.filter(tenant=tenant, name=name).first()
        created = account is None
        if account is None:
            account = services.connect_account(
                tenant=tenant, marketplace=code, name=name,
                base_url=f"http://127.0.0.1:{demo['port']}{demo.get('base_path', '')}",
                credentials=demo["credentials"], settings=demo.get("settings", {}), actor="seed_demo",
                seller_id=demo.get("seller_id", ""),  # for marketplaces whose credentials carry none (N11)
            )  # fmt: skip
        mappings = demo.get("category_mappings", {})
        for category in Category.objects.filter(tenant=tenant, name__in=mappings):
            category_id, category_name, attributes = mappings[category.name]
            CategoryMapping.objects.get_or_create(
                account=account, category=category,
                defaults={"tenant": tenant, "marketplace_category_id": str(category_id),
                          "marketplace_category_name": category_name, "attribute_values": attributes},
            )  # fmt: skip
        seeded.append((account, created))
    return seeded
