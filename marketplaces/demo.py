"""The demo's marketplace side (seed_demo): a small published catalogue with stock, and an
account connected to the Trendyol sandbox as `manage.py marketplace_sandbox trendyol` serves it
(its default port, seller and keys), each demo category mapped to a sandbox leaf category.

Idempotent: what exists already is left as it is.
"""

from typing import Any

from django.db import transaction

from marketplaces import services
from marketplaces.models import CategoryMapping, MarketplaceAccount

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
def seed_sandbox_accounts(tenant: Any) -> list[tuple[MarketplaceAccount, bool]]:
    """An account on the local sandbox of every marketplace (its ``DEMO``: port,
    credentials, settings, category mappings), as `manage.py marketplace_sandbox <code>`
    serves it, Trendyol first. Returns [(account, created)]."""
    from catalog.models import Category
    from marketplaces.models import Marketplace
    from marketplaces.sandbox import SANDBOXES, sandbox_module

    seeded = []
    for code in SANDBOXES:
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
