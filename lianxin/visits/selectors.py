"""Scoped reads for visits (D5): the visit plan, a household's log, coverage, pairs and duties.

Every read starts from lianxin.core.access.restrict: a household or visit outside the actor's
subtree is missing (404), exactly like in the registry.
"""

import datetime as dt
from bisect import bisect_left
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Substr
from django.utils import timezone

from lianxin.accounts.models import RoleAssignment
from lianxin.core import access, tree
from lianxin.core.access import Action, Role
from lianxin.core.calendar import batch as working_calendar_batch
from lianxin.places.models import Place, PlaceKind
from lianxin.registry.models import DifficultyTag, Household, Resident
from lianxin.registry.selectors import search_q

from . import cadence
from .models import AssistantDuty, DutyKind, Visit, VisitAssignment, VisitSchedule

# "两人一组包百户": a pair covers about a hundred households; far above that is flagged.
PAIR_TARGET = 100


def pair_warn_above() -> int:
    return getattr(settings, "LIANXIN_VISIT_PAIR_WARN_ABOVE", 130)


# Households sit on buildings, which sit on grids: a household's grid is its path's first five
# segments (city, district, subdistrict, community, grid).
GRID_DEPTH = 5


# --- schedules ----------------------------------------------------------------------------------


def community_of(place) -> Place | None:
    """The community a place belongs to (itself when it is one)."""
    path = place if isinstance(place, str) else place.path
    return (
        Place.objects.filter(kind=PlaceKind.COMMUNITY, path__in=[*tree.ancestors_of(path), path])
        .order_by("depth")
        .first()
    )


def schedule_for(community) -> VisitSchedule:
    """The community's schedule, or an unsaved one with the default days."""
    found = VisitSchedule.objects.filter(place=community).first()
    return found or VisitSchedule(place=community)


@dataclass
class ScheduleDates:
    community: Place
    schedule: VisitSchedule
    visit_dates: list[dt.date]
    followup_dates: list[dt.date]

    def kind_of(self, day: dt.date) -> str:
        if day in self.visit_dates:
            return "visit"
        if day in self.followup_dates:
            return "follow_up"
        return ""


def schedule_dates(community, today: dt.date) -> ScheduleDates:
    schedule = schedule_for(community)
    return ScheduleDates(
        community,
        schedule,
        cadence.next_dates(cadence.parse_days(schedule.visit_days), today),
        cadence.next_dates(cadence.parse_days(schedule.followup_days), today),
    )


def home_community(*, actor, action: str = Action.VIEW_VISITS) -> Place | None:
    """The one community the actor works in (theirs, or the one holding their grid), or None when
    their scope is wider or spans several communities."""
    found = {}
    for root in access.scope_paths(actor, action):
        community = community_of(root) if root else None
        if community is None:
            return None
        found[community.pk] = community
    return next(iter(found.values())) if len(found) == 1 else None


def communities_for(*, actor, action: str = Action.VIEW_VISITS):
    return access.restrict(Place.objects.filter(kind=PlaceKind.COMMUNITY), actor, action).order_by("path")


def community_get(*, actor, pk, action: str = Action.VIEW_VISITS) -> Place:
    return access.get_for_user(Place.objects.filter(kind=PlaceKind.COMMUNITY), actor, action, pk=pk)


# --- households and the plan ---------------------------------------------------------------------


def _visited_between(start: dt.date, end: dt.date):
    return Exists(Visit.objects.filter(household=OuterRef("pk"), visited_on__gte=start, visited_on__lte=end))


def household_list(*, actor, action: str = Action.VIEW_VISITS):
    return access.restrict(Household.objects.all(), actor, action)


def household_get(*, actor, pk, action: str = Action.VIEW_VISITS) -> Household:
    return access.get_for_user(Household.objects.select_related("place", "head"), actor, action, pk=pk)


def assigned_q(user) -> Q:
    """Households covered by the user's active visit pairs."""
    explicit, whole = [], []
    for assignment in VisitAssignment.objects.active().of_user(user).prefetch_related("households"):
        ids = [h.pk for h in assignment.households.all()]
        if ids:
            explicit.extend(ids)
        else:
            whole.append(assignment.place_path)
    q = Q(pk__in=explicit) if explicit else Q(pk__in=[])
    if whole:
        q |= tree.under_q("place_path", whole)
    return q


def has_assignment(user) -> bool:
    return VisitAssignment.objects.active().of_user(user).exists()


def plan(
    *,
    actor,
    today: dt.date,
    mine: bool = False,
    within=None,
    pending_only: bool = False,
    q: str = "",
):
    """The visit plan: households in scope, those with a difficulty first, then never visited, then
    the least recently visited. ``pending_only`` leaves out households already visited this month."""
    qs = access.restrict(Household.objects.select_related("place", "head"), actor, Action.VIEW_VISITS)
    if within is not None:
        qs = qs.under(within.path)
    if mine:
        qs = qs.filter(assigned_q(actor))
    if q:
        qs = qs.filter(pk__in=Resident.objects.filter(search_q(q)).values("household_id"))
    month_start = today.replace(day=1)
    qs = qs.annotate(
        has_difficulty=Exists(DifficultyTag.objects.filter(household=OuterRef("pk"), ended_on__isnull=True)),
        last_visit=Subquery(
            Visit.objects.filter(household=OuterRef("pk")).order_by("-visited_on").values("visited_on")[:1]
        ),
        visited_this_month=_visited_between(month_start, cadence.month_end(today.year, today.month)),
        open_followup=Subquery(
            Visit.objects.filter(household=OuterRef("pk"))
            .order_by("-visited_on", "-pk")
            .values("needs_followup")[:1]
        ),
    )
    if pending_only:
        qs = qs.filter(visited_this_month=False)
    return qs.order_by(
        F("has_difficulty").desc(),
        F("last_visit").asc(nulls_first=True),
        "place_path",
        "unit",
        "room",
        "pk",
    )


def difficulties_by_household(households) -> dict[int, list[DifficultyTag]]:
    result: dict[int, list[DifficultyTag]] = {}
    ids = [h.pk for h in households]
    for tag in DifficultyTag.objects.filter(household_id__in=ids, ended_on__isnull=True).order_by("kind"):
        result.setdefault(tag.household_id, []).append(tag)
    return result


# --- visits ------------------------------------------------------------------------------------


def visit_list(*, actor, household=None, year: int | None = None, month: int | None = None):
    qs = access.restrict(
        Visit.objects.select_related("household__place", "visitor", "companion"), actor, Action.VIEW_VISITS
    )
    if household is not None:
        qs = qs.filter(household=household)
    if year and month:
        qs = qs.in_month(year, month)
    return qs


def visit_get(*, actor, pk, action: str = Action.VIEW_VISITS) -> Visit:
    return access.get_for_user(
        Visit.objects.select_related("household__place", "visitor", "companion"), actor, action, pk=pk
    )


def companions_for(*, actor, household) -> list:
    """People who may go along on a visit to ``household``: those who may record visits there."""
    from lianxin.accounts.models import User

    recorder_roles = [
        role for role, actions in access.ROLE_ACTIONS.items() if Action.RECORD_VISITS in actions
    ]
    paths = tree.ancestors_of(household.place_path) + [household.place_path]
    users = (
        User.objects.filter(
            is_active=True,
            role_assignments__ended_at__isnull=True,
            role_assignments__role__in=recorder_roles,
            role_assignments__place__path__in=paths,
        )
        .exclude(pk=actor.pk)
        .distinct()
        .order_by("display_name", "username")
    )
    return list(users[:200])


# --- coverage ------------------------------------------------------------------------------------


@dataclass
class GridCoverage:
    grid: Place
    households: int
    visited: int
    never_visited: int

    @property
    def percent(self) -> int:
        return round(100 * self.visited / self.households) if self.households else 0


def coverage(*, actor, year: int, month: int, within=None) -> list[GridCoverage]:
    """Per grid: households, households visited in the month, households never visited by the
    month's end. Counted in the database, grouped by the grid part of the household's path."""
    start, end = dt.date(year, month, 1), cadence.month_end(year, month)
    qs = access.restrict(Household.objects.all(), actor, Action.VIEW_VISITS)
    if within is not None:
        qs = qs.under(within.path)
    rows = (
        qs.annotate(
            grid_path=Substr("place_path", 1, GRID_DEPTH * tree.SEGMENT),
            in_month=_visited_between(start, end),
            ever=Exists(Visit.objects.filter(household=OuterRef("pk"), visited_on__lte=end)),
        )
        .values("grid_path")
        .annotate(
            total=Count("pk"),
            visited=Count("pk", filter=Q(in_month=True)),
            never=Count("pk", filter=Q(ever=False)),
        )
        .order_by("grid_path")
    )
    counts = {row["grid_path"]: row for row in rows}
    grids = {p.path: p for p in Place.objects.filter(path__in=counts).select_related("parent")}
    return [
        GridCoverage(grids[path], row["total"], row["visited"], row["never"])
        for path, row in counts.items()
        if path in grids
    ]


def never_visited(*, actor, year: int, month: int, within=None):
    """Households in scope without any visit up to the end of the month."""
    end = cadence.month_end(year, month)
    qs = access.restrict(Household.objects.select_related("place", "head"), actor, Action.VIEW_VISITS)
    if within is not None:
        qs = qs.under(within.path)
    return qs.exclude(Exists(Visit.objects.filter(household=OuterRef("pk"), visited_on__lte=end))).order_by(
        "place_path", "unit", "room", "pk"
    )


def grids_for(*, actor):
    return access.restrict(
        Place.objects.filter(kind=PlaceKind.GRID).select_related("parent"), actor, Action.VIEW_VISITS
    ).order_by("path")


# --- pairs ----------------------------------------------------------------------------------------


@dataclass
class PairLoad:
    assignment: VisitAssignment
    load: int

    @property
    def overloaded(self) -> bool:
        return self.load > pair_warn_above()


def assignment_list(*, actor, include_ended: bool = False) -> list[PairLoad]:
    qs = access.restrict(
        VisitAssignment.objects.select_related("first", "second", "place"), actor, Action.VIEW_VISITS
    ).annotate(explicit=Count("households"))
    if not include_ended:
        qs = qs.filter(ended_on__isnull=True)
    assignments = list(qs.order_by("place_path", "pk"))
    households_under = _household_counts_under([a.place_path for a in assignments if not a.explicit])
    return [
        PairLoad(assignment, assignment.explicit or households_under[assignment.place_path])
        for assignment in assignments
    ]


def _household_counts_under(roots: list[str]) -> dict[str, int]:
    """The number of households under each of ``roots``, from one grouped query (per place path,
    so as many rows as buildings, not households)."""
    if not roots:
        return {}
    per_path = sorted(
        Household.objects.under(*roots)
        .order_by()
        .values("place_path")
        .annotate(n=Count("pk"))
        .values_list("place_path", "n")
    )
    paths = [path for path, _n in per_path]
    running = [0]
    for _path, n in per_path:
        running.append(running[-1] + n)
    # Paths are fixed-width digits: Python's string order is the database's (lianxin.core.tree).
    return {
        root: running[bisect_left(paths, tree.successor(root))] - running[bisect_left(paths, root)]
        for root in roots
    }


def assignment_get(*, actor, pk, action: str = Action.VIEW_VISITS) -> VisitAssignment:
    return access.get_for_user(
        VisitAssignment.objects.select_related("first", "second", "place"), actor, action, pk=pk
    )


def pair_candidates(*, actor, places, limit: int = 1000) -> list:
    """Users who may record visits at one of ``places`` — a recorder's role there or above — for
    choosing the two members of a pair; one query for all the places (a form lists every grid)."""
    from lianxin.accounts.models import User

    recorder_roles = [
        role for role, actions in access.ROLE_ACTIONS.items() if Action.RECORD_VISITS in actions
    ]
    paths = sorted({path for place in places for path in (*tree.ancestors_of(place.path), place.path)})
    if not paths:
        return []
    return list(
        User.objects.filter(
            is_active=True,
            role_assignments__ended_at__isnull=True,
            role_assignments__role__in=recorder_roles,
            role_assignments__place__path__in=paths,
        )
        .distinct()
        .order_by("display_name", "username")[:limit]
    )


# --- assistant duties -----------------------------------------------------------------------------

DUTY_LOOKBACK_DAYS = 366


@dataclass
class AssistantDuties:
    assignment: RoleAssignment
    items: dict[str, list[cadence.DutyItem]] = field(default_factory=dict)

    @property
    def assistant(self):
        return self.assignment.user

    def current(self, kind: str) -> cadence.DutyItem:
        return self.items[kind][0]

    def overdue(self, kind: str) -> list[cadence.DutyItem]:
        return [item for item in self.items[kind] if item.status == "overdue"]

    @property
    def overdue_count(self) -> int:
        return sum(len(self.overdue(kind)) for kind in self.items)

    @property
    def rows(self):
        return [(DutyKind(kind), self.current(kind), self.overdue(kind)) for kind in self.items]


def assistant_assignments(*, actor):
    """Active assistant roles the actor may see: their own, or all in their VIEW_VISITS scope."""
    qs = RoleAssignment.objects.filter(ended_at__isnull=True, role=Role.ASSISTANT, user__is_active=True)
    mine = qs.filter(user=actor)
    scoped = access.restrict(qs, actor, Action.VIEW_VISITS)
    return (
        (mine | scoped).select_related("user", "place").distinct().order_by("place__path", "user__username")
    )


def assistant_duties(*, actor, today: dt.date) -> list[AssistantDuties]:
    assignments = list(assistant_assignments(actor=actor))
    if not assignments:
        return []
    sinces = {}
    for assignment in assignments:
        granted = timezone.localtime(assignment.granted_at).date()
        sinces[assignment.pk] = min(today, max(granted, today - dt.timedelta(days=DUTY_LOOKBACK_DAYS)))
    # Every assistant's recorded duties in one query, sorted out per assignment below.
    recorded: dict[tuple[int, int], list[tuple[str, dt.date]]] = {}
    for assistant_id, place_id, kind, start in AssistantDuty.objects.filter(
        assistant__in={a.user_id for a in assignments},
        place__in={a.place_id for a in assignments},
        period_start__gte=min(sinces.values()) - dt.timedelta(days=92),
    ).values_list("assistant_id", "place_id", "kind", "period_start"):
        recorded.setdefault((assistant_id, place_id), []).append((kind, start))
    result = []
    with working_calendar_batch():
        for assignment in assignments:
            since = sinces[assignment.pk]
            done: dict[str, set[dt.date]] = {}
            for kind, start in recorded.get((assignment.user_id, assignment.place_id), []):
                if start >= since - dt.timedelta(days=92):
                    done.setdefault(kind, set()).add(start)
            entry = AssistantDuties(assignment)
            for kind in DutyKind.values:
                entry.items[kind] = cadence.duty_items(
                    kind, since=since, today=today, done=done.get(kind, set())
                )
            result.append(entry)
    return result


def duty_history(*, actor, assistant=None, limit: int = 50):
    qs = AssistantDuty.objects.select_related("assistant", "recorded_by", "place")
    own = qs.filter(assistant=actor)
    scoped = access.restrict(qs, actor, Action.VIEW_VISITS)
    qs = own | scoped
    if assistant is not None:
        qs = qs.filter(assistant=assistant)
    return qs.order_by("-done_on", "-pk")[:limit]
