"""Benchmark: public-evaluation ballots (D10, issue 8) through the HTTP endpoint a slip's QR link
opens, against a bare Django endpoint on the same server in the same run.

    .venv/bin/python -m bench.performance_ballots --database sqlite --count 20000
    .venv/bin/python -m bench.performance_ballots --database postgres --count 200000

A fresh database (SQLite in test-artifacts/bench-performance/, or the PostgreSQL database named by
--url, emptied by bench.common.fresh_database) is migrated; one community, an evaluation with three
people evaluated and N one-time codes are made through the services. gunicorn with the production configuration
(config/gunicorn.conf.py: threaded workers; --workers, --threads) serves
bench.performance_settings: the dev settings with DEBUG off and one extra route, /bench/bare/, that
answers "ok" through the same middleware without touching the database.

Client processes (--clients) each fetch the CSRF cookie once, then POST form bodies like a phone, in
alternating rounds (--rounds) of equal size:
  * bare    — POST /bench/bare/ (same body and cookies);
  * ballots — POST /portal/evaluate/<code>/ once per code (303 to the thanks page expected), with a
              duplicate (an already used code, 409 expected) every --dup-every requests.
Throughput of each is its requests over the sum of its rounds' wall time; the ratio ballots/bare is
the figure (goal ≥ 0.4). Afterwards the database is asked how many codes have more than one ballot
(goal 0) and whether every code has exactly one. Results are printed and written as JSON (--out).
Nothing here asserts a time.
"""

import argparse
import http.client
import json
import multiprocessing as mp
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lx_bench_performance"
DATA_DIR = ROOT / "test-artifacts" / "bench-performance"
SETTINGS = "bench.performance_settings"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(args) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "LIANXIN_DEBUG": "0",
            "LIANXIN_DATA_DIR": str(DATA_DIR),
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("DATABASE_URL", None)
    env.pop("LIANXIN_BENCH_SQLITE_CONN_MAX_AGE", None)
    if args.sqlite_conn_max_age:
        env["LIANXIN_BENCH_SQLITE_CONN_MAX_AGE"] = str(args.sqlite_conn_max_age)
    if args.database == "postgres":
        env["DATABASE_URL"] = args.url
    return env


def fresh_database(args) -> None:
    from bench.common import fresh_database as fresh

    fresh(args.database, args.url, DATA_DIR)


def setup_data(count: int) -> dict:
    """In a child process with Django set up: the place, the cycle, N codes (returned)."""
    import django

    django.setup()
    from lianxin.accounts import services as accounts
    from lianxin.core.access import Role
    from lianxin.performance import services
    from lianxin.places import services as places
    from lianxin.places.models import PlaceKind

    root = accounts.user_create(
        actor=None, username="bench-root", display_name="root", password=None, is_system_admin=True
    )
    city = places.place_create(actor=root, kind=PlaceKind.CITY, name="基准市", parent=None)
    district = places.place_create(actor=root, kind=PlaceKind.DISTRICT, name="基准区", parent=city)
    sub = places.place_create(actor=root, kind=PlaceKind.SUBDISTRICT, name="基准街道", parent=district)
    community = places.place_create(actor=root, kind=PlaceKind.COMMUNITY, name="基准社区", parent=sub)
    secretary = accounts.user_create(
        actor=None, username="bench-secretary", display_name="书记", password=None
    )
    accounts.role_grant(actor=None, user=secretary, role=Role.COMMUNITY_SECRETARY, place=community)
    cycle = services.cycle_create(actor=secretary, place=community, year=2026, half=1, title="基准测评")
    evaluees = [
        services.evaluee_add(actor=secretary, cycle=cycle, name=name, role=role).pk
        for name, role in (("王书记", "书记"), ("李主任", "主任"), ("第一党支部", ""))
    ]
    t0 = time.perf_counter()
    remaining = count
    while remaining:
        batch = min(remaining, services.MAX_CODES_PER_BATCH)
        services.codes_issue(actor=secretary, cycle=cycle, count=batch)
        remaining -= batch
    issue_seconds = time.perf_counter() - t0
    codes = list(cycle.codes.order_by("id").values_list("code", flat=True))
    return {"cycle": cycle.pk, "evaluees": evaluees, "codes": codes, "issue_seconds": issue_seconds}


def count_in_database() -> dict:
    import django

    django.setup()
    from django.db.models import Count

    from lianxin.performance.models import Ballot, BallotCode, BallotMark

    duplicates = Ballot.objects.values("code_id").annotate(n=Count("id")).filter(n__gt=1).count()
    return {
        "ballots": Ballot.objects.count(),
        "marks": BallotMark.objects.count(),
        "codes_used": BallotCode.objects.filter(status="used").count(),
        "codes_with_more_than_one_ballot": duplicates,
    }


def _child_json(args, function: str, *params) -> dict:
    code = f"import json, sys; from bench.performance_ballots import {function} as f; print(json.dumps(f(*{params!r})))"
    out = subprocess.run(
        [sys.executable, "-c", code], env=_env(args), cwd=ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode:
        print(out.stdout, out.stderr, file=sys.stderr)
        raise SystemExit(out.returncode)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the client ----------------------------------------------------------------------------------


def _session(port: int) -> tuple[str, str]:
    """The CSRF cookie and form token, fetched once like a phone opening the start page."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/portal/evaluate/")
    response = conn.getresponse()
    html = response.read().decode()
    cookie = next(
        (
            value.split(";", 1)[0]
            for key, value in response.getheaders()
            if key.lower() == "set-cookie" and "csrf" in value
        ),
        "",
    )
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    conn.close()
    if not cookie or not match:
        raise RuntimeError("no CSRF cookie or token on /portal/evaluate/")
    return cookie, match.group(1)


def _post(conn, path: str, body: str, cookie: str):
    conn.request(
        "POST",
        path,
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "Connection": "keep-alive",
        },
    )
    response = conn.getresponse()
    response.read()
    return response.status


def _client(job) -> dict:
    port, kind, items, evaluees, dup_every = job
    cookie, token = _session(port)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    statuses: dict[int, int] = {}
    duplicates_sent = 0
    ratings = {
        f"e{pk}": value
        for pk, value in zip(evaluees, ("satisfied", "basically", "dissatisfied"), strict=False)
    }
    body = urlencode({"csrfmiddlewaretoken": token, **ratings})
    started = time.perf_counter()
    for n, code in enumerate(items, 1):
        path = "/bench/bare/" if kind == "bare" else f"/portal/evaluate/{code}/"
        status = _post(conn, path, body, cookie)
        statuses[status] = statuses.get(status, 0) + 1
        if kind == "ballots" and dup_every and n % dup_every == 0:
            status = _post(conn, path, body, cookie)  # the same code again
            duplicates_sent += 1
            statuses[status] = statuses.get(status, 0) + 1
    ended = time.perf_counter()
    conn.close()
    return {"statuses": statuses, "duplicates_sent": duplicates_sent, "started": started, "ended": ended}


def run_phase(port: int, kind: str, items: list, evaluees: list, clients: int, dup_every: int = 0) -> dict:
    chunks = [items[i::clients] for i in range(clients)]
    with mp.Pool(clients) as pool:
        results = pool.map(_client, [(port, kind, chunk, evaluees, dup_every) for chunk in chunks])
    # From the first request to the last answer (CLOCK_MONOTONIC is shared by the processes); the
    # pool start and the one CSRF fetch per client are left out.
    seconds = max(r["ended"] for r in results) - min(r["started"] for r in results)
    statuses: dict[str, int] = {}
    for result in results:
        for status, n in result["statuses"].items():
            statuses[str(status)] = statuses.get(str(status), 0) + n
    requests = sum(statuses.values())
    return {
        "requests": requests,
        "seconds": seconds,
        "per_second": requests / seconds,
        "statuses": statuses,
        "duplicates_sent": sum(r["duplicates_sent"] for r in results),
    }


def _wait_for(port: int, server, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer")


def run(args) -> dict:
    print(f"fresh {args.database} database, migrate …", flush=True)
    fresh_database(args)
    subprocess.run(
        [sys.executable, "-m", "lianxin", "migrate", "--no-input", "-v0"],
        env=_env(args),
        cwd=ROOT,
        check=True,
    )
    print(f"issuing {args.count:,} codes …", flush=True)
    data = _child_json(args, "setup_data", args.count)
    port = _free_port()
    gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
    server = subprocess.Popen(
        [
            str(gunicorn if gunicorn.exists() else "gunicorn"),
            "config.wsgi:application",
            "--config",
            str(ROOT / "config" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--log-level",
            "warning",
        ],
        env=_env(args),
        cwd=ROOT,
    )
    try:
        _wait_for(port, server)
        # Warm up every worker (lazy imports, database connections) before the timed rounds.
        run_phase(port, "bare", list(range(args.clients * 20)), data["evaluees"], args.clients)
        # Alternating rounds (bare, ballots, bare, …) so that a change in the machine's load hits both.
        rounds = max(1, min(args.rounds, args.count))
        bare, ballots = [], []
        for r in range(rounds):
            codes = data["codes"][r::rounds]
            bare.append(run_phase(port, "bare", list(range(len(codes))), data["evaluees"], args.clients))
            ballots.append(run_phase(port, "ballots", codes, data["evaluees"], args.clients, args.dup_every))
            print(
                f"round {r + 1}/{rounds}: bare {bare[-1]['per_second']:.0f}/s, "
                f"ballots {ballots[-1]['per_second']:.0f}/s",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    counted = _child_json(args, "count_in_database")
    bare_total, ballot_total = _total(bare), _total(ballots)
    return {
        "database": args.database,
        "count": args.count,
        "clients": args.clients,
        "workers": args.workers,
        "threads": args.threads,
        "sqlite_conn_max_age": args.sqlite_conn_max_age,
        "rounds": rounds,
        "issue_seconds": data["issue_seconds"],
        "bare": bare_total,
        "ballots": ballot_total,
        "bare_per_second": bare_total["per_second"],
        "ballots_per_second": ballot_total["per_second"],
        "ratio": ballot_total["per_second"] / bare_total["per_second"],
        "database_counts": counted,
        "duplicates_in_database": counted["codes_with_more_than_one_ballot"],
    }


def _total(phases: list[dict]) -> dict:
    statuses: dict[str, int] = {}
    for phase in phases:
        for status, n in phase["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    requests, seconds = sum(p["requests"] for p in phases), sum(p["seconds"] for p in phases)
    return {
        "requests": requests,
        "seconds": seconds,
        "per_second": requests / seconds,
        "statuses": statuses,
        "duplicates_sent": sum(p["duplicates_sent"] for p in phases),
        "rounds_per_second": [p["per_second"] for p in phases],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=6)
    # gunicorn's usual 2 × cores + 1: concurrent commits share PostgreSQL's WAL flush (group commit).
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument(
        "--threads", type=int, default=4, help="threads per worker (the production config's default)"
    )
    parser.add_argument(
        "--sqlite-conn-max-age",
        type=int,
        default=0,
        help="try persistent SQLite connections (a proposed change to the shared settings); 0 = as configured",
    )
    parser.add_argument("--rounds", type=int, default=10, help="alternating bare/ballot rounds")
    parser.add_argument(
        "--dup-every", type=int, default=50, help="resend an already used code every N ballots"
    )
    parser.add_argument("--url", default=os.environ.get("LIANXIN_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    result = run(args)
    out = args.out or ROOT / "test-artifacts" / f"bench-performance-ballots-{args.database}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    b = result["ballots"]
    print(
        f"ballots: {b['requests']:,} requests in {b['seconds']:.1f} s = {b['per_second']:.0f}/s "
        f"(statuses {b['statuses']}, duplicates sent {b['duplicates_sent']})\n"
        f"bare:    {result['bare']['requests']:,} requests in {result['bare']['seconds']:.1f} s = "
        f"{result['bare_per_second']:.0f}/s\n"
        f"ratio ballots/bare: {result['ratio']:.2f} (goal ≥ 0.4)\n"
        f"in the database: {result['database_counts']} — codes with more than one ballot: "
        f"{result['duplicates_in_database']} (goal 0)\n"
        f"written to {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
