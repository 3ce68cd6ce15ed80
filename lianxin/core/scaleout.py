"""A probe task for checking that the shared queue runs each task once across worker nodes.

``record_run`` inserts one row per run, keyed by the task's own id, into ``lianxin_task_probe`` (a
scratch table the check creates and drops: tests/test_scaleout_workers.py and
scripts/scaleout_worker_check.py). A task run twice would leave two rows with the same id.
"""

import os
import time

from django.db import connection
from django_tasks import TaskContext, task

PROBE_TABLE = "lianxin_task_probe"


def probe_table_create() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {PROBE_TABLE} "
            "(task_id varchar(64) NOT NULL, worker_pid integer NOT NULL, ran_at timestamptz NOT NULL DEFAULT now())"
        )


def probe_table_drop() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PROBE_TABLE}")


def probe_counts() -> dict:
    """Runs, distinct tasks, tasks run more than once, and runs per worker process."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), count(DISTINCT task_id) FROM {PROBE_TABLE}")
        runs, distinct = cursor.fetchone()
        cursor.execute(
            f"SELECT count(*) FROM (SELECT task_id FROM {PROBE_TABLE} GROUP BY task_id HAVING count(*) > 1) d"
        )
        repeated = cursor.fetchone()[0]
        cursor.execute(f"SELECT worker_pid, count(*) FROM {PROBE_TABLE} GROUP BY worker_pid")
        per_worker = dict(cursor.fetchall())
    return {"runs": runs, "tasks": distinct, "repeated": repeated, "per_worker": per_worker}


@task(takes_context=True)
def record_run(context: TaskContext, pause_ms: int = 0) -> None:
    if pause_ms:
        time.sleep(pause_ms / 1000)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {PROBE_TABLE} (task_id, worker_pid) VALUES (%s, %s)",
            [str(context.task_result.id), os.getpid()],
        )
