"""What the admin's home page shows a tenant's operator at a glance: KPI cards, revenue
per channel over 30 days, orders by status, sync health and the low-stock list."""

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Order, OrderStatus
from reports.models import DailySales
from reports.services.inventory import inventory_report
from reports.services.performance import performance_report
from reports.services.periods import Range, cents, today
from reports.services.sales import average_order_value

DAYS = 30
LOW_STOCK_ROWS = 10


def _figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "orders": 0,
        "gross": Decimal("0"),
        "discounts": Decimal("0"),
        "net": Decimal("0"),
    }
    for row in rows:
        for name in figures:
            figures[name] += row[name] or 0
    figures = {"orders": int(figures["orders"]), **{k: cents(v) for k, v in figures.items() if k != "orders"}}
    figures["average_order_value"] = average_order_value(figures)
    return figures


def _chart_number(value: Any) -> float:
    return float(cents(value))


def dashboard(tenant_id: int) -> dict[str, Any]:
    last = today()
    span = Range(last - timedelta(days=DAYS - 1), last)
    rows = list(
        DailySales.objects.filter(tenant_id=tenant_id, day__gte=span.start, day__lte=span.end)
        .order_by().values("day", "channel")
        .annotate(orders=Sum("orders"), gross=Sum("gross"), discounts=Sum("discounts"), net=Sum("net"))
    )  # fmt: skip
    days = [span.start + timedelta(days=n) for n in range(DAYS)]
    per_channel: dict[str, dict] = defaultdict(dict)
    for row in rows:
        per_channel[row["channel"]][row["day"]] = row["net"]
    revenue_chart = {
        "type": "line",
        "labels": [day.isoformat() for day in days],
        "datasets": [
            {"label": channel, "data": [_chart_number(values.get(day)) for day in days]}
            for channel, values in sorted(per_channel.items())
        ],
    }
    tz = timezone.get_default_timezone()
    since = datetime.combine(span.start, time.min, tzinfo=tz)
    by_status = dict(
        Order.objects.filter(tenant_id=tenant_id, placed_at__gte=since)
        .order_by().values("status").annotate(n=Count("pk")).values_list("status", "n")
    )  # fmt: skip
    status_chart = {
        "type": "bar",
        "labels": [str(label) for label in OrderStatus.labels],
        "datasets": [
            {"label": str(_("orders")), "data": [by_status.get(value, 0) for value in OrderStatus.values]}
        ],
    }
    stock = inventory_report(tenant_id)
    return {
        "today": _figures([row for row in rows if row["day"] == last]),
        "last_30_days": _figures(rows),
        "revenue_chart": revenue_chart,
        "status_chart": status_chart,
        "orders_by_status": [
            {"status": value, "label": label, "orders": by_status.get(value, 0)}
            for value, label in OrderStatus.choices
        ],
        "sync_health": performance_report(tenant_id, Range(last - timedelta(days=6), last))["accounts"],
        "stock_totals": stock["totals"],
        "low_stock": (stock["out_of_stock"] + stock["low_stock"])[:LOW_STOCK_ROWS],
    }
