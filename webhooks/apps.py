from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from meschain import events
        from webhooks import services

        events.register_consumer("webhooks", services.fan_out_events)
