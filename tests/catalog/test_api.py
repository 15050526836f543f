"""/api/products, the storefront view, inventory: behaviour, isolation, query counts."""

import pytest
from django.db import connection

from catalog.models import Category, Product, StockLevel, StockMovement, Variant
from catalog.services import products, stock, taxonomy

pytestmark = pytest.mark.django_db

NEW_PRODUCT = {
    "title": "Linen shirt",
    "description": "Breathable summer shirt",
    "variants": [
        {"sku": "LIN-S", "price": "39.90", "barcode": "4006381333931", "name": "S"},
        {"sku": "LIN-M", "price": "39.90", "name": "M", "cost": "12.00"},
    ],
}


def _published(make_product, tenant, **kwargs):
    product = make_product(tenant, **kwargs)
    products.change_status(product, "published")
    return product


def test_create_read_update_delete(client_for, owner):
    client = client_for(owner)
    created = client.post("/api/products", NEW_PRODUCT, format="json")
    assert created.status_code == 201, created.content
    data = created.json()["data"]
    assert data["status"] == "draft"
    assert [v["sku"] for v in data["variants"]] == ["LIN-S", "LIN-M"]
    path = f"/api/products/{data['id']}"

    patched = client.patch(path, {"title": "Linen shirt, white"}, format="json")
    assert patched.json()["data"]["title"] == "Linen shirt, white"

    published = client.post(f"{path}/status", {"status": "published"}, format="json")
    assert published.status_code == 200 and published.json()["data"]["status"] == "published"
    invalid = client.post(f"{path}/status", {"status": "published"}, format="json")
    assert invalid.status_code == 409 and invalid.json()["error"]["code"] == "INVALID_TRANSITION"

    assert client.delete(path).status_code == 204
    assert not Product.objects.exists()


def test_bad_input_changes_nothing(client_for, owner):
    client = client_for(owner)
    for body in (
        {**NEW_PRODUCT, "variants": []},
        {**NEW_PRODUCT, "variants": [{"sku": "X", "price": "-1"}]},
        {**NEW_PRODUCT, "variants": [{"sku": "X", "price": "1", "barcode": "1234567"}]},
        {**NEW_PRODUCT, "colour": "red"},
        {"title": ["not", "a", "string"], "variants": [{"sku": "X", "price": "1"}]},
    ):
        response = client.post("/api/products", body, format="json")
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert not Product.objects.exists() and not Variant.objects.exists()


def test_duplicate_sku_is_rejected(client_for, owner):
    client = client_for(owner)
    assert client.post("/api/products", NEW_PRODUCT, format="json").status_code == 201
    again = client.post("/api/products", NEW_PRODUCT, format="json")
    assert again.status_code == 400
    assert Product.objects.count() == 1


def test_filters(client_for, owner, tenant_a, make_product):
    shirts = taxonomy.save_category(tenant_a.pk, name="Shirts")
    linen = taxonomy.save_category(tenant_a.pk, name="Linen", parent_id=shirts.pk)
    a = make_product(tenant_a, title="Linen shirt", category_id=linen.pk, skus=["A-1"], price="40.00")
    b = make_product(tenant_a, title="Wool coat", skus=["B-1"], price="150.00")
    stock.adjust(tenant_a.pk, a.variants.get().pk, delta=3)
    products.change_status(b, "published")
    client = client_for(owner)

    def ids(query: str) -> set[int]:
        response = client.get(f"/api/products?{query}")
        assert response.status_code == 200, response.content
        return {p["id"] for p in response.json()["data"]}

    assert ids(f"category={shirts.pk}") == {a.pk}  # descendants included
    assert ids("status=published") == {b.pk}
    assert ids("sku=B-1") == {b.pk}
    assert ids("price_min=100") == {b.pk}
    assert ids("price_max=50") == {a.pk}
    assert ids("in_stock=true") == {a.pk}
    assert ids("in_stock=false") == {b.pk}
    assert ids("search=linen") == {a.pk}
    assert ids("search=B-1") == {b.pk}
    assert client.get("/api/products?status=sold").status_code == 400
    assert client.get("/api/products?ordering=price;drop").status_code == 400


def test_storefront_sees_published_only_and_available_stock(make_api_key, key_client, tenant_a, make_product):
    shown = _published(make_product, tenant_a, skus=["SHOW-1", "SHOW-2"])
    make_product(tenant_a, skus=["DRAFT-1"])
    stock.adjust(tenant_a.pk, shown.variants.get(sku="SHOW-1").pk, delta=5)
    stock.apply_stock_changes(
        tenant_a.pk,
        [stock.StockChange(shown.variants.get(sku="SHOW-1").pk, reserved_delta=2)],
        reason="order_reserve",
    )
    _key, full_key = make_api_key(tenant_a, ["catalog:read"])
    client = key_client(full_key)

    body = client.get("/api/products").json()

    assert [p["id"] for p in body["data"]] == [shown.pk]
    product = body["data"][0]
    assert product["available"] == 3
    assert {v["sku"]: v["available"] for v in product["variants"]} == {"SHOW-1": 3, "SHOW-2": 0}
    assert "cost" not in product["variants"][0]
    assert body["pagination"]["total"] == 1
    draft_id = Product.objects.get(variants__sku="DRAFT-1").pk
    assert client.get(f"/api/products/{draft_id}").status_code == 404


def test_storefront_etag_and_cache_invalidated_by_events(
    make_api_key, key_client, tenant_a, make_product, django_capture_on_commit_callbacks
):
    product = _published(make_product, tenant_a, title="Old title")
    _key, full_key = make_api_key(tenant_a, ["catalog:read"])
    client = key_client(full_key)

    first = client.get(f"/api/products/{product.pk}")
    etag = first["ETag"]
    assert first.json()["data"]["title"] == "Old title"
    assert client.get(f"/api/products/{product.pk}", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert first.json()["request_id"] != client.get(f"/api/products/{product.pk}").json()["request_id"]

    with django_capture_on_commit_callbacks(execute=True):
        products.update_product(product, changes={"title": "New title"})

    after = client.get(f"/api/products/{product.pk}", HTTP_IF_NONE_MATCH=etag)
    assert after.status_code == 200
    assert after.json()["data"]["title"] == "New title"
    assert after["ETag"] != etag


def test_api_key_scopes(make_api_key, key_client, tenant_a):
    _key, read_only = make_api_key(tenant_a, ["catalog:read"])
    _key, writer = make_api_key(tenant_a, ["catalog:write"], name="Writer")
    assert key_client(read_only).post("/api/products", NEW_PRODUCT, format="json").status_code == 403
    assert key_client(writer).get("/api/products").status_code == 403
    assert key_client(writer).post("/api/products", NEW_PRODUCT, format="json").status_code == 201
    assert key_client(read_only).get("/api/inventory").status_code == 403


def test_roles(client_for, viewer, operator, tenant_a, make_product):
    product = make_product(tenant_a)
    assert client_for(viewer).get("/api/products").status_code == 200
    assert client_for(viewer).post("/api/products", NEW_PRODUCT, format="json").status_code == 403
    assert client_for(viewer).delete(f"/api/products/{product.pk}").status_code == 403
    assert client_for(operator).post("/api/products", NEW_PRODUCT, format="json").status_code == 201
    assert Product.objects.filter(pk=product.pk).exists()


def test_other_tenant_gets_404_everywhere(client_for, other_owner, tenant_a, make_product):
    product = make_product(tenant_a)
    variant = product.variants.get()
    intruder = client_for(other_owner)
    path = f"/api/products/{product.pk}"
    assert intruder.get(path).status_code == 404
    assert intruder.patch(path, {"title": "mine"}, format="json").status_code == 404
    assert intruder.delete(path).status_code == 404
    assert intruder.post(f"{path}/status", {"status": "published"}, format="json").status_code == 404
    assert intruder.get("/api/products").json()["pagination"]["total"] == 0
    assert intruder.get("/api/inventory").json()["pagination"]["total"] == 0
    adjust = intruder.post("/api/inventory/adjust", {"variant_id": variant.pk, "delta": 5}, format="json")
    assert adjust.status_code == 400
    assert not StockLevel.objects.filter(variant=variant).exists()
    product.refresh_from_db()
    assert product.title != "mine" and product.status == "draft"


def test_inventory_adjust_and_movements(client_for, owner, tenant_a, make_product):
    make_product(tenant_a, skus=["INV-1"])
    client = client_for(owner)

    response = client.post(
        "/api/inventory/adjust", {"sku": "INV-1", "quantity": 8, "note": "count"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["data"]["available"] == 8
    client.post("/api/inventory/adjust", {"sku": "INV-1", "delta": -3}, format="json")
    short = client.post("/api/inventory/adjust", {"sku": "INV-1", "delta": -30}, format="json")
    assert short.status_code == 409 and short.json()["error"]["code"] == "INSUFFICIENT_STOCK"
    assert client.post("/api/inventory/adjust", {"sku": "INV-1"}, format="json").status_code == 400

    levels = client.get("/api/inventory?low_stock=5").json()["data"]
    assert [(row["sku"], row["on_hand"]) for row in levels] == [("INV-1", 5)]
    movements = client.get("/api/inventory/movements?sku=INV-1").json()["data"]
    assert [m["on_hand_delta"] for m in movements] == [-3, 8]
    assert StockMovement.objects.count() == 2


def test_bulk_endpoint_with_idempotency_key(client_for, owner):
    client = client_for(owner)
    rows = [{"sku": f"B-{i}", "title": f"Bulk {i}", "price": "5.00", "stock": 2} for i in range(20)]
    headers = {"HTTP_IDEMPOTENCY_KEY": "batch-2026-11-27-1"}

    first = client.post("/api/products/bulk", {"rows": rows}, format="json", **headers)
    assert first.status_code == 200, first.content
    assert first.json()["data"]["counts"]["created"] == 20
    replay = client.post("/api/products/bulk", {"rows": rows}, format="json", **headers)
    assert replay.json()["data"]["counts"]["created"] == 20  # the first answer, replayed
    assert replay["Idempotent-Replayed"] == "true"
    assert Variant.objects.count() == 20
    other = client.post("/api/products/bulk", {"rows": rows[:3]}, format="json", **headers)
    assert other.status_code == 409 and other.json()["error"]["code"] == "CONFLICT"

    bad = client.post(
        "/api/products/bulk", {"rows": [{"sku": "Z", "price": "x", "title": "Z"}]}, format="json"
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["details"]["rows"][0]["errors"]["price"]
    assert not Variant.objects.filter(sku="Z").exists()


def test_list_query_count_does_not_grow_with_page_size(
    client_for, owner, tenant_a, make_product, django_assert_max_num_queries
):
    for i in range(30):
        product = make_product(tenant_a, skus=[f"Q-{i}-a", f"Q-{i}-b"])
        stock.adjust(tenant_a.pk, product.variants.first().pk, delta=1)
    client = client_for(owner)
    client.get("/api/products?per_page=5")  # warm caches (content types, permissions)
    with django_assert_max_num_queries(12) as small:
        client.get("/api/products?per_page=5")
    with django_assert_max_num_queries(12) as large:
        client.get("/api/products?per_page=30")
    assert len(small.captured_queries) == len(large.captured_queries)


@pytest.mark.postgres
def test_full_text_search_uses_the_index_expression(client_for, owner, tenant_a, make_product):
    make_product(tenant_a, title="Cotton hoodie", description="Warm and soft", skus=["HOOD-1"])
    client = client_for(owner)
    assert client.get("/api/products?search=soft").json()["pagination"]["total"] == 1
    assert client.get("/api/products?search=hood-1").json()["pagination"]["total"] == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'catalog_product_search'")
        assert "gin" in cursor.fetchone()[0].lower()


def test_categories_tree_and_conflicts(client_for, owner, tenant_a, make_product):
    client = client_for(owner)
    root = client.post("/api/categories", {"name": "Clothing"}, format="json").json()["data"]
    child = client.post("/api/categories", {"name": "Shirts", "parent": root["id"]}, format="json").json()[
        "data"
    ]
    assert child["path"] == f"/{root['id']}/{child['id']}/"
    loop = client.put(
        f"/api/categories/{root['id']}", {"name": "Clothing", "parent": child["id"]}, format="json"
    )
    assert loop.status_code == 400
    make_product(tenant_a, category_id=child["id"])
    blocked = client.delete(f"/api/categories/{child['id']}")
    assert blocked.status_code == 409 and blocked.json()["error"]["code"] == "CONFLICT"
    assert Category.objects.count() == 2
