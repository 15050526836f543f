"""MesChain settings, read from the environment (and `.env` when present).

Every real component has an embedded default so that a fresh clone runs with nothing
else installed; setting the variable switches to the real component. See README.md,
"Configuration", for the full list.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    for required in ("SECRET_KEY", "ENCRYPTION_KEYS"):
        if not env.str(required, default=""):
            raise ImproperlyConfigured(f"{required} must be set when DJANGO_ENV=production.")

SECRET_KEY = env.str(
    "SECRET_KEY",
    default="dev-insecure-meschain-key-change-me-0123456789-abcdefghijklmnopqrstuvwxyz",
)
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "django_prometheus",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "meschain",
    "accounts",
    "webhooks",
    "catalog",
    "orders",
    "marketplaces",
    "reports",
    "onec",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "meschain.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "meschain.middleware.BodySizeLimitMiddleware",
    "meschain.middleware.QueryNulGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.AccountSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "catalog.storefront.StorefrontCacheMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "meschain.urls"
WSGI_APPLICATION = "meschain.wsgi.application"

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
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# the same engines, counting queries, their duration and errors for /metrics
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", ":memory:")  # as Django's default
if DATABASES["default"]["ENGINE"] in ("django.db.backends.postgresql", "django.db.backends.sqlite3"):
    DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace("django.db", "django_prometheus.db")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions --------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Tests in parallel (pytest-xdist): each test process takes its own Redis database, since
# tests empty theirs; gw0 keeps the one given, gw1 the one below it, and so on.
if REDIS_URL and env.str("PYTEST_XDIST_WORKER", default="").startswith("gw"):
    _base, _sep, _db = REDIS_URL.rpartition("/")
    if _db.isdigit():
        REDIS_URL = f"{_base}/{(int(_db) - int(env.str('PYTEST_XDIST_WORKER')[2:])) % 16}"
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",  # django-redis, counted
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "meschain",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "meschain.cache_backends.LocMemCache",  # Django's, counted
            "LOCATION": "meschain",
        }
    }

SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True  # the 30 minutes count from the last request
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- Task queue -------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# worker processes: one per CPU unless set (deploy/ sizes the web server the same way)
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=os.cpu_count() or 1)
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=1000)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# workers log through LOGGING below (JSON lines with the request id), not Celery's format
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Secrets encryption -----------------------------------------------------
# "kid:base64-32-byte-key,kid2:…", newest first. Only the first encrypts.
DEV_ENCRYPTION_KEYS = "dev:ZGV2LW9ubHktbWVzY2hhaW4ta2V5LTMyLWJ5dGVzISE="
ENCRYPTION_KEYS = env.str("ENCRYPTION_KEYS", default="") or DEV_ENCRYPTION_KEYS

# --- Authentication ---------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.TenantUserBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# Two-factor authentication (django-otp): the name authenticator apps show
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="MesChain")
# Password reset links by email: valid this many seconds
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="MesChain <noreply@localhost>")

AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# masked in the failed-attempt records, with the password: two-factor codes
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code", "otp_code"]
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "meschain.middleware.client_ip"

API_KEY_HEADER = "HTTP_X_API_KEY"
# How long a looked-up API key is trusted from the cache (revocation drops it at once).
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", default=60)
CATALOG_LIST_CACHE_SECONDS = env.int("CATALOG_LIST_CACHE_SECONDS", default=30)

# --- REST API ---------------------------------------------------------------
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="60/min")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TenantJWTAuthentication",
        "accounts.authentication.ApiKeyAuthentication",
        "accounts.authentication.CsrfSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["meschain.api.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "meschain.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "meschain.api.pagination.EnvelopePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["meschain.api.throttling.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"client": API_THROTTLE_RATE},
    "EXCEPTION_HANDLER": "meschain.api.exceptions.envelope_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "meschain.api.schema.EnvelopeAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MesChain API",
    "DESCRIPTION": (
        "Back-office API for catalogue, stock, orders and marketplace syncs. Every "
        "response is wrapped in the MesChain envelope; errors carry a stable `code`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "meschain.api.schema.add_envelope_components",
    ],
    "SCHEMA_PATH_PREFIX": r"/api(/v1)?",
    "PREPROCESSING_HOOKS": ["meschain.api.schema.drop_versioned_duplicates"],
    # Security per operation, from its authentication classes: the schemes are described
    # by the OpenApiAuthenticationExtensions in accounts/authentication.py.
    # Choice sets that share a field name get a name of their own (no "Status08aEnum").
    "ENUM_NAME_OVERRIDES": {
        "UserStatusEnum": "accounts.models.UserStatus",
        "ProductStatusEnum": "catalog.models.ProductStatus",
        "OrderStatusEnum": "orders.models.OrderStatus",
        "RowResultStatusEnum": ["created", "updated", "unchanged", "error"],
        "MarketplaceEnum": "marketplaces.models.Marketplace",
        "SyncKindEnum": "marketplaces.models.SyncKind",
        "SyncStateEnum": "marketplaces.models.SyncState",
        "ListingStatusEnum": "marketplaces.models.ListingStatus",
    },
}

# --- Uploads ----------------------------------------------------------------
MAX_UPLOAD_SIZE = env.int("MAX_UPLOAD_SIZE", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_SIZE
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
PRODUCT_IMAGE_MAX_BYTES = env.int("PRODUCT_IMAGE_MAX_BYTES", default=5 * 1024 * 1024)
PRODUCT_IMAGE_MAX_PIXELS = env.int("PRODUCT_IMAGE_MAX_PIXELS", default=40_000_000)  # against decompression bombs

# --- Security headers -------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# --- Languages --------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("tr", _("Turkish")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# where `manage.py backup` writes its archives (meschain/backup.py)
BACKUP_DIR = env.path("BACKUP_DIR", default=BASE_DIR / "backups")

# --- 1C:Enterprise exchange (CommerceML) --------------------------------------------
ONEC_EXCHANGE_DIR = env.str("ONEC_EXCHANGE_DIR", default="")  # empty: MEDIA_ROOT/onec-exchange
ONEC_IMPORT_STEP_SECONDS = env.float("ONEC_IMPORT_STEP_SECONDS", default=20.0)  # time budget of one import request
ONEC_IMPORT_BATCH = env.int("ONEC_IMPORT_BATCH", default=1000)  # items applied per transaction
ONEC_FILE_LIMIT = env.int("ONEC_FILE_LIMIT", default=8 * 1024 * 1024)  # largest chunk 1C may send
ONEC_MAX_FILE_BYTES = env.int("ONEC_MAX_FILE_BYTES", default=512 * 1024 * 1024)  # one received file, all chunks
ONEC_MAX_UNZIPPED_BYTES = env.int("ONEC_MAX_UNZIPPED_BYTES", default=1024 * 1024 * 1024)
ONEC_MAX_ZIP_RATIO = env.int("ONEC_MAX_ZIP_RATIO", default=200)  # uncompressed / compressed, refused above
ONEC_RATE_LIMIT = env.int("ONEC_RATE_LIMIT", default=600)  # exchange requests a minute per client address
ONEC_SESSION_HOURS = env.int("ONEC_SESSION_HOURS", default=12)
#: days the files of a finished exchange are kept (the session's record stays); 0: forever
ONEC_EXCHANGE_RETENTION_DAYS = env.int("ONEC_EXCHANGE_RETENTION_DAYS", default=7)

# --- Logging: one JSON object a line, with the request id -------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "meschain.logging.RequestContextFilter"}},
    "formatters": {"json": {"()": "meschain.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            "formatter": "json",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
    },
}
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Monitoring: /metrics (meschain/metrics_view.py) and Sentry (meschain/sentry.py) ---
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
for _network in METRICS_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network.strip(), strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {_network!r} is not a network ({_exc}).") from None
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from meschain.sentry import init_sentry

    init_sentry(
        SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default=DJANGO_ENV),
        release=env.str("SENTRY_RELEASE", default="") or None,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# Periodic sweep: anything the on-commit dispatch missed (worker killed, broker down).
OUTBOX_SWEEP_SECONDS = env.int("OUTBOX_SWEEP_SECONDS", default=30)
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "meschain.dispatch_events", "schedule": OUTBOX_SWEEP_SECONDS},
    "webhook-retries": {"task": "webhooks.deliver_due", "schedule": OUTBOX_SWEEP_SECONDS},
    "onec-cleanup-exchanges": {"task": "onec.cleanup_exchanges", "schedule": 6 * 3600},
}

# --- Storefront webhooks ----------------------------------------------------
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=15.0)
WEBHOOK_RETRY_MAX_SECONDS = env.float("WEBHOOK_RETRY_MAX_SECONDS", default=3600.0)
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=10)
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=not PRODUCTION)
IDEMPOTENCY_TTL_HOURS = env.int("IDEMPOTENCY_TTL_HOURS", default=24)

# --- Reports (reports/) ---------------------------------------------------------
#: available units at or below which a variant without its own threshold is low on stock
LOW_STOCK_THRESHOLD = env.int("LOW_STOCK_THRESHOLD", default=5)

# --- Marketplace HTTP client (marketplaces/client.py) -------------------------
MARKETPLACE_HTTP_TIMEOUT_SECONDS = env.float("MARKETPLACE_HTTP_TIMEOUT_SECONDS", default=30.0)
MARKETPLACE_HTTP_MAX_ATTEMPTS = env.int("MARKETPLACE_HTTP_MAX_ATTEMPTS", default=5)
MARKETPLACE_RETRY_BASE_SECONDS = env.float("MARKETPLACE_RETRY_BASE_SECONDS", default=0.5)
MARKETPLACE_RETRY_MAX_SECONDS = env.float("MARKETPLACE_RETRY_MAX_SECONDS", default=30.0)
MARKETPLACE_RATE_LIMIT = env.str("MARKETPLACE_RATE_LIMIT", default="900/min")
MARKETPLACE_RATE_LIMIT_MAX_WAIT_SECONDS = env.float("MARKETPLACE_RATE_LIMIT_MAX_WAIT_SECONDS", default=60.0)

# --- Marketplace sync (marketplaces/services/sync.py, marketplaces/tasks.py) ---
MARKETPLACE_SYNC_STALE_SECONDS = env.int("MARKETPLACE_SYNC_STALE_SECONDS", default=120)
MARKETPLACE_SYNC_SWEEP_SECONDS = env.int("MARKETPLACE_SYNC_SWEEP_SECONDS", default=60)
MARKETPLACE_ORDERS_PULL_SECONDS = env.int("MARKETPLACE_ORDERS_PULL_SECONDS", default=300)
MARKETPLACE_ORDERS_FIRST_PULL_DAYS = env.int("MARKETPLACE_ORDERS_FIRST_PULL_DAYS", default=14)
MARKETPLACE_BATCH_POLL_SECONDS = env.float("MARKETPLACE_BATCH_POLL_SECONDS", default=2.0)
MARKETPLACE_BATCH_TIMEOUT_SECONDS = env.float("MARKETPLACE_BATCH_TIMEOUT_SECONDS", default=600.0)
#: a stock or price change waits this long for others to join the same push
MARKETPLACE_STOCK_PUSH_DELAY_SECONDS = env.float("MARKETPLACE_STOCK_PUSH_DELAY_SECONDS", default=2.0)
MARKETPLACE_STATUS_PUSH_ATTEMPTS = env.int("MARKETPLACE_STATUS_PUSH_ATTEMPTS", default=8)
#: where marketplaces fetch product images from (this installation's public address)
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
CELERY_BEAT_SCHEDULE.update({
    "marketplace-resume-stalled": {"task": "marketplaces.resume_stalled_jobs", "schedule": MARKETPLACE_SYNC_SWEEP_SECONDS},
    "marketplace-pull-orders": {"task": "marketplaces.pull_orders", "schedule": MARKETPLACE_ORDERS_PULL_SECONDS},
    "marketplace-push-stock": {"task": "marketplaces.push_pending_stock", "schedule": MARKETPLACE_SYNC_SWEEP_SECONDS},
    "marketplace-retry-listings": {"task": "marketplaces.retry_listings", "schedule": 10 * MARKETPLACE_SYNC_SWEEP_SECONDS},
    "marketplace-push-statuses": {"task": "marketplaces.push_due_statuses", "schedule": MARKETPLACE_SYNC_SWEEP_SECONDS},
})  # fmt: skip
