"""§1.2/§1.3: brands, the category tree, category attributes (v2 and v1) and attribute values."""

import httpx

from marketplaces.sandbox.trendyol import TrendyolSandbox


def test_brands_page_and_by_name(sandbox: TrendyolSandbox, client: httpx.Client):
    first = client.get("/product/brands", params={"page": 0, "size": 2}).json()
    found = client.get("/product/brands/by-name", params={"name": "koton"}).json()
    missing = client.get("/product/brands/by-name", params={"name": "Nope"}).json()

    assert first == {"brands": [{"id": 1791, "name": "Koton"}, {"id": 1792, "name": "LC Waikiki"}]}
    assert found == [{"id": 1791, "name": "Koton"}]
    assert missing == []
    assert client.get("/product/brands/by-name").status_code == 400


def test_category_tree_has_leaves_with_empty_subcategories(client: httpx.Client):
    tree = client.get("/product/product-categories").json()["categories"]
    clothing = tree[0]

    assert (clothing["id"], clothing["name"], clothing["parentId"]) == (403, "Giyim", None)
    tops = clothing["subCategories"][0]
    assert [(c["id"], c["name"], c["parentId"], c["subCategories"]) for c in tops["subCategories"]] == [
        (600, "T-Shirt", 411, []), (601, "Gömlek", 411, [])]


def test_category_attributes_v2_and_the_required_filter(client: httpx.Client):
    body = client.get("/product/categories/600/attributes").json()
    required = client.get("/product/categories/600/attributes", params={"required": "true"}).json()

    assert (body["id"], body["name"], body["displayName"]) == (600, "T-Shirt", "T-Shirt")
    assert body["categoryAttributes"][1] == {
        "categoryId": 600, "attribute": {"id": 338, "name": "Beden"}, "required": True, "allowCustom": False,
        "varianter": True, "slicer": False, "allowMultipleAttributeValues": False}
    assert all("attributeValues" not in a for a in body["categoryAttributes"])
    assert [a["attribute"]["name"] for a in required["categoryAttributes"]] == ["Renk", "Beden"]


def test_attribute_values_are_paged_and_v1_inlines_them(client: httpx.Client):
    values = client.get("/product/categories/600/attributes/338/values", params={"size": 4}).json()
    v1 = client.get("/product/product-categories/600/attributes").json()

    assert (values["totalElements"], values["totalPages"], values["page"], values["size"]) == (6, 2, 0, 4)
    assert values["content"][:2] == [{"attributeValueId": 4601, "attributeValueName": "XS"},
                                     {"attributeValueId": 4602, "attributeValueName": "S"}]
    assert v1["categoryAttributes"][0]["attributeValues"][0] == {"id": 686, "name": "Siyah"}


def test_unknown_or_non_leaf_categories_and_foreign_attributes(client: httpx.Client):
    assert client.get("/product/categories/999999/attributes").status_code == 404
    assert client.get("/product/categories/411/attributes").status_code == 400
    assert client.get("/product/categories/600/attributes/800/values").status_code == 404


def test_category_lookups_are_rate_limited_at_fifty_a_minute(sandbox: TrendyolSandbox, client: httpx.Client):
    statuses = [client.get("/product/product-categories").status_code for _ in range(51)]
    brands = client.get("/product/brands")

    assert statuses[:50] == [200] * 50
    assert statuses[50] == 429
    assert brands.status_code == 200
    sandbox.advance_clock(60)
    assert client.get("/product/product-categories").status_code == 200
