from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from accounts.services import register_tenant_setup
        from orders.services import create_order_number_sequence

        register_tenant_setup(create_order_number_sequence)
