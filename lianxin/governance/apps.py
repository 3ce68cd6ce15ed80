from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "lianxin.governance"
    label = "governance"
    verbose_name = _("Branch governance")

    def ready(self):
        from lianxin.core import access

        from .actions import GRANTS

        access.register_grants(GRANTS)
