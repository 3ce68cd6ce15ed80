"""The embedded default: SQLite (WAL) in ./data, demo logins on. Used by `make demo`."""

import os

from .base import *  # noqa: F403
from .base import DATA_DIR

DEBUG = os.environ.get("LIANXIN_DEBUG", "1") == "1"
DEMO_MODE = True
SECRET_KEY = os.environ.get("LIANXIN_SECRET_KEY") or "dev-only-not-for-production-8f1c0b"
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = DATA_DIR / "mail"
# The demo runs without a worker process: tasks run in-process right after commit.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# runserver serves static files itself while DEBUG is on; whitenoise (finders) when it is off.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
LIANXIN_FIELD_KEYS_FROM_FILE = True
