"""/api/orders: storefront placing, import (JSON and CSV), status, isolation, bad input."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import StockLevel
from orders.models import Order

pytestmark = pytest.mark.django_db


def test_storefront_places_an_order_with_idempotency_key(make_api_key, key_client, tenant_a, stocked):
    stocked(tenant_a, "TEE", 3, price="25.00")
    _key, full_key = make_api_key(tenant_a, ["orders:write", "orders:read"])
    client = key_client(full_key)
    body = {
        "lines": [{"sku": "TEE", "quantity": 2}],
        "customer": {"email": "a@example.com"},
        "currency": "TRY",
    }

    first = client.post("/api/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="cart-77")
    again = client.post("/api/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="cart-77")

    assert first.status_code == 201, first.content
    data = first.json()["data"]
    assert (data["channel"], data["status"], data["total"]) == ("storefront", "pending", "50.00")
    assert [(line["sku"], line["quantity"], line["reserved"]) for line in data["lines"]] == [("TEE", 2, True)]
    assert again.json()["data"]["id"] == data["id"]
    assert Order.objects.count() == 1
    different = client.post(
        "/api/orders", {**body, "notes": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="cart-77"
    )
    assert different.status_code == 409
    short = client.post("/api/orders", {"lines": [{"sku": "TEE", "quantity": 5}]}, format="json")
    assert short.status_code == 409
    error = short.json()["error"]
    assert error["code"] == "INSUFFICIENT_STOCK"
    assert error["details"]["lines"][0]["available"] == 1


def test_keys_cannot_import_or_change_status(make_api_key, key_client, tenant_a, stocked, client_for, owner):
    stocked(tenant_a, "TEE", 3)
    order = (
        client_for(owner)
        .post("/api/orders", {"lines": [{"sku": "TEE", "quantity": 1}]}, format="json")
        .json()["data"]
    )
    _key, full_key = make_api_key(tenant_a, ["orders:write", "orders:read"])
    client = key_client(full_key)
    assert (
        client.put(f"/api/orders/{order['id']}/status", {"status": "cancelled"}, format="json").status_code
        == 403
    )
    assert client.post("/api/orders/import", [{"external_id": "x"}], format="json").status_code == 403
    assert (
        client.get(f"/api/orders/{order['id']}").status_code == 404
    )  # manual orders are not the storefront's
    assert Order.objects.get().status == "pending"


def test_status_changes_through_the_api(client_for, owner, tenant_a, stocked):
    stocked(tenant_a, "TEE", 3)
    client = client_for(owner)
    order = client.post("/api/orders", {"lines": [{"sku": "TEE", "quantity": 1}]}, format="json").json()[
        "data"
    ]
    path = f"/api/orders/{order['id']}/status"

    assert client.put(path, {"status": "processing", "note": "packing"}, format="json").status_code == 200
    wrong = client.put(path, {"status": "pending"}, format="json")
    assert wrong.status_code == 409 and wrong.json()["error"]["code"] == "INVALID_TRANSITION"
    done = client.put(path, {"status": "completed"}, format="json").json()["data"]
    assert done["status"] == "completed" and done["next_statuses"] == ["refunded"]
    assert [e["to_status"] for e in done["events"]] == ["pending", "processing", "completed"]
    events = client.get(f"/api/orders/{order['id']}/events").json()
    assert events["pagination"]["total"] == 3
    assert StockLevel.objects.get().on_hand == 2


def test_import_json_and_csv(client_for, owner, tenant_a, stocked):
    stocked(tenant_a, "TEE", 10)
    client = client_for(owner)
    rows = [
        {"external_id": "E-1", "lines": [{"sku": "TEE", "quantity": 1, "unit_price": "9.00"}]},
        {"external_id": "E-2", "lines": [{"sku": "TEE", "quantity": "two", "unit_price": "9.00"}]},
    ]
    response = client.post("/api/orders/import?channel=trendyol:4", rows, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["data"]["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "error": 1}, response.json()["data"]["rows"]

    csv_text = (
        "external_id,placed_at,status,currency,customer_email,sku,title,quantity,unit_price\n"
        "C-1,2026-11-01T10:00:00Z,processing,TRY,c@example.com,TEE,Tee,2,9.50\n"
        "C-1,2026-11-01T10:00:00Z,processing,TRY,c@example.com,SOCK,Sock,1,3.00\n"
        "C-2,2026-11-02T10:00:00Z,,TRY,,TEE,Tee,1,9.50\n"
    )
    upload = SimpleUploadedFile("orders.csv", csv_text.encode(), content_type="text/csv")
    response = client.post("/api/orders/import?channel=import", {"file": upload}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["data"]["counts"]["created"] == 2
    c1 = Order.objects.get(external_id="C-1")
    assert c1.status == "processing" and c1.lines.count() == 2 and c1.needs_attention
    listed = client.get("/api/orders?needs_attention=true").json()
    assert [o["external_id"] for o in listed["data"]] == ["C-1"]


def test_filters_and_bad_parameters(client_for, owner, tenant_a, stocked):
    stocked(tenant_a, "TEE", 10)
    client = client_for(owner)
    for _ in range(3):
        client.post(
            "/api/orders",
            {"lines": [{"sku": "TEE", "quantity": 1}], "customer": {"email": "z@example.com"}},
            format="json",
        )
    assert client.get("/api/orders?customer_email=Z@example.com").json()["pagination"]["total"] == 3
    assert client.get("/api/orders?status=pending&ordering=-total").status_code == 200
    assert (
        client.get("/api/orders?placed_from=2020-01-01&placed_to=2999-01-01").json()["pagination"]["total"]
        == 3
    )
    for bad in ("status=lost", "placed_from=yesterday", "ordering=drop", "needs_attention=maybe"):
        response = client.get(f"/api/orders?{bad}")
        assert response.status_code == 400, bad
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_bad_order_bodies_change_nothing(client_for, owner, tenant_a, stocked):
    stocked(tenant_a, "TEE", 10)
    client = client_for(owner)
    for body in (
        {"lines": []},
        {"lines": [{"sku": "TEE", "quantity": 0}]},
        {"lines": [{"sku": "TEE", "quantity": 1}], "currency": "lira"},
        {"lines": [{"sku": "TEE", "quantity": 1}], "discount_total": "5"},
        {"lines": "TEE"},
    ):
        response = client.post("/api/orders", body, format="json")
        assert response.status_code == 400, body
    assert not Order.objects.exists()
    assert StockLevel.objects.get().reserved == 0


def test_other_tenant_sees_nothing(client_for, owner, other_owner, tenant_a, stocked):
    stocked(tenant_a, "TEE", 3)
    order = (
        client_for(owner)
        .post("/api/orders", {"lines": [{"sku": "TEE", "quantity": 1}]}, format="json")
        .json()["data"]
    )
    intruder = client_for(other_owner)
    assert intruder.get(f"/api/orders/{order['id']}").status_code == 404
    assert (
        intruder.put(f"/api/orders/{order['id']}/status", {"status": "cancelled"}, format="json").status_code
        == 404
    )
    assert intruder.get(f"/api/orders/{order['id']}/events").status_code == 404
    assert intruder.get("/api/orders").json()["pagination"]["total"] == 0
    assert Order.objects.get().status == "pending"


def test_list_query_count_is_bounded(client_for, owner, tenant_a, stocked, django_assert_max_num_queries):
    stocked(tenant_a, "TEE", 100)
    client = client_for(owner)
    for i in range(25):
        client.post(
            "/api/orders",
            {"lines": [{"sku": "TEE", "quantity": 1}], "customer": {"email": f"c{i}@example.com"}},
            format="json",
        )
    client.get("/api/orders?per_page=5")
    with django_assert_max_num_queries(10) as small:
        client.get("/api/orders?per_page=5")
    with django_assert_max_num_queries(10) as large:
        client.get("/api/orders?per_page=25")
    assert len(small.captured_queries) == len(large.captured_queries)
