"""What each role may do in this module: granted to roles by lianxin.core.access.register_grants."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Role


class GovernanceAction(models.TextChoices):
    VIEW = "view_governance", _("View contact chains, sitting-in and branch standards")
    RUN = "run_governance", _("Assign contacts, log contacts, open meetings to members, run self-checks")
    REVIEW = "review_standards", _("Review branch standards self-checks")
    EDIT_CHECKLIST = "edit_standards", _("Edit the branch standards checklists")


_READ = {GovernanceAction.VIEW}
_RUN = {GovernanceAction.VIEW, GovernanceAction.RUN}

# D3: the community's secretary and committee run their organizations; the subdistrict reviews the
# self-checks (and rates, through places' RATE_ORG); the district reads and keeps the checklists.
GRANTS: dict[str, set[str]] = {
    Role.DISTRICT_OFFICER: _READ | {GovernanceAction.EDIT_CHECKLIST},
    Role.SUBDISTRICT_OFFICER: _READ | {GovernanceAction.REVIEW},
    Role.COMMUNITY_SECRETARY: _RUN,
    Role.COMMITTEE_MEMBER: _RUN,
    Role.STAFF: _READ,
    Role.SUPERVISOR: _READ,
}
