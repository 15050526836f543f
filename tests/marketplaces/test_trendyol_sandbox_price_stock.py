"""§1.5: price and inventory updates, per-item results and the 15-minute identical-request rule."""

import httpx

from marketplaces.sandbox.trendyol import IDENTICAL_REQUEST_MESSAGE, TrendyolSandbox

from .conftest import SELLER, create_products, update_price_stock, valid_item

PRICE = f"/inventory/sellers/{SELLER}/products/price-and-inventory"


def _products(client: httpx.Client, *barcodes: str) -> None:
    create_products(client, [valid_item(b) for b in barcodes])


def test_updates_apply_per_item_and_the_batch_has_no_batch_level_status(sandbox: TrendyolSandbox,
                                                                         client: httpx.Client):
    _products(client, "P1", "P2", "P3")

    result = update_price_stock(client, [
        {"barcode": "P1", "quantity": 7},
        {"barcode": "P2", "salePrice": 150.5, "listPrice": 180},
        {"barcode": "P3", "quantity": 0, "salePrice": 99, "listPrice": 99},
    ])

    assert "status" not in result
    assert result["batchRequestType"] == "ProductInventoryUpdate"
    assert [(i["requestItem"]["barcode"], i["status"], i["failureReasons"]) for i in result["items"]] == [
        ("P1", "SUCCESS", []), ("P2", "SUCCESS", []), ("P3", "SUCCESS", [])]
    assert (sandbox.stock("P1"), sandbox.price("P1")) == (7, (199.9, 250.0))
    assert (sandbox.stock("P2"), sandbox.price("P2")) == (10, (150.5, 180))
    assert (sandbox.stock("P3"), sandbox.price("P3")) == (0, (99, 99))


def test_invalid_items_fail_with_reasons_and_change_nothing(sandbox: TrendyolSandbox, client: httpx.Client):
    _products(client, "P1", "P2")
    sandbox.approve(["P2"], approved=False)

    result = update_price_stock(client, [
        {"barcode": "NOPE", "quantity": 1},
        {"barcode": "P2", "quantity": 1},
        {"barcode": "P1", "quantity": -3},
        {"barcode": "P1", "quantity": 20001},
        {"barcode": "P1", "salePrice": 300},
        {"barcode": "P1", "salePrice": 0},
        {"barcode": "P1"},
        {"quantity": 4},
    ])

    assert [(i["status"], i["failureReasons"]) for i in result["items"]] == [
        ("FAILED", ["No product with barcode NOPE was found."]),
        ("FAILED", ["Product P2 is not approved yet; only approved products can be updated."]),
        ("FAILED", ["quantity must be a whole number, 0 or more."]),
        ("FAILED", ["quantity must be at most 20000."]),
        ("FAILED", ["listPrice cannot be lower than salePrice."]),
        ("FAILED", ["salePrice must be a number greater than 0."]),
        ("FAILED", ["Send quantity, salePrice or listPrice."]),
        ("FAILED", ["barcode is required."]),
    ]
    assert result["failedItemCount"] == 8
    assert (sandbox.stock("P1"), sandbox.price("P1")) == (10, (199.9, 250.0))
    assert (sandbox.stock("P2"), sandbox.price("P2")) == (10, (199.9, 250.0))


def test_more_than_a_thousand_items_is_400(sandbox: TrendyolSandbox, client: httpx.Client):
    _products(client, "P1")

    response = client.post(PRICE, json={"items": [{"barcode": "P1", "quantity": i} for i in range(1001)]})

    assert response.status_code == 400
    assert response.json()["errors"][0]["key"] == "items.size.exceeded"
    assert sandbox.stock("P1") == 10


def test_an_identical_item_within_fifteen_minutes_is_refused_but_a_changed_one_passes(
        sandbox: TrendyolSandbox, client: httpx.Client):
    _products(client, "P1", "P2")
    first = update_price_stock(client, [{"barcode": "P1", "quantity": 5}, {"barcode": "P2", "quantity": 6}])

    sandbox.advance_clock(14 * 60)
    again = update_price_stock(client, [{"barcode": "P1", "quantity": 5}, {"barcode": "P2", "quantity": 8}])
    sandbox.advance_clock(61)
    after_window = update_price_stock(client, [{"barcode": "P1", "quantity": 5}])

    assert [i["status"] for i in first["items"]] == ["SUCCESS", "SUCCESS"]
    assert [(i["status"], i["failureReasons"]) for i in again["items"]] == [
        ("FAILED", [IDENTICAL_REQUEST_MESSAGE]), ("SUCCESS", [])]
    assert IDENTICAL_REQUEST_MESSAGE == "15 dakika boyunca aynı isteği tekrarlı olarak atamazsınız!"
    assert [i["status"] for i in after_window["items"]] == ["SUCCESS"]
    assert (sandbox.stock("P1"), sandbox.stock("P2")) == (5, 8)


def test_a_refused_identical_item_does_not_restart_the_window(sandbox: TrendyolSandbox, client: httpx.Client):
    _products(client, "P1")
    update_price_stock(client, [{"barcode": "P1", "quantity": 5}])
    sandbox.advance_clock(10 * 60)
    refused = update_price_stock(client, [{"barcode": "P1", "quantity": 5}])
    sandbox.advance_clock(5 * 60 + 1)
    accepted = update_price_stock(client, [{"barcode": "P1", "quantity": 5}])

    assert refused["items"][0]["status"] == "FAILED"
    assert accepted["items"][0]["status"] == "SUCCESS"
