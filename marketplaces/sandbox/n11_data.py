"""The N11 sandbox's catalogue: a small category tree shaped like ``GET /cdn/categories``
(``subCategories: null`` on leaves) and the attributes of its leaves shaped like
``GET /cdn/category/{id}/attribute``. Ids and values are made up for the sandbox; the
shapes, the brand as attribute 1 ("Marka") and the flags follow N11's documentation."""

from typing import Any

BRAND_ATTRIBUTE_ID = 1
BRANDS = {8400001: "MesChain Demo", 8400002: "Acme", 8372688: "Abay", 6655098: "Abbagift"}
SHIPMENT_TEMPLATES = ("Standart Kargo", "Ücretsiz Kargo")


def _attribute(attribute_id: int, name: str, values: dict[int, str], *, mandatory: bool = False,
               variant: bool = False, slicer: bool = False, custom: bool = True, order: int = 100) -> dict[str, Any]:  # fmt: skip
    return {"attributeId": attribute_id, "attributeName": name, "isMandatory": mandatory, "isVariant": variant,
            "isSlicer": slicer, "isCustomValue": custom, "isN11Grouping": False, "attributeOrder": order,
            "attributeValues": [{"id": value_id, "value": value} for value_id, value in values.items()]}  # fmt: skip


BRAND = _attribute(BRAND_ATTRIBUTE_ID, "Marka", BRANDS, mandatory=True, order=1000)
COLOUR = _attribute(429, "Renk", {8773701: "Siyah", 8773702: "Beyaz", 8773703: "Kırmızı", 8773704: "Lacivert"},
                    mandatory=True, variant=True, slicer=True)  # fmt: skip
SIZE = _attribute(430, "Beden", {8800001: "S", 8800002: "M", 8800003: "L", 8800004: "XL"},
                  mandatory=True, variant=True, custom=False)  # fmt: skip
FABRIC = _attribute(431, "Materyal", {8810001: "Pamuk", 8810002: "Keten", 8810003: "Polyester"})
PHONE_BRAND = _attribute(440, "Uyumlu Marka", {8900001: "Apple", 8900002: "Samsung", 8900003: "Xiaomi"},
                         mandatory=True, custom=False)  # fmt: skip
PHONE_MODEL = _attribute(441, "Uyumlu Model", {8900101: "iPhone 15", 8900102: "Galaxy S24"})
VOLUME = _attribute(450, "Hacim", {8910001: "350 ml", 8910002: "500 ml"}, mandatory=True)
MATERIAL = _attribute(451, "Malzeme", {8920001: "Seramik", 8920002: "Cam", 8920003: "Porselen"})

# leaf id -> (name, attributes)
LEAVES: dict[int, tuple[str, list[dict[str, Any]]]] = {
    1001011: ("Tişört", [BRAND, COLOUR, SIZE, FABRIC]),
    1001012: ("Gömlek", [BRAND, COLOUR, SIZE, FABRIC]),
    1001021: ("Elbise", [BRAND, COLOUR, SIZE]),
    1002111: ("Telefon Kılıfı", [BRAND, PHONE_BRAND, PHONE_MODEL]),
    1002112: ("Ekran Koruyucu", [BRAND, PHONE_BRAND]),
    1003111: ("Kupa & Bardak", [BRAND, VOLUME, MATERIAL]),
}


def _leaf(category_id: int, parent_id: int) -> dict[str, Any]:
    return {"id": category_id, "name": LEAVES[category_id][0], "parentId": parent_id, "subCategories": None}


CATEGORY_TREE: list[dict[str, Any]] = [
    {"id": 1000000, "name": "Moda", "parentId": None, "subCategories": [
        {"id": 1001000, "name": "Erkek Giyim", "parentId": 1000000,
         "subCategories": [_leaf(1001011, 1001000), _leaf(1001012, 1001000)]},
        {"id": 1001020, "name": "Kadın Giyim", "parentId": 1000000, "subCategories": [_leaf(1001021, 1001020)]},
    ]},
    {"id": 1002000, "name": "Elektronik", "parentId": None, "subCategories": [
        {"id": 1002100, "name": "Cep Telefonu Aksesuarları", "parentId": 1002000,
         "subCategories": [_leaf(1002111, 1002100), _leaf(1002112, 1002100)]},
    ]},
    {"id": 1003000, "name": "Ev & Yaşam", "parentId": None, "subCategories": [
        {"id": 1003100, "name": "Mutfak Gereçleri", "parentId": 1003000, "subCategories": [_leaf(1003111, 1003100)]},
    ]},
]  # fmt: skip


def _walk(nodes: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for node in nodes:
        found[node["id"]] = node
        found.update(_walk(node.get("subCategories") or []))
    return found


CATEGORIES_BY_ID = _walk(CATEGORY_TREE)


def category_attributes(category_id: int) -> dict[str, Any]:
    """The body of ``GET /cdn/category/{id}/attribute`` for a leaf."""
    name, attributes = LEAVES[category_id]
    return {"id": category_id, "name": name,
            "categoryAttributes": [{**attribute, "categoryId": category_id} for attribute in attributes]}
