"""§1.6: generated order packages, listing with dates/status/paging, the stream, both field spellings,
and the seller's status updates (Picking, Invoiced)."""

import httpx
import pytest

from marketplaces.sandbox.trendyol import TrendyolSandbox

from .conftest import KEY, SECRET, SELLER, create_products, seller_client, valid_item

ORDERS = f"/order/sellers/{SELLER}/orders"


def _package_path(package_id: int) -> str:
    return f"/order/sellers/{SELLER}/shipment-packages/{package_id}"


def _all_lines(package: dict) -> list[dict]:
    return [{"lineId": line["lineId"], "quantity": line["quantity"]} for line in package["lines"]]


def test_generated_packages_use_the_sellers_products_and_carry_both_spellings(sandbox: TrendyolSandbox,
                                                                              client: httpx.Client):
    create_products(client, [valid_item("A1"), valid_item("A2")])
    ids = sandbox.add_packages(3, barcodes=["A1", "A2"])

    content = client.get(ORDERS, params={"orderByDirection": "ASC"}).json()["content"]

    assert [p["shipmentPackageId"] for p in content] == ids
    package, line = content[0], content[0]["lines"][0]
    assert package["id"] == package["shipmentPackageId"]
    assert package["merchantId"] == package["sellerId"] == int(SELLER)
    assert package["grossAmount"] == package["packageGrossAmount"]
    assert package["totalPrice"] == package["packageTotalPrice"] == round(
        package["packageGrossAmount"] - package["packageSellerDiscount"] - package["packageTyDiscount"], 2)
    assert package["status"] == package["shipmentPackageStatus"] == "Created"
    assert package["orderDate"] - package["createdDate"] == 3 * 3600 * 1000
    assert line["barcode"] in ("A1", "A2")
    assert line["id"] == line["lineId"]
    assert line["merchantSku"] == line["stockCode"] == f"SKU-{line['barcode']}"
    assert line["price"] == line["lineUnitPrice"] == 199.9
    assert line["amount"] == line["lineGrossAmount"] == round(199.9 * line["quantity"], 2)
    assert line["productCode"] == line["contentId"]
    assert "cancelReason" in package and "lineTotalDiscount" in line


@pytest.mark.parametrize(("names", "present", "absent"), [
    ("old", ("id", "totalPrice", "merchantId"), ("shipmentPackageId", "packageTotalPrice", "cancelReason")),
    ("new", ("shipmentPackageId", "packageTotalPrice", "cancelReason"), ("id", "totalPrice", "merchantId")),
])
def test_old_or_new_field_names_only(names: str, present: tuple, absent: tuple):
    sandbox = TrendyolSandbox(seller_id=SELLER, api_key=KEY, api_secret=SECRET, field_names=names, orders=1).start()
    try:
        with seller_client(sandbox) as client:
            package = client.get(ORDERS).json()["content"][0]
    finally:
        sandbox.stop()

    assert all(name in package for name in present)
    assert not any(name in package for name in absent)


def test_paging_date_window_status_and_order(sandbox: TrendyolSandbox, client: httpx.Client):
    t0 = sandbox.now() - 3600
    ids = sandbox.add_packages(5, created_at=t0, interval=60)
    sandbox.set_package_status(ids[4], "Cancelled")  # modified now, well after the others

    start, end = int(t0 * 1000) + 60_000, int(t0 * 1000) + 180_000
    window = client.get(ORDERS, params={"startDate": start, "endDate": end, "orderByDirection": "ASC"}).json()
    page1 = client.get(ORDERS, params={"size": 2, "page": 1, "orderByField": "CreatedDate",
                                       "orderByDirection": "ASC"}).json()
    newest_first = client.get(ORDERS, params={"orderByField": "CreatedDate"}).json()
    cancelled = client.get(ORDERS, params={"status": "Cancelled"}).json()
    by_number = client.get(ORDERS, params={"orderNumber": window["content"][0]["orderNumber"]}).json()
    by_ids = client.get(ORDERS, params={"shipmentPackageIds": f"{ids[0]},{ids[2]}"}).json()
    v2 = client.get(f"/order/sellers/{SELLER}/v2/orders", params={"size": 1}).json()

    assert [p["shipmentPackageId"] for p in window["content"]] == ids[1:4]
    assert (window["totalElements"], window["totalPages"]) == (3, 1)
    assert [p["shipmentPackageId"] for p in page1["content"]] == ids[2:4]
    assert (page1["page"], page1["size"], page1["totalElements"], page1["totalPages"]) == (1, 2, 5, 3)
    assert [p["shipmentPackageId"] for p in newest_first["content"]] == ids[::-1]
    assert [p["shipmentPackageId"] for p in cancelled["content"]] == [ids[4]]
    assert cancelled["content"][0]["cancelledBy"] == "customer"
    assert [p["shipmentPackageId"] for p in by_number["content"]] == [ids[1]]
    assert sorted(p["shipmentPackageId"] for p in by_ids["content"]) == [ids[0], ids[2]]
    assert (v2["totalElements"], len(v2["content"])) == (5, 1)


def test_bad_listing_parameters_are_400(client: httpx.Client):
    for params in ({"size": 201}, {"page": 50, "size": 200}, {"status": "Lost"}, {"orderByField": "Price"},
                   {"startDate": 2_000, "endDate": 1_000}, {"page": "x"}, {"orderByDirection": "UP"}):
        assert client.get(ORDERS, params=params).status_code == 400, params
    assert client.get(ORDERS, params={"page": 49, "size": 200}).status_code == 200


def test_old_packages_fall_outside_the_three_month_lookback(sandbox: TrendyolSandbox, client: httpx.Client):
    sandbox.add_packages(1, created_at=sandbox.now() - 91 * 86400)
    recent = sandbox.add_packages(1)

    content = client.get(ORDERS, params={"startDate": 0}).json()["content"]

    assert [p["shipmentPackageId"] for p in content] == recent


def test_stream_walks_every_package_once_with_a_cursor(sandbox: TrendyolSandbox, client: httpx.Client):
    t0 = sandbox.now() - 600
    ids = sandbox.add_packages(5, created_at=t0, interval=1)
    params = {"lastModifiedStartDate": int(t0 * 1000) - 1, "lastModifiedEndDate": int(sandbox.now() * 1000), "size": 2}

    seen, pages, cursor = [], 0, None
    while True:
        body = client.get(f"{ORDERS}/stream", params={**params, **({"nextCursor": cursor} if cursor else {})}).json()
        seen += [p["shipmentPackageId"] for p in body["content"]]
        pages += 1
        if not body["hasMore"]:
            assert body["nextCursor"] is None
            break
        cursor = body["nextCursor"]

    assert (seen, pages) == (ids, 3)
    too_wide = {**params, "lastModifiedStartDate": params["lastModifiedEndDate"] - 15 * 86400 * 1000}
    assert client.get(f"{ORDERS}/stream", params=too_wide).status_code == 400
    assert client.get(f"{ORDERS}/stream", params={"size": 2}).status_code == 400


def test_the_seller_moves_a_package_to_picking_then_invoiced(sandbox: TrendyolSandbox, client: httpx.Client):
    [package_id] = sandbox.add_packages(1)
    package = sandbox.package(package_id)

    picking = client.put(_package_path(package_id), json={"lines": _all_lines(package), "params": {},
                                                          "status": "Picking"})
    after_picking = sandbox.package(package_id)
    invoiced = client.put(_package_path(package_id), json={"lines": _all_lines(package),
                                                           "params": {"invoiceNumber": "MES2026000001"},
                                                           "status": "Invoiced"})

    assert (picking.status_code, picking.content) == (200, b"")
    assert after_picking["status"] == "Picking"
    assert after_picking["lastModifiedDate"] > package["lastModifiedDate"]
    assert invoiced.status_code == 200
    final = sandbox.package(package_id)
    assert (final["status"], final["invoiceNumber"]) == ("Invoiced", "MES2026000001")
    assert [h["status"] for h in final["packageHistories"]] == ["Created", "Picking", "Invoiced"]
    assert {line["orderLineItemStatusName"] for line in final["lines"]} == {"Invoiced"}
    listed = client.get(ORDERS, params={"status": "Invoiced"}).json()["content"]
    assert [p["shipmentPackageId"] for p in listed] == [package_id]


def test_invalid_status_updates_are_refused_and_change_nothing(sandbox: TrendyolSandbox, client: httpx.Client):
    [package_id] = sandbox.add_packages(1, barcodes=["A1", "A2", "A3"], max_lines=3)
    package = sandbox.package(package_id)
    lines = _all_lines(package)
    short = [{**lines[0], "quantity": lines[0]["quantity"] + 1}, *lines[1:]]

    attempts = [
        ({"lines": lines, "params": {}, "status": "Shipped"}, "invalid.status"),
        ({"lines": lines, "params": {"invoiceNumber": "X1"}, "status": "Invoiced"}, "invalid.status.transition"),
        ({"lines": short, "params": {}, "status": "Picking"}, "invalid.lines"),
        ({"lines": lines[:-1] if len(lines) > 1 else [], "params": {}, "status": "Picking"}, "invalid.lines"),
        ({"params": {}, "status": "Picking"}, "invalid.lines"),
    ]
    for body, key in attempts:
        response = client.put(_package_path(package_id), json=body)
        assert response.status_code == 400, body
        assert response.json()["errors"][0]["key"] == key
    assert client.put(_package_path(999), json={"lines": lines, "status": "Picking"}).status_code == 404
    assert sandbox.package(package_id) == package

    client.put(_package_path(package_id), json={"lines": lines, "params": {}, "status": "Picking"})
    no_invoice = client.put(_package_path(package_id), json={"lines": lines, "params": {}, "status": "Invoiced"})
    again = client.put(_package_path(package_id), json={"lines": lines, "params": {}, "status": "Picking"})
    assert no_invoice.json()["errors"][0]["key"] == "invoice.number.required"
    assert again.json()["errors"][0]["key"] == "invalid.status.transition"
    assert sandbox.package(package_id)["status"] == "Picking"

    sandbox.set_package_status(package_id, "Shipped")
    late = client.put(_package_path(package_id), json={"lines": lines, "params": {"invoiceNumber": "X"},
                                                       "status": "Invoiced"})
    assert late.status_code == 400
    assert sandbox.package(package_id)["status"] == "Shipped"


def test_control_endpoint_generates_orders_and_moves_packages(sandbox: TrendyolSandbox, client: httpx.Client):
    created = httpx.post(sandbox.control_url + "/orders", json={"count": 4, "barcodes": ["Z1"]})
    ids = created.json()["shipmentPackageIds"]
    shipped = httpx.post(sandbox.control_url + f"/packages/{ids[0]}/status", json={"status": "Shipped"})
    state = httpx.get(sandbox.control_url + "/state").json()

    assert created.status_code == 201
    assert len(ids) == 4
    assert shipped.json()["status"] == "Shipped"
    assert {line["barcode"] for p in sandbox.packages() for line in p["lines"]} == {"Z1"}
    assert state["sellers"][SELLER]["packages"] == 4
    assert sandbox.request_count == 0  # control calls are not API requests
    bad = httpx.post(sandbox.control_url + f"/packages/{ids[0]}/status", json={"status": "Lost"})
    assert bad.status_code == 400
