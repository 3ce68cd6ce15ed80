"""Benchmark: the city-wide meeting-compliance grid (issue 5, D3) against hand-written SQL.

    .venv/bin/python -m bench.branch_compliance --database postgres
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lx_bench_branch .venv/bin/python -m bench.branch_compliance

A fresh database (PostgreSQL: dropped and created again; SQLite: a new file) is migrated and
bulk-loaded with 8,500 party organizations (1,700 communities × one committee and four branches,
some founded or dissolved mid-year) and a year of meetings (~19 per organization). Then, in
alternating rounds:
  * orm      — ``compliance.compliance_grid`` as a district officer sees it: access scoping, the one
               grouped ORM query (12 months of every meeting type, due and met flags) and the rows
               the pages render;
  * orm-query — the same ORM query alone, fetched as values;
  * sql      — the same aggregate written by hand: meetings pre-aggregated per organization, type
               and month in a CTE, then one row per organization with the same columns.
Medians are printed with the ratio orm / sql (goal ≤ 1.2), and the median time of one
organization's view (goal ≤ 10 ms). Numbers are printed, whatever they are. Not a test.
"""

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/lx_bench_branch"
YEAR = 2025


def fresh_database(database: str) -> None:
    """Point Django at a brand-new, migrated database."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    os.environ["LIANXIN_DEBUG"] = "0"
    workdir = Path(tempfile.gettempdir()) / "lianxin-bench-branch"
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ["LIANXIN_DATA_DIR"] = str(workdir / f"data-{database}")
    if database == "postgres":
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith("postgres"):
            url = DEFAULT_PG
        os.environ["DATABASE_URL"] = url
        from bench.common import fresh_database as fresh

        fresh(database, url, workdir / f"data-{database}")  # emptied, not dropped (see there)
    else:
        os.environ.pop("DATABASE_URL", None)
        for suffix in ("", "-wal", "-shm"):
            (workdir / f"data-{database}" / f"lianxin.sqlite3{suffix}").unlink(missing_ok=True)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def load(orgs_wanted: int, seed: int = 5) -> dict:
    """Bulk-load the places, organizations and a year of meetings; returns the district officer."""
    from django.db import connection, transaction

    from lianxin.accounts.models import RoleAssignment, User
    from lianxin.branch.models import Meeting, MeetingStatus, MeetingType
    from lianxin.core import tree
    from lianxin.core.access import Role
    from lianxin.places.models import OrgKind, PartyOrganization, Place, PlaceKind

    rng = random.Random(seed)
    communities_wanted = orgs_wanted // 5
    places, orgs = [], []
    next_place = iter(range(1, 10**7))
    next_org = iter(range(1, 10**7))

    def place(kind, name, parent):
        pk = next(next_place)
        path = tree.child_path(parent.path if parent else "", pk)
        node = Place(pk=pk, kind=kind, name=name, parent=parent, path=path, depth=tree.depth_of(path))
        places.append(node)
        return node

    def org(kind, name, where, parent, founded=None, dissolved=None):
        pk = next(next_org)
        path = tree.child_path(parent.path if parent else "", pk)
        node = PartyOrganization(
            pk=pk,
            kind=kind,
            name=name,
            place=where,
            place_path=where.path,
            parent=parent,
            path=path,
            depth=tree.depth_of(path),
            founded_on=founded,
            dissolved_on=dissolved,
        )
        orgs.append(node)
        return node

    city = place(PlaceKind.CITY, "基准市", None)
    district = None
    made = 0
    for d in range(10):
        district = place(PlaceKind.DISTRICT, f"第{d + 1}区", city)
        for s in range(10):
            sub = place(PlaceKind.SUBDISTRICT, f"第{s + 1}街道", district)
            for c in range(communities_wanted // 100 + 1):
                if made >= communities_wanted:
                    break
                made += 1
                community = place(PlaceKind.COMMUNITY, f"第{c + 1}社区", sub)
                committee = org(OrgKind.COMMITTEE, f"{community.name}党委", community, None)
                for b in range(4):
                    roll = rng.random()
                    founded = dt.date(YEAR, rng.randint(2, 11), rng.randint(1, 28)) if roll < 0.05 else None
                    dissolved = (
                        dt.date(YEAR, rng.randint(2, 11), rng.randint(1, 28)) if 0.05 <= roll < 0.07 else None
                    )
                    org(OrgKind.BRANCH, f"第{b + 1}党支部", community, committee, founded, dissolved)
    types = list(MeetingType.objects.all())
    with transaction.atomic():
        Place.objects.bulk_create(places, batch_size=5000)
        PartyOrganization.objects.bulk_create(orgs, batch_size=5000)
        user = User.objects.create(username="bench-officer", display_name="区干部")
        RoleAssignment.objects.create(user=user, role=Role.DISTRICT_OFFICER, place=city)
    meetings = []
    for organization in orgs:
        start = max(organization.founded_on or dt.date(YEAR, 1, 1), dt.date(YEAR, 1, 1))
        end = min(organization.dissolved_on or dt.date(YEAR + 1, 1, 1), dt.date(YEAR + 1, 1, 1))
        for meeting_type in types:
            if organization.kind not in meeting_type.org_kinds:
                continue
            for index in range(12 // meeting_type.period_months):
                if rng.random() < 0.12:  # a gap
                    continue
                first = dt.date(YEAR, 1 + index * meeting_type.period_months, 1)
                day = first + dt.timedelta(days=rng.randrange(28 * meeting_type.period_months))
                if not start <= day < end:
                    continue
                meetings.append(
                    Meeting(
                        organization_id=organization.pk,
                        place_id=organization.place_id,
                        place_path=organization.place_path,
                        meeting_type=meeting_type,
                        status=MeetingStatus.HELD,
                        topic="学习",
                        held_on=day,
                        created_by=user,
                    )
                )
    with transaction.atomic():
        Meeting.objects.bulk_create(meetings, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"user": user, "orgs": len(orgs), "meetings": len(meetings), "places": len(places)}


def hand_written_sql(types, as_of: dt.date) -> tuple[str, list]:
    """The same aggregate in plain SQL: held meetings pre-aggregated per organization, type and month,
    then one row per organization with held (h), due (d), due-so-far (e) and met (m) columns."""
    from lianxin.branch.compliance import periods

    held_cols, outer_cols, params = [], [], []
    kinds = sorted({k for t in types for k in t.org_kinds})
    for t in types:
        due_terms, met_terms = [], []
        for p in periods(YEAR, t.period_months):
            lo, hi = p.start.month - 1, p.end.month - 1
            h, d = f"h{t.pk}_{p.index}", f"d{t.pk}_{p.index}"
            held_cols.append(
                f"COALESCE(SUM(hm.n) FILTER (WHERE hm.meeting_type_id = {t.pk} AND hm.m0 BETWEEN {lo} AND {hi}), 0) AS {h}"
            )
            kind_list = ", ".join(f"'{k}'" for k in t.org_kinds)
            outer_cols.append(
                f"CASE WHEN g.kind IN ({kind_list}) AND (g.founded_on IS NULL OR g.founded_on <= DATE '{p.start}') "
                f"AND (g.dissolved_on IS NULL OR g.dissolved_on > DATE '{p.end}') THEN 1 ELSE 0 END AS {d}"
            )
            if p.end < as_of:
                due_terms.append(d)
                met_terms.append(f"({d} * CASE WHEN {h} >= {t.times_per_period} THEN 1 ELSE 0 END)")
        outer_cols.append(f"({' + '.join(due_terms) or '0'}) AS e{t.pk}")
        outer_cols.append(f"({' + '.join(met_terms) or '0'}) AS m{t.pk}")
    kind_sql = ", ".join(f"'{k}'" for k in kinds)
    totals = ", ".join(
        [
            " + ".join(f"e{t.pk} * {t.times_per_period}" for t in types) + " AS expected",
            " + ".join(f"m{t.pk} * {t.times_per_period}" for t in types) + " AS met",
            " + ".join(f"(e{t.pk} - m{t.pk})" for t in types) + " AS gaps",
        ]
    )
    month = "(EXTRACT(MONTH FROM held_on)::int - 1)"
    sql = f"""
WITH hm AS (
  SELECT organization_id, meeting_type_id, {month} AS m0, COUNT(*) AS n
  FROM branch_meeting
  WHERE status = 'held' AND held_on >= DATE '{YEAR}-01-01' AND held_on <= DATE '{YEAR}-12-31'
  GROUP BY 1, 2, 3
), g AS (
  SELECT o.id, o.name, o.kind, o.place_path, o.founded_on, o.dissolved_on, o.path, {", ".join(held_cols)}
  FROM places_partyorganization o LEFT JOIN hm ON hm.organization_id = o.id
  WHERE o.kind IN ({kind_sql})
    AND (o.founded_on IS NULL OR o.founded_on <= DATE '{YEAR}-12-31')
    AND (o.dissolved_on IS NULL OR o.dissolved_on > DATE '{YEAR}-01-01')
  GROUP BY o.id
), dd AS (
  SELECT g.*, {", ".join(c for c in outer_cols if not c.startswith("("))} FROM g
), ee AS (
  SELECT dd.*, {", ".join(c for c in outer_cols if c.startswith("("))} FROM dd
)
SELECT ee.*, {totals} FROM ee ORDER BY ee.path
"""
    return sql, params


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="City-wide meeting-compliance grid vs hand-written SQL")
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--orgs", type=int, default=8500)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if args.database == "sqlite":
        print("the hand-written SQL uses PostgreSQL syntax; run with --database postgres", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    fresh_database(args.database)
    from django.db import connection

    from lianxin.branch import compliance
    from lianxin.branch.compliance import grid_queryset, meeting_types
    from lianxin.places.models import PartyOrganization

    loaded = load(args.orgs)
    print(
        f"fresh {connection.vendor} database {connection.settings_dict['NAME']}: {loaded['orgs']} organizations, "
        f"{loaded['meetings']} meetings, {loaded['places']} places ({time.perf_counter() - t0:.1f}s to create and load)"
    )
    user = loaded["user"]
    as_of = dt.date(YEAR + 1, 1, 15)
    types = meeting_types()
    sql, params = hand_written_sql(types, as_of)

    def run_orm():
        rows = compliance.compliance_grid(actor=user, year=YEAR, as_of=as_of)
        return len(rows)

    def run_orm_query():
        return len(list(grid_queryset(PartyOrganization.objects.all(), year=YEAR, types=types, as_of=as_of)))

    def run_sql():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return len(cursor.fetchall())

    # Same answer first: every held/due/expected/met column of every organization.
    orm_rows = list(grid_queryset(PartyOrganization.objects.all(), year=YEAR, types=types, as_of=as_of))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [col.name for col in cursor.description]
        sql_rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    keys = [
        k for k in orm_rows[0] if (k[0] in "hdem" and k[1:2].isdigit()) or k in ("expected", "met", "gaps")
    ]
    mismatches = sum(
        1
        for a, b in zip(orm_rows, sql_rows, strict=True)
        if a["id"] != b["id"] or any(a[k] != b[k] for k in keys)
    )
    print(f"answers compared: {len(orm_rows)} rows × {len(keys)} columns, mismatches: {mismatches}")
    for fn in (run_orm, run_orm_query, run_sql):  # warm caches
        fn()
    timings = {"orm": [], "orm-query": [], "sql": []}
    for index in range(args.rounds):
        order = [("orm", run_orm), ("orm-query", run_orm_query), ("sql", run_sql)]
        if index % 2:
            order.reverse()
        for name, fn in order:
            start = time.perf_counter()
            fn()
            timings[name].append(time.perf_counter() - start)
    med = {name: statistics.median(values) for name, values in timings.items()}
    for name in ("orm", "orm-query", "sql"):
        print(
            f"{name:10s} median {med[name] * 1000:8.1f} ms  (rounds: {', '.join(f'{v * 1000:.0f}' for v in timings[name])})"
        )
    print(
        f"ratio compliance_grid / hand-written SQL: {med['orm'] / med['sql']:.2f} (goal ≤ 1.2); "
        f"ORM query alone / SQL: {med['orm-query'] / med['sql']:.2f}"
    )
    one = PartyOrganization.objects.filter(kind="branch", founded_on__isnull=True).order_by("pk")[100]
    single = []
    for _ in range(max(args.rounds, 21)):
        start = time.perf_counter()
        compliance.compliance_grid(actor=user, year=YEAR, organization=one, as_of=as_of)
        single.append(time.perf_counter() - start)
    print(f"one organization's view: median {statistics.median(single) * 1000:.2f} ms (goal ≤ 10 ms)")
    if args.out:
        ratios = [o / q for o, q in zip(timings["orm"], timings["sql"], strict=True)]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps(
                {
                    "database": args.database,
                    "orgs": loaded["orgs"],
                    "meetings": loaded["meetings"],
                    "rounds": args.rounds,
                    "median_ms": {name: value * 1000 for name, value in med.items()},
                    "rounds_ms": {name: [v * 1000 for v in values] for name, values in timings.items()},
                    "ratio": med["orm"] / med["sql"],
                    "ratio_rounds": ratios,
                    "ratio_min": min(ratios),
                    "ratio_max": max(ratios),
                    "orm_query_ratio": med["orm-query"] / med["sql"],
                    "one_organization_ms": statistics.median(single) * 1000,
                    "one_organization_ms_min": min(single) * 1000,
                    "one_organization_ms_max": max(single) * 1000,
                    "mismatches": mismatches,
                },
                indent=2,
            )
        )
        print(f"written to {args.out}")
    return 0 if not mismatches else 1


if __name__ == "__main__":
    sys.exit(main())
