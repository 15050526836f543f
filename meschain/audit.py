"""The one writer of audit rows. Services call `record()` inside their transaction."""

from typing import Any

from django.db import models

from meschain import context
from meschain.models import AuditLog


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The named fields of `obj` as JSON-safe values, for before/after."""
    values: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, models.Model):
            value = value.pk
        elif value is not None and not isinstance(value, (str, int, float, bool, list, dict)):
            value = str(value)
        values[name] = value
    return values


def user_of(actor: Any) -> Any:
    """The User behind an actor, or None (an API-key principal, the system)."""
    return actor if getattr(actor, "pk", None) and hasattr(actor, "get_username") else None


def label_of(actor: Any) -> str:
    """How an actor is named in logs and timelines: a username, "API key …", or ""."""
    return str(getattr(actor, "audit_label", None) or actor or "")[:200]


def record(
    action: str,
    *,
    actor: Any = None,
    tenant: Any = None,
    obj: models.Model | None = None,
    before: dict | None = None,
    after: dict | None = None,
    actor_label: str = "",
    object_repr: str = "",
) -> AuditLog:
    ctx = context.current()
    real_actor = user_of(actor)
    actor_label = actor_label or label_of(actor)
    if tenant is None and obj is not None:
        tenant = getattr(obj, "tenant_id", None)
    if tenant is None and actor is not None:
        tenant = getattr(actor, "tenant_id", None)
    tenant_id = getattr(tenant, "pk", tenant)
    return AuditLog.objects.create(
        tenant_id=tenant_id,
        actor=real_actor,
        actor_label=actor_label[:200],
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        before=before,
        after=after,
        ip_address=ctx.ip,
        request_id=ctx.request_id,
    )
