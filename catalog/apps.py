from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalogue")

    def ready(self) -> None:
        from accounts.services import register_tenant_setup
        from catalog import cache
        from catalog.services import warehouses
        from meschain import events

        register_tenant_setup(warehouses.create_default_warehouse)
        events.register_consumer("catalog_cache", cache.invalidate_on_events, cache.INVALIDATING_EVENTS)
