"""Main-menu sections of this module: (url name, label, action or predicate), as in
lianxin.web.navigation.SECTIONS."""

from django.utils.translation import gettext_lazy as _

from .actions import ElectionAction

SECTIONS: list = [
    ("elections", _("Elections"), ElectionAction.VIEW),
]
