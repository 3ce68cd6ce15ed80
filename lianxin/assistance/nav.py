"""Main-menu sections of this module: (url name, label, action or predicate), as in
lianxin.web.navigation.SECTIONS."""

from django.utils.translation import gettext_lazy as _

from lianxin.core import access
from lianxin.core.access import Action

from .actions import AssistanceAction as A


def _declares_in_staff_area(user) -> bool:
    return access.can(user, Action.STAFF_AREA) and access.can(user, A.DECLARE)


SECTIONS: list = [
    ("assistance", _("Assistance cases"), A.VIEW),
    ("assistance_flagged", _("Flagged cases"), A.SUPERVISE),
    ("assistance_pairings", _("One-to-one pairing"), A.VIEW),
    ("assistance_relatives", _("My declared relatives"), _declares_in_staff_area),
]
