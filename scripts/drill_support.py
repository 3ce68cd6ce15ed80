"""Shared by the security drills: a throwaway database with the demo city, and the demo users."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/lx_drill"


def throwaway_database(database: str, name: str) -> Path:
    """Point Django at a brand-new, migrated database holding the demo city; returns the work dir."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    os.environ["LIANXIN_DEBUG"] = "0"
    workdir = Path(tempfile.gettempdir()) / f"lianxin-drill-{name}-{database}"
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ["LIANXIN_DATA_DIR"] = str(workdir)
    if database == "postgres":
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith("postgres"):
            url = DEFAULT_PG
        os.environ["DATABASE_URL"] = url
        import dj_database_url
        import psycopg

        config = dj_database_url.parse(url)
        admin = psycopg.connect(
            dbname="postgres",
            user=config.get("USER") or None,
            host=config.get("HOST") or None,
            port=config.get("PORT") or None,
            autocommit=True,
        )
        with admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{config["NAME"]}"')
    else:
        os.environ.pop("DATABASE_URL", None)
        for suffix in ("", "-wal", "-shm"):
            (workdir / f"lianxin.sqlite3{suffix}").unlink(missing_ok=True)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from lianxin.core import demo

    demo.build_demo_city(scale="demo")
    return workdir


def users_by_role_and_community():
    """{role: {community path: user}} for the demo's community-level logins, and the officers."""
    from lianxin.accounts.models import RoleAssignment
    from lianxin.core import tree

    result: dict = {}
    width = 4 * tree.SEGMENT
    for assignment in RoleAssignment.objects.filter(ended_at__isnull=True).select_related("user", "place"):
        key = assignment.place.path[:width] if len(assignment.place.path) >= width else assignment.place.path
        result.setdefault(assignment.role, {}).setdefault(key, assignment.user)
    return result
