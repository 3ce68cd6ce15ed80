#!/usr/bin/env python
"""The kill -9 drill (issue 3, "Must show"): an import killed at a random point leaves zero rows.

    python scripts/import_drill.py --database sqlite --trials 20
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lx_drill python scripts/import_drill.py --database postgres

It generates (or reuses, cached in the work directory) a members .xlsx of --rows rows (170,000 by
default), builds a fresh database with one community, its party branch and a secretary, and uploads
the file once (the dry run; the job is READY). One rehearsal commit (run in full, then rolled back)
measures how long a commit takes. Then each trial starts ``lianxin import_file --job <id>`` in a
subprocess, SIGKILLs it after a random delay within that duration, and checks that residents,
members, households, audit entries and the job's status are exactly as before, and that the
database still opens (SQLite: PRAGMA integrity_check). One line per trial, then a verdict; the exit
status is non-zero if anything of a killed import remained. A trial whose commit finished before the
kill is reported as such and the database is reset (it is not a failure: the import was complete).
"""

import argparse
import datetime as dt
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BRANCH = "演练社区第一党支部"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅"
KINDS = ["在职", "无职", "离退休", "下岗失业", "改制企业转入", "流动", "预备"]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """A members file with a merged title row, mixed date forms and valid, unique ID numbers."""
    import xlsxwriter

    sys.path.insert(0, str(ROOT))
    from lianxin.core.idcard import check_char

    rng = random.Random(seed)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = book.add_worksheet("党员")
    ws.merge_range(0, 0, 0, 6, "演练社区党员花名册")
    ws.write_row(1, 0, ["姓名", "身份证号", "所在党组织", "党员类别", "入党日期", "转正日期", "流动去向"])
    start = dt.date(1930, 1, 1)
    for i in range(rows):
        birth = start + dt.timedelta(days=i // 450)
        first17 = f"110105{birth:%Y%m%d}{(i % 450) * 2 + 1:03d}"
        kind = KINDS[i % len(KINDS)]
        joined = dt.date(1960 + i % 60, 1 + i % 12, 1 + i % 28)
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        ws.write_row(
            i + 2,
            0,
            [
                name,
                first17 + check_char(first17),
                BRANCH,
                kind,
                f"{joined.year}.{joined.month}.{joined.day}" if i % 2 else joined.isoformat(),
                (joined + dt.timedelta(days=365)).isoformat() if kind == "预备" else "",
                "深圳" if kind == "流动" else "",
            ],
        )
    book.close()


def django_env(args) -> dict:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    env["LIANXIN_DEBUG"] = "0"
    env["LIANXIN_DATA_DIR"] = str(args.workdir / f"data-{args.database}")
    if args.database == "sqlite":
        env.pop("DATABASE_URL", None)
    elif not env.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("--database postgres needs DATABASE_URL=postgres://...")
    return env


def lianxin(env, *argv, **kwargs):
    return subprocess.run([sys.executable, "-m", "lianxin", *argv], env=env, cwd=ROOT, **kwargs)


def setup_django(env) -> None:
    os.environ.clear()  # exactly the children's environment: no DATABASE_URL left over for SQLite
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def reset_database(args, env) -> None:
    if args.database == "sqlite":
        data_dir = Path(env["LIANXIN_DATA_DIR"])
        for suffix in ("", "-wal", "-shm"):
            (data_dir / f"lianxin.sqlite3{suffix}").unlink(missing_ok=True)
    else:
        lianxin(env, "flush", "--no-input", check=True)
    lianxin(env, "migrate", "--no-input", "-v0", check=True)


def build_city():
    from lianxin.accounts import services as accounts
    from lianxin.core.access import Role
    from lianxin.places import services as places
    from lianxin.places.models import OrgKind, PlaceKind

    root = accounts.user_create(
        actor=None, username="drill-root", display_name="root", password=None, is_system_admin=True
    )
    city = places.place_create(actor=root, kind=PlaceKind.CITY, name="演练市", parent=None)
    district = places.place_create(actor=root, kind=PlaceKind.DISTRICT, name="演练区", parent=city)
    sub = places.place_create(actor=root, kind=PlaceKind.SUBDISTRICT, name="演练街道", parent=district)
    community = places.place_create(actor=root, kind=PlaceKind.COMMUNITY, name="演练社区", parent=sub)
    places.org_create(actor=root, kind=OrgKind.BRANCH, name=BRANCH, place=community)
    secretary = accounts.user_create(
        actor=None, username="drill-secretary", display_name="书记", password=None
    )
    accounts.role_grant(actor=None, user=secretary, role=Role.COMMUNITY_SECRETARY, place=community)
    return secretary


def snapshot(job_id):
    from django.db import connection

    from lianxin.core.models import AuditEntry
    from lianxin.imports.models import ImportJob
    from lianxin.registry.models import Household, PartyMember, Resident

    state = {
        "residents": Resident.objects.count(),
        "members": PartyMember.objects.count(),
        "households": Household.objects.count(),
        "audit": AuditEntry.objects.count(),
        "job": ImportJob.objects.values_list("status", flat=True).get(pk=job_id),
    }
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            state["integrity"] = cursor.fetchone()[0]
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            state["integrity"] = "ok" if cursor.fetchone()[0] == 1 else "broken"
    connection.close()
    return state


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--rows", type=int, default=170_000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--latest",
        type=float,
        default=0.95,
        help="kill no later than this share of the rehearsal's duration (a smoke run uses 0.5)",
    )
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "lianxin-import-drill")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    env = django_env(args)
    source = args.workdir / f"members-{args.rows}.xlsx"
    if not source.exists():
        t0 = time.monotonic()
        generate(source, args.rows)
        print(f"generated {source} ({source.stat().st_size / 1e6:.1f} MB) in {time.monotonic() - t0:.1f}s")
    else:
        print(f"reusing {source} ({source.stat().st_size / 1e6:.1f} MB)")
    reset_database(args, env)
    setup_django(env)
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from lianxin.imports import services
    from lianxin.registry.models import PartyMember, Resident

    secretary = build_city()
    t0 = time.monotonic()
    job = services.import_upload(
        actor=secretary, kind="members", file=SimpleUploadedFile(source.name, source.read_bytes())
    )
    if job.status != "ready":
        print("dry run found problems:", job.report["problems"][:5])
        return 2
    print(f"dry run: job {job.pk} ready, {job.report['rows']} rows, {time.monotonic() - t0:.1f}s")
    connection.close()
    command = ["import_file", "--user", "drill-secretary", "--job", str(job.pk)]
    t0 = time.monotonic()
    lianxin(env, *command, "--rehearse", check=True, capture_output=True)
    duration = time.monotonic() - t0
    print(f"rehearsal commit (rolled back): {duration:.1f}s including process start-up")
    failures = completed = 0
    for trial in range(1, args.trials + 1):
        before = snapshot(job.pk)
        delay = rng.uniform(0.05, args.latest) * duration
        process = subprocess.Popen(
            [sys.executable, "-m", "lianxin", *command],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        finished = process.poll() is not None
        if not finished:
            os.kill(process.pid, signal.SIGKILL)
        code = process.wait()
        time.sleep(0.2)  # let PostgreSQL notice the dead client and roll its transaction back
        after = snapshot(job.pk)
        # The kill may land after the commit but before the process exits: then every row must be
        # there (all of them, never some), and the trial counts as finished.
        if not finished and after["job"] == "committed":
            rows = job.report["rows"]
            whole = after["members"] == before["members"] + rows and after["integrity"] == "ok"
            failures += not whole
            print(
                f"trial {trial:2d}: SIGKILL at {delay:.2f}s landed after the commit: "
                f"members {before['members']}→{after['members']} ({'all rows' if whole else 'PARTIAL'})"
            )
            finished = True
        if finished:
            completed += 1
            print(f"trial {trial:2d}: finished before the kill at {delay:.2f}s (exit {code}); resetting")
            setup_django(env)
            PartyMember.objects.all().delete()
            Resident.objects.all().delete()
            from lianxin.imports.models import ImportJob

            ImportJob.objects.filter(pk=job.pk).update(status="ready")
            connection.close()
            continue
        ok = after == before and after["integrity"] == "ok"
        failures += not ok
        print(
            f"trial {trial:2d}: SIGKILL at {delay:6.2f}s ({delay / duration:4.0%} of a commit), exit {code}; "
            f"residents {before['residents']}→{after['residents']}, members {before['members']}→{after['members']}, "
            f"audit {before['audit']}→{after['audit']}, job {after['job']}, db {after['integrity']}: "
            f"{'OK' if ok else 'LEFTOVER'}"
        )
    killed = args.trials - completed
    verdict = "PASS" if failures == 0 and killed > 0 else "FAIL"
    print(
        f"VERDICT: {verdict} — {args.database}, {args.rows} rows, {killed} killed trials, "
        f"{failures} with leftovers, {completed} finished before the kill"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
