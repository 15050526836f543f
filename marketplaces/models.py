"""Marketplace accounts, listings, category mappings and sync jobs (one tenant each)."""

import json

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from meschain.fields import EncryptedTextField

#: errors kept per sync job; later ones are counted, not stored
MAX_JOB_ERRORS = 200


class Marketplace(models.TextChoices):
    TRENDYOL = "trendyol", _("Trendyol")
    HEPSIBURADA = "hepsiburada", _("Hepsiburada")
    N11 = "n11", _("n11")
    AMAZON = "amazon", _("Amazon")
    OZON = "ozon", _("Ozon")


class MarketplaceAccount(models.Model):
    """A tenant's seller account on one marketplace. The credentials are a JSON object
    encrypted at rest; they are never shown back, only whether they are configured."""

    tenant = models.ForeignKey(
        "accounts.Tenant",
        verbose_name=_("tenant"),
        on_delete=models.CASCADE,
        related_name="marketplace_accounts",
    )
    marketplace = models.CharField(_("marketplace"), max_length=20, choices=Marketplace.choices)
    name = models.CharField(_("name"), max_length=100)
    seller_id = models.CharField(_("seller id"), max_length=100)
    credentials = EncryptedTextField(_("credentials"), editable=False, default="")
    base_url = models.URLField(
        _("API base URL"), max_length=300, help_text=_("The marketplace's API address for this account.")
    )
    settings = models.JSONField(
        _("settings"),
        default=dict,
        blank=True,
        help_text=_(
            "markup_percent, stock_buffer, default_brand_id, brand_ids, cargo_company_id, adapter_options."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    last_catalog_sync_at = models.DateTimeField(_("last successful catalogue sync"), null=True, blank=True)
    last_stock_price_sync_at = models.DateTimeField(
        _("last successful stock and price sync"), null=True, blank=True
    )
    last_orders_sync_at = models.DateTimeField(_("last successful order pull"), null=True, blank=True)
    orders_watermark = models.DateTimeField(
        _("orders pulled up to"),
        null=True,
        blank=True,
        help_text=_("The next order pull starts here, minus an overlap buffer."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("marketplace account")
        verbose_name_plural = _("marketplace accounts")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "marketplace", "seller_id"],
                name="marketplaces_account_seller_unique",
                violation_error_message=_("This seller account is already connected."),
            ),
        ]
        indexes = [models.Index(fields=["tenant", "marketplace"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_marketplace_display()})"

    @property
    def credential_values(self) -> dict[str, str]:
        """The decrypted credentials. For adapters only: never log or serialize them."""
        return json.loads(self.credentials) if self.credentials else {}

    @property
    def credentials_configured(self) -> bool:
        return bool(self.credentials)


class ListingStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    UPDATING = "updating", _("Updating")
    SYNCED = "synced", _("Synced")
    ERROR = "error", _("Error")


class Listing(models.Model):
    """One variant offered on one marketplace account, with the marketplace's ids."""

    tenant = models.ForeignKey(
        "accounts.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    account = models.ForeignKey(
        MarketplaceAccount, verbose_name=_("account"), on_delete=models.PROTECT, related_name="listings"
    )
    variant = models.ForeignKey(
        "catalog.Variant", verbose_name=_("variant"), on_delete=models.PROTECT, related_name="listings"
    )
    external_product_id = models.CharField(_("marketplace product id"), max_length=100, blank=True)
    external_barcode = models.CharField(_("marketplace barcode"), max_length=100, blank=True)
    external_content_id = models.CharField(_("marketplace content id"), max_length=100, blank=True)
    status = models.CharField(
        _("sync status"), max_length=16, choices=ListingStatus.choices, default=ListingStatus.PENDING
    )
    last_error = models.TextField(_("last error"), blank=True, help_text=_("As the marketplace sent it."))
    last_synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    payload_hash = models.CharField(_("hash of the last payload sent"), max_length=64, blank=True)
    # A listing batch in flight: polled (not sent again) by a job that resumes.
    batch_id = models.CharField(_("batch in flight"), max_length=64, blank=True)
    sent_hash = models.CharField(_("hash of the payload in flight"), max_length=64, blank=True)
    retry_count = models.PositiveIntegerField(_("failed attempts in a row"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # Stock and price: every change bumps stock_version; a push records the version it sent.
    stock_version = models.PositiveBigIntegerField(_("stock and price version"), default=1)
    pushed_stock_version = models.PositiveBigIntegerField(_("version pushed"), default=0)
    stock_price_hash = models.CharField(_("hash of the stock and price sent"), max_length=64, blank=True)
    stock_batch_id = models.CharField(_("stock batch in flight"), max_length=64, blank=True)
    stock_sent = models.JSONField(_("stock and price in flight"), default=dict, blank=True)
    pushed_quantity = models.IntegerField(_("quantity on the marketplace"), null=True, blank=True)
    pushed_price = models.DecimalField(
        _("price on the marketplace"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    stock_pushed_at = models.DateTimeField(_("stock and price last accepted"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        ordering = ["account_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "variant"],
                name="marketplaces_listing_unique",
                violation_error_message=_("This variant is already listed on this account."),
            ),
            models.CheckConstraint(
                condition=~Q(status="error") | ~Q(last_error=""), name="marketplaces_listing_error_has_text"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "status"]),
            models.Index(fields=["tenant", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.variant} @ {self.account.name}"

    def clean(self) -> None:
        if self.account_id and self.variant_id and self.account.tenant_id != self.variant.tenant_id:
            raise ValidationError({"variant": _("Pick a variant of the account's own catalogue.")})


class CategoryMapping(models.Model):
    """Our category → the marketplace's category, with the attribute values it requires."""

    tenant = models.ForeignKey(
        "accounts.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    account = models.ForeignKey(
        MarketplaceAccount,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="category_mappings",
    )
    category = models.ForeignKey(
        "catalog.Category", verbose_name=_("our category"), on_delete=models.CASCADE, related_name="+"
    )
    marketplace_category_id = models.CharField(_("marketplace category id"), max_length=64)
    marketplace_category_name = models.CharField(_("marketplace category name"), max_length=300, blank=True)
    attribute_values = models.JSONField(
        _("attribute values"),
        default=dict,
        blank=True,
        help_text=_("Marketplace attribute id → value id or text."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("category mapping")
        verbose_name_plural = _("category mappings")
        ordering = ["account_id", "category_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "category"],
                name="marketplaces_category_mapping_unique",
                violation_error_message=_("This category is already mapped for this account."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} → {self.marketplace_category_name or self.marketplace_category_id}"

    def clean(self) -> None:
        if self.account_id and self.category_id and self.account.tenant_id != self.category.tenant_id:
            raise ValidationError({"category": _("Pick a category of the account's own catalogue.")})


class SyncKind(models.TextChoices):
    CATALOG = "catalog", _("Catalogue")
    STOCK_PRICE = "stock_price", _("Stock and prices")
    ORDERS = "orders", _("Orders")
    FULL = "full", _("Full")


class SyncState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    PARTIAL = "partial", _("Partly failed")
    FAILED = "failed", _("Failed")


ACTIVE_SYNC_STATES = (SyncState.QUEUED, SyncState.RUNNING)


class SyncJob(models.Model):
    """One sync run of one account: what the API and the admin show as progress."""

    tenant = models.ForeignKey(
        "accounts.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    account = models.ForeignKey(
        MarketplaceAccount, verbose_name=_("account"), on_delete=models.CASCADE, related_name="sync_jobs"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=SyncKind.choices)
    state = models.CharField(_("state"), max_length=16, choices=SyncState.choices, default=SyncState.QUEUED)
    total = models.PositiveIntegerField(_("items in total"), default=0)
    done = models.PositiveIntegerField(_("items done"), default=0)
    failed = models.PositiveIntegerField(_("items failed"), default=0)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    started_by = models.CharField(_("started by"), max_length=200, blank=True)
    errors = models.JSONField(
        _("errors"),
        default=list,
        blank=True,
        help_text=_("Per item, as the marketplace sent them (the first 200)."),
    )
    worker = models.CharField(_("worker"), max_length=200, blank=True)
    runs = models.PositiveIntegerField(
        _("runs"), default=0, help_text=_("How many times a worker took this job (more than one: resumed).")
    )
    stage = models.CharField(_("stage"), max_length=32, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    requests = models.PositiveIntegerField(_("requests sent"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("sync job")
        verbose_name_plural = _("sync jobs")
        ordering = ["-id"]
        constraints = [
            # One queued or running job per account and kind, whoever asks and however fast.
            models.UniqueConstraint(
                fields=["account", "kind"],
                condition=Q(state__in=["queued", "running"]),
                name="marketplaces_syncjob_one_active_per_kind",
                violation_error_message=_(
                    "A sync of this kind is already queued or running for this account."
                ),
            ),
        ]
        indexes = [models.Index(fields=["account", "-id"]), models.Index(fields=["tenant", "state"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_state_display()})"

    @property
    def percent(self) -> int:
        """Items processed (done or failed) of the total, 0–100; 100 once finished."""
        if self.state not in ACTIVE_SYNC_STATES:
            return 100
        if not self.total:
            return 0
        return min(100, (self.done + self.failed) * 100 // self.total)

    @property
    def processed(self) -> int:
        return self.done + self.failed


class PushState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class StatusPush(models.Model):
    """Our change of a marketplace order's status, to be sent to the marketplace: retried
    with back-off until it is accepted or refused."""

    tenant = models.ForeignKey(
        "accounts.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    account = models.ForeignKey(
        MarketplaceAccount, verbose_name=_("account"), on_delete=models.CASCADE, related_name="status_pushes"
    )
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.CASCADE, related_name="status_pushes"
    )
    status = models.CharField(_("marketplace status to send"), max_length=32)
    state = models.CharField(_("state"), max_length=16, choices=PushState.choices, default=PushState.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("order status push")
        verbose_name_plural = _("order status pushes")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "status"], name="marketplaces_statuspush_unique"),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.order} → {self.status} ({self.get_state_display()})"
