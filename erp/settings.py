"""Settings for the ERP monolith, read from the environment (see .env.example).

Grouped so each integration is found in one place: core Django, tenancy, database, cache, Celery, REST framework,
logging. Local defaults are safe for a developer laptop; production sets every variable.
"""

import secrets
import sys
from datetime import timedelta
from pathlib import Path
from typing import NoReturn

import environ
from django.core.exceptions import ImproperlyConfigured
from throttled.exceptions import DataError
from throttled.rate_limiter import quota_parser

from cells.config import parse_cells

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -------------------------------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
# Signs sessions, CSRF tokens, password-reset and support links, and the API's JWTs (access.jwt_keys). No default:
# with DEBUG off, start-up stops unless it is set, long and unpublished. Rotate it by moving the old key to
# SECRET_KEY_FALLBACKS (comma-separated): what the old key signed stays valid until the fallback is dropped.
SECRET_KEY = env.str("SECRET_KEY", default="")
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
# Every key this repository ever shipped as a default or example: anyone can sign sessions and tokens with them.
PUBLISHED_SECRET_KEYS = frozenset(
    {
        "dev-only-insecure-key-change-me-in-production",
        "dev-only-insecure-key-change-me",
        "compose-local-only-change-me",
        "collectstatic-only-not-a-secret",
        "change-me",
    }
)
if not SECRET_KEY and DEBUG:
    # Local work without a key: a random one per process (sessions and tokens end when it restarts).
    SECRET_KEY = secrets.token_urlsafe(50)


def _refuse_to_start(message: str) -> NoReturn:
    """Stop start-up with `message` as the one line printed (manage.py, celery), not a traceback through Django's
    settings machinery; a server that catches and logs the exception (gunicorn) still ends with the line."""
    previous_hook = sys.excepthook

    def one_line(kind, value, traceback):
        if kind is ImproperlyConfigured:
            print(f"ImproperlyConfigured: {value}", file=sys.stderr)
        else:
            previous_hook(kind, value, traceback)

    sys.excepthook = one_line
    raise ImproperlyConfigured(message)


for _name, _key in [("SECRET_KEY", SECRET_KEY), *(("SECRET_KEY_FALLBACKS", key) for key in SECRET_KEY_FALLBACKS)]:
    _new_key = "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    if _key in PUBLISHED_SECRET_KEYS:
        _refuse_to_start(f"{_name} holds a default published in this repository; set a new one: {_new_key}")
    if not DEBUG and (len(_key) < 50 or len(set(_key)) < 5 or _key.startswith("django-insecure-")):
        _what = "is not set" if not _key else f"is too weak ({len(_key)} characters)"
        _refuse_to_start(f"{_name} {_what}; with DEBUG off it needs 50+ random characters: {_new_key}")
BASE_DOMAIN = env("BASE_DOMAIN", default="localhost").lower()
PUBLIC_PORT = env.int("PUBLIC_PORT", default=None)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[BASE_DOMAIN, f".{BASE_DOMAIN}", "127.0.0.1"])
# Served over HTTPS only (the default with DEBUG off): secure cookies, HSTS, plain http redirected to https. Behind a
# proxy that ends TLS, the proxy must set X-Forwarded-Proto, replacing any the client sent (tenants/edge.py's nginx
# does). Only local plain-http stacks turn it off: `make run` and the tests (erp/settings_test.py).
HTTPS_ONLY = env.bool("HTTPS_ONLY", default=not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = HTTPS_ONLY
# Django's database sessions, each read by a prepared statement (access.sessions): same table, same data.
SESSION_ENGINE = "access.sessions"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Load balancers probe over plain http.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS_ONLY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY  # every tenant is a subdomain of BASE_DOMAIN
# Asking browsers to hard-code the domain as HTTPS-only is the operator's decision (hstspreload.org), not a default.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# The operations admin and every tenant host, with the port tenant URLs show (PUBLIC_PORT) when there is one.
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS",
    default=[
        f"{'https' if HTTPS_ONLY else 'http'}://{host}{port}"
        for host in (BASE_DOMAIN, f"*.{BASE_DOMAIN}")
        for port in ("", *([f":{PUBLIC_PORT}"] if PUBLIC_PORT else []))
    ],
)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ROOT_URLCONF = "erp.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "erp.urls_public"
WSGI_APPLICATION = "erp.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Sign-in limits (access.signin): checked before any password is hashed. ModelBackend stays listed for sessions it
# signed in; SignInLimitBackend never lets a failed sign-in fall through to it.
AUTHENTICATION_BACKENDS = ["access.signin.SignInLimitBackend", "django.contrib.auth.backends.ModelBackend"]
# Failed sign-ins per tenant + username and per tenant + client address before a lock; the first lock's seconds,
# doubled at each failure after it, up to the maximum; failures are forgotten this long after the last one.
SIGNIN_FAILURES_PER_USER = env.int("SIGNIN_FAILURES_PER_USER", default=5)
SIGNIN_FAILURES_PER_ADDRESS = env.int("SIGNIN_FAILURES_PER_ADDRESS", default=20)
SIGNIN_LOCK_SECONDS = env.int("SIGNIN_LOCK_SECONDS", default=30)
SIGNIN_LOCK_MAX_SECONDS = env.int("SIGNIN_LOCK_MAX_SECONDS", default=3600)
SIGNIN_FAILURE_WINDOW_SECONDS = env.int("SIGNIN_FAILURE_WINDOW_SECONDS", default=3600)
# Passwords of one tenant hashed at once (each PBKDF2 check holds a worker and a core for 0.5-1.4 s); more: refused.
SIGNIN_CONCURRENT_HASHES = env.int("SIGNIN_CONCURRENT_HASHES", default=1)
# Proxies (addresses or networks) whose X-Forwarded-For names the client: the nginx edge on loopback by default.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.1", "::1"])

# --- Tenancy (django-tenants) ------------------------------------------------------------------------------------
# `tenants` precedes `django_tenants` so our `create_tenant` command (fast provisioning) wins over the stock one.
SHARED_APPS = [
    "tenants",
    "django_tenants",
    "fleet",  # fleet operations (public tables): migration runs, backups, offboarding, fan-out, ops report
    "support",  # read-only support sessions (public tables)
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # GinIndex (custom fields), lookups
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",  # request.htmx and the vendored htmx script ({% htmx_script %}): pickers and line editors
    "core",  # shared helpers, abstract models and templates only: no tables, no migrations
    "cells",  # the database servers tenants live on (control plane tables)
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "customfields",  # tenant-defined fields of items, partners and orders (definitions; values live on the records)
    "inventory",
    "production",
    "planning",
    "orders",
    "access",
    "audit",
    "dashboard",  # the tenant home page: reads the business apps, so it comes after them
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]
TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# The control plane's tables stay there while a thread serves a tenant of another cell (cells.routers).
DATABASE_ROUTERS = ["cells.routers.ControlPlaneRouter", "django_tenants.routers.TenantSyncRouter"]
# Set the search path once per schema switch instead of before every query.
TENANT_LIMIT_SET_CALLS = True
# Provisioning copies this migrated template schema; it is never a tenant and never routed to.
TENANT_TEMPLATE_SCHEMA = "_tenant_template"
# Schemas pre-built from the template so provisioning is a rename (see tenants.schema_template).
TENANT_SPARE_SCHEMAS = env.int("TENANT_SPARE_SCHEMAS", default=3)
# Second isolation layer: each tenant schema is reachable only by its own PostgreSQL role, which requests, tasks and
# commands running as that tenant switch to (tenants.db_roles, erp.db_backend). The login role must be able to create
# roles (superuser or CREATEROLE).
TENANT_DB_ROLES = env.bool("TENANT_DB_ROLES", default=True)
# Shared tables a tenant role may read (the tenant's own registry rows are loaded before the switch; these are read
# by code running as a tenant).
TENANT_DB_ROLE_PUBLIC_READ = ["tenants_tenant", "tenants_domain"]
# Tables of its own schema on which a tenant role gets less than SELECT, INSERT, UPDATE, DELETE: what it gets instead.
# Stock moves are posted only through inventory_post_move() (SECURITY DEFINER), so on_hand changes only with a move
# (a level row the role inserts starts empty: inventory/migrations/0005); audit entries are append-only.
TENANT_DB_ROLE_TABLE_PRIVILEGES = {
    "inventory_stockmove": "SELECT",
    "inventory_stocklevel": "SELECT, INSERT, UPDATE (reserved)",
    "audit_auditentry": "SELECT, INSERT",
    # The value ledger only grows; the running value per item is upserted by the statement that posts a move.
    "inventory_valuationentry": "SELECT, INSERT",
    "inventory_itemvaluation": "SELECT, INSERT, UPDATE",
}
# `migrate_schemas` skips registry rows whose schema no longer exists (archived tenants); see fleet.executors.
GET_EXECUTOR_FUNCTION = "fleet.executors.get_executor"
# Where `tenant_archive` writes a tenant's backup before dropping its schema.
TENANT_ARCHIVE_DIR = env.path("TENANT_ARCHIVE_DIR", default=BASE_DIR / ".data" / "archives")
# Support sessions (support app): minutes a read-only support session lasts, seconds its one-time link is valid.
SUPPORT_SESSION_MINUTES = env.int("SUPPORT_SESSION_MINUTES", default=30)
SUPPORT_LINK_SECONDS = env.int("SUPPORT_LINK_SECONDS", default=60)
TENANT_RESERVED_SLUGS = frozenset(
    {"public", "www", "admin", "api", "static", "media", "mail", "app", "template", "information", "postgres"}
)

MIDDLEWARE = [
    # Oversized bodies and NUL characters refused first; a statement timeout per request (erp.http_limits).
    "erp.http_limits.RequestLimitsMiddleware",
    "tenants.middleware.TenantRoutingMiddleware",
    # Writes to a tenant that is moving between cells: 503 + Retry-After, reads go on (cells.middleware).
    "cells.middleware.TenantFreezeMiddleware",
    # Per-tenant request, error and latency meters: one pipelined Redis round trip, no database write (fleet.meters).
    "fleet.meters.TenantMetersMiddleware",
    # Over-limit API requests get their 429 here, before sessions, authentication and DRF (access.ratelimit).
    "access.middleware.EarlyThrottleMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A support session (support app) reads as a read-only support user; every write is refused and recorded.
    "support.middleware.SupportSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx: a picker or line editor asking for a fragment
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "access.permissions.roles",
                "support.context_processors.support_context",
            ],
            # Every template's {% url %} remembers its answers per process, the same text (core.templatetags.cached_url)
            "builtins": ["core.templatetags.cached_url"],
        },
    },
]
# Plain inputs and empty error lists rendered in Python, the same HTML (a line editor's 300 widgets: core.form_renderer)
FORM_RENDERER = "core.form_renderer.FastRenderer"

# --- Database ----------------------------------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/erp")}
DATABASES["default"]["ENGINE"] = "erp.db_backend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default=None)}
# "transaction" behind PgBouncer in transaction pooling: search path and role are bound per transaction (SET LOCAL),
# no server-side prepared statements or cursors (see erp.db_backend).
DATABASE_POOL_MODE = env.str("DATABASE_POOL_MODE", default="session")
if DATABASE_POOL_MODE not in {"session", "transaction"}:
    raise ImproperlyConfigured(f"DATABASE_POOL_MODE must be 'session' or 'transaction', not {DATABASE_POOL_MODE!r}")
if DATABASE_POOL_MODE == "transaction":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
# Cells: further databases tenants can live on, `name=postgres://…,name=postgres://…` (cells.config). The control
# plane's own database is always the cell `default`; unset, the whole fleet lives there.
CELLS = parse_cells(env.str("CELLS", default=""))
# After `tenant_move` flips a tenant to another cell, its old schema is kept (fenced) this long before
# `tenant_move --finish` drops it; `--drop-source-after` overrides it per move.
CELLS_MOVE_GRACE_SECONDS = env.int("CELLS_MOVE_GRACE_SECONDS", default=24 * 3600)
if CELLS:
    # While a thread serves a tenant of another cell, the control plane's registry is read through `control`: the
    # thread's own control-plane connection (cells.routing assigns it), declared so Django closes it as any other.
    DATABASES["control"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
# Plans whose tenants each get a cell of their own (an empty configured cell; cells.placement).
CELL_DEDICATED_PLANS = env.list("CELL_DEDICATED_PLANS", default=[])
# A PostgreSQL server (postgres://user:password@host:port/any) on which a dedicated tenant's cell is created on demand
# (a database of its own) when no empty configured cell is left; unset, such a tenant needs an empty one in CELLS.
CELL_DEDICATED_SERVER = env.str("CELL_DEDICATED_SERVER", default="")
# Milliseconds any one SQL statement of a web request may run (0: no limit); past it a 503 with Retry-After.
# Not applied to migrations, management commands or Celery tasks (erp.http_limits, erp.db_backend).
DB_STATEMENT_TIMEOUT_MS = env.int("DB_STATEMENT_TIMEOUT_MS", default=30000)

# --- Limits per request (erp.http_limits, core.limits) -------------------------------------------------------------
# Request bodies above these sizes are a 413: multipart uploads (the item import takes files up to 5 MB) and any
# other body (JSON, forms).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("REQUEST_MAX_BODY_BYTES", default=2_621_440)
REQUEST_MAX_UPLOAD_BYTES = env.int("REQUEST_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
# Lines of one sales order, purchase order, shipment, receipt or BOM; more is a 400 on `lines`.
DOCUMENT_MAX_LINES = env.int("DOCUMENT_MAX_LINES", default=1000)

# --- Cache (Redis, every key prefixed with the tenant schema) -------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="erp"),
        "KEY_FUNCTION": "django_tenants.cache.make_key",
    }
}
# Channel on which every process hears that the tenant registry changed (see tenants.routing).
TENANT_ROUTING_CHANNEL = f"{CACHES['default']['KEY_PREFIX']}:tenant-routing"
# The bound on a registry change reaching every process, whatever made it (even without Redis): each process re-reads
# the registry version (bumped by a trigger) at most this often, on a request (see tenants.routing).
TENANT_ROUTING_RECHECK_SECONDS = env.float("TENANT_ROUTING_RECHECK_SECONDS", default=1.0)
# Redis keys of the sign-in limits (access.signin): <this>:<schema>:addr|user:….
SIGNIN_KEY_PREFIX = f"{CACHES['default']['KEY_PREFIX']}:signin"

# --- Static and uploaded files -----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / ".data" / "media")
# Each tenant's uploads live under MEDIA_ROOT/<schema_name>/.
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Celery (tenant travels in the task headers: tenant-schemas-celery) ---------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="erp")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
# Fan-out jobs (fleet.jobs): one queue per plan tier, <prefix>.free|standard|premium, and at most
# FLEET_TENANT_CONCURRENCY worker slots held by one tenant's fleet tasks at once (a slot expires after FLEET_SLOT_TTL).
FLEET_QUEUE_PREFIX = env("FLEET_QUEUE_PREFIX", default="fleet")
FLEET_TENANT_CONCURRENCY = env.int("FLEET_TENANT_CONCURRENCY", default=1)
# A slot is refreshed by a heartbeat while its task runs (every FLEET_SLOT_TTL / 3 s) and lapses FLEET_SLOT_TTL
# seconds after its worker dies; the result row's heartbeat_at is refreshed with it (fleet_report shows stale ones).
FLEET_SLOT_TTL = env.int("FLEET_SLOT_TTL", default=30)
# A task over its tenant's cap (or whose result another live worker holds) waits FLEET_RETRY_BASE * 2**n seconds
# (capped at FLEET_RETRY_MAX_DELAY, with jitter) and gives up, recording the result failed, after FLEET_RETRY_LIMIT.
FLEET_RETRY_BASE = env.float("FLEET_RETRY_BASE", default=0.5)
FLEET_RETRY_MAX_DELAY = env.float("FLEET_RETRY_MAX_DELAY", default=30.0)
FLEET_RETRY_LIMIT = env.int("FLEET_RETRY_LIMIT", default=25)
# The longest a fan-out job may run (hard time limit of its task, prefork pool) and how long a result may stay queued
# before fleet_report calls it stuck.
FLEET_JOB_TIME_LIMIT = env.int("FLEET_JOB_TIME_LIMIT", default=600)
FLEET_QUEUED_STUCK_AFTER = env.int("FLEET_QUEUED_STUCK_AFTER", default=900)
# An unacknowledged task (acks_late) whose worker died is delivered again after the broker's visibility timeout; it
# must exceed the longest task (FLEET_JOB_TIME_LIMIT) or a running task is delivered twice.
# Workers sweep for such tasks every CELERY_BROKER_RESTORE_INTERVAL s (kombu's default sweep is 10 x 10 s).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_BROKER_VISIBILITY_TIMEOUT", default=FLEET_JOB_TIME_LIMIT + 300),
    "unacked_restore_interval": env.int("CELERY_BROKER_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": 1,
}
# /healthz answers anonymous callers {"status": "ok"} only; with `Authorization: Bearer <HEALTHZ_TOKEN>` (or as
# operations staff signed in on the public host) it adds the schema, live workers and queue depths (tenants.views).
HEALTHZ_TOKEN = env("HEALTHZ_TOKEN", default="")
# /metrics (public host only, Prometheus text format, labels plan and cell, never a tenant): served only to
# `Authorization: Bearer <METRICS_TOKEN>`; without a token configured it is a 404 (fleet.metrics).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
# Celery beat (`celery -A erp beat`): the per-tenant meters in Redis become TenantUsageDay rows (fleet.usage).
CELERY_BEAT_SCHEDULE = {
    "fleet-usage-rollup": {"task": "fleet.usage_rollup", "schedule": env.int("USAGE_ROLLUP_SECONDS", default=300)},
    # Sources kept after a tenant moved between cells are dropped once their grace (CELLS_MOVE_GRACE_SECONDS) ends.
    "cells-finish-moves": {"task": "cells.finish_moves", "schedule": 3600},
}

# --- REST framework ----------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "access.authentication.LimitedBasicAuthentication",  # only with API_BASIC_AUTH=true
        "access.authentication.TenantJWTAuthentication",  # tokens carry their tenant (see access.tokens)
        "access.authentication.ApiKeyAuthentication",  # Authorization: Api-Key <key>
    ],
    # Signed in; reads for every role, writes by the capability each view declares (access.permissions, access.roles).
    "DEFAULT_PERMISSION_CLASSES": ["access.permissions.RolePermission"],
    "DEFAULT_SCHEMA_CLASS": "core.api.AutoSchema",  # declares Idempotency-Key on every POST (core.idempotency)
    # JSON nested too deep or holding NUL characters is a 400 (erp.http_limits).
    "DEFAULT_PARSER_CLASSES": [
        "erp.http_limits.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "core.api_reads.DjangoFilterBackend",  # django-filter, only when a filter is named
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api_reads.PageNumberPagination",  # no COUNT(*) for a short first page
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["access.throttling.TenantRateThrottle"],
}
# Where API creates sent with an Idempotency-Key keep their first response (core.idempotency), per tenant schema.
IDEMPOTENCY_RECORD_MODEL = "orders.IdempotencyRecord"
# API requests per tenant (all its users and keys together) by plan, "<n>/<s|min|hour|day> [burst <n>]": a sustained
# rate and how many may come back to back (access.ratelimit); 429 + Retry-After past it. Without a burst the whole
# period's count may come at once; about a second's worth of the rate keeps one tenant's bursts short.
# Sign-in POSTs (login form, admin logins, token endpoint) per tenant host and client address at the nginx edge
# (tenants.edge): nginx's rate ("2r/s") and how many may come at once (a shift signing in behind one office address).
EDGE_SIGNIN_RATE = env("EDGE_SIGNIN_RATE", default="2r/s")
EDGE_SIGNIN_BURST = env.int("EDGE_SIGNIN_BURST", default=20)
# Proxies in front of the edge that end TLS (addresses or networks): the edge believes their X-Forwarded-For and
# X-Forwarded-Proto and no one else's (tenants.edge). None by default: the edge faces the clients.
EDGE_TRUSTED_PROXIES = env.list("EDGE_TRUSTED_PROXIES", default=[])
TENANT_API_RATES = {
    "free": env("TENANT_API_RATE_FREE", default="1000/min burst 20"),
    "standard": env("TENANT_API_RATE_STANDARD", default="5000/min burst 100"),
    "premium": env("TENANT_API_RATE_PREMIUM", default="20000/min burst 400"),
}
for _plan, _quota in TENANT_API_RATES.items():
    try:
        if len(quota_parser.parse(_quota)) != 1:
            raise DataError("one rule per plan")
    except DataError as exc:
        raise ImproperlyConfigured(
            f"TENANT_API_RATE_{_plan.upper()}={_quota!r} is not '<n>/<s|min|hour|day> [burst <n>]': {exc}"
        ) from None
# HTTP Basic on the API (a password hashed on every request): off unless turned on; JWTs and API keys are the way in.
API_BASIC_AUTH = env.bool("API_BASIC_AUTH", default=False)
# JWTs from /api/v1/auth/token/ on a tenant host; the `tenant` claim must match the host (access.authentication).
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=env.int("JWT_REFRESH_HOURS", default=24)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
    # Signed with SECRET_KEY, verified with SECRET_KEY_FALLBACKS as well, so a key rotation keeps API clients signed in.
    "AUTH_TOKEN_CLASSES": ("access.jwt_keys.TenantAccessToken",),
    "TOKEN_OBTAIN_SERIALIZER": "access.tokens.TenantTokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "access.tokens.TenantTokenRefreshSerializer",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ERP integrator API",
    "DESCRIPTION": "Per-tenant API: call it on your tenant's host, e.g. https://acme.example.com/api/v1/.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc assets are served from our own static files: plants often have no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set where two models (or a model and a query parameter) share a field name or a set.
    "ENUM_NAME_OVERRIDES": {
        "ProcurementEnum": "inventory.models.Item.Procurement",
        "ItemKindEnum": "inventory.models.Item.Kind",
        "LocationKindEnum": "inventory.models.Location.Kind",
        "PlanExceptionKindEnum": ["expedite", "reschedule_in", "reschedule_out", "cancel"],
    },
}

# --- Orders ------------------------------------------------------------------------------------------------------
# A purchase line may be received up to this percentage above its ordered quantity (0: never more than ordered).
# A decimal string, e.g. "2.5"; orders.services reads it as a Decimal.
ORDERS_OVER_RECEIPT_TOLERANCE_PERCENT = env.str("ORDERS_OVER_RECEIPT_TOLERANCE_PERCENT", default="0")

# --- Email (password-reset mail) ----------------------------------------------------------------------------------
# EMAIL_URL says how mail leaves (django-environ: smtp+tls://user:password@host:587, smtps://..., consolemail://,
# filemail:///path), as Django 6.1's default mailer. Unset: printed on the console when DEBUG (`make run` sets
# consolemail://); otherwise there is no mailer, sending raises, and the password-reset page says mail is unavailable
# instead of claiming it sent one (tenants.password_reset).
EMAIL_URL = env("EMAIL_URL", default="")
_MAILER_OPTIONS = {"EMAIL_HOST": "host", "EMAIL_PORT": "port", "EMAIL_HOST_USER": "username",
                   "EMAIL_HOST_PASSWORD": "password", "EMAIL_USE_TLS": "use_tls", "EMAIL_USE_SSL": "use_ssl",
                   "EMAIL_FILE_PATH": "file_path"}  # fmt: skip
if EMAIL_URL:
    _email = env.email_url_config(EMAIL_URL)
    _options = {option: _email[key] for key, option in _MAILER_OPTIONS.items() if _email.get(key)}
    if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
        _options["timeout"] = env.int("EMAIL_TIMEOUT", default=10)
    MAILERS = {"default": {"BACKEND": _email["EMAIL_BACKEND"], "OPTIONS": _options}}
elif DEBUG:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    MAILERS = {}
    # A supported state (the reset page says mail is unavailable), not a warning on every manage.py command.
    SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "mail.W001"]
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=f"noreply@{BASE_DOMAIN}")

# --- Logging: every record carries the tenant schema ----------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"tenant_context": {"()": "django_tenants.log.TenantContextFilter"}},
    "formatters": {
        "tenant": {"format": "%(asctime)s %(levelname)s [%(schema_name)s:%(domain_url)s] %(name)s: %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["tenant_context"], "formatter": "tenant"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
