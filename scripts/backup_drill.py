#!/usr/bin/env python
"""The backup drill (issue 12 item 9): back up a seeded database, restore it into a FRESH database,
and compare every table's row count and checksum.

    python scripts/backup_drill.py --database sqlite
    python scripts/backup_drill.py --database postgres --url postgres://postgres@127.0.0.1:5432

Steps, each one a `lianxin` command in a subprocess, as an operator would run them: migrate and seed
(the test-scale demo city) the source; fingerprint it; `lianxin backup`; migrate an empty target;
`lianxin restore --yes` into it (which also verifies the audit chain); fingerprint the target. Every
table must match, except that the audit log has exactly one more entry (the restore's own) and its
head moved with it. Prints one line per table that differs and a verdict; exit status 1 on a difference.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIANXIN = [sys.executable, "-m", "lianxin"]
AUDIT_TABLES = {"core_auditentry", "core_audithead"}


def run(args, env, capture=False):
    result = subprocess.run(
        [*LIANXIN, *args], env=env, cwd=ROOT, check=True, text=True, capture_output=capture
    )
    return result.stdout


def fingerprint(env) -> dict:
    code = (
        "import json; from lianxin.core.backup import table_fingerprints; "
        "print(json.dumps(table_fingerprints()))"
    )
    out = run(["shell", "-c", code], env, capture=True)
    return json.loads(out.strip().splitlines()[-1])


def psql(url: str, sql: str) -> None:
    subprocess.run(["psql", f"{url}/postgres", "-q", "-c", sql], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--url", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lx-backup-drill-"))
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    base |= {"DJANGO_SETTINGS_MODULE": "config.settings.dev", "LIANXIN_DEBUG": "0"}
    keys = work / "keys"
    keys.mkdir()
    if options.database == "sqlite":
        source = base | {"LIANXIN_DATA_DIR": str(work / "source")}
        target = base | {"LIANXIN_DATA_DIR": str(work / "target")}
        # Both share the source's generated field keys, as a restored installation would.
        for env in (source, target):
            Path(env["LIANXIN_DATA_DIR"]).mkdir()
        backup_file = work / "lianxin.sqlite3.bak"
    else:
        names = ("lx_drill_source", "lx_drill_target")
        for name in names:
            psql(options.url, f"DROP DATABASE IF EXISTS {name}")
            psql(options.url, f"CREATE DATABASE {name}")
        data = str(work / "data")
        source = base | {"DATABASE_URL": f"{options.url}/{names[0]}", "LIANXIN_DATA_DIR": data}
        target = base | {"DATABASE_URL": f"{options.url}/{names[1]}", "LIANXIN_DATA_DIR": data}
        backup_file = work / "lianxin.dump"

    started = time.monotonic()
    run(["migrate", "--noinput", "-v", "0"], source)
    run(["seed", "--scale", "test"], source, capture=True)
    if options.database == "sqlite":
        # Demo keys live in the data directory; the target must read the same encrypted rows.
        for name in os.listdir(source["LIANXIN_DATA_DIR"]):
            if "key" in name:
                (Path(target["LIANXIN_DATA_DIR"]) / name).write_bytes(
                    (Path(source["LIANXIN_DATA_DIR"]) / name).read_bytes()
                )
    before = fingerprint(source)
    run(["backup", str(backup_file)], source, capture=True)
    run(["migrate", "--noinput", "-v", "0"], target)
    run(["restore", str(backup_file), "--yes"], target, capture=True)
    after = fingerprint(target)
    elapsed = time.monotonic() - started

    problems = []
    for table in sorted(set(before) | set(after)):
        if table not in before or table not in after:
            problems.append(f"{table}: only in {'source' if table in before else 'target'}")
            continue
        (count_a, sum_a), (count_b, sum_b) = before[table], after[table]
        if table == "core_auditentry":
            if count_b != count_a + 1:
                problems.append(f"{table}: {count_a} rows before, {count_b} after (expected {count_a + 1})")
        elif table not in AUDIT_TABLES and (count_a, sum_a) != (count_b, sum_b):
            problems.append(f"{table}: {count_a} rows {sum_a[:12]} vs {count_b} rows {sum_b[:12]}")
    rows = sum(count for count, _sum in before.values())
    print(
        f"{options.database}: {len(before)} tables, {rows} rows, backup {backup_file.stat().st_size} bytes, "
        f"{elapsed:.1f} s"
    )
    for line in problems:
        print("DIFFERS", line)
    print("VERDICT:", "every table matches" if not problems else f"{len(problems)} tables differ")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
