"""rebuild_rollups works a calendar month at a time and still gives back exactly what a
recomputation from the orders gives, across week and month boundaries."""

import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders import imports
from orders.models import Order
from reports.models import DailySales, ProductSales
from reports.services.rebuild import rebuild_rollups
from tests.reports.conftest import NOON, recomputed, rollups_now

pytestmark = pytest.mark.django_db

SPAN_DAYS = 100  # four calendar months, weeks straddling their ends


def _import(tenant: Any, placed: list[tuple[int, str, str]], prefix: str) -> None:
    """Orders `days_ago` before NOON: (days ago, status, SKU)."""
    rows = [
        {"external_id": f"{prefix}{n}", "placed_at": (NOON - timedelta(days=days_ago)).isoformat(), "status": status,
         "lines": [{"sku": sku, "quantity": 1 + n % 3, "unit_price": "7.50"}]}
        for n, (days_ago, status, sku) in enumerate(placed)
    ]  # fmt: skip
    imports.import_orders(tenant.pk, rows, channel=f"import-{prefix}", stock_policy="force")


def _drift() -> None:
    """What a restore or a bug could leave behind: every row off."""
    DailySales.objects.update(orders=F("orders") + 5)
    ProductSales.objects.update(units=F("units") + 1)


def _of(tenant_id: int, rows: tuple[dict, dict]) -> tuple[dict, dict]:
    return tuple({key: value for key, value in part.items() if key[0] == tenant_id} for part in rows)


def _grain(rows: dict, grain: str) -> dict:
    return {key: value for key, value in rows.items() if key[2] == grain}


def _within(rows: dict, first: date, last: date, day_at: int) -> dict:
    return {key: value for key, value in rows.items() if first <= key[day_at] <= last}


placed = st.lists(
    st.tuples(
        st.integers(0, SPAN_DAYS),
        st.sampled_from(["pending", "completed", "cancelled", "refunded"]),
        st.sampled_from(["CUP", "PLATE"]),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first_orders=placed, second_orders=placed, since_ago=st.integers(0, SPAN_DAYS), length=st.integers(0, 40)
)
def test_a_rebuild_by_months_equals_the_recomputation_whatever_the_range(
    first_orders: list, second_orders: list, since_ago: int, length: int, tenant_a: Any, tenant_b: Any
) -> None:
    Order.objects.all().delete()
    DailySales.objects.all().delete()
    ProductSales.objects.all().delete()
    _import(tenant_a, first_orders, "a")
    _import(tenant_a, second_orders, "b")
    _import(tenant_b, second_orders, "c")
    truth = recomputed()
    _drift()
    drifted_b = _of(tenant_b.pk, rollups_now())
    since = NOON.date() - timedelta(days=since_ago)
    until = since + timedelta(days=length)

    rebuild_rollups(tenant_a.pk, since=since, until=until)

    # the days of the range, and the weeks and months they touch, are exact again
    now, wanted = _of(tenant_a.pk, rollups_now()), _of(tenant_a.pk, truth)
    assert _within(now[0], since, until, 1) == _within(wanted[0], since, until, 1)
    for grain, first in (
        ("d", since),
        ("w", since - timedelta(days=since.weekday())),
        ("m", since.replace(day=1)),
    ):
        assert _within(_grain(now[1], grain), first, until, 3) == _within(
            _grain(wanted[1], grain), first, until, 3
        )
    assert _of(tenant_b.pk, rollups_now()) == drifted_b  # another tenant's rows: not touched

    rebuild_rollups()  # everything, of every tenant

    assert rollups_now() == truth


def test_a_rebuild_reports_each_month_and_removes_rows_no_order_explains(tenant_a: Any) -> None:
    _import(tenant_a, [(0, "completed", "CUP"), (40, "completed", "CUP"), (80, "pending", "PLATE")], "a")
    DailySales.objects.create(tenant=tenant_a, day=date(2026, 6, 3), channel="gone", orders=3)
    seen: list[tuple[date, int, int]] = []

    counts = rebuild_rollups(
        tenant_a.pk, progress=lambda month, done, total, _c: seen.append((month, done, total))
    )

    assert seen == [(date(2026, month, 1), n, 6) for n, month in enumerate(range(6, 12), start=1)]
    assert not DailySales.objects.filter(channel="gone").exists()
    assert rollups_now() == recomputed()
    assert counts["daily_sales"] == DailySales.objects.count() == 3
    assert counts["product_sales"] == ProductSales.objects.count()


def test_a_rebuild_of_nothing_writes_nothing(tenant_a: Any) -> None:
    assert rebuild_rollups(tenant_a.pk) == {"daily_sales": 0, "product_sales": 0}


def test_a_start_after_every_order_still_rebuilds_the_month_it_touches(tenant_a: Any) -> None:
    _import(tenant_a, [(10, "completed", "CUP")], "a")  # 10 November
    ProductSales.objects.filter(grain="m").update(units=F("units") + 1)

    rebuild_rollups(tenant_a.pk, since=NOON.date() + timedelta(days=5))  # 25 November: same month

    assert rollups_now() == recomputed()


def test_a_range_that_ends_before_it_starts_is_refused_and_changes_nothing(tenant_a: Any) -> None:
    _import(tenant_a, [(0, "completed", "CUP")], "a")
    _drift()
    before = rollups_now()

    with pytest.raises(CommandError, match="start is after the end"):
        call_command("rebuild_rollups", "--from", "2026-11-20", "--to", "2026-11-01", stdout=io.StringIO())

    assert rollups_now() == before


def test_the_command_prints_each_month(tenant_a: Any) -> None:
    _import(tenant_a, [(0, "completed", "CUP"), (40, "completed", "CUP")], "a")
    out = io.StringIO()

    call_command("rebuild_rollups", "--tenant", tenant_a.slug, stdout=out)

    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines[-3:-1]] == ["2026-10 done (2 of 3 months)",
                                                          "2026-11 done (3 of 3 months)"]  # fmt: skip
    assert lines[-1] == "2 daily sales rows and 12 product sales rows written."  # days, weeks, months × 2
    assert rollups_now() == recomputed()
