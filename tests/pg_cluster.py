"""A PostgreSQL primary with a streaming replica on loopback, for the scale-out tests (issue 13).

``pg_cluster`` (session scope) runs ``initdb`` (as the ``postgres`` OS user when the tests run as
root), starts the primary with ``wal_level=replica`` on a free port, clones it with
``pg_basebackup -R`` (which writes the standby configuration), starts the replica on another free
port, waits until ``pg_stat_replication`` shows it streaming, yields both URLs and stops both.

Each xdist worker that needs it builds its own cluster in its own temporary directory on its own
ports, so parallel runs never share one. It skips, saying why, when the run is not on PostgreSQL
(DATABASE_URL unset) or the server binaries are missing.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("LIANXIN_PG_BIN", "/usr/lib/postgresql/15/bin"))


@dataclass
class Cluster:
    primary_url: str
    replica_url: str
    primary_port: int
    replica_port: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _run(argv: list[str], **kwargs) -> None:
    subprocess.run(_as_postgres(argv), check=True, capture_output=True, timeout=120, **kwargs)


def _psql_value(port: int, sql: str) -> str:
    out = subprocess.run(
        [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "postgres"]
        + ["-Atc", sql],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return out.stdout.strip()


def skip_reason() -> str | None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return "scale-out tests need PostgreSQL: set DATABASE_URL (the PostgreSQL pass of .ci/run does)"
    for tool in ("initdb", "pg_ctl", "pg_basebackup", "psql"):
        if not (PG_BIN / tool).exists():
            return f"PostgreSQL server binaries not found in {PG_BIN} ({tool}); set LIANXIN_PG_BIN"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root but runuser is missing (initdb must run as the postgres user)"
    return None


def start_cluster(root: Path) -> tuple[Cluster, callable]:
    primary_dir, replica_dir = root / "primary", root / "replica"
    primary_port, replica_port = free_port(), free_port()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    root.chmod(0o700)
    _run(
        [
            str(PG_BIN / "initdb"),
            "-D",
            str(primary_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]
    )
    settings = (
        "listen_addresses = '127.0.0.1'\n"
        f"port = {primary_port}\n"
        f"unix_socket_directories = '{root}'\n"
        "wal_level = replica\nmax_wal_senders = 4\nfsync = off\nsynchronous_commit = on\n"
        "shared_buffers = 32MB\nmax_connections = 40\n"
    )
    with open(primary_dir / "postgresql.conf", "a") as conf:
        conf.write(settings)
    with open(primary_dir / "pg_hba.conf", "a") as hba:
        hba.write("host replication postgres 127.0.0.1/32 trust\n")
    started: list[Path] = []

    def stop():
        for data in reversed(started):
            subprocess.run(
                _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(root, ignore_errors=True)

    try:
        _run([str(PG_BIN / "pg_ctl"), "-D", str(primary_dir), "-l", str(root / "primary.log"), "-w", "start"])
        started.append(primary_dir)
        _run(
            [str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres"]
            + ["-D", str(replica_dir), "-R", "-X", "stream", "-c", "fast", "--no-sync"]
        )
        with open(replica_dir / "postgresql.conf", "a") as conf:
            conf.write(f"port = {replica_port}\nhot_standby = on\n")
        _run([str(PG_BIN / "pg_ctl"), "-D", str(replica_dir), "-l", str(root / "replica.log"), "-w", "start"])
        started.append(replica_dir)
        deadline = time.monotonic() + 30
        while (
            _psql_value(primary_port, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
            != "1"
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("the replica did not start streaming within 30 s")
            time.sleep(0.1)
        assert _psql_value(replica_port, "SELECT pg_is_in_recovery()") == "t"
    except BaseException:
        stop()
        raise
    cluster = Cluster(
        primary_url=f"postgres://postgres@127.0.0.1:{primary_port}/postgres",
        replica_url=f"postgres://postgres@127.0.0.1:{replica_port}/postgres",
        primary_port=primary_port,
        replica_port=replica_port,
    )
    return cluster, stop


@pytest.fixture(scope="session")
def pg_cluster():
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    for attempt in range(3):
        root = Path(tempfile.mkdtemp(prefix="lx-pgcluster-"))
        try:
            cluster, stop = start_cluster(root)
            break
        except subprocess.CalledProcessError:
            # Another process may have taken a port between choosing it and binding it: try others.
            if attempt == 2:
                raise
    try:
        yield cluster
    finally:
        stop()
