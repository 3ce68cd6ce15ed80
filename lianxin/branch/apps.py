from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BranchConfig(AppConfig):
    name = "lianxin.branch"
    label = "branch"
    verbose_name = _("Branch life")
