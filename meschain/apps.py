from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeschainConfig(AppConfig):
    name = "meschain"
    verbose_name = _("Platform")
