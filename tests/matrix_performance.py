"""Permission-matrix entries of this module (see tests/matrix_modules.py)."""

from .matrix_roles import OFFICERS, PUBLIC, only

READERS = OFFICERS | {"community_secretary", "committee_member", "staff", "supervisor"}
BALLOTS = {"community_secretary", "committee_member", "staff"}


def _sample(key):
    def kwargs(city):
        from .test_performance_services import perf_sample

        return {"pk": perf_sample(city)[key].pk}

    return kwargs


def _code(city):
    from .test_performance_services import perf_sample

    return {"code": perf_sample(city)["codes"][0]}


# 幸福社区's rows; the outsider (团结社区's secretary) runs her own community: lists open, rows 404.
WEB = {
    **{
        name: (None, only(READERS | {"outsider"}))
        for name in (
            "performance",
            "performance_goals",
            "performance_commitments",
            "performance_cycles",
            "performance_commendations",
            "performance_cases",
            "performance_rhythm",
            "performance_reports",
        )
    },
    "performance_goal": (_sample("goal"), only(READERS, hidden={"outsider"})),
    "performance_commitment": (
        _sample("commitment"),
        only(READERS, hidden={"outsider"}),
    ),
    "performance_cycle": (_sample("cycle"), only(READERS, hidden={"outsider"})),
    "performance_cycle_slips": (
        _sample("cycle"),
        only(
            BALLOTS, hidden={"outsider", "grid_worker", "assistant", "sysadmin"} | OFFICERS | {"supervisor"}
        ),
    ),
    "performance_report": (_sample("report"), only(READERS, hidden={"outsider"})),
    "performance_goal_letter": (
        _sample("goal"),
        only(READERS, hidden={"outsider"}),
    ),
    "performance_report_pdf": (
        _sample("report"),
        only(READERS, hidden={"outsider"}),
    ),
    "performance_portal": (None, PUBLIC),
    "performance_portal_thanks": (None, PUBLIC),
    "performance_portal_honours": (None, PUBLIC),
    "performance_portal_ballot": (_code, PUBLIC),
}

API_COVERED: set[str] = {
    "goal-list",
    "goal-detail",
    "goal-items",
    "goal-progress",
    "goal-sign",
    "goal-completion",
    "commitment-list",
    "commitment-detail",
    "commitment-publish",
    "commitment-fulfil",
    "commitment-templates",
    "evaluation-list",
    "evaluation-detail",
    "evaluation-evaluees",
    "evaluation-scores",
    "evaluation-codes",
    "evaluation-void",
    "ballot-list",
    "commendation-list",
    "commendation-detail",
    "commendation-decide",
    "accountability-list",
    "accountability-detail",
    "accountability-suggest",
    "accountability-move",
}
