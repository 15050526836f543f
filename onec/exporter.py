"""Orders out: `type=sale&mode=query` answers every order created or changed since the
last confirmed exchange as CommerceML 2 `<Документ>` elements; `mode=success` confirms
them. An order appears again only after it changes."""

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from meschain import audit
from onec.models import ExchangeSession, ExternalRef, OneCExchange, OrderDocument, RefKind
from orders.models import Order, OrderStatus

NS = "urn:1C.ru:commerceml_2"
SCHEMA_VERSION = "2.08"
_STATUS_NAMES = {
    OrderStatus.PENDING: "[N] Принят",
    OrderStatus.PROCESSING: "[P] В обработке",
    OrderStatus.COMPLETED: "[F] Выполнен",
    OrderStatus.CANCELLED: "[C] Отменен",
    OrderStatus.REFUNDED: "[R] Возврат",
}


def _el(parent: etree._Element, name: str, value: Any = None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{NS}}}{name}")
    if value is not None:
        child.text = str(value)
    return child


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _requisites(parent: etree._Element, pairs: Iterable[tuple[str, Any]], tag: str = "ЗначенияРеквизитов") -> None:
    box = _el(parent, tag)
    for name, value in pairs:
        item = _el(box, "ЗначениеРеквизита")
        _el(item, "Наименование", name)
        _el(item, "Значение", value)


def _counterparty(doc: etree._Element, order: Order) -> None:
    customer = order.customer
    address = order.shipping_address or order.billing_address or {}
    name = (customer.name if customer else "") or str(address.get("name") or "") or _("Customer")
    box = _el(_el(doc, "Контрагенты"), "Контрагент")
    _el(box, "Ид", f"customer-{customer.pk}" if customer else f"order-{order.pk}")
    _el(box, "Наименование", name)
    _el(box, "ПолноеНаименование", name)
    first, _sep, last = name.partition(" ")
    if last:
        _el(box, "Фамилия", last)
        _el(box, "Имя", first)
    text = ", ".join(str(v) for k, v in address.items() if v and k not in ("name", "phone", "email"))
    if text:
        place = _el(box, "АдресРегистрации")
        _el(place, "Представление", text)
        for key, kind in (("postal_code", "Почтовый индекс"), ("country", "Страна"), ("city", "Город")):
            if address.get(key):
                field = _el(place, "АдресноеПоле")
                _el(field, "Тип", kind)
                _el(field, "Значение", address[key])
    contacts = [("Почта", customer.email if customer else ""),
                ("Телефон рабочий", (customer.phone if customer else "") or address.get("phone", ""))]  # fmt: skip
    contacts = [(kind, value) for kind, value in contacts if value]
    if contacts:
        box_contacts = _el(box, "Контакты")
        for kind, value in contacts:
            contact = _el(box_contacts, "Контакт")
            _el(contact, "Тип", kind)
            _el(contact, "Значение", value)
    _el(box, "Роль", "Покупатель")


def _line(goods: etree._Element, ext_id: str, title: str, quantity: Any, price: Decimal, total: Decimal,
          kind: str = "Товар") -> None:  # fmt: skip
    item = _el(goods, "Товар")
    _el(item, "Ид", ext_id)
    _el(item, "Наименование", title or ext_id)
    unit = _el(item, "БазоваяЕдиница", "шт")
    unit.set("Код", "796")
    unit.set("НаименованиеПолное", "Штука")
    unit.set("МеждународноеСокращение", "PCE")
    _requisites(item, [("ВидНоменклатуры", kind), ("ТипНоменклатуры", kind)])
    _el(item, "ЦенаЗаЕдиницу", _money(price))
    _el(item, "Количество", quantity)
    _el(item, "Сумма", _money(total))


def _document(root: etree._Element, order: Order, offers: dict[int, str], document: OrderDocument | None) -> None:
    doc = _el(root, "Документ")
    placed = timezone.localtime(order.placed_at)
    _el(doc, "Ид", order.number)
    _el(doc, "Номер", order.number)
    _el(doc, "Дата", placed.date().isoformat())
    _el(doc, "ХозОперация", "Заказ товара")
    _el(doc, "Роль", "Продавец")
    _el(doc, "Валюта", order.currency)
    _el(doc, "Курс", "1")
    _el(doc, "Сумма", _money(order.total))
    _counterparty(doc, order)
    _el(doc, "Время", placed.strftime("%H:%M:%S"))
    if order.notes:
        _el(doc, "Комментарий", order.notes[:3000])
    goods = _el(doc, "Товары")
    for line in order.lines.all():
        ext = offers.get(line.variant_id or 0) or line.sku
        _line(goods, ext, line.title, line.quantity, line.unit_price, line.line_total)
    if order.shipping_total:
        _line(goods, "ORDER_DELIVERY", "Доставка заказа", 1, order.shipping_total, order.shipping_total, "Услуга")
    status = order.status
    requisites = [
        ("Статус заказа", _STATUS_NAMES.get(status, status)),
        ("Статус заказа ИД", status),
        ("Заказ оплачен", str(status in (OrderStatus.COMPLETED, OrderStatus.PROCESSING)).lower()),
        ("Отменен", str(status == OrderStatus.CANCELLED).lower()),
        ("Финальный статус", str(status in (OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.REFUNDED)).lower()),
        ("Дата изменения статуса", timezone.localtime(order.updated_at).strftime("%Y-%m-%d %H:%M:%S")),
        ("Канал", order.channel),
    ]
    if document and document.number:
        requisites.append(("Номер по 1С", document.number))
    _requisites(doc, requisites)


def changed_orders(account: OneCExchange, since: datetime | None = None, limit: int | None = None) -> list[Order]:
    since = since if since is not None else account.orders_confirmed_at
    queryset = Order.objects.filter(tenant_id=account.tenant_id)
    if since is not None:
        queryset = queryset.filter(updated_at__gt=since)
    queryset = queryset.select_related("customer").prefetch_related("lines").order_by("updated_at", "id")
    return list(queryset[:limit] if limit else queryset)


def render(
    account: OneCExchange,
    orders: list[Order],
    encoding: str | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> bytes:
    variant_ids = {line.variant_id for order in orders for line in order.lines.all() if line.variant_id}
    offers = dict(
        ExternalRef.objects.filter(account=account, kind=RefKind.OFFER, object_id__in=variant_ids).values_list(
            "object_id", "external_id"
        )
    )
    documents = {d.order_id: d for d in OrderDocument.objects.filter(account=account, order__in=orders)}
    root = etree.Element(f"{{{NS}}}КоммерческаяИнформация", nsmap={None: NS})
    root.set("ВерсияСхемы", SCHEMA_VERSION)
    root.set("ДатаФормирования", timezone.localtime().strftime("%Y-%m-%dT%H:%M:%S"))
    for index, order in enumerate(orders, 1):
        _document(root, order, offers, documents.get(order.pk))
        if on_progress and (index % 500 == 0 or index == len(orders)):
            on_progress(500 if index % 500 == 0 else index % 500)
    return etree.tostring(root, xml_declaration=True, encoding=encoding or account.reply_encoding, pretty_print=True)


def query(session: ExchangeSession, limit: int | None = None) -> bytes:
    """The orders 1C has not confirmed yet; the watermark moves only on `success`."""
    from onec.services import setting

    now = timezone.now()
    limit = limit or int(setting("ONEC_QUERY_LIMIT", 1000))
    orders = changed_orders(session.account, limit=limit)
    session.query_time = orders[-1].updated_at if len(orders) >= limit else now
    counts = dict(session.counts)
    counts["orders_exported"] = len(orders)
    session.counts = counts
    session.save(update_fields=["query_time", "counts", "updated_at"])
    return render(session.account, orders)


@transaction.atomic
def confirm(session: ExchangeSession) -> None:
    from onec.services import ExchangeError, finish

    if session.query_time is None:
        raise ExchangeError(_("Nothing to confirm: call mode=query first."))
    account = OneCExchange.objects.select_for_update().get(pk=session.account_id)
    if account.orders_confirmed_at is None or session.query_time > account.orders_confirmed_at:
        account.orders_confirmed_at = session.query_time
        account.save(update_fields=["orders_confirmed_at"])
    audit.record("onec.orders_confirmed", actor=f"1C:{account.username}", obj=account,
                 after={"until": session.query_time.isoformat(), "session": session.pk})  # fmt: skip
    finish(session)
