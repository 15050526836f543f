from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeschainConfig(AppConfig):
    name = "meschain"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from meschain import lookups

        lookups.register()  # `__any_of`, for every app's batch reads
