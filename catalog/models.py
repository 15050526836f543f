from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class TenantOwned(models.Model):
    tenant = models.ForeignKey(
        "accounts.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        abstract = True


class Category(TenantOwned):
    """A node of the tenant's category tree. `path` ("/1/4/9/") lets a filter take a
    category with all its descendants in one indexed prefix query."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, allow_unicode=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=500, editable=False, db_index=True, default="")
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["path", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="catalog_category_slug_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Brand(TenantOwned):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, allow_unicode=True)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "slug"], name="catalog_brand_slug_unique")]

    def __str__(self) -> str:
        return self.name


class ProductStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Product(TenantOwned):
    """What a customer sees: a title, a description, images; sold as one or more variants."""

    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    brand = models.ForeignKey(
        Brand,
        verbose_name=_("brand"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ProductStatus.choices, default=ProductStatus.DRAFT, db_index=True
    )
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "status", "-updated_at"], name="catalog_product_listing"),
        ]

    def __str__(self) -> str:
        return self.title


class Variant(TenantOwned):
    """The thing that is sold and stocked: one SKU."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="variants"
    )
    sku = models.CharField(_("SKU"), max_length=64)
    barcode = models.CharField(_("barcode (GTIN)"), max_length=14, null=True, blank=True)
    name = models.CharField(_("variant name"), max_length=200, blank=True, help_text=_("e.g. “Red / XL”"))
    price = models.DecimalField(
        _("price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    compare_at_price = models.DecimalField(
        _("compare-at price"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    cost = models.DecimalField(
        _("cost"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    vat_rate = models.DecimalField(
        _("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal("20.00")
    )
    weight_grams = models.PositiveIntegerField(_("weight (g)"), null=True, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    low_stock_threshold = models.PositiveIntegerField(
        _("low-stock threshold"),
        null=True,
        blank=True,
        help_text=_("Available units at or below which the variant is low on stock (empty: the default)."),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["product_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "sku"],
                name="catalog_variant_sku_unique",
                violation_error_message=_("A variant with this SKU already exists."),
            ),
            models.UniqueConstraint(
                fields=["tenant", "barcode"],
                condition=Q(barcode__isnull=False),
                name="catalog_variant_barcode_unique",
                violation_error_message=_("A variant with this barcode already exists."),
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="catalog_variant_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.sku


class Warehouse(TenantOwned):
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    is_default = models.BooleanField(_("default"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="catalog_warehouse_code_unique"),
            models.UniqueConstraint(
                fields=["tenant"], condition=Q(is_default=True), name="catalog_warehouse_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StockLevel(TenantOwned):
    """Stock of one variant in one warehouse. Changed only by catalog.services.stock."""

    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), on_delete=models.CASCADE, related_name="stock_levels"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="stock_levels"
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.UniqueConstraint(fields=["variant", "warehouse"], name="catalog_stock_one_per_warehouse"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="catalog_stock_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="catalog_stock_reserved_not_negative"),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="catalog_stock_reserved_within"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id}@{self.warehouse_id}: {self.on_hand}/{self.reserved}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class MovementReason(models.TextChoices):
    ORDER_RESERVE = "order_reserve", _("Order reserved")
    ORDER_RELEASE = "order_release", _("Order released")
    ORDER_FULFIL = "order_fulfil", _("Order fulfilled")
    MANUAL = "manual", _("Manual adjustment")
    RETURN = "return", _("Return")
    IMPORT = "import", _("Import")
    MARKETPLACE = "marketplace", _("Marketplace")
    ONE_C = "1c", _("1C:Enterprise")


class StockMovement(TenantOwned):
    """The stock ledger: every change of on_hand or reserved, with who and why."""

    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), on_delete=models.CASCADE, related_name="movements"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    on_hand_delta = models.IntegerField(_("on-hand change"))
    reserved_delta = models.IntegerField(_("reserved change"))
    on_hand_after = models.IntegerField(_("on hand after"))
    reserved_after = models.IntegerField(_("reserved after"))
    reason = models.CharField(_("reason"), max_length=32, choices=MovementReason.choices)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("by (label)"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-id"]
        indexes = [models.Index(fields=["variant", "warehouse", "id"], name="catalog_movement_ledger")]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.on_hand_delta:+d}/{self.reserved_delta:+d}"


def _image_path(instance: "ProductImage", filename: str) -> str:
    return f"products/{instance.tenant_id}/{instance.product_id}/{filename}"


class ProductImage(TenantOwned):
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="images"
    )
    image = models.ImageField(_("image"), upload_to=_image_path)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=_image_path, blank=True, editable=False)
    alt_text = models.CharField(_("alt text"), max_length=300, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("product image")
        verbose_name_plural = _("product images")
        ordering = ["product_id", "position", "id"]

    def __str__(self) -> str:
        return self.alt_text or self.image.name
