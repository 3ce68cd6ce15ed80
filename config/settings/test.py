"""The test suite: SQLite in memory unless DATABASE_URL points at PostgreSQL."""

from .base import *  # noqa: F403

SECRET_KEY = "test-only-secret"
DEMO_MODE = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    # The real queue, for the multi-worker test (tests/test_scaleout_workers.py).
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend"},
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

# No collected static files in tests; the live server serves them from the apps.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405

# Fixed, public test keys: never valid anywhere else.
LIANXIN_FIELD_KEYRING = {
    "keys": {
        "t1": "dGVzdC1rZXktb25lLW5vdC1zZWNyZXQtMzJieXRlcyE=",
        "t2": "dGVzdC1rZXktdHdvLW5vdC1zZWNyZXQtMzJieXRlcyE=",
    },
    "current": "t2",
    "lookup": "dGVzdC1sb29rdXAta2V5LW5vdC1zZWNyZXQtMzJieXQ=",
}

# Every reuse of a kept SQL statement (lianxin.core.statements) is checked against a fresh compile:
# a cache key that misses an input fails the suite.
LIANXIN_STATEMENTS_VERIFY = True
