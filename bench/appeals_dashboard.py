"""Benchmark: the district requests dashboard (D4, issue 4 item 5) on N requests, against the same
aggregate written by hand in SQL, measured in the same run.

    .venv/bin/python -m bench.appeals_dashboard --database postgres --requests 1000000

PostgreSQL only (the rows are made by one INSERT … SELECT over generate_series, COPY-like speed).
The database named by --url (default postgres://postgres@127.0.0.1:5432/lx_bench_appeals) is dropped,
created and migrated afresh; the place tree (1 district, 5 subdistricts, 40 communities, 80 grids) is
made through the services, then N requests spread over the communities and grids, two years of dates,
every status, channel, category and rating. ANALYZE, then rounds that alternate:
  * selector — lianxin.appeals.selectors.request_stats(actor=<district officer>, group="place"): the
               page's own call (access.restrict, one grouped query, the place names);
  * sql      — the same counts by hand: one SELECT … GROUP BY substr(place_path, …) with FILTER clauses.
Both results are compared (they must agree). p50/p95 of each and the ratio are printed and written as
JSON (--out). Nothing here asserts a time.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lx_bench_appeals"

HAND_SQL = """
SELECT substr(r.place_path, 1, %(depth)s) AS g,
       count(*) AS received,
       count(*) FILTER (WHERE r.first_answered_at IS NOT NULL) AS answered,
       count(*) FILTER (WHERE r.first_answer_on_time) AS on_time,
       count(*) FILTER (WHERE r.first_answered_at IS NOT NULL
                        OR (r.first_answered_at IS NULL AND r.due_on < %(today)s)) AS due,
       count(*) FILTER (WHERE r.status = 'closed') AS resolved,
       count(*) FILTER (WHERE r.rating <> '') AS rated,
       count(*) FILTER (WHERE r.rating IN ('satisfied', 'basically')) AS satisfied,
       count(*) FILTER (WHERE r.status IN ('open', 'in_progress')) AS open,
       count(*) FILTER (WHERE r.status IN ('open', 'in_progress') AND r.due_on < %(today)s) AS overdue
FROM appeals_request r
WHERE r.status <> 'merged' AND r.place_path >= %(low)s AND r.place_path < %(high)s
GROUP BY 1 ORDER BY 1
"""

LOAD_SQL = """
INSERT INTO appeals_request (
    place_id, place_path, due_from, due_days, due_on, due_provisional, year, serial, number, channel,
    category_id, description, anonymous, requester_name, requester_phone, phone_digits, source_visit_id,
    owner_id, handler_id, handler_kind, handler_label, status, received_on, created_at,
    first_answered_at, first_answer_on_time, answered_at, answer_summary, follow_up_on, rating, rated_at,
    closed_at, reopen_count, escalation_level)
SELECT p.place_id, p.place_path, d.day, 5, d.day + 7, false,
       extract(year FROM d.day)::int, g, extract(year FROM d.day)::int || '-' || lpad(g::text, 7, '0'),
       (%(channels)s::text[])[1 + g %% 6], (%(categories)s::bigint[])[1 + g %% %(ncat)s],
       '楼道堆放杂物，影响通行', false, '居民' || (g %% 1000), '139' || lpad((g %% 100000000)::text, 8, '0'),
       '139' || lpad((g %% 100000000)::text, 8, '0'), NULL,
       (%(owners)s::bigint[])[1 + g %% %(nown)s], (%(owners)s::bigint[])[1 + g %% %(nown)s], 'colleague', '',
       s.status, d.day, d.day + time '09:00',
       CASE WHEN s.answered THEN d.day + (g %% 9) + time '15:00' END,
       CASE WHEN s.answered THEN (g %% 9) <= 7 END,
       CASE WHEN s.answered THEN d.day + (g %% 9) + time '15:00' END,
       CASE WHEN s.answered THEN '已处理' ELSE '' END,
       NULL,
       s.rating,
       CASE WHEN s.rating <> '' THEN d.day + 20 + time '10:00' END,
       CASE WHEN s.status IN ('closed', 'merged') THEN d.day + 20 + time '10:00' END,
       CASE WHEN s.rating = 'dissatisfied' THEN 1 ELSE 0 END, 0
FROM generate_series(1, %(n)s) AS g
CROSS JOIN LATERAL (
    SELECT (%(place_ids)s::bigint[])[1 + g %% %(nplace)s] AS place_id,
           (%(place_paths)s::text[])[1 + g %% %(nplace)s] AS place_path
) p
CROSS JOIN LATERAL (SELECT date '2025-01-01' + ((g::bigint * 7919) %% 700)::int AS day) d
CROSS JOIN LATERAL (
    SELECT CASE WHEN m < 6 THEN 'open' WHEN m < 10 THEN 'in_progress' WHEN m < 22 THEN 'answered'
                WHEN m < 27 THEN 'followed_up' WHEN m < 30 THEN 'open' WHEN m < 99 THEN 'closed'
                ELSE 'merged' END AS status,
           m >= 10 AND m < 99 AS answered,
           CASE WHEN m BETWEEN 27 AND 29 THEN 'dissatisfied' WHEN m >= 30 AND m < 80 THEN 'satisfied'
                WHEN m >= 80 AND m < 99 THEN 'basically' ELSE '' END AS rating
    FROM (SELECT (g::bigint * 31) %% 100 AS m) mm
) s
"""


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def fresh_database(url: str) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def build_places():
    from lianxin.accounts import services as accounts
    from lianxin.core.access import Role
    from lianxin.places import services as places
    from lianxin.places.models import PlaceKind

    root = accounts.user_create(
        actor=None, username="bench-root", display_name="root", password=None, is_system_admin=True
    )

    def place(kind, name, parent):
        return places.place_create(actor=root, kind=kind, name=name, parent=parent)

    city = place(PlaceKind.CITY, "基准市", None)
    district = place(PlaceKind.DISTRICT, "基准区", city)
    targets, owners = [], []
    for s in range(5):
        sub = place(PlaceKind.SUBDISTRICT, f"第{s + 1}街道", district)
        for c in range(8):
            community = place(PlaceKind.COMMUNITY, f"第{s + 1}-{c + 1}社区", sub)
            targets.append(community)
            for g in range(2):
                targets.append(place(PlaceKind.GRID, f"第{g + 1}网格", community))
            staff = accounts.user_create(
                actor=None, username=f"bench-staff-{s}-{c}", display_name=f"社工{s}{c}", password=None
            )
            accounts.role_grant(actor=None, user=staff, role=Role.STAFF, place=community)
            owners.append(staff.pk)
    officer = accounts.user_create(
        actor=None, username="bench-district", display_name="区干部", password=None
    )
    accounts.role_grant(actor=None, user=officer, role=Role.DISTRICT_OFFICER, place=district)
    return district, officer, targets, owners


def load(n: int) -> dict:
    from django.db import connection

    from lianxin.appeals.models import Channel, RequestCategory

    district, officer, targets, owners = build_places()
    categories = list(RequestCategory.objects.values_list("pk", flat=True))
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            LOAD_SQL,
            {
                "n": n,
                "channels": list(Channel.values),
                "categories": categories,
                "ncat": len(categories),
                "owners": owners,
                "nown": len(owners),
                "place_ids": [p.pk for p in targets],
                "place_paths": [p.path for p in targets],
                "nplace": len(targets),
            },
        )
        cursor.execute("ANALYZE appeals_request")
        cursor.execute("SELECT count(*) FROM appeals_request")
        rows = cursor.fetchone()[0]
    return {"load_seconds": time.perf_counter() - t0, "rows": rows, "district": district, "officer": officer}


def measure(district, officer, rounds: int, today) -> dict:
    from django.db import connection

    from lianxin.appeals import selectors
    from lianxin.core import tree
    from lianxin.places.models import PLACE_LEVELS, PlaceKind

    depth = (district.depth + PLACE_LEVELS.index(PlaceKind.COMMUNITY) - PLACE_LEVELS.index(district.kind)) * 8
    params = {"depth": depth, "today": today, "low": district.path, "high": tree.successor(district.path)}

    def by_selector():
        stats = selectors.request_stats(actor=officer, group="place", today=today)
        return {
            row.key: (row.received, row.answered, row.on_time, row.due, row.resolved) for row in stats.rows
        }

    def by_sql():
        with connection.cursor() as cursor:
            cursor.execute(HAND_SQL, params)
            return {row[0]: tuple(row[1:6]) for row in cursor.fetchall()}

    assert by_selector() == by_sql(), "the selector and the hand-written SQL disagree"
    times = {"selector": [], "sql": []}
    for i in range(rounds):
        order = (
            (("selector", by_selector), ("sql", by_sql))
            if i % 2 == 0
            else (("sql", by_sql), ("selector", by_selector))
        )
        for name, work in order:
            t0 = time.perf_counter()
            work()
            times[name].append(time.perf_counter() - t0)

    def p95(values):
        return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]

    summary = {
        name: {
            "p50_ms": 1000 * statistics.median(v),
            "p95_ms": 1000 * p95(v),
            "runs_ms": [1000 * x for x in v],
        }
        for name, v in times.items()
    }
    summary["ratio_p95"] = summary["selector"]["p95_ms"] / summary["sql"]["p95_ms"]
    summary["ratio_p50"] = summary["selector"]["p50_ms"] / summary["sql"]["p50_ms"]
    summary["groups"] = len(by_sql())
    return summary


def child(args) -> None:
    import datetime as dt

    import django

    django.setup()
    loaded = load(args.requests)
    today = dt.date(2026, 12, 1)
    result = measure(loaded["district"], loaded["officer"], args.rounds, today)
    print(
        json.dumps(
            {
                "requests": args.requests,
                "rows": loaded["rows"],
                "load_seconds": loaded["load_seconds"],
                **result,
            }
        )
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["postgres"], default="postgres")
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--url", default=os.environ.get("LIANXIN_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--out", type=Path, default=ROOT / "test-artifacts" / "bench-appeals-dashboard.json")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return 0

    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "LIANXIN_DEBUG": "0",
            "DATABASE_URL": args.url,
            "LIANXIN_DATA_DIR": str(ROOT / "test-artifacts" / "bench-data"),
        }
    )
    print(f"fresh database {urlsplit(args.url).path.lstrip('/')} …", flush=True)
    fresh_database(args.url)
    subprocess.run(
        [sys.executable, "-m", "lianxin", "migrate", "--no-input", "-v0"], env=env, cwd=ROOT, check=True
    )
    print(f"loading {args.requests:,} requests and timing {args.rounds} alternating rounds …", flush=True)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.appeals_dashboard",
            "--child",
            "--requests",
            str(args.requests),
            "--rounds",
            str(args.rounds),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        print(out.stdout, out.stderr, file=sys.stderr)
        return out.returncode
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["database"] = "postgres"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(
        f"{result['rows']:,} rows loaded in {result['load_seconds']:.1f} s; {result['groups']} communities\n"
        f"selector  p50 {result['selector']['p50_ms']:8.1f} ms   p95 {result['selector']['p95_ms']:8.1f} ms\n"
        f"hand SQL  p50 {result['sql']['p50_ms']:8.1f} ms   p95 {result['sql']['p95_ms']:8.1f} ms\n"
        f"ratio selector/SQL: p95 {result['ratio_p95']:.2f}, p50 {result['ratio_p50']:.2f}\n"
        f"written to {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
