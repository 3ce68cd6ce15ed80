"""Production: PostgreSQL via DATABASE_URL, secrets from the environment, HTTPS assumed."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool

SECRET_KEY = os.environ.get("LIANXIN_SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("LIANXIN_SECRET_KEY must be set to a random string of at least 50 characters.")
DEMO_MODE = False
DEBUG = False

SECURE_SSL_REDIRECT = env_bool("LIANXIN_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# __Host- cookies: HTTPS only, this host only, whole site (no Domain attribute can widen them).
SESSION_COOKIE_NAME = "__Host-lx_session"
CSRF_COOKIE_NAME = "__Host-lx_csrf"
# Issue 12: two-factor sign-in for staff and administrators, staff passwords rotated every 90 days.
LIANXIN_REQUIRE_2FA = env_bool("LIANXIN_REQUIRE_2FA", True)
LIANXIN_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("LIANXIN_PASSWORD_MAX_AGE_DAYS", "90"))
SECURE_HSTS_SECONDS = int(os.environ.get("LIANXIN_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("LIANXIN_HSTS_PRELOAD", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
