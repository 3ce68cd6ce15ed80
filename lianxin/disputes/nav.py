"""Main-menu sections of this module: (url name, label, action or predicate), as in
lianxin.web.navigation.SECTIONS."""

from django.utils.translation import gettext_lazy as _

from lianxin.core import access
from lianxin.web.navigation import SPECIAL_CARE_HOLDERS

from .actions import DisputeAction as A


def _reports_incidents(user) -> bool:
    return access.can(user, A.REPORT_INCIDENTS) or access.can(user, A.VIEW_DISPUTES)


SECTIONS: list = [
    ("disputes", _("Disputes"), A.VIEW_DISPUTES),
    ("disputes_incident_report", _("Report an incident"), A.REPORT_INCIDENTS),
    ("disputes_incidents", _("Incidents"), _reports_incidents),
    ("disputes_patrols", _("Patrols"), A.VIEW_DISPUTES),
    ("disputes_care", _("Care plans"), SPECIAL_CARE_HOLDERS),
]
