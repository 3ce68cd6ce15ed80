"""What each role may do in this module: granted to roles by lianxin.core.access.register_grants."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Role


class DecisionAction(models.TextChoices):
    VIEW = "view_decisions", _("View matters, votes, deliberation days, audits and the charter")
    RECORD = "record_decisions", _("Record decision stages, votes, deliberation days, audits and charters")


_READ = {DecisionAction.VIEW}
_WRITE = {DecisionAction.VIEW, DecisionAction.RECORD}

# The community secretary and committee members record; staff read; officers read their subtree;
# supervisors (居务监督委员会) read everything in theirs.
GRANTS: dict[str, set[str]] = {
    Role.DISTRICT_OFFICER: _READ,
    Role.SUBDISTRICT_OFFICER: _READ,
    Role.COMMUNITY_SECRETARY: _WRITE,
    Role.COMMITTEE_MEMBER: _WRITE,
    Role.STAFF: _READ,
    Role.SUPERVISOR: _READ,
}
