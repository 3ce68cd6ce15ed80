"""What each role may do in this module: granted to roles by lianxin.core.access.register_grants."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Role


class ElectionAction(models.TextChoices):
    VIEW = "view_elections", _("View terms, elections and their results")
    RUN = "run_elections", _("Run elections: nominations, slate, meetings, ballots, reports")
    APPROVE = "approve_elections", _("Approve or return election reports of organizations below")


# The community secretary and committee members run the elections of their organizations; the
# subdistrict (the superior) approves the reports; the district reads.
GRANTS: dict[str, set[str]] = {
    Role.DISTRICT_OFFICER: {ElectionAction.VIEW},
    Role.SUBDISTRICT_OFFICER: {ElectionAction.VIEW, ElectionAction.APPROVE},
    Role.COMMUNITY_SECRETARY: {ElectionAction.VIEW, ElectionAction.RUN},
    Role.COMMITTEE_MEMBER: {ElectionAction.VIEW, ElectionAction.RUN},
}
