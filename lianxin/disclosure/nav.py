"""Main-menu sections of this module: (url name, label, action or predicate), as in
lianxin.web.navigation.SECTIONS."""

from django.utils.translation import gettext_lazy as _

from .actions import DisclosureAction as A

SECTIONS: list = [
    ("disclosure", _("Disclosure board"), A.VIEW_BOARD),
    ("disclosure_late", _("Late disclosure"), A.VIEW_BOARD),
    ("disclosure_comments", _("Comment box"), A.VIEW_COMMENTS),
]
