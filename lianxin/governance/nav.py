"""Main-menu sections of this module: (url name, label, action or predicate), as in
lianxin.web.navigation.SECTIONS."""

from django.utils.translation import gettext_lazy as _

from lianxin.web.navigation import PARTY_MEMBERS

from .actions import GovernanceAction

SECTIONS: list = [
    ("governance", _("Contact chains and standards"), GovernanceAction.VIEW),
    ("governance_mine", _("My contacts and sitting in"), PARTY_MEMBERS),
]
