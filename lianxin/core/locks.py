"""Cluster-wide locks for work that one node at a time should do (issue 13).

``lianxin tick`` runs from cron or a systemd timer on every app node; on PostgreSQL the sweep takes a
session advisory lock first, so when two nodes start it at the same moment one sweeps and the other
returns at once. (Each sweep is idempotent on its own as well: compare-and-set on the row and a
dedupe key on the notification, so even overlapping sweeps send nothing twice.) SQLite serves one
machine only and its writers queue on the database lock, so no lock is taken there.
"""

import zlib
from contextlib import contextmanager

from django.db import connection

TICK_LOCK = "lianxin:tick"


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock (crc32 of the name, never Python's hash)."""
    return zlib.crc32(name.encode())


@contextmanager
def cluster_lock(name: str):
    """Yields True when this process holds the lock (or no lock is needed), False when another
    session holds it."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = lock_key(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
