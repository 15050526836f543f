"""The Amazon SP-API sandbox over plain HTTP: LWA, access tokens, token buckets, presigned
documents, listings rules, feeds and orders as the protocol notes (§4) describe them."""

import gzip
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from marketplaces.sandbox.amazon import DEMO, AmazonSandbox

SELLER = DEMO["credentials"]["seller_id"]
TR = "A33AVAJ2PDY3EV"
ITEMS = f"/listings/2021-08-01/items/{SELLER}"


@pytest.fixture
def sandbox() -> Iterator[AmazonSandbox]:
    sandbox = AmazonSandbox(rate_scale=1000).start()
    yield sandbox
    sandbox.stop()


def lwa(sandbox: AmazonSandbox, **changes: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": DEMO["credentials"]["refresh_token"],
            "client_id": DEMO["credentials"]["client_id"], "client_secret": DEMO["credentials"]["client_secret"],
            **changes}  # fmt: skip
    return httpx.post(f"{sandbox.root_url}/auth/o2/token", data=form)


class Api:
    def __init__(self, sandbox: AmazonSandbox) -> None:
        self.sandbox = sandbox
        self.token = lwa(sandbox).json()["access_token"]

    def __call__(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"x-amz-access-token": self.token, **kwargs.pop("headers", {})}
        return httpx.request(method, self.sandbox.root_url + path, headers=headers, **kwargs)


@pytest.fixture
def api(sandbox: AmazonSandbox) -> Api:
    return Api(sandbox)


def shirt_body(**attributes: Any) -> dict[str, Any]:
    base = {
        "item_name": [{"value": "Tişört", "language_tag": "tr_TR", "marketplace_id": TR}],
        "brand": [{"value": "Acme", "language_tag": "tr_TR", "marketplace_id": TR}],
        "condition_type": [{"value": "new_new", "marketplace_id": TR}],
        "color": [{"value": "Siyah", "language_tag": "tr_TR", "marketplace_id": TR}],
        "size": [{"value": "M", "language_tag": "tr_TR", "marketplace_id": TR}],
        "supplier_declared_has_product_identifier_exemption": [{"value": True, "marketplace_id": TR}],
        "fulfillment_availability": [{"fulfillment_channel_code": "DEFAULT", "quantity": 4}],
        "purchasable_offer": [{"marketplace_id": TR, "currency": "TRY",
                               "our_price": [{"schedule": [{"value_with_tax": 199.9}]}]}],
    }  # fmt: skip
    base.update(attributes)
    return {"productType": "SHIRT", "requirements": "LISTING", "attributes": {k: v for k, v in base.items() if v}}


def test_lwa_exchanges_only_the_right_credentials(sandbox):
    good = lwa(sandbox)
    assert good.status_code == 200
    assert good.json()["access_token"].startswith("Atza|") and good.json()["expires_in"] == 3600
    assert lwa(sandbox, client_secret="nope").json() == {"error": "invalid_client",
                                                          "error_description": "Client authentication failed"}
    assert lwa(sandbox, client_secret="nope").status_code == 401
    bad_grant = lwa(sandbox, refresh_token="Atzr|other")
    assert bad_grant.status_code == 400 and bad_grant.json()["error"] == "invalid_grant"
    assert lwa(sandbox, grant_type="client_credentials").json()["error"] == "unsupported_grant_type"
    assert lwa(sandbox, client_id="amzn1.ğüş").status_code == 401
    as_json = httpx.post(f"{sandbox.root_url}/auth/o2/token", json={"grant_type": "refresh_token"})
    assert as_json.status_code == 400
    assert sandbox.token_exchanges == 1


def test_sp_api_calls_need_a_valid_unexpired_token(sandbox, api):
    path = "/sellers/v1/marketplaceParticipations"
    missing = httpx.get(sandbox.root_url + path)
    assert missing.status_code == 403 and missing.json()["errors"][0]["code"] == "Unauthorized"
    assert api("GET", path).json()["payload"][0]["marketplace"]["id"] == TR
    sandbox.advance_clock(3601)
    expired = api("GET", path)
    assert expired.status_code == 403 and "expired" in expired.json()["errors"][0]["details"]
    other_seller = Api(sandbox)("GET", "/listings/2021-08-01/items/A9OTHER/SKU-1", params={"marketplaceIds": TR})
    assert other_seller.status_code == 403


def test_each_operation_has_its_token_bucket(sandbox, api):
    sandbox.set_rate_limits(scale=1)
    params = {"MarketplaceIds": TR, "LastUpdatedAfter": "2026-01-01T00:00:00Z"}
    answers = [api("GET", "/orders/v0/orders", params=params) for _ in range(21)]

    assert [a.status_code for a in answers[:20]] == [200] * 20
    assert answers[20].status_code == 429 and answers[20].json()["errors"][0]["code"] == "QuotaExceeded"
    assert answers[0].headers["x-amzn-RateLimit-Limit"] == "0.0167"
    assert api("GET", "/orders/v0/orders/1/orderItems").status_code == 404  # another bucket, not empty
    sandbox.advance_clock(60)
    assert api("GET", "/orders/v0/orders", params=params).status_code == 200
    assert api("GET", "/orders/v0/orders", params=params).status_code == 429
    sandbox.set_rate_limits(enabled=False)
    assert all(api("GET", "/orders/v0/orders", params=params).status_code == 200 for _ in range(5))


def test_get_orders_parameter_rules_and_next_token_paging(sandbox, api):
    ids = sandbox.add_orders(5, ["SKU-1"])
    sandbox.add_orders(1, ["SKU-1"], channel="AFN")

    def get(**params: Any) -> httpx.Response:
        return api("GET", "/orders/v0/orders", params={"MarketplaceIds": TR, **params})

    assert api("GET", "/orders/v0/orders", params={"LastUpdatedAfter": "2026-01-01T00:00:00Z"}).status_code == 400
    assert get().status_code == 400
    assert get(CreatedAfter="2026-01-01T00:00:00Z", LastUpdatedAfter="2026-01-01T00:00:00Z").status_code == 400
    assert get(CreatedAfter="2026-01-01T00:00:00Z", LastUpdatedBefore="2026-02-01T00:00:00Z").status_code == 400
    assert get(LastUpdatedAfter="yesterday").status_code == 400
    assert get(LastUpdatedAfter="2026-01-01T00:00:00Z", MaxResultsPerPage=101).status_code == 400
    too_recent = get(LastUpdatedAfter="2026-01-01T00:00:00Z", LastUpdatedBefore="2099-01-01T00:00:00Z")
    assert too_recent.status_code == 400 and "before now" in too_recent.json()["errors"][0]["message"]

    first = get(LastUpdatedAfter="2026-01-01T00:00:00Z", MaxResultsPerPage=2, FulfillmentChannels="MFN").json()
    seen = [o["AmazonOrderId"] for o in first["payload"]["Orders"]]
    token = first["payload"]["NextToken"]
    assert "LastUpdatedBefore" in first["payload"]
    while token:
        page = get(NextToken=token).json()["payload"]
        seen += [o["AmazonOrderId"] for o in page["Orders"]]
        token = page.get("NextToken")
    assert sorted(seen) == sorted(ids)
    assert get(NextToken="forged").status_code == 400


def test_listing_rules_answer_invalid_with_amazons_issues(sandbox, api):
    params = {"marketplaceIds": TR}
    ok = api("PUT", f"{ITEMS}/TEE-1", params=params, json=shirt_body())
    assert ok.json()["status"] == "ACCEPTED" and ok.json()["issues"] == []

    no_size = api("PUT", f"{ITEMS}/TEE-2", params=params, json=shirt_body(size=None)).json()
    assert no_size["status"] == "INVALID"
    assert no_size["issues"][0] == {"code": "90220", "message": "'size' is required but not supplied.",
                                    "severity": "ERROR", "attributeNames": ["size"]}
    bad_ean = shirt_body(externally_assigned_product_identifier=[{"type": "ean", "value": "8690000000013"}])
    assert "not valid" in api("PUT", f"{ITEMS}/TEE-3", params=params, json=bad_ean).json()["issues"][0]["message"]
    euro = shirt_body(purchasable_offer=[{"marketplace_id": TR, "currency": "EUR",
                                          "our_price": [{"schedule": [{"value_with_tax": 10}]}]}])
    assert api("PUT", f"{ITEMS}/TEE-4", params=params, json=euro).json()["status"] == "INVALID"
    assert api("PUT", f"{ITEMS}/TEE-5", json=shirt_body()).status_code == 400  # no marketplaceIds
    assert api("PUT", f"{ITEMS}/TEE-6", params=params, json={"attributes": {}}).status_code == 400
    assert set(sandbox.listings()) == {"TEE-1"}

    patch = {"productType": "PRODUCT", "patches": [{"op": "replace", "path": "/attributes/fulfillment_availability",
                                                    "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 9}]}]}
    assert api("PATCH", f"{ITEMS}/TEE-1", params=params, json=patch).json()["status"] == "ACCEPTED"
    assert sandbox.stock("TEE-1") == 9
    assert api("PATCH", f"{ITEMS}/NOPE", params=params, json=patch).json()["issues"][0]["code"] == "NOT_FOUND"
    assert api("PATCH", f"{ITEMS}/TEE-1", params=params, json={"productType": "PRODUCT", "patches": [
        {"op": "swap", "path": "/attributes/x"}]}).status_code == 400  # fmt: skip
    sandbox.reject_items(["TEE-1"], "Marka onayı gerekli.")
    refused = api("PATCH", f"{ITEMS}/TEE-1", params=params, json=patch).json()
    assert refused["status"] == "INVALID" and refused["issues"][0]["message"] == "Marka onayı gerekli."
    assert api("GET", f"{ITEMS}/TEE-1", params=params).json()["summaries"][0]["productType"] == "SHIRT"


def test_feed_documents_are_presigned_expire_and_keep_their_content_type(sandbox, api):
    created = api("POST", "/feeds/2021-06-30/documents", json={"contentType": "application/json; charset=UTF-8"})
    assert created.status_code == 201
    url = created.json()["url"]
    wrong_type = httpx.put(url, content=b"{}", headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 403 and b"SignatureDoesNotMatch" in wrong_type.content
    forged = httpx.put(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"), content=b"{}",
                       headers={"Content-Type": "application/json; charset=UTF-8"})
    assert forged.status_code == 403
    sandbox.advance_clock(301)
    late = httpx.put(url, content=b"{}", headers={"Content-Type": "application/json; charset=UTF-8"})
    assert late.status_code == 403 and b"Request has expired" in late.content


def test_a_json_listings_feed_is_processed_into_a_gzip_report(sandbox, api):
    sandbox.batch_delay = 10
    messages = [{"messageId": 1, "sku": "FEED-1", "operationType": "UPDATE", "productType": "SHIRT",
                 "requirements": "LISTING", "attributes": shirt_body()["attributes"]},
                {"messageId": 2, "sku": "FEED-2", "operationType": "UPDATE", "productType": "SHIRT",
                 "attributes": shirt_body(color=None)["attributes"]},
                {"messageId": 3, "sku": "FEED-1", "operationType": "PATCH", "productType": "PRODUCT",
                 "patches": [{"op": "replace", "path": "/attributes/fulfillment_availability",
                              "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 11}]}]}]  # fmt: skip
    document = {"header": {"sellerId": SELLER, "version": "2.0"}, "messages": messages}
    created = api("POST", "/feeds/2021-06-30/documents", json={"contentType": "application/json"}).json()
    assert httpx.put(created["url"], content=json.dumps(document).encode(),
                     headers={"Content-Type": "application/json"}).status_code == 200
    assert api("POST", "/feeds/2021-06-30/feeds", json={"feedType": "POST_PRODUCT_DATA", "marketplaceIds": [TR],
               "inputFeedDocumentId": created["feedDocumentId"]}).status_code == 400  # fmt: skip
    feed_id = api("POST", "/feeds/2021-06-30/feeds", json={
        "feedType": "JSON_LISTINGS_FEED", "marketplaceIds": [TR],
        "inputFeedDocumentId": created["feedDocumentId"]}).json()["feedId"]  # fmt: skip

    assert api("GET", f"/feeds/2021-06-30/feeds/{feed_id}").json()["processingStatus"] == "IN_QUEUE"
    sandbox.advance_clock(10)
    feed = api("GET", f"/feeds/2021-06-30/feeds/{feed_id}").json()
    assert feed["processingStatus"] == "DONE"
    info = api("GET", f"/feeds/2021-06-30/documents/{feed['resultFeedDocumentId']}").json()
    assert info["compressionAlgorithm"] == "GZIP"
    report = json.loads(gzip.decompress(httpx.get(info["url"]).content))
    assert report["summary"] == {"errors": 1, "warnings": 0, "messagesProcessed": 3, "messagesAccepted": 2,
                                 "messagesInvalid": 1}  # fmt: skip
    assert report["issues"][0]["messageId"] == 2 and report["issues"][0]["sku"] == "FEED-2"
    assert sandbox.stock("FEED-1") == 11 and "FEED-2" not in sandbox.listings()


def test_json_listings_feeds_are_limited_to_five_per_five_minutes(sandbox, api):
    sandbox.set_rate_limits(scale=1)
    statuses = []
    for _ in range(6):
        created = api("POST", "/feeds/2021-06-30/documents", json={"contentType": "application/json"}).json()
        httpx.put(created["url"], content=b"{}", headers={"Content-Type": "application/json"})
        statuses.append(api("POST", "/feeds/2021-06-30/feeds", json={
            "feedType": "JSON_LISTINGS_FEED", "marketplaceIds": [TR],
            "inputFeedDocumentId": created["feedDocumentId"]}).status_code)  # fmt: skip
    assert statuses == [202] * 5 + [429]


def test_a_feed_for_another_seller_is_fatal(sandbox, api):
    created = api("POST", "/feeds/2021-06-30/documents", json={"contentType": "application/json"}).json()
    httpx.put(created["url"], content=json.dumps({"header": {"sellerId": "A9OTHER", "version": "2.0"},
                                                  "messages": []}).encode(),
              headers={"Content-Type": "application/json"})  # fmt: skip
    feed_id = api("POST", "/feeds/2021-06-30/feeds", json={"feedType": "JSON_LISTINGS_FEED", "marketplaceIds": [TR],
                  "inputFeedDocumentId": created["feedDocumentId"]}).json()["feedId"]  # fmt: skip
    assert api("GET", f"/feeds/2021-06-30/feeds/{feed_id}").json()["processingStatus"] == "FATAL"


def test_confirm_shipment_rules(sandbox, api):
    [order_id] = sandbox.add_orders(1, ["SKU-1"], quantity=2)
    items = api("GET", f"/orders/v0/orders/{order_id}/orderItems").json()["payload"]["OrderItems"]
    package = {"packageReferenceId": "1", "carrierCode": "Yurtiçi Kargo", "trackingNumber": "YK123",
               "shipDate": "2026-11-27T10:00:00Z", "orderItems": [{"orderItemId": items[0]["OrderItemId"],
                                                                   "quantity": 1}]}  # fmt: skip
    path = f"/orders/v0/orders/{order_id}/shipmentConfirmation"

    assert api("POST", path, json={"packageDetail": {**package, "trackingNumber": ""}, "marketplaceId": TR}
               ).status_code == 400  # fmt: skip
    assert api("POST", path, json={"packageDetail": {**package, "carrierCode": "Other"}, "marketplaceId": TR}
               ).status_code == 400  # carrierName needed  # fmt: skip
    assert api("POST", path, json={"packageDetail": package, "marketplaceId": "A1PA6795UKMFR9"}).status_code == 400
    assert api("POST", path, json={"packageDetail": package, "marketplaceId": TR}).status_code == 204
    assert sandbox.order(order_id)["OrderStatus"] == "PartiallyShipped"
    assert api("POST", path, json={"packageDetail": package, "marketplaceId": TR}).status_code == 204
    assert sandbox.order(order_id)["OrderStatus"] == "Shipped"
    assert api("POST", path, json={"packageDetail": package, "marketplaceId": TR}).status_code == 400
    sandbox.set_order_status([order_id], "Canceled")
    assert api("GET", f"/orders/v0/orders/{order_id}").json()["payload"]["OrderStatus"] == "Canceled"


def test_control_endpoints(sandbox):
    control = sandbox.control_url
    ids = httpx.post(f"{control}/orders", json={"count": 3, "skus": ["A"], "status": "Pending"}).json()["ids"]
    assert len(ids) == 3 and sandbox.order(ids[0])["OrderStatus"] == "Pending"
    httpx.post(f"{control}/orders/status", json={"ids": ids[:1], "status": "Unshipped"})
    assert sandbox.order(ids[0])["OrderStatus"] == "Unshipped"
    httpx.post(f"{control}/reject", json={"keys": ["A"], "message": "no"})
    assert httpx.post(f"{control}/rate_limits", json={"enabled": False}).json()["enabled"] is False
    state = httpx.get(f"{control}/state").json()
    assert (state["orders"], state["rejections"], state["rateLimits"]) == (3, 1, False)
    lines = dict(AmazonSandbox.from_options(orders=2).connection_lines())
    assert lines["seller_id"] == SELLER and lines["lwa_url"].endswith("/auth/o2/token")
    assert DEMO["port"] == 8103 and set(DEMO["category_mappings"]) == {"Tişört", "Gömlek", "Telefon Kılıfı", "Kupa"}
