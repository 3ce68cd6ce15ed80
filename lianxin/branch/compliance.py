"""Meeting compliance (三会一课, D3): for every party organization and period, meetings due vs held.

Rules:
* A meeting type is due from the organizations of its kinds, ``times_per_period`` times in every
  period of ``period_months`` months (calendar months, quarters, halves, the year).
* A period is due only when the organization existed for all of it: founded on or before its first
  day (or no founding date) and not dissolved on or before its last day. An organization founded or
  dissolved mid-period owes nothing for that period; meetings it held there still show as held.
* A period is met when at least ``times_per_period`` held meetings of the type fall in it. Two
  meetings in April do not make up for none in March.
* "Expected" and "met" count the periods that have ended before ``as_of`` (today); the period under
  way shows as open, later ones as upcoming: neither is a gap.

The city-wide grid is ONE grouped query: organizations joined to their held meetings of the year,
one filtered COUNT per (type, period), the due flags as MAX(CASE …) over the organization's dates
(aggregates, so the GROUP BY is the primary key alone); the due-so-far / met sums per type and in
total are added up from those columns as each row is read. Roll-ups add those rows up by place-path prefix. One organization's view counts
its own meetings per month in a small query and applies the same rules (``organization_compliance``).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    FilteredRelation,
    IntegerField,
    Max,
    Q,
    Value,
    When,
)
from django.db.models.functions import ExtractMonth
from django.db.models.lookups import GreaterThan, In, IsNull, LessThanOrEqual
from django.utils import timezone

from lianxin.core import access, tree
from lianxin.core.access import Action
from lianxin.places.models import PartyOrganization, Place

from .models import Meeting, MeetingStatus, MeetingType

MET, MISSED, OPEN, UPCOMING, NOT_DUE = "met", "missed", "open", "upcoming", "not_due"


@dataclass(frozen=True)
class Period:
    index: int
    start: dt.date
    end: dt.date  # inclusive

    def label(self, months: int) -> str:
        if months == 1:
            return f"{self.start.month}月"
        if months == 3:
            return f"Q{self.index + 1}"
        if months == 6:
            return ("上半年", "下半年")[self.index]
        return f"{self.start.year}年"


def periods(year: int, months: int) -> list[Period]:
    result = []
    for index in range(12 // months):
        start = dt.date(year, 1 + index * months, 1)
        after = (
            dt.date(year + 1, 1, 1) if start.month + months > 12 else dt.date(year, start.month + months, 1)
        )
        result.append(Period(index, start, after - dt.timedelta(days=1)))
    return result


def period_of(day: dt.date, months: int) -> Period:
    return periods(day.year, months)[(day.month - 1) // months]


@dataclass
class Cell:
    period: Period
    label: str
    due: bool
    held: int
    state: str


@dataclass
class TypeRow:
    meeting_type: MeetingType
    expected: int  # meetings due in the periods ended so far
    met_periods: int
    due_periods: int
    held: int  # meetings held in the year, due or not
    _row: dict = field(repr=False, default_factory=dict)
    _periods: list = field(repr=False, default_factory=list)
    _as_of: dt.date | None = field(repr=False, default=None)

    @property
    def cells(self) -> list[Cell]:
        """Period by period; built on demand (a city-wide grid seldom needs every cell)."""
        t, result = self.meeting_type, []
        for p in self._periods:
            held, due = self._row[f"h{t.pk}_{p.index}"], bool(self._row[f"d{t.pk}_{p.index}"])
            if not due:
                state = NOT_DUE
            elif held >= t.times_per_period:
                state = MET
            elif p.end < self._as_of:
                state = MISSED
            elif p.start > self._as_of:
                state = UPCOMING
            else:
                state = OPEN
            result.append(Cell(p, p.label(t.period_months), due, held, state))
        return result

    @property
    def gaps(self) -> list[Cell]:
        return [cell for cell in self.cells if cell.state == MISSED]


@dataclass
class OrgRow:
    id: int
    name: str
    kind: str
    place_path: str
    founded_on: dt.date | None
    dissolved_on: dt.date | None
    expected: int  # meetings due in the periods ended so far, all types
    met: int  # of those, held
    gap_count: int  # periods ended, due and missed
    _row: dict = field(repr=False, default_factory=dict)
    _plans: list = field(repr=False, default_factory=list)
    _as_of: dt.date | None = field(repr=False, default=None)

    @property
    def types(self) -> list[TypeRow]:
        """Type by type; built on demand from the grid's row."""
        row = self._row
        return [
            TypeRow(
                meeting_type=t,
                expected=row[f"e{t.pk}"] * t.times_per_period,
                met_periods=row[f"m{t.pk}"],
                due_periods=row[f"e{t.pk}"],
                held=sum(row[f"h{t.pk}_{p.index}"] for p in ps),
                _row=row,
                _periods=ps,
                _as_of=self._as_of,
            )
            for t, ps in self._plans
            if self.kind in t.org_kinds
        ]


def meeting_types() -> list[MeetingType]:
    return list(MeetingType.objects.filter(active=True))


def _due_q(meeting_type: MeetingType, period: Period) -> Q:
    return (
        Q(kind__in=meeting_type.org_kinds)
        & (Q(founded_on__isnull=True) | Q(founded_on__lte=period.start))
        & (Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=period.end))
    )


def grid_queryset(organizations, *, year: int, types: list[MeetingType], as_of: dt.date):
    """The one grouped query: a row per organization (``GridRow``) with h<type>_<p> (held) and
    d<type>_<p> (due); added to each row as it is read: per type e<type> (due periods ended before
    ``as_of``) and m<type> (of those, met), and in total ``expected``, ``met`` and ``gaps``."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    kinds = sorted({kind for t in types for kind in t.org_kinds})
    qs = (
        organizations.filter(kind__in=kinds)
        .filter(Q(founded_on__isnull=True) | Q(founded_on__lte=last))
        .filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=first))
        .annotate(
            held_meetings=FilteredRelation(
                "meetings",
                condition=Q(
                    meetings__status=MeetingStatus.HELD,
                    meetings__held_on__gte=first,
                    meetings__held_on__lte=last,
                ),
            )
        )
    )
    annotations, names, ended = {}, [], []  # ended: per type, its (held, due) names of ended periods
    for t in types:
        ended.append((t, []))
        for p in periods(year, t.period_months):
            held, due = f"h{t.pk}_{p.index}", f"d{t.pk}_{p.index}"
            annotations[held] = Count(
                "held_meetings__id",
                filter=Q(
                    held_meetings__meeting_type_id=t.pk,
                    held_meetings__held_on__gte=p.start,
                    held_meetings__held_on__lte=p.end,
                ),
            )
            annotations[due] = _due_flag(t, p)
            names += [held, due]
            if p.end < as_of:
                ended[-1][1].append((held, due))
    qs = qs.annotate(
        **{name: ExpressionWrapper(value, output_field=DbInteger()) for name, value in annotations.items()}
    )
    columns = ["id", "name", "kind", "place_path", "founded_on", "dissolved_on", *names]
    # The sums per type and in total are added up here from the row's own columns: written in SQL they
    # repeat every due flag's CASE three times over and make the statement ten times longer.
    derived = [name for t, _ in ended for name in (f"e{t.pk}", f"m{t.pk}")] + ["expected", "met", "gaps"]
    # Tuples, read by name through one shared index: 8,500 dicts of 80 keys each cost more than
    # the query's own aggregation.
    index = {name: position for position, name in enumerate(columns + derived)}
    plan = [(t.times_per_period, [(index[held], index[due]) for held, due in pairs]) for t, pairs in ended]

    def row(values: tuple) -> GridRow:
        sums, expected, met, gaps = [], 0, 0, 0
        for times, pairs in plan:
            due = sum(values[d] for _h, d in pairs)
            kept = sum(1 for h, d in pairs if values[d] and values[h] >= times)
            sums += (due, kept)
            expected, met, gaps = expected + due * times, met + kept * times, gaps + due - kept
        return GridRow((*values, *sums, expected, met, gaps), index)

    return (row(values) for values in qs.values_list(*columns).order_by("path"))


class GridRow:
    """One organization's row of the grid: a tuple of values read by column name."""

    __slots__ = ("index", "values")

    def __init__(self, values: tuple, index: dict[str, int]):
        self.values, self.index = values, index

    def __getitem__(self, name: str):
        return self.values[self.index[name]]

    def keys(self):
        return self.index.keys()

    def __iter__(self):
        return iter(self.index)


class DbInteger(IntegerField):
    """An integer column the database already returns as a Python int (counts, sums and CASEs of
    integers, on SQLite and PostgreSQL alike). Its internal type is not an "…IntegerField", so Django
    adds no per-value ``int()`` converter: the city grid's 8,500 rows × 79 columns would otherwise
    pass 670,000 values through one (a third of the grid's Python time)."""

    def get_internal_type(self) -> str:
        return "DbInteger"


def _flag(condition) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _due_flag(meeting_type: MeetingType, period: Period):
    """The rule of ``_due_q`` over the organization's own columns taken as aggregates (MAX of a value
    constant within the group): evaluated once per organization after grouping, not once per joined
    meeting, and kept out of the GROUP BY, which is then the organization's primary key alone. The
    database computes each distinct MAX once, however many periods use it."""
    founded, dissolved = Max("founded_on"), Max("dissolved_on")
    return (
        _flag(In(Max("kind"), list(meeting_type.org_kinds)))
        * Case(
            When(IsNull(founded, True), then=Value(1)),
            When(LessThanOrEqual(founded, period.start), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
        * Case(
            When(IsNull(dissolved, True), then=Value(1)),
            When(GreaterThan(dissolved, period.end), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    )


def _org_rows(rows, *, year: int, types: list[MeetingType], as_of: dt.date) -> list[OrgRow]:
    plans = [(t, periods(year, t.period_months)) for t in types]
    return [
        OrgRow(
            id=row["id"],
            name=row["name"],
            kind=row["kind"],
            place_path=row["place_path"],
            founded_on=row["founded_on"],
            dissolved_on=row["dissolved_on"],
            expected=row["expected"],
            met=row["met"],
            gap_count=row["gaps"],
            _row=row,
            _plans=plans,
            _as_of=as_of,
        )
        for row in rows
    ]


def compliance_grid(*, actor, year: int, within=None, organization=None, as_of: dt.date | None = None):
    """Compliance of every organization the actor may see (or under ``within``, or one organization)."""
    as_of = as_of or timezone.localdate()
    orgs = access.restrict(PartyOrganization.objects.all(), actor, Action.VIEW_BRANCH)
    if organization is not None:
        organization = orgs.filter(pk=organization.pk).first()
        return [] if organization is None else organization_compliance(organization, year=year, as_of=as_of)
    if within is not None:
        orgs = orgs.filter(tree.under_q("place_path", [within.path]))
    types = meeting_types()
    rows = grid_queryset(orgs, year=year, types=types, as_of=as_of)
    return _org_rows(rows, year=year, types=types, as_of=as_of)


def _is_due(organization, meeting_type: MeetingType, period: Period) -> bool:
    """The rule of ``_due_q`` for one organization already in memory."""
    return (
        organization.kind in meeting_type.org_kinds
        and (organization.founded_on is None or organization.founded_on <= period.start)
        and (organization.dissolved_on is None or organization.dissolved_on > period.end)
    )


def organization_compliance(organization, *, year: int, as_of: dt.date) -> list[OrgRow]:
    """One organization's grid (a page, a reminder): its held meetings of the year counted per type
    and month in one small grouped query; the same rules as the city-wide grid, which
    ``tests/test_branch_services.py`` checks row for row."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if (organization.founded_on and organization.founded_on > last) or (
        organization.dissolved_on and organization.dissolved_on <= first
    ):
        return []
    types = [t for t in meeting_types() if organization.kind in t.org_kinds]
    if not types:
        return []
    held: dict[tuple[int, int], int] = {}
    for type_id, month, count in (
        Meeting.objects.filter(
            organization_id=organization.pk,
            status=MeetingStatus.HELD,
            held_on__gte=first,
            held_on__lte=last,
        )
        .annotate(month=ExtractMonth("held_on"))
        .values("meeting_type_id", "month")
        .annotate(n=Count("id"))
        .values_list("meeting_type_id", "month", "n")
        .order_by()
    ):
        held[(type_id, month)] = held.get((type_id, month), 0) + count
    row = {
        "id": organization.pk,
        "name": organization.name,
        "kind": organization.kind,
        "place_path": organization.place_path,
        "founded_on": organization.founded_on,
        "dissolved_on": organization.dissolved_on,
    }
    for t in types:
        row[f"e{t.pk}"] = row[f"m{t.pk}"] = 0
        for p in periods(year, t.period_months):
            count = sum(held.get((t.pk, month), 0) for month in range(p.start.month, p.end.month + 1))
            due = _is_due(organization, t, p)
            row[f"h{t.pk}_{p.index}"], row[f"d{t.pk}_{p.index}"] = count, int(due)
            if due and p.end < as_of:
                row[f"e{t.pk}"] += 1
                row[f"m{t.pk}"] += int(count >= t.times_per_period)
    row["expected"] = sum(row[f"e{t.pk}"] * t.times_per_period for t in types)
    row["met"] = sum(row[f"m{t.pk}"] * t.times_per_period for t in types)
    row["gaps"] = sum(row[f"e{t.pk}"] - row[f"m{t.pk}"] for t in types)
    return _org_rows([row], year=year, types=types, as_of=as_of)


@dataclass
class RollupRow:
    place: Place
    organizations: int = 0
    expected: int = 0
    met: int = 0
    gaps: int = 0

    @property
    def rate(self) -> int | None:
        return round(100 * self.met / self.expected) if self.expected else None


LEVEL_DEPTH = {"district": 2, "subdistrict": 3, "community": 4}


def compliance_rollup(rows: list[OrgRow], level: str) -> list[RollupRow]:
    """Totals of the grid's rows per community, subdistrict or district (by place-path prefix)."""
    width = LEVEL_DEPTH[level] * tree.SEGMENT
    totals: dict[str, list[int]] = {}
    for row in rows:
        if len(row.place_path) < width:
            continue
        bucket = totals.setdefault(row.place_path[:width], [0, 0, 0, 0])
        bucket[0] += 1
        bucket[1] += row.expected
        bucket[2] += row.met
        bucket[3] += row.gap_count
    places = {p.path: p for p in Place.objects.filter(path__in=totals)}
    return [RollupRow(places[path], *values) for path, values in sorted(totals.items()) if path in places]
