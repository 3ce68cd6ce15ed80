"""The benchmark runner's bookkeeping (bench/run_all.py): goals, rows from each scenario's JSON, the
printed and Markdown tables, the command lines. No benchmark is run and no time is measured."""

import argparse
import json
from pathlib import Path

import pytest
from django.db import connection

from bench import run_all


def _summary(median, low, high):
    return {"median": median, "min": low, "max": high, "values": [low, median, high]}


HTTP_LIST = {
    "page_name": "list API page",
    "floor_name": "bare Django",
    "requests": 20000,
    "page_per_second": _summary(300, 250, 320),
    "floor_per_second": _summary(1000, 900, 1100),
    "page_p99_ms": _summary(40, 35, 50),
    "floor_p99_ms": _summary(10, 9, 12),
    "throughput_ratio": _summary(0.3, 0.25, 0.35),
    "p99_ratio": _summary(4.0, 3.5, 4.5),
    "page_cpu_ms": _summary(3.2, 3.0, 3.5),
    "floor_cpu_ms": _summary(0.96, 0.9, 1.0),
    "cpu_ratio": _summary(0.3, 0.27, 0.32),
}
IMPORT = {
    "rows": 10000,
    "seconds": {"importer": _summary(3.0, 2.9, 3.1), "floor": _summary(2.0, 1.9, 2.1)},
    "rss_growth_mb": {"importer": _summary(60, 59, 61), "read": _summary(50, 49, 51)},
    "time_ratio_to_floor": _summary(1.5, 1.4, 1.6),
    "memory_ratio_to_read": _summary(1.2, 1.1, 1.3),
}
COMPLIANCE = {
    "orgs": 1000,
    "mismatches": 0,
    "median_ms": {"orm": 110.0, "orm-query": 100.0, "sql": 100.0},
    "ratio": 1.1,
    "ratio_min": 1.0,
    "ratio_max": 1.3,
    "one_organization_ms": 4.5,
    "one_organization_ms_min": 4.0,
    "one_organization_ms_max": 6.0,
}
SWEEP = {
    "open_requests": 20000,
    "work": {"steps": 60},
    "same_work": True,
    "ratio": _summary(8.0, 7.0, 9.0),
    "scan_ratio": _summary(1.4, 1.3, 1.5),
    "sweep_seconds": _summary(1.0, 0.9, 1.1),
    "sql_seconds": _summary(0.125, 0.12, 0.13),
    "scan_sweep_seconds": _summary(0.07, 0.06, 0.08),
    "scan_sql_seconds": _summary(0.05, 0.04, 0.06),
}
BALLOTS = {
    "count": 2000,
    "clients": 12,
    "ratio": 0.5,
    "ballots_per_second": 250,
    "bare_per_second": 500,
    "ballots": {"rounds_per_second": [240, 260], "duplicates_sent": 40},
    "bare": {"rounds_per_second": [480, 520]},
    "duplicates_in_database": 0,
}


def test_goals_are_ratios_compared_as_written():
    assert run_all.meets(0.5, "≥ 0.4") is True
    assert run_all.meets(0.3, "≥ 0.4") is False
    assert run_all.meets(1.2, "≤ 1.2") is True
    assert run_all.meets(2.1, "≤ 2") is False
    assert run_all.meets(0, "= 0") is True
    assert run_all.meets(3, "= 0") is False
    assert run_all.meets(5.0, "") is None
    assert run_all.meets(None, "≤ 2") is None


def test_every_scenario_becomes_rows_with_its_goal():
    rows = (
        run_all.to_rows("list", "sqlite", HTTP_LIST)
        + run_all.to_rows("import", "postgres", IMPORT)
        + run_all.to_rows("compliance", "postgres", COMPLIANCE)
        + run_all.to_rows("sweep", "sqlite", SWEEP)
        + run_all.to_rows("ballots", "postgres", BALLOTS)
    )
    by_figure = {(r["scenario"], r["figure"]): r for r in rows}
    throughput = by_figure[("list", "throughput list API page / bare Django")]
    assert (throughput["value"], throughput["goal"], throughput["met"]) == (0.3, "≥ 0.4", False)
    assert throughput["spread"] == [0.25, 0.35]
    assert by_figure[("list", "p99 list API page / bare Django")]["met"] is False
    cpu = by_figure[("list", "CPU per request bare Django / list API page")]
    assert (cpu["value"], cpu["goal"], cpu["met"], cpu["project"]) == (0.3, "", None, "3.20 ms")
    older = run_all.to_rows("list", "sqlite", {k: v for k, v in HTTP_LIST.items() if "cpu" not in k})
    assert [r["figure"] for r in older] == [
        r["figure"] for r in run_all.to_rows("list", "sqlite", HTTP_LIST)
    ][:2]
    assert by_figure[("import", "time importer / calamine + raw insert")]["met"] is True
    assert by_figure[("import", "peak RSS importer / bare read")]["met"] is True
    assert by_figure[("compliance", "city grid / hand SQL")]["met"] is True
    assert by_figure[("compliance", "one organization's page, ms")]["met"] is True
    assert by_figure[("sweep", "overdue sweep / hand SQL (a day's work)")]["met"] is False
    assert by_figure[("sweep", "steady-state sweep / hand SQL (nothing to do)")]["met"] is True
    ballots = by_figure[("ballots", "ballots / bare endpoint throughput")]
    assert ballots["met"] is True and ballots["spread"] == [0.5, 0.5]
    assert by_figure[("ballots", "codes with more than one ballot")]["met"] is True
    json.dumps(rows)  # what the runner writes


def test_tables_show_each_ratio_next_to_its_goal():
    rows = run_all.to_rows(
        "framework", "—", HTTP_LIST | {"page_name": "bare Django", "floor_name": "raw WSGI"}
    )
    rows += run_all.to_rows("list", "postgres", HTTP_LIST)
    rows.append(run_all.row("compliance", "sqlite", "not run", None, note="PostgreSQL-only"))
    text = run_all.format_table(rows)
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["scenario", "db", "figure"]
    assert len(lines) == 2 + len(rows)
    list_line = next(line for line in lines if "throughput list API page" in line)
    assert "0.30" in list_line and "≥ 0.4" in list_line and "NO" in list_line
    assert "0.25–0.35" in list_line
    framework_line = next(line for line in lines if "throughput bare Django / raw WSGI" in line)
    assert "reference: no goal" in framework_line
    markdown = run_all.markdown_table(rows).splitlines()
    assert markdown[0].startswith("| scenario | db | figure |")
    assert len(markdown) == 2 + len(rows)
    assert all(line.count("|") == len(run_all.HEADER) + 1 for line in markdown)


def test_quick_sizes_and_commands(tmp_path):
    args = argparse.Namespace(quick=True, pg="postgres://postgres@127.0.0.1:5432")
    cmd, env = run_all.commands(args, "sweep", "postgres", tmp_path / "x.json")
    assert cmd[2] == "bench.appeals_sweep"
    assert "--requests" in cmd and cmd[cmd.index("--requests") + 1] == "20000"
    assert cmd[cmd.index("--url") + 1].endswith("/lx_bench_sweep")
    cmd, env = run_all.commands(args, "ballots", "sqlite", tmp_path / "x.json")
    assert cmd[cmd.index("--clients") + 1] == "12"
    assert run_all.commands(args, "compliance", "sqlite", tmp_path / "x.json") is None
    full = argparse.Namespace(quick=False, pg=args.pg)
    cmd, env = run_all.commands(full, "compliance", "postgres", tmp_path / "x.json")
    assert cmd[cmd.index("--orgs") + 1] == "8500"
    assert env["DATABASE_URL"].endswith("/lx_bench_branch")


def test_a_missing_result_is_a_failed_row(tmp_path, monkeypatch):
    class Done:
        returncode = 3

    monkeypatch.setattr(run_all.subprocess, "run", lambda *a, **k: Done())
    args = argparse.Namespace(
        quick=True, pg="postgres://postgres@127.0.0.1:5432", timeout=10, workdir=Path(tmp_path)
    )
    rows, result = run_all.run_scenario(args, "framework", "sqlite")
    assert result is None
    assert [(r["scenario"], r["figure"], r["note"]) for r in rows] == [
        ("framework", "failed", "exit status 3")
    ]


def test_merge_replaces_only_the_scenarios_run_again():
    old_list = run_all.to_rows("list", "postgres", HTTP_LIST)
    previous = {
        "rows": run_all.to_rows("import", "sqlite", IMPORT) + old_list,
        "results": {"import:sqlite": IMPORT, "list:postgres": HTTP_LIST},
    }
    rerun = run_all.to_rows("list", "postgres", HTTP_LIST | {"throughput_ratio": _summary(0.5, 0.4, 0.6)})
    rows, results = run_all.merge(previous, rerun, {"list:postgres": {"new": True}})
    assert [(r["scenario"], r["database"]) for r in rows] == [
        ("list", "postgres"),
        ("list", "postgres"),
        ("list", "postgres"),
        ("import", "sqlite"),
        ("import", "sqlite"),
    ]
    assert rows[0]["value"] == 0.5 and rows[0]["met"] is True
    assert results == {"import:sqlite": IMPORT, "list:postgres": {"new": True}}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the benchmarks' PostgreSQL server")
def test_the_postgresql_server_charged_for_cpu_is_the_parent_of_a_backend(db):
    """``bench.common.postgres_pid``: the server whose process tree the HTTP benchmarks charge for
    the database's CPU time. (It now reads the backend's parent while its connection is open: read
    after closing, on a loaded machine the backend had sometimes exited, and the CPU figures left the
    database out; a quiet machine does not show that race.)"""
    from bench.common import postgres_pid

    settings = connection.settings_dict
    url = f"postgres://{settings['USER']}@{settings['HOST'] or 'localhost'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    server = postgres_pid(url)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    with open(f"/proc/{backend}/stat") as f:
        assert int(f.read().rsplit(")", 1)[1].split()[1]) == server
