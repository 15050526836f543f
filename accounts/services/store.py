"""A tenant's own store settings, changed by its owners: the low-stock threshold its
variants use unless they have their own (empty: the platform's LOW_STOCK_THRESHOLD)."""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import LOW_STOCK_THRESHOLD_MAX, Role, Tenant
from meschain import audit
from meschain.errors import PermissionDenied, ValidationFailed


def parse_threshold(value: Any) -> int | None:
    """A threshold as entered: empty is None, otherwise a whole number from 0 to the maximum
    (ValidationFailed otherwise)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= LOW_STOCK_THRESHOLD_MAX:
        raise ValidationFailed(
            details={"low_stock_threshold": [_("Enter a whole number from 0 to 1,000,000, or nothing.")]}
        )
    return value


def platform_low_stock_default() -> int:
    return settings.LOW_STOCK_THRESHOLD


def low_stock_default(tenant_id: int) -> int:
    """The threshold of the tenant's variants without one of their own."""
    own = Tenant.objects.filter(pk=tenant_id).values_list("low_stock_threshold", flat=True).first()
    return platform_low_stock_default() if own is None else own


def can_change_settings(actor: Any, tenant_id: int) -> bool:
    if getattr(actor, "is_superuser", False):
        return True
    return getattr(actor, "tenant_id", None) == tenant_id and getattr(actor, "role", None) == Role.OWNER


@transaction.atomic
def set_low_stock_threshold(tenant_id: int, value: Any, *, actor: Any) -> Tenant:
    """An owner of the tenant (or a platform superuser) sets its default low-stock
    threshold; empty goes back to the platform's."""
    if not can_change_settings(actor, tenant_id):
        raise PermissionDenied(_("Only an owner of this tenant may do this."))
    threshold = parse_threshold(value)
    tenant = Tenant.objects.select_for_update().get(pk=tenant_id)
    if tenant.low_stock_threshold != threshold:
        before = {"low_stock_threshold": tenant.low_stock_threshold}
        tenant.low_stock_threshold = threshold
        tenant.save(update_fields=["low_stock_threshold"])
        audit.record(
            "tenant.low_stock_threshold_changed",
            actor=actor,
            tenant=tenant,
            obj=tenant,
            before=before,
            after={"low_stock_threshold": threshold},
        )
    return tenant
