"""Order rules: every transition and its stock effect, all-or-nothing reservation,
idempotent import, events and timeline."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from catalog.models import StockLevel, StockMovement
from meschain.errors import InsufficientStock, InvalidTransition, ValidationFailed
from meschain.models import Event
from orders import imports, services
from orders.models import Order, OrderEvent

pytestmark = pytest.mark.django_db


def level(variant):
    row = StockLevel.objects.get(variant=variant)
    return row.on_hand, row.reserved


def place(tenant, *lines, channel="storefront", **kwargs):
    return services.place_order(
        tenant.pk, channel=channel, lines=[{"sku": s, "quantity": q} for s, q in lines], **kwargs
    )


def test_placing_reserves_and_prices_from_the_catalogue(tenant_a, stocked, owner):
    tee = stocked(tenant_a, "TEE", 5, price="20.00")
    order = services.place_order(
        tenant_a.pk,
        channel="storefront",
        lines=[{"sku": "TEE", "quantity": 2, "unit_price": "0.01"}],  # a client price is ignored
        customer={"email": "Ayse@Example.com", "name": "Ayşe"},
        shipping_total="5.00",
        actor=owner,
    )
    assert (order.subtotal, order.total) == (Decimal("40.00"), Decimal("45.00"))
    assert order.customer.email == "ayse@example.com"
    assert order.number == "1001"
    assert level(tee) == (5, 2)
    assert Event.objects.filter(type="order.created", object_id=str(order.pk)).exists()
    assert list(order.events.values_list("kind", flat=True)) == ["created"]


def test_placing_is_all_or_nothing_with_every_short_line(tenant_a, stocked):
    a, b, _c = stocked(tenant_a, "A", 5), stocked(tenant_a, "B", 1), stocked(tenant_a, "C", 0)
    with pytest.raises(InsufficientStock) as info:
        place(tenant_a, ("A", 2), ("B", 3), ("C", 1))
    assert {(line["sku"], line["available"]) for line in info.value.details["lines"]} == {("B", 1), ("C", 0)}
    assert not Order.objects.exists()
    assert [level(v) for v in (a, b)] == [(5, 0), (1, 0)]
    assert not Event.objects.filter(type="order.created").exists()


@pytest.mark.parametrize(
    "path, expected_stock",
    [
        (["processing", "completed"], (3, 0)),
        (["cancelled"], (5, 0)),
        (["processing", "cancelled"], (5, 0)),
        (["processing", "completed", "refunded"], (3, 0)),
    ],
)
def test_transitions_and_their_stock_effect(tenant_a, stocked, path, expected_stock):
    tee = stocked(tenant_a, "TEE", 5)
    order = place(tenant_a, ("TEE", 2))
    for status in path:
        services.change_status(order, status)
    order.refresh_from_db()
    assert order.status == path[-1]
    assert level(tee) == expected_stock
    ledger = StockMovement.objects.filter(variant=tee).aggregate(
        on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta")
    )
    assert (ledger["on_hand"], ledger["reserved"]) == expected_stock
    assert list(order.events.filter(kind="status").values_list("to_status", flat=True)) == path
    assert Event.objects.filter(type="order.status_changed").count() == len(path)


def test_refund_can_return_goods_to_stock(tenant_a, stocked):
    tee = stocked(tenant_a, "TEE", 5)
    order = place(tenant_a, ("TEE", 2))
    services.change_status(order, "processing")
    services.change_status(order, "completed")
    services.change_status(order, "refunded", restock=True)
    assert level(tee) == (5, 0)


@pytest.mark.parametrize(
    "start, target",
    [
        ("pending", "completed"),
        ("pending", "refunded"),
        ("completed", "cancelled"),
        ("cancelled", "pending"),
        ("refunded", "completed"),
        ("processing", "pending"),
    ],
)
def test_invalid_transitions_change_nothing(tenant_a, stocked, start, target):
    stocked(tenant_a, "TEE", 5)
    order = place(tenant_a, ("TEE", 1))
    Order.objects.filter(pk=order.pk).update(status=start)
    movements = StockMovement.objects.count()
    with pytest.raises(InvalidTransition):
        services.change_status(order, target)
    order.refresh_from_db()
    assert order.status == start
    assert StockMovement.objects.count() == movements


def test_unpublished_or_unknown_skus_refused_for_storefront(tenant_a, stocked):
    stocked(tenant_a, "TEE", 5)
    with pytest.raises(ValidationFailed) as info:
        place(tenant_a, ("TEE", 1), ("NOPE", 1))
    assert "1" in info.value.details["lines"]
    assert not Order.objects.exists()


def test_import_is_idempotent_and_updates(tenant_a, stocked):
    tee = stocked(tenant_a, "TEE", 5)
    row = {
        "external_id": "TY-123",
        "placed_at": "2026-11-20T10:00:00Z",
        "lines": [
            {"sku": "TEE", "quantity": 1, "unit_price": "18.00"},
            {"sku": "GHOST", "quantity": 1, "unit_price": "5"},
        ],
        "customer": {"email": "buyer@example.com"},
        "shipping_address": {"city": "Istanbul"},
    }
    [first] = imports.import_orders(tenant_a.pk, [row], channel="trendyol:1")
    [again] = imports.import_orders(tenant_a.pk, [row], channel="trendyol:1")
    assert (first.status, again.status) == ("created", "unchanged")
    assert first.order_id == again.order_id
    order = Order.objects.get()
    assert order.needs_attention and "GHOST" in order.attention_reason
    assert order.lines.get(sku="GHOST").variant is None
    assert order.subtotal == Decimal("23.00")
    assert level(tee) == (5, 1)

    newer = {
        **row,
        "status": "cancelled",
        "shipping_address": {"city": "Ankara"},
        "updated_at": "2026-11-21T09:00:00Z",
    }
    [updated] = imports.import_orders(tenant_a.pk, [newer], channel="trendyol:1")
    order.refresh_from_db()
    assert updated.status == "updated"
    assert (order.status, order.shipping_address) == ("cancelled", {"city": "Ankara"})
    assert level(tee) == (5, 0)
    [other_channel] = imports.import_orders(tenant_a.pk, [row], channel="hepsiburada:2")
    assert other_channel.status == "created" and Order.objects.count() == 2


def test_import_reports_each_row(tenant_a, stocked):
    stocked(tenant_a, "TEE", 1)
    rows = [
        {"external_id": "OK-1", "lines": [{"sku": "TEE", "quantity": 1, "unit_price": "1"}]},
        {"external_id": "SHORT-1", "lines": [{"sku": "TEE", "quantity": 5, "unit_price": "1"}]},
        {"lines": []},
        "not an order",
    ]
    results = imports.import_orders(tenant_a.pk, rows, channel="import")
    assert [r.status for r in results] == ["created", "error", "error", "error"]
    assert results[1].code == "INSUFFICIENT_STOCK"
    assert Order.objects.count() == 1


def test_force_policy_places_and_flags(tenant_a, stocked):
    stocked(tenant_a, "TEE", 1)
    [result] = imports.import_orders(
        tenant_a.pk,
        [{"external_id": "F-1", "lines": [{"sku": "TEE", "quantity": 3, "unit_price": "1"}]}],
        channel="import",
        stock_policy="force",
    )
    order = Order.objects.get(pk=result.order_id)
    assert order.needs_attention and not order.lines.get().reserved


def test_notes_are_on_the_timeline(tenant_a, stocked, owner):
    stocked(tenant_a, "TEE", 1)
    order = place(tenant_a, ("TEE", 1))
    services.add_note(order, "Customer called", actor=owner)
    note = OrderEvent.objects.get(kind="note")
    assert (note.note, note.actor) == ("Customer called", owner)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_buyers_ten_units(tenant_a, stocked):
    tee = stocked(tenant_a, "TEE", 10)
    outcomes: list[str] = []
    barrier = threading.Barrier(50)

    def buyer() -> None:
        try:
            barrier.wait()
            place(tenant_a, ("TEE", 1))
            outcomes.append("placed")
        except InsufficientStock:
            outcomes.append("short")
        finally:
            connection.close()

    threads = [threading.Thread(target=buyer) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert (outcomes.count("placed"), outcomes.count("short")) == (10, 40)
    assert Order.objects.count() == 10
    assert level(tee) == (10, 10)
    assert len(set(Order.objects.values_list("number", flat=True))) == 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_opposite_line_order_does_not_deadlock(tenant_a, stocked):
    stocked(tenant_a, "A", 100)
    stocked(tenant_a, "B", 100)
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def buyer(first: str, second: str) -> None:
        try:
            barrier.wait()
            for _ in range(20):
                place(tenant_a, (first, 1), (second, 1))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=buyer, args=("A", "B")),
        threading.Thread(target=buyer, args=("B", "A")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Order.objects.count() == 40


@pytest.mark.postgres
def test_numbering_continues_after_existing_orders(tenant_a, stocked):
    """A tenant whose orders were numbered before its sequence existed goes on from there."""
    stocked(tenant_a, "TEE", 5)
    first = place(tenant_a, ("TEE", 1))
    Order.objects.filter(pk=first.pk).update(number="5000")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SEQUENCE orders_number_t{tenant_a.pk}")
    assert place(tenant_a, ("TEE", 1)).number == "5001"
