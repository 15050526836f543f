"""§1.2/§1.3/§1.4: product content updates (content-bulk-update for approved products,
unapproved-bulk-update for the others) as asynchronous batches with per-item reasons."""

from typing import Any

import httpx
import pytest

from marketplaces.sandbox.trendyol import TrendyolSandbox

from .conftest import KEY, SECRET, SELLER, create_products, seller_client, valid_item

CONTENT = f"/product/sellers/{SELLER}/products/content-bulk-update"
UNAPPROVED = f"/product/sellers/{SELLER}/products/unapproved-bulk-update"


def update(client: httpx.Client, path: str, items: list[Any]) -> dict[str, Any]:
    """POST an update batch and return its (completed) batch result."""
    response = client.post(path, json={"items": items})
    assert response.status_code == 200, response.text
    assert list(response.json()) == ["batchRequestId"]
    batch_id = response.json()["batchRequestId"]
    return client.get(f"/product/sellers/{SELLER}/products/batch-requests/{batch_id}").json()


def reasons(result: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    return [(i["requestItem"]["product"].get("barcode"), i["status"], i["failureReasons"]) for i in result["items"]]


def test_content_update_changes_content_only_and_moves_the_last_update_date(sandbox: TrendyolSandbox,
                                                                             client: httpx.Client):
    create_products(client, [valid_item("C1"), valid_item("C2")])
    before = sandbox.products()

    result = update(client, CONTENT, [valid_item("C1", title="Organic T-Shirt", description="Organic cotton",
                                                 attributes=[*valid_item("C1")["attributes"],
                                                             {"attributeId": 14, "attributeValueIds": [82]}],
                                                 quantity=-5, salePrice=999.0, listPrice=1.0, currencyType="EUR")])

    assert result["status"] == "COMPLETED"
    assert result["batchRequestType"] == "ProductV2ContentUpdate"
    assert (result["itemCount"], result["failedItemCount"]) == (1, 0)
    assert reasons(result) == [("C1", "SUCCESS", [])]
    after = sandbox.products()
    assert (after["C1"]["title"], after["C1"]["description"]) == ("Organic T-Shirt", "Organic cotton")
    assert {"attributeId": 14, "attributeValueIds": [82]} in after["C1"]["attributes"]
    assert after["C1"]["lastUpdateDate"] > before["C1"]["lastUpdateDate"]
    assert sandbox.stock("C1") == 10 and sandbox.price("C1") == (199.9, 250.0)
    assert after["C1"]["currencyType"] == "TRY" and after["C1"]["approved"] is True
    assert after["C2"] == before["C2"]


def test_the_update_is_applied_asynchronously():
    sandbox = TrendyolSandbox(seller_id=SELLER, api_key=KEY, api_secret=SECRET, batch_delay=60).start()
    try:
        with seller_client(sandbox) as client:
            client.post(f"/product/sellers/{SELLER}/v2/products", json={"items": [valid_item("D1")]})
            sandbox.advance_clock(60)
            batch_id = client.post(CONTENT, json={"items": [valid_item("D1", title="Later")]}).json()["batchRequestId"]
            pending = client.get(f"/product/sellers/{SELLER}/products/batch-requests/{batch_id}").json()
            title_while_pending = sandbox.products()["D1"]["title"]
            sandbox.advance_clock(60)
            done = client.get(f"/product/sellers/{SELLER}/products/batch-requests/{batch_id}").json()
    finally:
        sandbox.stop()

    assert (pending["status"], pending["items"], pending["itemCount"]) == ("IN_PROGRESS", [], 1)
    assert title_while_pending == "Basic T-Shirt D1"
    assert done["status"] == "COMPLETED" and reasons(done) == [("D1", "SUCCESS", [])]
    assert sandbox.products()["D1"]["title"] == "Later"


def test_unknown_barcodes_and_the_wrong_route_for_the_approval_state_fail(sandbox: TrendyolSandbox,
                                                                           client: httpx.Client):
    create_products(client, [valid_item("A1"), valid_item("U1")])
    sandbox.approve(["U1"], approved=False)
    before = sandbox.products()

    content = update(client, CONTENT, [valid_item("NOPE"), valid_item("U1", title="x"), valid_item("A1", title="y"),
                                       {"title": "no barcode"}, "not an object"])
    unapproved = update(client, UNAPPROVED, [valid_item("NOPE"), valid_item("A1", title="z")])

    assert reasons({"items": content["items"][:3]}) == [
        ("NOPE", "FAILED", ["Product with barcode NOPE was not found."]),
        ("U1", "FAILED", ["Product U1 is not approved yet; send its changes to unapproved-bulk-update."]),
        ("A1", "SUCCESS", []),
    ]
    assert [i["failureReasons"] for i in content["items"][3:]] == [["barcode is required."],
                                                                   ["Item must be a JSON object."]]
    assert content["failedItemCount"] == 4
    assert reasons(unapproved) == [
        ("NOPE", "FAILED", ["Product with barcode NOPE was not found."]),
        ("A1", "FAILED", ["Product A1 is already approved; send its content changes to content-bulk-update."]),
    ]
    assert sandbox.products()["U1"] == before["U1"]
    assert sandbox.products()["A1"]["title"] == "y"


def test_unapproved_update_changes_a_product_waiting_for_approval(sandbox: TrendyolSandbox, client: httpx.Client):
    create_products(client, [valid_item("W1")])
    sandbox.approve(["W1"], approved=False)

    result = update(client, UNAPPROVED, [valid_item("W1", title="Renamed", attributes=[
        {"attributeId": 47, "attributeValueIds": [687]}, {"attributeId": 338, "attributeValueIds": [4604]}])])

    assert result["batchRequestType"] == "ProductV2UnapprovedUpdate" and result["status"] == "COMPLETED"
    assert reasons(result) == [("W1", "SUCCESS", [])]
    stored = sandbox.products()["W1"]
    assert (stored["title"], stored["approved"]) == ("Renamed", False)
    assert stored["attributes"][0] == {"attributeId": 47, "attributeValueIds": [687]}


def test_content_rules_of_create_apply_but_not_already_exists(sandbox: TrendyolSandbox, client: httpx.Client):
    create_products(client, [valid_item(f"V{i}") for i in range(9)])
    before = sandbox.products()

    result = update(client, CONTENT, [
        valid_item("V0", title=""),
        valid_item("V1", title="T" * 101),
        valid_item("V2", brandId=999),
        valid_item("V3", categoryId=411),
        valid_item("V4", attributes=[{"attributeId": 47, "attributeValueIds": [686]}]),
        valid_item("V5", vatRate=18),
        valid_item("V6", attributes=[{"attributeId": 47, "attributeValueIds": [687]},
                                     {"attributeId": 338, "attributeValueIds": [4603]}]),
        valid_item("V7", quantity=None, salePrice=None, listPrice=None),
        valid_item("V8"),
    ])

    assert reasons(result) == [
        ("V0", "FAILED", ["title is required."]),
        ("V1", "FAILED", ["title must be at most 100 characters."]),
        ("V2", "FAILED", ["Brand 999 was not found."]),
        ("V3", "FAILED", ["Category 411 is not a leaf category."]),
        ("V4", "FAILED", ["Required attribute Beden (338) is missing."]),
        ("V5", "FAILED", ["vatRate must be one of 0, 1, 10, 20."]),
        ("V6", "FAILED", ["Renk cannot change after approval (varianter/slicer attribute)."]),
        ("V7", "SUCCESS", []),
        ("V8", "SUCCESS", []),
    ]
    after = sandbox.products()
    assert all(after[f"V{i}"] == before[f"V{i}"] for i in range(7))
    assert after["V7"]["salePrice"] == 199.9 and after["V7"]["quantity"] == 10


@pytest.mark.parametrize("path", [CONTENT, UNAPPROVED])
def test_bodies_over_a_thousand_items_and_bad_bodies_are_refused(sandbox: TrendyolSandbox, client: httpx.Client,
                                                                  path: str):
    create_products(client, [valid_item("K1")])
    before = sandbox.products()

    too_many = client.post(path, json={"items": [valid_item("K1", title=f"t{i}") for i in range(1001)]})
    empty = client.post(path, json={"items": []})
    not_items = client.post(path, json=[valid_item("K1")])
    wrong_method = client.get(path)

    assert too_many.status_code == 400
    assert too_many.json()["errors"][0]["key"] == "items.size.exceeded"
    assert (empty.status_code, not_items.status_code, wrong_method.status_code) == (400, 400, 405)
    assert sandbox.products() == before
    assert update(client, path, [valid_item("K1", title=f"t{i}") for i in range(1000)])["itemCount"] == 1000


def test_updates_check_credentials_user_agent_and_seller_like_creates(sandbox: TrendyolSandbox):
    body = {"items": [valid_item("S1")]}
    sandbox.add_seller("200000", "other-key", "other-secret")
    agent = {"User-Agent": f"{SELLER} - SelfIntegration"}
    with httpx.Client(base_url=sandbox.base_url, auth=(KEY, SECRET), timeout=5) as no_agent:
        assert no_agent.post(CONTENT, json=body).status_code == 403
    with httpx.Client(base_url=sandbox.base_url, auth=(KEY, "wrong"), headers=agent, timeout=5) as bad_secret:
        answer = bad_secret.post(UNAPPROVED, json=body)
    with seller_client(sandbox) as client:
        other_seller = client.post("/product/sellers/200000/products/content-bulk-update", json=body)

    assert answer.status_code == 401 and answer.json()["exception"] == "ClientApiAuthenticationException"
    assert other_seller.status_code == 403
    assert httpx.get(sandbox.control_url + "/state").json()["sellers"][SELLER]["batches"] == 0


def test_updates_have_their_own_per_minute_limit(sandbox: TrendyolSandbox, client: httpx.Client):
    create_products(client, [valid_item("R1")])
    sandbox.rate_limits["product_update"] = 2

    answers = [client.post(CONTENT, json={"items": [valid_item("R1")]}).status_code for _ in range(3)]
    limited = client.post(UNAPPROVED, json={"items": [valid_item("R1")]})

    assert answers == [200, 200, 429]
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert client.post(f"/product/sellers/{SELLER}/v2/products", json={"items": [valid_item("R2")]}).status_code == 200
