"""Permission-matrix entries of this module (see tests/matrix_modules.py).

Elections (D3 换届): the secretary and committee members of 幸福社区 run the elections of its
organizations; the subdistrict officer (东街街道, the superior) approves reports and reads; the
district officer reads; the outsider (团结社区's secretary) has her own lists and 幸福社区's rows
are missing to her (404). Staff, supervisors and the rest see nothing. The code-vote page is public."""

from .matrix_roles import OFFICERS, POST_ONLY, PUBLIC, only
from .test_elections_helpers import elections_sample

VIEWERS = OFFICERS | {"community_secretary", "committee_member"}
RUNNERS = {"community_secretary", "committee_member"}


def _sample(key):
    return lambda c: {"pk": elections_sample(c)[key].pk}


WEB: dict = {
    **{name: (None, only(VIEWERS | {"outsider"})) for name in ("elections", "elections_terms")},
    **{name: (None, only(RUNNERS | {"outsider"})) for name in ("elections_create", "elections_term_record")},
    **{
        name: (_sample("election"), only(VIEWERS, hidden={"outsider"}))
        for name in ("elections_detail", "elections_sheet")
    },
    **{
        name: (_sample("election"), only(RUNNERS, hidden={"outsider"}))
        for name in ("elections_nominate", "elections_end_short")
    },
    "elections_decide": (_sample("election"), only({"subdistrict_officer"}, hidden={"outsider"})),
    **{
        name: (_sample("round"), only(RUNNERS, hidden={"outsider"}))
        for name in ("elections_round_open", "elections_teller")
    },
    **{
        name: (lambda c: {"pk": 1}, POST_ONLY)
        for name in (
            "elections_vet",
            "elections_slate",
            "elections_report",
            "elections_codes",
            "elections_round_close",
        )
    },
    "elections_vote": (None, PUBLIC),
}

API_COVERED: set[str] = {
    "election-list",
    "election-detail",
    "election-decide",
    "election-term-list",
}
