"""Daily roll-ups of sales, kept by the orders services in the same transaction as the
order change (see reports.services.rollups). Reports read these, never raw orders.

An order counts on the day it was placed (in the server's TIME_ZONE) and on its channel.
Cancelled orders count nowhere; a refunded order stays counted and adds its total to
`refunds` of its placement day, so a day's figures are a function of its orders' current
state and `rebuild_rollups` always gives the same rows back.
"""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0.00")
MONEY = {"max_digits": 14, "decimal_places": 2, "default": ZERO}


class DailySales(models.Model):
    """One tenant's sales of one day on one channel."""

    tenant = models.ForeignKey(
        "accounts.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("day"))
    channel = models.CharField(_("channel"), max_length=64)
    orders = models.IntegerField(_("orders"), default=0)
    units = models.BigIntegerField(_("units"), default=0)
    gross = models.DecimalField(_("gross revenue"), **MONEY, help_text=_("Subtotal plus shipping."))
    discounts = models.DecimalField(_("discounts"), **MONEY)
    refunds = models.DecimalField(_("refunds"), **MONEY)
    net = models.DecimalField(_("net revenue"), **MONEY, help_text=_("Order totals less refunds."))

    class Meta:
        verbose_name = _("daily sales")
        verbose_name_plural = _("daily sales")
        ordering = ["-day", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "day", "channel"], name="reports_dailysales_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.channel}"


class Grain(models.TextChoices):
    DAY = "d", _("day")
    WEEK = "w", _("week (from Monday)")
    MONTH = "m", _("month")


#: the channel of ProductSales rows that sum every channel
ALL_CHANNELS = "*"


class ProductSales(models.Model):
    """Units and revenue of one SKU (orders neither cancelled nor refunded) per day, week
    and month, per channel and for all channels (`*`). A report over any range reads whole
    months, whole weeks and the odd days of it, so the top products of 90 days sum a few
    thousand rows, not one per day, channel and SKU; the days of cover read the days."""

    tenant = models.ForeignKey(
        "accounts.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    grain = models.CharField(_("period"), max_length=1, choices=Grain.choices)
    day = models.DateField(_("first day"))
    channel = models.CharField(_("channel"), max_length=64, help_text=_("* for all channels"))
    sku = models.CharField(_("SKU"), max_length=64)
    variant = models.ForeignKey(
        "catalog.Variant",
        verbose_name=_("variant"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    units = models.BigIntegerField(_("units"), default=0)
    revenue = models.DecimalField(_("revenue"), **MONEY)

    class Meta:
        verbose_name = _("product sales")
        verbose_name_plural = _("product sales")
        ordering = ["-day", "sku"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "channel", "grain", "day", "sku"], name="reports_productsales_key"
            ),
        ]
        indexes = [  # PostgreSQL reads a report's rows from the index alone (elsewhere: a plain index)
            models.Index(
                fields=["tenant", "channel", "grain", "day", "sku"],
                include=["units", "revenue", "variant"],
                name="reports_productsales_cover",
            )
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.day} {self.channel} {self.sku}"
