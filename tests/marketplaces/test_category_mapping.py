"""Category mapping with search: an account's marketplace tree fetched from its sandbox over
HTTP, cached, searched in any case; a leaf's attributes; the admin form checks the required
attributes; the admin JSON views and the API answer only for the user's own accounts."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from catalog.services import taxonomy
from marketplaces import services
from marketplaces.models import CategoryMapping, MarketplaceAccount
from marketplaces.sandbox import sandbox_class, sandbox_module
from marketplaces.sandbox.hepsiburada import MERCHANT_ID, SERVICE_KEY, USER_AGENT, HepsiburadaSandbox
from marketplaces.sandbox.ozon import OzonSandbox
from marketplaces.sandbox.trendyol import TrendyolSandbox
from marketplaces.services.categories import fold
from meschain.errors import ValidationFailed
from tests.marketplaces.sync_world import KEY, SECRET, SELLER, start_sandbox

pytestmark = pytest.mark.django_db

ADMIN = "/admin/marketplaces/categorymapping/"
SEARCH = ADMIN + "category-search/"
ATTRIBUTES = ADMIN + "category-attributes/"
HB_TSHIRT = "18021982"


@pytest.fixture
def fast_http(settings: Any) -> None:
    settings.MARKETPLACE_RATE_LIMIT = ""
    settings.MARKETPLACE_HTTP_MAX_ATTEMPTS = 1


@pytest.fixture
def hb_sandbox() -> Iterator[HepsiburadaSandbox]:
    sandbox = HepsiburadaSandbox(rate_limits=False).start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def trendyol_sandbox() -> Iterator[TrendyolSandbox]:
    sandbox = start_sandbox()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def ozon_sandbox() -> Iterator[OzonSandbox]:
    sandbox = OzonSandbox.from_options(rate_limits=False).start()
    yield sandbox
    sandbox.stop()


def hb_account(user: Any, sandbox: HepsiburadaSandbox, **settings: Any) -> MarketplaceAccount:
    return services.connect_account(
        tenant=user.tenant, marketplace="hepsiburada", name="Hepsiburada", base_url=sandbox.base_url,
        credentials={"merchant_id": MERCHANT_ID, "service_key": SERVICE_KEY, "user_agent": USER_AGENT},
        settings={"adapter_options": {"default_brand": "Acme"}, **settings}, actor=user,
    )  # fmt: skip


def trendyol_account(user: Any, sandbox: TrendyolSandbox) -> MarketplaceAccount:
    return services.connect_account(
        tenant=user.tenant, marketplace="trendyol", name="Trendyol", base_url=sandbox.base_url,
        credentials={"seller_id": SELLER, "api_key": KEY, "api_secret": SECRET}, actor=user,
    )  # fmt: skip


def ozon_account(user: Any, sandbox: OzonSandbox) -> MarketplaceAccount:
    return services.connect_account(
        tenant=user.tenant, marketplace="ozon", name="Ozon", base_url=sandbox.base_url,
        credentials={"client_id": sandbox.client_id, "api_key": sandbox.api_key}, actor=user,
    )  # fmt: skip


def tree_requests(sandbox: Any) -> int:
    return len([r for r in sandbox.requests if "categor" in r.path])


# --- the services -----------------------------------------------------------------------------


def test_folding_makes_turkish_and_russian_letters_match_in_any_case() -> None:
    assert fold("TİŞÖRT") == fold("tişört") == fold("TIŞÖRT") == fold("Tişört")
    assert fold("KILIF") == fold("Kılıf")
    assert fold("ФУТБОЛКА") == fold("футболка")


@pytest.mark.parametrize("query", ["tişört", "TİŞÖRT", "TIŞÖRT", "giyim tiş"])
def test_hepsiburada_leaves_are_found_by_a_word_in_any_case_with_their_path(
    owner: Any, hb_sandbox: HepsiburadaSandbox, fast_http: None, query: str
) -> None:
    account = hb_account(owner, hb_sandbox)
    results = services.search_categories(account, query)
    assert results[0] == {"id": HB_TSHIRT, "name": "Tişört", "path": "Moda › Giyim › Tişört"}
    # a parent ("Giyim") is never offered, only leaves
    assert all(leaf["id"] not in ("18021000", "18020000") for leaf in results)


def test_trendyol_and_ozon_trees_are_searched_the_same_way(
    owner: Any, trendyol_sandbox: TrendyolSandbox, ozon_sandbox: OzonSandbox, fast_http: None
) -> None:
    trendyol = trendyol_account(owner, trendyol_sandbox)
    assert [leaf["id"] for leaf in services.search_categories(trendyol, "T-SHIRT")][:1] == ["600"]
    assert "Telefon Kılıfı" in [leaf["name"] for leaf in services.search_categories(trendyol, "KILIF")]
    ozon = ozon_account(owner, ozon_sandbox)
    found = services.search_categories(ozon, "ФУТБОЛ")
    assert found[0] == {
        "id": "200000933:93244",
        "name": "Футболка",
        "path": "Одежда › Футболки и рубашки › Футболка",
    }


def test_the_tree_is_cached_per_account_until_refreshed(
    owner: Any, hb_sandbox: HepsiburadaSandbox, fast_http: None
) -> None:
    account = hb_account(owner, hb_sandbox)
    services.search_categories(account, "tişört")
    fetched = tree_requests(hb_sandbox)
    assert fetched >= 1
    assert services.search_categories(account, "KUPA")[0]["name"] == "Kupa"
    assert tree_requests(hb_sandbox) == fetched  # the second search asked the marketplace nothing
    services.search_categories(account, "kupa", refresh=True)
    assert tree_requests(hb_sandbox) == 2 * fetched


def test_a_leafs_attributes_flag_the_required_ones_and_list_the_allowed_values(
    owner: Any, hb_sandbox: HepsiburadaSandbox, fast_http: None
) -> None:
    account = hb_account(owner, hb_sandbox)
    attributes = {a["id"]: a for a in services.category_attributes(account, HB_TSHIRT)}
    colour = attributes["renk_variant_property"]
    assert (colour["name"], colour["required"], colour["needed"]) == ("Renk", True, True)
    assert [v["label"] for v in colour["values"]] == ["Siyah", "Beyaz", "Kırmızı", "Mavi"]
    assert colour["values"][0]["value"] == "Siyah"  # Hepsiburada takes the value's text
    assert attributes["00001CU5"]["needed"] is False  # optional
    assert attributes["Barcode"]["filled_by_sync"] and not attributes["Barcode"]["needed"]  # from the product
    assert attributes["Marka"]["filled_by_sync"]  # the account's default brand
    before = len(hb_sandbox.requests)
    services.category_attributes(account, HB_TSHIRT)
    assert len(hb_sandbox.requests) == before  # cached


def test_trendyol_attribute_values_are_kept_by_id(owner: Any, trendyol_sandbox: TrendyolSandbox,
                                                  fast_http: None) -> None:  # fmt: skip
    account = trendyol_account(owner, trendyol_sandbox)
    attributes = {a["id"]: a for a in services.category_attributes(account, "600")}
    assert attributes["47"]["needed"] and attributes["338"]["needed"]
    assert 686 in [v["value"] for v in attributes["47"]["values"]]


def test_a_mapping_missing_a_required_attribute_is_refused(
    owner: Any, hb_sandbox: HepsiburadaSandbox, fast_http: None
) -> None:
    account = hb_account(owner, hb_sandbox)
    with pytest.raises(ValidationFailed) as info:
        services.validate_mapping(account, HB_TSHIRT, {"renk_variant_property": "Siyah"})
    assert "Beden (beden_variant_property)" in str(info.value.details["attribute_values"])
    leaf = services.validate_mapping(
        account, HB_TSHIRT, {"renk_variant_property": "Siyah", "beden_variant_property": "M"}
    )
    assert leaf["name"] == "Tişört"


def test_a_marketplace_that_fails_is_a_clear_503(owner: Any, hb_sandbox: HepsiburadaSandbox,
                                                 fast_http: None) -> None:  # fmt: skip
    account = services.connect_account(
        tenant=owner.tenant, marketplace="hepsiburada", name="HB wrong key", base_url=hb_sandbox.base_url,
        credentials={"merchant_id": MERCHANT_ID, "service_key": "wrong", "user_agent": USER_AGENT}, actor=owner,
    )  # fmt: skip
    with pytest.raises(services.MarketplaceUnavailable) as info:
        services.search_categories(account, "tişört")
    assert info.value.status == 503
    assert "Hepsiburada did not give its categories" in str(info.value.message)
    assert "wrong" not in str(info.value.message)
    # without the tree nothing can be checked: the mapping is not refused for it
    assert services.validate_mapping(account, HB_TSHIRT, {}) is None


# --- the admin ----------------------------------------------------------------------------------


def _mapping_form(account: MarketplaceAccount, category: Any, **overrides: Any) -> dict[str, Any]:
    data = {"account": account.pk, "category": category.pk, "marketplace_category_id": HB_TSHIRT,
            "marketplace_category_name": "", "attribute_values": json.dumps(
                {"renk_variant_property": "Siyah", "beden_variant_property": "M"})}  # fmt: skip
    data.update(overrides)
    return data


def test_the_admin_search_view_finds_leaves_for_the_users_own_account(
    operator: Any, other_owner: Any, hb_sandbox: HepsiburadaSandbox, admin_client_for: Any, fast_http: None,
    django_assert_max_num_queries: Any,
) -> None:  # fmt: skip
    account = hb_account(operator, hb_sandbox)
    theirs = hb_account(other_owner, hb_sandbox)
    client = admin_client_for(operator)
    client.get(SEARCH, {"account": account.pk, "q": "x"})  # the session settles
    with django_assert_max_num_queries(8):
        response = client.get(SEARCH, {"account": account.pk, "q": "TİŞÖRT"})
    assert response.status_code == 200
    assert response.json()["results"][0]["path"] == "Moda › Giyim › Tişört"
    with django_assert_max_num_queries(8):
        attributes = client.get(ATTRIBUTES, {"account": account.pk, "category": HB_TSHIRT})
    assert attributes.status_code == 200
    needed = [a["id"] for a in attributes.json()["attributes"] if a["needed"]]
    assert needed == ["renk_variant_property", "beden_variant_property"]

    requests_before = len(hb_sandbox.requests)
    assert client.get(SEARCH, {"account": theirs.pk, "q": "tişört"}).status_code == 404
    assert client.get(ATTRIBUTES, {"account": theirs.pk, "category": HB_TSHIRT}).status_code == 404
    assert len(hb_sandbox.requests) == requests_before  # another tenant's account is never used
    for params in ({"account": account.pk, "q": ""}, {"account": "x1", "q": "tişört"},
                   {"account": account.pk, "q": "a" * 101}, {"account": account.pk, "q": "ti\x00"}):  # fmt: skip
        bad = client.get(SEARCH, params)
        assert bad.status_code == 400, params
        assert bad.json()["error"]["code"] == "VALIDATION_ERROR"
    assert (
        client.get(ATTRIBUTES, {"account": account.pk, "category": "18021000"}).status_code == 404
    )  # not a leaf
    assert client.get(ATTRIBUTES, {"account": account.pk, "category": "a/b"}).status_code == 400


def test_the_search_views_are_for_staff_who_may_map(
    owner: Any, viewer: Any, hb_sandbox: HepsiburadaSandbox, admin_client_for: Any
) -> None:
    account = hb_account(owner, hb_sandbox)
    response = Client().get(SEARCH, {"account": account.pk, "q": "tişört"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    response = admin_client_for(viewer).get(SEARCH, {"account": account.pk, "q": "tişört"})
    assert response.status_code == 403  # may look at mappings, not make them
    assert hb_sandbox.requests == []


def test_the_add_form_carries_the_search_and_saves_a_complete_mapping(
    operator: Any, hb_sandbox: HepsiburadaSandbox, admin_client_for: Any, fast_http: None
) -> None:
    account = hb_account(operator, hb_sandbox)
    category = taxonomy.save_category(operator.tenant_id, name="Tişört", actor=operator)
    client = admin_client_for(operator)
    page = client.get(ADMIN + "add/").content.decode()
    assert 'data-category-search="/admin/marketplaces/categorymapping/category-search/"' in page
    assert "marketplaces/category_mapping.js" in page
    response = client.post(ADMIN + "add/", _mapping_form(account, category))
    assert response.status_code == 302
    mapping = CategoryMapping.objects.get()
    assert (mapping.marketplace_category_id, mapping.marketplace_category_name) == (HB_TSHIRT, "Tişört")
    assert mapping.attribute_values == {"renk_variant_property": "Siyah", "beden_variant_property": "M"}
    assert mapping.tenant_id == operator.tenant_id


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"attribute_values": json.dumps({"renk_variant_property": "Siyah"})}, "attribute_values",
         "Beden (beden_variant_property)"),
        ({"attribute_values": json.dumps({"renk_variant_property": "Mor", "beden_variant_property": "M"})},
         "attribute_values", "does not allow Mor"),
        ({"marketplace_category_id": "18021000"}, "marketplace_category_id", "has no leaf category 18021000"),
        ({"attribute_values": "[1, 2]"}, "attribute_values", "Give a JSON object"),
    ],
)  # fmt: skip
def test_an_incomplete_mapping_is_a_form_error_and_nothing_is_saved(
    operator: Any, hb_sandbox: HepsiburadaSandbox, admin_client_for: Any, fast_http: None,
    overrides: dict, field: str, text: str,
) -> None:  # fmt: skip
    account = hb_account(operator, hb_sandbox)
    category = taxonomy.save_category(operator.tenant_id, name="Tişört", actor=operator)
    response = admin_client_for(operator).post(ADMIN + "add/", _mapping_form(account, category, **overrides))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert text in " ".join(errors.get(field, [])), errors
    assert not CategoryMapping.objects.exists()


def test_a_mapping_is_saved_unchecked_when_the_marketplace_cannot_be_asked(
    operator: Any, admin_client_for: Any, fast_http: None
) -> None:
    sandbox = HepsiburadaSandbox(rate_limits=False).start()
    account = hb_account(operator, sandbox)
    sandbox.stop()  # the marketplace is down: the operator can still map by id
    category = taxonomy.save_category(operator.tenant_id, name="Tişört", actor=operator)
    response = admin_client_for(operator).post(
        ADMIN + "add/", _mapping_form(account, category, marketplace_category_name="Tişört")
    )
    assert response.status_code == 302
    assert CategoryMapping.objects.get().marketplace_category_id == HB_TSHIRT


# --- the API --------------------------------------------------------------------------------------


def _api(pk: int, suffix: str = "") -> str:
    return f"/api/marketplaces/accounts/{pk}/categories{suffix}"


def test_the_api_searches_an_accounts_categories_and_lists_a_leafs_attributes(
    operator: Any, ozon_sandbox: OzonSandbox, client_for: Any, fast_http: None,
    django_assert_max_num_queries: Any,
) -> None:  # fmt: skip
    account = ozon_account(operator, ozon_sandbox)
    api = client_for(operator)
    with django_assert_max_num_queries(6):
        response = api.get(_api(account.pk), {"q": "футболка"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert data["results"][0]["id"] == "200000933:93244"
    with django_assert_max_num_queries(6):
        response = api.get(_api(account.pk, "/200000933:93244/attributes"))
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    needed = {a["id"] for a in data["attributes"] if a["needed"]}
    assert needed == {"85", "10096", "4295"}
    assert data["category"]["name"] == "Футболка"


def test_the_api_refuses_another_tenants_account_and_bad_input(
    operator: Any, other_owner: Any, ozon_sandbox: OzonSandbox, client_for: Any, fast_http: None
) -> None:
    mine = ozon_account(operator, ozon_sandbox)
    theirs = ozon_account(other_owner, ozon_sandbox)
    api = client_for(operator)
    for url in (_api(theirs.pk), _api(theirs.pk, "/200000933:93244/attributes")):
        response = api.get(url, {"q": "футболка"})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "NOT_FOUND"
    assert ozon_sandbox.requests == []
    for params in ({}, {"q": " "}, {"q": "x" * 101}, {"q": "футболка", "refresh": "maybe"}):
        response = api.get(_api(mine.pk), params)
        assert response.status_code == 400, params
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert api.get(_api(mine.pk, "/17027949/attributes")).status_code == 404  # a parent, not a leaf
    assert ozon_sandbox.requests_to(path_contains="attribute") == []


def test_the_api_says_when_the_marketplace_fails(operator: Any, client_for: Any, fast_http: None) -> None:
    sandbox = OzonSandbox.from_options(rate_limits=False).start()
    account = ozon_account(operator, sandbox)
    sandbox.stop()
    response = client_for(operator).get(_api(account.pk), {"q": "футболка"})
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "SERVICE_UNAVAILABLE"
    assert "Ozon did not give its categories" in error["message"]


# --- every marketplace -------------------------------------------------------------------------


def _demo(code: str) -> tuple[dict[str, Any], Any]:
    """What `seed_demo` connects for a marketplace, and its sandbox (not started)."""
    if code == "trendyol":
        credentials = sandbox_module(code).DEMO["credentials"]
        return sandbox_module(code).DEMO, TrendyolSandbox(
            seller_id=credentials["seller_id"], api_key=credentials["api_key"], api_secret=credentials["api_secret"])  # fmt: skip
    if code == "n11":
        credentials = sandbox_module(code).DEMO["credentials"]
        return sandbox_module(code).DEMO, sandbox_class(code)(
            app_key=credentials["app_key"], app_secret=credentials["app_secret"])  # fmt: skip
    return sandbox_module(code).DEMO, sandbox_class(code).from_options()


@pytest.mark.parametrize("code", ["trendyol", "hepsiburada", "n11", "amazon", "ozon"])
def test_the_demo_mappings_of_every_sandbox_pass_the_check(owner: Any, fast_http: None, code: str) -> None:
    """What `seed_demo` maps is what an operator could save in the form."""
    seeded, sandbox = _demo(code)
    sandbox.start()
    try:
        settings = json.loads(
            json.dumps(seeded.get("settings", {})).replace(f":{seeded['port']}/", f":{sandbox.port}/")
        )
        account = services.connect_account(
            tenant=owner.tenant, marketplace=code, name=code, credentials=seeded["credentials"], settings=settings,
            base_url=f"http://127.0.0.1:{sandbox.port}{seeded.get('base_path', '')}", actor=owner,
            seller_id=seeded.get("seller_id", ""),
        )  # fmt: skip
        for category_id, name, values in seeded["category_mappings"].values():
            leaf = services.validate_mapping(account, category_id, values)
            assert leaf is not None and leaf["id"] == str(category_id), (code, category_id)
            assert fold(name.split(" & ")[0]) in fold(leaf["path"])
            if any(a["needed"] for a in services.category_attributes(account, category_id)):
                with pytest.raises(ValidationFailed):
                    services.validate_mapping(account, category_id, {})
    finally:
        sandbox.stop()
