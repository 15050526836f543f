"""§1.3/§1.4: product create v2, asynchronous batch results with per-item reasons, the 1,000-item limit."""

import time

import httpx

from marketplaces.sandbox.trendyol import TrendyolSandbox

from .conftest import KEY, SECRET, SELLER, create_products, seller_client, valid_item

CREATE = f"/product/sellers/{SELLER}/v2/products"


def _batch_path(batch_id: str) -> str:
    return f"/product/sellers/{SELLER}/products/batch-requests/{batch_id}"


def test_create_is_asynchronous_and_the_batch_completes_with_per_item_results():
    sandbox = TrendyolSandbox(seller_id=SELLER, api_key=KEY, api_secret=SECRET, batch_delay=0.3).start()
    try:
        with seller_client(sandbox) as client:
            response = client.post(CREATE, json={"items": [valid_item("A1"), valid_item("A2", title="")]})
            batch_id = response.json()["batchRequestId"]
            pending = client.get(_batch_path(batch_id)).json()
            assert sandbox.products() == {}
            time.sleep(0.35)
            done = client.get(_batch_path(batch_id)).json()
    finally:
        sandbox.stop()

    assert response.status_code == 200
    assert list(response.json()) == ["batchRequestId"]
    assert pending["status"] == "IN_PROGRESS"
    assert pending["items"] == []
    assert pending["itemCount"] == 2
    assert done["status"] == "COMPLETED"
    assert done["batchRequestType"] == "ProductV2OnBoarding"
    assert done["sourceType"] == "API"
    assert (done["itemCount"], done["failedItemCount"]) == (2, 1)
    assert [(i["requestItem"]["product"]["barcode"], i["status"], i["failureReasons"]) for i in done["items"]] == [
        ("A1", "SUCCESS", []),
        ("A2", "FAILED", ["title is required."]),
    ]
    assert done["lastModification"] >= done["creationDate"]


def test_each_invalid_item_fails_with_its_reason_and_valid_ones_are_stored(sandbox: TrendyolSandbox,
                                                                           client: httpx.Client):
    items = [
        valid_item("OK-1"),
        {k: v for k, v in valid_item("X").items() if k != "barcode"},
        valid_item("B-2", title=None),
        valid_item("B-3", brandId=None),
        valid_item("B-4", brandId=999),
        valid_item("B-5", categoryId=None),
        valid_item("B-6", categoryId=411),
        valid_item("B-7", salePrice=None),
        valid_item("B-8", listPrice=100, salePrice=120),
        valid_item("B-9", quantity=-1),
        valid_item("B 10"),
        valid_item("B-11", attributes=[{"attributeId": 47, "attributeValueIds": [686]}]),
        valid_item("B-12", attributes=[{"attributeId": 47, "attributeValueIds": [686, 687]},
                                       {"attributeId": 338, "attributeValueIds": [4603]}]),
        valid_item("B-13", vatRate=18),
        valid_item("OK-1"),
    ]

    result = create_products(client, items)

    reasons = [(i["status"], i["failureReasons"]) for i in result["items"]]
    assert reasons == [
        ("SUCCESS", []),
        ("FAILED", ["barcode is required."]),
        ("FAILED", ["title is required."]),
        ("FAILED", ["brandId is required."]),
        ("FAILED", ["Brand 999 was not found."]),
        ("FAILED", ["categoryId is required."]),
        ("FAILED", ["Category 411 is not a leaf category."]),
        ("FAILED", ["salePrice is required."]),
        ("FAILED", ["listPrice cannot be lower than salePrice."]),
        ("FAILED", ["quantity must be a whole number, 0 or more."]),
        ("FAILED", ["barcode may contain only letters, digits and '.', '-', '_' (at most 40)."]),
        ("FAILED", ["Required attribute Beden (338) is missing."]),
        ("FAILED", ["Renk accepts a single value."]),
        ("FAILED", ["vatRate must be one of 0, 1, 10, 20."]),
        ("FAILED", ["A product with barcode OK-1 already exists."]),
    ]
    assert result["failedItemCount"] == 14
    assert list(sandbox.products()) == ["OK-1"]
    stored = sandbox.products()["OK-1"]
    assert (stored["approved"], stored["brand"], stored["categoryName"]) == (True, "Koton", "T-Shirt")
    assert sandbox.stock("OK-1") == 10
    assert sandbox.price("OK-1") == (199.9, 250.0)


def test_lenient_attributes_skip_only_the_required_attribute_rule():
    sandbox = TrendyolSandbox(seller_id=SELLER, api_key=KEY, api_secret=SECRET, strict_attributes=False).start()
    try:
        with seller_client(sandbox) as client:
            result = create_products(client, [valid_item("L1", attributes=[]),
                                              valid_item("L2", attributes=[{"attributeId": 47, "attributeValueIds": [1]}])])
    finally:
        sandbox.stop()

    assert [(i["status"], i["failureReasons"]) for i in result["items"]] == [
        ("SUCCESS", []), ("FAILED", ["Value 1 is not valid for Renk."])]


def test_a_thousand_items_are_accepted_and_one_more_is_refused(sandbox: TrendyolSandbox, client: httpx.Client):
    too_many = client.post(CREATE, json={"items": [valid_item(f"N{i}") for i in range(1001)]})
    empty = client.post(CREATE, json={"items": []})
    not_items = client.post(CREATE, json=[valid_item("N1")])

    assert too_many.status_code == 400
    assert too_many.json()["errors"][0]["key"] == "items.size.exceeded"
    assert empty.status_code == 400
    assert not_items.status_code == 400
    assert sandbox.products() == {}

    result = create_products(client, [valid_item(f"N{i}") for i in range(1000)])

    assert (result["itemCount"], result["failedItemCount"]) == (1000, 0)
    assert len(sandbox.products()) == 1000


def test_unknown_batch_is_404_and_results_expire_after_four_hours(sandbox: TrendyolSandbox, client: httpx.Client):
    batch_id = client.post(CREATE, json={"items": [valid_item("E1")]}).json()["batchRequestId"]

    assert client.get(_batch_path("0000-nope")).status_code == 404
    assert client.get(_batch_path(batch_id)).status_code == 200
    sandbox.advance_clock(4 * 3600 + 1)
    assert client.get(_batch_path(batch_id)).status_code == 404


def test_filter_products_pages_and_filters(sandbox: TrendyolSandbox, client: httpx.Client):
    create_products(client, [valid_item(f"F{i}") for i in range(5)])
    sandbox.approve(["F4"], approved=False)

    page = client.get(f"/product/sellers/{SELLER}/products", params={"page": 1, "size": 2}).json()
    one = client.get(f"/product/sellers/{SELLER}/products", params={"barcode": "F3"}).json()
    unapproved = client.get(f"/product/sellers/{SELLER}/products", params={"approved": "false"}).json()

    assert (page["totalElements"], page["totalPages"], page["page"], page["size"]) == (5, 3, 1, 2)
    assert [p["barcode"] for p in page["content"]] == ["F2", "F3"]
    assert [p["barcode"] for p in one["content"]] == ["F3"]
    assert [p["barcode"] for p in unapproved["content"]] == ["F4"]
