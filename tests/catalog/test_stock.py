"""Stock changes: exact, all-or-nothing, ledgered, and safe under concurrency."""

import threading

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from catalog.models import MovementReason, StockLevel, StockMovement
from catalog.services import stock
from catalog.services.stock import StockChange
from meschain.errors import InsufficientStock, ValidationFailed
from meschain.models import Event

pytestmark = pytest.mark.django_db


def _level(variant):
    return StockLevel.objects.get(variant=variant)


def test_adjust_writes_movement_and_event(variant, owner):
    result = stock.adjust(variant.tenant_id, variant.pk, delta=12, actor=owner, note="first delivery")

    assert (result.on_hand, result.reserved, result.available) == (12, 0, 12)
    movement = StockMovement.objects.get(variant=variant)
    assert (movement.on_hand_delta, movement.on_hand_after, movement.reason) == (
        12,
        12,
        MovementReason.MANUAL,
    )
    assert movement.actor == owner and movement.note == "first delivery"
    event = Event.objects.get(type="stock.updated")
    assert event.payload["sku"] == "TEE-RED-M" and event.payload["available"] == 12


def test_absolute_adjustment_sets_the_figure(variant):
    stock.adjust(variant.tenant_id, variant.pk, delta=5)
    stock.adjust(variant.tenant_id, variant.pk, absolute=2)
    assert _level(variant).on_hand == 2
    assert list(StockMovement.objects.order_by("id").values_list("on_hand_delta", flat=True)) == [5, -3]


def test_stock_never_goes_negative_and_nothing_changes(variant):
    stock.adjust(variant.tenant_id, variant.pk, delta=3)
    with pytest.raises(InsufficientStock) as info:
        stock.adjust(variant.tenant_id, variant.pk, delta=-4)
    assert info.value.details["lines"][0]["available"] == 3
    assert _level(variant).on_hand == 3
    assert StockMovement.objects.count() == 1


def test_reservation_is_all_or_nothing_and_lists_every_short_line(tenant_a, make_product):
    a, b, c = (make_product(tenant_a, skus=[sku]).variants.get() for sku in ("A", "B", "C"))
    for v, qty in ((a, 5), (b, 1), (c, 0)):
        if qty:
            stock.adjust(tenant_a.pk, v.pk, delta=qty)
    movements_before = StockMovement.objects.count()

    with pytest.raises(InsufficientStock) as info:
        stock.apply_stock_changes(
            tenant_a.pk,
            [
                StockChange(a.pk, reserved_delta=2),
                StockChange(b.pk, reserved_delta=2),
                StockChange(c.pk, reserved_delta=1),
            ],
            reason=MovementReason.ORDER_RESERVE,
        )

    short = {line["sku"]: line["available"] for line in info.value.details["lines"]}
    assert short == {"B": 1, "C": 0}
    assert _level(a).reserved == 0  # the line that fitted was rolled back too
    assert StockMovement.objects.count() == movements_before


def test_reserved_never_exceeds_on_hand(variant):
    stock.adjust(variant.tenant_id, variant.pk, delta=2)
    stock.apply_stock_changes(
        variant.tenant_id, [StockChange(variant.pk, reserved_delta=2)], reason="order_reserve"
    )
    with pytest.raises(InsufficientStock):
        stock.adjust(variant.tenant_id, variant.pk, delta=-1)  # would leave reserved > on_hand
    level = _level(variant)
    assert (level.on_hand, level.reserved) == (2, 2)


def test_other_tenants_variant_is_refused(variant, tenant_b):
    with pytest.raises(ValidationFailed):
        stock.adjust(tenant_b.pk, variant.pk, delta=5)
    assert not StockLevel.objects.filter(variant=variant).exists()


def test_ledger_sums_to_on_hand(variant):
    for delta in (10, -3, 7, -14, 1):
        stock.adjust(variant.tenant_id, variant.pk, delta=delta)
    total = StockMovement.objects.filter(variant=variant).aggregate(s=Sum("on_hand_delta"))["s"]
    assert total == _level(variant).on_hand == 1


def test_event_rolls_back_with_the_change(variant):
    with pytest.raises(RuntimeError), transaction.atomic():
        stock.adjust(variant.tenant_id, variant.pk, delta=5)
        raise RuntimeError
    assert not Event.objects.exists()
    assert not StockMovement.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_threads_adjusting_the_same_stock_end_exact(variant):
    stock.adjust(variant.tenant_id, variant.pk, delta=100)
    errors: list[BaseException] = []
    barrier = threading.Barrier(20)

    def worker(delta: int) -> None:
        try:
            barrier.wait()
            for _ in range(5):
                stock.adjust(variant.tenant_id, variant.pk, delta=delta)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(3 if i % 2 else -2,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert _level(variant).on_hand == 100 + 10 * 5 * 3 - 10 * 5 * 2
    assert StockMovement.objects.filter(variant=variant).aggregate(s=Sum("on_hand_delta"))["s"] == 150


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_buyers_of_the_last_units_never_oversell(variant):
    stock.adjust(variant.tenant_id, variant.pk, delta=10)
    outcomes: list[str] = []
    barrier = threading.Barrier(30)

    def buyer() -> None:
        try:
            barrier.wait()
            stock.apply_stock_changes(
                variant.tenant_id, [StockChange(variant.pk, reserved_delta=1)], reason="order_reserve"
            )
            outcomes.append("ok")
        except InsufficientStock:
            outcomes.append("short")
        finally:
            connection.close()

    threads = [threading.Thread(target=buyer) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes.count("ok") == 10 and outcomes.count("short") == 20
    assert _level(variant).reserved == 10
