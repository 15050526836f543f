"""Recomputing the roll-ups from the orders, a calendar month at a time: each month is its
own transaction (its day rows, its month rows and the weeks that end in it), so a year of
orders never holds one long transaction and the caller sees the progress. The day rows
come from the orders; the all-channel, week and month rows are summed from them."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from meschain.errors import ValidationFailed
from orders.models import Order
from reports.models import DailySales, ProductSales
from reports.services.cache import rollups_changed
from reports.services.periods import period_of
from reports.services.rollups import (
    PRODUCT_KEY,
    PRODUCT_SUMS,
    SALES_SUMS,
    daily_sales_from_orders,
    day_of,
    product_sales_from_day_rows,
    product_sales_from_orders,
)

#: called after each month: (its first day, months done, months in all, rows written so far)
Progress = Callable[[date, int, int, dict[str, int]], None]

_COLUMNS = [*PRODUCT_KEY, "variant_id", *PRODUCT_SUMS]
_RENAMED = {"channel": "target", "grain": "level", "day": "period", "variant_id": "any_variant",
            "units": "sold", "revenue": "amount"}  # fmt: skip


@dataclass(frozen=True)
class _Scope:
    """The days whose day rows are recomputed, and the weeks and months (by their first
    day) recomputed whole: the weeks and months `since`–`until` touch."""

    tenant_id: int | None
    first: date
    last: date
    weeks: tuple[date, date]
    months: tuple[date, date]


def _period_end(first: date, name: str) -> date:
    if name == "week":
        return first + timedelta(days=6)
    if name == "month":
        return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first


def _extent(tenant_id: int | None) -> tuple[date, date] | None:
    """The first and last day with an order or a roll-up row (stale rows are rebuilt too)."""
    tenant = Q(tenant_id=tenant_id) if tenant_id is not None else Q()
    placed = Order.objects.filter(tenant).aggregate(first=Min("placed_at"), last=Max("placed_at"))
    days = [day_of(placed["first"]), day_of(placed["last"])] if placed["first"] else []
    for model in (DailySales, ProductSales):
        rows = model.objects.filter(tenant).aggregate(first=Min("day"), last=Max("day"))
        days += [rows["first"], rows["last"]] if rows["first"] else []
    return (min(days), max(days)) if days else None


def _scope(tenant_id: int | None, since: date | None, until: date | None) -> _Scope | None:
    if since is not None and until is not None and since > until:
        message = _("The start is after the end.")
        raise ValidationFailed(message, details={"from": [message]})
    if since is None or until is None:
        extent = _extent(tenant_id)
        if extent is None:
            return None
        given = since or until
        since, until = since or extent[0], until or extent[1]
        if since > until:  # every order and row is on the other side of the one bound given
            since = until = given
    weeks = (period_of(since, "week"), period_of(until, "week"))
    months = (period_of(since, "month"), period_of(until, "month"))
    return _Scope(
        tenant_id,
        first=min(weeks[0], months[0]),
        last=max(_period_end(weeks[1], "week"), _period_end(months[1], "month")),
        weeks=weeks,
        months=months,
    )


def _rows_between(scope: _Scope, first: date, last: date) -> Q:
    rows = Q(day__gte=first, day__lte=last)
    return rows & Q(tenant_id=scope.tenant_id) if scope.tenant_id is not None else rows


def _orders_between(scope: _Scope, first: date, last: date) -> Q:
    tz = timezone.get_default_timezone()
    orders = Q(
        placed_at__gte=datetime.combine(first, time.min, tzinfo=tz),
        placed_at__lt=datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz),
    )
    return orders & Q(tenant_id=scope.tenant_id) if scope.tenant_id is not None else orders


def _insert_select(
    model: Any, columns: list[str], queryset: Any, renamed: dict[str, str] | None = None
) -> int:
    """INSERT INTO the roll-up table SELECT the queryset's columns (by name)."""
    sql, params = queryset.query.sql_with_params()
    table = model._meta.db_table
    sources = ", ".join((renamed or {}).get(column, column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {sources} FROM ({sql}) AS s",  # noqa: S608 (ORM-compiled SQL)
            params,
        )
        return cursor.rowcount


def _summed(scope: _Scope, grain: str, periods: tuple[date, date], days: tuple[date, date]) -> int:
    """Replace the `grain` rows of `periods` (first days) by sums of the day rows of `days`."""
    ProductSales.objects.filter(_rows_between(scope, *periods), grain=grain).delete()
    written = 0
    for all_channels in (False, True):
        rows = product_sales_from_day_rows(_rows_between(scope, *days), grain, all_channels=all_channels)
        written += _insert_select(ProductSales, _COLUMNS, rows, _RENAMED)
    return written


def _rebuild_month(scope: _Scope, month: date) -> tuple[int, int]:
    """One calendar month of the scope, in one transaction: (daily sales, product sales) rows."""
    first, last = max(scope.first, month), min(scope.last, _period_end(month, "month"))
    rows, orders = _rows_between(scope, first, last), _orders_between(scope, first, last)
    with transaction.atomic():
        rollups_changed(None if scope.tenant_id is None else [scope.tenant_id])
        DailySales.objects.filter(rows).delete()
        ProductSales.objects.filter(rows, grain="d").delete()
        sales = _insert_select(
            DailySales, ["tenant_id", "day", "channel", *SALES_SUMS], daily_sales_from_orders(orders)
        )
        per_channel = product_sales_from_orders(orders, ["d"])[0]  # [0]: per channel, [1]: all
        products = _insert_select(ProductSales, _COLUMNS, per_channel, {"variant_id": "any_variant"})
        products += _insert_select(
            ProductSales, _COLUMNS, product_sales_from_day_rows(rows, "d", all_channels=True), _RENAMED
        )
        if scope.months[0] <= month <= scope.months[1]:  # the whole month is in the scope
            products += _summed(scope, "m", (month, month), (month, _period_end(month, "month")))
        # the weeks that end in this month: their earlier days were rebuilt with the month before
        weeks = (
            max(scope.weeks[0], period_of(first, "week")),
            min(scope.weeks[1], period_of(last - timedelta(days=6), "week")),
        )
        if weeks[0] <= weeks[1]:
            products += _summed(scope, "w", weeks, (weeks[0], _period_end(weeks[1], "week")))
    return sales, products


def _months(first: date, last: date) -> list[date]:
    months, month = [], period_of(first, "month")
    while month <= last:
        months.append(month)
        month = _period_end(month, "month") + timedelta(days=1)
    return months


def rebuild_rollups(
    tenant_id: int | None = None,
    *,
    since: date | None = None,
    until: date | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Recompute the roll-ups from orders: of one tenant or all, of all days or a range
    (the weeks and months it touches are recomputed whole), a month per transaction.
    Returns the rows written."""
    counts = {"daily_sales": 0, "product_sales": 0}
    scope = _scope(tenant_id, since, until)
    if scope is None:
        return counts
    months = _months(scope.first, scope.last)
    for done, month in enumerate(months, start=1):
        sales, products = _rebuild_month(scope, month)
        counts["daily_sales"] += sales
        counts["product_sales"] += products
        if progress is not None:
            progress(month, done, len(months), dict(counts))
    return counts
