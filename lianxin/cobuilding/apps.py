from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CobuildingConfig(AppConfig):
    name = "lianxin.cobuilding"
    label = "cobuilding"
    verbose_name = _("Co-building and resources")

    def ready(self):
        from lianxin.core import access

        from .actions import GRANTS

        access.register_grants(GRANTS)
