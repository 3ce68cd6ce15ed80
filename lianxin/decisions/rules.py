"""Quorum and majority rules of the meetings that decide (D8), as pure, reusable rule sets.

No database, no models: a rule set is data, ``evaluate`` is a function of a rule set and a tally.
The elections module reuses them. Each result names the rule that applied and explains, with the
numbers, why the motion passed or failed (a human-readable text through gettext; Chinese in the UI).

Thresholds are exact fractions. "More than half" (过半数) of 30 is 16: strictly more than 15.
"At least two-thirds" (三分之二以上) of 35 is 24: 23.33 rounded up. In Chinese legal usage "以上"
includes the number itself, "过半数" / "超过半数" does not: ``strict`` carries that difference.

Defaults and sources (docs/decisions.md); any of them can be changed per deployment with the
setting ``LIANXIN_DECISIONS_RULES = {code: {field: value}}`` (fractions as "2/3").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ENTITLED = "entitled"
PRESENT = "present"

PARTY_MEMBER_MEETING = "party_member_meeting"
RESIDENTS_MEETING = "residents_meeting"
REPRESENTATIVES_MEETING = "representatives_meeting"
BRANCH_COMMITTEE = "branch_committee"
TWO_COMMITTEES = "two_committees"
HOUSEHOLD_BALLOT = "household_ballot"


@dataclass(frozen=True)
class RuleSet:
    """A meeting's quorum (who must be present) and majority (how many votes carry a motion)."""

    code: str
    name: str
    quorum: Fraction  # share of those entitled who must be present
    quorum_strict: bool  # True: more than that share (过半数); False: at least it (以上)
    majority: Fraction  # share of ``majority_base`` whose votes carry the motion
    majority_strict: bool
    majority_base: str  # ENTITLED or PRESENT
    source: str

    def quorum_needed(self, entitled: int) -> int:
        return needed(entitled, self.quorum, self.quorum_strict)

    def votes_needed(self, entitled: int, present: int) -> int:
        base = entitled if self.majority_base == ENTITLED else present
        return needed(base, self.majority, self.majority_strict)


def needed(total: int, share: Fraction, strict: bool) -> int:
    """The smallest count that is more than (strict) or at least (not strict) ``share`` of ``total``."""
    exact = share * total
    if strict:
        return math.floor(exact) + 1
    return math.ceil(exact)


@dataclass(frozen=True)
class Tally:
    entitled: int
    present: int
    votes_for: int
    votes_against: int = 0
    abstain: int = 0


@dataclass(frozen=True)
class Outcome:
    rule: RuleSet
    tally: Tally
    quorum_needed: int
    quorum_met: bool
    votes_needed: int
    passed: bool
    explanation: str

    @property
    def status(self) -> str:
        if not self.quorum_met:
            return "no_quorum"
        return "passed" if self.passed else "failed"


DEFAULTS: dict[str, RuleSet] = {
    PARTY_MEMBER_MEETING: RuleSet(
        code=PARTY_MEMBER_MEETING,
        name=gettext_lazy("Party member meeting"),
        quorum=Fraction(1, 2),
        quorum_strict=True,
        majority=Fraction(1, 2),
        majority_strict=True,
        majority_base=ENTITLED,
        source=gettext_lazy(
            "Regulations on the Work of Party Branches (trial, 2018): a vote needs more than half of the "
            "members with voting rights present; a motion passes with the votes of more than half of "
            "the members with voting rights entitled to attend."
        ),
    ),
    RESIDENTS_MEETING: RuleSet(
        code=RESIDENTS_MEETING,
        name=gettext_lazy("Residents' meeting"),
        quorum=Fraction(1, 2),
        quorum_strict=True,
        majority=Fraction(1, 2),
        majority_strict=True,
        majority_base=PRESENT,
        source=gettext_lazy(
            "Organic Law of Urban Residents' Committees, art. 10: the meeting needs more than half of "
            "the residents aged 18 or over, household representatives or elected group representatives "
            "present; its decisions pass by more than half of those present."
        ),
    ),
    REPRESENTATIVES_MEETING: RuleSet(
        code=REPRESENTATIVES_MEETING,
        name=gettext_lazy("Residents' representatives' meeting"),
        quorum=Fraction(2, 3),
        quorum_strict=False,
        majority=Fraction(1, 2),
        majority_strict=True,
        majority_base=PRESENT,
        source=gettext_lazy(
            "Default after the Organic Law of Villagers' Committees, art. 26, as communities apply it to "
            "residents' representatives: at least two-thirds of the representatives present; decisions "
            "pass by more than half of those present. Set by the residents' charter."
        ),
    ),
    BRANCH_COMMITTEE: RuleSet(
        code=BRANCH_COMMITTEE,
        name=gettext_lazy("Party committee meeting"),
        quorum=Fraction(1, 2),
        quorum_strict=True,
        majority=Fraction(1, 2),
        majority_strict=True,
        majority_base=ENTITLED,
        source=gettext_lazy(
            "Democratic centralism as in the Regulations on the Work of Party Branches: more than half "
            "of the committee members present; a proposal needs the votes of more than half of the "
            "members entitled to attend."
        ),
    ),
    TWO_COMMITTEES: RuleSet(
        code=TWO_COMMITTEES,
        name=gettext_lazy("Joint meeting of the two committees"),
        quorum=Fraction(1, 2),
        quorum_strict=True,
        majority=Fraction(1, 2),
        majority_strict=True,
        majority_base=ENTITLED,
        source=gettext_lazy(
            "Local 4+2 practice: the party committee and the residents' committee deliberate together; "
            "more than half of the members of both present; more than half of all members in favour."
        ),
    ),
    HOUSEHOLD_BALLOT: RuleSet(
        code=HOUSEHOLD_BALLOT,
        name=gettext_lazy("Household ballot"),
        quorum=Fraction(1, 2),
        quorum_strict=True,
        majority=Fraction(1, 2),
        majority_strict=True,
        majority_base=PRESENT,
        source=gettext_lazy(
            "Organic Law of Urban Residents' Committees, art. 10, applied to household representatives "
            "(one vote per household): more than half of the households voting; more than half of the "
            "households voting in favour."
        ),
    ),
}


def _fraction(value) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(str(value))


def rule_set(code: str, overrides: dict | None = None) -> RuleSet:
    """The rule set ``code``: the default, changed by ``LIANXIN_DECISIONS_RULES`` (or ``overrides``)."""
    rule = DEFAULTS[code]
    if overrides is None:
        from django.conf import settings

        overrides = getattr(settings, "LIANXIN_DECISIONS_RULES", {}).get(code, {})
    changes = dict(overrides)
    for key in ("quorum", "majority"):
        if key in changes:
            changes[key] = _fraction(changes[key])
    if changes.get("majority_base", ENTITLED) not in (ENTITLED, PRESENT):
        raise ValueError(f"majority_base must be {ENTITLED!r} or {PRESENT!r}")
    return replace(rule, **changes) if changes else rule


def check_tally(tally: Tally) -> dict[str, str]:
    """Problems with a tally, by field: nothing counted can exceed what it is counted from."""
    errors: dict[str, str] = {}
    for field in ("entitled", "present", "votes_for", "votes_against", "abstain"):
        if getattr(tally, field) < 0:
            errors[field] = _("A count cannot be negative.")
    if tally.entitled <= 0:
        errors.setdefault("entitled", _("Enter how many were entitled to attend (at least 1)."))
    if tally.present > tally.entitled:
        errors.setdefault(
            "present",
            _("%(present)d present is more than the %(entitled)d entitled to attend.")
            % {"present": tally.present, "entitled": tally.entitled},
        )
    cast = tally.votes_for + tally.votes_against + tally.abstain
    if cast > tally.present:
        errors.setdefault(
            "votes_for",
            _("For, against and abstaining add up to %(cast)d, more than the %(present)d present.")
            % {"cast": cast, "present": tally.present},
        )
    return errors


def _share(value: Fraction) -> str:
    if value == Fraction(1, 2):
        return _("half")
    if value == Fraction(2, 3):
        return _("two-thirds")
    return f"{value.numerator}/{value.denominator}"


def _threshold(share: Fraction, strict: bool) -> str:
    if strict:
        return _("more than %(share)s") % {"share": _share(share)}
    return _("at least %(share)s") % {"share": _share(share)}


def evaluate(rule: RuleSet, tally: Tally) -> Outcome:
    """Apply ``rule`` to ``tally``. Raises ValueError on an impossible tally (see ``check_tally``)."""
    errors = check_tally(tally)
    if errors:
        raise ValueError("; ".join(f"{k}: {v}" for k, v in errors.items()))
    quorum_needed = rule.quorum_needed(tally.entitled)
    votes_needed = rule.votes_needed(tally.entitled, tally.present)
    quorum_met = tally.present >= quorum_needed
    passed = quorum_met and tally.votes_for >= votes_needed
    numbers = {
        "rule": rule.name,
        "entitled": tally.entitled,
        "present": tally.present,
        "quorum": _threshold(rule.quorum, rule.quorum_strict),
        "quorum_needed": quorum_needed,
        "for": tally.votes_for,
        "against": tally.votes_against,
        "abstain": tally.abstain,
        "majority": _threshold(rule.majority, rule.majority_strict),
        "votes_needed": votes_needed,
    }
    if rule.majority_base == ENTITLED:
        numbers["base"] = _("of the %(n)d entitled") % {"n": tally.entitled}
    else:
        numbers["base"] = _("of the %(n)d present") % {"n": tally.present}
    if not quorum_met:
        explanation = (
            _(
                "%(rule)s: no quorum. %(present)d of %(entitled)d entitled were present; the rule needs "
                "%(quorum)s present, that is at least %(quorum_needed)d. No valid vote was taken."
            )
            % numbers
        )
    elif passed:
        explanation = (
            _(
                "%(rule)s: passed. %(present)d of %(entitled)d entitled were present (quorum "
                "%(quorum_needed)d). %(for)d for, %(against)d against, %(abstain)d abstaining; the rule "
                "needs %(majority)s %(base)s in favour, that is at least %(votes_needed)d, and %(for)d "
                "voted for."
            )
            % numbers
        )
    else:
        explanation = (
            _(
                "%(rule)s: not passed. %(present)d of %(entitled)d entitled were present (quorum "
                "%(quorum_needed)d). %(for)d for, %(against)d against, %(abstain)d abstaining; the rule "
                "needs %(majority)s %(base)s in favour, that is at least %(votes_needed)d, but only "
                "%(for)d voted for."
            )
            % numbers
        )
    return Outcome(
        rule=rule,
        tally=tally,
        quorum_needed=quorum_needed,
        quorum_met=quorum_met,
        votes_needed=votes_needed,
        passed=passed,
        explanation=explanation,
    )
