"""The Hepsiburada sandbox speaks the protocol of the notes (§2): auth shapes per host, path
casing, bare-array uploads with row failures inside a 200, Turkey-time order filters, paging
quirks, package transitions, rate limits and the control endpoints. Bad input gets a clear
4xx and changes nothing."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from marketplaces.sandbox.hepsiburada import DEMO, MERCHANT_ID, SERVICE_KEY, USER_AGENT, HepsiburadaSandbox
from tests.marketplaces.hb_world import running_sandbox, seller


@pytest.fixture
def sandbox() -> Iterator[HepsiburadaSandbox]:
    yield from running_sandbox()


LISTINGS = f"/listings/merchantid/{MERCHANT_ID}"
ORDERS = f"/orders/merchantid/{MERCHANT_ID}"
PACKAGES = f"/packages/merchantid/{MERCHANT_ID}"


def upload(client: httpx.Client, kind: str, rows: Any) -> dict[str, Any]:
    answer = client.post(f"{LISTINGS}/{kind}-uploads", json=rows)
    assert answer.status_code == 200, answer.text
    return client.get(f"{LISTINGS}/{kind}-uploads/id/{answer.json()['id']}").json()


# ---- auth and paths ------------------------------------------------------------------------------


@pytest.mark.parametrize("service, content_type, body", [
    ("listing", "text/plain", b"Missing Credentials!"), ("oms", "application/json", b""),
    ("catalog", "application/json", b'{"success": false, "code": 401, "message": "Unauthorized"}')])
def test_each_host_answers_401_in_its_own_shape(sandbox: HepsiburadaSandbox, service: str, content_type: str,
                                                body: bytes):  # fmt: skip
    path = {"listing": f"{LISTINGS}?offset=0&limit=1", "oms": f"{ORDERS}?offset=0&limit=1",
            "catalog": "/api/categories/get-all-categories"}[service]  # fmt: skip
    for headers, auth in ((({"User-Agent": f"{MERCHANT_ID} - SelfIntegration"}), (MERCHANT_ID, SERVICE_KEY)),
                          ({"User-Agent": USER_AGENT}, (MERCHANT_ID, "WrongKey1234")),
                          ({"User-Agent": USER_AGENT}, None)):  # fmt: skip
        with httpx.Client(base_url=sandbox.service_url(service), auth=auth, headers=headers) as client:
            answer = client.get(path)
        assert answer.status_code == 401
        assert answer.headers.get("Content-Type", "").startswith(content_type) or not answer.content
        assert answer.content == body


def test_the_merchant_segment_must_be_lowercase_and_the_sellers_own(sandbox: HepsiburadaSandbox):
    with seller(sandbox, "listing") as listing, seller(sandbox, "oms") as oms:
        assert listing.get(f"/listings/merchantId/{MERCHANT_ID}?offset=0&limit=1").status_code == 400
        assert oms.get(f"/orders/merchantId/{MERCHANT_ID}?offset=0&limit=1").status_code == 404
        assert listing.get("/listings/merchantid/someone-else?offset=0&limit=1").status_code == 403
        assert listing.get(f"{LISTINGS}?offset=0&limit=1").status_code == 200


# ---- listings and uploads ------------------------------------------------------------------------


def test_uploads_take_a_bare_array_and_keep_row_failures_inside_a_200(sandbox: HepsiburadaSandbox):
    sandbox.add_listing("A", price=10, stock=1)
    sandbox.add_listing("B", price=10, stock=1)
    with seller(sandbox, "listing") as client:
        result = upload(client, "inventory", [{"merchantSku": "A", "price": 12.5, "availableStock": 4},
                                              {"merchantSku": "B", "price": "12,50", "availableStock": -1},
                                              {"merchantSku": "NOPE", "price": 1}])  # fmt: skip
        assert client.post(f"{LISTINGS}/stock-uploads", json={"items": []}).status_code == 400
        assert client.post(f"{LISTINGS}/stock-uploads", json=[{"merchantSku": "A"}] * 4001).status_code == 400

    assert result["status"] == "Done" and result["total"] == 3
    errors = {e["elementNo"]: e["errors"] for e in result["errors"]}
    assert set(errors) == {2, 3} and any("two decimals" in m for m in errors[2])
    assert any("availableStock" in m for m in errors[2]) and errors[3] == ["Listing bulunamadı."]
    assert (sandbox.listings["A"]["price"], sandbox.listings["A"]["availableStock"]) == (12.5, 4)
    assert (sandbox.listings["B"]["price"], sandbox.listings["B"]["availableStock"]) == (10, 1)


def test_uploads_are_processed_later_and_a_sixth_in_flight_is_told_to_wait(sandbox: HepsiburadaSandbox):
    sandbox.batch_delay = 60
    sandbox.add_listing("A")
    with seller(sandbox, "listing") as client:
        ids = [client.post(f"{LISTINGS}/stock-uploads", json=[{"merchantSku": "A", "availableStock": i}]).json()
               for i in range(6)]  # fmt: skip
        assert all("id" in answer for answer in ids[:5]) and "id" not in ids[5] and "5" in ids[5]["message"]
        assert client.get(f"{LISTINGS}/stock-uploads/id/{ids[0]['id']}").json()["status"] == "Processing"
        sandbox.advance_clock(61)
        assert client.get(f"{LISTINGS}/stock-uploads/id/{ids[4]['id']}").json()["status"] == "Done"
        assert client.get(f"{LISTINGS}/price-uploads/id/{ids[4]['id']}").status_code == 404
    assert sandbox.listings["A"]["availableStock"] == 4


def test_listings_are_paged_and_filtered_by_at_most_50_skus(sandbox: HepsiburadaSandbox):
    for i in range(30):
        sandbox.add_listing(f"S{i:02d}", fulfilled=i == 3)
    with seller(sandbox, "listing") as client:
        page = client.get(LISTINGS, params={"offset": 20, "limit": 20}).json()
        some = client.get(LISTINGS, params={"offset": 0, "limit": 5, "merchantSkuList": "S03,S04,ZZ"}).json()
        too_many = client.get(LISTINGS, params={"offset": 0, "limit": 5,
                                                "merchantSkuList": ",".join(f"S{i}" for i in range(51))})
        no_limit = client.get(LISTINGS, params={"offset": 0})
    assert (page["totalCount"], len(page["listings"])) == (30, 10)
    assert [(x["merchantSku"], x["isFulfilledByHB"]) for x in some["listings"]] == [("S03", True), ("S04", False)]
    assert too_many.status_code == 400 and no_limit.status_code == 400


# ---- orders --------------------------------------------------------------------------------------


def test_order_filters_want_turkey_time_minutes_at_most_24_hours_apart(sandbox: HepsiburadaSandbox):
    sandbox.add_orders(2, ["A"])
    with seller(sandbox, "oms") as oms:
        def get(**query: Any) -> httpx.Response:
            return oms.get(ORDERS, params={"offset": 0, "limit": 100, **query})

        wide = get(begindate="2020-01-01 00:00", enddate="2030-01-01 00:00")
        iso = get(begindate="2026-01-01T00:00:00", enddate="2026-01-02T00:00:00")
        wrong = get(begindate="01.01.2026 10:00", enddate="01.01.2026 12:00")
        everything = get()
        no_limit = oms.get(ORDERS, params={"offset": 0})
    assert wide.status_code == 400 and wide.json()["code"] == "DateRangeTooLong"
    assert iso.status_code == 200 and iso.json()["items"] == []  # accepted, matches nothing
    assert wrong.status_code == 400 and wrong.json()["code"] == "WrongDateFormat"
    assert everything.json()["totalCount"] == 2 and no_limit.status_code == 400


def test_packages_page_with_a_capital_offset_and_feeds_refuse_dates(sandbox: HepsiburadaSandbox):
    for number in sandbox.add_orders(12, ["A"]):
        sandbox.hb_pack(number)
    with seller(sandbox, "oms") as oms:
        first = oms.get(PACKAGES, params={"Offset": 0, "limit": 10}).json()
        second = oms.get(PACKAGES, params={"Offset": 10, "limit": 10}).json()
        lowercase = oms.get(PACKAGES, params={"offset": 10, "limit": 10}).json()
        too_big = oms.get(PACKAGES, params={"Offset": 0, "limit": 11})
        dated = oms.get(f"{PACKAGES}/shipped", params={"offset": 0, "limit": 50, "begindate": "2026-01-01 00:00"})
    assert (len(first), len(second)) == (10, 2) and lowercase == first  # page one forever
    assert too_big.status_code == 400 and dated.json()["code"] == "WrongDateFormat"


def test_packing_rules_invoice_once_and_own_cargo_transitions(sandbox: HepsiburadaSandbox):
    [own, other] = sandbox.add_orders(2, ["A"], lines_per_order=2, cargo="own")
    own_lines, other_lines = sandbox.orders[own]["lineIds"], sandbox.orders[other]["lineIds"]
    with seller(sandbox, "oms") as oms:
        mixed = oms.post(PACKAGES, json={"lineItemRequests": [{"id": own_lines[0], "quantity": 1},
                                                              {"id": other_lines[0], "quantity": 1}]})
        wrong_quantity = oms.post(PACKAGES, json={"lineItemRequests": [{"id": own_lines[0], "quantity": 3}]})
        assert (mixed.status_code, wrong_quantity.status_code, len(sandbox.packages)) == (400, 400, 0)
        created = oms.post(PACKAGES, json={"lineItemRequests": [{"id": i, "quantity": 1} for i in own_lines]})
        number = created.json()["packageNumber"]
        again = oms.post(PACKAGES, json={"lineItemRequests": [{"id": own_lines[0], "quantity": 1}]})
        path = f"{PACKAGES}/packagenumber/{number}"
        deliver_early = oms.post(f"{path}/deliver", json={})
        invoice = oms.put(f"{path}/invoice", json={"invoiceLink": "https://f.example/1.pdf"})
        invoice_twice = oms.put(f"{path}/invoice", json={"invoiceLink": "https://f.example/2.pdf"})
        shipped = oms.post(f"{path}/intransit", json={"trackingNumber": "T1"})
        detail = oms.get(f"{ORDERS}/ordernumber/{own}").json()
    assert created.status_code == 201 and again.json()["code"] == "LineItemNotPackable"
    assert (deliver_early.status_code, invoice.status_code, invoice_twice.status_code) == (400, 200, 409)
    assert shipped.status_code == 200 and {i["status"] for i in detail["items"]} == {"InTransit"}
    assert sandbox.packages[number]["invoiceLink"] == "https://f.example/1.pdf"


# ---- catalog -------------------------------------------------------------------------------------


def test_the_catalog_import_wants_a_multipart_file(sandbox: HepsiburadaSandbox):
    with seller(sandbox, "catalog") as catalog:
        as_json = catalog.post("/api/products/import", json=[{"categoryId": 18021982}])
        not_json = catalog.post("/api/products/import", files={"file": ("x.json", b"{oops", "application/json")})
        unknown = catalog.get("/api/products/status/nope").json()
    assert as_json.status_code == 400 and not_json.status_code == 400
    assert (unknown["success"], unknown["code"]) == (False, 1005) and not sandbox.products


# ---- limits and control --------------------------------------------------------------------------


def test_real_time_limits_answer_429_on_listings_and_403_on_the_catalog():
    with HepsiburadaSandbox() as sb, seller(sb, "listing") as listing, seller(sb, "catalog") as catalog:
        sb.advance_clock(60 - sb.now() % 60 + 0.5)  # start just after a minute boundary: one window
        answers = [listing.get(LISTINGS, params={"offset": 0, "limit": 1}).status_code for _ in range(181)]
        assert answers[:180] == [200] * 180 and answers[180] == 429
        sb.limits["catalog"] = (3, 60.0)  # 100 a second in production: too fast to reach from a test
        sb.advance_clock(60 - sb.now() % 60 + 0.5)
        catalog_answers = [catalog.get("/api/categories/get-all-categories").status_code for _ in range(4)]
        assert catalog_answers == [200, 200, 200, 403]
        sb.advance_clock(61)
        assert listing.get(LISTINGS, params={"offset": 0, "limit": 1}).status_code == 200


def test_control_endpoints(sandbox: HepsiburadaSandbox):
    sandbox.add_listing("A")
    with httpx.Client(base_url=sandbox.control_url) as control:
        numbers = control.post("/orders", json={"count": 2, "skus": ["A"], "lines_per_order": 2}).json()["orderNumbers"]
        control.post("/reject", json={"keys": ["A"], "message": "Yasaklı ürün."})
        control.post("/fulfilled", json={"keys": ["A"]})
        package = control.post(f"/orders/{numbers[0]}/pack", json={}).json()["packageNumber"]
        control.post(f"/packages/{package}/status", json={"status": "InTransit"})
        control.post(f"/orders/{numbers[1]}/cancel", json={})
        state = control.get("/state").json()
    assert (sandbox.order_status(numbers[0]), sandbox.order_status(numbers[1])) == ("InTransit", "Cancelled")
    assert sandbox.rejections == {"A": "Yasaklı ürün."} and sandbox.listings["A"]["isFulfilledByHB"]
    assert (state["orders"], state["packages"]) == (2, 1)


def test_demo_wiring():
    sb = HepsiburadaSandbox.from_options(port=0, orders=3, batch_delay=0)
    assert len(sb.orders) == 3 and DEMO["port"] == 8101 and DEMO["base_path"] == "/listing"
    assert set(DEMO["category_mappings"]) == {"Tişört", "Gömlek", "Telefon Kılıfı", "Kupa"}
    assert dict(sb.connection_lines())["user_agent"] == USER_AGENT
