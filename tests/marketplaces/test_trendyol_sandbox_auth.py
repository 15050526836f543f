"""§1.1: User-Agent and Basic auth checks, and the error shape (§1.7)."""

import httpx

from marketplaces.sandbox.trendyol import TrendyolSandbox

from .conftest import KEY, SECRET, SELLER, valid_item

CATEGORIES = "/product/product-categories"


def test_a_good_seller_gets_the_category_tree(sandbox: TrendyolSandbox, client: httpx.Client):
    response = client.get(CATEGORIES)

    assert response.status_code == 200
    assert [c["name"] for c in response.json()["categories"]] == ["Giyim", "Elektronik", "Ev & Yaşam"]


def test_a_missing_or_malformed_user_agent_is_403(sandbox: TrendyolSandbox):
    for headers in ({}, {"User-Agent": ""}, {"User-Agent": "SelfIntegration"},
                    {"User-Agent": f"{SELLER} - Self Integration"}, {"User-Agent": f"{SELLER} - " + "X" * 31}):
        response = httpx.get(sandbox.base_url + CATEGORIES, auth=(KEY, SECRET), headers=headers)
        assert response.status_code == 403, headers
        assert response.json()["errors"][0]["key"] == "user.agent.required"


def test_an_integrator_name_other_than_selfintegration_is_accepted(sandbox: TrendyolSandbox):
    response = httpx.get(sandbox.base_url + CATEGORIES, auth=(KEY, SECRET),
                         headers={"User-Agent": f"{SELLER} - MesChain"})

    assert response.status_code == 200


def test_bad_credentials_are_401_with_the_trendyol_exception(sandbox: TrendyolSandbox):
    ua = {"User-Agent": f"{SELLER} - SelfIntegration"}
    for auth in ((KEY, "wrong"), ("wrong", SECRET), None):
        response = httpx.get(sandbox.base_url + CATEGORIES, auth=auth, headers=ua)
        assert response.status_code == 401
        body = response.json()
        assert body["exception"] == "ClientApiAuthenticationException"
        assert body["errors"][0]["key"] == "ClientApiAuthenticationException"
        assert isinstance(body["timestamp"], int)
    garbled = httpx.get(sandbox.base_url + CATEGORIES, headers={**ua, "Authorization": "Basic %%%"})
    assert garbled.status_code == 401


def test_another_sellers_resources_are_403_and_nothing_is_created(sandbox: TrendyolSandbox):
    sandbox.add_seller("200000", "other-key", "other-secret")
    other = httpx.Client(base_url=sandbox.base_url, auth=("other-key", "other-secret"),
                         headers={"User-Agent": "200000 - SelfIntegration"})

    response = other.post(f"/product/sellers/{SELLER}/v2/products", json={"items": [valid_item("A1")]})
    mismatched_ua = httpx.get(sandbox.base_url + CATEGORIES, auth=("other-key", "other-secret"),
                              headers={"User-Agent": f"{SELLER} - SelfIntegration"})

    assert response.status_code == 403
    assert response.json()["errors"][0]["key"] == "seller.mismatch"
    assert mismatched_ua.status_code == 403
    assert sandbox.products() == {}
    assert sandbox.products("200000") == {}


def test_unknown_paths_and_wrong_methods(sandbox: TrendyolSandbox, client: httpx.Client):
    assert client.get("/product/nothing-here").status_code == 404
    assert client.delete(CATEGORIES).status_code == 405
    assert httpx.get(sandbox.root_url + "/sapigw/suppliers/1/products").status_code == 404
    wrong_type = client.post(f"/product/sellers/{SELLER}/v2/products", content=b"items",
                             headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 415
    bad_json = client.post(f"/product/sellers/{SELLER}/v2/products", content=b"{items",
                           headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400
    assert bad_json.json()["exception"] == "BadRequestException"


def test_an_unknown_storefront_code_is_400(client: httpx.Client):
    unknown = client.get(CATEGORIES, headers={"storeFrontCode": "XX"})

    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["key"] == "invalid.storefrontcode"
    assert client.get(CATEGORIES, headers={"storeFrontCode": "DE"}).status_code == 200
