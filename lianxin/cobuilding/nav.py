"""Main-menu sections of this module: (url name, label, action or predicate), as in
lianxin.web.navigation.SECTIONS."""

from django.utils.translation import gettext_lazy as _

from .actions import CobuildingAction as A

SECTIONS: list = [
    ("cobuilding", _("Co-building"), A.VIEW),
    ("cobuilding_facilities", _("Service centre rooms"), A.VIEW),
    ("cobuilding_funds", _("Community funds"), A.FUND_VIEW),
]
