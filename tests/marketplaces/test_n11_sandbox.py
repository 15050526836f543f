"""The N11 sandbox over HTTP, as a seller's client sees it: auth, categories, product and
price/stock tasks with their rules, task details, shipment packages and line updates."""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from marketplaces.sandbox.n11 import N11Sandbox

KEY, SECRET = "sb-key", "sb-secret"
TSHIRT = 1001011
DAY_MS = 24 * 3600 * 1000


def sku(code: str, **overrides: Any) -> dict[str, Any]:
    """A product-create SKU that passes every rule (prices as two-decimal JSON numbers)."""
    item = {
        "title": f"Pamuk tişört {code}", "description": "Pamuk", "categoryId": TSHIRT, "currencyType": "TL",
        "productMainId": "TEE-1", "preparingDay": 3, "shipmentTemplate": "Standart Kargo", "stockCode": code,
        "barcode": None, "quantity": 10, "images": [{"url": "https://cdn.example.com/tee.jpg", "order": 1}],
        "attributes": [{"id": 1, "valueId": 8400002, "customValue": None},
                       {"id": 429, "valueId": 8773701, "customValue": None},
                       {"id": 430, "valueId": 8800002, "customValue": None}],
        "salePrice": "@199.90", "listPrice": "@249.90", "vatRate": 20,
    }  # fmt: skip
    item.update(overrides)
    return item


def raw_json(value: Any) -> bytes:
    """JSON in which strings "@12.30" become the number 12.30 written as it is."""
    import json
    import re

    return re.sub(r'"@(-?[0-9.]+)"', r"\1", json.dumps(value)).encode()


@pytest.fixture
def sandbox() -> Iterator[N11Sandbox]:
    sb = N11Sandbox(app_key=KEY, app_secret=SECRET).start()
    yield sb
    sb.stop()


@pytest.fixture
def client(sandbox: N11Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url, headers={"appkey": KEY, "appsecret": SECRET}, timeout=5) as c:
        yield c


def task(client: httpx.Client, path: str, skus: list[dict[str, Any]], integrator: str = "MesChain") -> dict:
    response = client.post(f"/ms/product/tasks/{path}", content=raw_json({"payload": {"integrator": integrator,
                                                                                      "skus": skus}}),
                           headers={"Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()


def details(client: httpx.Client, task_id: int, page: int = 0, size: int = 1000) -> dict[str, Any]:
    response = client.post("/ms/product/task-details/page-query", json={"taskId": task_id,
                                                                         "pageable": {"page": page, "size": size}})
    assert response.status_code == 200, response.text
    return response.json()


def test_auth_needs_appkey_and_appsecret_but_categories_only_the_key(sandbox: N11Sandbox):
    with httpx.Client(base_url=sandbox.base_url, timeout=5) as anonymous:
        missing = anonymous.get("/ms/product-query")
        wrong = anonymous.get("/ms/product-query", headers={"appkey": KEY, "appsecret": "nope"})
        key_only_products = anonymous.get("/ms/product-query", headers={"appkey": KEY})
        key_only_categories = anonymous.get("/cdn/categories", headers={"appkey": KEY})
        no_key_categories = anonymous.get("/cdn/categories")

    assert missing.status_code == wrong.status_code == key_only_products.status_code == 401
    assert missing.json()["error"] == "Unauthorized" and missing.json()["path"] == "/ms/product-query"
    assert key_only_categories.status_code == 200 and no_key_categories.status_code == 401


def test_category_tree_marks_leaves_with_null_subcategories_and_serves_their_attributes(client: httpx.Client):
    tree = client.get("/cdn/categories").json()["categories"]
    moda = next(node for node in tree if node["name"] == "Moda")
    leaf = moda["subCategories"][0]["subCategories"][0]
    assert leaf["subCategories"] is None and leaf["id"] == TSHIRT

    attributes = client.get(f"/cdn/category/{TSHIRT}/attribute").json()
    names = {a["attributeName"]: a for a in attributes["categoryAttributes"]}
    assert names["Marka"]["attributeId"] == 1 and names["Marka"]["isMandatory"]
    assert names["Beden"]["isVariant"] and not names["Beden"]["isCustomValue"]
    assert {"id": 8800002, "value": "M"} in names["Beden"]["attributeValues"]
    assert client.get("/cdn/category/1000000/attribute").status_code == 400  # not a leaf
    assert client.get("/cdn/category/42/attribute").status_code == 404


def test_create_task_is_queued_then_each_sku_succeeds_or_fails_with_reasons(client: httpx.Client,
                                                                            sandbox: N11Sandbox):  # fmt: skip
    skus = [sku("A"), sku("B", attributes=[{"id": 1, "valueId": 8400002}]), sku("C", categoryId=1001000),
            sku("D", shipmentTemplate="Yok"), sku("A"), sku("E", vatRate=18)]  # fmt: skip
    answer = task(client, "product-create", skus)
    assert answer["status"] == "IN_QUEUE" and answer["type"] == "PRODUCT_CREATE" and answer["reasons"] == []

    result = details(client, answer["id"])
    assert result["status"] == "PROCESSED"
    items = {(i["itemCode"], i["status"]): i["reasons"] for i in result["skus"]["content"]}
    assert items[("A", "SUCCESS")] == []
    assert "Attribute Renk is mandatory." in items[("B", "FAIL")]
    assert items[("C", "FAIL")] == ["Category 1001000 is not a leaf category."]
    assert items[("D", "FAIL")] == ["Shipment template 'Yok' not found."]
    assert items[("A", "FAIL")] == ["stockCode A already exists."]
    assert items[("E", "FAIL")] == ["vatRate must be one of 0, 1, 10, 20."]
    assert set(sandbox.products()) == {"A"}
    assert sandbox.price("A") == (Decimal("199.90"), Decimal("249.90"))


@pytest.mark.parametrize(("list_price", "sale_price", "reason"), [
    ("@249.9", "@199.90", "B: listPrice must be a number with exactly two decimals and a dot (e.g. 249.90)."),
    (250, "@199.90", "B: listPrice must be a number with exactly two decimals and a dot (e.g. 249.90)."),
    ("249,90", "@199.90", "B: listPrice must be a number with exactly two decimals and a dot (e.g. 249.90)."),
    ("@149.90", "@199.90", "B: listPrice must be greater than or equal to salePrice."),
    ("@0.00", "@0.00", "B: listPrice must be greater than zero."),
])  # fmt: skip
def test_a_price_rule_broken_by_one_sku_rejects_the_whole_task(client: httpx.Client, sandbox: N11Sandbox,
                                                              list_price: Any, sale_price: Any, reason: str):  # fmt: skip
    answer = task(client, "product-create", [sku("A"), sku("B", listPrice=list_price, salePrice=sale_price)])

    assert answer["status"] == "REJECT" and reason in answer["reasons"]
    assert details(client, answer["id"])["status"] == "REJECT"
    assert sandbox.products() == {}


def test_task_level_rules_integrator_and_at_most_1000_skus(client: httpx.Client):
    assert task(client, "product-create", [sku("A")], integrator="")["reasons"] == ["integrator is required."]
    too_many = task(client, "price-stock-update", [{"stockCode": f"S{i}", "quantity": 1} for i in range(1001)])
    assert too_many["status"] == "REJECT" and too_many["reasons"] == ["At most 1000 skus can be sent in one task."]
    bad = client.post("/ms/product/tasks/product-create", json={"skus": []})
    assert bad.status_code == 400 and "payload" in bad.json()["message"]


def test_price_stock_update_needs_both_prices_or_none_and_known_stock_codes(client: httpx.Client,
                                                                            sandbox: N11Sandbox):  # fmt: skip
    task(client, "product-create", [sku("A")])
    single = task(client, "price-stock-update", [{"stockCode": "A", "salePrice": "@150.00", "currencyType": "TL"}])
    assert single["status"] == "REJECT" and single["reasons"] == ["A: listPrice and salePrice must be sent together."]

    answer = task(client, "price-stock-update", [
        {"stockCode": "A", "quantity": 4, "listPrice": "@249.90", "salePrice": "@149.90", "currencyType": "TL"},
        {"stockCode": "ZZ", "quantity": 1}, {"stockCode": "A", "quantity": 3, "currencyType": "TRY"}])  # fmt: skip
    assert answer["type"] == "SKU_UPDATE"
    content = details(client, answer["id"])["skus"]["content"]
    assert [(i["itemCode"], i["status"]) for i in content] == [("A", "SUCCESS"), ("ZZ", "FAIL"), ("A", "FAIL")]
    assert content[1]["reasons"] == ["Product with stockCode ZZ not found."]
    assert content[2]["reasons"] == ["currencyType must be one of TL, USD, EUR."]
    assert sandbox.stock("A") == 4 and sandbox.price("A") == (Decimal("149.90"), Decimal("249.90"))


def test_tasks_wait_for_the_batch_delay_and_details_are_paged(sandbox: N11Sandbox, client: httpx.Client):
    sandbox.batch_delay = 60
    answer = task(client, "product-create", [sku(f"P{i}") for i in range(5)])
    queued = details(client, answer["id"])
    assert queued["status"] == "IN_QUEUE" and queued["skus"]["content"] == []

    sandbox.advance_clock(61)
    pages = [details(client, answer["id"], page, 2) for page in range(3)]
    assert [len(p["skus"]["content"]) for p in pages] == [2, 2, 1]
    assert pages[0]["skus"]["totalPages"] == 3 and pages[0]["skus"]["totalElements"] == 5
    assert [i["itemCode"] for p in pages for i in p["skus"]["content"]] == [f"P{i}" for i in range(5)]
    too_big = client.post("/ms/product/task-details/page-query", json={"taskId": answer["id"],
                                                                       "pageable": {"page": 0, "size": 1001}})
    assert too_big.status_code == 400
    assert client.post("/ms/product/task-details/page-query",
                       json={"taskId": 1, "pageable": {"page": 0, "size": 1}}).status_code == 404


def test_rejected_items_fail_in_create_and_stock_updates_with_the_given_message(client: httpx.Client,
                                                                               sandbox: N11Sandbox):  # fmt: skip
    task(client, "product-create", [sku("A")])
    assert client.post(f"{sandbox.control_url}/reject", json={"keys": ["A", "B"], "message": "Yasaklı ürün"}
                       ).status_code == 200  # fmt: skip
    created = details(client, task(client, "product-create", [sku("B"), sku("C")])["id"])["skus"]["content"]
    updated = details(client, task(client, "price-stock-update", [{"stockCode": "A", "quantity": 1}])["id"])
    assert [(i["itemCode"], i["reasons"]) for i in created] == [("B", ["Yasaklı ürün"]), ("C", [])]
    assert updated["skus"]["content"][0]["reasons"] == ["Yasaklı ürün"]


def test_packages_need_one_status_a_window_of_at_most_a_month_and_page_from_zero(sandbox: N11Sandbox,
                                                                                client: httpx.Client):  # fmt: skip
    now = int(sandbox.now() * 1000)
    ids = sandbox.add_packages(5, ["A"], interval=1)
    window = {"startDate": now - DAY_MS, "endDate": now + DAY_MS}

    def get(**params: Any) -> httpx.Response:
        return client.get("/rest/delivery/v1/shipmentPackages", params=params)

    assert get(**window).json()["message"] == "status is required."
    assert get(status="Created,Picking", **window).json()["message"] == "Only one status can be queried per call."
    assert get(status="Created", startDate=now - 32 * DAY_MS, endDate=now).status_code == 400
    assert get(status="Created", startDate=1_700_000_000_000, endDate=1_700_000_100_000).status_code == 400
    assert get(status="Created", size=101, **window).status_code == 400
    first = get(status="Created", page=0, size=2, orderByDirection="ASC", **window).json()
    last = get(status="Created", page=2, size=2, orderByDirection="ASC", **window).json()
    assert [p["id"] for p in first["content"]] == ids[:2] and [p["id"] for p in last["content"]] == ids[4:]
    assert (first["totalPages"], first["totalElements"]) == (3, 5)
    newest = get(status="Created", page=0, size=1, **window).json()["content"][0]
    assert newest["id"] == ids[-1]  # default order: last update, newest first
    assert get(status="Picking", **window).json()["content"] == []
    assert get(packageIds=str(ids[1])).json()["content"][0]["id"] == ids[1]
    package = newest
    assert package["shipmentPackageStatus"] == "Created" and package["lines"][0]["stockCode"] == "A"


def test_the_seller_moves_created_lines_to_picking_only(sandbox: N11Sandbox, client: httpx.Client):
    [package_id] = sandbox.add_packages(1, ["A", "B"], lines_per_package=2)
    lines = [line["orderLineId"] for line in sandbox.package(package_id)["lines"]]

    first = client.put("/rest/order/v1/update", json={"lines": [{"lineId": lines[0]}], "status": "Picking"})
    assert first.json()["content"] == [{"lineId": lines[0], "status": "SUCCESS", "reasons": []}]
    assert sandbox.package(package_id)["shipmentPackageStatus"] == "Created"  # one line still Created
    both = client.put("/rest/order/v1/update", json={"lines": [{"lineId": n} for n in lines], "status": "Picking"})
    assert [r["status"] for r in both.json()["content"]] == ["FAIL", "SUCCESS"]
    assert "only Created lines can move to Picking" in both.json()["content"][0]["reasons"][0]
    package = sandbox.package(package_id)
    assert package["shipmentPackageStatus"] == "Picking"
    assert [h["status"] for h in package["packageHistories"]] == ["Created", "Picking"]
    assert client.put("/rest/order/v1/update", json={"lines": [{"lineId": lines[0]}], "status": "Shipped"}
                      ).status_code == 400  # fmt: skip
    unknown = client.put("/rest/order/v1/update", json={"lines": [{"lineId": 1}], "status": "Picking"})
    assert unknown.json()["content"][0]["reasons"] == ["Order line 1 not found."]


def test_package_list_rate_limit_answers_429_with_retry_after(client: httpx.Client, sandbox: N11Sandbox):
    sandbox.order_requests_per_minute = 3
    params = {"packageIds": "1"}
    statuses = [client.get("/rest/delivery/v1/shipmentPackages", params=params).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/rest/delivery/v1/shipmentPackages", params=params)
    assert int(limited.headers["Retry-After"]) >= 1 and limited.json()["status"] == 429
    sandbox.advance_clock(60)
    assert client.get("/rest/delivery/v1/shipmentPackages", params=params).status_code == 200


def test_injected_faults_use_n11s_error_shape_and_control_endpoints_drive_orders(sandbox: N11Sandbox,
                                                                                client: httpx.Client):  # fmt: skip
    sandbox.set_faults(rate_limit_rate=1.0, retry_after=7)
    throttled = client.get("/cdn/categories")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
    assert throttled.json()["error"] == "Too Many Requests"
    sandbox.set_faults(rate_limit_rate=0.0)

    ids = client.post(f"{sandbox.control_url}/orders", json={"count": 2, "stockCodes": ["X"]}).json()["ids"]
    moved = client.post(f"{sandbox.control_url}/packages/{ids[0]}/status", json={"status": "Shipped"}).json()
    assert moved["shipmentPackageStatus"] == "Shipped" and moved["lines"][0]["orderItemLineItemStatusName"] == "Shipped"
    state = client.get(f"{sandbox.control_url}/state").json()
    assert state["packages"] == 2 and state["products"] == 0
    assert client.post(f"{sandbox.control_url}/reset").status_code == 200 and sandbox.packages() == []


def test_the_demo_sandbox_and_its_category_mappings_list_a_product_in_each_demo_category(settings: Any):
    from marketplaces.adapters.base import AccountConfig, ListingItem
    from marketplaces.adapters.n11 import N11Adapter
    from marketplaces.sandbox.n11 import DEMO

    settings.MARKETPLACE_RATE_LIMIT = ""
    sb = N11Sandbox.from_options(host="127.0.0.1", port=0, seed=1, fail_rate=0.0, rate_limit_rate=None,
                                 error_rate=None, drop_rate=None, delay=0.0, slow_rate=1.0, batch_delay=0.0,
                                 orders=3).start()  # fmt: skip
    try:
        lines = dict(sb.connection_lines())
        assert sb.base_url == sb.root_url + DEMO["base_path"] and lines["app_key"] == DEMO["credentials"]["app_key"]
        assert "shipment_template=Standart Kargo" in lines["options"]
        assert len(sb.packages()) == 3
        config = AccountConfig("n11", "demo", "", "", base_url=sb.base_url, credentials=DEMO["credentials"],
                               options=DEMO["settings"]["adapter_options"])  # fmt: skip
        with N11Adapter(config) as adapter:
            items = [ListingItem(barcode=f"DEMO-{n}", sku=f"DEMO-{n}", title=name, group_code=name, quantity=1,
                                 brand_id=DEMO["settings"]["default_brand_id"], category_id=int(category_id),
                                 list_price=Decimal("10.00"), sale_price=Decimal("9.90"),
                                 attributes=adapter.mapping_attributes(values))
                     for n, (name, (category_id, _label, values)) in enumerate(DEMO["category_mappings"].items())]  # fmt: skip
            [handle] = adapter.push_listings(items)
            result = adapter.poll_batch(handle)
        assert DEMO["port"] == 8102 and set(DEMO["category_mappings"]) == {"Tişört", "Gömlek", "Telefon Kılıfı", "Kupa"}
        assert [(i.status, i.errors) for i in result.items] == [("success", [])] * 4
    finally:
        sb.stop()
