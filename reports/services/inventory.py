"""The inventory report: what the stock is worth (at cost and at price), where it is,
what is low or gone, and how many days it lasts at the last 30 days' pace of sales
(read from the product roll-ups)."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, ExpressionWrapper, F, IntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce

from accounts.services.store import low_stock_default
from catalog.models import StockLevel, Variant
from reports.services.periods import Range, cents, today
from reports.services.sales import product_sales_in

COVER_DAYS = 30
#: the longest low-stock and out-of-stock lists a report gives (their counts are exact)
MAX_LISTED = 200


def _variants_with_stock(tenant_id: int, default_threshold: int) -> Any:
    """The tenant's active variants with their stock and threshold: their own, else the
    tenant's default, else the platform's (`default_threshold`: the last two resolved)."""
    default = Value(default_threshold, output_field=IntegerField())
    return (
        Variant.objects.filter(tenant_id=tenant_id, is_active=True)
        .annotate(
            on_hand=Coalesce(Sum("stock_levels__on_hand"), 0),
            reserved=Coalesce(Sum("stock_levels__reserved"), 0),
            threshold=Coalesce("low_stock_threshold", default),
        )
        .annotate(available=F("on_hand") - F("reserved"))
    )


def _last_30_days() -> Range:
    last = today()
    return Range(last - timedelta(days=COVER_DAYS - 1), last)


def _sold_per_day(tenant_id: int, variant_ids: list[int]) -> dict[int, Decimal]:
    """Units a day over the last 30 days, per variant."""
    rows = (
        product_sales_in(tenant_id, _last_30_days())
        .filter(variant_id__in=variant_ids)
        .order_by()
        .values("variant_id")
        .annotate(units=Sum("units"))
    )
    return {row["variant_id"]: Decimal(row["units"] or 0) / COVER_DAYS for row in rows}


def days_of_cover(available: int, per_day: Decimal | None) -> Decimal | None:
    """How many days `available` units last at `per_day` (None: nothing sold lately)."""
    if not per_day:
        return None
    return (Decimal(max(available, 0)) / per_day).quantize(Decimal("0.1"))


def _listed(tenant_id: int, queryset: Any) -> list[dict[str, Any]]:
    rows = list(
        queryset.order_by("available", "sku").values(
            "pk",
            "sku",
            "name",
            "product_id",
            "product__title",
            "on_hand",
            "reserved",
            "available",
            "threshold",
        )[:MAX_LISTED]
    )
    pace = _sold_per_day(tenant_id, [row["pk"] for row in rows])
    return [
        {
            "variant_id": row["pk"],
            "sku": row["sku"],
            "product_id": row["product_id"],
            "title": row["product__title"],
            "name": row["name"],
            "on_hand": row["on_hand"],
            "reserved": row["reserved"],
            "available": row["available"],
            "threshold": row["threshold"],
            "sold_last_30_days": int((pace.get(row["pk"]) or 0) * COVER_DAYS),
            "days_of_cover": days_of_cover(row["available"], pace.get(row["pk"])),
        }
        for row in rows
    ]


def inventory_report(tenant_id: int) -> dict[str, Any]:
    money = DecimalField(max_digits=18, decimal_places=2)
    at_cost = ExpressionWrapper(
        F("on_hand") * Coalesce(F("variant__cost"), Value(Decimal("0"))), output_field=money
    )
    at_price = ExpressionWrapper(F("on_hand") * F("variant__price"), output_field=money)
    levels = StockLevel.objects.filter(tenant_id=tenant_id, variant__is_active=True)
    per_warehouse = list(
        levels.order_by()
        .values("warehouse_id", "warehouse__code", "warehouse__name")
        .annotate(
            value_at_cost=Sum(at_cost),
            value_at_price=Sum(at_price),
            units=Sum("on_hand"),
            held=Sum("reserved"),
        )
        .order_by("warehouse__code")
    )
    totals = {"on_hand": 0, "reserved": 0, "value_at_cost": Decimal("0"), "value_at_price": Decimal("0")}
    warehouses = []
    for row in per_warehouse:
        item = {
            "warehouse_id": row["warehouse_id"],
            "code": row["warehouse__code"],
            "name": row["warehouse__name"],
            "on_hand": row["units"] or 0,
            "reserved": row["held"] or 0,
            "value_at_cost": cents(row["value_at_cost"]),
            "value_at_price": cents(row["value_at_price"]),
        }
        warehouses.append(item)
        for name in totals:
            totals[name] += item[name]
    default_threshold = low_stock_default(tenant_id)
    variants = _variants_with_stock(tenant_id, default_threshold)
    out = variants.filter(available__lte=0)
    low = variants.filter(Q(available__gt=0) & Q(available__lte=F("threshold")))
    total_units = totals["on_hand"] - totals["reserved"]
    sold = (
        product_sales_in(tenant_id, _last_30_days())
        .filter(variant__isnull=False)
        .aggregate(units=Sum("units"))["units"]
        or 0
    )
    return {
        "low_stock_default": default_threshold,
        "totals": {
            **totals,
            "available": total_units,
            "value_at_cost": cents(totals["value_at_cost"]),
            "value_at_price": cents(totals["value_at_price"]),
            "variants": variants.count(),
            "low_stock": low.count(),
            "out_of_stock": out.count(),
            "sold_last_30_days": int(sold),
            "days_of_cover": days_of_cover(total_units, Decimal(sold) / COVER_DAYS if sold else None),
        },
        "warehouses": warehouses,
        "low_stock": _listed(tenant_id, low),
        "out_of_stock": _listed(tenant_id, out),
    }
