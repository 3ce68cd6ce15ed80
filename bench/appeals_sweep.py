"""Benchmark: the daily overdue sweep of residents' requests (lianxin.appeals.services.requests_sweep,
the tick handler) over N open requests, against the same work written by hand in SQL, in the same run.

    .venv/bin/python -m bench.appeals_sweep --database postgres --requests 1000000
    .venv/bin/python -m bench.appeals_sweep --database sqlite --requests 100000

A fresh database (SQLite in test-artifacts/bench-sweep/, or the PostgreSQL one named by --url,
recreated) gets the places and people of bench/requests_data.py (10 communities with a secretary
each, 2 subdistricts with an officer) and N open requests, --per-day of them due on each calendar
day: the backlog behind is already reminded and escalated to the subdistrict, those due yesterday
are overdue and not escalated yet, those due from today on are not reminded. "Today" is Tuesday
2026-12-01, so one sweep has --per-day escalations and 2 × --per-day reminders (today and tomorrow,
the next working day) to make. Then, in rounds that alternate the order:
  * sweep — ``requests_sweep(today=…)``: the candidates found by the ORM over all open requests, then
            one transaction per step (compare-and-set, history event, audit entry for escalations,
            deduplicated notifications to the owner/handler and the community secretary);
  * sql   — the same state changes by hand: the next working day and the escalation cutoff computed
            once, one UPDATE … RETURNING per step kind, the history events and notifications by
            ``executemany`` (the secretaries found in one query), and the same audit entries through
            lianxin.core.audit.record (the hash chain is serial by design), one delivery job for
            all the notifications (enqueued after commit) — one transaction.
Settings: bench.sweep_settings (the production task queue, so deliveries are enqueued, not run).
Before each timed run the day's work is put back untimed (reminders and escalation levels reset,
the events and notifications of the previous run deleted; audit entries only accumulate). Both
sides must make the same number of events and notifications. Then the steady state is timed too
(scan: a second sweep on the same day finds nothing to do, against the hand SQL's candidate
queries). Medians, spreads and ratios are printed and written as JSON (--out). Not a test.
"""

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ARTIFACTS, ROOT, django_env, fresh_database, migrate, spread

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lx_bench_sweep"
DATA_DIR = ARTIFACTS / "bench-sweep"
TODAY = dt.date(2026, 12, 1)
OPEN = ("open", "in_progress")


def _reset(cursor, today: dt.date) -> None:
    yesterday = today - dt.timedelta(days=1)
    cursor.execute(
        "UPDATE appeals_request SET reminded_at = NULL WHERE due_on >= %s AND reminded_at IS NOT NULL",
        [today],
    )
    cursor.execute(
        "UPDATE appeals_request SET escalation_level = 0 WHERE due_on = %s AND escalation_level <> 0",
        [yesterday],
    )
    cursor.execute("DELETE FROM appeals_requestevent WHERE kind IN ('reminder', 'escalation')")
    cursor.execute("DELETE FROM core_notification WHERE dedupe_key LIKE 'request:%%'")


def _counts(cursor) -> dict:
    cursor.execute("SELECT kind, count(*) FROM appeals_requestevent GROUP BY kind ORDER BY kind")
    events = dict(cursor.fetchall())
    cursor.execute("SELECT count(*) FROM core_notification WHERE dedupe_key LIKE 'request:%%'")
    return {"events": events, "notifications": cursor.fetchone()[0]}


class HandSql:
    """The sweep's state changes written by hand (see the module docstring)."""

    def __init__(self, today: dt.date):
        from lianxin.appeals.services import escalate_after_days
        from lianxin.core.calendar import WorkingCalendar

        self.today = today
        calendar = WorkingCalendar(range(today.year - 1, today.year + 2))
        day = today + dt.timedelta(days=1)
        while not calendar.is_working_day(day):
            day += dt.timedelta(days=1)
        self.next_working_day = day  # previous_working_day(due_on) <= today ⟺ due_on <= this
        after, day = escalate_after_days(), today
        while calendar.between(day, today) < after:
            day -= dt.timedelta(days=1)
        self.cutoff = day  # overdue at level 1 and due on or before this: up to the subdistrict

    def _people(self, cursor, role: str) -> dict:
        cursor.execute(
            "SELECT p.path, ra.user_id FROM accounts_roleassignment ra "
            "JOIN places_place p ON p.id = ra.place_id "
            "JOIN accounts_user u ON u.id = ra.user_id "
            "WHERE ra.role = %s AND ra.ended_at IS NULL AND u.is_active",
            [role],
        )
        found: dict[str, set] = {}
        for path, user in cursor.fetchall():
            found.setdefault(path, set()).add(user)
        return found

    def scan(self, cursor) -> int:
        """The candidate queries alone (the steady state: nothing to do)."""
        cursor.execute(
            "SELECT id FROM appeals_request WHERE status IN ('open', 'in_progress') AND reminded_at IS NULL "
            "AND due_on >= %s AND due_on <= %s",
            [self.today, self.next_working_day],
        )
        n = len(cursor.fetchall())
        cursor.execute(
            "SELECT id FROM appeals_request WHERE status IN ('open', 'in_progress') AND due_on < %s "
            "AND (escalation_level = 0 OR (escalation_level = 1 AND due_on <= %s))",
            [self.today, self.cutoff],
        )
        return n + len(cursor.fetchall())

    def run(self) -> int:
        from django.db import connection, transaction
        from django.utils import timezone

        from lianxin.appeals.models import Request
        from lianxin.core import audit
        from lianxin.core.access import Role
        from lianxin.core.notifications import deliver
        from lianxin.places.models import Place

        now = connection.ops.adapt_datetimefield_value(timezone.now())
        events, notes, steps = [], [], 0
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE appeals_request SET reminded_at = %s WHERE status IN ('open', 'in_progress') "
                "AND reminded_at IS NULL AND due_on >= %s AND due_on <= %s "
                "RETURNING id, number, owner_id, handler_id, reopen_count, due_on",
                [now, self.today, self.next_working_day],
            )
            for pk, number, owner, handler, reopen, due_on in cursor.fetchall():
                due = due_on if isinstance(due_on, dt.date) else dt.date.fromisoformat(due_on)
                events.append((pk, "reminder", json.dumps({"due_on": due.isoformat()})))
                for user in {owner, handler} - {None}:
                    notes.append(
                        (
                            user,
                            f"Due on the next working day: request {number}",
                            f"Due {due}.",
                            pk,
                            f"request:{pk}:c{reopen}:remind",
                        )
                    )
                steps += 1
            secretaries = subdistrict = None
            for level, condition, params in (
                (1, "escalation_level = 0", []),
                (2, "escalation_level = 1 AND due_on <= %s", [self.cutoff]),
            ):
                cursor.execute(
                    f"UPDATE appeals_request SET escalation_level = {level} "
                    f"WHERE status IN ('open', 'in_progress') AND due_on < %s AND {condition} "
                    "RETURNING id, number, owner_id, handler_id, reopen_count, due_on, place_id, place_path",
                    [self.today, *params],
                )
                changed = cursor.fetchall()
                if not changed:
                    continue
                if level == 1 and secretaries is None:
                    secretaries = self._people(cursor, Role.COMMUNITY_SECRETARY)
                if level == 2 and subdistrict is None:
                    subdistrict = self._people(cursor, Role.SUBDISTRICT_OFFICER)
                chiefs = secretaries if level == 1 else subdistrict
                for pk, number, owner, handler, reopen, due_on, place_id, place_path in changed:
                    events.append((pk, "escalation", json.dumps({"level": level})))
                    audit.record(
                        actor=None,
                        action="request.escalate",
                        obj=Request(pk=pk, number=number),
                        place=Place(pk=place_id, path=place_path),
                        before={"escalation_level": level - 1},
                        after={"escalation_level": level},
                    )
                    users = {u for path, us in chiefs.items() if place_path.startswith(path) for u in us}
                    if level == 1:
                        users |= {owner, handler} - {None}
                    for user in users:
                        notes.append(
                            (
                                user,
                                f"Overdue: request {number}",
                                f"It was due {due_on}.",
                                pk,
                                f"request:{pk}:c{reopen}:esc{level}",
                            )
                        )
                    steps += 1
            cursor.executemany(
                "INSERT INTO appeals_requestevent (request_id, kind, at, from_status, to_status, text, "
                "channel, before, after) VALUES (%s, %s, %s, '', '', '', '', NULL, %s)",
                [(pk, kind, now, after) for pk, kind, after in events],
            )
            cursor.executemany(
                "INSERT INTO core_notification (recipient_id, title, body, url, created_at, dedupe_key) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                [(user, title, body, f"/requests/{pk}/", now, key) for user, title, body, pk, key in notes],
            )
            cursor.execute("SELECT id FROM core_notification WHERE created_at = %s", [now])
            ids = [row[0] for row in cursor.fetchall()]
            if ids:
                transaction.on_commit(lambda: deliver.enqueue(ids))
        return steps


def child(args) -> dict:
    import django

    django.setup()
    from django.db import connection

    from bench.requests_data import load
    from lianxin.appeals.services import requests_sweep

    loaded = load(args.requests, f"sweep:{args.per_day}", TODAY)
    hand = HandSql(TODAY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM appeals_request WHERE status IN ('open', 'in_progress')")
        open_requests = cursor.fetchone()[0]

    def sweep():
        return requests_sweep(today=TODAY)

    work = {"sweep": sweep, "sql": hand.run}
    for name in ("sweep", "sql"):  # warm up (imports, caches), untimed
        with connection.cursor() as cursor:
            _reset(cursor, TODAY)
        work[name]()
    times = {"sweep": [], "sql": []}
    counts = {"sweep": [], "sql": []}
    for r in range(args.rounds):
        order = ["sweep", "sql"] if r % 2 == 0 else ["sql", "sweep"]
        for name in order:
            with connection.cursor() as cursor:
                _reset(cursor, TODAY)
            t0 = time.perf_counter()
            steps = work[name]()
            times[name].append(time.perf_counter() - t0)
            with connection.cursor() as cursor:
                counts[name].append({"steps": steps} | _counts(cursor))
        print(
            f"round {r + 1}/{args.rounds}: sweep {times['sweep'][-1]:.3f} s, sql {times['sql'][-1]:.3f} s",
            file=sys.stderr,
            flush=True,
        )
    # Steady state: the day's work is done; a second run finds nothing.
    scan = {"sweep": [], "sql": []}
    for r in range(args.rounds):
        order = ["sweep", "sql"] if r % 2 == 0 else ["sql", "sweep"]
        for name in order:
            t0 = time.perf_counter()
            if name == "sweep":
                sweep()
            else:
                with connection.cursor() as cursor:
                    hand.scan(cursor)
            scan[name].append(time.perf_counter() - t0)
    ratios = [s / q for s, q in zip(times["sweep"], times["sql"], strict=True)]
    scan_ratios = [s / q for s, q in zip(scan["sweep"], scan["sql"], strict=True)]
    agree = all(
        a["events"] == b["events"] and a["notifications"] == b["notifications"]
        for a, b in zip(counts["sweep"], counts["sql"], strict=True)
    )
    return {
        "database": connection.vendor,
        "requests": args.requests,
        "open_requests": open_requests,
        "per_day": args.per_day,
        "load_seconds": loaded["load_seconds"],
        "rounds": args.rounds,
        "sweep_seconds": spread(times["sweep"]),
        "sql_seconds": spread(times["sql"]),
        "ratio": spread(ratios),
        "scan_sweep_seconds": spread(scan["sweep"]),
        "scan_sql_seconds": spread(scan["sql"]),
        "scan_ratio": spread(scan_ratios),
        "work": counts["sweep"][0],
        "work_sql": counts["sql"][0],
        "same_work": agree,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--per-day", type=int, default=100, help="requests due on each calendar day")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--url", default=os.environ.get("LIANXIN_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args)))
        return 0
    env = django_env(args.database, args.url, DATA_DIR, settings="bench.sweep_settings")
    print(f"fresh {args.database} database, migrate, {args.requests:,} open requests …", flush=True)
    fresh_database(args.database, args.url, DATA_DIR)
    migrate(env)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.appeals_sweep",
            "--child",
            "--requests",
            str(args.requests),
            "--per-day",
            str(args.per_day),
            "--rounds",
            str(args.rounds),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if out.returncode:
        print(out.stdout[-3000:], file=sys.stderr)
        return out.returncode
    result = json.loads(out.stdout.strip().splitlines()[-1])
    path = args.out or ARTIFACTS / f"bench-appeals-sweep-{args.database}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    r, s = result["ratio"], result["scan_ratio"]
    print(
        f"{result['open_requests']:,} open requests loaded in {result['load_seconds']:.1f} s; one day's work: "
        f"{result['work']}\n"
        f"sweep    median {result['sweep_seconds']['median']:.3f} s; hand SQL {result['sql_seconds']['median']:.3f} s\n"
        f"ratio sweep/SQL {r['median']:.2f} (spread {r['min']:.2f}–{r['max']:.2f}; goal ≤ 1.5); same work: "
        f"{result['same_work']}\n"
        f"steady state (nothing to do): sweep {result['scan_sweep_seconds']['median'] * 1000:.1f} ms, "
        f"SQL {result['scan_sql_seconds']['median'] * 1000:.1f} ms, ratio {s['median']:.2f} "
        f"(spread {s['min']:.2f}–{s['max']:.2f})\n"
        f"written to {path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
