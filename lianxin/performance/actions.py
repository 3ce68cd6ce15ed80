"""What each role may do in this module: granted to roles by lianxin.core.access.register_grants."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Role


class PerformanceAction(models.TextChoices):
    VIEW = "performance_view", _("View goals, commitments, evaluations and commendations")
    MANAGE = "performance_manage", _("Run goals, commitments, evaluations and the secretary's report")
    BALLOTS = "performance_ballots", _("Issue ballot codes and enter paper ballots")
    DECIDE = "performance_decide", _("Decide commendations and accountability outcomes")


_A = PerformanceAction
_RUN = {_A.VIEW, _A.MANAGE, _A.BALLOTS}

# D10: the community's party leaders run the five systems; officers above them set goals, decide
# commendations and accountability; staff enter paper ballots; supervisors read everything.
GRANTS: dict[str, set[str]] = {
    Role.DISTRICT_OFFICER: {_A.VIEW, _A.MANAGE, _A.DECIDE},
    Role.SUBDISTRICT_OFFICER: {_A.VIEW, _A.MANAGE, _A.DECIDE},
    Role.COMMUNITY_SECRETARY: _RUN | {_A.DECIDE},
    Role.COMMITTEE_MEMBER: set(_RUN),
    Role.STAFF: {_A.VIEW, _A.BALLOTS},
    Role.SUPERVISOR: {_A.VIEW},
}
