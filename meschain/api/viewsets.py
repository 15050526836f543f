"""The base every tenant-owned API endpoint stands on: isolation in one place."""

from django.db.models import QuerySet
from rest_framework import viewsets

from meschain.tenancy import scope


class TenantScopedViewSet(viewsets.GenericViewSet):
    """Scopes `queryset` to the caller's tenant before any handler runs, so another
    tenant's row answers 404 exactly like a row that does not exist."""

    tenant_field = "tenant"

    def get_queryset(self) -> QuerySet:
        return scope(super().get_queryset(), self.request.user, self.tenant_field)
