from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from meschain.api.serializers import StrictSerializer
from orders.models import Customer, Order, OrderEvent, OrderLine, OrderStatus, StockPolicy

MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0")}


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "email", "name", "phone"]
        read_only_fields = fields


class OrderLineSerializer(serializers.ModelSerializer):
    matched = serializers.SerializerMethodField()

    class Meta:
        model = OrderLine
        fields = ["id", "sku", "title", "variant", "matched", "quantity", "unit_price", "line_total", "tax_rate",
                  "tax_amount", "reserved"]  # fmt: skip
        read_only_fields = fields

    def get_matched(self, line: OrderLine) -> bool:
        """Whether the SKU matched a catalogue variant."""
        return line.variant_id is not None


class OrderEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderEvent
        fields = ["id", "kind", "from_status", "to_status", "note", "actor_label", "created_at"]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    customer = CustomerSerializer(read_only=True, allow_null=True)
    next_statuses = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id", "number", "channel", "external_id", "status", "marketplace_status", "tracking_number", "next_statuses", "currency",
            "subtotal", "shipping_total", "discount_total", "tax_total", "total", "customer", "needs_attention",
            "attention_reason", "placed_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_next_statuses(self, order: Order) -> list[str]:
        from orders.services import next_statuses

        return next_statuses(order)


class OrderDetailSerializer(OrderSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)
    events = OrderEventSerializer(many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [
            *OrderSerializer.Meta.fields,
            "shipping_address",
            "billing_address",
            "notes",
            "lines",
            "events",
        ]
        read_only_fields = fields


class LineInputSerializer(StrictSerializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)


class CustomerInputSerializer(StrictSerializer):
    email = serializers.EmailField()
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)


class OrderInputSerializer(StrictSerializer):
    lines = LineInputSerializer(many=True, allow_empty=False, max_length=500)
    customer = CustomerInputSerializer(required=False)
    shipping_address = serializers.DictField(required=False)
    billing_address = serializers.DictField(required=False)
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, default="TRY")
    shipping_total = serializers.DecimalField(**MONEY, required=False)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    external_id = serializers.CharField(
        max_length=100, required=False, help_text=_("The storefront's own order id.")
    )


class StatusChangeSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    restock = serializers.BooleanField(
        required=False, default=False, help_text=_("On refund: put the goods back.")
    )
    tracking_number = serializers.CharField(
        max_length=100, required=False, allow_blank=True,
        help_text=_("The parcel's tracking number, kept on the order (Amazon needs it to confirm a shipment)."),
    )


class NoteSerializer(StrictSerializer):
    note = serializers.CharField(max_length=5000)


class ImportQuerySerializer(StrictSerializer):
    channel = serializers.RegexField(r"^[a-z0-9_-]+(:[A-Za-z0-9_-]+)?$", max_length=64, default="import")
    stock_policy = serializers.ChoiceField(choices=StockPolicy.choices, default=StockPolicy.RESERVE)


class ImportResultSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    external_id = serializers.CharField()
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged", "error"])
    order_id = serializers.IntegerField(required=False)
    number = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
    errors = serializers.DictField(required=False)


class ImportSummarySerializer(serializers.Serializer):
    counts = serializers.DictField(child=serializers.IntegerField())
    rows = ImportResultSerializer(many=True)
