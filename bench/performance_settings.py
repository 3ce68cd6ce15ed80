"""Settings of the ballot benchmark (bench/performance_ballots.py): the demo/dev settings with DEBUG
off, plus one URLconf that adds a bare endpoint next to the real ones.

LIANXIN_BENCH_SQLITE_CONN_MAX_AGE (set by --sqlite-conn-max-age) tries the change proposed for the
shared settings: persistent SQLite connections. Unset, the settings are exactly the project's."""

import os

from config.settings.dev import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench.performance_urls"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
if os.environ.get("LIANXIN_BENCH_SQLITE_CONN_MAX_AGE") and "sqlite" in DATABASES["default"]["ENGINE"]:  # noqa: F405
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["LIANXIN_BENCH_SQLITE_CONN_MAX_AGE"])  # noqa: F405
