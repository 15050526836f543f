from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from catalog.models import (
    Brand,
    Category,
    MovementReason,
    Product,
    ProductImage,
    ProductStatus,
    StockLevel,
    StockMovement,
    Variant,
    Warehouse,
)
from catalog.services.bulk import MAX_ROWS, POLICIES
from meschain.api.serializers import StrictSerializer

MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0")}


# --- Output ---------------------------------------------------------------------


class BrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = ["id", "name", "slug"]
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug", "parent", "path", "position"]
        read_only_fields = fields


class WarehouseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = ["id", "code", "name", "is_default", "is_active"]
        read_only_fields = fields


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class VariantSerializer(serializers.ModelSerializer):
    available = serializers.SerializerMethodField()

    class Meta:
        model = Variant
        fields = [
            "id", "sku", "barcode", "name", "price", "compare_at_price", "cost", "vat_rate",
            "weight_grams", "attributes", "is_active", "low_stock_threshold", "available",
        ]  # fmt: skip
        read_only_fields = fields

    def get_available(self, variant: Variant) -> int:
        """On hand minus reserved, over all warehouses."""
        return self.context.get("available", {}).get(variant.pk, 0)

    def to_representation(self, instance: Variant) -> dict[str, Any]:
        data = super().to_representation(instance)
        if self.context.get("storefront"):
            data.pop("cost", None)
            data.pop("low_stock_threshold", None)
        return data


class ProductImageSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductImage
        fields = ["id", "image", "thumbnail", "alt_text", "position"]
        read_only_fields = fields


class ProductSerializer(serializers.ModelSerializer):
    brand = RefSerializer(read_only=True, allow_null=True)
    category = RefSerializer(read_only=True, allow_null=True)
    variants = serializers.SerializerMethodField()
    images = ProductImageSerializer(many=True, read_only=True)
    available = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id", "title", "description", "status", "brand", "category", "attributes", "variants",
            "images", "available", "created_at", "updated_at", "published_at",
        ]  # fmt: skip
        read_only_fields = fields

    def _variants(self, product: Product) -> list[Variant]:
        variants = list(product.variants.all())
        if self.context.get("storefront"):
            variants = [v for v in variants if v.is_active]
        return variants

    def get_variants(self, product: Product) -> list[dict[str, Any]]:
        return VariantSerializer(self._variants(product), many=True, context=self.context).data

    def get_available(self, product: Product) -> int:
        """Available units of all its variants."""
        available = self.context.get("available", {})
        return sum(max(available.get(v.pk, 0), 0) for v in self._variants(product))


class StockLevelSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="variant.sku")
    product_id = serializers.IntegerField(source="variant.product_id")
    title = serializers.CharField(source="variant.product.title")
    warehouse = WarehouseSerializer()
    available = serializers.IntegerField(source="available_units")

    class Meta:
        model = StockLevel
        fields = [
            "id",
            "variant",
            "sku",
            "product_id",
            "title",
            "warehouse",
            "on_hand",
            "reserved",
            "available",
            "updated_at",
        ]
        read_only_fields = fields


class StockMovementSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="variant.sku")
    warehouse = serializers.CharField(source="warehouse.code")

    class Meta:
        model = StockMovement
        fields = [
            "id", "variant", "sku", "warehouse", "on_hand_delta", "reserved_delta", "on_hand_after",
            "reserved_after", "reason", "reference", "note", "actor_label", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


# --- Input ----------------------------------------------------------------------


class VariantInputSerializer(StrictSerializer):
    sku = serializers.CharField(max_length=64)
    barcode = serializers.CharField(max_length=14, required=False, allow_null=True, allow_blank=True)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    price = serializers.DecimalField(**MONEY)
    compare_at_price = serializers.DecimalField(**MONEY, required=False, allow_null=True)
    cost = serializers.DecimalField(**MONEY, required=False, allow_null=True)
    vat_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    weight_grams = serializers.IntegerField(
        min_value=0, max_value=10_000_000, required=False, allow_null=True
    )
    attributes = serializers.DictField(required=False)
    is_active = serializers.BooleanField(required=False)
    low_stock_threshold = serializers.IntegerField(
        min_value=0,
        max_value=1_000_000,
        required=False,
        allow_null=True,
        help_text=_("Available units at or below which the variant is low on stock (null: the default)."),
    )


class ProductInputSerializer(StrictSerializer):
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    brand_id = serializers.IntegerField(required=False, allow_null=True)
    category_id = serializers.IntegerField(required=False, allow_null=True)
    attributes = serializers.DictField(required=False)
    variants = VariantInputSerializer(many=True, allow_empty=False, max_length=500)


class ProductUpdateSerializer(ProductInputSerializer):
    title = serializers.CharField(max_length=300, required=False)
    variants = VariantInputSerializer(many=True, required=False, max_length=500)


class StatusInputSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=ProductStatus.choices)


class BulkInputSerializer(StrictSerializer):
    rows = serializers.ListField(
        child=serializers.DictField(),
        max_length=MAX_ROWS,
        allow_empty=False,
        help_text=_(
            "Rows matched by sku: sku, title (new products), price, description, brand, category, barcode, "
            "name, compare_at_price, cost, vat_rate, weight_grams, attributes, low_stock_threshold, "
            "product_key, stock."
        ),
    )
    policy = serializers.ChoiceField(choices=POLICIES, default="reject")


class BulkRowResultSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    sku = serializers.CharField()
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged", "error"])
    errors = serializers.DictField(required=False)
    product_id = serializers.IntegerField(required=False)
    variant_id = serializers.IntegerField(required=False)


class BulkResultSerializer(serializers.Serializer):
    applied = serializers.BooleanField()
    counts = serializers.DictField(child=serializers.IntegerField())
    rows = BulkRowResultSerializer(many=True)


class NamedInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=200, required=False, allow_unicode=True)


class CategoryInputSerializer(NamedInputSerializer):
    parent = serializers.IntegerField(required=False, allow_null=True)
    position = serializers.IntegerField(required=False, min_value=0, default=0)


class WarehouseInputSerializer(StrictSerializer):
    code = serializers.SlugField(max_length=32)
    name = serializers.CharField(max_length=200)
    is_default = serializers.BooleanField(default=False)
    is_active = serializers.BooleanField(default=True)


class AdjustInputSerializer(StrictSerializer):
    sku = serializers.CharField(max_length=64, required=False)
    variant_id = serializers.IntegerField(required=False)
    warehouse_id = serializers.IntegerField(required=False)
    delta = serializers.IntegerField(required=False, min_value=-1_000_000, max_value=1_000_000)
    quantity = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)
    reason = serializers.ChoiceField(
        choices=[MovementReason.MANUAL, MovementReason.RETURN, MovementReason.IMPORT],
        default=MovementReason.MANUAL,
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("sku" in attrs) == ("variant_id" in attrs):
            raise serializers.ValidationError({"sku": [_("Give either sku or variant_id.")]})
        if ("delta" in attrs) == ("quantity" in attrs):
            raise serializers.ValidationError({"delta": [_("Give either delta or quantity.")]})
        return attrs
