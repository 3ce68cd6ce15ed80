"""The election rules as rule sets of lianxin.decisions.rules (quorum, majority), plus the slate ratio.

Defaults follow the Regulations on the Election Work of Grassroots Party Organizations
(《中国共产党基层组织选举工作条例》, 2020) as docs/elections.md cites them:

- the meeting is valid when more than four-fifths of the members with voting rights who should
  attend are present (quorum 4/5, strict);
- a candidate is elected with the votes for of more than half of the members with voting rights
  present at the meeting (实到会有选举权的人数过半数: majority 1/2, strict, base ``present``);
- the slate has at least 20% more candidates than seats (差额).

Change them per deployment with ``LIANXIN_ELECTIONS_RULES = {"party_election": {field: value}}``
(fractions as "4/5"; ``majority_base`` "present" or "entitled"), the slate ratio with
``LIANXIN_ELECTIONS_MIN_EXTRA_PERCENT`` and joint nominations with
``LIANXIN_ELECTIONS_JOINT_MIN_SIGNERS``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

from django.conf import settings
from django.utils.translation import gettext_lazy

from lianxin.decisions import rules as decision_rules
from lianxin.decisions.rules import PRESENT, RuleSet

PARTY_ELECTION = "party_election"

ELECTION_DEFAULT = RuleSet(
    code=PARTY_ELECTION,
    name=gettext_lazy("Election at the party member meeting"),
    quorum=Fraction(4, 5),
    quorum_strict=True,
    majority=Fraction(1, 2),
    majority_strict=True,
    majority_base=PRESENT,
    source=gettext_lazy(
        "Regulations on the Election Work of Grassroots Party Organizations (2020): the election is "
        "valid with more than four-fifths of the members with voting rights present; a candidate is "
        "elected with the votes for of more than half of the members with voting rights present."
    ),
)


def election_rule() -> RuleSet:
    overrides = dict(getattr(settings, "LIANXIN_ELECTIONS_RULES", {}).get(PARTY_ELECTION, {}))
    for key in ("quorum", "majority"):
        if key in overrides:
            overrides[key] = Fraction(str(overrides[key]))
    return replace(ELECTION_DEFAULT, **overrides) if overrides else ELECTION_DEFAULT


def body_rule(body: str) -> RuleSet:
    """The rule of the meeting that votes in a round: the election rule at the party member meeting,
    the decisions module's rule set (and its settings) at the residents' meetings of 两会票决."""
    if body == PARTY_ELECTION or body == decision_rules.PARTY_MEMBER_MEETING:
        return election_rule()
    return decision_rules.rule_set(body)


def min_extra_percent() -> int:
    return int(getattr(settings, "LIANXIN_ELECTIONS_MIN_EXTRA_PERCENT", 20))


def joint_min_signers() -> int:
    return int(getattr(settings, "LIANXIN_ELECTIONS_JOINT_MIN_SIGNERS", 5))


def remind_months() -> int:
    return int(getattr(settings, "LIANXIN_ELECTIONS_REMIND_MONTHS", 6))


def default_term_years() -> int:
    return int(getattr(settings, "LIANXIN_ELECTIONS_TERM_YEARS", 3))


def slate_minimum(seats: int, extra_percent: int) -> int:
    """The fewest candidates a competitive slate may have: seats plus ``extra_percent`` of the seats,
    rounded up (5 seats at 20% → 6; 7 → 9; 1 → 2)."""
    if extra_percent <= 0:
        return seats
    return seats + math.ceil(Fraction(seats * extra_percent, 100))
