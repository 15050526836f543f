"""What an import does with variants, the split prices/rests files, deletions, full and
partial imports, images; through the same HTTP exchange (files not zipped)."""

import io
from decimal import Decimal

import pytest
from PIL import Image

from catalog.models import Product, ProductStatus, StockLevel, StockMovement, Variant, Warehouse
from onec.models import ExchangeSession
from tests.onec.conftest import OneC, zipped

pytestmark = pytest.mark.django_db
HEAD = '<?xml version="1.0" encoding="UTF-8"?><КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2" ВерсияСхемы="{v}">'


def product(ext: str, name: str, sku: str = "", extra: str = "", status: str = "") -> str:
    attr = f' Статус="{status}"' if status else ""
    return (f"<Товар{attr}><Ид>{ext}</Ид><Артикул>{sku}</Артикул><Наименование>{name}</Наименование>"
            f"<Группы><Ид>g1</Ид></Группы>{extra}"
            "<ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>Вес</Наименование><Значение>0,25</Значение>"
            "</ЗначениеРеквизита></ЗначенияРеквизитов></Товар>")  # fmt: skip


def catalog(*products: str, only_changes: bool = False, version: str = "2.10") -> bytes:
    groups = "<Группы><Группа><Ид>g1</Ид><Наименование>Обувь</Наименование><Группы><Группа><Ид>g2</Ид>" \
             "<Наименование>Кеды</Наименование></Группа></Группы></Группа></Группы>"
    return (HEAD.format(v=version) + f"<Классификатор><Ид>k</Ид>{groups}</Классификатор>"
            f'<Каталог СодержитТолькоИзменения="{str(only_changes).lower()}"><Ид>c</Ид><Товары>{"".join(products)}'
            "</Товары></Каталог></КоммерческаяИнформация>").encode()  # fmt: skip


def offers(*items: str, head: str = "") -> bytes:
    types = ("<ТипыЦен><ТипЦены><Ид>retail</Ид><Наименование>Розничная</Наименование><Валюта>RUB</Валюта></ТипЦены>"
             "<ТипЦены><Ид>whole</Ид><Наименование>Оптовая</Наименование><Валюта>RUB</Валюта></ТипЦены></ТипыЦен>")
    return (HEAD.format(v="2.10") + f"<ПакетПредложений><Ид>c#</Ид>{head or types}<Предложения>{''.join(items)}"
            "</Предложения></ПакетПредложений></КоммерческаяИнформация>").encode()  # fmt: skip


def offer(ext: str, prices: dict[str, str] | None = None, body: str = "") -> str:
    cells = "".join(f"<Цена><ИдТипаЦены>{t}</ИдТипаЦены><ЦенаЗаЕдиницу>{p}</ЦенаЗаЕдиницу></Цена>"
                    for t, p in (prices or {}).items())  # fmt: skip
    return f"<Предложение><Ид>{ext}</Ид>{f'<Цены>{cells}</Цены>' if prices else ''}{body}</Предложение>"


def exchange(files: dict[str, bytes]) -> ExchangeSession:
    client = OneC()
    assert client.checkauth()[0] == "success"
    for name, data in files.items():
        assert client.upload(name, data) == [["success"]]
        if name.endswith(".xml"):
            reply = client.import_until_done(name)[-1]
            assert reply[0] == "success", reply
    return ExchangeSession.objects.latest("pk")


def test_characteristics_become_variants_with_prices_and_both_stock_forms(account, tenant_a):
    account.price_type = "Оптовая"
    account.save()
    rests = offers(
        offer("p1#red", body="<Остатки><Остаток><Склад><Ид>w1</Ид><Количество>4</Количество></Склад></Остаток></Остатки>"),
        offer("p1#blue", body='<Склад ИдСклада="w1" КоличествоНаСкладе="2,000"/>'),
        offer("p2", body="<Количество>7</Количество>"),
        head="<Склады><Склад><Ид>w1</Ид><Наименование>Казань</Наименование></Склад></Склады>",
    )
    char = "<ХарактеристикиТовара><ХарактеристикаТовара><Наименование>Цвет</Наименование><Значение>{}</Значение></ХарактеристикаТовара></ХарактеристикиТовара>"
    session = exchange({
        "import.xml": catalog(product("p1", "Кеды", "KED"), product("p2", "Шнурки", "LACE")),
        "prices.xml": offers(offer("p1#red", {"retail": "120", "whole": "99.5"}, char.format("Красный")),
                             offer("p1#blue", {"whole": "98"}, char.format("Синий")), offer("p2", {"whole": "10"}),
                             offer("ghost#x", {"whole": "1"})),
        "rests.xml": rests,
    })  # fmt: skip

    kede = Product.objects.get(tenant=tenant_a, title="Кеды")
    red = kede.variants.get(name="Красный")
    assert red.price == Decimal("99.50") and red.attributes == {"Цвет": "Красный"}
    assert kede.variants.get(name="Синий").price == Decimal("98.00")
    assert not kede.variants.get(sku="KED").is_active  # sold in colours now, not as itself
    kazan = Warehouse.objects.get(tenant=tenant_a, name="Казань")
    assert StockLevel.objects.get(variant=red, warehouse=kazan).on_hand == 4
    assert StockLevel.objects.get(variant__name="Синий", warehouse=kazan).on_hand == 2
    lace = Variant.objects.get(tenant=tenant_a, sku="LACE")
    assert StockLevel.objects.get(variant=lace, warehouse__is_default=True).on_hand == 7
    assert lace.weight_grams == 250
    assert kede.category.name == "Обувь" and kede.category.children.get().name == "Кеды"
    assert session.counts["offers_unknown"] == 1 and session.counts["variants_created"] == 2


def test_full_import_archives_what_it_does_not_mention_and_deleted_products(account, tenant_a):
    exchange({"import.xml": catalog(product("p1", "One", "S1"), product("p2", "Two", "S2"), product("p3", "Three", "S3"))})

    exchange({"import.xml": catalog(product("p1", "One, renamed", "S1"), product("p2", "Two", "S2", status="Удален"))})

    statuses = dict(Product.objects.filter(tenant=tenant_a).values_list("title", "status"))
    assert statuses == {"One, renamed": ProductStatus.PUBLISHED, "Two": ProductStatus.ARCHIVED,
                        "Three": ProductStatus.ARCHIVED}  # fmt: skip
    assert Product.objects.count() == 3  # archived, never deleted

    session = exchange({"import.xml": catalog(product("p1", "One, renamed", "S1"), only_changes=True)})
    assert session.counts.get("products_archived", 0) == 0
    exchange({"import.xml": catalog(product("p3", "Three", "S3"), only_changes=True)})
    assert Product.objects.get(title="Three").status == ProductStatus.DRAFT  # back, for an operator to publish


def test_keep_setting_leaves_missing_products_alone(account, tenant_a):
    account.missing_products = "keep"
    account.publish_new_products = False
    account.save()
    exchange({"import.xml": catalog(product("p1", "One", "S1"), product("p2", "Two", "S2"))})
    exchange({"import.xml": catalog(product("p1", "One", "S1"))})
    assert set(Product.objects.values_list("status", flat=True)) == {ProductStatus.DRAFT}


def test_images_from_import_files_are_attached_once(account, tenant_a):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    picture = "<Картинка>import_files/ab/p1.png</Картинка><Картинка>import_files/ab/missing.png</Картинка>"
    archive = zipped({"import.xml": catalog(product("p1", "One", "S1", extra=picture)),
                      "import_files/ab/p1.png": buffer.getvalue()})  # fmt: skip
    client = OneC()
    client.checkauth()
    client.upload("pack.zip", archive)
    assert client.import_until_done("import.xml")[-1][0] == "success"
    client = OneC()
    client.checkauth()
    client.upload("pack.zip", archive)
    session = ExchangeSession.objects.latest("pk")
    client.import_until_done("import.xml")

    assert Product.objects.get(title="One").images.count() == 1
    session.refresh_from_db()
    assert any("missing.png" in e for e in session.errors)


def test_duplicate_articles_and_bad_barcodes_do_not_stop_the_import(account, tenant_a):
    session = exchange({"import.xml": catalog(
        product("p1", "One", "SAME", "<Штрихкод>4006381333931</Штрихкод>"),
        product("p2", "Two", "SAME", "<Штрихкод>4006381333931</Штрихкод>"),
        product("p3", "Three", "", "<Штрихкод>123</Штрихкод>"),
    )})  # fmt: skip
    skus = sorted(Variant.objects.values_list("sku", flat=True))
    assert len(skus) == 3 and "SAME" in skus and all(s == "SAME" or s.startswith("1C-") for s in skus)
    assert Variant.objects.filter(barcode="4006381333931").count() == 1
    assert session.counts["warnings"] == 2


def test_stock_below_reservations_is_kept_at_the_reserved_quantity(account, tenant_a):
    from orders import services as orders

    exchange({"import.xml": catalog(product("p1", "One", "S1")), "offers.xml": offers(offer("p1", {"retail": "5"}, "<Количество>3</Количество>"))})
    orders.place_order(tenant_a.pk, channel="storefront", lines=[{"sku": "S1", "quantity": 2}])
    session = exchange({"offers.xml": offers(offer("p1", {"retail": "5"}, "<Количество>1</Количество>"))})
    level = StockLevel.objects.get(variant__sku="S1", warehouse__is_default=True)
    assert (level.on_hand, level.reserved) == (2, 2)
    assert session.counts["warnings"] == 1
    assert StockMovement.objects.filter(reason="1c").count() == 2
