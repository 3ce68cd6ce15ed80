"""What each role may do in this module: granted to roles by lianxin.core.access.register_grants.

Disputes (D7): the community's secretary, committee members, staff and grid workers record and
handle disputes in their scope (grid workers in their grid); subdistrict and district officers take
escalations and read the roll-ups; supervisors read. Any staff role, grid workers included, reports
incidents. Care of special groups needs more than a role: an assignment (lianxin.registry.special_care).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Role


class DisputeAction(models.TextChoices):
    VIEW_DISPUTES = "view_disputes", _("View disputes, screenings, incidents and patrols")
    HANDLE_DISPUTES = "handle_disputes", _("Record and handle disputes and screenings")
    RECEIVE_ESCALATIONS = "receive_escalations", _("Take disputes escalated to the subdistrict or district")
    EXPORT_DISPUTES = "export_disputes", _("Export dispute statistics")
    MANAGE_SAFETY = "manage_safety", _("Manage mediators, screenings, patrol teams and prepared plans")
    REPORT_INCIDENTS = "report_incidents", _("Report incidents")
    HANDLE_INCIDENTS = "handle_incidents", _("Respond to incidents and receive incident reports")
    RECORD_PATROLS = "record_patrols", _("Fill the patrol rota and record patrols")


A = DisputeAction
_READ = {A.VIEW_DISPUTES}
_COMMUNITY = _READ | {A.HANDLE_DISPUTES, A.REPORT_INCIDENTS, A.HANDLE_INCIDENTS, A.RECORD_PATROLS}
_OFFICER = _READ | {A.RECEIVE_ESCALATIONS, A.EXPORT_DISPUTES, A.REPORT_INCIDENTS, A.HANDLE_INCIDENTS}

GRANTS: dict[str, set[str]] = {
    Role.DISTRICT_OFFICER: _OFFICER,
    Role.SUBDISTRICT_OFFICER: _OFFICER,
    Role.COMMUNITY_SECRETARY: _COMMUNITY | {A.EXPORT_DISPUTES, A.MANAGE_SAFETY},
    Role.COMMITTEE_MEMBER: _COMMUNITY | {A.EXPORT_DISPUTES, A.MANAGE_SAFETY},
    Role.STAFF: _COMMUNITY,
    Role.GRID_WORKER: _READ | {A.HANDLE_DISPUTES, A.REPORT_INCIDENTS, A.RECORD_PATROLS},
    Role.SUPERVISOR: _READ | {A.EXPORT_DISPUTES},
}
