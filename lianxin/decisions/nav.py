"""Main-menu sections of this module: (url name, label, action or predicate), as in
lianxin.web.navigation.SECTIONS."""

from django.utils.translation import gettext_lazy as _

from .actions import DecisionAction

SECTIONS: list = [
    ("decisions", _("Democratic decisions (4+2)"), DecisionAction.VIEW),
    ("decisions_days", _("Deliberation days"), DecisionAction.VIEW),
]
