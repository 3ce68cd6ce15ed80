"""Dates of the visit rhythm (D5), with no database access except the official calendar.

- Visit days and follow-up days: days of the month; a set that runs past the end of a short month
  is moved back to end on the month's last day (29–30 → 27–28 in February, 28–29 in a leap year).
- Assistant (协理员) cadence: a phone call each week (Monday–Sunday), a meeting each fortnight
  (two-week periods counted from Monday 2024-01-01) and a summary each quarter. Each period's item
  is due on the period's last official working day (lianxin.core.calendar) and overdue after it.
"""

import calendar as pycalendar
import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from lianxin.core.calendar import is_working_day, previous_working_day

from .models import DutyKind

MAX_DAYS_IN_SET = 10
FORTNIGHT_ANCHOR = dt.date(2024, 1, 1)  # a Monday


def parse_days(text: str) -> list[int]:
    """ "5,6" or "5、6" or "5 6" → [5, 6]. Raises ValueError with a Chinese-ready message."""
    parts = [p for p in str(text).replace("、", ",").replace("，", ",").replace(" ", ",").split(",") if p]
    if not parts:
        raise ValueError(_("Enter at least one day of the month."))
    try:
        days = sorted({int(p) for p in parts})
    except ValueError:
        raise ValueError(_("Days must be numbers from 1 to 31, separated by commas.")) from None
    if days[0] < 1 or days[-1] > 31:
        raise ValueError(_("Days must be numbers from 1 to 31, separated by commas."))
    if len(days) > MAX_DAYS_IN_SET:
        raise ValueError(_("At most %(n)d days a month.") % {"n": MAX_DAYS_IN_SET})
    return days


def format_days(days: list[int]) -> str:
    return ",".join(str(d) for d in days)


def days_in_month(year: int, month: int, days: list[int]) -> list[dt.date]:
    """The dates of ``days`` in the given month, moved back as a block when the month is short."""
    last = pycalendar.monthrange(year, month)[1]
    shift = max(0, max(days) - last)
    return [dt.date(year, month, max(1, d - shift)) for d in sorted(set(days))]


def month_of(day: dt.date) -> tuple[int, int]:
    return day.year, day.month


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, pycalendar.monthrange(year, month)[1])


def next_dates(days: list[int], today: dt.date) -> list[dt.date]:
    """The set of dates of this month when today is on or before its last one, else next month's."""
    this_month = days_in_month(today.year, today.month, days)
    if this_month[-1] >= today:
        return this_month
    return days_in_month(*next_month(today.year, today.month), days)


# --- assistant cadence -----------------------------------------------------------------------------


def period_of(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The (first, last) day of the period of ``kind`` that holds ``day``."""
    if kind == DutyKind.WEEKLY_CALL:
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    if kind == DutyKind.FORTNIGHTLY_MEETING:
        offset = (day - FORTNIGHT_ANCHOR).days % 14
        start = day - dt.timedelta(days=offset)
        return start, start + dt.timedelta(days=13)
    if kind == DutyKind.QUARTERLY_SUMMARY:
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = dt.date(day.year, first_month, 1)
        return start, month_end(day.year, first_month + 2)
    raise ValueError(f"unknown duty kind {kind!r}")


def due_on(kind: str, period_start: dt.date) -> dt.date:
    """The last official working day of the period that starts on ``period_start``."""
    _start, end = period_of(kind, period_start)
    return end if is_working_day(end) else previous_working_day(end)


@dataclass(frozen=True)
class DutyItem:
    kind: str
    period_start: dt.date
    period_end: dt.date
    due_on: dt.date
    status: str  # "done", "due" (the current period, not yet done) or "overdue"

    @property
    def label(self) -> str:
        return DutyKind(self.kind).label


def duty_items(kind: str, *, since: dt.date, today: dt.date, done: set[dt.date]) -> list[DutyItem]:
    """Every period of ``kind`` from the one holding ``since`` up to the one holding ``today``,
    newest first, each done (its start is in ``done``), due, or overdue (past its due day)."""
    items = []
    start, _end = period_of(kind, since)
    while start <= today:
        first, last = period_of(kind, start)
        due = due_on(kind, first)
        if first in done:
            status = "done"
        elif due < today:
            status = "overdue"
        else:
            status = "due"
        items.append(DutyItem(kind, first, last, due, status))
        start = last + dt.timedelta(days=1)
    return list(reversed(items))
