"""Settings of the sweep benchmark (bench/appeals_sweep.py): the dev settings with DEBUG off and the
production task queue (django_tasks_db), so that notification deliveries are enqueued as rows, as in
production, instead of being run in the sweep's own process."""

from config.settings.dev import *  # noqa: F403

DEBUG = False
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
