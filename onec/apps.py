from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnecConfig(AppConfig):
    name = "onec"
    verbose_name = _("1C:Enterprise exchange")
