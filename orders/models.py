from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0.00")
MONEY = {"max_digits": 12, "decimal_places": 2}


class Customer(models.Model):
    """A buyer, matched by email within the tenant."""

    tenant = models.ForeignKey(
        "accounts.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    email = models.EmailField(_("email"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "email"], name="orders_customer_email_unique")
        ]

    def __str__(self) -> str:
        return self.name or self.email


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PROCESSING = "processing", _("Processing")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


class StockPolicy(models.TextChoices):
    RESERVE = "reserve", _("Reserve stock (refuse if short)")
    SKIP = "skip", _("Do not touch stock")
    FORCE = "force", _("Reserve what is there, flag the rest")


class OrderNumberSequence(models.Model):
    """The last order number given out per tenant (incremented under a row lock)."""

    tenant = models.OneToOneField(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    last = models.PositiveBigIntegerField(default=1000)

    class Meta:
        verbose_name = _("order number sequence")
        verbose_name_plural = _("order number sequences")

    def __str__(self) -> str:
        return str(self.last)


class Order(models.Model):
    tenant = models.ForeignKey(
        "accounts.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    number = models.CharField(_("number"), max_length=32)
    channel = models.CharField(
        _("channel"),
        max_length=64,
        db_index=True,
        help_text=_("storefront, manual, import, or a marketplace account such as trendyol:3"),
    )
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    marketplace_status = models.CharField(_("marketplace status"), max_length=64, blank=True)
    tracking_number = models.CharField(
        _("tracking number"), max_length=100, blank=True,
        help_text=_("The parcel's tracking number, given when the order ships; marketplaces that confirm shipments "
                    "(Amazon) receive it."),
    )
    currency = models.CharField(_("currency"), max_length=3, default="TRY")
    subtotal = models.DecimalField(_("subtotal"), **MONEY, default=ZERO)
    shipping_total = models.DecimalField(_("shipping"), **MONEY, default=ZERO)
    discount_total = models.DecimalField(_("discount"), **MONEY, default=ZERO)
    tax_total = models.DecimalField(_("tax"), **MONEY, default=ZERO)
    total = models.DecimalField(_("total"), **MONEY, default=ZERO)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    shipping_address = models.JSONField(_("shipping address"), default=dict, blank=True)
    billing_address = models.JSONField(_("billing address"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    needs_attention = models.BooleanField(_("needs attention"), default=False, db_index=True)
    attention_reason = models.CharField(_("why it needs attention"), max_length=300, blank=True)
    stock_policy = models.CharField(
        _("stock policy"), max_length=16, choices=StockPolicy.choices, default=StockPolicy.RESERVE
    )
    placed_at = models.DateTimeField(_("placed"), db_index=True)
    source_updated_at = models.DateTimeField(_("updated at the source"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="orders_order_number_unique"),
            models.UniqueConstraint(
                fields=["tenant", "channel", "external_id"],
                condition=Q(external_id__isnull=False),
                name="orders_order_external_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "-placed_at"], name="orders_order_listing"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.Variant",
        verbose_name=_("variant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="order_lines",
        help_text=_("Empty when the SKU matched nothing in the catalogue."),
    )
    warehouse = models.ForeignKey(
        "catalog.Warehouse",
        verbose_name=_("warehouse"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sku = models.CharField(_("SKU"), max_length=64)
    title = models.CharField(_("title"), max_length=300, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    line_total = models.DecimalField(_("line total"), **MONEY)
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2, default=ZERO)
    tax_amount = models.DecimalField(_("tax"), **MONEY, default=ZERO)
    reserved = models.BooleanField(_("stock reserved"), default=False)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order_id", "id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"


class OrderEvent(models.Model):
    """The order's timeline: every status change and note, with who and when."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS = "status", _("Status changed")
        NOTE = "note", _("Note")
        IMPORT = "import", _("Updated by import")

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("by (label)"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["order_id", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.from_status}→{self.to_status}".strip()


class OrderNeedingAttention(Order):
    """The admin's list of flagged orders (unknown SKUs, stock that could not be
    reserved): the same rows as Order, a list of their own."""

    class Meta:
        proxy = True
        verbose_name = _("order needing attention")
        verbose_name_plural = _("orders needing attention")
