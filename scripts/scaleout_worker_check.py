#!/usr/bin/env python
"""Check a deployment's shared task queue: every queued task runs exactly once, whichever node's
worker takes it (issue 13; docs/operations.md, "Workers and the sweep on several nodes").

    DJANGO_SETTINGS_MODULE=config.settings.prod python scripts/scaleout_worker_check.py --tasks 200

Run it on one node while the `lianxin db_worker` services run on all of them. It creates a scratch
table (lianxin_task_probe), queues N probe tasks (lianxin.core.scaleout.record_run), waits until they
are finished, prints runs per worker process and the verdict, and drops the table. Exit status 1 when a
task ran twice or not at all.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument(
        "--backend", default="default", help="the django-tasks backend alias (a database one)"
    )
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
    import django

    django.setup()
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from lianxin.core.scaleout import probe_counts, probe_table_create, probe_table_drop, record_run

    probe_table_create()
    try:
        queued = record_run.using(backend=args.backend)
        with transaction.atomic():
            ids = [queued.enqueue().id for _ in range(args.tasks)]
        deadline = time.monotonic() + args.timeout
        pending = DBTaskResult.objects.filter(id__in=ids, status__in=["READY", "RUNNING"])
        while pending.exists():
            if time.monotonic() > deadline:
                print(
                    f"{pending.count()} tasks still waiting after {args.timeout:.0f} s: are the workers running?"
                )
                return 1
            time.sleep(0.5)
        counts = probe_counts()
        ok = counts["runs"] == args.tasks and counts["tasks"] == args.tasks and counts["repeated"] == 0
        print(json.dumps({**counts, "queued": args.tasks, "verdict": "ok" if ok else "FAILED"}))
        DBTaskResult.objects.filter(id__in=ids).delete()
        return 0 if ok else 1
    finally:
        probe_table_drop()


if __name__ == "__main__":
    sys.exit(main())
