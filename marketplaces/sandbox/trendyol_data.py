"""Static reference data served by the Trendyol sandbox: a small, realistic category tree,
the attributes of its leaf categories with their values, and a list of brands.

IDs are the sandbox's own (Trendyol's stage and production IDs differ from each other too).
"""

from typing import Any

# (id, name, parentId, children)
CATEGORY_TREE: list[dict[str, Any]] = [
    {
        "id": 403, "name": "Giyim", "parentId": None, "subCategories": [
            {"id": 411, "name": "Üst Giyim", "parentId": 403, "subCategories": [
                {"id": 600, "name": "T-Shirt", "parentId": 411, "subCategories": []},
                {"id": 601, "name": "Gömlek", "parentId": 411, "subCategories": []},
            ]},
            {"id": 412, "name": "Alt Giyim", "parentId": 403, "subCategories": [
                {"id": 602, "name": "Pantolon", "parentId": 412, "subCategories": []},
            ]},
        ],
    },
    {
        "id": 1070, "name": "Elektronik", "parentId": None, "subCategories": [
            {"id": 1071, "name": "Telefon Aksesuarları", "parentId": 1070, "subCategories": [
                {"id": 1072, "name": "Telefon Kılıfı", "parentId": 1071, "subCategories": []},
                {"id": 1073, "name": "Şarj Cihazı", "parentId": 1071, "subCategories": []},
            ]},
        ],
    },
    {
        "id": 2000, "name": "Ev & Yaşam", "parentId": None, "subCategories": [
            {"id": 2001, "name": "Mutfak", "parentId": 2000, "subCategories": [
                {"id": 2002, "name": "Kupa & Bardak", "parentId": 2001, "subCategories": []},
            ]},
        ],
    },
]

# attribute id -> (name, values {id: name})
ATTRIBUTES: dict[int, tuple[str, dict[int, str]]] = {
    47: ("Renk", {686: "Siyah", 687: "Beyaz", 688: "Kırmızı", 689: "Mavi", 690: "Yeşil"}),
    338: ("Beden", {4601: "XS", 4602: "S", 4603: "M", 4604: "L", 4605: "XL", 4606: "XXL"}),
    14: ("Materyal", {82: "Pamuk", 85: "Polyester", 105: "Keten", 107: "Seramik", 108: "Silikon"}),
    293: ("Yaş Grubu", {5001: "Yetişkin", 5002: "Çocuk"}),
    700: ("Uyumlu Marka", {7001: "Apple", 7002: "Samsung", 7003: "Xiaomi"}),
    701: ("Çıkış Gücü", {7101: "20 W", 7102: "33 W", 7103: "65 W"}),
    800: ("Hacim", {8001: "250 ml", 8002: "350 ml", 8003: "500 ml"}),
}

# leaf category id -> [(attributeId, required, allowCustom, varianter, slicer, allowMultiple)]
CATEGORY_ATTRIBUTES: dict[int, list[tuple[int, bool, bool, bool, bool, bool]]] = {
    600: [(47, True, False, False, True, False), (338, True, False, True, False, False),
          (14, False, True, False, False, True), (293, False, False, False, False, False)],
    601: [(47, True, False, False, True, False), (338, True, False, True, False, False),
          (14, False, True, False, False, True)],
    602: [(47, True, False, False, True, False), (338, True, False, True, False, False)],
    1072: [(700, True, False, False, False, True), (47, False, False, False, True, False),
           (14, False, True, False, False, False)],
    1073: [(701, True, False, True, False, False), (47, False, False, False, False, False)],
    2002: [(800, False, False, True, False, False), (14, False, True, False, False, False),
           (47, False, False, False, False, False)],
}

BRANDS: list[dict[str, Any]] = [
    {"id": 1791, "name": "Koton"},
    {"id": 1792, "name": "LC Waikiki"},
    {"id": 1793, "name": "Mavi"},
    {"id": 1794, "name": "DeFacto"},
    {"id": 2032, "name": "Anker"},
    {"id": 2033, "name": "Baseus"},
    {"id": 3100, "name": "Paşabahçe"},
    {"id": 3101, "name": "Karaca"},
    {"id": 187803, "name": "MesChain Demo"},
]


def _index(nodes: list[dict[str, Any]], out: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    for node in nodes:
        out[node["id"]] = node
        _index(node["subCategories"], out)
    return out


CATEGORIES_BY_ID: dict[int, dict[str, Any]] = _index(CATEGORY_TREE, {})
LEAF_CATEGORY_IDS: frozenset[int] = frozenset(i for i, n in CATEGORIES_BY_ID.items() if not n["subCategories"])
BRANDS_BY_ID: dict[int, dict[str, Any]] = {b["id"]: b for b in BRANDS}
