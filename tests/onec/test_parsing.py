"""The streaming reader: which elements become items, in both schema layouts."""

import pytest

from onec import parsing
from tests.onec.test_import_rules import HEAD, catalog, offer, offers, product


def _read(tmp_path, data: bytes) -> list[tuple[str, dict]]:
    path = tmp_path / "file.xml"
    path.write_bytes(data)
    return list(parsing.read(path))


def _kinds(items: list[tuple[str, dict]]) -> list[str]:
    return [kind for kind, _item in items]


def test_a_catalogue_yields_its_section_before_its_products(tmp_path):
    items = _read(tmp_path, catalog(product("p1", "Кеды", "KED"), product("p2", "Шнурки", status="Удален")))
    assert _kinds(items) == ["root", "groups", "properties", "catalog", "product", "product"]
    assert items[0][1] == {"version": "2.10"} and items[3][1] == {"only_changes": False}
    assert items[4][1]["sku"] == "KED" and items[5][1]["deleted"] is True


def test_a_full_catalogue_without_products_still_says_so(tmp_path):
    assert _kinds(_read(tmp_path, catalog())) == ["root", "groups", "properties", "catalog"]
    changes = _read(tmp_path, catalog(only_changes=True))
    assert ("catalog", {"only_changes": True}) in changes


def test_price_types_and_warehouses_in_either_place_and_stock_lines_are_not_warehouses(tmp_path):
    stock = '<Склад ИдСклада="w1" КоличествоНаСкладе="2"/>'
    old_layout = offers(offer("p1", {"retail": "10"}, body=stock),
                        head="<Склады><Склад><Ид>w1</Ид><Наименование>Казань</Наименование></Склад></Склады>")  # fmt: skip
    items = _read(tmp_path, old_layout)
    assert [i for k, i in items if k == "warehouse"] == [{"id": "w1", "name": "Казань"}]
    assert [i["stocks"] for k, i in items if k == "offer"] == [{"w1": 2}]
    classifier = (HEAD.format(v="2.10") + "<Классификатор><Ид>k</Ид><ТипыЦен><ТипЦены><Ид>t1</Ид><Наименование>Опт"
                  "</Наименование><Валюта>RUB</Валюта></ТипЦены></ТипыЦен><Склады><Склад><Ид>w2</Ид><Наименование>Тула"
                  "</Наименование></Склад></Склады></Классификатор><ИзмененияПакетаПредложений СодержитТолькоИзменения="
                  '"true"><Предложения><Предложение><Ид>p1</Ид><Количество>3</Количество></Предложение></Предложения>'
                  "</ИзмененияПакетаПредложений></КоммерческаяИнформация>").encode()  # fmt: skip
    items = _read(tmp_path, classifier)
    assert ("price_type", {"id": "t1", "name": "Опт", "currency": "RUB"}) in items
    assert ("warehouse", {"id": "w2", "name": "Тула"}) in items
    assert ("offers", {"only_changes": True}) in items and [i["total"] for k, i in items if k == "offer"] == [3]


def test_the_goods_of_an_order_document_are_not_catalogue_products(tmp_path):
    data = ("<КоммерческаяИнформация><Документ><Ид>d1</Ид><Номер>7</Номер><Товары><Товар><Ид>p1</Ид></Товар></Товары>"
            "</Документ><Контейнер><Документ><Ид>d2</Ид></Документ></Контейнер></КоммерческаяИнформация>").encode()  # fmt: skip
    items = _read(tmp_path, data)
    assert _kinds(items) == ["root", "document", "document"] and items[1][1]["number"] == "7"


@pytest.mark.parametrize("data", [b"<html><body/></html>", "<foo><Товар><Ид>x</Ид></Товар></foo>".encode()])
def test_other_xml_is_not_a_commerceml_file(tmp_path, data):
    with pytest.raises(parsing.BadFile, match="not a CommerceML"):
        _read(tmp_path, data)
