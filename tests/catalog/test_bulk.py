"""Bulk upsert by SKU: per-row results, both error policies, idempotence, few queries."""

from decimal import Decimal

import pytest
from django.db import connection

from catalog.models import Brand, Product, StockLevel, StockMovement, Variant
from catalog.services import bulk

pytestmark = pytest.mark.django_db


def rows(n: int, start: int = 0, price: str = "9.99", **extra) -> list[dict]:
    return [
        {
            "sku": f"BULK-{i:05d}",
            "title": f"Item {i}",
            "price": price,
            "brand": "Acme",
            "category": "Shirts",
            "stock": 5,
            **extra,
        }
        for i in range(start, start + n)
    ]


def test_create_then_same_batch_is_unchanged_then_changed(tenant_a):
    first = bulk.bulk_upsert(tenant_a.pk, rows(50))
    assert first.applied and first.counts() == {"created": 50, "updated": 0, "unchanged": 0, "error": 0}
    assert Variant.objects.filter(tenant=tenant_a).count() == 50
    assert Brand.objects.filter(tenant=tenant_a).count() == 1
    assert StockLevel.objects.filter(on_hand=5).count() == 50

    again = bulk.bulk_upsert(tenant_a.pk, rows(50))
    assert again.counts()["unchanged"] == 50
    assert StockMovement.objects.count() == 50  # no new movements

    changed = bulk.bulk_upsert(tenant_a.pk, rows(50, price="12.50"))
    assert changed.counts()["updated"] == 50
    assert set(Variant.objects.values_list("price", flat=True)) == {Decimal("12.50")}


def test_reject_policy_applies_nothing_when_a_row_is_bad(tenant_a):
    batch = rows(10)
    batch[3]["price"] = "abc"
    batch[7]["sku"] = batch[1]["sku"]
    result = bulk.bulk_upsert(tenant_a.pk, batch, policy="reject")
    assert not result.applied
    errors = {r.row: r.errors for r in result.rows if r.status == "error"}
    assert set(errors) == {3, 7}
    assert "price" in errors[3] and "sku" in errors[7]
    assert not Variant.objects.exists() and not Product.objects.exists()


def test_apply_valid_policy_applies_the_good_rows(tenant_a):
    batch = rows(10)
    batch[3]["barcode"] = "123"
    result = bulk.bulk_upsert(tenant_a.pk, batch, policy="apply_valid")
    assert result.applied
    assert result.counts() == {"created": 9, "updated": 0, "unchanged": 0, "error": 1}
    assert not Variant.objects.filter(sku="BULK-00003").exists()


def test_product_key_groups_variants(tenant_a):
    batch = [
        {"sku": "TEE-S", "title": "Tee", "price": "10", "product_key": "TEE"},
        {"sku": "TEE-M", "title": "Tee", "price": "10", "product_key": "TEE"},
    ]
    bulk.bulk_upsert(tenant_a.pk, batch)
    product = Product.objects.get()
    assert sorted(product.variants.values_list("sku", flat=True)) == ["TEE-M", "TEE-S"]


def test_new_sku_without_title_is_an_error(tenant_a):
    result = bulk.bulk_upsert(tenant_a.pk, [{"sku": "NOTITLE", "price": "1"}])
    assert result.rows[0].errors == {"title": ["Required for a new product."]}


def test_tenants_do_not_see_each_others_skus(tenant_a, tenant_b):
    bulk.bulk_upsert(tenant_a.pk, rows(3))
    result = bulk.bulk_upsert(tenant_b.pk, rows(3, price="1.00"))
    assert result.counts()["created"] == 3
    assert set(Variant.objects.filter(tenant=tenant_a).values_list("price", flat=True)) == {Decimal("9.99")}


def test_query_count_does_not_grow_with_rows(tenant_a, django_assert_max_num_queries):
    bulk.bulk_upsert(tenant_a.pk, rows(10))
    # SQLite caps parameters per statement, so its bulk inserts come in more batches.
    limit = 30 if connection.vendor == "postgresql" else 60
    with django_assert_max_num_queries(limit):
        bulk.bulk_upsert(tenant_a.pk, rows(400, start=100))
    with django_assert_max_num_queries(limit):
        bulk.bulk_upsert(tenant_a.pk, rows(400, start=100, price="3.00"))


def test_stock_of_draft_products_is_ledgered_but_announced_only_once_published(tenant_a):
    from catalog.services import products
    from meschain.models import Event

    bulk.bulk_upsert(tenant_a.pk, rows(3))
    assert StockMovement.objects.count() == 3
    assert not Event.objects.filter(type="stock.updated").exists()

    products.change_status(Product.objects.get(variants__sku="BULK-00001"), "published")
    bulk.bulk_upsert(tenant_a.pk, [{**row, "stock": 9} for row in rows(3)])

    announced = Event.objects.filter(type="stock.updated")
    assert [e.payload["sku"] for e in announced] == ["BULK-00001"]
    assert announced.get().payload["available"] == 9
    assert StockMovement.objects.count() == 6
