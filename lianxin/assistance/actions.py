"""What each role may do in this module: granted to roles by lianxin.core.access.register_grants."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Role


class AssistanceAction(models.TextChoices):
    VIEW = "assistance_view", _("View assistance cases, notices and payments")
    HANDLE = "assistance_handle", _("Take applications, investigate, deliberate and publish notices")
    REVIEW = "assistance_review", _("Review assistance cases at the subdistrict")
    APPROVE = "assistance_approve", _("Review and approve assistance cases at the district")
    PAY = "assistance_pay", _("Start, stop and resume assistance payments")
    SUPERVISE = "assistance_supervise", _("See cases flagged for favouritism")
    PROGRAMMES = "assistance_programmes", _("Edit assistance programmes")
    DECLARE = "assistance_declare", _("Declare one's own relatives")
    PAIR = "assistance_pair", _("Pair party members with households in difficulty")
    EXPORT = "assistance_export", _("Export assistance reports")


A = AssistanceAction
_COMMUNITY = {A.VIEW, A.HANDLE, A.DECLARE, A.PAIR, A.PAY, A.EXPORT}

# The community investigates, deliberates and publishes (D6); the subdistrict reviews first, the
# district reviews and approves; the supervisors (居务监督委员会) read everything and the flagged list.
GRANTS: dict[str, set[str]] = {
    Role.COMMUNITY_SECRETARY: _COMMUNITY,
    Role.COMMITTEE_MEMBER: _COMMUNITY - {A.PAY},
    Role.STAFF: {A.VIEW, A.HANDLE, A.DECLARE, A.PAY, A.EXPORT},
    Role.GRID_WORKER: {A.VIEW, A.HANDLE, A.DECLARE},
    Role.SUBDISTRICT_OFFICER: {A.VIEW, A.REVIEW, A.DECLARE, A.EXPORT, A.SUPERVISE},
    Role.DISTRICT_OFFICER: {A.VIEW, A.APPROVE, A.DECLARE, A.EXPORT, A.SUPERVISE, A.PROGRAMMES},
    Role.SUPERVISOR: {A.VIEW, A.SUPERVISE, A.DECLARE, A.EXPORT},
    Role.PARTY_MEMBER: {A.DECLARE},
    Role.RESIDENT: {A.DECLARE},
}
