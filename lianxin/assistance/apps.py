from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "lianxin.assistance"
    label = "assistance"
    verbose_name = _("Assistance and benefits")

    def ready(self):
        from lianxin.core import access

        from .actions import GRANTS

        access.register_grants(GRANTS)
