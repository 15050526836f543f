"""Streaming, safe reading of CommerceML 2 files (2.03–2.10, with or without the
`urn:1C.ru:commerceml_2` namespace, UTF-8 with or without BOM, or windows-1251).

lxml parses with entities, DTD loading and the network off, and a DOCTYPE is refused
(so no XXE, no billion laughs); the reader yields one
plain dict per group tree, price type, warehouse, product, offer or document; each
element is dropped as soon as it is read, so memory does not grow with the file.
"""

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from lxml import etree
from lxml.etree import _Element as Element

Item = tuple[str, dict[str, Any]]


class BadFile(Exception):
    """The file cannot be imported; the message says why (shown to 1C and the admin)."""


_LOCAL: dict[str, str] = {}


def local(tag: str) -> str:
    """The tag without its namespace (memoised: a file has few distinct tags)."""
    name = _LOCAL.get(tag)
    if name is None:
        name = tag.rpartition("}")[2]
        if len(_LOCAL) < 10_000:
            _LOCAL[tag] = name
    return name


def _child(elem: Element, name: str) -> Element | None:
    return next(elem.iterchildren(f"{{*}}{name}"), None)


def _children(elem: Element | None, name: str) -> list[Element]:
    return list(elem.iterchildren(f"{{*}}{name}")) if elem is not None else []


def text(elem: Element | None, name: str) -> str:
    child = _child(elem, name) if elem is not None else None
    return (child.text or "").strip() if child is not None else ""


def number(value: str | None) -> Decimal | None:
    """1C writes "1,4", "1 234.50" or "1\u00a0234"; None when it is not a number."""
    if value is None:
        return None
    cleaned = value.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        result = Decimal(cleaned)
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def _fields(elem: Element) -> dict[str, Element]:
    """First child per local name: one pass over the children instead of one per field."""
    found: dict[str, Element] = {}
    for child in elem:
        found.setdefault(local(child.tag), child)
    return found


def _value(fields: dict[str, Element], name: str) -> str:
    child = fields.get(name)
    return (child.text or "").strip() if child is not None else ""


def _pairs(box: Element | None, key: str, value: str) -> list[tuple[str, str]]:
    """(key, value) of each item of a list such as ЗначенияРеквизитов/ЗначениеРеквизита."""
    found = []
    for item in box if box is not None else ():
        fields = _fields(item)
        found.append((_value(fields, key), _value(fields, value)))
    return found


def _requisites(fields: dict[str, Element]) -> dict[str, str]:
    return dict(_pairs(fields.get("ЗначенияРеквизитов"), "Наименование", "Значение"))


def _characteristics(fields: dict[str, Element]) -> list[tuple[str, str]]:
    return _pairs(fields.get("ХарактеристикиТовара"), "Наименование", "Значение")


def _groups(elem: Element | None, parent: str | None = None) -> list[dict[str, Any]]:
    """The group tree, flattened parents first."""
    found: list[dict[str, Any]] = []
    for group in _children(elem, "Группа"):
        group_id = text(group, "Ид")
        found.append({"id": group_id, "name": text(group, "Наименование") or group_id, "parent": parent})
        found.extend(_groups(_child(group, "Группы"), group_id))
    return found


def _properties(elem: Element | None) -> list[dict[str, Any]]:
    props = []
    for prop in _children(elem, "Свойство"):
        values = {
            text(v, "ИдЗначения"): text(v, "Значение")
            for v in _children(_child(prop, "ВариантыЗначений"), "Справочник")
        }
        props.append({"id": text(prop, "Ид"), "name": text(prop, "Наименование"),
                      "type": text(prop, "ТипЗначений"), "values": values})  # fmt: skip
    return props


def _deleted(elem: Element, fields: dict[str, Element]) -> bool:
    return (elem.get("Статус") or _value(fields, "Статус")) == "Удален"


def _product(elem: Element) -> dict[str, Any]:
    fields = _fields(elem)
    vat = None
    for _name, value in _pairs(fields.get("СтавкиНалогов"), "Наименование", "Ставка"):
        vat = Decimal(0) if value.lower().startswith("без") else number(value.rstrip("%"))
    maker = fields.get("Изготовитель")
    groups = fields.get("Группы")
    return {
        "id": _value(fields, "Ид"),
        "sku": _value(fields, "Артикул"),
        "name": _value(fields, "Наименование"),
        "barcode": _value(fields, "Штрихкод"),
        "description": _value(fields, "Описание"),
        "groups": [(g.text or "").strip() for g in groups] if groups is not None else [],
        "images": [(i.text or "").strip() for i in _children(elem, "Картинка") if (i.text or "").strip()],
        "brand": text(maker, "Наименование") if maker is not None else "",
        "props": dict(_pairs(fields.get("ЗначенияСвойств"), "Ид", "Значение")),
        "vat": vat,
        "requisites": _requisites(fields),
        "characteristics": _characteristics(fields),
        "deleted": _deleted(elem, fields),
    }


def _stocks(elem: Element) -> tuple[dict[str, Decimal], Decimal | None]:
    """Per-warehouse quantities in both forms, and a total without a warehouse."""
    stocks: dict[str, Decimal] = {}
    for place in _children(elem, "Склад"):  # <Склад ИдСклада="…" КоличествоНаСкладе="…"/>
        qty = number(place.get("КоличествоНаСкладе"))
        if place.get("ИдСклада") and qty is not None:
            stocks[place.get("ИдСклада", "")] = qty
    total = None
    for rest in _children(_child(elem, "Остатки"), "Остаток"):  # <Остатки><Остаток><Склад>…
        place = _child(rest, "Склад")
        if place is not None and text(place, "Ид"):
            qty = number(text(place, "Количество"))
            if qty is not None:
                stocks[text(place, "Ид")] = qty
        elif _child(rest, "Количество") is not None:
            total = number(text(rest, "Количество"))
    if _child(elem, "Количество") is not None:
        total = number(text(elem, "Количество"))
    return stocks, total


def _offer(elem: Element) -> dict[str, Any]:
    fields = _fields(elem)
    stocks, total = _stocks(elem)
    prices = []
    for price in fields.get("Цены", ()):
        cells = _fields(price)
        prices.append({"type": _value(cells, "ИдТипаЦены"), "price": number(_value(cells, "ЦенаЗаЕдиницу")),
                       "currency": _value(cells, "Валюта")})  # fmt: skip
    return {
        "id": _value(fields, "Ид"),
        "sku": _value(fields, "Артикул"),
        "name": _value(fields, "Наименование"),
        "barcode": _value(fields, "Штрихкод"),
        "prices": prices,
        "has_prices": "Цены" in fields,
        "stocks": stocks,
        "total": total,
        "characteristics": _characteristics(fields),
        "deleted": _deleted(elem, fields),
    }


def _document(elem: Element) -> dict[str, Any]:
    fields = _fields(elem)
    requisites = _requisites(fields)
    return {
        "id": _value(fields, "Ид"),
        "number": _value(fields, "Номер"),
        "date": _value(fields, "Дата"),
        "operation": _value(fields, "ХозОперация"),
        "deletion_mark": _value(fields, "ПометкаУдаления").lower() == "true"
        or requisites.get("ПометкаУдаления", "").lower() == "true",
        "requisites": requisites,
    }


def _price_type(elem: Element) -> dict[str, Any]:
    return {"id": text(elem, "Ид"), "name": text(elem, "Наименование"), "currency": text(elem, "Валюта")}


def _warehouse(elem: Element) -> dict[str, Any]:
    return {"id": text(elem, "Ид"), "name": text(elem, "Наименование")}


#: item element → (its list element, the section it belongs to or None for any, parser, kind)
_ITEMS = {
    "Товар": ("Товары", ("Каталог",), _product, "product"),
    "Предложение": ("Предложения", None, _offer, "offer"),
}
#: list element → (its entries, parser, kind); read whole when the list ends
_LISTS = {"ТипыЦен": ("ТипЦены", _price_type, "price_type"), "Склады": ("Склад", _warehouse, "warehouse")}
_CONTAINERS = {"Каталог": "catalog", "ПакетПредложений": "offers", "ИзмененияПакетаПредложений": "offers"}
_ROOT = "КоммерческаяИнформация"
_WATCHED = tuple(f"{{*}}{name}" for name in
                 {_ROOT, "Классификатор", "Документ", *_CONTAINERS, *_ITEMS, *_LISTS})  # fmt: skip
_SAFE = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False,
         "remove_comments": True, "remove_pis": True}  # fmt: skip


def _events(path: str | Path, events: tuple[str, ...], tags: Any) -> Iterator[tuple[str, Element]]:
    """lxml's iterparse with entities, DTDs and the network off; a DOCTYPE is refused."""
    try:
        first = True
        for event, elem in etree.iterparse(str(path), events=events, tag=tags, **_SAFE):
            if first:
                first = False
                if elem.getroottree().docinfo.doctype:
                    raise BadFile(_("The XML declares a DTD or entities, which are refused."))
            yield event, elem
    except etree.XMLSyntaxError as exc:
        raise BadFile(_("The XML is malformed: %(error)s") % {"error": exc.msg or exc}) from exc


def _drop(elem: Element) -> None:
    """Free a read element and what came before it: memory stays flat."""
    elem.clear()
    parent = elem.getparent()
    while parent is not None and elem.getprevious() is not None:
        del parent[0]


def _section(elem: Element) -> Item:
    only = (elem.get("СодержитТолькоИзменения") or "").lower() == "true"
    return _CONTAINERS[local(elem.tag)], {"only_changes": only}


def read(path: str | Path) -> Iterator[Item]:
    """Yield ("root", attrs), ("catalog"/"offers", {"only_changes"}) before the first
    item of its section, ("groups", …), ("properties", …), then one item per price type,
    warehouse, product, offer and document. Raises BadFile on malformed or unsafe XML.

    Only end events of the few elements read are asked of lxml (a start event per
    product costs as much as reading it); everything else is read from the tree."""
    root: Element | None = None
    section: Element | None = None
    for _event, elem in _events(path, ("end",), _WATCHED):
        if root is None:
            root = elem.getroottree().getroot()
            if local(root.tag) != _ROOT:
                raise BadFile(_("This is not a CommerceML file."))
            yield "root", {"version": root.get("ВерсияСхемы", "")}
        name = local(elem.tag)
        parent = elem.getparent()
        parent_name = local(parent.tag) if parent is not None else ""
        item = _ITEMS.get(name)
        if item is not None:
            box = parent.getparent() if parent is not None else None
            box_name = local(box.tag) if box is not None else ""
            if parent_name != item[0] or (item[1] is not None and box_name not in item[1]):
                continue  # e.g. the goods of an order document: read with the document
            if box is not section and box_name in _CONTAINERS:
                section = box
                yield _section(box)
            yield item[3], item[2](elem)
        elif name in _LISTS:
            if parent_name == "Предложение":
                continue
            entry, parser, kind = _LISTS[name]
            for child in _children(elem, entry):
                yield kind, parser(child)
        elif name in _CONTAINERS:
            if elem is not section:  # a section without items
                section = elem
                yield _section(elem)
        elif name == "Классификатор":
            yield "groups", {"items": _groups(_child(elem, "Группы"))}
            yield "properties", {"items": _properties(_child(elem, "Свойства"))}
        elif name == "Документ" and parent_name in (_ROOT, "Контейнер"):
            yield "document", _document(elem)
        else:
            continue
        _drop(elem)
    if root is None:
        raise BadFile(_("This is not a CommerceML file."))


class _Refuse:
    """A parser target with no element callbacks: libxml2 checks the whole file in C."""

    def doctype(self, *args: Any) -> None:
        raise BadFile(_("The XML declares a DTD or entities, which are refused."))

    def close(self) -> None:
        return None


_CLOSING = [f"</{name}>".encode(codec) for name in ("Товар", "Предложение", "Документ") for codec in ("utf-8", "cp1251")]


def check(path: str | Path) -> int:
    """Read the whole file once, writing nothing: a broken or unsafe file is refused
    before anything is imported. Returns about how many items it holds (for progress)."""
    parser = etree.XMLParser(target=_Refuse(), **{k: v for k, v in _SAFE.items() if k.startswith(("res", "no", "load", "huge"))})
    items, tail = 0, b""
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1024 * 1024):
                parser.feed(chunk)
                window = tail + chunk
                items += sum(window.count(tag) for tag in _CLOSING)
                tail = chunk[-24:]
                items -= sum(tail.count(tag) for tag in _CLOSING)
        parser.close()
    except etree.XMLSyntaxError as exc:
        raise BadFile(_("The XML is malformed: %(error)s") % {"error": exc.msg or exc}) from exc
    return items + sum(tail.count(tag) for tag in _CLOSING)
