"""Scoped reads of the five systems (D10): "not yours" is 404 like "missing"."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Avg, Count, Q
from django.db.models.functions import Substr
from django.utils import timezone

from lianxin.core import access, tree
from lianxin.places.models import Place

from .actions import PerformanceAction as A
from .models import (
    AccountabilityCase,
    BallotMark,
    CodeStatus,
    Commendation,
    CommendationStatus,
    Commitment,
    Criterion,
    EvaluationCycle,
    Goal,
    GoalItem,
    Satisfaction,
    Score,
    ScoreKind,
    SecretaryReport,
    YearMilestone,
)

# The source's benchmark for goal completion (D10: ≥ 95%).
COMPLETION_BENCHMARK = Decimal("95")
LEVEL_DEPTH = {"district": 2, "subdistrict": 3, "community": 4}


def _scoped(qs, actor, action=A.VIEW):
    return access.restrict(qs, actor, action)


def goal_list(*, actor, year: int | None = None):
    qs = (
        _scoped(Goal.objects.select_related("organization"), actor)
        .annotate(
            item_count=Count("items"), done_count=Count("items", filter=Q(items__completed_on__isnull=False))
        )
        .order_by("-year", "place_path", "id")
    )
    return qs.filter(year=year) if year else qs


def goal_get(*, actor, pk) -> Goal:
    return access.get_for_user(Goal.objects.select_related("organization", "place"), actor, A.VIEW, pk=pk)


def goal_item_get(*, actor, pk) -> GoalItem:
    return access.get_for_user(GoalItem.objects.select_related("goal"), actor, A.VIEW, pk=pk)


@dataclass
class CompletionRow:
    path: str
    name: str
    items: int
    due: int
    done: int
    practical: int
    practical_done: int

    @property
    def rate(self) -> Decimal | None:
        if not self.due:
            return None
        return (Decimal(100) * self.done / self.due).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def meets_benchmark(self) -> bool:
        return self.rate is not None and self.rate >= COMPLETION_BENCHMARK


def completion_rates(*, actor, year: int, level: str = "community", today: dt.date | None = None) -> list:
    """Goal completion per community, subdistrict or district: items due by today (every item, for
    a past year) that were completed; one grouped query on the place path prefix."""
    today = today or timezone.localdate()
    depth = LEVEL_DEPTH[level]
    width = depth * tree.SEGMENT
    rows = (
        _scoped(GoalItem.objects.filter(goal__year=year), actor)
        .annotate(prefix=Substr("place_path", 1, width))
        .values("prefix")
        .annotate(
            n_items=Count("id"),
            n_due=Count("id", filter=Q(due_on__lte=today)),
            n_done=Count("id", filter=Q(due_on__lte=today, completed_on__isnull=False)),
            n_practical=Count("id", filter=Q(practical=True)),
            n_practical_done=Count("id", filter=Q(practical=True, completed_on__isnull=False)),
        )
        .order_by("prefix")
    )
    rows = [row for row in rows if len(row["prefix"]) == width]
    names = dict(Place.objects.filter(path__in=[r["prefix"] for r in rows]).values_list("path", "name"))
    return [
        CompletionRow(
            path=r["prefix"],
            name=names.get(r["prefix"], "?"),
            items=r["n_items"],
            due=r["n_due"],
            done=r["n_done"],
            practical=r["n_practical"],
            practical_done=r["n_practical_done"],
        )
        for r in rows
    ]


def commitment_list(*, actor, year: int | None = None, status: str = ""):
    qs = _scoped(Commitment.objects.select_related("organization", "member__resident"), actor)
    if year:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    return qs


def commitment_get(*, actor, pk) -> Commitment:
    return access.get_for_user(
        Commitment.objects.select_related("organization", "member__resident", "place"), actor, A.VIEW, pk=pk
    )


def cycle_list(*, actor):
    return (
        _scoped(EvaluationCycle.objects.all(), actor)
        .annotate(
            ballot_count=Count("ballots", distinct=True), evaluee_count=Count("evaluees", distinct=True)
        )
        .order_by("-year", "-half", "id")
    )


def cycle_get(*, actor, pk, action=A.VIEW) -> EvaluationCycle:
    return access.get_for_user(EvaluationCycle.objects.select_related("place"), actor, action, pk=pk)


def code_counts(cycle) -> dict:
    counts = dict(cycle.codes.values_list("status").annotate(n=Count("id")))
    return {status: counts.get(status, 0) for status in CodeStatus.values}


def _points() -> dict:
    """Points of each public rating for the public score (满意 100, 基本满意 80, 不满意 0 by default)."""
    return getattr(
        settings,
        "LIANXIN_PERFORMANCE_POINTS",
        {Satisfaction.SATISFIED: 100, Satisfaction.BASICALLY: 80, Satisfaction.DISSATISFIED: 0},
    )


@dataclass
class EvalResult:
    evaluee: object
    self_score: Decimal | None = None
    peer_score: Decimal | None = None
    leader_score: Decimal | None = None
    public_score: Decimal | None = None
    votes: dict = field(default_factory=dict)
    leader_comments: list = field(default_factory=list)
    total: Decimal | None = None
    complete: bool = False

    @property
    def ballots(self) -> int:
        return sum(self.votes.values())

    @property
    def satisfaction_rate(self) -> Decimal | None:
        """满意 + 基本满意 over all ballots, in percent."""
        if not self.ballots:
            return None
        good = self.votes.get(Satisfaction.SATISFIED, 0) + self.votes.get(Satisfaction.BASICALLY, 0)
        return (Decimal(100) * good / self.ballots).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _q(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP)


def weighted_total(cycle, parts: dict) -> tuple[Decimal | None, bool]:
    """Σ weight × score over the parts that have a score, divided by the weights of those parts;
    ``complete`` when every part with a weight above zero has a score."""
    weights = {
        ScoreKind.SELF: cycle.weight_self,
        ScoreKind.PEER: cycle.weight_peer,
        ScoreKind.LEADER: cycle.weight_leader,
        "public": cycle.weight_public,
    }
    used = {k: w for k, w in weights.items() if w and parts.get(k) is not None}
    complete = all(parts.get(k) is not None for k, w in weights.items() if w)
    if not used:
        return None, complete
    total = sum(Decimal(w) * Decimal(parts[k]) for k, w in used.items()) / sum(used.values())
    return _q(total), complete


def cycle_results(cycle) -> list[EvalResult]:
    """一会四评 results: self, peer (average), leader (average) and public scores, the votes and the
    satisfaction rate, and the weighted total, per person evaluated. Two grouped queries."""
    evaluees = list(cycle.evaluees.all())
    results = {e.pk: EvalResult(evaluee=e) for e in evaluees}
    for row in (
        Score.objects.filter(evaluee__cycle=cycle).values("evaluee_id", "kind").annotate(avg=Avg("score"))
    ):
        setattr(results[row["evaluee_id"]], f"{row['kind']}_score", _q(row["avg"]))
    for score in Score.objects.filter(evaluee__cycle=cycle, kind=ScoreKind.LEADER).order_by("at"):
        results[score.evaluee_id].leader_comments.append(score)
    for row in (
        BallotMark.objects.filter(evaluee__cycle=cycle).values("evaluee_id", "rating").annotate(n=Count("id"))
    ):
        results[row["evaluee_id"]].votes[row["rating"]] = row["n"]
    points = _points()
    for result in results.values():
        if result.ballots:
            result.public_score = _q(
                Decimal(sum(points[k] * n for k, n in result.votes.items())) / result.ballots
            )
        result.total, result.complete = weighted_total(
            cycle,
            {
                ScoreKind.SELF: result.self_score,
                ScoreKind.PEER: result.peer_score,
                ScoreKind.LEADER: result.leader_score,
                "public": result.public_score,
            },
        )
    return [results[e.pk] for e in evaluees]


def commendation_list(*, actor, year: int | None = None, status: str = ""):
    qs = _scoped(Commendation.objects.select_related("organization", "member__resident"), actor)
    if year:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    return qs


def commendation_get(*, actor, pk) -> Commendation:
    return access.get_for_user(
        Commendation.objects.select_related("organization", "member__resident", "place"), actor, A.VIEW, pk=pk
    )


def honour_roll(*, year: int | None = None, place=None):
    """Public: awarded commendations (光荣榜), names and deeds only."""
    qs = Commendation.objects.filter(status=CommendationStatus.AWARDED).select_related(
        "organization", "member__resident", "place"
    )
    if year:
        qs = qs.filter(year=year)
    if place is not None:
        qs = qs.filter(place_path__startswith=place.path)
    return qs.order_by("-year", "criterion", "-decided_on", "id")


def red_banner_holders(*, place=None):
    """The rotating red banner: the latest award per place holds it now; earlier ones are history."""
    return honour_roll(place=place).filter(criterion=Criterion.RED_BANNER).order_by("-decided_on", "-id")


def case_list(*, actor, status: str = ""):
    qs = _scoped(AccountabilityCase.objects.all(), actor)
    return qs.filter(status=status) if status else qs


def case_get(*, actor, pk) -> AccountabilityCase:
    return access.get_for_user(AccountabilityCase.objects.all(), actor, A.VIEW, pk=pk)


def milestone_list(*, actor, year: int | None = None):
    qs = _scoped(YearMilestone.objects.select_related("place", "todo__assignee"), actor)
    return qs.filter(year=year) if year else qs


def report_list(*, actor):
    return _scoped(SecretaryReport.objects.select_related("organization"), actor)


def report_get(*, actor, pk) -> SecretaryReport:
    return access.get_for_user(
        SecretaryReport.objects.select_related("organization", "place"), actor, A.VIEW, pk=pk
    )


def organizations(*, actor, action=A.MANAGE):
    from lianxin.places.models import PartyOrganization

    return access.restrict(
        PartyOrganization.objects.filter(dissolved_on__isnull=True), actor, action
    ).order_by("path")


def places(*, actor, action=A.MANAGE):
    return access.restrict(
        Place.objects.filter(kind__in=["district", "subdistrict", "community"]), actor, action
    )
