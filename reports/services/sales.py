"""The sales report: a series per day, week or month, totals, average order value and
top products — read from the daily roll-ups only (a handful of small queries)."""

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q

from catalog.models import Product, Variant
from reports.models import ALL_CHANNELS, DailySales, ProductSales
from reports.services.cache import cached_report
from reports.services.periods import Range, cents, decompose, period_of, periods

SUMS = ("orders", "units", "gross", "discounts", "refunds", "net")
MONEY = ("gross", "discounts", "refunds", "net")
TOP_PRODUCTS = 10


def _figures(row: dict[str, Any] | None = None) -> dict[str, Any]:
    row = row or {}
    figures: dict[str, Any] = {
        "orders": int(row.get("orders") or 0),
        "units": int(row.get("units") or 0),
        **{name: cents(row.get(name)) for name in MONEY},
    }
    figures["average_order_value"] = average_order_value(figures)
    return figures


def average_order_value(figures: dict[str, Any]) -> Decimal:
    """What an order comes to on average: (gross − discounts) ÷ orders."""
    if not figures["orders"]:
        return cents(0)
    return cents((figures["gross"] - figures["discounts"]) / figures["orders"])


def _add(into: dict[str, Any], row: dict[str, Any]) -> None:
    for name in SUMS:
        into[name] = into.get(name, 0) + (row.get(name) or 0)


def product_sales_in(tenant_id: int, span: Range, channel: str = "") -> Any:
    """The ProductSales rows that add up to `span` exactly: its whole months, whole weeks
    and odd days, of one channel or of all."""
    covering = Q()
    for grain, firsts in decompose(span).items():
        if firsts:
            covering |= Q(grain=grain, day__in=firsts)
    return ProductSales.objects.filter(covering, tenant_id=tenant_id, channel=channel or ALL_CHANNELS)


def top_products(tenant_id: int, span: Range, channel: str = "", limit: int = TOP_PRODUCTS) -> list[dict]:
    """The best sellers of `span` by revenue, summed from the ProductSales rows that cover
    it. One index-only range scan per grain (UNION ALL; an OR of the three would make the
    planner visit the table), then one small aggregate."""
    table = ProductSales._meta.db_table
    parts, params = [], []
    for grain, firsts in decompose(span).items():
        if firsts:
            parts.append(
                f"SELECT sku, units, revenue, variant_id FROM {table} WHERE tenant_id = %s AND channel = %s"  # noqa: S608 (model identifiers and placeholders only)
                f" AND grain = %s AND day IN ({', '.join(['%s'] * len(firsts))})"
            )
            params += [tenant_id, channel or ALL_CHANNELS, grain, *firsts]
    top = (
        f"SELECT sku, SUM(units) AS sold, SUM(revenue) AS amount, MAX(variant_id) AS variant_id"  # noqa: S608 (placeholders only)
        f" FROM ({' UNION ALL '.join(parts)}) AS covering"
        " GROUP BY sku HAVING SUM(units) > 0 ORDER BY 3 DESC, 1 LIMIT %s"
    )
    variants, products = Variant._meta.db_table, Product._meta.db_table
    sql = (
        f"SELECT t.sku, t.sold, t.amount, t.variant_id, p.title FROM ({top}) AS t"  # noqa: S608 (model identifiers)
        f" LEFT JOIN {variants} v ON v.id = t.variant_id AND v.tenant_id = %s"
        f" LEFT JOIN {products} p ON p.id = v.product_id ORDER BY t.amount DESC, t.sku"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit, tenant_id])
        return [
            {
                "sku": sku,
                "variant_id": variant,
                "title": title or "",
                "units": int(sold),
                "revenue": cents(amount),
            }
            for sku, sold, amount, variant, title in cursor.fetchall()
        ]


def sales_report(tenant_id: int, span: Range, *, group_by: str = "day", channel: str = "") -> dict[str, Any]:
    """The sales report of `span`: from the cache while the tenant's roll-ups are unchanged."""
    return cached_report(
        tenant_id,
        ("sales", span.start, span.end, group_by, channel),
        lambda: compute_sales_report(tenant_id, span, group_by=group_by, channel=channel),
    )


def compute_sales_report(
    tenant_id: int, span: Range, *, group_by: str = "day", channel: str = ""
) -> dict[str, Any]:
    """The sales report read from the roll-ups: the daily rows of the span and its top products."""
    rollups = DailySales.objects.filter(tenant_id=tenant_id, day__gte=span.start, day__lte=span.end)
    if channel:
        rollups = rollups.filter(channel=channel)
    series: dict[date, dict[str, Any]] = defaultdict(dict)
    per_channel: dict[str, dict[str, Any]] = defaultdict(dict)
    totals: dict[str, Any] = {}
    for row in rollups.order_by().values("day", "channel", *SUMS):  # one row a day and channel
        _add(series[period_of(row["day"], group_by)], row)
        _add(per_channel[row["channel"]], row)
        _add(totals, row)
    return {
        "from": span.start,
        "to": span.end,
        "group_by": group_by,
        "channel": channel,
        "series": [{"period": period, **_figures(series.get(period))} for period in periods(span, group_by)],
        "totals": _figures(totals),
        "channels": [
            {"channel": name, **_figures(row)}
            for name, row in sorted(per_channel.items())
            if any(row.values())
        ],
        "top_products": top_products(tenant_id, span, channel),
    }
