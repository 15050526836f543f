"""The catalogue half of the exchange, driven over HTTP the way 1C drives it, with the
real sample files: counts are derived from the XML itself."""

from decimal import Decimal

import pytest
from lxml import etree

from catalog.models import (
    MovementReason,
    Product,
    ProductStatus,
    StockLevel,
    StockMovement,
    Variant,
    Warehouse,
)
from meschain.models import Event
from onec.models import ExchangeSession
from tests.onec.conftest import DATA, OneC, zipped

pytestmark = pytest.mark.django_db
NS = {"c": "urn:1C.ru:commerceml_2"}


def _xml_facts() -> dict:
    catalog = etree.parse(str(DATA / "import0_1.xml"))
    products = catalog.findall(".//c:Каталог/c:Товары/c:Товар", NS)
    live = [p for p in products if p.get("Статус") != "Удален" and p.findtext("c:Статус", "", NS) != "Удален"]
    offers = etree.parse(str(DATA / "offers0_1.xml"))
    offer_items = offers.findall(".//c:Предложения/c:Предложение", NS)
    known = {p.findtext("c:Ид", "", NS) for p in live}
    matched = [o for o in offer_items if o.findtext("c:Ид", "", NS) in known]
    stock = {}
    for offer in matched:
        for place in offer.findall("c:Склад", NS):
            stock[(offer.findtext("c:Ид", "", NS), place.get("ИдСклада"))] = int(Decimal(place.get("КоличествоНаСкладе")))
    prices = {o.findtext("c:Ид", "", NS): Decimal(o.findtext("c:Цены/c:Цена/c:ЦенаЗаЕдиницу", "", NS)) for o in matched}
    return {
        "live": live,
        "deleted": len(products) - len(live),
        "offers": offer_items,
        "matched": matched,
        "stock": stock,
        "prices": prices,
        "warehouses": {w.findtext("c:Ид", "", NS): w.findtext("c:Наименование", "", NS)
                       for w in offers.findall(".//c:ПакетПредложений/c:Склады/c:Склад", NS)},
    }


def _run_catalog(onec: OneC, chunk: int = 50_000) -> ExchangeSession:
    assert onec.checkauth()[0] == "success"
    init = onec.init()
    assert init["zip"] == "yes" and int(init["file_limit"]) > chunk
    archive = zipped({"import.xml": (DATA / "import0_1.xml").read_bytes(),
                      "offers.xml": (DATA / "offers0_1.xml").read_bytes()})
    replies = onec.upload("catalog.zip", archive, chunk=chunk)
    assert all(r == ["success"] for r in replies)
    first = onec.import_until_done("import.xml")
    second = onec.import_until_done("offers.xml")
    assert first[-1][0] == "success" and second[-1][0] == "success", (first[-1], second[-1])
    session = ExchangeSession.objects.latest("pk")
    session.replies = first + second
    return session


def test_full_catalog_exchange_imports_the_real_files_in_steps(onec, tenant_a, settings):
    settings.ONEC_IMPORT_STEP_SECONDS = 0  # one batch a request: several `progress` answers
    settings.ONEC_IMPORT_BATCH = 10
    facts = _xml_facts()

    session = _run_catalog(onec, chunk=3_000)

    assert sum(1 for r in session.replies if r[0] == "progress") >= 3
    assert session.files["catalog.zip"]["chunks"] > 1
    products = Product.objects.filter(tenant=tenant_a)
    assert products.count() == len(facts["live"])
    assert session.counts["products_created"] == len(facts["live"])
    assert session.counts["products_skipped"] == facts["deleted"]
    first = facts["live"][0]
    variant = Variant.objects.get(tenant=tenant_a, sku=first.findtext("c:Артикул", "", NS))
    assert variant.product.title == first.findtext("c:Наименование", "", NS)
    assert variant.barcode == first.findtext("c:Штрихкод", "", NS)
    assert variant.vat_rate == Decimal("20.00")
    assert variant.product.brand.name == first.findtext("c:Изготовитель/c:Наименование", "", NS)
    assert variant.product.category.name == "Коврики для дома"
    assert variant.product.attributes["Страна производства"] == "КОРЕЯ, РЕСПУБЛИКА"
    assert variant.product.status == ProductStatus.PUBLISHED
    # offers: prices and stock per 1C warehouse
    ext_id = first.findtext("c:Ид", "", NS)
    assert variant.price == facts["prices"][ext_id]
    assert session.counts["offers_unknown"] == len(facts["offers"]) - len(facts["matched"])
    names = facts["warehouses"]
    for (offer_id, warehouse_id), qty in facts["stock"].items():
        if offer_id == ext_id:
            level = StockLevel.objects.get(variant=variant, warehouse__name=names[warehouse_id])
            assert level.on_hand == qty
    assert Warehouse.objects.filter(tenant=tenant_a, code__startswith="1c-").count() == len(names)
    moved = StockMovement.objects.filter(tenant=tenant_a)
    assert moved.count() == sum(1 for q in facts["stock"].values() if q) and set(moved.values_list("reason", flat=True)) == {MovementReason.ONE_C}
    assert Event.objects.filter(tenant=tenant_a, type="stock.updated").exists()


def test_a_second_import_changes_nothing(onec, tenant_a):
    _run_catalog(onec)
    snapshot = (Product.objects.count(), Variant.objects.count(), StockMovement.objects.count(), Event.objects.count())
    stamps = list(Variant.objects.order_by("pk").values_list("updated_at", flat=True))

    again = _run_catalog(OneC())

    assert again.counts.get("products_created", 0) == 0
    assert again.counts.get("products_updated", 0) == 0
    assert again.counts.get("offers_updated", 0) == 0
    assert again.counts.get("stock_levels_changed", 0) == 0
    assert (Product.objects.count(), Variant.objects.count(), StockMovement.objects.count(), Event.objects.count()) == snapshot
    assert list(Variant.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps
