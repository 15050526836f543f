"""The orders half: query → success, statuses posted back by 1C, XSD-valid documents."""

import pytest
from lxml import etree

from onec.models import ExchangeSession, OrderDocument
from orders import services as orders
from orders.models import Order, OrderEvent, OrderStatus
from tests.onec.conftest import DATA, OneC
from tests.onec.test_exchange_catalog import _run_catalog

pytestmark = pytest.mark.django_db
NS = {"c": "urn:1C.ru:commerceml_2"}
SKU, ONEC_ID = "PM-421-WP", "bd8c4e15-18f9-11e7-80c2-0cc47ab29cd1"
OTHER_ID = "5edfbda4-19c0-11e7-80c2-0cc47ab29cd1"


def _place(tenant, **kwargs) -> Order:
    return orders.place_order(
        tenant.pk, channel="storefront", lines=[{"sku": SKU, "quantity": 2}, {"sku": "PM-421-LE", "quantity": 1}],
        customer={"email": "ivan@example.com", "name": "Иван Петров", "phone": "+7 900 000 00 00"},
        stock_policy="skip", **kwargs,
    )


def _query(client: OneC) -> etree._Element:
    assert client.checkauth("sale")[0] == "success"
    assert client.init("sale")["zip"] == "yes"
    response = client.get("sale", "query")
    assert response["Content-Type"].startswith("application/xml")
    return etree.fromstring(response.content)


def _status_file(number: str, onec_number: str, requisites: dict[str, str], mark: bool = False) -> bytes:
    values = "".join(f"<ЗначениеРеквизита><Наименование>{k}</Наименование><Значение>{v}</Значение></ЗначениеРеквизита>"
                      for k, v in requisites.items())
    return (f'<?xml version="1.0" encoding="UTF-8"?><КоммерческаяИнформация ВерсияСхемы="2.08" ДатаФормирования="2026-01-01T10:00:00">'
            f"<Документ><Ид>{number}</Ид><Номер>{onec_number}</Номер><Дата>2026-01-01</Дата><ХозОперация>Заказ товара</ХозОперация>"
            f"<ПометкаУдаления>{str(mark).lower()}</ПометкаУдаления><ЗначенияРеквизитов>{values}</ЗначенияРеквизитов></Документ>"
            f"</КоммерческаяИнформация>").encode()


def test_orders_out_and_statuses_in(onec, tenant_a, tenant_b):
    _run_catalog(onec)
    first = _place(tenant_a, shipping_total="50", shipping_address={"name": "Иван Петров", "city": "Москва", "line1": "Тверская 1", "postal_code": "101000", "country": "RU"})
    second = _place(tenant_a)
    orders.place_order(tenant_b.pk, channel="import", lines=[{"sku": "B-1", "quantity": 1, "unit_price": "1"}], stock_policy="skip")

    root = _query(OneC())

    schema = etree.XMLSchema(etree.parse(str(DATA / "commerceml-2.08.xsd")))
    assert schema.validate(root), schema.error_log
    docs = root.findall("c:Документ", NS)
    assert [d.findtext("c:Номер", "", NS) for d in docs] == [first.number, second.number]  # not tenant B's
    lines = docs[0].findall("c:Товары/c:Товар", NS)
    assert [line.findtext("c:Ид", "", NS) for line in lines] == [ONEC_ID, OTHER_ID, "ORDER_DELIVERY"]
    assert lines[2].findtext("c:ЗначенияРеквизитов/c:ЗначениеРеквизита[c:Наименование='ВидНоменклатуры']/c:Значение", "", NS) == "Услуга"
    assert docs[0].findtext("c:Сумма", "", NS) == f"{first.total:.2f}"
    party = docs[0].find("c:Контрагенты/c:Контрагент", NS)
    assert party.findtext("c:Наименование", "", NS) == "Иван Петров"
    assert "Москва" in party.findtext("c:АдресРегистрации/c:Представление", "", NS)

    client = OneC()
    client.checkauth("sale")
    client.get("sale", "query")
    assert client.text(client.get("sale", "success")) == ["success"]
    assert _query(OneC()).findall("c:Документ", NS) == []  # confirmed: not sent again

    orders.change_status(second, OrderStatus.PROCESSING)
    again = _query(OneC()).findall("c:Документ", NS)
    assert [d.findtext("c:Номер", "", NS) for d in again] == [second.number]

    client = OneC()
    assert client.checkauth("sale")[0] == "success"
    posted = _status_file(first.number, "ЗК-000123", {"Проведен": "true", "Статус заказа": "[F] Выполнен"})
    assert client.upload("orders-1.xml", posted, kind="sale") == [["success"]]
    assert client.text(client.get("sale", "import", filename="orders-1.xml"))[0] == "success"  # again: nothing new
    first.refresh_from_db()
    assert first.status == OrderStatus.COMPLETED
    assert list(OrderEvent.objects.filter(order=first, kind="status").values_list("to_status", flat=True)) == ["processing", "completed"]
    assert OrderDocument.objects.get(order=first).number == "ЗК-000123"

    marked = _status_file(second.number, "ЗК-000124", {}, mark=True)
    client.upload("orders-2.xml", marked, kind="sale")
    second.refresh_from_db()
    assert second.status == OrderStatus.CANCELLED
    unknown = _status_file("NO-SUCH", "ЗК-1", {})
    client.upload("orders-3.xml", unknown, kind="sale")
    session = ExchangeSession.objects.filter(kind="sale").latest("pk")
    assert session.counts["orders_unknown"] == 1 and session.counts["orders_status_changed"] == 2

    exported = _query(OneC()).findall("c:Документ", NS)
    numbers = {d.findtext("c:Номер", "", NS): d for d in exported}
    assert numbers[first.number].findtext("c:ЗначенияРеквизитов/c:ЗначениеРеквизита[c:Наименование='Номер по 1С']/c:Значение", "", NS) == "ЗК-000123"


def test_success_without_query_fails(account):
    client = OneC()
    client.checkauth("sale")
    assert client.text(client.get("sale", "success"))[0] == "failure"


def test_sale_exchange_can_be_switched_off(account):
    account.orders_enabled = False
    account.save()
    assert OneC().checkauth("sale")[:2] == ["failure", "This exchange is switched off for the account."]


@pytest.mark.parametrize(
    ("requisites", "mark", "expected"),
    [
        ({"Отменен": "true"}, False, "cancelled"),
        ({"Статус заказа": "Отгружен"}, False, "completed"),  # the account's map
        ({"Финальный статус": "true"}, False, "completed"),
        ({"Проведен": "да"}, False, "processing"),
        ({"Проведен": "false"}, False, None),
        ({}, True, "cancelled"),
    ],
)
def test_status_mapping(requisites, mark, expected):
    from onec.statuses import target_status

    doc = {"requisites": requisites, "deletion_mark": mark}
    assert target_status({"Отгружен": "completed", "Странный": "nonsense"}, doc) == expected


def test_a_status_that_cannot_be_reached_is_a_warning(onec, tenant_a):
    _run_catalog(onec)
    order = _place(tenant_a)
    orders.change_status(order, OrderStatus.CANCELLED)
    client = OneC()
    client.checkauth("sale")
    client.upload("orders.xml", _status_file(order.number, "ЗК-9", {"Проведен": "true"}), kind="sale")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    session = ExchangeSession.objects.filter(kind="sale").latest("pk")
    assert any(order.number in e for e in session.errors)
    assert OrderDocument.objects.get(order=order).posted


def test_a_real_windows_1251_orders_file_is_read_and_changes_nothing_unknown(account):
    client = OneC()
    client.checkauth("sale")
    assert client.upload("orders.xml", (DATA / "bitrix-query-response-full.xml").read_bytes(), kind="sale") == [["success"]]
    session = ExchangeSession.objects.get()
    assert session.counts["orders_unknown"] == 2  # its two documents name orders of another shop
    assert not OrderDocument.objects.exists()
