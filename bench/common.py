"""Shared pieces of the HTTP and database benchmarks: fresh databases, gunicorn with the production
configuration, a time-bounded keep-alive load client in separate processes, and summaries (median,
spread, percentiles). Nothing here asserts a time."""

import http.client
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def django_env(database: str, url: str, data_dir: Path, settings: str = "bench.performance_settings") -> dict:
    """The environment of a child process (migrate, loader, gunicorn) on the chosen database."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": settings,
            "LIANXIN_DEBUG": "0",
            "LIANXIN_DATA_DIR": str(data_dir),
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("DATABASE_URL", None)
    if database == "postgres":
        env["DATABASE_URL"] = url
    return env


def fresh_database(database: str, url: str, data_dir: Path) -> None:
    """A new empty database: the SQLite file in ``data_dir`` removed, or the PostgreSQL one emptied.

    PostgreSQL: the database is created if missing, its other sessions ended, and its ``public``
    schema dropped and created again. Not DROP DATABASE: that waits for every backend of the server
    to absorb a barrier, minutes on a server busy with a long COPY."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if database == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            (data_dir / f"lianxin.sqlite3{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    parts = urlsplit(url)
    admin, name = urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")
    with psycopg.connect(admin.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        found = conn.execute("SELECT datconnlimit FROM pg_database WHERE datname = %s", [name]).fetchone()
        if found and found[0] == -2:  # left invalid by an interrupted DROP DATABASE
            conn.execute(f'DROP DATABASE "{name}"')
            found = None
        if not found:
            conn.execute(f'CREATE DATABASE "{name}"')
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def migrate(env: dict) -> None:
    subprocess.run(
        [sys.executable, "-m", "lianxin", "migrate", "--no-input", "-v0"], env=env, cwd=ROOT, check=True
    )


# --- gunicorn -------------------------------------------------------------------------------------


def gunicorn_start(app: str, env: dict, workers: int, threads: int) -> tuple[subprocess.Popen, int]:
    """gunicorn with config/gunicorn.conf.py (threaded workers) serving ``app`` on a free port."""
    port = free_port()
    binary = ROOT / ".venv" / "bin" / "gunicorn"
    server = subprocess.Popen(
        [
            str(binary if binary.exists() else "gunicorn"),
            app,
            "--config",
            str(GUNICORN_CONF),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    return server, port


def wait_for(port: int, server: subprocess.Popen, path: str = "/", timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer")


def gunicorn_stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- the load client ------------------------------------------------------------------------------


def _client(job) -> dict:
    port, path, headers, seconds, start_at = job
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    statuses: dict[str, int] = {}
    latencies = []
    while time.perf_counter() < start_at:  # every client starts together
        time.sleep(0.001)
    started, cpu = time.perf_counter(), time.process_time()
    deadline = started + seconds
    while True:
        t0 = time.perf_counter()
        if t0 >= deadline:
            break
        conn.request("GET", path, headers={"Connection": "keep-alive", **headers})
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - t0)
        key = str(response.status)
        statuses[key] = statuses.get(key, 0) + 1
    ended, cpu = time.perf_counter(), time.process_time() - cpu
    conn.close()
    return {"statuses": statuses, "latencies": latencies, "started": started, "ended": ended, "cpu": cpu}


def load_phase(
    pool, port: int, path: str, headers: dict, clients: int, seconds: float, servers: dict | None = None
) -> dict:
    """``clients`` keep-alive connections GET ``path`` for ``seconds``: throughput and latencies, and
    the CPU time each request cost — in the load clients and in each group of ``servers`` (process
    trees: ``{"server": [gunicorn's pid], "database": [PostgreSQL's pid]}``), in ms per request: where
    the machine's time went, server by server."""
    servers = servers or {}
    start_at = time.perf_counter() + 0.2
    before = cpu_seconds(servers)
    results = pool.map(_client, [(port, path, headers, seconds, start_at)] * clients)
    used = {group: spent - before[group] for group, spent in cpu_seconds(servers).items()}
    used["clients"] = sum(r["cpu"] for r in results)
    wall = max(r["ended"] for r in results) - min(r["started"] for r in results)
    latencies = sorted(x for r in results for x in r["latencies"])
    statuses: dict[str, int] = {}
    for result in results:
        for status, n in result["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    return {
        "requests": len(latencies),
        "seconds": wall,
        "per_second": len(latencies) / wall,
        "p50_ms": 1000 * percentile(latencies, 50),
        "p99_ms": 1000 * percentile(latencies, 99),
        "statuses": statuses,
        "cpu_ms": {group: 1000 * spent / max(len(latencies), 1) for group, spent in used.items()},
    }


def client_pool(clients: int):
    return mp.get_context("fork").Pool(clients)


# --- CPU time by process group ------------------------------------------------------------------------


def _processes() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, CPU ticks: its own user + system time and that of the children it has
    reaped), from /proc (Linux; empty elsewhere)."""
    found = {}
    for entry in os.scandir("/proc") if os.path.isdir("/proc") else ():
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            found[int(entry.name)] = (int(fields[1]), sum(int(x) for x in fields[11:15]))
        except (OSError, IndexError, ValueError):  # exited meanwhile, or not readable
            continue
    return found


def cpu_seconds(roots: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds used so far by each group of process trees (``{"server": [gunicorn's pid], …}``):
    every process under the roots, live or exited — an exited child counts through the parent that
    reaped it, so a gunicorn worker recycled during a phase still counts, through its master."""
    processes = _processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _ticks) in processes.items():
        children.setdefault(parent, []).append(pid)
    hz = os.sysconf("SC_CLK_TCK")
    used = {}
    for group, pids in roots.items():
        ticks, stack = 0, [pid for pid in pids if pid in processes]
        while stack:
            pid = stack.pop()
            ticks += processes[pid][1]
            stack.extend(children.get(pid, ()))
        used[group] = ticks / hz
    return used


def postgres_pid(url: str) -> int | None:
    """The PostgreSQL server's main process (the parent of a backend), when it runs on this machine."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
            # Read while the connection is open: a closed connection's backend exits at once.
            with open(f"/proc/{backend}/stat") as f:
                return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, psycopg.Error, IndexError, ValueError):
        return None


# --- summaries ------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[index]


def spread(values: list[float]) -> dict:
    """Median and range of per-round values."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "values": values}
