"""Keeping the daily roll-ups exact: the orders services call `record_order_change` (one
order) and `record_new_orders` (a bulk import) in the transaction of the change; each
call adds the change's difference to the roll-up rows with one INSERT … ON CONFLICT DO
UPDATE per table, however many orders it carries. `rebuild.rebuild_rollups` recomputes them.

What an order adds (see reports.models): on the day it was placed and its channel, unless
cancelled — one order, its units, subtotal + shipping as gross, its discount, its total as
net, and for a refunded order its total as refunds (net less it). Its lines add units and
revenue per SKU while it is pending, processing or completed, to the ProductSales rows of
their day, week and month, on their channel and on all channels (six rows a SKU).
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, DateField, DecimalField, F, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Trunc, TruncDate
from django.utils import timezone

from orders.models import Order, OrderLine, OrderStatus
from reports.models import ALL_CHANNELS, DailySales, Grain, ProductSales
from reports.services.cache import rollups_changed
from reports.services.periods import period_of

ZERO = Decimal("0")
#: statuses whose lines count as sold (top products, days of cover)
SELLING = frozenset({OrderStatus.PENDING, OrderStatus.PROCESSING, OrderStatus.COMPLETED})
SALES_SUMS = ("orders", "units", "gross", "discounts", "refunds", "net")
PRODUCT_SUMS = ("units", "revenue")
#: each grain of ProductSales, with the period name periods.period_of and Trunc know
GRAINS = {str(Grain.DAY.value): "day", str(Grain.WEEK.value): "week", str(Grain.MONTH.value): "month"}
PRODUCT_KEY = ["tenant_id", "channel", "grain", "day", "sku"]


def day_of(moment: datetime) -> date:
    """The roll-up day of a moment: its date in the server's time zone."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def _get(row: Any, name: str) -> Any:
    return row[name] if isinstance(row, dict) else getattr(row, name)


def _sales_of(order: Any, status: str | None, units: int) -> tuple | None:
    """What one order in `status` adds to its day's DailySales, or None."""
    if status is None or status == OrderStatus.CANCELLED:
        return None
    total = Decimal(_get(order, "total"))
    refunds = total if status == OrderStatus.REFUNDED else ZERO
    gross = Decimal(_get(order, "subtotal")) + Decimal(_get(order, "shipping_total"))
    return (1, units, gross, Decimal(_get(order, "discount_total")), refunds, total - refunds)


class _Deltas:
    """Differences to add, summed per roll-up key so each key is written once."""

    def __init__(self) -> None:
        self.sales: dict[tuple, list] = defaultdict(lambda: [0, 0, ZERO, ZERO, ZERO, ZERO])
        self.products: dict[tuple, list] = defaultdict(lambda: [None, 0, ZERO])

    def add_order(self, order: Any, status: str | None, units: int, sign: int) -> None:
        figures = _sales_of(order, status, units)
        if figures is None:
            return
        key = (_get(order, "tenant_id"), day_of(_get(order, "placed_at")), _get(order, "channel"))
        row = self.sales[key]
        for index, value in enumerate(figures):
            row[index] += sign * value

    def add_lines(self, order: Any, lines: Iterable[Any], sign: int) -> None:
        """Per SKU, day and channel: `write` spreads them over weeks, months and `*`."""
        prefix = (_get(order, "tenant_id"), day_of(_get(order, "placed_at")), _get(order, "channel"))
        for line in lines:
            row = self.products[(*prefix, _get(line, "sku"))]
            row[0] = row[0] or _get(line, "variant_id")
            row[1] += sign * _get(line, "quantity")
            row[2] += sign * Decimal(_get(line, "line_total"))

    def write(self) -> None:
        rollups_changed({key[0] for key in self.sales} | {key[0] for key in self.products})
        # in key order, so that concurrent writers lock the rows they share in the same order
        sales = [(*key, *values) for key, values in sorted(self.sales.items()) if any(values)]
        _upsert(DailySales, ["tenant_id", "day", "channel"], [], list(SALES_SUMS), sales)
        products = [(*key, *values) for key, values in self.products.items() if values[1] or values[2]]
        if connection.vendor == "postgresql":
            _upsert_products_spread(products)
            return
        spread: dict[tuple, list] = defaultdict(lambda: [None, 0, ZERO])
        for tenant_id, day, channel, sku, variant_id, units, revenue in products:
            for grain, name in GRAINS.items():
                for target in (channel, ALL_CHANNELS):
                    row = spread[(tenant_id, target, grain, period_of(day, name), sku)]
                    row[0] = row[0] or variant_id
                    row[1] += units
                    row[2] += revenue
        rows = [(*key, *values) for key, values in sorted(spread.items()) if values[1] or values[2]]
        _upsert(ProductSales, PRODUCT_KEY, ["variant_id"], list(PRODUCT_SUMS), rows)


def _upsert_products_spread(rows: list[tuple]) -> None:
    """PostgreSQL: the SKU-day-channel differences become their six ProductSales rows (day,
    week, month; channel and `*`) inside the one INSERT … ON CONFLICT that adds them."""
    if not rows:
        return
    table = ProductSales._meta.db_table
    sums = ", ".join(f"{c} = {table}.{c} + EXCLUDED.{c}" for c in PRODUCT_SUMS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (tenant_id, channel, grain, day, sku, variant_id, units, revenue)
            SELECT v.tenant_id, c.channel, g.grain,
                   CASE g.grain WHEN 'd' THEN v.day ELSE date_trunc(g.unit, v.day)::date END AS period,
                   v.sku, MAX(v.variant_id), SUM(v.units), SUM(v.revenue)
              FROM unnest(%s::bigint[], %s::date[], %s::text[], %s::text[], %s::bigint[], %s::bigint[],
                          %s::numeric[]) AS v(tenant_id, day, channel, sku, variant_id, units, revenue)
             CROSS JOIN (VALUES ('d', 'day'), ('w', 'week'), ('m', 'month')) AS g(grain, unit)
             CROSS JOIN LATERAL (VALUES (v.channel), (%s)) AS c(channel)
             GROUP BY v.tenant_id, c.channel, g.grain, period, v.sku
            HAVING SUM(v.units) <> 0 OR SUM(v.revenue) <> 0
             ORDER BY 1, 2, 3, 4, 5
            ON CONFLICT (tenant_id, channel, grain, day, sku) DO UPDATE
               SET {sums}, variant_id = COALESCE({table}.variant_id, EXCLUDED.variant_id)
            """,  # noqa: S608 (model identifiers)
            [*[list(column) for column in zip(*rows, strict=True)], ALL_CHANNELS],
        )


_PG_TYPES = {"tenant_id": "bigint", "day": "date", "channel": "text", "sku": "text", "variant_id": "bigint", "grain": "text",
             "orders": "int", "units": "bigint"}  # fmt: skip


def _upsert(model: Any, keys: list[str], kept: list[str], sums: list[str], rows: list[tuple]) -> None:
    """One INSERT … ON CONFLICT (keys) DO UPDATE adding `sums` (and filling `kept` when empty)."""
    if not rows:
        return
    table = model._meta.db_table
    columns = [*keys, *kept, *sums]
    updates = [f"{c} = {table}.{c} + EXCLUDED.{c}" for c in sums]
    updates += [f"{c} = COALESCE({table}.{c}, EXCLUDED.{c})" for c in kept]
    tail = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {', '.join(updates)}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # any number of rows, one statement
            arrays = ", ".join(f"%s::{_PG_TYPES.get(c, 'numeric')}[]" for c in columns)
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) {tail}",  # noqa: S608 (model identifiers)
                [list(column) for column in zip(*rows, strict=True)],
            )
            return
        width = len(columns)
        chunk = max(1, 30_000 // width)  # under SQLite's limit of host parameters
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            values = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(part))
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values} {tail}",  # noqa: S608 (model identifiers)
                [value for row in part for value in row],
            )


# --- Called by the orders services ---------------------------------------------------


def record_order_change(order: Order, *, before: str | None, lines: Iterable[Any] | None = None) -> None:
    """Add the difference one order's change makes: `before` is the status it had (None
    for a new order, whose `lines` may be passed). Moves that change no figure
    (pending → processing → completed) cost no query."""
    after = order.status
    counted_changes = (before is None or before == OrderStatus.CANCELLED) != (after == OrderStatus.CANCELLED)
    refund_changes = (before == OrderStatus.REFUNDED) != (after == OrderStatus.REFUNDED)
    selling_changes = (before in SELLING) != (after in SELLING)
    if not (counted_changes or refund_changes or selling_changes):
        return
    if lines is None:
        lines = list(
            OrderLine.objects.filter(order_id=order.pk).values("sku", "variant_id", "quantity", "line_total")
        )
    else:
        lines = list(lines)
    units = sum(_get(line, "quantity") for line in lines)
    deltas = _Deltas()
    deltas.add_order(order, after, units, +1)
    deltas.add_order(order, before, units, -1)
    if selling_changes:
        deltas.add_lines(order, lines, +1 if after in SELLING else -1)
    deltas.write()


def record_new_orders(orders: list[dict[str, Any]], lines: list[dict[str, Any]]) -> None:
    """A bulk import's new orders (the row dicts it wrote, with their ids and lines):
    one upsert per roll-up table for the whole batch."""
    by_order: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        by_order[line["order_id"]].append(line)
    deltas = _Deltas()
    for order in orders:
        order_lines = by_order[order["id"]]
        deltas.add_order(order, order["status"], sum(line["quantity"] for line in order_lines), +1)
        if order["status"] in SELLING:
            deltas.add_lines(order, order_lines, +1)
    deltas.write()


# --- Recomputing (reports.services.rebuild writes them back) ---------------------------


MONEY = DecimalField(max_digits=14, decimal_places=2)


def sales_from_orders(order_filter: Q) -> tuple[Any, list[Any]]:
    """The roll-ups computed from raw orders: the DailySales rows, and the ProductSales
    rows of each grain and channel or all channels, as querysets of dicts named like the
    roll-up columns (`any_variant` for the variant)."""
    return daily_sales_from_orders(order_filter), product_sales_from_orders(order_filter, list(GRAINS))


def daily_sales_from_orders(order_filter: Q) -> Any:
    tz = timezone.get_default_timezone()
    money = MONEY
    zero = Value(ZERO, output_field=money)
    units = (
        OrderLine.objects.filter(order_id=OuterRef("pk"))
        .order_by()
        .values("order_id")
        .annotate(n=Sum("quantity"))
        .values("n")
    )
    refunded = Q(status=OrderStatus.REFUNDED)
    sales = (
        Order.objects.filter(order_filter)
        .exclude(status=OrderStatus.CANCELLED)
        .annotate(day=TruncDate("placed_at", tzinfo=tz), order_units=Coalesce(Subquery(units), 0))
        .order_by()
        .values("tenant_id", "day", "channel")
        .annotate(
            orders=Count("id"),
            units=Sum("order_units"),
            gross=Sum(F("subtotal") + F("shipping_total"), output_field=money),
            discounts=Sum("discount_total", output_field=money),
            refunds=Coalesce(Sum("total", filter=refunded, output_field=money), zero),
            net=Sum("total", output_field=money)
            - Coalesce(Sum("total", filter=refunded, output_field=money), zero),
        )
    )
    return sales


def product_sales_from_orders(order_filter: Q, grains: list[str]) -> list[Any]:
    tz = timezone.get_default_timezone()
    money = MONEY
    lines = OrderLine.objects.filter(
        order__in=Order.objects.filter(order_filter, status__in=SELLING).values("pk")
    )
    products = []
    for grain in grains:
        name = GRAINS[grain]
        period = (
            TruncDate("order__placed_at", tzinfo=tz)
            if grain == "d"
            else Trunc("order__placed_at", name, output_field=DateField(), tzinfo=tz)
        )
        for channel in (F("order__channel"), Value(ALL_CHANNELS)):
            products.append(
                lines.annotate(tenant_id=F("order__tenant_id"), grain=Value(grain), day=period, channel=channel)
                .order_by()
                .values("tenant_id", "channel", "grain", "day", "sku")
                .annotate(any_variant=Max("variant_id"), units=Sum("quantity"),
                          revenue=Sum("line_total", output_field=money))
            )  # fmt: skip
    return products


def product_sales_from_day_rows(row_filter: Q, grain: str, *, all_channels: bool) -> Any:
    """ProductSales rows of `grain` (or the day's all-channel rows) summed from the day rows
    of each channel: the same figures as from the orders, at a fraction of the cost."""
    days = ProductSales.objects.filter(row_filter, grain="d").exclude(channel=ALL_CHANNELS)
    period = F("day") if grain == "d" else Trunc("day", GRAINS[grain], output_field=DateField())
    channel = Value(ALL_CHANNELS) if all_channels else F("channel")
    return (
        days.annotate(period=period, target=channel, level=Value(grain))
        .order_by()
        .values("tenant_id", "target", "level", "period", "sku")
        .annotate(any_variant=Max("variant_id"), sold=Sum("units"), amount=Sum("revenue", output_field=MONEY))
    )
