from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerformanceConfig(AppConfig):
    name = "lianxin.performance"
    label = "performance"
    verbose_name = _("Five-system management")

    def ready(self):
        from lianxin.core import access

        from .actions import GRANTS

        access.register_grants(GRANTS)
