from typing import Any

from django.utils.translation import gettext as _

from catalog.models import Warehouse


def create_default_warehouse(tenant: Any) -> Warehouse:
    """Every tenant starts with one default warehouse (called when a tenant is created)."""
    warehouse, _created = Warehouse.objects.get_or_create(
        tenant=tenant, code="main", defaults={"name": _("Main warehouse"), "is_default": True}
    )
    return warehouse


def default_warehouse(tenant_id: int) -> Warehouse:
    warehouse = Warehouse.objects.filter(tenant_id=tenant_id, is_default=True).first()
    if warehouse is None:
        from accounts.models import Tenant

        warehouse = create_default_warehouse(Tenant.objects.get(pk=tenant_id))
    return warehouse
