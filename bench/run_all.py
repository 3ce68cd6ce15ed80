"""The benchmark suite (issue 11): every scenario against its floor, on SQLite and PostgreSQL, one table.

    make bench                                   # full sizes, both databases (about 2 hours here)
    .venv/bin/python -m bench.run_all --quick    # small sizes (a few minutes)
    .venv/bin/python -m bench.run_all --database postgres --only list,sweep

Each scenario is its own module with its own CLI, run here as a subprocess that writes JSON; every
one measures the project's figure and its floor in the same run, alternating, over several rounds.
This runner reads those files and prints one table — each ratio (median, spread over the rounds)
next to its goal, met or not — and writes it all to test-artifacts/bench-all.json (and a Markdown
copy of the table to test-artifacts/bench-all.md). A scenario that fails is a row saying so; the
others still run. Nothing here asserts a time: the goals are ratios (and the issue's 10 ms for one
organization's compliance view), printed, not enforced; the exit status is 0 unless a scenario
crashed.

PostgreSQL databases (dropped and created by the scenarios, never the project's own):
lx_bench_import, lx_bench_branch, lx_bench_sweep, lx_bench_http, lx_bench_performance on the server
of --pg (default postgres://postgres@127.0.0.1:5432).
"""

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"

# Sizes: (full, quick). The full ones are the issue's.
SIZES = {
    "framework": ({"rounds": 6, "seconds": 5}, {"rounds": 3, "seconds": 2}),
    "list": (
        {"rounds": 6, "seconds": 5, "requests": {"postgres": 1_000_000, "sqlite": 200_000}},
        {"rounds": 3, "seconds": 2, "requests": {"postgres": 20_000, "sqlite": 20_000}},
    ),
    "import": ({"rows": 170_000, "rounds": 3}, {"rows": 10_000, "rounds": 2}),
    "compliance": ({"orgs": 8500, "rounds": 7}, {"orgs": 1000, "rounds": 3}),
    "sweep": (
        {"rounds": 5, "requests": {"postgres": 1_000_000, "sqlite": 200_000}, "per_day": 100},
        {"rounds": 3, "requests": {"postgres": 20_000, "sqlite": 20_000}, "per_day": 20},
    ),
    "ballots": (
        {"count": 200_000, "rounds": 10, "clients": 12},
        {"count": 2_000, "rounds": 3, "clients": 12},
    ),
}
SCENARIOS = tuple(SIZES)


# --- goals and rows -------------------------------------------------------------------------------


def meets(value, goal: str):
    """``goal`` is "≤ 1.2", "≥ 0.4", "= 0" or "" (for reference, no goal): True/False/None."""
    if not goal or value is None:
        return None
    op, _, number = goal.partition(" ")
    limit = float(number)
    return {"≤": value <= limit, "≥": value >= limit, "=": value == limit}[op]


def row(scenario, database, figure, value, goal="", low=None, high=None, project="", floor="", note=""):
    return {
        "scenario": scenario,
        "database": database,
        "figure": figure,
        "project": project,
        "floor": floor,
        "value": value,
        "spread": [low, high] if low is not None else None,
        "goal": goal,
        "met": meets(value, goal),
        "note": note,
    }


def summary_row(scenario, database, figure, summary: dict, goal="", project="", floor="", note=""):
    """A row from a {"median", "min", "max"} summary of per-round ratios."""
    return row(
        scenario,
        database,
        figure,
        summary["median"],
        goal,
        summary["min"],
        summary["max"],
        project,
        floor,
        note,
    )


def rows_http(scenario: str, database: str, result: dict) -> list[dict]:
    page, floor = result["page_name"], result["floor_name"]
    goals = ("≥ 0.4", "≤ 3") if scenario == "list" else ("", "")
    note = f"{result.get('requests', 0):,} requests" if scenario == "list" else "reference: no goal"
    rows = [
        summary_row(
            scenario,
            database,
            f"throughput {page} / {floor}",
            result["throughput_ratio"],
            goals[0],
            f"{result['page_per_second']['median']:.0f}/s",
            f"{result['floor_per_second']['median']:.0f}/s",
            note,
        ),
        summary_row(
            scenario,
            database,
            f"p99 {page} / {floor}",
            result["p99_ratio"],
            goals[1],
            f"{result['page_p99_ms']['median']:.1f} ms",
            f"{result['floor_p99_ms']['median']:.1f} ms",
        ),
    ]
    if "cpu_ratio" in result:  # results written before the CPU time was measured have none
        rows.append(
            summary_row(
                scenario,
                database,
                f"CPU per request {floor} / {page}",
                result["cpu_ratio"],
                "",
                f"{result['page_cpu_ms']['median']:.2f} ms",
                f"{result['floor_cpu_ms']['median']:.2f} ms",
                "reference: CPU time of server, database and clients",
            )
        )
    return rows


def rows_import(database: str, result: dict) -> list[dict]:
    s, rss = result["seconds"], result["rss_growth_mb"]
    return [
        summary_row(
            "import",
            database,
            "time importer / calamine + raw insert",
            result["time_ratio_to_floor"],
            "≤ 2",
            f"{s['importer']['median']:.2f} s",
            f"{s['floor']['median']:.2f} s",
            f"{result['rows']:,} rows",
        ),
        summary_row(
            "import",
            database,
            "peak RSS importer / bare read",
            result["memory_ratio_to_read"],
            "≤ 1.5",
            f"{rss['importer']['median']:.0f} MB",
            f"{rss['read']['median']:.0f} MB",
        ),
    ]


def rows_compliance(database: str, result: dict) -> list[dict]:
    med = result["median_ms"]
    return [
        row(
            "compliance",
            database,
            "city grid / hand SQL",
            result["ratio"],
            "≤ 1.2",
            result["ratio_min"],
            result["ratio_max"],
            f"{med['orm']:.0f} ms",
            f"{med['sql']:.0f} ms",
            f"{result['orgs']:,} organizations, mismatches {result['mismatches']}",
        ),
        row(
            "compliance",
            database,
            "one organization's page, ms",
            result["one_organization_ms"],
            "≤ 10",
            result["one_organization_ms_min"],
            result["one_organization_ms_max"],
            f"{result['one_organization_ms']:.2f} ms",
            "",
            "absolute figure from the issue",
        ),
    ]


def rows_sweep(database: str, result: dict) -> list[dict]:
    note = (
        f"{result['open_requests']:,} open, {result['work']['steps']} steps a day; "
        f"same work: {result['same_work']}"
    )
    return [
        summary_row(
            "sweep",
            database,
            "overdue sweep / hand SQL (a day's work)",
            result["ratio"],
            "≤ 1.5",
            f"{result['sweep_seconds']['median']:.3f} s",
            f"{result['sql_seconds']['median']:.3f} s",
            note,
        ),
        summary_row(
            "sweep",
            database,
            "steady-state sweep / hand SQL (nothing to do)",
            result["scan_ratio"],
            "≤ 1.5",
            f"{result['scan_sweep_seconds']['median'] * 1000:.2f} ms",
            f"{result['scan_sql_seconds']['median'] * 1000:.2f} ms",
        ),
    ]


def rows_ballots(database: str, result: dict) -> list[dict]:
    per_round = [
        b / f
        for b, f in zip(
            result["ballots"]["rounds_per_second"], result["bare"]["rounds_per_second"], strict=True
        )
    ]
    return [
        row(
            "ballots",
            database,
            "ballots / bare endpoint throughput",
            result["ratio"],
            "≥ 0.4",
            min(per_round),
            max(per_round),
            f"{result['ballots_per_second']:.0f}/s",
            f"{result['bare_per_second']:.0f}/s",
            f"{result['count']:,} ballots, {result['clients']} clients",
        ),
        row(
            "ballots",
            database,
            "codes with more than one ballot",
            result["duplicates_in_database"],
            "= 0",
            note=f"duplicates sent {result['ballots']['duplicates_sent']}",
        ),
    ]


# --- running the scenarios ------------------------------------------------------------------------


def _pg(args, name: str) -> str:
    return f"{args.pg.rstrip('/')}/{name}"


def _ensure_pg_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres".replace("postgres://", "postgresql://"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def commands(args, scenario: str, database: str, out: Path):
    """The command line and extra environment of one scenario on one database (None: not run)."""
    size = SIZES[scenario][1 if args.quick else 0]
    py = [sys.executable, "-m"]
    env = {}
    if scenario == "framework":
        cmd = py + [
            "bench.http_pages",
            "--scenario",
            "framework",
            "--rounds",
            str(size["rounds"]),
            "--seconds",
            str(size["seconds"]),
            "--out",
            str(out),
        ]
    elif scenario == "list":
        cmd = py + [
            "bench.http_pages",
            "--scenario",
            "list",
            "--database",
            database,
            "--requests",
            str(size["requests"][database]),
            "--rounds",
            str(size["rounds"]),
            "--seconds",
            str(size["seconds"]),
            "--url",
            _pg(args, "lx_bench_http"),
            "--out",
            str(out),
        ]
    elif scenario == "import":
        cmd = py + [
            "bench.import_members",
            "--database",
            database,
            "--rows",
            str(size["rows"]),
            "--rounds",
            str(size["rounds"]),
            "--json",
            str(out),
        ]
        if database == "postgres":
            env["DATABASE_URL"] = _pg(args, "lx_bench_import")
            _ensure_pg_database(env["DATABASE_URL"])
    elif scenario == "compliance":
        if database == "sqlite":
            return None  # its hand-written SQL is PostgreSQL's
        cmd = py + [
            "bench.branch_compliance",
            "--database",
            database,
            "--orgs",
            str(size["orgs"]),
            "--rounds",
            str(size["rounds"]),
            "--out",
            str(out),
        ]
        env["DATABASE_URL"] = _pg(args, "lx_bench_branch")
    elif scenario == "sweep":
        cmd = py + [
            "bench.appeals_sweep",
            "--database",
            database,
            "--requests",
            str(size["requests"][database]),
            "--per-day",
            str(size["per_day"]),
            "--rounds",
            str(size["rounds"]),
            "--url",
            _pg(args, "lx_bench_sweep"),
            "--out",
            str(out),
        ]
    elif scenario == "ballots":
        cmd = py + [
            "bench.performance_ballots",
            "--database",
            database,
            "--count",
            str(size["count"]),
            "--rounds",
            str(size["rounds"]),
            "--clients",
            str(size["clients"]),
            "--url",
            _pg(args, "lx_bench_performance"),
            "--out",
            str(out),
        ]
    return cmd, env


def to_rows(scenario: str, database: str, result: dict) -> list[dict]:
    if scenario in ("framework", "list"):
        return rows_http(scenario, database, result)
    return {
        "import": rows_import,
        "compliance": rows_compliance,
        "sweep": rows_sweep,
        "ballots": rows_ballots,
    }[scenario](database, result)


def run_scenario(args, scenario: str, database: str) -> tuple[list[dict], dict | None]:
    label = "—" if scenario == "framework" else database
    out = args.workdir / f"{scenario}-{label if label != '—' else 'any'}.json"
    planned = commands(args, scenario, database, out)
    if planned is None:
        return [row(scenario, label, "not run", None, note="hand-written SQL is PostgreSQL-only")], None
    cmd, extra = planned
    out.unlink(missing_ok=True)
    env = dict(os.environ) | extra
    env["PYTHONPATH"] = str(ROOT)
    if "DATABASE_URL" not in extra:
        env.pop("DATABASE_URL", None)
    print(f"\n=== {scenario} ({label}): {' '.join(cmd[2:])}", flush=True)
    t0 = time.perf_counter()
    try:
        done = subprocess.run(cmd, env=env, cwd=ROOT, timeout=args.timeout, check=False)
        failed = done.returncode != 0 and not out.exists()
        reason = f"exit status {done.returncode}"
    except subprocess.TimeoutExpired:
        failed, reason = True, f"timed out after {args.timeout} s"
    seconds = time.perf_counter() - t0
    if failed or not out.exists():
        return [row(scenario, label, "failed", None, note=reason)], None
    result = json.loads(out.read_text())
    result["_wall_seconds"] = seconds
    return to_rows(scenario, label, result), result


# --- the table ------------------------------------------------------------------------------------


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    return f"{value:.2f}"


def cells(r: dict) -> list[str]:
    spread = f"{_fmt(r['spread'][0])}–{_fmt(r['spread'][1])}" if r["spread"] else ""
    met = {True: "yes", False: "NO", None: "—"}[r["met"]]
    return [
        r["scenario"],
        r["database"],
        r["figure"],
        r["project"],
        r["floor"],
        _fmt(r["value"]),
        spread,
        r["goal"] or "—",
        met,
        r["note"],
    ]


HEADER = ["scenario", "db", "figure", "project", "floor", "ratio", "spread", "goal", "met", "note"]


def format_table(rows: list[dict]) -> str:
    table = [HEADER] + [cells(r) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in cells(r)) + " |" for r in rows]
    return "\n".join(lines)


def merge(previous: dict, rows: list[dict], raw: dict) -> tuple[list[dict], dict]:
    """The previous run's rows and results, with those of the scenarios/databases run now replaced."""
    fresh = {(r["scenario"], r["database"]) for r in rows}
    kept = [r for r in previous.get("rows", []) if (r["scenario"], r["database"]) not in fresh]
    order = {name: i for i, name in enumerate(SCENARIOS)}
    merged = sorted(kept + rows, key=lambda r: (order.get(r["scenario"], 99), r["database"] != "sqlite"))
    results = {k: v for k, v in previous.get("results", {}).items() if tuple(k.split(":", 1)) not in fresh}
    return merged, results | raw


def machine() -> dict:
    info = {
        "host": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
    }
    try:
        model = [line for line in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in line]
        info["cpu"] = model[0].split(":", 1)[1].strip() if model else ""
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["memory_gb"] = round(int(mem) / 1048576, 1)
    except OSError:
        pass
    try:
        import sqlite3

        import django

        info["django"] = django.get_version()
        info["sqlite"] = sqlite3.sqlite_version
    except ImportError:
        pass
    return info


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: the whole suite in a few minutes")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--only", default="", help=f"comma-separated subset of {', '.join(SCENARIOS)}")
    parser.add_argument(
        "--pg", default=os.environ.get("LIANXIN_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--timeout", type=int, default=None, help="seconds per scenario run")
    parser.add_argument("--out", type=Path, default=ARTIFACTS / "bench-all.json")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the other scenarios' rows of the existing --out file (rerun one scenario into the table)",
    )
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "lianxin-bench-all")
    args = parser.parse_args(argv)
    args.timeout = args.timeout or (1200 if args.quick else 4 * 3600)
    args.workdir.mkdir(parents=True, exist_ok=True)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()] or list(SCENARIOS)
    unknown = set(chosen) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    started = dt.datetime.now(dt.UTC)
    before = machine()
    rows, raw, crashed = [], {}, False
    for scenario in chosen:
        for database in databases if scenario != "framework" else databases[:1]:
            got, result = run_scenario(args, scenario, database)
            crashed |= any(r["figure"] == "failed" for r in got)
            rows += got
            if result is not None:
                raw[f"{scenario}:{got[0]['database']}"] = result
    if args.merge and args.out.exists():
        rows, raw = merge(json.loads(args.out.read_text()), rows, raw)
    report = {
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "sizes": {s: SIZES[s][1 if args.quick else 0] for s in chosen},
        "machine": before | {"load_average_after": os.getloadavg()},
        "rows": rows,
        "results": raw,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str))
    args.out.with_suffix(".md").write_text(markdown_table(rows) + "\n")
    load = ", ".join(f"{x:.2f}" for x in before["load_average"])
    print(f"\n{'quick' if args.quick else 'full'} run, {before['cpus']} CPUs, load average at start {load}")
    print(format_table(rows))
    print(f"\nwritten to {args.out} and {args.out.with_suffix('.md')}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
