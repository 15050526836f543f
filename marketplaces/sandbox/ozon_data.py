"""The Ozon sandbox's description-category tree and attributes: a small slice shaped like
``/v1/description-category/tree`` and ``/v1/description-category/attribute`` answers.

A description category holds product *types*; a type is what a product is created with
(``description_category_id`` + ``type_id``). Attribute 85 is the brand on every type.
"""

from typing import Any

BRAND, COLOUR, SIZE, GENDER, COMPATIBLE, MATERIAL, VOLUME = 85, 10096, 4295, 9163, 5076, 4975, 8229

#: dictionary values of the dictionary attributes: attribute id -> {value id: value}
DICTIONARIES: dict[int, dict[int, str]] = {
    COLOUR: {61574: "черный", 61576: "белый", 61580: "красный", 61581: "синий"},
    GENDER: {22880: "Мужской", 22881: "Женский", 22882: "Унисекс"},
    MATERIAL: {62000: "Керамика", 62001: "Силикон", 62002: "Хлопок"},
}


def _attribute(attribute_id: int, name: str, *, required: bool, dictionary: bool = False,
               collection: bool = False, kind: str = "String") -> dict[str, Any]:  # fmt: skip
    return {
        "id": attribute_id, "name": name, "description": "", "type": kind, "is_collection": collection,
        "is_required": required, "is_aspect": False, "group_id": 0, "group_name": "",
        "dictionary_id": attribute_id if dictionary else 0, "category_dependent": False,
    }  # fmt: skip


_BRAND = _attribute(BRAND, "Бренд", required=True)
#: type id -> its attributes
TYPE_ATTRIBUTES: dict[int, list[dict[str, Any]]] = {
    93244: [_BRAND, _attribute(COLOUR, "Цвет товара", required=True, dictionary=True, collection=True),
            _attribute(SIZE, "Российский размер", required=True), _attribute(GENDER, "Пол", required=False,
                                                                              dictionary=True)],
    93245: [_BRAND, _attribute(COLOUR, "Цвет товара", required=True, dictionary=True, collection=True),
            _attribute(SIZE, "Российский размер", required=True)],
    970895: [_BRAND, _attribute(COMPATIBLE, "Совместимые модели", required=True, collection=True),
             _attribute(MATERIAL, "Материал", required=False, dictionary=True)],
    92436: [_BRAND, _attribute(VOLUME, "Объем, мл", required=True, kind="Decimal"),
            _attribute(MATERIAL, "Материал", required=True, dictionary=True)],
}  # fmt: skip

TREE: list[dict[str, Any]] = [
    {"description_category_id": 17027949, "category_name": "Одежда", "disabled": False, "children": [
        {"description_category_id": 200000933, "category_name": "Футболки и рубашки", "disabled": False,
         "children": [
             {"type_id": 93244, "type_name": "Футболка", "disabled": False, "children": []},
             {"type_id": 93245, "type_name": "Рубашка", "disabled": False, "children": []},
         ]},
    ]},
    {"description_category_id": 17028650, "category_name": "Электроника", "disabled": False, "children": [
        {"description_category_id": 53884411, "category_name": "Чехлы для смартфонов", "disabled": False,
         "children": [{"type_id": 970895, "type_name": "Чехол для смартфона", "disabled": False, "children": []}]},
    ]},
    {"description_category_id": 17028922, "category_name": "Дом и сад", "disabled": False, "children": [
        {"description_category_id": 17029016, "category_name": "Посуда", "disabled": False,
         "children": [{"type_id": 92436, "type_name": "Кружка", "disabled": False, "children": []}]},
    ]},
]  # fmt: skip


def type_parents() -> dict[int, int]:
    """type id -> the description category it belongs to."""
    parents: dict[int, int] = {}

    def walk(nodes: list[dict[str, Any]], parent: int | None) -> None:
        for node in nodes:
            if "type_id" in node and parent is not None:
                parents[node["type_id"]] = parent
            walk(node.get("children") or [], node.get("description_category_id", parent))

    walk(TREE, None)
    return parents


TYPE_PARENTS = type_parents()
WAREHOUSES = [
    {"warehouse_id": 22254230484000, "name": "Склад Москва (FBS)", "is_rfbs": False, "status": "created"},
    {"warehouse_id": 22254230484001, "name": "Склад Казань (FBS)", "is_rfbs": False, "status": "created"},
]
