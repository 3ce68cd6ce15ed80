"""Permission-matrix entries of this module (see tests/matrix_modules.py).

The sample (tests/test_disputes.py disputes_sample) lives in 幸福社区: the dispute and incident in
1号楼 (inside the grid worker's grid), the screening over the community (the grid worker is one of
its screeners), the patrol zone on the grid. The outsider is 团结社区's secretary.
"""

from .matrix_roles import POST_ONLY, STAFF_AREA, only

VIEWERS = {
    "district_officer",
    "subdistrict_officer",
    "community_secretary",
    "committee_member",
    "staff",
    "grid_worker",
    "supervisor",
}
HANDLERS = {"community_secretary", "committee_member", "staff", "grid_worker"}
MANAGERS = {"community_secretary", "committee_member"}
REPORTERS = HANDLERS | {"district_officer", "subdistrict_officer"}
HIDDEN = {"outsider", "assistant", "sysadmin"}


def _sample(key):
    def kwargs(city):
        from .test_disputes import disputes_sample

        return {"pk": disputes_sample(city)[key].pk}

    return kwargs


def _incident_photo(city):
    from .test_disputes import disputes_sample

    return {"pk": disputes_sample(city)["incident"].pk, "photo_pk": 1}


def _care_record(city):
    from .test_transfer_pages import special_care_sample

    return {"record_pk": special_care_sample(city).pk}


WEB: dict = {
    "disputes": (None, only(VIEWERS | {"outsider"})),
    "disputes_create": (None, only(HANDLERS | {"outsider"})),
    "disputes_detail": (_sample("dispute"), only(VIEWERS, hidden=HIDDEN)),
    "disputes_arrange": (_sample("dispute"), only(HANDLERS, hidden=HIDDEN)),
    "disputes_close": (_sample("dispute"), only(HANDLERS, hidden=HIDDEN)),
    # No agreement is attached to the sample: 404 for everyone who gets that far.
    "disputes_agreement": (_sample("dispute"), only(set(), forbidden=404)),
    **{
        name: (lambda c: {"pk": 1}, POST_ONLY)
        for name in ("disputes_escalate", "disputes_hand_back", "disputes_follow_up")
    },
    "disputes_metrics": (None, only(VIEWERS | {"outsider"})),
    "disputes_metrics_export": (None, POST_ONLY),
    "disputes_mediators": (None, only(VIEWERS | {"outsider"})),
    "disputes_mediator_create": (None, only(MANAGERS | {"outsider"})),
    "disputes_screenings": (None, only(VIEWERS | {"outsider"})),
    "disputes_screening_create": (None, only(MANAGERS | {"outsider"})),
    "disputes_screening": (_sample("campaign"), only(VIEWERS, hidden=HIDDEN)),
    "disputes_incidents": (None, only(VIEWERS | {"outsider"})),
    "disputes_incident_report": (None, only(REPORTERS | {"outsider"})),
    "disputes_incident": (_sample("incident"), only(VIEWERS, hidden=HIDDEN)),
    "disputes_incident_photo": (_incident_photo, only(set(), forbidden=404)),
    "disputes_plans": (None, only(VIEWERS | {"outsider"})),
    "disputes_plan_create": (None, only(MANAGERS | {"outsider"})),
    "disputes_patrols": (None, only(VIEWERS | {"outsider"})),
    "disputes_team_create": (None, only(MANAGERS | {"outsider"})),
    "disputes_zone": (_sample("zone"), only(VIEWERS, hidden=HIDDEN)),
    # Care of special groups: nobody here holds an assignment, so the list is empty (and reads
    # nothing, so nothing is audited) and every record and plan is 404.
    "disputes_care": (None, STAFF_AREA),
    "disputes_care_create": (_care_record, only(set(), forbidden=404)),
    "disputes_care_plan": (lambda c: {"pk": 1}, only(set(), forbidden=404)),
}

API_COVERED: set[str] = {
    "dispute-list",
    "dispute-detail",
    "dispute-escalate",
    "dispute-hand-back",
    "dispute-metrics",
    "screening-list",
    "screening-detail",
    "screening-record",
    "incident-list",
    "incident-detail",
    "patrol-list",
    "patrol-detail",
    "care-plan-list",
    "care-plan-detail",
}
