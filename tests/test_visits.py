"""Visits (D5): visit and follow-up days, the plan's order, coverage, pairs, assistant cadence,
access, idempotent recording and the reminder sweep.

Given the city and personas of conftest.py and households made here, when a service or page is
used, then the result is the one the business rule names.
"""

import datetime as dt
import threading
import uuid

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.urls import reverse

from lianxin.core.models import AuditEntry, Notification
from lianxin.core.services import tick
from lianxin.core.spreadsheets import raw_rows
from lianxin.places import services as place_services
from lianxin.places.models import PlaceKind
from lianxin.registry import services as registry
from lianxin.registry.models import Difficulty
from lianxin.visits import cadence, selectors, services
from lianxin.visits.models import AssistantDuty, DutyKind, Visit, VisitSchedule

from .conftest import make_user

TODAY = dt.date(2026, 11, 20)  # a Friday


def _dates(*texts):
    return [dt.date.fromisoformat(t) for t in texts]


def _span(first, last):
    return (dt.date.fromisoformat(first), dt.date.fromisoformat(last))


# --- visit days and follow-up days (no database) -----------------------------------------------


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2026, 1, ("2026-01-29", "2026-01-30")),
        (2026, 4, ("2026-04-29", "2026-04-30")),  # 30-day month: unchanged
        (2026, 2, ("2026-02-27", "2026-02-28")),  # short month: the last two days
        (2028, 2, ("2028-02-28", "2028-02-29")),  # leap year
        (2100, 2, ("2100-02-27", "2100-02-28")),  # a century that is not a leap year
        (2000, 2, ("2000-02-28", "2000-02-29")),  # a century that is
    ],
)
def test_followup_days_move_back_in_short_months(year, month, expected):
    assert cadence.days_in_month(year, month, [29, 30]) == _dates(*expected)


def test_visit_days_and_other_sets():
    assert cadence.days_in_month(2026, 2, [5, 6]) == _dates("2026-02-05", "2026-02-06")
    # A set that runs to the 31st keeps its shape in shorter months.
    assert cadence.days_in_month(2026, 4, [30, 31]) == _dates("2026-04-29", "2026-04-30")
    assert cadence.days_in_month(2026, 2, [28, 29, 30]) == _dates("2026-02-26", "2026-02-27", "2026-02-28")
    assert cadence.days_in_month(2026, 12, [1, 15]) == _dates("2026-12-01", "2026-12-15")


def test_next_dates_roll_into_next_month_and_year():
    assert cadence.next_dates([5, 6], dt.date(2026, 11, 6)) == _dates("2026-11-05", "2026-11-06")
    assert cadence.next_dates([5, 6], dt.date(2026, 11, 7)) == _dates("2026-12-05", "2026-12-06")
    assert cadence.next_dates([5, 6], dt.date(2026, 12, 20)) == _dates("2027-01-05", "2027-01-06")
    assert cadence.next_dates([29, 30], dt.date(2027, 1, 31)) == _dates("2027-02-27", "2027-02-28")


@pytest.mark.parametrize("text", ["", "0", "32", "5,x", "1,2,3,4,5,6,7,8,9,10,11"])
def test_bad_day_lists_are_refused(text):
    with pytest.raises(ValueError):
        cadence.parse_days(text)


def test_day_lists_accept_chinese_separators():
    assert cadence.parse_days("6、5") == [5, 6]
    assert cadence.parse_days("29，30") == [29, 30]


# --- assistant cadence ------------------------------------------------------------------------


def test_periods_of_each_kind():
    day = dt.date(2026, 11, 18)  # Wednesday
    assert cadence.period_of(DutyKind.WEEKLY_CALL, day) == _span("2026-11-16", "2026-11-22")
    # Fortnights are counted from Monday 2024-01-01: 2026-11-09 is 1043 days = 74.5 fortnights later.
    assert cadence.period_of(DutyKind.FORTNIGHTLY_MEETING, day) == _span("2026-11-16", "2026-11-29")
    assert cadence.period_of(DutyKind.FORTNIGHTLY_MEETING, dt.date(2026, 11, 15)) == _span(
        "2026-11-02", "2026-11-15"
    )
    assert cadence.period_of(DutyKind.QUARTERLY_SUMMARY, day) == _span("2026-10-01", "2026-12-31")
    assert cadence.period_of(DutyKind.QUARTERLY_SUMMARY, dt.date(2026, 3, 31)) == _span(
        "2026-01-01", "2026-03-31"
    )


@pytest.mark.django_db
def test_due_day_is_the_last_official_working_day():
    # Week of National Day 2026: Oct 1–7 are holidays, so the week's call is due Wednesday Sep 30.
    assert cadence.due_on(DutyKind.WEEKLY_CALL, dt.date(2026, 9, 28)) == dt.date(2026, 9, 30)
    # The next week has a make-up working Saturday (Oct 10): due that Saturday.
    assert cadence.due_on(DutyKind.WEEKLY_CALL, dt.date(2026, 10, 5)) == dt.date(2026, 10, 10)
    # An ordinary week: Friday.
    assert cadence.due_on(DutyKind.WEEKLY_CALL, dt.date(2026, 11, 16)) == dt.date(2026, 11, 20)
    assert cadence.due_on(DutyKind.QUARTERLY_SUMMARY, dt.date(2026, 1, 1)) == dt.date(2026, 3, 31)


@pytest.mark.django_db
def test_duty_items_are_done_due_or_overdue():
    done = {dt.date(2026, 11, 2)}
    items = cadence.duty_items(DutyKind.WEEKLY_CALL, since=dt.date(2026, 10, 28), today=TODAY, done=done)
    by_start = {item.period_start: item.status for item in items}
    assert by_start == {
        dt.date(2026, 11, 16): "due",  # due today (Friday): not overdue yet
        dt.date(2026, 11, 9): "overdue",
        dt.date(2026, 11, 2): "done",
        dt.date(2026, 10, 26): "overdue",  # the week holding ``since``
    }
    assert [item.period_start for item in items] == sorted(by_start, reverse=True)
    saturday = cadence.duty_items(DutyKind.WEEKLY_CALL, since=TODAY, today=dt.date(2026, 11, 21), done=set())
    assert [item.status for item in saturday] == ["overdue"]  # due Friday, Saturday is past it
    quarter = cadence.duty_items(
        DutyKind.QUARTERLY_SUMMARY, since=dt.date(2026, 5, 1), today=TODAY, done=set()
    )
    assert [(item.period_start, item.status) for item in quarter] == [
        (dt.date(2026, 10, 1), "due"),
        (dt.date(2026, 7, 1), "overdue"),
        (dt.date(2026, 4, 1), "overdue"),
    ]


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def frozen():
    """Everything in this module happens on TODAY at 10:00 in Shanghai (roles granted, visits made)."""
    from zoneinfo import ZoneInfo

    with time_machine.travel(dt.datetime(2026, 11, 20, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


@pytest.fixture
def area(city, personas):
    """幸福社区: 第一网格 (the grid worker's) with 1号楼, and 第二网格 with 2号楼; 团结社区 with 9号楼."""
    admin = personas["sysadmin"]
    grid2 = place_services.place_create(actor=admin, kind=PlaceKind.GRID, name="第二网格", parent=city.happy)
    building2 = place_services.place_create(actor=admin, kind=PlaceKind.BUILDING, name="2号楼", parent=grid2)
    unity_building = place_services.place_create(
        actor=admin, kind=PlaceKind.BUILDING, name="9号楼", parent=city.unity_grid
    )
    return {"grid2": grid2, "building2": building2, "unity_building": unity_building}


def household(actor, building, room, *, difficulty=None):
    h = registry.household_create(actor=actor, place=building, unit="1", room=room)
    if difficulty:
        registry.difficulty_add(actor=actor, household=h, kind=difficulty, cause="独居老人")
    return h


def visit(actor, h, day, **kwargs):
    kwargs.setdefault("findings", "一切正常")
    with time_machine.travel(dt.datetime(day.year, day.month, day.day, 10), tick=False):
        return services.visit_record(actor=actor, household=h, visited_on=day, **kwargs)[0]


# --- schedules --------------------------------------------------------------------------------------


def test_defaults_and_configured_days_per_community(city, personas):
    secretary = personas["community_secretary"]
    dates = selectors.schedule_dates(city.happy, dt.date(2027, 2, 10))
    assert dates.visit_dates == _dates("2027-03-05", "2027-03-06")
    assert dates.followup_dates == _dates("2027-02-27", "2027-02-28")
    before = AuditEntry.objects.count()

    services.schedule_set(actor=secretary, community=city.happy, visit_days="10, 11", followup_days="25、26")

    dates = selectors.schedule_dates(city.happy, dt.date(2027, 2, 10))
    assert dates.visit_dates == _dates("2027-02-10", "2027-02-11")
    assert dates.kind_of(dt.date(2027, 2, 10)) == "visit"
    assert dates.followup_dates == _dates("2027-02-25", "2027-02-26")
    assert AuditEntry.objects.count() == before + 1
    assert AuditEntry.objects.first().action == "visits.schedule"
    # Another community keeps the defaults.
    assert selectors.schedule_dates(city.unity, dt.date(2027, 2, 10)).visit_dates == _dates(
        "2027-03-05", "2027-03-06"
    )


def test_schedule_errors_name_the_field_and_others_cannot_set_it(city, personas):
    with pytest.raises(ValidationError) as error:
        services.schedule_set(
            actor=personas["community_secretary"], community=city.happy, visit_days="5,40", followup_days="x"
        )
    assert set(error.value.message_dict) == {"visit_days", "followup_days"}
    for persona in ("grid_worker", "staff", "outsider", "district_officer"):
        with pytest.raises(PermissionDenied):
            services.schedule_set(
                actor=personas[persona], community=city.happy, visit_days="5", followup_days="29"
            )
    assert not VisitSchedule.objects.exists()


# --- the plan ---------------------------------------------------------------------------------------


def test_plan_puts_difficulties_first_then_never_and_least_recently_visited(city, personas, area):
    staff = personas["staff"]
    a = household(staff, city.happy_building, "101")  # never visited
    b = household(staff, city.happy_building, "102", difficulty=Difficulty.ALONE)  # visited 10 days ago
    c = household(staff, city.happy_building, "103")  # visited 40 days ago
    d = household(staff, area["building2"], "104", difficulty=Difficulty.ILL)  # never visited
    e = household(staff, city.happy_building, "105")  # visited 5 days ago
    f = household(staff, city.happy_building, "106", difficulty=Difficulty.DISABLED)  # visited 30 days ago
    visit(staff, b, TODAY - dt.timedelta(days=10))
    visit(staff, c, TODAY - dt.timedelta(days=40))
    visit(staff, c, TODAY - dt.timedelta(days=60))
    visit(staff, e, TODAY - dt.timedelta(days=5))
    visit(staff, f, TODAY - dt.timedelta(days=30))

    order = list(selectors.plan(actor=staff, today=TODAY))
    assert [h.pk for h in order] == [d.pk, f.pk, b.pk, a.pk, c.pk, e.pk]
    assert [h.last_visit for h in order[:3]] == [
        None,
        TODAY - dt.timedelta(days=30),
        TODAY - dt.timedelta(days=10),
    ]

    # Pending only: this month's visits (b on Nov 10, e on Nov 15) drop out.
    pending = list(selectors.plan(actor=staff, today=TODAY, pending_only=True))
    assert [h.pk for h in pending] == [d.pk, f.pk, a.pk, c.pk]


def test_grid_worker_sees_assigned_households_and_only_her_grid(city, personas, area):
    secretary, grid_worker = personas["community_secretary"], personas["grid_worker"]
    mine = household(secretary, city.happy_building, "101")
    other = household(secretary, city.happy_building, "102")
    elsewhere = household(secretary, area["building2"], "201")
    household(personas["outsider"], area["unity_building"], "301")
    partner = make_user("partner", "grid_worker", city.happy_grid, "搭档")
    services.assignment_create(
        actor=secretary, place=city.happy_grid, first=grid_worker, second=partner, households=[mine]
    )

    everything = {h.pk for h in selectors.plan(actor=grid_worker, today=TODAY)}
    assigned = {h.pk for h in selectors.plan(actor=grid_worker, today=TODAY, mine=True)}
    assert everything == {mine.pk, other.pk}  # her grid, not 第二网格 nor 团结社区
    assert assigned == {mine.pk}
    assert elsewhere.pk not in everything
    # The secretary sees the whole community (three households) but has no pair of her own.
    assert {h.pk for h in selectors.plan(actor=secretary, today=TODAY)} == {mine.pk, other.pk, elsewhere.pk}
    assert not list(selectors.plan(actor=secretary, today=TODAY, mine=True))


def test_plan_page_defaults_to_my_households_for_a_pair_member(client, city, personas, area):
    secretary, grid_worker = personas["community_secretary"], personas["grid_worker"]
    mine = household(secretary, city.happy_building, "101")
    household(secretary, city.happy_building, "102")
    partner = make_user("partner", "grid_worker", city.happy_grid, "搭档")
    services.assignment_create(
        actor=secretary, place=city.happy_grid, first=grid_worker, second=partner, households=[mine]
    )
    client.force_login(grid_worker)

    page = client.get(reverse("visits")).content.decode()

    assert reverse("visit_household", args=[mine.pk]) in page
    assert page.count('data-test="plan-household"') == 1
    # Her community's days: Nov 20 is past the 5th–6th, so December's visit days; follow-up Nov 29–30.
    assert 'data-test="visit-dates">12月5日、12月6日<' in page
    assert 'data-test="followup-dates">11月29日、11月30日<' in page
    everyone = client.get(reverse("visits") + "?scope=all").content.decode()
    assert everyone.count('data-test="plan-household"') == 2


# --- coverage ---------------------------------------------------------------------------------------


def test_coverage_and_never_visited_for_a_known_data_set(city, personas, area):
    staff = personas["staff"]
    grid1 = [household(staff, city.happy_building, f"{n}01") for n in range(1, 6)]  # 5 households
    grid2 = [household(staff, area["building2"], f"{n}01") for n in range(1, 4)]  # 3 households
    # November 2026: grid 1 has 3 households visited (one twice), grid 2 has 1.
    visit(staff, grid1[0], dt.date(2026, 11, 5))
    visit(staff, grid1[0], dt.date(2026, 11, 6))
    visit(staff, grid1[1], dt.date(2026, 11, 5))
    visit(staff, grid1[2], dt.date(2026, 11, 30))
    visit(staff, grid2[0], dt.date(2026, 11, 1))
    # Before November: grid1[3] once in October; after November: grid2[1] in December.
    visit(staff, grid1[3], dt.date(2026, 10, 5))
    visit(staff, grid2[1], dt.date(2026, 12, 5))

    with time_machine.travel(dt.datetime(2026, 12, 10, 10), tick=False):
        rows = {r.grid.pk: r for r in selectors.coverage(actor=staff, year=2026, month=11)}
        never = selectors.never_visited(actor=staff, year=2026, month=11)

    assert set(rows) == {city.happy_grid.pk, area["grid2"].pk}
    one, two = rows[city.happy_grid.pk], rows[area["grid2"].pk]
    assert (one.households, one.visited, one.never_visited, one.percent) == (5, 3, 1, 60)
    # grid2[1] was first visited in December, so at the end of November it was never visited.
    assert (two.households, two.visited, two.never_visited, two.percent) == (3, 1, 2, 33)
    assert {h.pk for h in never} == {grid1[4].pk, grid2[1].pk, grid2[2].pk}
    # October: one household visited in grid 1; everyone else never visited by then.
    october = {r.grid.pk: r for r in selectors.coverage(actor=staff, year=2026, month=10)}
    assert (october[city.happy_grid.pk].visited, october[city.happy_grid.pk].never_visited) == (1, 4)
    assert (october[area["grid2"].pk].visited, october[area["grid2"].pk].never_visited) == (0, 3)
    # The grid worker's coverage is her grid alone.
    assert [r.grid.pk for r in selectors.coverage(actor=personas["grid_worker"], year=2026, month=11)] == [
        city.happy_grid.pk
    ]


def test_coverage_page_and_export(client, city, personas, area):
    staff = personas["staff"]
    h1 = household(staff, city.happy_building, "101")
    household(staff, city.happy_building, "102")
    visit(staff, h1, dt.date(2026, 11, 5))
    client.force_login(staff)

    page = client.get(reverse("visit_coverage") + "?month=2026-11").content.decode()
    assert "1号楼1单元102室" in page and 'data-test="never-visited"' in page

    before = AuditEntry.objects.count()
    response = client.post(reverse("visit_coverage_export") + "?month=2026-11")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheets = {}
    for sheet, _number, cells in raw_rows(response.content, "xlsx"):
        sheets.setdefault(sheet, []).append(cells)
    coverage_rows, never_rows = list(sheets.values())
    assert coverage_rows[1][1:4] == ["第一网格", "2", "1"]
    assert never_rows[1][0] == "1号楼1单元102室"
    assert AuditEntry.objects.count() == before + 1
    assert AuditEntry.objects.first().action == "export.visit_coverage"


# --- pairs -----------------------------------------------------------------------------------------


def test_pair_load_and_overload_warning(city, personas, area, settings):
    secretary, grid_worker, staff = (
        personas["community_secretary"],
        personas["grid_worker"],
        personas["staff"],
    )
    for n in range(4):
        household(secretary, city.happy_building, f"10{n}")
    household(secretary, area["building2"], "201")
    whole = services.assignment_create(
        actor=secretary, place=city.happy_grid, first=grid_worker, second=staff
    )
    listed = services.assignment_create(
        actor=secretary,
        place=city.happy,
        first=staff,
        second=secretary,
        households=list(selectors.plan(actor=secretary, today=TODAY))[:2],
    )
    settings.LIANXIN_VISIT_PAIR_WARN_ABOVE = 3

    loads = {p.assignment.pk: (p.load, p.overloaded) for p in selectors.assignment_list(actor=secretary)}

    assert loads == {whole.pk: (4, True), listed.pk: (2, False)}


def test_pairs_are_two_people_who_visit_there(city, personas, area):
    secretary = personas["community_secretary"]
    with pytest.raises(ValidationError) as error:
        services.assignment_create(
            actor=secretary, place=city.happy_grid, first=personas["staff"], second=personas["staff"]
        )
    assert "second" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.assignment_create(
            actor=secretary, place=city.happy_grid, first=personas["staff"], second=personas["assistant"]
        )
    assert "second" in error.value.message_dict
    outside = household(personas["outsider"], area["unity_building"], "301")
    with pytest.raises(ValidationError):
        services.assignment_create(
            actor=secretary,
            place=city.happy_grid,
            first=personas["staff"],
            second=personas["grid_worker"],
            households=[outside],
        )
    with pytest.raises(PermissionDenied):
        services.assignment_create(
            actor=personas["grid_worker"], place=city.happy_grid, first=personas["staff"], second=secretary
        )


def test_the_pair_form_offers_every_grids_visitors_read_in_one_query(client, city, personas):
    """The form lists the people who may visit in each grid (its grid workers) and in the community,
    read together: the same number of queries for one grid as for four."""
    from django.test.utils import CaptureQueriesContext

    from lianxin.core.access import Role

    secretary = personas["community_secretary"]
    client.force_login(secretary)
    url = reverse("visit_assignment_create")

    def offered():
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url).content.decode()
        return page, len(queries.captured_queries)

    page, one_grid = offered()
    assert "网格员" in page and "（staff）" in page  # the grid's worker, the community's staff
    workers = []
    for i in range(3):
        grid = place_services.place_create(
            actor=personas["district_officer"], kind=PlaceKind.GRID, name=f"第{i + 2}网格", parent=city.happy
        )
        workers.append(make_user(f"gw{i}", Role.GRID_WORKER, grid, f"第{i + 2}网格员"))
    make_user("far", Role.GRID_WORKER, city.unity_grid, "别处网格员")  # another community's grid

    page, four_grids = offered()
    assert all(f"（{worker.username}）" in page for worker in workers)
    assert "（far）" not in page
    assert four_grids == one_grid


# --- recording visits --------------------------------------------------------------------------------


def test_recording_a_visit_is_audited_and_validated(city, personas):
    worker = personas["grid_worker"]
    h = household(personas["staff"], city.happy_building, "101")
    before = AuditEntry.objects.count()

    v, created = services.visit_record(
        actor=worker,
        household=h,
        findings="老人腿脚不便，希望加装扶手",
        needs_followup=True,
        companion=personas["staff"],
    )

    assert created and v.place_path == h.place_path and v.visitor == worker
    entry = AuditEntry.objects.first()
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.object_id, entry.after["findings"]) == (
        "visits.record",
        str(v.pk),
        v.findings,
    )
    with pytest.raises(ValidationError) as error:
        services.visit_record(
            actor=worker, household=h, findings="", visited_on=dt.date.today() + dt.timedelta(days=1)
        )
    assert set(error.value.message_dict) == {"visited_on", "findings"}
    with pytest.raises(ValidationError) as error:
        services.visit_record(actor=worker, household=h, findings="好", companion=personas["assistant"])
    assert "companion" in error.value.message_dict
    assert Visit.objects.count() == 1 and AuditEntry.objects.count() == before + 1


def test_grid_worker_of_another_community_gets_404(client, city, personas, area):
    foreign = household(personas["outsider"], area["unity_building"], "301")
    other_grid = household(personas["staff"], area["building2"], "201")
    worker = personas["grid_worker"]
    client.force_login(worker)
    key = str(uuid.uuid4())

    for target in (foreign, other_grid):
        url = reverse("visit_household", args=[target.pk])
        assert client.get(url).status_code == 404
        response = client.post(
            url,
            {
                "idempotency_key": key,
                "kind": "visit",
                "contact": "met",
                "visited_on": "2026-11-20",
                "findings": "x",
            },
        )
        assert response.status_code == 404
        with pytest.raises(Http404):
            selectors.household_get(actor=worker, pk=target.pk)
        with pytest.raises(PermissionDenied):
            services.visit_record(actor=worker, household=target, findings="x")
    secret = visit(personas["outsider"], foreign, TODAY)
    assert client.get(reverse("visit_household", args=[foreign.pk])).status_code == 404
    assert not selectors.visit_list(actor=worker).filter(pk=secret.pk).exists()
    assert Visit.objects.count() == 1


def _form(key, findings="家中一切正常"):
    return {
        "idempotency_key": key,
        "kind": "visit",
        "contact": "met",
        "visited_on": dt.date.today().isoformat(),
        "findings": findings,
        "needs_followup": "on",
    }


def test_double_submit_of_the_same_form_records_one_visit(client, city, personas):
    h = household(personas["staff"], city.happy_building, "101")
    client.force_login(personas["grid_worker"])
    url = reverse("visit_household", args=[h.pk])
    key = str(uuid.uuid4())

    first = client.post(url, _form(key))
    second = client.post(url, _form(key))

    assert first.status_code == second.status_code == 302
    assert Visit.objects.count() == 1
    assert AuditEntry.objects.filter(action="visits.record").count() == 1
    assert Visit.objects.get().needs_followup
    # A new form (a new key) is a new visit.
    assert client.post(url, _form(str(uuid.uuid4()), "第二次")).status_code == 302
    assert Visit.objects.count() == 2


def test_a_key_cannot_be_replayed_on_another_household(city, personas):
    worker = personas["grid_worker"]
    h1 = household(personas["staff"], city.happy_building, "101")
    h2 = household(personas["staff"], city.happy_building, "102")
    key = uuid.uuid4()
    services.visit_record(actor=worker, household=h1, findings="好", idempotency_key=key)
    with pytest.raises(ValidationError):
        services.visit_record(actor=worker, household=h2, findings="好", idempotency_key=key)
    assert Visit.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_double_submit_records_one_visit(city, personas):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers; the race needs PostgreSQL")
    worker = personas["grid_worker"]
    h = household(personas["staff"], city.happy_building, "101")
    key = uuid.uuid4()
    barrier, outcomes = threading.Barrier(4), []

    def submit():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            v, created = services.visit_record(
                actor=worker, household=h, findings="双击", idempotency_key=key
            )
            outcomes.append((v.pk, created))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Visit.objects.count() == 1
    assert sorted(created for _pk, created in outcomes) == [False, False, False, True]
    assert {pk for pk, _created in outcomes} == {Visit.objects.get().pk}
    assert AuditEntry.objects.filter(action="visits.record").count() == 1


def test_household_page_records_a_visit_with_a_companion(client, city, personas):
    h = household(personas["staff"], city.happy_building, "101")
    client.force_login(personas["grid_worker"])
    url = reverse("visit_household", args=[h.pk])
    page = client.get(url).content.decode()
    assert 'name="idempotency_key"' in page and "社区工作者" in page  # the staff member may come along

    response = client.post(url, {**_form(str(uuid.uuid4())), "companion": personas["staff"].pk})

    assert response.status_code == 302
    v = Visit.objects.get()
    assert v.companion == personas["staff"] and v.visitor == personas["grid_worker"]
    page = client.get(url).content.decode()
    assert "家中一切正常" in page
    # A form with an error keeps what was typed and names the field.
    response = client.post(url, {**_form(str(uuid.uuid4()), ""), "visited_on": "2099-01-01"})
    assert response.status_code == 200
    assert Visit.objects.count() == 1


def test_viewers_see_the_log_but_cannot_record(client, city, personas):
    h = household(personas["staff"], city.happy_building, "101")
    for persona in ("supervisor", "district_officer"):
        client.force_login(personas[persona])
        page = client.get(reverse("visit_household", args=[h.pk]))
        assert page.status_code == 200 and b'data-test="visit-form"' not in page.content
        assert (
            client.post(reverse("visit_household", args=[h.pk]), _form(str(uuid.uuid4()))).status_code == 403
        )
    assert not Visit.objects.exists()


# --- assistant duties ---------------------------------------------------------------------------------


def test_assistant_duties_due_and_overdue(city, personas):
    assistant, secretary = personas["assistant"], personas["community_secretary"]
    # Role granted on Friday Nov 20; the call of that week and the meeting of that fortnight are done.
    services.duty_record(actor=assistant, assistant=assistant, kind=DutyKind.WEEKLY_CALL, note="电话联系")
    services.duty_record(actor=secretary, assistant=assistant, kind=DutyKind.FORTNIGHTLY_MEETING)
    later = dt.date(2026, 12, 1)  # a Tuesday

    [entry] = selectors.assistant_duties(actor=secretary, today=later)

    assert entry.assistant == assistant
    weekly = [(item.period_start, item.status) for item in entry.items[DutyKind.WEEKLY_CALL]]
    assert weekly == [
        (dt.date(2026, 11, 30), "due"),
        (dt.date(2026, 11, 23), "overdue"),
        (dt.date(2026, 11, 16), "done"),
    ]
    fortnightly = [(item.period_start, item.status) for item in entry.items[DutyKind.FORTNIGHTLY_MEETING]]
    assert fortnightly == [(dt.date(2026, 11, 30), "due"), (dt.date(2026, 11, 16), "done")]
    assert [(i.period_start, i.status) for i in entry.items[DutyKind.QUARTERLY_SUMMARY]] == [
        (dt.date(2026, 10, 1), "due")
    ]
    assert entry.overdue_count == 1
    # The assistant sees her own; the outsider none of 幸福社区's; officers read the roll-up.
    assert [e.assistant for e in selectors.assistant_duties(actor=assistant, today=later)] == [assistant]
    assert selectors.assistant_duties(actor=personas["outsider"], today=later) == []
    assert [
        e.assistant for e in selectors.assistant_duties(actor=personas["district_officer"], today=later)
    ] == [assistant]
    assert AuditEntry.objects.filter(action="visits.duty").count() == 2


def test_duty_recording_rules(city, personas):
    assistant = personas["assistant"]
    services.duty_record(actor=assistant, assistant=assistant, kind=DutyKind.QUARTERLY_SUMMARY)
    with pytest.raises(ValidationError):  # the same quarter twice
        services.duty_record(actor=assistant, assistant=assistant, kind=DutyKind.QUARTERLY_SUMMARY)
    for persona in ("grid_worker", "staff", "outsider"):
        with pytest.raises(PermissionDenied):
            services.duty_record(actor=personas[persona], assistant=assistant, kind=DutyKind.WEEKLY_CALL)
    with pytest.raises(ValidationError):
        services.duty_record(
            actor=personas["community_secretary"], assistant=personas["staff"], kind="weekly_call"
        )
    assert AssistantDuty.objects.count() == 1


def test_duty_page_records_as_done(client, city, personas):
    assistant = personas["assistant"]
    client.force_login(assistant)
    page = client.get(reverse("visit_duties")).content.decode()
    assert 'data-test="record-duty"' in page
    url = reverse("visit_duty_record", args=[assistant.pk])
    response = client.post(
        url, {"kind": "weekly_call", "done_on": dt.date.today().isoformat(), "note": "已电话"}
    )
    assert response.status_code == 302
    assert AssistantDuty.objects.get().note == "已电话"
    assert client.get(reverse("visit_duty_record", args=[personas["staff"].pk])).status_code == 404


# --- the reminder sweep ------------------------------------------------------------------------------------


def test_tick_reminds_once(city, personas):
    assistant, worker, staff = personas["assistant"], personas["grid_worker"], personas["staff"]
    services.assignment_create(
        actor=personas["community_secretary"], place=city.happy_grid, first=worker, second=staff
    )
    # Friday Nov 20 2026: the weekly call is due today; the fortnight (11-16..11-29) is due next Friday.
    first = services.visits_remind(today=TODAY)
    second = services.visits_remind(today=TODAY)

    keys = set(Notification.objects.filter(recipient=assistant).values_list("dedupe_key", flat=True))
    assert keys == {f"visits:duty:{assistant.pk}:weekly_call:2026-11-16:remind"}
    assert (first, second) == (1, 0)
    # Saturday Dec 5 is a visit day: each member of the pair is told once; last week's call is overdue.
    services.visits_remind(today=dt.date(2026, 12, 5))
    services.visits_remind(today=dt.date(2026, 12, 5))
    assert (
        Notification.objects.filter(recipient=worker, dedupe_key=f"visits:day:{worker.pk}:2026-12-05").count()
        == 1
    )
    assert Notification.objects.filter(recipient=staff, dedupe_key__startswith="visits:day:").count() == 1
    keys = set(Notification.objects.filter(recipient=assistant).values_list("dedupe_key", flat=True))
    assert f"visits:duty:{assistant.pk}:weekly_call:2026-11-23:overdue" in keys
    assert f"visits:duty:{assistant.pk}:fortnightly_meeting:2026-11-16:overdue" in keys
    # The same through `lianxin tick`: nothing new.
    count = Notification.objects.count()
    result = tick(today=dt.date(2026, 12, 5))
    assert result["visits_remind"] == 0 and Notification.objects.count() == count


def visit_sample(city):
    """A visit by the secretary to the registry sample's household (1号楼 1单元 101), made once per
    test and kept on the city object, for the permission matrices."""
    sample = getattr(city, "_visit_sample", None)
    if sample is None:
        from lianxin.accounts.models import User

        from .test_registry_pages import registry_sample

        secretary = User.objects.get(username="secretary")
        sample = services.visit_record(
            actor=secretary, household=registry_sample(city)["household"], findings="老两口身体尚好"
        )[0]
        city._visit_sample = sample
    return sample


# --- a finding becomes a request (lianxin.appeals.services.request_intake) -----------------------------


def test_a_finding_becomes_a_request_once_with_the_household_filled_in(client, city, personas):
    from lianxin.appeals.models import Request

    from .test_registry_pages import registry_sample

    sample = registry_sample(city)
    worker = personas["grid_worker"]
    v, _created = services.visit_record(
        actor=worker,
        household=sample["household"],
        findings="楼道灯坏了，老人夜里上下楼不便",
        needs_followup=True,
    )
    client.force_login(worker)
    page = client.get(reverse("visit_household", args=[sample["household"].pk])).content.decode()
    assert 'data-test="to-request"' in page and 'value="other" selected' in page

    first = client.post(reverse("visit_to_request", args=[v.pk]), {"category": "facilities"})
    second = client.post(reverse("visit_to_request", args=[v.pk]), {"category": "facilities"})

    assert first.status_code == second.status_code == 302
    request = Request.objects.get()
    assert (request.channel, request.source_visit_id, request.household_id) == (
        "visit",
        v.pk,
        sample["household"].pk,
    )
    assert (request.resident_id, request.requester_name, request.place_id) == (
        sample["head"].pk,
        "张三",
        city.happy_building.pk,
    )
    assert request.category.code == "facilities" and request.description == v.findings
    v.refresh_from_db()
    assert v.request_id == request.pk
    assert AuditEntry.objects.filter(action="visits.to_request").count() == 1
    page = client.get(reverse("visit_household", args=[sample["household"].pk])).content.decode()
    assert request.number in page and 'data-test="to-request"' not in page


def test_only_those_who_record_visits_there_can_turn_findings_into_requests(client, city, personas):
    from lianxin.appeals.models import Request

    from .test_registry_pages import registry_sample

    v = visit_sample(city)
    assert registry_sample(city)["household"].pk == v.household_id
    for persona, status in (("outsider", 404), ("supervisor", 403), ("district_officer", 403)):
        client.force_login(personas[persona])
        assert (
            client.post(reverse("visit_to_request", args=[v.pk]), {"category": "other"}).status_code == status
        )
    with pytest.raises(PermissionDenied):
        services.visit_to_request(actor=personas["outsider"], visit=v, category="other")
    with pytest.raises(ValidationError):
        services.visit_to_request(actor=personas["staff"], visit=v, category="no-such-category")
    assert not Request.objects.exists()
    v.refresh_from_db()
    assert v.request_id is None


# --- API --------------------------------------------------------------------------------------------


def test_api_records_once_per_key_and_reports_coverage(city, personas, area):
    from rest_framework.test import APIClient

    worker = personas["grid_worker"]
    h = household(personas["staff"], city.happy_building, "101")
    household(personas["staff"], city.happy_building, "102")
    foreign = household(personas["outsider"], area["unity_building"], "301")
    api = APIClient()
    api.force_login(worker)
    body = {"household": h.pk, "findings": "独居老人，身体尚好", "idempotency_key": str(uuid.uuid4())}

    first = api.post(reverse("api:visit-list"), body, format="json")
    again = api.post(reverse("api:visit-list"), body, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and Visit.objects.count() == 1
    assert first.json()["visitor"] == worker.pk and first.json()["address"] == "1号楼1单元101室"
    # Another community's household is not a choice: 400 naming the field, nothing written.
    response = api.post(
        reverse("api:visit-list"),
        {**body, "household": foreign.pk, "idempotency_key": str(uuid.uuid4())},
        format="json",
    )
    assert response.status_code == 400 and set(response.json()["errors"]) == {"household"}
    assert Visit.objects.count() == 1

    plan = api.get(reverse("api:visit-plan-list") + "?pending=true").json()["results"]
    assert [row["address"] for row in plan] == ["1号楼1单元102室"]
    coverage = api.get(reverse("api:visit-plan-coverage") + "?month=2026-11").json()
    assert coverage == [
        {
            "grid": city.happy_grid.pk,
            "grid_name": "第一网格",
            "community_name": "幸福社区",
            "households": 2,
            "visited": 1,
            "percent": 50,
            "never_visited": 1,
        }
    ]
    assert api.get(reverse("api:visit-plan-coverage") + "?month=2026-13").status_code == 400
    listed = api.get(reverse("api:visit-list") + "?month=2026-11").json()["results"]
    assert [row["id"] for row in listed] == [first.json()["id"]]


def test_plan_page_announces_visit_and_follow_up_days(client, city, personas):
    services.schedule_set(
        actor=personas["community_secretary"], community=city.happy, visit_days="7,8", followup_days="30,31"
    )

    def plan_on(day):
        with time_machine.travel(dt.datetime(day.year, day.month, day.day, 9), tick=False):
            client.force_login(personas["grid_worker"])  # sessions expire; sign in on that day
            return client.get(reverse("visits")).content.decode()

    assert 'data-test="today-visit-day"' in plan_on(dt.date(2026, 12, 8))
    february = plan_on(dt.date(2027, 2, 28))  # 30–31 fall on Feb 27–28
    assert 'data-test="today-visit-day"' in february and "2月27日、2月28日" in february
    assert 'data-test="today-visit-day"' not in plan_on(dt.date(2027, 2, 26))
