"""Workers on several nodes (issue 13): the shared queue runs each task once; sweeps never overlap.

The queue test starts two real ``lianxin db_worker`` processes against the test database, and the
sweep tests run two sweeps in two threads with their own connections, so they need PostgreSQL (a
SQLite test database lives in this process's memory, and several nodes share no SQLite file).
"""

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from lianxin.accounts import services as accounts
from lianxin.core.access import Role
from lianxin.core.locks import TICK_LOCK, cluster_lock
from lianxin.core.models import Notification, Todo
from lianxin.core.scaleout import probe_counts, probe_table_create, probe_table_drop, record_run
from lianxin.core.services import tick, todo_create

ROOT = Path(__file__).resolve().parent.parent
TASKS = 1000

needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="several workers and nodes need a shared PostgreSQL database: set DATABASE_URL "
    "(the PostgreSQL pass of .ci/run does)",
)


def _database_url() -> str:
    db = connection.settings_dict
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db.get('HOST') or '127.0.0.1'}:{port}/{db['NAME']}"


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_thousand_tasks_across_two_workers_run_exactly_once_each():
    probe_table_create()
    try:
        queued = record_run.using(backend="database")
        with transaction.atomic():
            ids = {str(queued.enqueue(pause_ms=1).id) for _ in range(TASKS)}
        assert len(ids) == TASKS
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url(),
            # Commits need not wait for the disk here: what is tested is claiming, not durability.
            "PGOPTIONS": "-c synchronous_commit=off",
        }
        env.pop("LIANXIN_TEST_DB_NAME", None)
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "lianxin", "db_worker", "--backend", "database", "--batch"]
                + ["--no-startup-delay", "--interval", "0.05", "--worker-id", name, "-v", "0"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name in ("node-a", "node-b")
        ]
        for worker in workers:
            _out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err[-2000:]
        counts = probe_counts()
        assert counts["runs"] == TASKS and counts["tasks"] == TASKS and counts["repeated"] == 0
        assert len(counts["per_worker"]) == 2, counts  # both workers took a share
        results = DBTaskResult.objects.filter(id__in=ids)
        assert results.count() == TASKS
        assert set(results.values_list("status", flat=True)) == {"SUCCESSFUL"}
        assert all(len(r) == 1 for r in results.values_list("worker_ids", flat=True))  # one attempt each
        claimed = {r[0] for r in results.values_list("worker_ids", flat=True)}
        assert claimed == {"node-a", "node-b"}
    finally:
        probe_table_drop()
        DBTaskResult.objects.all().delete()


@pytest.fixture
def overdue_todos(city):
    boss = accounts.user_create(
        actor=None, username="boss", display_name="书记老王", password=None, email="w@x.cn"
    )
    accounts.role_grant(actor=None, user=boss, role=Role.COMMUNITY_SECRETARY, place=city.happy)
    workers = []
    for number in range(6):
        user = accounts.user_create(
            actor=None,
            username=f"grid{number}",
            display_name=f"网格员{number}",
            password=None,
            email=f"g{number}@x.cn",
        )
        accounts.role_grant(actor=None, user=user, role=Role.GRID_WORKER, place=city.happy_grid)
        todo_create(actor=boss, assignee=user, place=city.happy_grid, title=f"走访{number}", days=1)
        workers.append(user)
    # Past due on a fixed deadline (a provisional one would be recomputed by the sweep).
    Todo.objects.update(due_on=timezone.localdate() - dt.timedelta(days=3), due_provisional=False)
    mail.outbox.clear()
    return workers


def _in_threads(target, count=2):
    barrier = threading.Barrier(count)
    errors, outputs = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            outputs.append(target())
        except BaseException as error:  # reported to the test thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return outputs


def _overdue_notices():
    return Notification.objects.filter(dedupe_key__endswith=":overdue")


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_the_same_moment_send_nothing_twice(overdue_todos):
    """Even without the lock (two nodes' sweeps overlapping), each notice goes out once."""
    results = _in_threads(tick)
    assert sum(r["overdue"] for r in results) == len(overdue_todos)
    # Each overdue to-do notifies its assignee and its creator (the same secretary for all six).
    assert _overdue_notices().count() == len(overdue_todos) * 2
    assert _overdue_notices().values("recipient", "dedupe_key").distinct().count() == len(overdue_todos) * 2
    assert mail.outbox and len(mail.outbox) == len({(tuple(m.to), m.subject) for m in mail.outbox})


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_tick_commands_at_once_sweep_once(overdue_todos):
    outputs = _in_threads(lambda: _tick_command())
    swept = [o for o in outputs if "overdue" in o]
    assert sum(o["overdue"] for o in swept) == len(overdue_todos)
    assert _overdue_notices().count() == len(overdue_todos) * 2


def _tick_command() -> dict:
    out = StringIO()
    call_command("tick", stdout=out)
    return json.loads(out.getvalue())


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_node_finding_the_sweep_running_elsewhere_returns_at_once(overdue_todos):
    held = threading.Event()
    release = threading.Event()

    def other_node():
        with cluster_lock(TICK_LOCK) as got:
            assert got
            held.set()
            release.wait(timeout=30)
        connections.close_all()

    thread = threading.Thread(target=other_node)
    thread.start()
    try:
        assert held.wait(timeout=10)
        assert _tick_command() == {"skipped": "another node is sweeping"}
        assert not _overdue_notices().exists()
    finally:
        release.set()
        thread.join(timeout=30)
    assert _tick_command()["overdue"] == len(overdue_todos)  # the lock was given back
