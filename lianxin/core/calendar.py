"""The official working-day calendar (D4: answers are due in official working days).

A date is a working day when it is Monday–Friday and not a public holiday, or when it is a
调休 make-up workday. Years whose official calendar is loaded (CalendarYear) use it; for any
other year only weekends count, and every deadline touching such a year is *provisional*:
stored as such, shown as such, and recomputed when the year is loaded.
"""

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Q
from django.utils.translation import gettext as _

from . import statements
from .models import CalendarDay, CalendarYear, DayKind, WorkingDayDeadline

MAX_SPAN_DAYS = 3660


@dataclass(frozen=True)
class Deadline:
    due: dt.date
    provisional: bool


# Inside ``batch()``: the years read so far, year → None (not loaded) or its special days.
_batch: ContextVar[dict[int, dict[dt.date, bool] | None] | None] = ContextVar(
    "working_calendar_batch", default=None
)


@contextmanager
def batch() -> Iterator[None]:
    """Within the block, each year's official calendar is read from the database once, however
    many working-day calculations run (a page computing due dates for every row). Nested blocks
    share the outer one. Use for reads only: a year loaded inside the block is not seen by it."""
    token = _batch.set({}) if _batch.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _batch.reset(token)


def _read_years(years: list[int]) -> dict[int, dict[dt.date, bool] | None]:
    """Each year → its special days (date → is a workday) when loaded, None when not: two queries,
    kept compiled per connection (lianxin.core.statements; the years are the key): every deadline
    and every sweep reads the calendar."""
    asked = tuple(years)
    if not asked:
        return {}
    loaded = {
        year
        for (year,) in statements.rows(
            ("calendar.loaded", asked),
            CalendarYear,
            lambda: CalendarYear.objects.filter(year__in=asked).values_list("year"),
        )
    }
    found: dict[int, dict[dt.date, bool] | None] = {year: ({} if year in loaded else None) for year in years}
    if loaded:
        # A date range (the index on date), not date__year__in: on SQLite that called a Python
        # function on every row of the table (2.4 ms a read, paid by every deadline and every sweep).
        first, last = dt.date(min(loaded), 1, 1), dt.date(max(loaded), 12, 31)
        for day, kind in statements.rows(
            ("calendar.days", first, last),
            CalendarDay,
            lambda: CalendarDay.objects.filter(date__range=(first, last)).values_list("date", "kind"),
        ):
            if day.year in loaded:  # years between two loaded ones may have stray days: not official
                found[day.year][day] = kind == DayKind.WORKDAY
    return found


class WorkingCalendar:
    """The working days of a set of years, loaded in two queries (none for years already read
    inside ``batch()``). Cheap to build per call."""

    def __init__(self, years: Iterable[int]):
        years = sorted(set(years))
        cache = _batch.get()
        if cache is None:
            found = _read_years(years)
        else:
            missing = [year for year in years if year not in cache]
            if missing:
                cache.update(_read_years(missing))
            found = {year: cache[year] for year in years}
        self.loaded_years = {year for year, days in found.items() if days is not None}
        self.exceptions: dict[dt.date, bool] = {}
        for days in found.values():
            if days:
                self.exceptions.update(days)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def is_provisional(self, day: dt.date) -> bool:
        return day.year not in self.loaded_years

    def add(self, start: dt.date, days: int) -> Deadline:
        if days < 0:
            raise ValueError("days must not be negative")
        provisional = self.is_provisional(start)
        day, left = start, days
        while left:
            day += dt.timedelta(days=1)
            provisional = provisional or self.is_provisional(day)
            if self.is_working_day(day):
                left -= 1
        return Deadline(day, provisional)

    def between(self, start: dt.date, end: dt.date) -> int:
        if end < start:
            return -self.between(end, start)
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_working_day(day)
        return count


def _years_for(start: dt.date, days: int) -> range:
    # A span of n working days never needs more than 2n + 30 calendar days (the longest
    # official holiday run is nine days) — one extra year covers the turn of the year.
    span = min(days * 2 + 30, MAX_SPAN_DAYS)
    return range(start.year, (start + dt.timedelta(days=span)).year + 1)


def add_working_days(start: dt.date, days: int) -> Deadline:
    """The date ``days`` working days after ``start`` (start itself not counted; 0 gives start)."""
    if days > MAX_SPAN_DAYS // 2:
        raise ValueError("too many working days")
    calendar = WorkingCalendar(_years_for(start, days))
    deadline = calendar.add(start, days)
    if deadline.due.year not in _years_for(start, days):  # pragma: no cover - guarded by the bound above
        calendar = WorkingCalendar(range(start.year, deadline.due.year + 1))
        deadline = calendar.add(start, days)
    return deadline


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]; negative when end is before start."""
    low, high = sorted((start, end))
    if (high - low).days > MAX_SPAN_DAYS:
        raise ValueError("span too long")
    return WorkingCalendar(range(low.year, high.year + 1)).between(start, end)


def is_working_day(day: dt.date) -> bool:
    return WorkingCalendar([day.year]).is_working_day(day)


def previous_working_day(day: dt.date) -> dt.date:
    calendar = WorkingCalendar([day.year - 1, day.year])
    day -= dt.timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


# --- loading official years -------------------------------------------------------------------


class CalendarFileError(ValueError):
    pass


KIND_WORDS = {
    "holiday": DayKind.HOLIDAY,
    "休": DayKind.HOLIDAY,
    "假": DayKind.HOLIDAY,
    "节假日": DayKind.HOLIDAY,
    "workday": DayKind.WORKDAY,
    "班": DayKind.WORKDAY,
    "上班": DayKind.WORKDAY,
    "调休上班": DayKind.WORKDAY,
}


def parse_calendar_file(text: str) -> dict[int, list[tuple[dt.date, str, str]]]:
    """Parse a simple calendar file: one ``YYYY-MM-DD,kind,name`` line per special day.

    ``kind`` is ``holiday``/``休`` or ``workday``/``班``; ``#`` starts a comment. A line
    ``year,YYYY`` declares a year with no special days beyond weekends (rare, but loadable).
    Returns the days grouped by year. Raises CalendarFileError naming the line.
    """
    by_year: dict[int, list[tuple[dt.date, str, str]]] = {}
    seen: set[dt.date] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip().lstrip("\ufeff")
        if not line:
            continue
        parts = [part.strip() for part in line.replace("，", ",").split(",")]
        if parts[0].lower() in {"year", "年份"} and len(parts) >= 2:
            try:
                year = int(parts[1])
            except ValueError:
                raise CalendarFileError(
                    _("Line %(line)d: “%(value)s” is not a year.") % {"line": number, "value": parts[1]}
                ) from None
            by_year.setdefault(year, [])
            continue
        if len(parts) < 2:
            raise CalendarFileError(
                _("Line %(line)d: expected “date,kind,name”, for example 2027-10-01,holiday,National Day.")
                % {"line": number}
            )
        try:
            day = dt.date.fromisoformat(parts[0])
        except ValueError:
            raise CalendarFileError(
                _("Line %(line)d, column 1: “%(value)s” is not a date (YYYY-MM-DD).")
                % {"line": number, "value": parts[0]}
            ) from None
        kind = KIND_WORDS.get(parts[1].lower())
        if kind is None:
            raise CalendarFileError(
                _("Line %(line)d, column 2: “%(value)s” is neither holiday (休) nor workday (班).")
                % {"line": number, "value": parts[1]}
            )
        if day in seen:
            raise CalendarFileError(
                _("Line %(line)d, column 1: %(date)s appears twice.")
                % {"line": number, "date": day.isoformat()}
            )
        if kind == DayKind.WORKDAY and day.weekday() < 5:
            raise CalendarFileError(
                _(
                    "Line %(line)d, column 1: %(date)s is a weekday; "
                    "only a Saturday or Sunday can be a make-up workday."
                )
                % {"line": number, "date": day.isoformat()}
            )
        seen.add(day)
        by_year.setdefault(day.year, []).append((day, kind, parts[2] if len(parts) > 2 else ""))
    if not by_year:
        raise CalendarFileError(_("The file holds no dates."))
    return by_year


def deadline_models() -> list[type[WorkingDayDeadline]]:
    return [
        model
        for model in apps.get_models()
        if issubclass(model, WorkingDayDeadline) and not model._meta.abstract
    ]


def recompute_provisional_deadlines(replaced_years: Iterable[int] = ()) -> int:
    """Recompute every provisional deadline; those whose years are all loaded become final.

    Deadlines that touch a year in ``replaced_years`` (an official year loaded again, e.g. to
    correct it) are recomputed too, final or not. Idempotent: run on every calendar load and by
    ``lianxin tick``.
    """
    wanted = Q(due_provisional=True)
    for year in set(replaced_years):
        wanted |= Q(due_from__lte=dt.date(year, 12, 31), due_on__gte=dt.date(year, 1, 1))
    changed = 0
    for model in deadline_models():
        fields = ("pk", "due_from", "due_days", "due_on", "due_provisional")
        # Materialize first: the rows are updated while we walk them.
        rows = list(model._base_manager.filter(wanted).values_list(*fields))
        for pk, due_from, due_days, due_on, provisional in rows:
            deadline = add_working_days(due_from, due_days)
            if (deadline.due, deadline.provisional) != (due_on, provisional):
                model._base_manager.filter(pk=pk, due_on=due_on, due_provisional=provisional).update(
                    due_on=deadline.due, due_provisional=deadline.provisional
                )
                changed += 1
    return changed
