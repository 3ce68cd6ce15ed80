"""The official working-day calendar (D4): known answers, properties, file loading, recompute.

The migration seeds every year the chinese-calendar package knows (up to 2026); 2027 and later
are not loaded, so deadlines touching them are provisional until an official file is loaded.
"""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from lianxin.core import calendar
from lianxin.core.calendar import (
    CalendarFileError,
    add_working_days,
    is_working_day,
    parse_calendar_file,
    previous_working_day,
    working_days_between,
)
from lianxin.core.models import AuditEntry, CalendarDay, CalendarYear, Todo
from lianxin.core.services import calendar_years_load, tick, todo_create

D = dt.date

# A plausible official 2027 file: New Year's Day (Fri) off, no make-up days, one weekday holiday in spring.
FILE_2027 = """\
# 2027 official calendar (test data)
2027-01-01,holiday,元旦
2027-02-08,休,春节
"""


# --- known answers around the 2026 holidays ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 9, 20), True),  # Sunday, make-up workday for National Day
        (D(2026, 10, 10), True),  # Saturday, make-up workday for National Day
        (D(2026, 10, 1), False),
        (D(2026, 10, 5), False),  # Monday inside the National Day break
        (D(2026, 10, 7), False),
        (D(2026, 10, 8), True),
        (D(2026, 10, 11), False),  # ordinary Sunday
        (D(2026, 9, 25), False),  # Mid-autumn Festival, a Friday
        (D(2026, 2, 14), True),  # Saturday, make-up workday for Spring Festival
        (D(2026, 2, 28), True),
        (D(2026, 2, 16), False),
        (D(2026, 2, 20), False),
        (D(2026, 2, 23), False),  # Monday, still Spring Festival
        (D(2026, 2, 24), True),
        (D(2026, 2, 21), False),  # ordinary Saturday inside the break
    ],
)
def test_is_working_day_known_answers(day, working):
    assert is_working_day(day) is working


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        (D(2026, 9, 18), 1, D(2026, 9, 20)),  # Fri → the make-up Sunday
        (D(2026, 10, 9), 1, D(2026, 10, 10)),  # Fri → the make-up Saturday
        (D(2026, 9, 29), 5, D(2026, 10, 12)),  # 30, 8, 9, 10 (Sat), 12
        (D(2026, 9, 24), 3, D(2026, 9, 30)),  # skips the Mid-autumn Friday and weekend
        (D(2026, 2, 12), 1, D(2026, 2, 13)),
        (D(2026, 2, 13), 1, D(2026, 2, 14)),  # Fri → the make-up Saturday
        (D(2026, 2, 14), 1, D(2026, 2, 24)),  # across the whole Spring Festival break
        (D(2026, 2, 13), 5, D(2026, 2, 27)),  # 14, 24, 25, 26, 27
        (D(2026, 2, 26), 2, D(2026, 2, 28)),
        (D(2026, 10, 1), 0, D(2026, 10, 1)),  # zero days: the start itself, even on a holiday
    ],
)
def test_add_working_days_known_answers(start, days, due):
    deadline = add_working_days(start, days)
    assert deadline.due == due
    assert deadline.provisional is False


@pytest.mark.django_db
def test_working_days_between_across_national_day():
    # (Sep 30, Oct 12]: Oct 8, 9, 10 (make-up Sat), 12.
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 12)) == 4
    assert working_days_between(D(2026, 10, 12), D(2026, 9, 30)) == -4
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 7)) == 0
    assert working_days_between(D(2026, 9, 19), D(2026, 9, 20)) == 1
    # The whole of February 2026: 20 ordinary weekdays − 6 holidays + 2 make-up Saturdays.
    assert working_days_between(D(2026, 1, 31), D(2026, 2, 28)) == 16


@pytest.mark.django_db
def test_previous_working_day_skips_the_break():
    assert previous_working_day(D(2026, 10, 8)) == D(2026, 9, 30)
    assert previous_working_day(D(2026, 9, 21)) == D(2026, 9, 20)
    assert previous_working_day(D(2026, 2, 24)) == D(2026, 2, 14)
    assert previous_working_day(D(2026, 1, 5)) == D(2026, 1, 4)  # make-up Sunday for New Year


@pytest.mark.django_db
def test_unloaded_year_counts_weekends_only_and_is_provisional():
    assert not CalendarYear.objects.filter(year=2027).exists()
    deadline = add_working_days(D(2027, 9, 30), 1)
    assert deadline == calendar.Deadline(D(2027, 10, 1), True)  # National Day unknown yet
    assert add_working_days(D(2026, 12, 30), 2) == calendar.Deadline(D(2027, 1, 1), True)
    assert add_working_days(D(2026, 12, 29), 2) == calendar.Deadline(D(2026, 12, 31), False)


@pytest.mark.django_db
def test_days_of_a_year_without_its_calendar_are_not_official():
    # 2026 is loaded (fixture data), 2028 is loaded here, 2027 is not, but has a stray day on record
    CalendarYear.objects.create(year=2028, source="test")
    CalendarDay.objects.create(date=D(2028, 1, 3), kind="holiday")  # a Monday
    CalendarDay.objects.create(date=D(2027, 1, 4), kind="holiday")  # a Monday, year not loaded

    working = calendar.WorkingCalendar([2026, 2027, 2028])

    assert working.loaded_years == {2026, 2028}
    assert not working.is_working_day(D(2028, 1, 3))
    assert working.is_working_day(D(2027, 1, 4)) and working.is_provisional(D(2027, 1, 4))
    assert not working.is_working_day(D(2026, 10, 1))  # National Day, from the loaded 2026


@pytest.mark.django_db
def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(D(2026, 5, 6), -1)


# --- properties --------------------------------------------------------------------------------

starts = st.dates(min_value=D(2020, 1, 1), max_value=D(2029, 12, 31))
counts = st.integers(min_value=0, max_value=60)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None)
@given(start=starts, n=counts)
def test_add_then_count_round_trips(start, n):
    deadline = add_working_days(start, n)
    assert working_days_between(start, deadline.due) == n
    if n > 0:
        assert is_working_day(deadline.due)
        # Nothing earlier would do: the day before the due date holds only n − 1 working days.
        assert working_days_between(start, deadline.due - dt.timedelta(days=1)) == n - 1
    else:
        assert deadline.due == start
    touched = range(start.year, deadline.due.year + 1)
    assert deadline.provisional == any(year >= 2027 for year in touched)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None)
@given(start=starts, n=st.integers(min_value=0, max_value=59))
def test_due_date_is_monotonic_in_n(start, n):
    this, following = add_working_days(start, n), add_working_days(start, n + 1)
    assert following.due > this.due
    assert following.provisional >= this.provisional


@pytest.mark.django_db
@settings(max_examples=60, deadline=None)
@given(a=starts, b=starts)
def test_between_is_antisymmetric(a, b):
    assert working_days_between(a, b) == -working_days_between(b, a)
    if b >= a:
        assert working_days_between(a, b) >= 0


# --- calendar files ----------------------------------------------------------------------------


def test_parse_groups_by_year_and_accepts_chinese_words():
    parsed = parse_calendar_file(
        "\ufeff2027-01-01，休，元旦\n2027-02-06,班,春节 # make-up Saturday\n\nyear,2028\n"
    )
    assert parsed == {
        2027: [(D(2027, 1, 1), "holiday", "元旦"), (D(2027, 2, 6), "workday", "春节")],
        2028: [],
    }


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("2027-01-01,holiday\n2027-13-01,holiday,x\n", 2, 1),  # bad date
        ("2027-01-01,holiday\n# comment\n2027-01-02,day-off,x\n", 3, 2),  # bad kind
        ("2027-01-04,workday,Monday\n", 1, 1),  # a weekday cannot be a make-up workday
        ("2027-01-01,holiday\n2027-01-02,workday\n2027-01-01,holiday\n", 3, 1),  # duplicate date
    ],
)
def test_parse_errors_name_line_and_column(text, line, column):
    with translation.override("en"), pytest.raises(CalendarFileError) as exc:
        parse_calendar_file(text)
    message = str(exc.value)
    assert f"Line {line}" in message
    assert f"column {column}" in message


def test_parse_refuses_an_empty_file():
    with pytest.raises(CalendarFileError):
        parse_calendar_file("# nothing here\n\n")


# --- loading a later year ----------------------------------------------------------------------


@pytest.fixture
def todos_into_2027(personas, city):
    """Two to-dos whose deadlines touch 2027, computed before 2027 is loaded."""
    secretary = personas["community_secretary"]
    worker = personas["grid_worker"]
    crossing = todo_create(
        actor=secretary, assignee=worker, place=city.happy, title="年末走访", days=5, start=D(2026, 12, 28)
    )
    inside = todo_create(
        actor=secretary, assignee=worker, place=city.happy, title="开年会议", days=3, start=D(2027, 1, 4)
    )
    final = todo_create(
        actor=secretary, assignee=worker, place=city.happy, title="国庆后回访", days=1, start=D(2026, 9, 30)
    )
    # Weekends only: Dec 29, 30, 31, Jan 1 (Fri), Jan 4; and Jan 5, 6, 7.
    assert (crossing.due_on, crossing.due_provisional) == (D(2027, 1, 4), True)
    assert (inside.due_on, inside.due_provisional) == (D(2027, 1, 7), True)
    assert (final.due_on, final.due_provisional) == (D(2026, 10, 8), False)
    return crossing, inside, final


def _state(todo):
    todo.refresh_from_db()
    return todo.due_on, todo.due_provisional


@pytest.mark.django_db
def test_loading_2027_makes_provisional_deadlines_final(todos_into_2027):
    crossing, inside, final = todos_into_2027
    result = calendar_years_load(actor=None, text=FILE_2027, source="国务院办公厅 2027")
    assert result == {"years": [2027], "recomputed": 2}
    # 2027-01-01 is now a holiday: one more working day is needed.
    assert _state(crossing) == (D(2027, 1, 5), False)
    assert _state(inside) == (D(2027, 1, 7), False)  # unchanged date, but final now
    assert _state(final) == (D(2026, 10, 8), False)
    assert is_working_day(D(2027, 2, 8)) is False
    entry = AuditEntry.objects.get(action="calendar.load")
    assert entry.actor_name == "system"
    assert entry.after["days"] == [["2027-01-01", "holiday"], ["2027-02-08", "holiday"]]


@pytest.mark.django_db
def test_recompute_is_idempotent(todos_into_2027):
    crossing, inside, _final = todos_into_2027
    assert calendar.recompute_provisional_deadlines() == 0  # nothing new yet: still provisional
    calendar_years_load(actor=None, text=FILE_2027, source="file")
    before = list(Todo.objects.order_by("pk").values_list("due_on", "due_provisional"))
    assert calendar.recompute_provisional_deadlines() == 0
    assert list(Todo.objects.order_by("pk").values_list("due_on", "due_provisional")) == before


@pytest.mark.django_db
def test_loading_a_loaded_year_needs_replace(todos_into_2027, sysadmin):
    with pytest.raises(ValidationError) as exc:
        calendar_years_load(actor=sysadmin, text="2026-12-31,holiday,test\n", source="file")
    assert "file" in exc.value.message_dict
    assert not CalendarDay.objects.filter(date=D(2026, 12, 31)).exists()
    crossing, _inside, _final = todos_into_2027
    assert _state(crossing) == (D(2027, 1, 4), True)


@pytest.mark.django_db
def test_replacing_a_year_recomputes_its_final_deadlines(todos_into_2027, sysadmin):
    crossing, _inside, _final = todos_into_2027
    calendar_years_load(actor=sysadmin, text=FILE_2027, source="first")
    assert _state(crossing) == (D(2027, 1, 5), False)
    # The first file was wrong: Jan 4 2027 is a holiday too. Reloading must move the deadline.
    calendar_years_load(
        actor=sysadmin, text=FILE_2027 + "2027-01-04,holiday,元旦\n", source="fix", replace=True
    )
    assert _state(crossing) == (D(2027, 1, 6), False)
    assert CalendarYear.objects.get(year=2027).source == "fix"
    assert CalendarDay.objects.filter(date__year=2027).count() == 3


@pytest.mark.django_db
def test_only_the_system_admin_loads_calendars(personas):
    with pytest.raises(PermissionDenied):
        calendar_years_load(actor=personas["district_officer"], text=FILE_2027, source="file")
    assert not CalendarYear.objects.filter(year=2027).exists()


@pytest.mark.django_db
def test_calendar_command_loads_and_recomputes(todos_into_2027, tmp_path, capsys):
    crossing, inside, _final = todos_into_2027
    path = tmp_path / "2027.csv"
    path.write_text(FILE_2027 + "2027-01-07,holiday,test\n", encoding="utf-8")
    call_command("calendar", "load", str(path))
    assert "recomputed: 2" in capsys.readouterr().out
    assert _state(crossing) == (D(2027, 1, 5), False)
    assert _state(inside) == (D(2027, 1, 8), False)
    # A second load of the same year is refused with a readable error, not a traceback.
    with pytest.raises(CommandError, match="2027"):
        call_command("calendar", "load", str(path))
    bad = tmp_path / "bad.csv"
    bad.write_text("2028-01-01,holiday\n2028-02-30,holiday\n", encoding="utf-8")
    with translation.override("en"), pytest.raises(CommandError, match="Line 2"):
        call_command("calendar", "load", str(bad))
    assert not CalendarYear.objects.filter(year=2028).exists()


@pytest.mark.django_db
def test_tick_recomputes_provisional_deadlines(todos_into_2027):
    crossing, _inside, _final = todos_into_2027
    # The year arrives by some other route (e.g. a data migration) without the recompute.
    CalendarYear.objects.create(year=2027, source="direct")
    CalendarDay.objects.create(date=D(2027, 1, 1), kind="holiday")
    result = tick(today=D(2026, 12, 1))
    assert result["recomputed"] == 2
    assert _state(crossing) == (D(2027, 1, 5), False)
    assert tick(today=D(2026, 12, 1))["recomputed"] == 0


@pytest.mark.django_db
def test_tick_command_runs(todos_into_2027, capsys):
    CalendarYear.objects.create(year=2027, source="direct")
    call_command("tick")
    assert '"recomputed": 2' in capsys.readouterr().out
    assert not Todo.objects.filter(due_provisional=True).exists()


# --- the working-day batch behind per-row due dates (visit_duties) ---------------------------------


@pytest.mark.django_db
def test_calendar_batch_reads_each_year_once_with_the_same_answers(django_assert_num_queries):
    import datetime as dt

    from lianxin.core import calendar

    days = [dt.date(2026, 9, 20), dt.date(2026, 10, 5), dt.date(2026, 10, 8), dt.date(2027, 1, 1)]

    def answers():
        return (
            [calendar.is_working_day(d) for d in days]
            + [calendar.previous_working_day(d) for d in days]
            + [calendar.add_working_days(dt.date(2026, 9, 30), 1)]
        )

    plain = answers()
    with calendar.batch():
        batched = answers()
        with django_assert_num_queries(0), calendar.batch():  # read once; nested blocks share it
            again = answers()
    assert batched == again == plain
    assert plain[-1] == calendar.Deadline(dt.date(2026, 10, 8), False)
    assert not calendar.WorkingCalendar([2027]).is_working_day(dt.date(2027, 1, 2))  # outside: reads again
