"""Main-menu sections of this module: (url name, label, action or predicate), as in
lianxin.web.navigation.SECTIONS."""

from django.utils.translation import gettext_lazy as _

from .actions import GovernanceAction


def _is_member(user) -> bool:
    from lianxin.branch.selectors import member_for_user

    return member_for_user(user) is not None


SECTIONS: list = [
    ("governance", _("Contact chains and standards"), GovernanceAction.VIEW),
    ("governance_mine", _("My contacts and sitting in"), _is_member),
]
