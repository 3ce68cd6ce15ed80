"""Settings shared by every environment. Everything secret or site-specific comes from the environment."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(os.environ.get("LIANXIN_DATA_DIR", BASE_DIR / "data")).resolve()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("LIANXIN_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = env_list("LIANXIN_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("LIANXIN_CSRF_TRUSTED_ORIGINS")

# Demo mode prints and accepts the well-known demo logins. Never on in production.
DEMO_MODE = False

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "lianxin.core",
    "lianxin.accounts",
    "lianxin.places",
    "lianxin.registry",
    "lianxin.imports",
    "lianxin.appeals",
    "lianxin.visits",
    "lianxin.branch",
    "lianxin.assistance",
    "lianxin.decisions",
    "lianxin.disclosure",
    "lianxin.performance",
    "lianxin.disputes",
    "lianxin.cobuilding",
    "lianxin.elections",
    "lianxin.governance",
    "lianxin.web",
    "lianxin.api",
]

MIDDLEWARE = [
    "lianxin.core.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "lianxin.core.headers.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lianxin.core.replicas.ReplicaRoutingMiddleware",
    "lianxin.accounts.security.SessionSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lianxin.web.context_processors.shell",
            ],
        },
    },
]


def database_from_url(url: str) -> dict:
    """A connection from its URL, persistent (LIANXIN_DB_CONN_MAX_AGE); on PostgreSQL with the session
    settings of docs/decisions/0005: random_page_cost for data on SSD or in memory
    (LIANXIN_DB_RANDOM_PAGE_COST, default 1.1; empty leaves the server's)."""
    config = dj_database_url.parse(url, conn_max_age=int(os.environ.get("LIANXIN_DB_CONN_MAX_AGE", "60")))
    cost = os.environ.get("LIANXIN_DB_RANDOM_PAGE_COST", "1.1")
    if cost and "postgresql" in config["ENGINE"]:
        try:
            value = float(cost)
        except ValueError:
            raise ImproperlyConfigured(
                f"LIANXIN_DB_RANDOM_PAGE_COST must be a number, not {cost!r}"
            ) from None
        options = config.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c random_page_cost={value}".strip()
    return config


def database_from_env() -> dict:
    """DATABASE_URL selects PostgreSQL (production); the embedded default is SQLite in WAL mode."""
    url = os.environ.get("DATABASE_URL")
    if url:
        config = database_from_url(url)
        config.setdefault("TEST", {})
        if os.environ.get("LIANXIN_TEST_DB_NAME"):
            config["TEST"]["NAME"] = os.environ["LIANXIN_TEST_DB_NAME"]
        return config
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "lianxin.sqlite3",
        # Keep a connection per worker thread between requests: opening one (and running the PRAGMAs)
        # per request halved the ballot endpoint's throughput (bench/performance_ballots.py).
        "CONN_MAX_AGE": int(os.environ.get("LIANXIN_DB_CONN_MAX_AGE", "60")),
        "OPTIONS": {
            # IMMEDIATE takes the write lock at BEGIN: concurrent writers queue instead of failing.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=20000;"
            ),
        },
    }


def replicas_from_env() -> dict:
    """LIANXIN_REPLICA_URLS (comma-separated PostgreSQL URLs of streaming replicas) → ``replica_1`` …
    Reads go there only where a view opts in (lianxin.core.replicas); with none, nothing changes."""
    replicas = {}
    for number, url in enumerate(env_list("LIANXIN_REPLICA_URLS"), start=1):
        config = database_from_url(url)
        # A replica is a physical copy of the primary: the test run has no database of its own for it.
        config["TEST"] = {"MIRROR": "default"}
        # A replica that does not answer quickly is skipped (the primary answers instead).
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
        replicas[f"replica_{number}"] = config
    return replicas


DATABASES = {"default": database_from_env(), **replicas_from_env()}
DATABASE_ROUTERS = ["lianxin.core.dbrouter.PrimaryReplicaRouter"]
# Replicas further behind the primary than this are not read from (the primary answers instead).
LIANXIN_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("LIANXIN_REPLICA_MAX_LAG_SECONDS", "5"))
# After a write, the same browser reads from the primary for this long (read-after-write).
LIANXIN_REPLICA_PIN_SECONDS = int(os.environ.get("LIANXIN_REPLICA_PIN_SECONDS", "10"))
# URL names whose requests read from a replica (dashboards, reports, exports); writes stay on the primary.
LIANXIN_REPLICA_READ_URLS = env_list(
    "LIANXIN_REPLICA_READ_URLS",
    "request_dashboard,request_export,assistance_reports,assistance_export,visit_coverage_export,"
    "disclosure_late_export,disputes_metrics_export,performance_reports",
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "lianxin.accounts.validators.ContextWordsValidator"},
]
# Sign-in security (issue 12; lianxin.accounts.security). Lockout is keyed on login name + address.
AUTHENTICATION_BACKENDS = ["lianxin.accounts.security.LockoutModelBackend"]
LIANXIN_LOGIN_MAX_FAILURES = 5
LIANXIN_LOGIN_FAILURE_WINDOW_MINUTES = 15
LIANXIN_LOGIN_LOCKOUT_MINUTES = 30
# Reverse proxies in front of the app that append to X-Forwarded-For (0: use REMOTE_ADDR).
LIANXIN_TRUSTED_PROXIES = int(os.environ.get("LIANXIN_TRUSTED_PROXIES", "0"))
LIANXIN_SESSION_IDLE_SECONDS = 30 * 60
LIANXIN_SESSION_IDLE_ADMIN_SECONDS = 15 * 60
LIANXIN_SESSION_ABSOLUTE_SECONDS = 12 * 3600
# Staff and administrators must change a password older than this many days (0: never).
LIANXIN_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("LIANXIN_PASSWORD_MAX_AGE_DAYS", "0"))
# Two-factor sign-in (TOTP) for staff and administrators; on in production.
LIANXIN_REQUIRE_2FA = env_bool("LIANXIN_REQUIRE_2FA", False)
# PostgreSQL: the kept statements of lianxin.core.statements run as prepared statements with generic
# plans (planned once per connection), on persistent connections only (CONN_MAX_AGE 0, the setting
# behind a transaction pooler, turns them off too). 0 turns them off.
LIANXIN_DB_PREPARED = env_bool("LIANXIN_DB_PREPARED", True)
# Audit entries are kept at least this many days (never fewer than 184: MLPS 2.0 level 3).
LIANXIN_AUDIT_RETENTION_DAYS = int(os.environ.get("LIANXIN_AUDIT_RETENTION_DAYS", "184"))
# Exports: longer lists need another person's approval; each person may export so many times an hour.
LIANXIN_EXPORT_APPROVAL_ROWS = int(os.environ.get("LIANXIN_EXPORT_APPROVAL_ROWS", "200"))
LIANXIN_EXPORT_RATE_PER_HOUR = int(os.environ.get("LIANXIN_EXPORT_RATE_PER_HOUR", "20"))
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "lianxin" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("LIANXIN_STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("LIANXIN_MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "/media/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "lianxin.api.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "lianxin.api.negotiation.ContentNegotiation",
    "DEFAULT_RENDERER_CLASSES": [
        "lianxin.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "lianxin.api.pagination.Pages",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "lianxin.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lianxin API",
    "DESCRIPTION": "连心桥 community governance platform, version 1.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "kind" or "status": give each choice set its own schema name.
    "ENUM_NAME_OVERRIDES": {
        "PlaceKindEnum": "lianxin.places.models.PlaceKind",
        "OrgKindEnum": "lianxin.places.models.OrgKind",
        "DifficultyKindEnum": "lianxin.registry.models.Difficulty",
        "MemberKindEnum": "lianxin.registry.models.MemberKind",
        "ImportKindEnum": "lianxin.imports.models.ImportKind",
        "TodoStatusEnum": "lianxin.core.models.TodoStatus",
        "MemberStatusEnum": "lianxin.registry.models.MemberStatus",
        "TransferStatusEnum": "lianxin.registry.models.TransferStatus",
        "ImportStatusEnum": "lianxin.imports.models.ImportStatus",
        "VisitKindEnum": "lianxin.visits.models.VisitKind",
        "VisitContactEnum": "lianxin.visits.models.Contact",
        "RequestChannelEnum": "lianxin.appeals.models.Channel",
        "RequestStatusEnum": "lianxin.appeals.models.RequestStatus",
        "RequestRatingEnum": "lianxin.appeals.models.Rating",
        "OrgRatingClassEnum": "lianxin.places.models.Rating",
        "RequestHandlerKindEnum": "lianxin.appeals.models.HandlerKind",
        "RequestLinkKindEnum": "lianxin.appeals.models.LinkKind",
        "RequestEventKindEnum": "lianxin.appeals.models.EventKind",
        "MeetingStatusEnum": "lianxin.branch.models.MeetingStatus",
        "VisitCauseEnum": "lianxin.branch.models.VisitCause",
        "VisitTaskStatusEnum": "lianxin.branch.models.VisitTaskStatus",
        "RecruitStageEnum": "lianxin.branch.models.RecruitStage",
        "ReserveStageEnum": "lianxin.branch.models.ReserveStage",
        "PostHoldingStatusEnum": "lianxin.branch.models.PostHoldingStatus",
        "HardshipStatusEnum": "lianxin.branch.models.HardshipStatus",
        "OrgFieldEnum": "lianxin.places.models.OrgField",
        "ContactChainLevelEnum": "lianxin.governance.models.ChainLevel",
        "ElectionRoundOutcomeEnum": "lianxin.elections.models.RoundOutcome",
        "AccountabilityOutcomeEnum": "lianxin.performance.models.CaseOutcome",
        "RollupLevelEnum": ["district", "subdistrict", "community"],
        # Assistance steps and dispute escalation share these levels (and their labels).
        "PlaceLevelEnum": "lianxin.disputes.models.Level",
    },
}

# The queue lives in the primary database: every node's `lianxin db_worker` claims rows with
# SELECT … FOR UPDATE SKIP LOCKED, so any number of workers on any number of nodes run each task once.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def cache_from_env() -> dict:
    """LIANXIN_CACHE_URL: ``redis://host:6379/0`` (shared by every app node), ``db`` (a table in the
    database; run ``lianxin createcachetable``) or unset (per-process memory: one node only)."""
    url = os.environ.get("LIANXIN_CACHE_URL", "").strip()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": "lx"}
    if url == "db":
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "lianxin_cache"}
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


CACHES = {"default": cache_from_env()}
# Sessions: in the database (default; every node behind the same database shares them), or
# ``cache`` / ``cached_db`` with a shared LIANXIN_CACHE_URL (Redis).
SESSION_ENGINE = {
    "db": "django.contrib.sessions.backends.db",
    "cache": "django.contrib.sessions.backends.cache",
    "cached_db": "django.contrib.sessions.backends.cached_db",
}[os.environ.get("LIANXIN_SESSION_STORE", "db")]

EMAIL_BACKEND = os.environ.get("LIANXIN_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("LIANXIN_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("LIANXIN_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("LIANXIN_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("LIANXIN_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("LIANXIN_EMAIL_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("LIANXIN_FROM_EMAIL", "lianxin@localhost")

# Channels a notification goes out on besides the in-app inbox (see lianxin.core.notifications).
LIANXIN_NOTIFICATION_CHANNELS = ["lianxin.core.notifications.EmailChannel"]

# Sweeps `lianxin tick` runs after its own (dotted paths of functions taking today=…).
LIANXIN_TICK_HANDLERS: list[str] = [
    "lianxin.accounts.security.throttles_purge",
    "lianxin.registry.transfers.transfers_expire",
    "lianxin.visits.services.visits_remind",
    "lianxin.appeals.services.requests_sweep",
    "lianxin.branch.services.visit_tasks_sweep",
    "lianxin.branch.services.compliance_remind",
    "lianxin.performance.services.performance_cases",
    "lianxin.assistance.services.payments_remind",
    "lianxin.elections.services.terms_remind",
]

# Residents' requests (D4): attachment size cap, and how many working days past its deadline an
# overdue request goes up from the community secretary to the subdistrict.
LIANXIN_REQUEST_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
LIANXIN_REQUEST_ESCALATE_AFTER_DAYS = 2

# How long a membership-transfer introduction letter (介绍信) stays valid, in calendar days.
LIANXIN_TRANSFER_LETTER_VALID_DAYS = 90

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "lianxin.core.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LIANXIN_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Field-encryption keys come from the environment (lianxin.core.crypto); demo installs may keep
# generated keys in the data directory instead.
LIANXIN_FIELD_KEYS_FROM_FILE = False
