"""Permission-matrix entries of this module (see tests/matrix_modules.py).

Case A (张三's household, 幸福社区, in the grid worker's grid) is at 调查 with an investigation and a
photo; case B is at 公示 with a running notice (tests/test_assistance_access.assistance_sample).
"""

from .matrix_roles import POST_ONLY, PUBLIC, only

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
NOT_HERE = {"outsider"}


def _sample(key):
    def kwargs(city):
        from .test_assistance_access import assistance_light_sample

        return {"pk": assistance_light_sample(city)[key].pk}

    return kwargs


WEB: dict = {
    "assistance": (None, only(VIEWERS | NOT_HERE)),
    "assistance_case_create": (None, only(HANDLERS | NOT_HERE)),
    "assistance_case": (_sample("case"), only(VIEWERS, hidden=NOT_HERE)),
    "assistance_case_act": (lambda c: {"pk": 1, "step": "advance"}, POST_ONLY),
    # Only those who act at 调查 (the community and its grid workers) open the form.
    "assistance_investigation": (_sample("case"), only(HANDLERS, hidden=NOT_HERE)),
    "assistance_reveal": (_sample("case"), only({"community_secretary", "staff"}, hidden=NOT_HERE)),
    "assistance_photo": (_sample("photo"), only(VIEWERS, hidden=NOT_HERE)),
    "assistance_flagged": (None, only({"district_officer", "subdistrict_officer", "supervisor"})),
    "assistance_reports": (None, only(VIEWERS | NOT_HERE)),
    "assistance_export": (None, POST_ONLY),
    "assistance_payments_run": (None, POST_ONLY),
    "assistance_ledger": (_sample("household"), only(VIEWERS, hidden=NOT_HERE)),
    "assistance_plan_act": (lambda c: {"pk": 1, "step": "stop"}, POST_ONLY),
    "assistance_relatives": (None, only(VIEWERS | NOT_HERE)),
    "assistance_pairings": (None, only(VIEWERS | NOT_HERE)),
    "assistance_pairing_create": (None, only({"community_secretary", "committee_member"} | NOT_HERE)),
    "assistance_pairing": (_sample("pairing"), only(VIEWERS, hidden=NOT_HERE)),
    "assistance_portal": (None, PUBLIC),
    "assistance_portal_notice": (_sample("notice"), PUBLIC),
}

API_COVERED: set[str] = {
    "programme-list",
    "programme-detail",
    "case-list",
    "case-detail",
    "case-advance",
    "case-return",
    "case-reject",
    "case-investigation",
    "case-reveal",
    "case-votes",
    "case-notice",
    "objection-list",
    "objection-detail",
    "objection-answer",
    "relative-list",
    "relative-detail",
    "relative-end",
    "pairing-list",
    "pairing-detail",
    "pairing-actions",
    "pairing-note",
    "pairing-end",
    "pairing-coverage",
}
