"""Order documents posted back by 1C: keep 1C's number and flags, and move our order's
status through the orders services (posted, deletion mark, the account's status map)."""

from typing import Any

from django.utils.translation import gettext as _

from meschain.errors import DomainError
from onec.catalog_sync import Context
from onec.models import ExchangeSession, OrderDocument
from orders import services as orders
from orders.models import Order, OrderStatus

#: our status → the steps that lead to it from pending
_PATHS = {
    OrderStatus.PROCESSING: [OrderStatus.PROCESSING],
    OrderStatus.COMPLETED: [OrderStatus.PROCESSING, OrderStatus.COMPLETED],
    OrderStatus.CANCELLED: [OrderStatus.CANCELLED],
    OrderStatus.REFUNDED: [OrderStatus.PROCESSING, OrderStatus.COMPLETED, OrderStatus.REFUNDED],
}
_SITE_NUMBER = ("Номер по сайту", "Номер заказа на сайте", "Номер сайта")


def _true(value: Any) -> bool:
    return str(value or "").strip().lower() in ("true", "1", "да", "yes")


def target_status(account_map: dict[str, str], doc: dict[str, Any]) -> str | None:
    requisites = doc["requisites"]
    if doc["deletion_mark"] or _true(requisites.get("Отменен")):
        return OrderStatus.CANCELLED
    status = requisites.get("Статус заказа", "")
    if status in account_map and account_map[status] in OrderStatus.values:
        return account_map[status]
    if _true(requisites.get("Финальный статус")):
        return OrderStatus.COMPLETED
    if _true(requisites.get("Проведен")):
        return OrderStatus.PROCESSING
    return None


def _move(order: Order, target: str, actor: str) -> bool:
    if order.status == target:
        return False
    path = _PATHS[target]
    if order.status in path:
        path = path[path.index(order.status) + 1 :]
    for step in path:
        order = orders.change_status(order, step, actor=actor, note=_("Status from 1C."))
    return True


def apply_documents(ctx: Context, docs: list[dict[str, Any]]) -> None:
    wanted = {}
    for doc in docs:
        numbers = [doc["requisites"].get(k, "") for k in _SITE_NUMBER] + [doc["id"], doc["number"]]
        wanted[id(doc)] = [n for n in numbers if n]
    found = {
        o.number: o
        for o in Order.objects.filter(tenant_id=ctx.tenant_id, number__in={n for ns in wanted.values() for n in ns})
    }
    for doc in docs:
        order = next((found[n] for n in wanted[id(doc)] if n in found), None)
        if order is None:
            ctx.counts["orders_unknown"] += 1
            ctx.warn(_("Document %(number)s matches no order.") % {"number": doc["number"] or doc["id"]})
            continue
        OrderDocument.objects.update_or_create(
            account=ctx.account,
            order=order,
            defaults={"number": doc["number"][:64], "date": doc["date"][:32],
                      "posted": _true(doc["requisites"].get("Проведен")), "deletion_mark": doc["deletion_mark"],
                      "status": doc["requisites"].get("Статус заказа", "")[:200]},
        )  # fmt: skip
        target = target_status(ctx.account.status_map or {}, doc)
        try:
            moved = bool(target) and _move(order, target, ctx.actor)
        except DomainError as exc:
            ctx.warn(_("Order %(number)s: %(error)s") % {"number": order.number, "error": exc})
            moved = False
        ctx.counts["orders_status_changed" if moved else "orders_seen"] += 1


def import_file(session: ExchangeSession, filename: str | None) -> None:
    """A status file posted with mode=file: imported at once (1C may also call import)."""
    from onec import services

    finished = False
    while not finished:
        finished, _message = services.import_step(session, filename)
