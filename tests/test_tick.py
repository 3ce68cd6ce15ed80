"""``lianxin tick``: reminders one working day before the deadline, overdue notices, each once."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command

from lianxin.accounts import services as accounts
from lianxin.core.access import Role
from lianxin.core.models import Notification, Todo, TodoStatus
from lianxin.core.services import tick, todo_close, todo_create

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def worker(city):
    user = accounts.user_create(
        actor=None, username="worker", display_name="网格员小李", password=None, email="li@example.cn"
    )
    accounts.role_grant(actor=None, user=user, role=Role.GRID_WORKER, place=city.happy_grid)
    return user


@pytest.fixture
def boss(city):
    user = accounts.user_create(
        actor=None, username="boss", display_name="书记老王", password=None, email="wang@example.cn"
    )
    accounts.role_grant(actor=None, user=user, role=Role.COMMUNITY_SECRETARY, place=city.happy)
    return user


@pytest.fixture
def todo(city, worker, boss, time_machine):
    """Opened on Wed 2026-09-30, one working day: due Thu 2026-10-08, after the National Day break."""
    time_machine.move_to(at(dt.date(2026, 9, 30)), tick=False)
    item = todo_create(actor=boss, assignee=worker, place=city.happy_grid, title="国庆后入户走访", days=1)
    assert (item.due_from, item.due_on, item.due_provisional) == (
        dt.date(2026, 9, 30),
        dt.date(2026, 10, 8),
        False,
    )
    return item


def kinds(user) -> list[str]:
    """The to-do notifications a user got, by the dedupe key's last part (new / remind / overdue)."""
    return [
        key.rsplit(":", 1)[1]
        for key in Notification.objects.filter(recipient=user, dedupe_key__startswith="todo:").values_list(
            "dedupe_key", flat=True
        )
    ]


CORE_KEYS = ("reminded", "overdue", "recomputed", "transfers_expire")


def core_counts(result: dict) -> dict:
    """The core sweep's counts; module sweeps (LIANXIN_TICK_HANDLERS) add their own keys."""
    return {key: result[key] for key in CORE_KEYS}


def run_tick(time_machine, moment, capture) -> dict:
    time_machine.move_to(moment, tick=False)
    with capture(execute=True):
        return tick()


@pytest.mark.django_db
def test_reminder_one_working_day_before_then_overdue_once(
    todo, worker, boss, time_machine, django_capture_on_commit_callbacks
):
    cap = django_capture_on_commit_callbacks
    assert kinds(worker) == ["new"]

    # Wed 30 Sep is the working day before Thu 8 Oct: the break in between does not count.
    result = run_tick(time_machine, at(dt.date(2026, 9, 30), 18), cap)
    assert (result["reminded"], result["overdue"]) == (1, 0)
    assert sorted(kinds(worker)) == ["new", "remind"]
    # Other sweeps write too (the boss hears that the quarter's meetings are still due): pick ours.
    about_todo = [m for m in mail.outbox if "国庆后入户走访" in m.subject]
    assert about_todo[-1].to == ["li@example.cn"]
    sent = len(mail.outbox)

    # Running again, and through the break, adds nothing.
    for moment in (at(dt.date(2026, 9, 30), 19), at(dt.date(2026, 10, 3)), at(dt.date(2026, 10, 8), 23)):
        result = run_tick(time_machine, moment, cap)
        assert all(count == 0 for count in result.values()), result
    assert len(mail.outbox) == sent

    # Fri 9 Oct: overdue, told to the assignee and to whoever assigned it — once.
    assert run_tick(time_machine, at(dt.date(2026, 10, 9), 0), cap)["overdue"] == 1
    assert run_tick(time_machine, at(dt.date(2026, 10, 9), 8), cap)["overdue"] == 0
    assert run_tick(time_machine, at(dt.date(2026, 10, 12)), cap)["overdue"] == 0
    assert sorted(kinds(worker)) == ["new", "overdue", "remind"]
    assert kinds(boss) == ["overdue"]
    assert sorted(m.to[0] for m in mail.outbox[sent:]) == ["li@example.cn", "wang@example.cn"]
    todo.refresh_from_db()
    assert todo.reminded_at is not None and todo.overdue_notified_at is not None
    assert Todo.objects.overdue(dt.date(2026, 10, 9)).get() == todo


@pytest.mark.django_db
def test_no_reminder_before_the_day_before(
    city, worker, boss, time_machine, django_capture_on_commit_callbacks
):
    # Opened Mon 28 Sep with 3 working days: 29, 30 Sep, 8 Oct. The reminder is due on Wed 30 Sep.
    time_machine.move_to(at(dt.date(2026, 9, 28)), tick=False)
    item = todo_create(actor=boss, assignee=worker, place=city.happy, title="材料报送", days=3)
    assert item.due_on == dt.date(2026, 10, 8)
    assert (
        run_tick(time_machine, at(dt.date(2026, 9, 29), 23), django_capture_on_commit_callbacks)["reminded"]
        == 0
    )
    assert kinds(worker) == ["new"]
    assert (
        run_tick(time_machine, at(dt.date(2026, 9, 30), 0), django_capture_on_commit_callbacks)["reminded"]
        == 1
    )


@pytest.mark.django_db
def test_tick_uses_the_local_date(todo, worker, time_machine, django_capture_on_commit_callbacks):
    # 16:30 UTC on 29 Sep is already 00:30 on 30 Sep in Shanghai: the reminder day.
    moment = dt.datetime(2026, 9, 29, 16, 30, tzinfo=dt.UTC)
    assert run_tick(time_machine, moment, django_capture_on_commit_callbacks)["reminded"] == 1


@pytest.mark.django_db
def test_closed_todos_are_left_alone(todo, worker, time_machine, django_capture_on_commit_callbacks):
    todo_close(actor=worker, todo=todo)
    assert Todo.objects.get(pk=todo.pk).status == TodoStatus.DONE
    for day in (dt.date(2026, 9, 30), dt.date(2026, 10, 9)):
        assert core_counts(run_tick(time_machine, at(day), django_capture_on_commit_callbacks)) == {
            "reminded": 0,
            "overdue": 0,
            "recomputed": 0,
            "transfers_expire": 0,
        }
    assert kinds(worker) == ["new"]


@pytest.mark.django_db
def test_tick_command_reports_its_counts(todo, time_machine, capsys, django_capture_on_commit_callbacks):
    time_machine.move_to(at(dt.date(2026, 10, 9)), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("tick")
    reported = json.loads(capsys.readouterr().out.strip())
    assert core_counts(reported) == {"reminded": 0, "overdue": 1, "recomputed": 0, "transfers_expire": 0}
