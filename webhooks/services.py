"""Storefront webhooks: endpoints, fan-out of outbox events, signed delivery with retries.

A delivery is claimed with a conditional UPDATE (a lease), sent outside any transaction,
and its attempt recorded afterwards, so two workers never send the same attempt and no
database connection waits on a slow receiver.
"""

import hashlib
import hmac
import ipaddress
import json
import random
import secrets
import socket
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from meschain import audit, metrics
from meschain.errors import NotFound, ValidationFailed
from meschain.events import EVENT_TYPES
from meschain.models import Event
from webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookEndpoint

USER_AGENT = "MesChain-Webhooks/1.0"
ENDPOINT_AUDIT_FIELDS = ["url", "description", "event_types", "is_active"]
SUBSCRIBABLE_EVENTS = tuple(t for t in EVENT_TYPES if t != "webhook.test")


# --- Signing -------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-MesChain-Signature value: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, now: float | None = None) -> bool:
    """What a receiver does: recompute the HMAC and reject stale timestamps (replays)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


# --- Endpoints -------------------------------------------------------------------


def _validate_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed(details={"url": [_("Enter an http or https URL.")]})
    if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return
    if parts.scheme != "https":
        raise ValidationFailed(details={"url": [_("Webhook URLs must use https.")]})
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except OSError as exc:
        raise ValidationFailed(details={"url": [_("The host name does not resolve.")]}) from exc
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast:
            raise ValidationFailed(details={"url": [_("Webhook URLs may not point at private networks.")]})


def _validate_event_types(event_types: list[str]) -> list[str]:
    unknown = [t for t in event_types if t not in SUBSCRIBABLE_EVENTS]
    if unknown:
        raise ValidationFailed(
            details={"event_types": [_("Unknown event type: %(type)s") % {"type": t} for t in unknown]}
        )
    return sorted(set(event_types))


def endpoints_visible_to(actor: Any) -> QuerySet:
    from meschain.tenancy import scope

    return scope(WebhookEndpoint.objects.all(), actor)


def access_endpoint_by_id(actor: Any, endpoint_id: int) -> WebhookEndpoint:
    endpoint = endpoints_visible_to(actor).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound(_("No webhook endpoint with this id."))
    return endpoint


@transaction.atomic
def create_endpoint(
    *, tenant: Any, url: str, event_types: list[str], description: str = "", actor: Any = None
) -> tuple[WebhookEndpoint, str]:
    """Create an endpoint; returns it with its signing secret, shown this once."""
    _validate_url(url)
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(
        tenant=tenant,
        url=url,
        description=description,
        event_types=_validate_event_types(event_types),
        secret=secret,
    )
    audit.record(
        "webhook.created", actor=actor, obj=endpoint, after=audit.snapshot(endpoint, ENDPOINT_AUDIT_FIELDS)
    )
    return endpoint, secret


@transaction.atomic
def update_endpoint(endpoint: WebhookEndpoint, *, actor: Any, changes: dict[str, Any]) -> WebhookEndpoint:
    if "url" in changes:
        _validate_url(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = _validate_event_types(changes["event_types"])
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = audit.snapshot(endpoint, ENDPOINT_AUDIT_FIELDS)
    for field, value in changes.items():
        setattr(endpoint, field, value)
    if changes.get("is_active") and before["is_active"] is False:
        endpoint.consecutive_failures = 0
        endpoint.disabled_at = None
        endpoint.disabled_reason = ""
    endpoint.save()
    after = audit.snapshot(endpoint, ENDPOINT_AUDIT_FIELDS)
    if before != after:
        audit.record("webhook.updated", actor=actor, obj=endpoint, before=before, after=after)
    return endpoint


@transaction.atomic
def delete_endpoint(endpoint: WebhookEndpoint, *, actor: Any) -> None:
    audit.record(
        "webhook.deleted", actor=actor, obj=endpoint, before=audit.snapshot(endpoint, ENDPOINT_AUDIT_FIELDS)
    )
    endpoint.delete()


# --- Fan-out ---------------------------------------------------------------------


def _body(delivery_id: str, event_type: str, created_at: datetime, version: int, data: dict) -> str:
    return json.dumps(
        {
            "id": delivery_id,
            "type": event_type,
            "created_at": created_at.isoformat().replace("+00:00", "Z"),
            "version": version,
            "data": data,
        },
        separators=(",", ":"),
        sort_keys=True,
        default=str,
    )


def _enqueue(delivery_ids: list[int]) -> None:
    from webhooks.tasks import deliver_webhook

    def send() -> None:
        for delivery_id in delivery_ids:
            deliver_webhook.delay(delivery_id)

    transaction.on_commit(send)


def fan_out_events(events: list[Event]) -> None:
    """Outbox consumer: one delivery per active endpoint of the event's tenant that
    wants its type — one read of the endpoints and one insert per batch."""
    endpoints: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(tenant_id__in={e.tenant_id for e in events}, is_active=True):
        endpoints.setdefault(endpoint.tenant_id, []).append(endpoint)
    now = timezone.now()
    deliveries = []
    for event in events:
        for endpoint in endpoints.get(event.tenant_id, []):
            if endpoint.wants(event.type):
                delivery = WebhookDelivery(
                    tenant_id=event.tenant_id, endpoint=endpoint, event=event, event_type=event.type, next_attempt_at=now
                )
                delivery.body = _body(str(delivery.delivery_id), event.type, event.created_at, event.version, event.payload)
                deliveries.append(delivery)
    if deliveries:
        created = WebhookDelivery.objects.bulk_create(deliveries, batch_size=1000)
        _enqueue([d.pk for d in created])


@transaction.atomic
def send_test(endpoint: WebhookEndpoint, *, actor: Any) -> WebhookDelivery:
    """A `webhook.test` delivery to this endpoint, outside the outbox."""
    delivery = WebhookDelivery(
        tenant_id=endpoint.tenant_id,
        endpoint=endpoint,
        event_type="webhook.test",
        next_attempt_at=timezone.now(),
    )
    delivery.body = _body(
        str(delivery.delivery_id),
        "webhook.test",
        timezone.now(),
        1,
        {"message": "This is a test delivery from MesChain.", "endpoint_id": endpoint.pk},
    )
    delivery.save()
    audit.record("webhook.test_sent", actor=actor, obj=endpoint)
    _enqueue([delivery.pk])
    return delivery


@transaction.atomic
def resend(delivery: WebhookDelivery, *, actor: Any) -> WebhookDelivery:
    """Send a delivery again (same delivery id, so receivers can de-duplicate)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.PENDING, next_attempt_at=timezone.now(), completed_at=None
    )
    audit.record(
        "webhook.resent", actor=actor, obj=delivery.endpoint, after={"delivery": str(delivery.delivery_id)}
    )
    _enqueue([delivery.pk])
    delivery.refresh_from_db()
    return delivery


# --- Delivery --------------------------------------------------------------------


def retry_delay(attempt: int, retry_after: float | None = None) -> float:
    """Exponential back-off with full jitter, at least Retry-After when the receiver sent one."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS * (2 ** (attempt - 1))
    delay = min(settings.WEBHOOK_RETRY_MAX_SECONDS, base) * (0.5 + random.random() / 2)  # noqa: S311
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.WEBHOOK_RETRY_MAX_SECONDS))
    return delay


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


def _claim(delivery_id: int) -> WebhookDelivery | None:
    now = timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 3 + 30)
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, state=DeliveryState.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=lease, attempt_count=F("attempt_count") + 1)
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)


def attempt_delivery(delivery_id: int) -> WebhookDelivery | None:
    """Make the next attempt of a delivery if it is due and nobody else is making it.
    Returns the delivery afterwards (None when there was nothing to do)."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-MesChain-Event": delivery.event_type,
        "X-MesChain-Delivery": str(delivery.delivery_id),
        "X-MesChain-Signature": sign(endpoint.secret, int(time.time()), body),
    }
    started = timezone.now()
    clock = time.monotonic()
    status_code: int | None = None
    excerpt = error = ""
    retry_after = None
    try:
        with httpx.Client(timeout=settings.WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False) as client:
            response = client.post(endpoint.url, content=body, headers=headers)
        status_code = response.status_code
        excerpt = response.text[:500]
        retry_after = _retry_after(response)
    except httpx.TimeoutException:
        error = _("Timed out after %(seconds)s s.") % {"seconds": settings.WEBHOOK_TIMEOUT_SECONDS}
    except httpx.HTTPError as exc:
        error = (_("Connection failed: %(error)s") % {"error": exc})[:500]
    duration_ms = int((time.monotonic() - clock) * 1000)
    succeeded = status_code is not None and 200 <= status_code < 300
    retryable = not succeeded and (status_code is None or status_code == 429 or status_code >= 500)
    will_retry = retryable and delivery.attempt_count < settings.WEBHOOK_MAX_ATTEMPTS
    delivery = _record_attempt(
        delivery, started, duration_ms, status_code, excerpt, error, succeeded, will_retry, retry_after
    )
    metrics.record_webhook_delivery("succeeded" if succeeded else "retrying" if will_retry else "failed")
    return delivery


@transaction.atomic
def _record_attempt(
    delivery: WebhookDelivery,
    started: datetime,
    duration_ms: int,
    status_code: int | None,
    excerpt: str,
    error: str,
    succeeded: bool,
    will_retry: bool,
    retry_after: float | None,
) -> WebhookDelivery:
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempt_count,
        started_at=started,
        duration_ms=duration_ms,
        status_code=status_code,
        response_excerpt=excerpt,
        error=error,
        will_retry=will_retry,
    )
    now = timezone.now()
    delivery.last_status_code = status_code
    delivery.last_error = error or ("" if succeeded else _("HTTP %(code)s") % {"code": status_code})
    if succeeded:
        delivery.state = DeliveryState.SUCCEEDED
        delivery.completed_at = now
        delivery.next_attempt_at = None
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(consecutive_failures=0)
    elif will_retry:
        delivery.next_attempt_at = now + timedelta(seconds=retry_delay(delivery.attempt_count, retry_after))
    else:
        delivery.state = DeliveryState.FAILED
        delivery.completed_at = now
        delivery.next_attempt_at = None
        _count_failure(delivery.endpoint_id)
    delivery.save(
        update_fields=["state", "completed_at", "next_attempt_at", "last_status_code", "last_error"]
    )
    if will_retry:
        _schedule_retry(delivery)
    return delivery


def _count_failure(endpoint_id: int) -> None:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    endpoint.consecutive_failures += 1
    fields = ["consecutive_failures"]
    limit = settings.WEBHOOK_DISABLE_AFTER_FAILURES
    if endpoint.is_active and endpoint.consecutive_failures >= limit:
        endpoint.is_active = False
        endpoint.disabled_at = timezone.now()
        endpoint.disabled_reason = _("Disabled after %(count)d deliveries in a row failed.") % {
            "count": limit
        }
        fields += ["is_active", "disabled_at", "disabled_reason"]
        audit.record(
            "webhook.disabled", obj=endpoint, actor_label="system", after={"reason": endpoint.disabled_reason}
        )
    endpoint.save(update_fields=fields)


def _schedule_retry(delivery: WebhookDelivery) -> None:
    from webhooks.tasks import deliver_webhook

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return  # no broker: the sweep (manage.py deliver_webhooks, or beat) retries
    eta = delivery.next_attempt_at
    transaction.on_commit(lambda: deliver_webhook.apply_async((delivery.pk,), eta=eta))


def due_delivery_ids(limit: int = 500) -> list[int]:
    return list(
        WebhookDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def disabled_endpoints_for(actor: Any) -> QuerySet:
    """Endpoints switched off automatically, for the admin's notice to owners."""
    return endpoints_visible_to(actor).filter(is_active=False, disabled_at__isnull=False)
