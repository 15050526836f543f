"""Tenant isolation helpers. Every query of business rows goes through `scope()`."""

from typing import Any

from django.db.models import QuerySet


def tenant_id_of(principal: Any) -> int | None:
    """The tenant of a user or API-key principal; None for anonymous."""
    if principal is None or not getattr(principal, "is_authenticated", False):
        return None
    return getattr(principal, "tenant_id", None)


def sees_all_tenants(principal: Any) -> bool:
    return bool(getattr(principal, "is_superuser", False))


def scope(queryset: QuerySet, principal: Any, field: str = "tenant") -> QuerySet:
    """Only the rows of the principal's tenant (all rows for a platform superuser,
    none for anonymous or a user without a tenant)."""
    if sees_all_tenants(principal):
        return queryset
    tenant_id = tenant_id_of(principal)
    if tenant_id is None:
        return queryset.none()
    return queryset.filter(**{field: tenant_id})
