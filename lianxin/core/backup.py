"""Backups and restores of the whole database (issue 12 item 9).

SQLite is copied through its online backup API (``sqlite3.Connection.backup``): a consistent copy
even while the app writes, never a file copy that could catch a half-written WAL. PostgreSQL goes
through ``pg_dump --format=custom`` and ``pg_restore --clean``. ``scripts/backup_drill.py`` restores
into a fresh database and compares every table's row count and checksum.
"""

import hashlib
import os
import sqlite3
import subprocess
from pathlib import Path

from django.db import connections


def _pg_env(settings_dict: dict) -> dict:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    return env


def backup(target: Path, *, alias: str = "default") -> Path:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    conn = connections[alias]
    if conn.vendor == "sqlite":
        conn.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            conn.connection.backup(destination)
        finally:
            destination.close()
    elif conn.vendor == "postgresql":
        settings_dict = conn.settings_dict
        subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "--file", str(target), settings_dict["NAME"]],
            env=_pg_env(settings_dict),
            check=True,
        )
    else:
        raise NotImplementedError(conn.vendor)
    return target


def restore(source: Path, *, alias: str = "default") -> None:
    """Replace the database's contents with the backup at ``source``."""
    source = Path(source)
    if not source.is_file():
        raise FileNotFoundError(source)
    conn = connections[alias]
    if conn.vendor == "sqlite":
        conn.ensure_connection()
        origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            origin.backup(conn.connection)
        finally:
            origin.close()
    elif conn.vendor == "postgresql":
        settings_dict = conn.settings_dict
        conn.close()
        subprocess.run(
            [
                "pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                "--dbname", settings_dict["NAME"], str(source),
            ],
            env=_pg_env(settings_dict),
            check=True,
        )  # fmt: skip
    else:
        raise NotImplementedError(conn.vendor)


def table_fingerprints(alias: str = "default") -> dict[str, tuple[int, str]]:
    """Every table's row count and a SHA-256 of its rows in primary-key order (for the drill)."""
    conn = connections[alias]
    result = {}
    with conn.cursor() as cursor:
        for table in sorted(conn.introspection.table_names(cursor)):
            quoted = conn.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted} WHERE 1 = 0")  # noqa: S608 (names from introspection)
            order = ", ".join(str(i) for i in range(1, len(cursor.description) + 1))
            cursor.execute(f"SELECT * FROM {quoted} ORDER BY {order}")  # noqa: S608
            digest, count = hashlib.sha256(), 0
            for row in cursor.fetchall():
                digest.update(repr(tuple(_stable(v) for v in row)).encode())
                count += 1
            result[table] = (count, digest.hexdigest())
    return result


def _stable(value):
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    return value
