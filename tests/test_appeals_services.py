"""Residents' requests (D4): intake, deadlines in official working days, the sweep, the rates.

Given the city and personas of conftest.py; time is frozen wherever a deadline matters.
"""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lianxin.appeals import selectors, services
from lianxin.appeals.models import (
    Channel,
    EventKind,
    Rating,
    Request,
    RequestCategory,
    RequestEvent,
)
from lianxin.core import services as core_services
from lianxin.core.calendar import recompute_provisional_deadlines
from lianxin.core.models import AuditEntry, Notification

from .conftest import make_user
from .test_registry_pages import registry_sample

D = dt.date
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def intake(actor, place, **kwargs):
    values = {
        "actor": actor,
        "channel": Channel.DESK,
        "place": place,
        "category": "environment",
        "description": "楼道堆放杂物，影响通行",
        "requester_name": "王五",
        "requester_phone": "13900001111",
    }
    values.update(kwargs)
    return services.request_intake(**values)


# --- deadlines in official working days ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "due", "provisional"),
    [
        (D(2026, 9, 30), D(2026, 10, 13), False),  # across National Day, with the make-up Saturday 10-10
        (D(2026, 9, 18), D(2026, 9, 24), False),  # the Sunday 09-20 is a make-up workday
        (D(2026, 12, 28), D(2027, 1, 4), True),  # 2027 is not loaded: weekends only, provisional
    ],
)
def test_default_deadline_is_five_official_working_days(
    city, personas, time_machine, received, due, provisional
):
    time_machine.move_to(at(received), tick=False)
    request = intake(personas["staff"], city.happy)
    assert (request.due_from, request.due_days) == (received, 5)
    assert (request.due_on, request.due_provisional) == (due, provisional)


def test_a_provisional_deadline_is_recomputed_when_2027_is_loaded(city, personas, sysadmin, time_machine):
    time_machine.move_to(at(D(2026, 12, 28)), tick=False)
    request = intake(personas["staff"], city.happy)
    assert (request.due_on, request.due_provisional) == (D(2027, 1, 4), True)

    result = core_services.calendar_years_load(
        actor=sysadmin, text="2027-01-01,holiday,元旦\n2027-02-08,休,春节\n", source="2027 official"
    )

    assert result["recomputed"] >= 1
    request.refresh_from_db()
    # 2027-01-01 (a Friday) is now a holiday: 29, 30, 31 December, 4 and 5 January.
    assert (request.due_on, request.due_provisional) == (D(2027, 1, 5), False)
    assert recompute_provisional_deadlines() == 0


def test_the_deadline_follows_the_category(city, personas, time_machine):
    time_machine.move_to(at(D(2026, 9, 30)), tick=False)
    RequestCategory.objects.filter(code="safety").update(due_days=3)
    request = intake(personas["staff"], city.happy, category=RequestCategory.objects.get(code="safety"))
    # 10-08 (1), 10-09 (2), 10-10 the make-up Saturday (3)
    assert (request.due_days, request.due_on) == (3, D(2026, 10, 10))


# --- intake --------------------------------------------------------------------------------------------


def test_intake_makes_the_recorder_the_owner_and_numbers_the_case(city, personas, time_machine):
    time_machine.move_to(at(D(2026, 9, 30)), tick=False)
    people = registry_sample(city)
    first = intake(
        personas["staff"], city.happy_building, resident=people["head"], requester_name="", requester_phone=""
    )
    second = intake(personas["grid_worker"], city.happy_grid, anonymous=True, channel=Channel.BOX)

    assert first.number == "2026-000001" and second.number == "2026-000002"
    assert first.owner == first.handler == personas["staff"]
    assert first.requester_name == "张三" and first.household == people["household"]
    assert first.phone_digits == "13800138000"
    assert second.requester_name == second.requester_phone == "" and second.resident is None
    assert RequestEvent.objects.filter(request=first, kind=EventKind.INTAKE).count() == 1
    assert AuditEntry.objects.filter(action="request.intake", object_id=str(first.pk)).count() == 1


def test_case_numbers_restart_each_year(city, personas, time_machine):
    time_machine.move_to(at(D(2026, 12, 31)), tick=False)
    assert intake(personas["staff"], city.happy).number == "2026-000001"
    time_machine.move_to(at(D(2027, 1, 4)), tick=False)
    assert intake(personas["staff"], city.happy).number == "2027-000001"
    assert intake(personas["staff"], city.happy).number == "2027-000002"


def test_intake_accepts_the_category_code_or_instance(city, personas):
    by_code = intake(personas["staff"], city.happy, category="housing")
    by_instance = intake(personas["staff"], city.happy, category=RequestCategory.objects.get(code="housing"))
    assert by_code.category == by_instance.category and by_code.due_days == 10


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"description": "  "}, "description"),
        ({"category": "no-such"}, "category"),
        ({"channel": "fax"}, "channel"),
        ({"requester_name": ""}, "requester_name"),
        ({"requester_phone": "12"}, "requester_phone"),
        ({"attachments": [("a.exe", b"MZ\x90\x00 not an image")]}, "attachments"),
        ({"attachments": [("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024))]}, "attachments"),
        ({"attachments": [("photo.jpg", b"%!PS fake jpeg")]}, "attachments"),
    ],
)
def test_bad_intake_names_the_field_and_writes_nothing(city, personas, changes, field):
    audit_before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        intake(personas["staff"], city.happy, **changes)
    assert field in exc.value.message_dict
    assert Request.objects.count() == 0 and AuditEntry.objects.count() == audit_before


def test_intake_outside_ones_area_is_refused(city, personas):
    with pytest.raises(PermissionDenied):
        intake(personas["outsider"], city.happy)
    with pytest.raises(PermissionDenied):
        intake(personas["resident"], city.happy)
    assert Request.objects.count() == 0


def test_attachments_are_checked_by_their_bytes_and_stored(city, personas):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    pdf = b"%PDF-1.4\n%test\n"
    request = intake(
        personas["staff"], city.happy, attachments=[("../../etc/照片.png", png), ("信.pdf", pdf)]
    )
    kinds = list(request.attachments.values_list("content_type", "size"))
    assert kinds == [("image/png", len(png)), ("application/pdf", len(pdf))]
    stored = request.attachments.first()
    assert stored.file.name.startswith(f"appeals/{request.year}/{request.pk}/")
    assert ".." not in stored.file.name and stored.file.name.endswith(".png")
    assert stored.file.read() == png


def test_a_visit_finding_becomes_a_request(city, personas):
    request = intake(personas["grid_worker"], city.happy_building, channel=Channel.VISIT, source_visit_id=42)
    payload = services.request_payload(request)
    assert payload["source_visit_id"] == 42 and payload["channel"] == "visit"
    assert payload["place"]["id"] == city.happy_building.pk
    assert payload["category"]["code"] == "environment"


# --- the sweep: reminder, overdue escalation, no duplicates --------------------------------------------


def test_reminder_then_escalation_to_secretary_then_subdistrict_once_each(
    city, personas, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(at(D(2026, 9, 30)), tick=False)
    request = intake(personas["staff"], city.happy)
    assert request.due_on == D(2026, 10, 13)
    secretary, east = personas["community_secretary"], personas["subdistrict_officer"]

    def sweep(day):
        time_machine.move_to(at(day, 7), tick=False)
        with django_capture_on_commit_callbacks(execute=True):
            return services.requests_sweep(today=day)

    assert sweep(D(2026, 10, 10)) == 0  # the make-up Saturday: two working days left
    assert sweep(D(2026, 10, 12)) == 1  # one working day before: the reminder
    assert sweep(D(2026, 10, 12)) == 0
    assert (
        Notification.objects.filter(recipient=personas["staff"], title__contains=request.number).count() == 1
    )
    assert sweep(D(2026, 10, 13)) == 0  # due today, not overdue
    assert sweep(D(2026, 10, 14)) == 1  # overdue, one working day late: the community secretary
    assert sweep(D(2026, 10, 14)) == 0
    assert Notification.objects.filter(recipient=secretary, title__contains=request.number).count() == 1
    assert not Notification.objects.filter(recipient=east).exists()
    assert sweep(D(2026, 10, 15)) == 1  # two working days late (14th, 15th): the subdistrict
    assert sweep(D(2026, 10, 16)) == 0
    assert Notification.objects.filter(recipient=east, title__contains=request.number).count() == 1
    request.refresh_from_db()
    assert request.escalation_level == 2
    assert list(request.events.filter(kind=EventKind.ESCALATION).values_list("after", flat=True)) == [
        {"level": 1},
        {"level": 2},
    ]


def test_tick_runs_the_request_sweep(city, personas, time_machine):
    time_machine.move_to(at(D(2026, 9, 30)), tick=False)
    request = intake(personas["staff"], city.happy)
    time_machine.move_to(at(D(2026, 10, 20)), tick=False)
    first = core_services.tick(today=D(2026, 10, 20))
    second = core_services.tick(today=D(2026, 10, 20))
    assert first["requests_sweep"] == 2 and second["requests_sweep"] == 0
    request.refresh_from_db()
    assert request.escalation_level == 2


def test_an_answered_request_is_not_escalated(city, personas, time_machine):
    time_machine.move_to(at(D(2026, 9, 30)), tick=False)
    request = intake(personas["staff"], city.happy)
    services.request_reply(actor=personas["staff"], request=request, text="已清理", channel=Channel.PHONE)
    assert services.requests_sweep(today=D(2026, 10, 20)) == 0


# --- follow-up days -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "follow_up"),
    [
        (D(2026, 10, 8), D(2026, 10, 29)),
        (D(2026, 10, 29), D(2026, 10, 29)),
        (D(2026, 10, 30), D(2026, 10, 30)),
        (D(2026, 10, 31), D(2026, 11, 29)),
        (D(2027, 2, 3), D(2027, 2, 28)),
        (D(2026, 12, 31), D(2027, 1, 29)),
    ],
)
def test_next_follow_up_day(day, follow_up):
    assert services.next_follow_up_day(day) == follow_up


# --- the rates on a known data set --------------------------------------------------------------------


def known_data_set(city, personas, time_machine):
    """Eight requests in 幸福 and 和谐 (both 东街) and 团结 (西街), received 2026-09-01 … 09-03."""
    staff, secretary, outsider = personas["staff"], personas["community_secretary"], personas["outsider"]
    harmony_staff = make_user("harmony-staff", "staff", city.harmony)
    made = []
    time_machine.move_to(at(D(2026, 9, 1)), tick=False)
    for who, where, category in [
        (staff, city.happy, "environment"),  # 0 answered on time, rated satisfied → closed
        (staff, city.happy, "environment"),  # 1 answered on time, rated basically → closed
        (staff, city.happy, "property"),  # 2 answered late, rated dissatisfied → reopened
        (staff, city.happy, "property"),  # 3 never answered, overdue
        (secretary, city.happy, "property"),  # 4 merged into 3: left out of every count
        (harmony_staff, city.harmony, "environment"),  # 5 answered on time, not rated
        (harmony_staff, city.harmony, "environment"),  # 6 received 09-29, not yet due
        (outsider, city.unity, "environment"),  # 7 answered on time, rated satisfied → closed
    ]:
        made.append(intake(who, where, category=category))
    services.request_merge(actor=secretary, request=made[4], into=made[3], reason="重复")
    time_machine.move_to(at(D(2026, 9, 3)), tick=False)
    for i in (0, 1):
        services.request_reply(actor=staff, request=made[i], text="已处理")
    services.request_reply(actor=harmony_staff, request=made[5], text="已处理")
    services.request_reply(actor=outsider, request=made[7], text="已处理")
    time_machine.move_to(at(D(2026, 9, 15)), tick=False)  # due 09-08: late
    services.request_reply(actor=staff, request=made[2], text="已协调")
    services.request_rate(actor=staff, request=made[0], rating=Rating.SATISFIED)
    services.request_rate(actor=staff, request=made[1], rating=Rating.BASICALLY)
    services.request_rate(actor=staff, request=made[2], rating=Rating.DISSATISFIED)
    services.request_rate(actor=outsider, request=made[7], rating=Rating.SATISFIED)
    time_machine.move_to(at(D(2026, 9, 29)), tick=False)
    Request.objects.filter(pk=made[6].pk).update(received_on=D(2026, 9, 29), due_on=D(2026, 10, 13))
    return made


def test_rates_for_a_known_data_set(city, personas, time_machine):
    known_data_set(city, personas, time_machine)
    today = D(2026, 9, 29)

    stats = selectors.request_stats(actor=personas["district_officer"], group="place", today=today)
    # The district sees its communities (drill-down district → community).
    by_name = {row.label: row for row in stats.rows}
    assert set(by_name) == {"幸福社区", "和谐社区", "团结社区"} and stats.child_kind == "community"
    happy = by_name["幸福社区"]
    assert (happy.received, happy.answered, happy.on_time, happy.due) == (4, 3, 2, 4)
    assert (happy.resolved, happy.rated, happy.satisfied, happy.open, happy.overdue) == (2, 3, 2, 2, 2)
    assert (happy.response_rate, happy.on_time_rate, happy.resolution_rate, happy.satisfaction_rate) == (
        75.0,
        50.0,
        50.0,
        66.7,
    )
    harmony = by_name["和谐社区"]
    assert (harmony.received, harmony.answered, harmony.due, harmony.on_time) == (2, 1, 1, 1)
    assert (harmony.response_rate, harmony.on_time_rate, harmony.resolution_rate) == (50.0, 100.0, 0.0)
    assert harmony.satisfaction_rate is None  # nobody rated yet
    total = stats.total
    assert (total.received, total.answered, total.on_time, total.due, total.resolved) == (7, 5, 4, 6, 3)
    assert (total.rated, total.satisfied) == (4, 3)
    assert (total.response_rate, total.on_time_rate, total.resolution_rate, total.satisfaction_rate) == (
        71.4,
        66.7,
        42.9,
        75.0,
    )

    # The community secretary sees only her community; by category.
    mine = selectors.request_stats(actor=personas["community_secretary"], group="category", today=today)
    assert {row.label: row.received for row in mine.rows} == {"环境卫生": 2, "物业管理": 2}
    months = selectors.request_stats(actor=personas["subdistrict_officer"], group="month", today=today)
    assert [(row.label, row.received) for row in months.rows] == [("2026-09", 6)]
    owners = selectors.request_stats(actor=personas["subdistrict_officer"], group="owner", today=today)
    assert {row.label: row.received for row in owners.rows} == {"社区工作者": 4, "harmony-staff": 2}


def test_the_dashboard_runs_one_query(city, personas, time_machine, django_assert_max_num_queries):
    known_data_set(city, personas, time_machine)
    officer = personas["district_officer"]
    selectors.request_stats(actor=officer, group="category", within=city.district)  # warm the role cache
    with django_assert_max_num_queries(1):
        selectors.request_stats(actor=officer, group="category", within=city.district)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_case_numbers_are_never_given_twice_under_concurrency():
    """Threads taking numbers at the same moment, each in its own transaction (PostgreSQL)."""
    import threading

    from django.db import connection, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("SQLite in memory serializes every writer: the race needs PostgreSQL")
    numbers, errors = [], []
    start = threading.Barrier(6)

    def take():
        try:
            start.wait()
            for _ in range(10):
                with transaction.atomic():
                    numbers.append(services._allocate_number(2031)[1])
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(numbers) == [f"2031-{n:06d}" for n in range(1, 61)]
