"""The shapes of the report answers (they also document them in the schema)."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=2, **kwargs)


def _with_range(name: str, fields: dict[str, Any]) -> type[serializers.Serializer]:
    """A serializer with `from` and `to` (not valid Python names for attributes)."""
    return type(name, (serializers.Serializer,), {"from": serializers.DateField(), "to": serializers.DateField(),
                                                  **fields})  # fmt: skip


class SalesFiguresSerializer(serializers.Serializer):
    orders = serializers.IntegerField()
    units = serializers.IntegerField()
    gross = _money()
    discounts = _money()
    refunds = _money()
    net = _money()
    average_order_value = _money()


class SalesPointSerializer(SalesFiguresSerializer):
    period = serializers.DateField(help_text=_("First day of the day, week (Monday) or month."))


class ChannelSalesSerializer(SalesFiguresSerializer):
    channel = serializers.CharField()


class TopProductSerializer(serializers.Serializer):
    sku = serializers.CharField()
    variant_id = serializers.IntegerField(allow_null=True)
    title = serializers.CharField(allow_blank=True)
    units = serializers.IntegerField()
    revenue = _money()


SalesReportSerializer = _with_range("SalesReport", {
    "group_by": serializers.ChoiceField(choices=["day", "week", "month"]),
    "channel": serializers.CharField(allow_blank=True),
    "series": SalesPointSerializer(many=True),
    "totals": SalesFiguresSerializer(),
    "channels": ChannelSalesSerializer(many=True),
    "top_products": TopProductSerializer(many=True),
})  # fmt: skip


class AccountPerformanceSerializer(serializers.Serializer):
    account_id = serializers.IntegerField()
    marketplace = serializers.CharField()
    name = serializers.CharField()
    channel = serializers.CharField()
    is_active = serializers.BooleanField()
    sync_jobs = serializers.IntegerField()
    sync_succeeded = serializers.IntegerField()
    sync_failed = serializers.IntegerField()
    sync_success_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True,
                                                 help_text=_("Percent of finished syncs that succeeded."))  # fmt: skip
    average_sync_seconds = serializers.FloatField(allow_null=True)
    last_success_at = serializers.DateTimeField(allow_null=True)
    listings = serializers.IntegerField()
    listings_in_error = serializers.IntegerField()
    orders_imported = serializers.IntegerField()
    net_revenue = _money()


class WebhookPerformanceSerializer(serializers.Serializer):
    deliveries = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    success_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)


PerformanceReportSerializer = _with_range("PerformanceReport", {
    "accounts": AccountPerformanceSerializer(many=True),
    "webhooks": WebhookPerformanceSerializer(),
})  # fmt: skip


class StockTotalsSerializer(serializers.Serializer):
    variants = serializers.IntegerField()
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()
    value_at_cost = _money()
    value_at_price = _money()
    low_stock = serializers.IntegerField()
    out_of_stock = serializers.IntegerField()
    sold_last_30_days = serializers.IntegerField()
    days_of_cover = serializers.DecimalField(max_digits=14, decimal_places=1, allow_null=True)


class WarehouseStockSerializer(serializers.Serializer):
    warehouse_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    value_at_cost = _money()
    value_at_price = _money()


class VariantStockSerializer(serializers.Serializer):
    variant_id = serializers.IntegerField()
    product_id = serializers.IntegerField()
    sku = serializers.CharField()
    title = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()
    threshold = serializers.IntegerField()
    sold_last_30_days = serializers.IntegerField()
    days_of_cover = serializers.DecimalField(max_digits=14, decimal_places=1, allow_null=True)


class InventoryReportSerializer(serializers.Serializer):
    low_stock_default = serializers.IntegerField()
    totals = StockTotalsSerializer()
    warehouses = WarehouseStockSerializer(many=True)
    low_stock = VariantStockSerializer(many=True)
    out_of_stock = VariantStockSerializer(many=True)
