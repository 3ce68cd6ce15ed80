"""Permission-matrix entries of this module (see tests/matrix_modules.py).

幸福社区's secretary, committee member and staff run co-building; officers and the supervisor read
it; the outsider (团结社区's secretary) runs their own community and sees none of 幸福社区's rows.
"""

from .matrix_roles import MEMBER_VIEWERS, POST_ONLY, PUBLIC, only
from .test_cobuilding_sample import cobuilding_sample

VIEWERS = MEMBER_VIEWERS  # officers, secretary, committee member, staff, supervisor
DESK = {"community_secretary", "committee_member", "staff"}
NOT_SCOPED = {"outsider", "sysadmin", "assistant", "grid_worker"}


def _pk(key):
    return lambda c: {"pk": cobuilding_sample(c)[key].pk}


WEB: dict = {
    # Lists: everyone who reads co-building, the outsider seeing only their own community.
    **{
        name: (None, only(VIEWERS | {"outsider"}))
        for name in (
            "cobuilding",
            "cobuilding_meetings",
            "cobuilding_pairings",
            "cobuilding_facilities",
            "cobuilding_funds",
            "cobuilding_volunteers",
        )
    },
    # Forms that start from a community the user may manage.
    **{
        name: (None, only(DESK | {"outsider"}))
        for name in (
            "cobuilding_unit_create",
            "cobuilding_meeting_create",
            "cobuilding_pairing_create",
            "cobuilding_room_create",
            "cobuilding_fund_create",
            "cobuilding_volunteer_create",
            "cobuilding_activity_create",
            "cobuilding_target_set",
        )
    },
    # 幸福社区's rows: readers see them, everyone else gets the same 404 as for a missing row.
    "cobuilding_unit": (_pk("unit"), only(VIEWERS, hidden=NOT_SCOPED)),
    "cobuilding_agreement": (_pk("agreement"), only(VIEWERS, hidden=NOT_SCOPED)),
    "cobuilding_meeting": (_pk("meeting"), only(VIEWERS, hidden=NOT_SCOPED)),
    "cobuilding_pairing": (_pk("pairing"), only(VIEWERS, hidden=NOT_SCOPED)),
    "cobuilding_room": (_pk("room"), only(VIEWERS, hidden=NOT_SCOPED)),
    "cobuilding_activity": (_pk("activity"), only(VIEWERS, hidden=NOT_SCOPED)),
    "cobuilding_fund": (_pk("fund"), only(VIEWERS, hidden=NOT_SCOPED)),
    "cobuilding_voucher": (_pk("voucher"), only(VIEWERS, hidden=NOT_SCOPED)),
    # Forms on one of 幸福社区's rows: the desk only; readers are refused, others do not see the row.
    "cobuilding_agreement_create": (_pk("unit"), only(DESK, hidden=NOT_SCOPED)),
    "cobuilding_commitment_add": (_pk("agreement"), only(DESK, hidden=NOT_SCOPED)),
    "cobuilding_pairing_visit": (_pk("pairing"), only(DESK, hidden=NOT_SCOPED)),
    "cobuilding_booking_create": (_pk("room"), only(DESK, hidden=NOT_SCOPED)),
    "cobuilding_entry_create": (_pk("fund"), only(DESK, hidden=NOT_SCOPED)),
    # Writes answer only POST.
    **{
        name: (lambda c: {"pk": 1}, POST_ONLY)
        for name in (
            "cobuilding_commitment_check",
            "cobuilding_problem_follow",
            "cobuilding_problem_to_request",
            "cobuilding_booking_decide",
            "cobuilding_entry_decide",
            "cobuilding_entry_reverse",
            "cobuilding_voucher_add",
            "cobuilding_hardship_take_in",
        )
    },
    # The residents' booking pages: public.
    "cobuilding_portal": (None, PUBLIC),
    "cobuilding_portal_book": (_pk("room"), PUBLIC),
    "cobuilding_portal_status": (None, PUBLIC),
}

API_COVERED: set[str] = {
    "unit-list",
    "unit-detail",
    "agreement-list",
    "agreement-detail",
    "agreement-commitment",
    "agreement-check",
    "facility-list",
    "facility-detail",
    "facility-taken",
    "booking-list",
    "booking-detail",
    "booking-decide",
    "fund-list",
    "fund-detail",
    "fund-entries",
    "fund-decide",
    "fund-reverse",
    "volunteer-list",
    "volunteer-detail",
    "volunteer-targets",
}
