"""Permission-matrix entries of this module (see tests/matrix_modules.py).

Decisions (D8): the secretary and committee members of 幸福社区 record, staff, officers and the
supervisor read; the outsider (团结社区's secretary) has the lists of her own community, and 幸福社区's
rows are missing to her (404). The portal pages are public."""

from .matrix_roles import OFFICERS, POST_ONLY, PUBLIC, only
from .test_decisions_helpers import decisions_sample

VIEWERS = OFFICERS | {"community_secretary", "committee_member", "staff", "supervisor"}
RECORDERS = {"community_secretary", "committee_member"}


def _sample(key):
    return lambda c: {"pk": decisions_sample(c)[key].pk}


WEB: dict = {
    **{
        name: (None, only(VIEWERS | {"outsider"}))
        for name in (
            "decisions",
            "decisions_representatives",
            "decisions_days",
            "decisions_audits",
            "decisions_charters",
        )
    },
    **{
        name: (None, only(RECORDERS | {"outsider"}))
        for name in (
            "decisions_matter_create",
            "decisions_representative_create",
            "decisions_day_plan",
            "decisions_audit_create",
            "decisions_charter_create",
        )
    },
    "decisions_matter": (_sample("matter"), only(VIEWERS, hidden={"outsider"})),
    "decisions_ballot": (_sample("matter"), only(VIEWERS, hidden={"outsider"})),
    "decisions_representative": (_sample("representative"), only(VIEWERS, hidden={"outsider"})),
    "decisions_day": (_sample("day"), only(VIEWERS, hidden={"outsider"})),
    "decisions_audit": (_sample("audit"), only(VIEWERS, hidden={"outsider"})),
    "decisions_charter": (_sample("charter"), only(VIEWERS, hidden={"outsider"})),
    **{
        name: (_sample("matter"), only(RECORDERS, hidden={"outsider"}))
        for name in (
            "decisions_stage",
            "decisions_skip",
            "decisions_recategorize",
            "decisions_withdraw",
            "decisions_draft",
        )
    },
    "decisions_follow_up": (_sample("day"), only(RECORDERS, hidden={"outsider"})),
    **{
        name: (lambda c: {"pk": 1}, POST_ONLY)
        for name in (
            "decisions_ballot_issue",
            "decisions_ballot_cast",
            "decisions_follow_up_done",
            "decisions_audit_publish",
        )
    },
    **{
        name: (None, PUBLIC)
        for name in ("decisions_portal", "decisions_portal_agenda", "decisions_portal_vote")
    },
    "decisions_portal_matter": (_sample("matter"), PUBLIC),
    "decisions_portal_charter": (lambda c: {"pk": decisions_sample(c)["charter"].place_id}, PUBLIC),
}

API_COVERED: set[str] = {
    "resolution-list",
    "resolution-detail",
    "resolution-stage",
    "resolution-skip",
    "resolution-resolution",
    "resolution-result",
    "resolution-votes",
    "resolution-ballot-codes",
    "resolution-tally",
    "charter-list",
    "charter-detail",
    "departure-audit-list",
    "departure-audit-detail",
    "departure-audit-publish",
}
