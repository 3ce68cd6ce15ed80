from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ElectionsConfig(AppConfig):
    name = "lianxin.elections"
    label = "elections"
    verbose_name = _("Elections")

    def ready(self):
        from lianxin.core import access

        from .actions import GRANTS

        access.register_grants(GRANTS)
