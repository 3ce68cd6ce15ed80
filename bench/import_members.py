"""Benchmark: import 170,000 party members from .xlsx, against a bare read + raw insert (issue 3).

    python -m bench --database sqlite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lx_bench python -m bench --database postgres

Each measurement runs in its own fresh process on a freshly migrated database:
  * importer  — ``import_upload`` (guards + dry run of every row) then ``import_commit`` (re-validate,
                encrypt, hash, pinyin, bulk insert, one audit entry), i.e. what a user triggers;
  * baseline  — python-calamine reading the same file row by row + a raw ``executemany`` INSERT of the
                same cell values into a plain table, in one transaction: the floor for "read and write".
Time ratio = importer / baseline (goal ≤ 2). Memory: peak RSS growth during the work (ru_maxrss minus
the RSS just before it, so Django's import cost is not counted) and, in a second run of each, the peak
of Python allocations under tracemalloc (goal ≤ 1.5). Numbers are printed, whatever they are.
"""

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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

    def baseline():
        import io

        from python_calamine import CalamineWorkbook

        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_raw (c0 text, c1 text, c2 text, c3 text, c4 text, c5 text, c6 text)"
            )
        sql = "INSERT INTO bench_raw VALUES (%s, %s, %s, %s, %s, %s, %s)"
        rows = 0
        with transaction.atomic(), connection.cursor() as cursor:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
            batch = []
            for index, row in enumerate(sheet.iter_rows()):
                if index < 2:
                    continue
                batch.append([str(v) for v in row[:7]])
                if len(batch) == 2000:
                    cursor.executemany(sql, batch)
                    rows += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                rows += len(batch)
        return {"rows": rows}

    print(json.dumps(_measure(importer if mode == "importer" else baseline, trace)))


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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Import benchmark: 170,000 party members from .xlsx")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=170_000)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "lianxin-bench")
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument("--child", choices=["importer", "baseline"])
    parser.add_argument("--file", type=Path)
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.file, args.trace)
        return 0
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / f"members-{args.rows}.xlsx"
    if not path.exists():
        _drill().generate(path, args.rows)
    print(f"file: {path} ({path.stat().st_size / 1e6:.1f} MB, {args.rows} rows), database: {args.database}")
    base = run(args.database, path, args.workdir, False, "baseline")
    imp = run(args.database, path, args.workdir, False, "importer")
    print(
        f"baseline (calamine read + raw executemany insert): {base['seconds']:.1f}s, RSS +{base['rss_growth_mb']:.0f} MB"
    )
    print(
        f"importer (upload/dry run {imp['upload_seconds']:.1f}s + commit {imp['commit_seconds']:.1f}s): "
        f"{imp['seconds']:.1f}s, RSS +{imp['rss_growth_mb']:.0f} MB; created {imp['created']}"
    )
    print(
        f"time ratio {imp['seconds'] / base['seconds']:.2f} (goal ≤ 2; commit alone "
        f"{imp['commit_seconds'] / base['seconds']:.2f}); RSS-growth ratio "
        f"{imp['rss_growth_mb'] / max(base['rss_growth_mb'], 1):.2f} (goal ≤ 1.5)"
    )
    if not args.no_trace:
        base_t = run(args.database, path, args.workdir, True, "baseline")
        imp_t = run(args.database, path, args.workdir, True, "importer")
        print(
            f"tracemalloc peak of Python allocations: importer {imp_t['py_peak_mb']:.0f} MB, "
            f"baseline {base_t['py_peak_mb']:.0f} MB, ratio {imp_t['py_peak_mb'] / max(base_t['py_peak_mb'], 0.1):.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
