"""What each role may do in this module: granted to roles by lianxin.core.access.register_grants."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from lianxin.core.access import Role


class CobuildingAction(models.TextChoices):
    VIEW = "cobuilding_view", _("View co-building: units, agreements, pairings, facilities, volunteers")
    MANAGE = "cobuilding_manage", _("Record co-building work and decide room bookings")
    BOOK = "cobuilding_book", _("Book rooms of the service centre")
    FUND_VIEW = "cobuilding_fund_view", _("View community fund ledgers")
    FUND_RECORD = "cobuilding_fund_record", _("Record fund income and spending")
    FUND_APPROVE = "cobuilding_fund_approve", _("Approve spending recorded by others")


A = CobuildingAction
_READ = {A.VIEW, A.FUND_VIEW}
_DESK = _READ | {A.MANAGE, A.BOOK, A.FUND_RECORD}

# D11: the community's secretary and committee run co-building and approve spending; staff record
# it; officers and supervisors read everything. (Grid workers hold their roles on a grid, and the
# service centre belongs to the community: they ask staff to book.)
GRANTS: dict[str, set[str]] = {
    Role.DISTRICT_OFFICER: set(_READ),
    Role.SUBDISTRICT_OFFICER: set(_READ),
    Role.COMMUNITY_SECRETARY: _DESK | {A.FUND_APPROVE},
    Role.COMMITTEE_MEMBER: _DESK | {A.FUND_APPROVE},
    Role.STAFF: set(_DESK),
    Role.SUPERVISOR: set(_READ),
}
