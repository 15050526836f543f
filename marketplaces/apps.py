from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplacesConfig(AppConfig):
    name = "marketplaces"
    verbose_name = _("Marketplaces")

    def ready(self) -> None:
        from marketplaces.services import reactions
        from meschain import events

        events.register_consumer("marketplaces", reactions.on_events, reactions.EVENT_TYPES)
