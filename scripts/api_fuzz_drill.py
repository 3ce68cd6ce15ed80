#!/usr/bin/env python
"""Schemathesis over the OpenAPI schema against a throwaway database (issue 12 item 10): 0 server errors.

    pip install schemathesis        # in any virtualenv; the drill finds `st` on PATH or takes --st
    python scripts/api_fuzz_drill.py --database sqlite [--examples 8] [--max-time 900]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lx_drill python scripts/api_fuzz_drill.py --database postgres

A throwaway database gets the demo city; the app runs on a local port; a token is issued to the
community secretary of the first demo community (who may write almost everywhere in the community) and
Schemathesis generates positive and negative requests for every operation in /api/schema/, checking
only that no answer is a server error (5xx). Its summary is printed; the exit status is Schemathesis'.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from drill_support import ROOT, throwaway_database, users_by_role_and_community  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--examples", type=int, default=8, help="test cases per operation")
    parser.add_argument("--max-time", type=int, default=1200, help="seconds for the whole run")
    parser.add_argument("--st", default=shutil.which("st") or "st", help="the schemathesis command")
    args = parser.parse_args(argv)
    import logging

    logging.disable(logging.ERROR)
    workdir = throwaway_database(args.database, "fuzz")
    from django.db import connections
    from rest_framework.authtoken.models import Token

    secretary = next(iter(users_by_role_and_community()["community_secretary"].values()))
    token = Token.objects.get_or_create(user=secretary)[0].key
    connections.close_all()
    port = free_port()
    env = {**os.environ, "LIANXIN_DATA_DIR": str(workdir)}
    log = open(workdir / "server.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "lianxin", "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        schema_path = workdir / "schema.json"
        request = urllib.request.Request(
            f"{base}/api/schema/?format=json", headers={"Authorization": f"Token {token}"}
        )
        schema = json.load(urllib.request.urlopen(request))
        schema_path.write_text(json.dumps(schema))
        operations = sum(len(item) for item in schema["paths"].values())
        print(
            f"{len(schema['paths'])} paths, {operations} operations; fuzzing as {secretary.username}",
            flush=True,
        )
        command = [
            args.st,
            "run",
            str(schema_path),
            "--url",
            base,
            "-H",
            f"Authorization: Token {token}",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            str(args.examples),
            "--max-time",
            str(args.max_time),
            "--workers",
            "2",
            "--seed",
            "12",
            "--continue-on-failure",
        ]
        result = subprocess.run(command, cwd=workdir, check=False)
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
    from django.db import connection

    print(
        f"{connection.vendor}: schemathesis exit status {result.returncode} in {time.perf_counter() - started:.0f} s"
    )
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
