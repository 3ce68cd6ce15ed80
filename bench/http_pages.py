"""Benchmark: HTTP pages against their floors, served by gunicorn with the production configuration
(config/gunicorn.conf.py: threaded workers) and measured in the same run, alternating.

    .venv/bin/python -m bench.http_pages --scenario framework
    .venv/bin/python -m bench.http_pages --scenario list --database postgres --requests 1000000

Scenarios:
  * framework — the bare Django JSON endpoint (/bench/bare.json of bench.performance_urls: every
                middleware, no database, no template) against a raw WSGI application answering the
                same body (bench/raw_wsgi.py), both under gunicorn with the same configuration,
                workers and threads. The figure is Django's throughput over the raw app's (the
                framework's cost; no goal, shown for reference) and its p99 over the raw app's.
  * list      — a typical scoped list API page, GET /api/v1/requests/?page_size=20&status=open
                (DRF, token authentication of a community staff member, access scoping, filter,
                page of 20 rows with their related objects, the count), against the bare Django
                endpoint on the same server. A fresh database (SQLite in test-artifacts/bench-http/,
                or the PostgreSQL one named by --url, recreated) holds --requests requests over
                10 communities and 20 grids of 2 subdistricts (bench/requests_data.py), every status
                (--spread even); or, as a city's year looks, over 250 communities and 500 grids,
                received in id order over the last 365 days, those of the last ten days open
                (--spread city): a community sees 1/250 of the rows, so a page reads more of them.
                Goals: throughput ≥ 0.4 of the bare endpoint's, p99 ≤ 3 × the bare endpoint's.

Client processes (--clients) hold one keep-alive connection each and send GETs for --seconds per
phase; phases alternate floor/page for --rounds rounds. Per round: requests/s, p50, p99, and the CPU time
per request of gunicorn's processes, PostgreSQL's and the clients' (``load_phase``); the ratios are
computed per round and summarized as median and spread (min–max). Results are printed and written as
JSON (--out). Nothing here asserts a time.
"""

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from bench.common import (
    ARTIFACTS,
    ROOT,
    client_pool,
    django_env,
    fresh_database,
    gunicorn_start,
    gunicorn_stop,
    load_phase,
    migrate,
    postgres_pid,
    spread,
    wait_for,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/lx_bench_http"
DATA_DIR = ARTIFACTS / "bench-http"
LIST_PATH = "/api/v1/requests/?page_size=20&status=open"
BARE_PATH = "/bench/bare.json"


# --spread: how the requests are spread over places and statuses (bench/requests_data.py).
SPREADS = {
    "even": {"mode": "mixed", "subdistricts": 2},  # 10 communities, every status at random
    "city": {"mode": "city", "subdistricts": 50},  # 250 communities, the last ten days open
}


def setup_list_data(n: int, spread: str = "even") -> dict:
    """In a child process with Django set up: places, people, N requests, a staff member's token."""
    import django

    django.setup()
    from rest_framework.authtoken.models import Token

    from bench.requests_data import load

    loaded = load(n, SPREADS[spread]["mode"], dt.date(2026, 12, 1), SPREADS[spread]["subdistricts"])
    staff = loaded["staff"][0]
    token, _ = Token.objects.get_or_create(user=staff)
    from lianxin.appeals.selectors import request_list

    visible = request_list(actor=staff, status="open").count()
    return {"token": token.key, "load_seconds": loaded["load_seconds"], "visible_open": visible}


def _child_json(env: dict, function: str, *params) -> dict:
    code = f"import json; from bench.http_pages import {function} as f; print(json.dumps(f(*{params!r})))"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode:
        print(out.stdout, out.stderr[-4000:], file=sys.stderr)
        raise SystemExit(out.returncode)
    return json.loads(out.stdout.strip().splitlines()[-1])


def alternate(pool, floor: tuple, page: tuple, clients: int, seconds: float, rounds: int, label) -> dict:
    """``rounds`` × (floor phase, page phase), the order swapped every other round. ``floor`` and
    ``page`` are (port, path, headers, servers): ``servers`` the process trees whose CPU time the phase
    charges to its requests (``load_phase``)."""
    for port, path, headers, _servers in (floor, page):  # warm up every worker (lazy imports, connections)
        load_phase(pool, port, path, headers, clients, 1.0)
    phases = {"floor": [], "page": []}
    for r in range(rounds):
        order = [("floor", floor), ("page", page)]
        if r % 2:
            order.reverse()
        for name, (port, path, headers, servers) in order:
            phases[name].append(load_phase(pool, port, path, headers, clients, seconds, servers))
        f, p = phases["floor"][-1], phases["page"][-1]
        print(
            f"  round {r + 1}/{rounds}: {label[0]} {f['per_second']:.0f}/s p99 {f['p99_ms']:.1f} ms "
            f"CPU {_cpu(f)}, {label[1]} {p['per_second']:.0f}/s p99 {p['p99_ms']:.1f} ms CPU {_cpu(p)}",
            flush=True,
        )
    floor_rounds, page_rounds = phases["floor"], phases["page"]
    return {
        "floor": floor_rounds,
        "page": page_rounds,
        "floor_per_second": spread([x["per_second"] for x in floor_rounds]),
        "page_per_second": spread([x["per_second"] for x in page_rounds]),
        "floor_p50_ms": spread([x["p50_ms"] for x in floor_rounds]),
        "page_p50_ms": spread([x["p50_ms"] for x in page_rounds]),
        "floor_p99_ms": spread([x["p99_ms"] for x in floor_rounds]),
        "page_p99_ms": spread([x["p99_ms"] for x in page_rounds]),
        "floor_cpu_ms": spread([sum(x["cpu_ms"].values()) for x in floor_rounds]),
        "page_cpu_ms": spread([sum(x["cpu_ms"].values()) for x in page_rounds]),
        "throughput_ratio": spread(
            [p["per_second"] / f["per_second"] for f, p in zip(floor_rounds, page_rounds, strict=True)]
        ),
        "p99_ratio": spread(
            [p["p99_ms"] / f["p99_ms"] for f, p in zip(floor_rounds, page_rounds, strict=True)]
        ),
        # The floor's CPU per request over the page's: the throughput ratio of a machine whose cores
        # are saturated by this server, its database and its clients, and nothing else.
        "cpu_ratio": spread(
            [
                sum(f["cpu_ms"].values()) / sum(p["cpu_ms"].values())
                for f, p in zip(floor_rounds, page_rounds, strict=True)
            ]
        ),
        "statuses": {
            name: {
                status: sum(x["statuses"].get(status, 0) for x in values)
                for status in {s for x in values for s in x["statuses"]}
            }
            for name, values in phases.items()
        },
    }


def _cpu(phase: dict) -> str:
    parts = " + ".join(f"{group} {ms:.2f}" for group, ms in phase["cpu_ms"].items())
    return f"{sum(phase['cpu_ms'].values()):.2f} ms ({parts})"


def run_framework(args) -> dict:
    env = django_env("sqlite", args.url, DATA_DIR)
    fresh_database("sqlite", args.url, DATA_DIR)
    migrate(env)  # the bare endpoint touches no table; the settings still name the database
    django_server, django_port = gunicorn_start("config.wsgi:application", env, args.workers, args.threads)
    raw_server, raw_port = gunicorn_start("bench.raw_wsgi:application", env, args.workers, args.threads)
    try:
        wait_for(django_port, django_server, BARE_PATH)
        wait_for(raw_port, raw_server, "/")
        print("framework: raw WSGI app vs bare Django JSON endpoint", flush=True)
        with client_pool(args.clients) as pool:
            result = alternate(
                pool,
                (raw_port, "/", {}, {"server": [raw_server.pid]}),
                (django_port, BARE_PATH, {}, {"server": [django_server.pid]}),
                args.clients,
                args.seconds,
                args.rounds,
                ("raw", "django"),
            )
    finally:
        gunicorn_stop(django_server)
        gunicorn_stop(raw_server)
    return {"scenario": "framework", "floor_name": "raw WSGI", "page_name": "bare Django"} | result


def run_list(args) -> dict:
    env = django_env(args.database, args.url, DATA_DIR)
    print(f"list: fresh {args.database} database, migrate, {args.requests:,} requests …", flush=True)
    fresh_database(args.database, args.url, DATA_DIR)
    migrate(env)
    data = _child_json(env, "setup_list_data", args.requests, args.spread)
    print(
        f"  loaded in {data['load_seconds']:.1f} s; the staff member sees {data['visible_open']:,} open requests",
        flush=True,
    )
    server, port = gunicorn_start("config.wsgi:application", env, args.workers, args.threads)
    headers = {"Authorization": f"Token {data['token']}", "Accept": "application/json"}
    servers = {"server": [server.pid]}
    if args.database == "postgres" and (postgres := postgres_pid(args.url)):
        servers["database"] = [postgres]  # the whole server: its backends, and its own processes
    try:
        wait_for(port, server, BARE_PATH)
        with client_pool(args.clients) as pool:
            result = alternate(
                pool,
                (port, BARE_PATH, {}, servers),
                (port, LIST_PATH, headers, servers),
                args.clients,
                args.seconds,
                args.rounds,
                ("bare", "list"),
            )
    finally:
        gunicorn_stop(server)
    return {
        "scenario": "list",
        "database": args.database,
        "requests": args.requests,
        "spread": args.spread,
        "visible_open": data["visible_open"],
        "load_seconds": data["load_seconds"],
        "path": LIST_PATH,
        "floor_name": "bare Django",
        "page_name": "list API page",
    } | result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=["framework", "list"], required=True)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=200_000, help="rows of the list scenario")
    parser.add_argument(
        "--spread",
        choices=sorted(SPREADS),
        default="even",
        help="list: 10 communities with every status at random (even), or 250 with the last ten days open (city)",
    )
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=5.0, help="per phase")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--url", default=os.environ.get("LIANXIN_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    result = run_framework(args) if args.scenario == "framework" else run_list(args)
    result |= {"clients": args.clients, "workers": args.workers, "threads": args.threads}
    result |= {"rounds": args.rounds, "seconds_per_phase": args.seconds}
    suffix = "" if args.scenario == "framework" else f"-{args.database}"
    out = args.out or ARTIFACTS / f"bench-http-{args.scenario}{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    t, p, c = result["throughput_ratio"], result["p99_ratio"], result["cpu_ratio"]
    print(
        f"{result['page_name']}: {result['page_per_second']['median']:.0f}/s "
        f"(p50 {result['page_p50_ms']['median']:.1f} ms, p99 {result['page_p99_ms']['median']:.1f} ms); "
        f"{result['floor_name']}: {result['floor_per_second']['median']:.0f}/s "
        f"(p50 {result['floor_p50_ms']['median']:.1f} ms, p99 {result['floor_p99_ms']['median']:.1f} ms)\n"
        f"throughput ratio {t['median']:.2f} (spread {t['min']:.2f}–{t['max']:.2f})"
        + (" goal ≥ 0.4" if args.scenario == "list" else "")
        + f"; p99 ratio {p['median']:.2f} (spread {p['min']:.2f}–{p['max']:.2f})"
        + (" goal ≤ 3" if args.scenario == "list" else "")
        + f"\nCPU per request {result['page_cpu_ms']['median']:.2f} ms against "
        f"{result['floor_cpu_ms']['median']:.2f} ms: ratio {c['median']:.2f} (spread {c['min']:.2f}–{c['max']:.2f})"
        + f"\nstatuses {result['statuses']}\nwritten to {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
