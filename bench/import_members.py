"""Benchmark: import 170,000 party members from .xlsx, against floors measured in the same run (issue 3).

    python -m bench --database sqlite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lx_bench python -m bench --database postgres

Every measurement runs in its own fresh process on a freshly migrated database, and the scenarios
alternate round by round (this machine is noisy: medians and spreads are printed, and all figures go
to a JSON file):
  * importer — what a user triggers: ``import_upload`` (size/zip guards, then the dry run: every row
               read and validated — ID checksum, dates, kinds, organizations, duplicates — and the
               valid rows kept, sealed) and ``import_commit`` (those rows re-checked against the
               database, ID numbers encrypted and hashed, pinyin, two bulk inserts, one audit entry);
  * floor    — python-calamine reading the same file + a raw ``executemany`` INSERT of the same rows
               into the same two tables (registry_resident, registry_partymember, with their indexes
               and constraints): cell values as they are, no validation, no encryption, no pinyin.
               The time goal (ratio ≤ 2) is against this floor;
  * plain    — calamine read + raw INSERT of the seven cells into an unindexed text table: shown for
               reference (it leaves out the cost of the real tables' indexes and of the second table);
  * read     — calamine reading every row and nothing else: the memory goal (ratio ≤ 1.5) is the
               importer's peak RSS growth against this.
Memory is the peak RSS growth during the work (ru_maxrss minus the RSS just before it, so Django's own
import cost is not counted). ``--trace`` adds tracemalloc peaks of Python allocations (slow).
Numbers are printed whatever they are; nothing here asserts.
"""

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODES = ("read", "plain", "floor", "importer")


def _drill():
    spec = importlib.util.spec_from_file_location("import_drill", ROOT / "scripts" / "import_drill.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rss_now_kb() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def _measure(work, trace: bool) -> dict:
    import tracemalloc

    if trace:
        tracemalloc.start()
    start_rss = _rss_now_kb()
    t0 = time.perf_counter()
    extra = work() or {}
    seconds = time.perf_counter() - t0
    result = {
        "seconds": seconds,
        "rss_growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start_rss) / 1024,
    }
    if trace:
        result["py_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1048576
        tracemalloc.stop()
    return result | extra


def _sheet_rows(data: bytes):
    """The data rows of the generated file (a title row and the header row come first)."""
    import io

    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    for index, row in enumerate(sheet.iter_rows()):
        if index >= 2:
            yield row


def child(mode: str, path: Path, trace: bool) -> None:
    """Runs inside a fresh process (Django already configured by the environment)."""
    import django

    django.setup()
    drill = _drill()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection, transaction

    secretary = drill.build_city()
    data = path.read_bytes()

    def importer():
        from lianxin.imports import services

        t0 = time.perf_counter()
        job = services.import_upload(
            actor=secretary, kind="members", file=SimpleUploadedFile(path.name, data)
        )
        upload = time.perf_counter() - t0
        job = services.import_commit(actor=secretary, job=job)
        assert job.status == "committed", job.report["problems"][:3]
        return {
            "upload_seconds": upload,
            "commit_seconds": time.perf_counter() - t0 - upload,
            "created": job.report["counts"],
        }

    def read():
        rows = 0
        for _row in _sheet_rows(data):
            rows += 1
        return {"rows": rows}

    def plain():
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_raw")  # `flush` leaves tables Django does not know
            cursor.execute(
                "CREATE TABLE bench_raw (c0 text, c1 text, c2 text, c3 text, c4 text, c5 text, c6 text)"
            )
        sql = "INSERT INTO bench_raw VALUES (%s, %s, %s, %s, %s, %s, %s)"
        rows = 0
        with transaction.atomic(), connection.cursor() as cursor:
            batch = []
            for row in _sheet_rows(data):
                batch.append([str(v) for v in row[:7]])
                if len(batch) == 2000:
                    cursor.executemany(sql, batch)
                    rows += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                rows += len(batch)
        return {"rows": rows}

    def floor():
        return {"rows": _floor_insert(connection, transaction, data)}

    work = {"read": read, "plain": plain, "floor": floor, "importer": importer}[mode]
    print(json.dumps(_measure(work, trace)))


def _floor_insert(connection, transaction, data: bytes) -> int:
    """The same rows into the same tables, raw: one resident and one membership per row."""
    import datetime as dt

    from django.utils import timezone

    from lianxin.places.models import PartyOrganization
    from lianxin.registry.models import PartyMember, Resident

    postgres = connection.vendor == "postgresql"
    quote = connection.ops.quote_name
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    orgs = {o.name: o for o in PartyOrganization.objects.all()}

    def statement(model, varying: list[str], constants: dict) -> str:
        columns = [model._meta.get_field(name).column for name in [*varying, *constants]]
        return (
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )

    def day(text: str):
        year, month, date = text.replace(".", "-").split("-")
        value = dt.date(int(year), int(month), int(date))
        return value if postgres else value.isoformat()

    r_const = {
        "relationship": "other",
        "name_pinyin": "",
        "name_initials": "",
        "sex": "M",
        "phone": "",
        "health_enc": "",
        "disability_enc": "",
        "created_at": now,
        "updated_at": now,
    }
    m_const = {
        "status": PartyMember._meta.get_field("status").get_default(),
        "mobile_contact": "",
        "receiving_organization_name": "",
        "created_at": now,
        "updated_at": now,
    }
    r_sql = statement(
        Resident,
        ["place", "place_path", "name", "id_number_enc", "id_number_hash", "id_number_masked", "birth_date"],
        r_const,
    )
    m_sql = statement(
        PartyMember,
        [
            "resident",
            "organization",
            "place",
            "place_path",
            "kind",
            "joined_on",
            "probation_ends_on",
            "mobile_destination",
        ],
        m_const,
    )
    r_tail, m_tail = tuple(r_const.values()), tuple(m_const.values())
    table, column = quote(Resident._meta.db_table), quote("id_number_hash")
    rows = 0

    def flush(cursor, batch):
        cursor.executemany(r_sql, [r for r, _m in batch])
        keys = [r[4] for r, _m in batch]
        if postgres:
            cursor.execute(f"SELECT {column}, id FROM {table} WHERE {column} = ANY(%s)", [keys])
        else:
            marks = ", ".join(["%s"] * len(keys))
            cursor.execute(f"SELECT {column}, id FROM {table} WHERE {column} IN ({marks})", keys)
        ids = dict(cursor.fetchall())
        cursor.executemany(m_sql, [(ids[r[4]], *m) for r, m in batch])

    with transaction.atomic(), connection.cursor() as cursor:
        batch = []
        for name, number, org_name, kind, joined, probation, destination in _sheet_rows(data):
            org = orgs[org_name]
            birth = day(f"{number[6:10]}-{number[10:12]}-{number[12:14]}")
            resident = (org.place_id, org.place_path, name, number, number, number, birth, *r_tail)
            member = (
                org.pk,
                org.place_id,
                org.place_path,
                kind,
                day(joined),
                day(probation) if probation else None,
                destination,
                *m_tail,
            )
            batch.append((resident, member))
            if len(batch) == 2000:
                flush(cursor, batch)
                rows += len(batch)
                batch = []
        if batch:
            flush(cursor, batch)
            rows += len(batch)
    return rows


def run(database: str, path: Path, workdir: Path, trace: bool, mode: str) -> dict:
    drill = _drill()
    args = argparse.Namespace(database=database, workdir=workdir)
    env = drill.django_env(args)
    drill.reset_database(args, env)
    out = subprocess.run(
        [sys.executable, "-m", "bench.import_members", "--child", mode, "--file", str(path)]
        + (["--trace"] if trace else []),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _summary(values: list[float]) -> dict:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "values": values,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Import benchmark: 170,000 party members from .xlsx")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=170_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "lianxin-bench")
    parser.add_argument("--json", type=Path, help="where to write the figures (default: in --workdir)")
    parser.add_argument("--trace", action="store_true", help="also one tracemalloc run of each (slow)")
    parser.add_argument("--child", choices=MODES)
    parser.add_argument("--file", type=Path)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.file, args.trace)
        return 0
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / f"members-{args.rows}.xlsx"
    if not path.exists():
        _drill().generate(path, args.rows)
    print(f"file: {path} ({path.stat().st_size / 1e6:.1f} MB, {args.rows} rows), database: {args.database}")
    runs: dict[str, list[dict]] = {mode: [] for mode in MODES}
    for round_number in range(1, args.rounds + 1):
        for mode in MODES:  # alternating: each round measures every scenario once
            runs[mode].append(run(args.database, path, args.workdir, False, mode))
        print(
            f"round {round_number}: "
            + ", ".join(f"{mode} {runs[mode][-1]['seconds']:.2f}s" for mode in MODES)
        )
    seconds = {mode: _summary([r["seconds"] for r in runs[mode]]) for mode in MODES}
    rss = {mode: _summary([r["rss_growth_mb"] for r in runs[mode]]) for mode in MODES}
    ratios = [i["seconds"] / f["seconds"] for i, f in zip(runs["importer"], runs["floor"], strict=True)]
    memory = [
        i["rss_growth_mb"] / max(r["rss_growth_mb"], 1)
        for i, r in zip(runs["importer"], runs["read"], strict=True)
    ]
    result = {
        "rows": args.rows,
        "database": args.database,
        "rounds": args.rounds,
        "seconds": seconds,
        "rss_growth_mb": rss,
        "upload_seconds": _summary([r["upload_seconds"] for r in runs["importer"]]),
        "commit_seconds": _summary([r["commit_seconds"] for r in runs["importer"]]),
        "time_ratio_to_floor": _summary(ratios),
        "time_ratio_to_plain": _summary(
            [i["seconds"] / p["seconds"] for i, p in zip(runs["importer"], runs["plain"], strict=True)]
        ),
        "memory_ratio_to_read": _summary(memory),
        "created": runs["importer"][-1]["created"],
    }
    print(f"{'scenario':<10}{'median s':>10}{'spread s':>16}{'RSS +MB':>10}")
    for mode in MODES:
        s = seconds[mode]
        print(f"{mode:<10}{s['median']:>10.2f}{s['min']:>8.2f}–{s['max']:<7.2f}{rss[mode]['median']:>10.0f}")
    print(
        f"importer = upload/dry run {result['upload_seconds']['median']:.2f}s + commit "
        f"{result['commit_seconds']['median']:.2f}s; created {result['created']}"
    )
    r, m = result["time_ratio_to_floor"], result["memory_ratio_to_read"]
    print(
        f"time ratio importer/floor {r['median']:.2f} (spread {r['min']:.2f}–{r['max']:.2f}; goal ≤ 2); "
        f"importer/plain {result['time_ratio_to_plain']['median']:.2f}"
    )
    print(f"memory ratio importer/read {m['median']:.2f} (spread {m['min']:.2f}–{m['max']:.2f}; goal ≤ 1.5)")
    if args.trace:
        traced = {
            mode: run(args.database, path, args.workdir, True, mode)["py_peak_mb"]
            for mode in ("read", "importer")
        }
        result["tracemalloc_peak_mb"] = traced
        print(f"tracemalloc peak: importer {traced['importer']:.0f} MB, read {traced['read']:.0f} MB")
    out = args.json or args.workdir / f"import-{args.database}-{args.rows}.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"figures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
