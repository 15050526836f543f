"""The Hepsiburada sandbox's catalog data: a small category tree (ids made up, names like
the real tree) and the attributes of its leaves, in the catalog API's shapes (§2)."""

from typing import Any

# categoryId, name, parentCategoryId (None: a root), leaf
CATEGORIES: list[tuple[int, str, int | None, bool]] = [
    (18020000, "Moda", None, False),
    (18021000, "Giyim", 18020000, False),
    (18021982, "Tişört", 18021000, True),
    (18021983, "Gömlek", 18021000, True),
    (60000000, "Elektronik", None, False),
    (60001000, "Telefon Aksesuarları", 60000000, False),
    (60001537, "Telefon Kılıfı", 60001000, True),
    (70000000, "Ev, Yaşam", None, False),
    (70002000, "Mutfak", 70000000, False),
    (70002421, "Kupa", 70002000, True),
]
CATEGORIES_BY_ID = {row[0]: row for row in CATEGORIES}
LEAF_IDS = {row[0] for row in CATEGORIES if row[3]}

#: the import's own keys, required in every category ("type": string unless enum)
BASE_ATTRIBUTES: list[dict[str, Any]] = [
    {"id": "merchantSku", "name": "Satıcı Stok Kodu", "mandatory": True, "type": "string", "multiValue": False},
    {"id": "VaryantGroupID", "name": "Varyant Grup Id", "mandatory": False, "type": "string", "multiValue": False},
    {"id": "Barcode", "name": "Barkod", "mandatory": True, "type": "string", "multiValue": False},
    {"id": "UrunAdi", "name": "Ürün Adı", "mandatory": True, "type": "string", "multiValue": False},
    {"id": "UrunAciklamasi", "name": "Ürün Açıklaması", "mandatory": True, "type": "string", "multiValue": False},
    {"id": "Marka", "name": "Marka", "mandatory": True, "type": "string", "multiValue": False},
    {"id": "GarantiSuresi", "name": "Garanti Süresi (Ay)", "mandatory": True, "type": "string", "multiValue": False},
    {"id": "kg", "name": "Desi", "mandatory": True, "type": "string", "multiValue": False},
    {"id": "tax_vat_rate", "name": "KDV", "mandatory": True, "type": "enum", "multiValue": False},
    {"id": "price", "name": "Fiyat", "mandatory": True, "type": "string", "multiValue": False},
    {"id": "stock", "name": "Stok", "mandatory": True, "type": "string", "multiValue": False},
    {"id": "Image1", "name": "Görsel 1", "mandatory": False, "type": "string", "multiValue": False},
]

COLOURS = ["Siyah", "Beyaz", "Kırmızı", "Mavi"]
SIZES = ["S", "M", "L", "XL"]


def _enum(attribute_id: str, name: str, values: list[str], variant: bool = False,
          mandatory: bool = True) -> dict[str, Any]:  # fmt: skip
    return {"id": attribute_id, "name": name, "mandatory": mandatory, "type": "enum", "multiValue": False,
            "values": values, "variant": variant}  # fmt: skip


#: leaf id -> its own attributes (besides BASE_ATTRIBUTES); enum values by name
CATEGORY_ATTRIBUTES: dict[int, list[dict[str, Any]]] = {
    18021982: [_enum("renk_variant_property", "Renk", COLOURS, True),
               _enum("beden_variant_property", "Beden", SIZES, True),
               _enum("00001CU5", "Kumaş", ["Pamuk", "Polyester"], mandatory=False)],
    18021983: [_enum("renk_variant_property", "Renk", COLOURS, True),
               _enum("beden_variant_property", "Beden", SIZES, True)],
    60001537: [_enum("uyumlu_marka", "Uyumlu Marka", ["Apple", "Samsung"]),
               _enum("00004XAG", "Materyal", ["Silikon", "Deri"])],
    70002421: [_enum("hacim_variant_property", "Hacim", ["250 ml", "350 ml"], True),
               _enum("00004XAG", "Materyal", ["Seramik", "Cam"])],
}  # fmt: skip
VAT_VALUES = ["0", "1", "10", "20"]


def attribute_groups(category_id: int) -> dict[str, list[dict[str, Any]]]:
    """The attributes response ``data`` of a leaf (values are fetched separately)."""
    own = CATEGORY_ATTRIBUTES.get(category_id, [])
    strip = ("values", "variant")
    return {
        "baseAttributes": [dict(a) for a in BASE_ATTRIBUTES],
        "attributes": [{k: v for k, v in a.items() if k not in strip} for a in own if not a["variant"]],
        "variantAttributes": [{k: v for k, v in a.items() if k not in strip} for a in own if a["variant"]],
    }


def attribute_values(category_id: int, attribute_id: str) -> list[dict[str, Any]] | None:
    """``[{id, value}]`` of an enum attribute of a leaf; None when there is no such attribute."""
    if attribute_id == "tax_vat_rate":
        return [{"id": value, "value": value} for value in VAT_VALUES]
    for attribute in CATEGORY_ATTRIBUTES.get(category_id, []):
        if attribute["id"] == attribute_id:
            return [{"id": f"{attribute_id}-{i}", "value": v} for i, v in enumerate(attribute["values"], 1)]
    return None
