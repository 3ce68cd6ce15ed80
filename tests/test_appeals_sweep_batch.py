"""The set-based overdue sweep (lianxin.appeals.services.requests_sweep): day limits computed once,
claims by compare-and-set in chunks, one transaction each; only what a sweep actually claimed is
recorded and notified, each once, to the right people.

Given the city and personas of conftest.py; "today" is a plain week in November 2026 (no holidays).
"""

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.utils.translation import gettext

from lianxin.accounts.models import RoleAssignment
from lianxin.appeals import services
from lianxin.appeals.models import Channel, EventKind, Request, RequestEvent
from lianxin.core import audit
from lianxin.core.access import Role
from lianxin.core.models import AuditEntry, Notification

from .conftest import make_user
from .plans import generic_plan

D = dt.date
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
TUESDAY = D(2026, 11, 10)


def at(day: dt.date, hour: int = 7) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def make_request(actor, place, due_on: dt.date, **changes) -> Request:
    request = services.request_intake(
        actor=actor,
        channel=Channel.DESK,
        place=place,
        category="environment",
        description="楼道堆放杂物，影响通行",
        requester_name="王五",
        requester_phone="13900001111",
        received_on=due_on - dt.timedelta(days=20),
    )
    Request.objects.filter(pk=request.pk).update(due_on=due_on, **changes)
    request.refresh_from_db()
    return request


@pytest.fixture
def sweep(time_machine, django_capture_on_commit_callbacks, monkeypatch):
    """Run the sweep on ``day`` (at 07:00 Shanghai); the delivery jobs enqueued after commit are
    collected in ``sweep.enqueued`` (lists of notification ids) instead of being run."""
    from lianxin.core import notifications

    enqueued: list[list[int]] = []

    class Deliver:
        @staticmethod
        def enqueue(ids):
            enqueued.append(list(ids))

    monkeypatch.setattr(notifications, "deliver", Deliver)

    def run(day: dt.date = TUESDAY) -> int:
        time_machine.move_to(at(day), tick=False)
        with django_capture_on_commit_callbacks(execute=True):
            return services.requests_sweep(today=day)

    run.enqueued = enqueued
    return run


def keys_of(user) -> list[str]:
    return sorted(Notification.objects.filter(recipient=user).values_list("dedupe_key", flat=True))


def request_keys() -> list[tuple[int, str]]:
    return sorted(
        Notification.objects.filter(dedupe_key__startswith="request:").values_list(
            "recipient_id", "dedupe_key"
        )
    )


# --- the day limits --------------------------------------------------------------------------------


def test_reminders_reach_over_the_weekend_to_the_next_working_day_only(city, personas, sweep):
    staff = personas["staff"]
    friday = D(2026, 11, 13)
    due = {day: make_request(staff, city.happy, day) for day in (friday, D(2026, 11, 16), D(2026, 11, 17))}
    due[D(2026, 11, 15)] = make_request(staff, city.happy, D(2026, 11, 15))  # a Sunday deadline
    assert sweep(friday) == 3  # due Friday, Sunday and Monday; not Tuesday
    reminded = set(Request.objects.filter(reminded_at__isnull=False).values_list("pk", flat=True))
    assert reminded == {due[day].pk for day in (friday, D(2026, 11, 15), D(2026, 11, 16))}
    event = RequestEvent.objects.get(request=due[D(2026, 11, 16)], kind=EventKind.REMINDER)
    assert event.after == {"due_on": "2026-11-16"} and event.actor_id is None


def test_subdistrict_only_after_the_working_days_and_both_levels_at_once_when_long_overdue(
    city, personas, sweep
):
    staff = personas["staff"]
    # Tuesday 10th: due Monday 9th is one working day late, due Friday 6th two (Mon 9th, Tue 10th).
    one_day = make_request(staff, city.happy, D(2026, 11, 9))
    two_days = make_request(staff, city.happy, D(2026, 11, 6))
    long_ago = make_request(staff, city.happy, D(2026, 10, 20))
    assert sweep() == 1 + 2 + 2
    levels = dict(Request.objects.values_list("pk", "escalation_level"))
    assert levels == {one_day.pk: 1, two_days.pk: 2, long_ago.pk: 2}
    assert list(
        RequestEvent.objects.filter(request=long_ago, kind=EventKind.ESCALATION)
        .order_by("id")
        .values_list("before", "after")
    ) == [({"level": 0}, {"level": 1}), ({"level": 1}, {"level": 2})]


@pytest.mark.parametrize("start", [D(2026, 9, 20), D(2026, 12, 20), D(2026, 2, 10)])
def test_the_day_limits_agree_with_the_per_request_rules(city, start):
    """The two limits computed once give the same requests as the per-request rules they replace:
    remind when the working day before the deadline is today or past (looking 21 days ahead); up to
    the subdistrict when ``escalate_after_days()`` working days late (due dates before last year: always)."""
    from lianxin.core.calendar import WorkingCalendar

    for offset in range(25):
        today = start + dt.timedelta(days=offset)
        calendar = WorkingCalendar(range(today.year - 1, today.year + 2))

        def previous_working_day(day, calendar=calendar):
            day -= dt.timedelta(days=1)
            while not calendar.is_working_day(day):
                day -= dt.timedelta(days=1)
            return day

        remind_until, escalate_until = services._sweep_days(today)
        for ahead in range(22):
            due = today + dt.timedelta(days=ahead)
            assert (previous_working_day(due) <= today) == (due <= remind_until), (today, due)
        after = services.escalate_after_days()
        for back in range(1, 800, 3):
            due = today - dt.timedelta(days=back)
            late = calendar.between(due, today) if due.year >= today.year - 1 else after
            assert (late >= after) == (due <= escalate_until), (today, due)


# --- idempotence -----------------------------------------------------------------------------------


def test_a_second_sweep_the_same_day_does_nothing(city, personas, sweep):
    staff = personas["staff"]
    for day in (D(2026, 11, 6), D(2026, 11, 9), TUESDAY, D(2026, 11, 11), D(2026, 11, 12)):
        make_request(staff, city.happy, day)
    assert sweep() == 2 + 1 + 2  # escalations 2 + 1; reminders for today and tomorrow
    counts = (RequestEvent.objects.count(), Notification.objects.count(), AuditEntry.objects.count())
    enqueued = len(sweep.enqueued)
    assert sweep() == 0
    assert (RequestEvent.objects.count(), Notification.objects.count(), AuditEntry.objects.count()) == counts
    assert len(sweep.enqueued) == enqueued  # no delivery job for nothing
    assert audit.verify().ok


def test_a_sweep_with_nothing_to_do_only_reads(city, personas, sweep):
    from django.test.utils import CaptureQueriesContext

    make_request(personas["staff"], city.happy, D(2026, 11, 30))  # due long after the sweep's horizon
    with CaptureQueriesContext(connection) as queries:
        assert sweep() == 0

    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    # the calendar (years, days), the reminders' and the escalations' candidates: no transaction, no
    # write lock, and no more statements than the hand-written sweep's two reads (bench/appeals_sweep.py)
    assert statements == ["SELECT"] * 4


def test_an_earlier_notification_with_the_same_key_is_neither_duplicated_nor_delivered_again(
    city, personas, sweep
):
    staff = personas["staff"]
    request = make_request(staff, city.happy, D(2026, 11, 11))
    key = f"request:{request.pk}:c0:remind"
    earlier = Notification.objects.create(recipient=staff, title="earlier", dedupe_key=key)
    other = make_request(staff, city.happy, D(2026, 11, 11))
    assert sweep() == 2  # both claimed: the step is taken, the inbox row already there is kept
    assert Notification.objects.filter(recipient=staff, dedupe_key=key).get() == earlier
    new = set(
        Notification.objects.filter(dedupe_key=f"request:{other.pk}:c0:remind").values_list("pk", flat=True)
    )
    assert len(new) == 1
    assert [set(ids) for ids in sweep.enqueued] == [new]


def test_a_reopened_request_is_reminded_again_in_its_new_cycle(city, personas, sweep):
    staff = personas["staff"]
    request = make_request(staff, city.happy, D(2026, 11, 11))
    assert sweep() == 1
    Request.objects.filter(pk=request.pk).update(reopen_count=1, reminded_at=None)
    assert sweep() == 1
    assert keys_of(staff) == [f"request:{request.pk}:c0:remind", f"request:{request.pk}:c1:remind"]


# --- compare-and-set: what another sweep claimed meanwhile ------------------------------------------


def test_requests_claimed_by_a_concurrent_sweep_are_not_notified_twice(city, personas, sweep, monkeypatch):
    staff, secretary = personas["staff"], personas["community_secretary"]
    remind = [make_request(staff, city.happy, D(2026, 11, 11)) for _ in range(3)]
    escalate = [make_request(staff, city.happy, D(2026, 11, 9)) for _ in range(3)]
    original = services._sweep_candidates

    def raced(*args):
        # The candidates are read; before they are claimed, another sweep takes the first of each kind
        # (its claim, events and notifications committed) — this one must leave those alone.
        found = original(*args)
        Request.objects.filter(pk=remind[0].pk).update(reminded_at=dt.datetime(2026, 11, 10, tzinfo=dt.UTC))
        Request.objects.filter(pk=escalate[0].pk).update(escalation_level=1)
        return found

    monkeypatch.setattr(services, "_sweep_candidates", raced)
    assert sweep() == 4
    assert not RequestEvent.objects.filter(
        request__in=[remind[0], escalate[0]], kind__in=["reminder", "escalation"]
    )
    assert not Notification.objects.filter(
        url__in=[f"/requests/{remind[0].pk}/", f"/requests/{escalate[0].pk}/"]
    )
    assert AuditEntry.objects.filter(action="request.escalate").count() == 2
    assert len(keys_of(secretary)) == 2
    assert len(keys_of(staff)) == 4  # two reminders, two escalations (the owner and handler is one person)


def test_a_request_answered_between_read_and_claim_is_left_alone(city, personas, sweep, monkeypatch):
    staff = personas["staff"]
    request = make_request(staff, city.happy, D(2026, 11, 9))
    original = services._sweep_candidates

    def raced(*args):
        found = original(*args)
        Request.objects.filter(pk=request.pk).update(status="answered")
        return found

    monkeypatch.setattr(services, "_sweep_candidates", raced)
    assert sweep() == 0
    assert not Notification.objects.filter(dedupe_key__startswith="request:").exists()


def test_a_request_another_sweep_took_to_the_secretary_goes_on_up_once(city, personas, sweep, monkeypatch):
    """Both escalation levels come from one read. Between that read and the claims another sweep takes a
    long-overdue request to level 1: this one's level-1 claim misses it, its level-2 claim takes it on."""
    staff = personas["staff"]
    long_ago = make_request(staff, city.happy, D(2026, 10, 20))
    original = services._sweep_candidates

    def raced(*args):
        found = original(*args)
        if "escalation_level" in args:
            Request.objects.filter(pk=long_ago.pk).update(escalation_level=1)
        return found

    monkeypatch.setattr(services, "_sweep_candidates", raced)
    assert sweep() == 1
    assert list(
        RequestEvent.objects.filter(request=long_ago, kind=EventKind.ESCALATION).values_list(
            "before", "after"
        )
    ) == [({"level": 1}, {"level": 2})]
    monkeypatch.setattr(services, "_sweep_candidates", original)
    assert sweep() == 0


def test_both_escalation_levels_are_read_through_the_escalation_index(city, personas, sweep):
    """The two levels' candidates are an unordered union of two plain range reads of (status,
    escalation_level, due_on), each with its level in the index condition. Written as one WHERE … OR …,
    PostgreSQL's generic plan (how kept statements are planned, lianxin.core.statements.plan_once)
    walked every overdue request of the due-date index instead (6 ms a tick at 20,000 open requests,
    growing with the backlog); ordered in SQL, SQLite merged the two sides by scanning the whole table
    by id. On PostgreSQL the due-date index is dropped inside the test's transaction: a few rows give
    the planner no reason to prefer either."""
    from django.db import connections

    make_request(personas["staff"], city.happy, D(2026, 11, 9))
    connections["default"].__dict__.pop("lianxin_statements", None)  # what earlier tests kept
    assert sweep() == 1
    kept = connections["default"].__dict__["lianxin_statements"]
    (statement,) = [kept[key] for key in kept if key[0] == "appeals.sweep.escalate"]
    assert " UNION ALL " in statement.sql and " OR " not in statement.sql
    assert "ORDER BY" not in statement.sql
    params = statement.params
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {statement.sql}", params)
            plan = [row[-1] for row in cursor.fetchall()]
            reads = [line for line in plan if "appeals_request" in line]
            assert len(reads) == 2, plan
            assert all(line.startswith("SEARCH") and "appeals_request_esc_idx" in line for line in reads), (
                plan
            )
            assert all("escalation_level=?" in line for line in reads), plan
            return
        cursor.execute("DROP INDEX appeals_request_due_idx")
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = generic_plan(cursor, statement.sql, params)
    scans = [line for line in plan if "Index Scan" in line]
    conditions = [line for line in plan if "Index Cond" in line]
    assert len(scans) == 2 and all("appeals_request_esc_idx" in line for line in scans), plan
    assert len(conditions) == 2 and all("escalation_level" in line for line in conditions), plan


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent writers (SQLite serialises them)"
)
def test_two_sweeps_racing_on_postgresql_take_each_step_once(city, personas, time_machine):
    """Two real connections sweeping the same day at once (PostgreSQL only: SQLite serialises writers)."""
    import threading

    from django.db import connections

    from lianxin.appeals.models import RequestCategory

    # A transactional test starts from flushed tables: the categories of the data migration are gone.
    RequestCategory.objects.get_or_create(code="environment", defaults={"name": "环境卫生"})
    staff = personas["staff"]
    for _ in range(20):
        make_request(staff, city.happy, D(2026, 11, 11))
        make_request(staff, city.happy, D(2026, 11, 6))
    time_machine.move_to(at(TUESDAY), tick=False)
    results, errors = [], []
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            results.append(services.requests_sweep(today=TUESDAY))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sum(results) == 20 + 40  # 20 reminders, 20 × two levels
    assert RequestEvent.objects.filter(kind=EventKind.REMINDER).count() == 20
    assert RequestEvent.objects.filter(kind=EventKind.ESCALATION).count() == 40
    assert AuditEntry.objects.filter(action="request.escalate").count() == 40
    keys = request_keys()
    assert len(keys) == len(set(keys))
    assert audit.verify().ok


# --- chunks ------------------------------------------------------------------------------------------


def test_chunk_boundaries_each_chunk_its_own_transaction(city, personas, sweep, monkeypatch):
    staff = personas["staff"]
    monkeypatch.setattr(services, "SWEEP_CHUNK", 2)
    requests = [make_request(staff, city.happy, D(2026, 11, 11)) for _ in range(5)]
    overdue = make_request(staff, city.happy, D(2026, 11, 9))
    claims = []
    original = services._claim

    def spy(pks, *args):
        claims.append(list(pks))
        return original(pks, *args)

    monkeypatch.setattr(services, "_claim", spy)
    assert sweep() == 6
    # Each transaction claims at most two; the last has room for the escalation after the reminder.
    assert claims == [
        [r.pk for r in requests[0:2]],
        [r.pk for r in requests[2:4]],
        [requests[4].pk],
        [overdue.pk],
    ]
    assert len(sweep.enqueued) == 3  # one delivery job per committed transaction
    assert sorted(pk for ids in sweep.enqueued for pk in ids) == sorted(
        Notification.objects.filter(dedupe_key__startswith="request:").values_list("pk", flat=True)
    )


def test_a_failing_chunk_keeps_the_committed_ones_and_the_next_sweep_finishes(
    city, personas, sweep, monkeypatch
):
    staff = personas["staff"]
    monkeypatch.setattr(services, "SWEEP_CHUNK", 2)
    requests = [make_request(staff, city.happy, D(2026, 11, 11)) for _ in range(5)]
    original, calls = services._notify_many, []

    def flaky(messages):
        calls.append(len(messages))
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return original(messages)

    monkeypatch.setattr(services, "_notify_many", flaky)
    with pytest.raises(RuntimeError):
        sweep()
    reminded = set(Request.objects.filter(reminded_at__isnull=False).values_list("pk", flat=True))
    assert reminded == {requests[0].pk, requests[1].pk}  # the second chunk rolled back whole
    assert RequestEvent.objects.filter(kind=EventKind.REMINDER).count() == 2
    monkeypatch.setattr(services, "_notify_many", original)
    assert sweep() == 3
    assert len(keys_of(staff)) == 5 and len(set(keys_of(staff))) == 5


# --- recipients per level ---------------------------------------------------------------------------


def test_recipients_per_step_and_level(city, personas, sweep):
    staff, secretary = personas["staff"], personas["community_secretary"]
    east, outsider = personas["subdistrict_officer"], personas["outsider"]
    west = make_user("west", Role.SUBDISTRICT_OFFICER, city.west, "西街干部")
    harmony = make_user("harmony", Role.COMMUNITY_SECRETARY, city.harmony, "和谐书记")
    handler = make_user("handler", Role.STAFF, city.happy, "经办人")
    gone = make_user("gone", Role.COMMUNITY_SECRETARY, city.happy, "离任书记")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    grid_secretary = make_user("gridsec", display_name="网格书记")  # a secretary's role, but on a grid
    RoleAssignment.objects.create(user=grid_secretary, role=Role.COMMUNITY_SECRETARY, place=city.happy_grid)
    soon = make_request(staff, city.happy_building, D(2026, 11, 11), handler=handler)
    late = make_request(staff, city.happy_building, D(2026, 11, 9), handler=handler)
    later = make_request(staff, city.happy_building, D(2026, 11, 6), handler=handler)
    unity = make_request(outsider, city.unity_grid, D(2026, 11, 6))
    assert sweep() == 1 + 1 + 2 + 2

    def got(request, suffix):
        return set(
            Notification.objects.filter(dedupe_key=f"request:{request.pk}:c0:{suffix}").values_list(
                "recipient__username", flat=True
            )
        )

    assert got(soon, "remind") == {"staff", "handler"}
    # Level 1: the owner, the handler and the secretary of the community the place lies in (not of a
    # grid inside it, not an inactive one, not another community's).
    assert got(late, "esc1") == {"staff", "handler", "secretary"}
    assert got(later, "esc1") == {"staff", "handler", "secretary"}
    assert got(unity, "esc1") == {"outsider"}
    # Level 2: the officers of the subdistrict above, nobody else.
    assert got(later, "esc2") == {"east"}
    assert got(unity, "esc2") == {"west"}
    assert got(late, "esc2") == set()
    for user in (harmony, gone, grid_secretary):
        assert keys_of(user) == []
    assert keys_of(east) == [f"request:{later.pk}:c0:esc2"]
    assert keys_of(west) == [f"request:{unity.pk}:c0:esc2"]
    notification = Notification.objects.get(recipient=secretary, dedupe_key=f"request:{late.pk}:c0:esc1")
    assert notification.title == gettext("Overdue: request %(number)s") % {"number": late.number}
    assert notification.body == gettext("It was due %(date)s.") % {"date": "2026-11-09"}
    assert notification.url == f"/requests/{late.pk}/"
    entry = AuditEntry.objects.get(
        action="request.escalate", object_id=str(later.pk), after={"escalation_level": 2}
    )
    assert entry.object_type == "appeals.request" and entry.object_repr == later.number
    assert entry.place_id_snapshot == city.happy_building.pk and entry.place_path == city.happy_building.path
    assert audit.verify().ok
