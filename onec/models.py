"""1C:Enterprise exchange: the accounts 1C logs in with, each exchange run, and the
map from 1C's ids (groups, products, offers, warehouses…) to our rows."""

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.utils.translation import gettext_lazy as _


class MissingProducts(models.TextChoices):
    ARCHIVE = "archive", _("Archive them")
    KEEP = "keep", _("Leave them as they are")


class ReplyEncoding(models.TextChoices):
    UTF8 = "utf-8", _("UTF-8")
    CP1251 = "windows-1251", _("Windows-1251")


def default_status_map() -> dict[str, str]:
    return {"[F] Выполнен": "completed", "Выполнен": "completed", "Закрыт": "completed"}


class OneCExchange(models.Model):
    """One 1C:Enterprise instance of a tenant: the login it uses, what it may exchange
    and how its data maps onto ours."""

    tenant = models.ForeignKey(
        "accounts.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200, default="1C:Enterprise")
    username = models.CharField(_("username"), max_length=150, unique=True)
    password = models.CharField(_("password (hashed)"), max_length=200, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    catalog_enabled = models.BooleanField(_("import the catalogue"), default=True)
    orders_enabled = models.BooleanField(_("exchange orders"), default=True)
    price_type = models.CharField(
        _("price type"),
        max_length=200,
        blank=True,
        help_text=_("Name or id of the 1C price type used as our price; empty: the first one in the file."),
    )
    warehouse_map = models.JSONField(
        _("warehouse mapping"),
        default=dict,
        blank=True,
        help_text=_("1C warehouse id → our warehouse code. Unmapped 1C warehouses get a warehouse of their own."),
    )
    missing_products = models.CharField(
        _("products a full import does not mention"),
        max_length=16,
        choices=MissingProducts.choices,
        default=MissingProducts.ARCHIVE,
    )
    publish_new_products = models.BooleanField(_("publish new products"), default=True)
    reply_encoding = models.CharField(
        _("reply encoding"), max_length=16, choices=ReplyEncoding.choices, default=ReplyEncoding.UTF8
    )
    status_map = models.JSONField(
        _("status mapping"),
        default=default_status_map,
        blank=True,
        help_text=_("1C order status → our status (pending, processing, completed, cancelled, refunded)."),
    )
    orders_confirmed_at = models.DateTimeField(_("orders confirmed up to"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("1C exchange account")
        verbose_name_plural = _("1C exchange accounts")
        ordering = ["tenant_id", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.username})"

    def set_password(self, raw: str) -> None:
        self.password = make_password(raw or None)  # empty: a login that never succeeds

    def check_password(self, raw: str) -> bool:
        return bool(self.password) and check_password(raw, self.password)


class SessionState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ExchangeSession(models.Model):
    """One exchange run, from checkauth on: files received, import steps, counts, errors."""

    tenant = models.ForeignKey(
        "accounts.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    account = models.ForeignKey(
        OneCExchange, verbose_name=_("account"), on_delete=models.CASCADE, related_name="sessions"
    )
    kind = models.CharField(_("type"), max_length=16)  # catalog | sale | command
    token = models.CharField(_("session key"), max_length=64, unique=True, editable=False)
    state = models.CharField(_("state"), max_length=16, choices=SessionState.choices, default=SessionState.OPEN)
    files = models.JSONField(_("files received"), default=dict, blank=True)
    progress = models.JSONField(_("import progress"), default=dict, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    steps = models.PositiveIntegerField(_("steps"), default=0)
    remote_addr = models.GenericIPAddressField(_("address"), null=True, blank=True)
    query_time = models.DateTimeField(_("orders queried at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("last request"), auto_now=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    files_purged_at = models.DateTimeField(
        _("files deleted"),
        null=True,
        blank=True,
        help_text=_("When the received files were deleted after the retention period; the list of names stays."),
    )

    class Meta:
        verbose_name = _("1C exchange session")
        verbose_name_plural = _("1C exchange sessions")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def folder(self) -> str:
        """Where the files of this session are kept, below the exchange root."""
        return f"{exchange_root()}/{self.tenant_id}/{self.pk}-{self.token[:16]}"

    @property
    def duration(self) -> float | None:
        end = self.finished_at or self.updated_at
        return (end - self.started_at).total_seconds() if end and self.started_at else None


class RefKind(models.TextChoices):
    GROUP = "group", _("Group → category")
    PRODUCT = "product", _("Product")
    OFFER = "offer", _("Offer → variant")
    WAREHOUSE = "warehouse", _("Warehouse")
    IMAGE = "image", _("Image")


class ExternalRef(models.Model):
    """A 1C id (a GUID, or product#characteristic) and the row it became here, per
    account: re-imports update instead of duplicating."""

    account = models.ForeignKey(OneCExchange, on_delete=models.CASCADE, related_name="refs")
    kind = models.CharField(_("kind"), max_length=16, choices=RefKind.choices)
    external_id = models.CharField(_("1C id"), max_length=120)
    object_id = models.BigIntegerField(_("our id"))
    seen_in = models.BigIntegerField(_("last seen in session"), null=True, blank=True)

    class Meta:
        verbose_name = _("1C id")
        verbose_name_plural = _("1C ids")
        constraints = [
            models.UniqueConstraint(fields=["account", "kind", "external_id"], name="onec_ref_unique")
        ]
        indexes = [models.Index(fields=["account", "kind", "object_id"], name="onec_ref_object")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.external_id}"


class OrderDocument(models.Model):
    """What 1C said about one of our orders: its own document number and flags."""

    account = models.ForeignKey(OneCExchange, on_delete=models.CASCADE, related_name="documents")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    number = models.CharField(_("1C number"), max_length=64, blank=True)
    date = models.CharField(_("1C date"), max_length=32, blank=True)
    posted = models.BooleanField(_("posted"), default=False)
    deletion_mark = models.BooleanField(_("marked for deletion"), default=False)
    status = models.CharField(_("1C status"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("1C order document")
        verbose_name_plural = _("1C order documents")
        constraints = [models.UniqueConstraint(fields=["account", "order"], name="onec_document_unique")]

    def __str__(self) -> str:
        return self.number


def exchange_root() -> str:
    return str(getattr(settings, "ONEC_EXCHANGE_DIR", None) or f"{settings.MEDIA_ROOT}/onec-exchange")
