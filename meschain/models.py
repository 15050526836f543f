from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditLog(models.Model):
    """Who changed what, when, from where. Written by the service making the change,
    inside its transaction; never edited afterwards."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    tenant = models.ForeignKey(
        "accounts.Tenant",
        verbose_name=_("tenant"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("actor label"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label or '-'} {self.action}"


class Event(models.Model):
    """The outbox: a change other systems care about, written in the same transaction
    as the change by `meschain.events.emit`, and handed to each consumer after commit."""

    tenant = models.ForeignKey(
        "accounts.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    type = models.CharField(_("type"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    version = models.PositiveSmallIntegerField(_("payload version"), default=1)
    payload = models.JSONField(_("payload"), default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("dispatch attempts"), default=0)
    last_error = models.TextField(_("last dispatch error"), blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"],
                name="meschain_event_pending",
                condition=models.Q(dispatched_at__isnull=True),
            ),
            models.Index(fields=["tenant", "type", "-id"], name="meschain_event_tenant_type"),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk}"


class EventConsumption(models.Model):
    """Marks that one consumer has taken one event, so it never takes it twice."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="consumptions")
    consumer = models.CharField(max_length=64)
    consumed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("event consumption")
        verbose_name_plural = _("event consumptions")
        constraints = [
            models.UniqueConstraint(fields=["event", "consumer"], name="meschain_event_consumed_once")
        ]

    def __str__(self) -> str:
        return f"{self.consumer} ← event {self.event_id}"


class IdempotencyRecord(models.Model):
    """The first answer to a write sent with an Idempotency-Key, replayed to retries."""

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    principal = models.CharField(max_length=64)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "principal", "key"], name="meschain_idempotency_once")
        ]

    def __str__(self) -> str:
        return self.key
