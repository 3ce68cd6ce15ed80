"""Permission-matrix entries of this module (see tests/matrix_modules.py).

Governance (D3, D1): the secretary and committee members of 幸福社区 run the chains, the sitting-in
and the self-checks; the subdistrict officer reviews; the district officer keeps the checklists;
staff and the supervisor read. The outsider (团结社区's secretary) has the lists of her own community
and 幸福社区's rows are missing to her (404). A member's own page opens to every signed-in user."""

from .matrix_roles import OFFICERS, POST_ONLY, ROLES, only
from .test_governance_helpers import governance_sample

VIEWERS = OFFICERS | {"community_secretary", "committee_member", "staff", "supervisor"}
RUNNERS = {"community_secretary", "committee_member"}


def _sample(key):
    return lambda c: {"pk": governance_sample(c)[key].pk}


WEB: dict = {
    **{
        name: (None, only(VIEWERS | {"outsider"}))
        for name in (
            "governance",
            "governance_chains",
            "governance_sittings",
            "governance_standards",
            "governance_checks",
        )
    },
    **{
        name: (None, only(RUNNERS | {"outsider"}))
        for name in (
            "governance_link_create",
            "governance_delegate_create",
            "governance_sitting_open",
            "governance_check_start",
        )
    },
    "governance_item_create": (None, only({"district_officer"})),
    "governance_item_edit": (
        lambda c: {"pk": governance_sample(c)["check_item"].item_id},
        only({"district_officer"}),
    ),
    "governance_link": (_sample("link"), only(VIEWERS, hidden={"outsider"})),
    "governance_sitting": (_sample("open_meeting"), only(VIEWERS, hidden={"outsider"})),
    "governance_check": (_sample("check"), only(VIEWERS, hidden={"outsider"})),
    "governance_evidence": (_sample("check_item"), only(VIEWERS, hidden={"outsider"})),
    "governance_entry_create": (_sample("link"), only(RUNNERS, hidden={"outsider"})),
    "governance_check_item": (_sample("check_item"), only(RUNNERS, hidden={"outsider"})),
    "governance_plan_item_add": (_sample("plan"), only(RUNNERS, hidden={"outsider"})),
    "governance_plan_item": (_sample("plan_item"), only(RUNNERS, hidden={"outsider"})),
    "governance_item_review": (_sample("check_item"), only({"subdistrict_officer"}, hidden={"outsider"})),
    **{
        name: (lambda c: {"pk": 1}, POST_ONLY)
        for name in (
            "governance_entry_request",
            "governance_application_decide",
            "governance_application_attend",
            "governance_check_submit",
            "governance_check_conclude",
        )
    },
    "governance_mine": (None, {role: 200 for role in ROLES} | {"anonymous": 302}),
    "governance_apply": (lambda c: {"pk": 1}, {role: 405 for role in ROLES} | {"anonymous": 302}),
}

API_COVERED: set[str] = {
    "contact-chain-list",
    "contact-chain-detail",
    "contact-chain-end",
    "contact-chain-entries",
    "contact-chain-coverage",
    "contact-entry-detail",
    "contact-entry-request",
    "party-delegate-list",
    "sitting-in-list",
    "sitting-in-detail",
    "sitting-in-applications",
    "sitting-in-apply",
    "sitting-in-mine",
    "sitting-in-application-detail",
    "sitting-in-application-decide",
    "sitting-in-application-attend",
    "standard-list",
    "standard-detail",
    "standard-submit",
    "standard-conclude",
    "standard-rollup",
    "standard-item-detail",
    "standard-item-record",
    "standard-item-review",
    "standard-checklist-list",
    "upgrade-plan-list",
    "upgrade-plan-detail",
    "upgrade-plan-items",
    "upgrade-item-progress",
}
