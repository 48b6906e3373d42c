"""Settings shared by every Argus deployment.

Everything that varies between deployments is read from the environment here or in the
dev/prod/test modules; see docs/configuration.md for the full list.
"""

from datetime import timedelta
from importlib import import_module
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from social_core.pipeline import DEFAULT_AUTH_PIPELINE

from argus.site import extra_apps
from argus.site.settings._env import (
    get_bool_env,
    get_float_env,
    get_int_env,
    get_json_env,
    get_str_env,
    parse_redis_server,
)
from argus.util.logs import LOG_FORMATS, logging_config

SRC_DIR = Path(__file__).resolve().parent.parent.parent.parent
BASE_DIR = SRC_DIR.parent

DEBUG = get_bool_env("DEBUG", False)
TEMPLATE_DEBUG = get_bool_env("TEMPLATE_DEBUG", DEBUG)

SECRET_KEY = get_str_env("SECRET_KEY")
ALLOWED_HOSTS = []

# Plug-in apps (see argus.site.extra_apps): overriding apps before Argus' own, extra apps after.
OVERRIDING_APPS = extra_apps.validate(get_json_env("ARGUS_OVERRIDING_APPS", []), "ARGUS_OVERRIDING_APPS")
EXTRA_APPS = extra_apps.validate(get_json_env("ARGUS_EXTRA_APPS", []), "ARGUS_EXTRA_APPS")

INSTALLED_APPS = [
    "daphne",
    "channels",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "social_django",
    "rest_framework",
    "rest_framework.authtoken",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "phonenumber_field",
    "django_tasks",
    "django_tasks_db",
    "django_htmx",
    "argus.auth",
    "argus.incident",
    "argus.notificationprofile",
    "argus.plannedmaintenance",
    "argus.ws",
    "argus.dev",
    "argus.ui",
]
INSTALLED_APPS = extra_apps.installed_apps(OVERRIDING_APPS, INSTALLED_APPS, EXTRA_APPS)

MIDDLEWARE = [
    "argus.site.middleware.ProbeMiddleware",  # /.still-alive/, /.ready/, /metrics: before host checks
    "argus.site.middleware.RequestMiddleware",  # request id, API metrics, a source's last_seen
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "argus.site.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "social_django.middleware.SocialAuthExceptionMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

MIDDLEWARE = extra_apps.middleware(MIDDLEWARE, OVERRIDING_APPS + EXTRA_APPS)

ROOT_URLCONF = "argus.site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "argus" / "site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "debug": TEMPLATE_DEBUG,
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "social_django.context_processors.backends",
                "argus.site.context_processors.login_redirect",
                "argus.ui.context_processors.ui",
            ],
        },
    }
]

WSGI_APPLICATION = "argus.site.wsgi.application"
ASGI_APPLICATION = "argus.site.asgi.application"

# Database: DATABASE_URL when set, otherwise the embedded SQLite file. SQLite (either way) gets
# IMMEDIATE transactions, a busy timeout and WAL, so concurrent writers wait instead of failing
# with "database is locked".
SQLITE_OPTIONS = {
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
SQLITE_PATH = get_str_env("ARGUS_SQLITE_PATH", str(BASE_DIR / "argus.sqlite3"))
DATABASE_URL = get_str_env("DATABASE_URL")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    except ValueError as error:  # the message names the scheme or the problem, never the password
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {error}") from None
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "argus_auth.User"
AUTH_TOKEN_EXPIRES_AFTER_DAYS = 14
KNOX_TOKEN_TTL_HOURS = 10

AUTHENTICATION_BACKENDS = [
    "argus.auth.oauth2.DataportenFeideOAuth2",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i:s"

STATIC_URL = get_str_env("STATIC_URL", "/static/")
STATIC_ROOT = get_str_env("STATIC_ROOT", str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [SRC_DIR / "argus" / "site" / "static"]
# Hashed names (served with a one-year cache lifetime) once `collectstatic` has run; a file missing
# from the manifest is served under its plain name instead of failing the page.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MANIFEST_STRICT = False

# Email
EMAIL_HOST = get_str_env("EMAIL_HOST", "localhost")
EMAIL_HOST_USER = get_str_env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = get_str_env("EMAIL_HOST_PASSWORD", "")
EMAIL_PORT = get_int_env("EMAIL_PORT", 25)
EMAIL_USE_TLS = get_bool_env("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = get_int_env("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = get_str_env("DEFAULT_FROM_EMAIL", "argus@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
NOTIFICATION_SUBJECT_PREFIX = "[Argus] "

# Frontend / SPA
FRONTEND_URL = get_str_env("ARGUS_FRONTEND_URL", "")
COOKIE_DOMAIN = get_str_env("ARGUS_SPA_COOKIE_DOMAIN", get_str_env("ARGUS_COOKIE_DOMAIN", None))
SPA_COOKIE_DOMAIN = COOKIE_DOMAIN
ARGUS_SPA_TOKEN_COOKIE_NAME = "token"
# Built-in web UI (argus.ui, docs/ui.md): on unless ARGUS_UI is false.
ARGUS_UI = get_bool_env("ARGUS_UI", True)
LOGIN_URL = "/accounts/login/" if ARGUS_UI else "/admin/login/"
LOGOUT_URL = "/logout/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"


def normalize_frontend_url(url):
    """Turn FRONTEND_URL into a CORS origin: scheme://host[:port], default ports dropped."""
    if not url:
        return None
    if "://" not in url:
        host, _, port = url.partition(":")
        scheme = "https" if port == "443" else "http"
        url = f"{scheme}://{url}"
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port and not (
        (parts.scheme == "http" and parts.port == 80) or (parts.scheme == "https" and parts.port == 443)
    ):
        netloc = f"{netloc}:{parts.port}"
    return f"{parts.scheme}://{netloc}"


CORS_ALLOWED_ORIGINS = [origin for origin in [normalize_frontend_url(FRONTEND_URL)] if origin]
CORS_ALLOW_CREDENTIALS = True

# Social auth (Feide / Dataporten OAuth2)
SOCIAL_AUTH_DATAPORTEN_FEIDE_KEY = get_str_env("ARGUS_DATAPORTEN_KEY", "")
SOCIAL_AUTH_DATAPORTEN_FEIDE_SECRET = get_str_env("ARGUS_DATAPORTEN_SECRET", "")
# The provider's endpoints; override only to use another Dataporten-compatible provider.
SOCIAL_AUTH_DATAPORTEN_FEIDE_AUTHORIZATION_URL = get_str_env(
    "ARGUS_DATAPORTEN_AUTHORIZATION_URL", "https://auth.dataporten.no/oauth/authorization"
)
SOCIAL_AUTH_DATAPORTEN_FEIDE_ACCESS_TOKEN_URL = get_str_env(
    "ARGUS_DATAPORTEN_ACCESS_TOKEN_URL", "https://auth.dataporten.no/oauth/token"
)
SOCIAL_AUTH_DATAPORTEN_FEIDE_USERINFO_URL = get_str_env(
    "ARGUS_DATAPORTEN_USERINFO_URL", "https://auth.dataporten.no/userinfo"
)
SOCIAL_AUTH_DATAPORTEN_EMAIL_KEY = SOCIAL_AUTH_DATAPORTEN_FEIDE_KEY
SOCIAL_AUTH_DATAPORTEN_EMAIL_SECRET = SOCIAL_AUTH_DATAPORTEN_FEIDE_SECRET
SOCIAL_AUTH_LOGIN_REDIRECT_URL = "/"
SOCIAL_AUTH_NEW_USER_REDIRECT_URL = "/"
SOCIAL_AUTH_URL_NAMESPACE = "social"
SOCIAL_AUTH_JSONFIELD_ENABLED = True
SOCIAL_AUTH_REDIRECT_IS_HTTPS = get_bool_env("ARGUS_REDIRECT_IS_HTTPS", False)
# Names are filled in once, from the provider's full name, when the user has none.
SOCIAL_AUTH_PROTECTED_USER_FIELDS = ["first_name", "last_name"]
# social-auth's default pipeline, with a new user created by our step (it gets the notification
# defaults every user has in the same transaction).
SOCIAL_AUTH_PIPELINE = tuple(
    "argus.auth.pipeline.create_user" if step == "social_core.pipeline.user.create_user" else step
    for step in DEFAULT_AUTH_PIPELINE
)

# Notifications
SEND_NOTIFICATIONS = get_bool_env("ARGUS_SEND_NOTIFICATIONS", False)
MEDIA_PLUGINS = [
    "argus.notificationprofile.media.email.EmailNotification",
    "argus.notificationprofile.media.sms_as_email.SMSNotification",
]
DEFAULT_EMAIL_MEDIA = "argus.notificationprofile.media.email.EmailNotification"
DEFAULT_SMS_MEDIA = "argus.notificationprofile.media.sms_as_email.SMSNotification"
SMS_GATEWAY_ADDRESS = get_str_env("ARGUS_SMS_GATEWAY_ADDRESS", None)
ARGUS_FALLBACK_FILTER = {}
# Delivery (argus.notificationprofile.deliveries, docs/notifications.md): attempts per message,
# first one included, and the backoff between them (seconds, doubling from RETRY_DELAY up to MAX).
NOTIFICATION_MAX_ATTEMPTS = get_int_env("ARGUS_NOTIFICATION_MAX_ATTEMPTS", 12)
NOTIFICATION_RETRY_DELAY = get_float_env("ARGUS_NOTIFICATION_RETRY_DELAY_SECONDS", 10)
NOTIFICATION_MAX_RETRY_DELAY = get_float_env("ARGUS_NOTIFICATION_MAX_RETRY_DELAY_SECONDS", 3600)
# Seconds a worker holds what it took; what a dead worker held is taken again after it.
NOTIFICATION_LEASE = get_float_env("ARGUS_NOTIFICATION_LEASE_SECONDS", 30)
# Seconds between two sweeps (the periodic job that re-enqueues work left due).
NOTIFICATION_SWEEP_INTERVAL = get_float_env("ARGUS_NOTIFICATION_SWEEP_SECONDS", 15)
# Events one run of the worker matches, and deliveries it sends, at a time.
NOTIFICATION_BATCH_SIZE = get_int_env("ARGUS_NOTIFICATION_BATCH_SIZE", 50)
# A server process wakes the workers at most once per window (seconds); 0: once per commit.
NOTIFICATION_BATCH_WINDOW = get_int_env("ARGUS_NOTIFICATION_BATCH_WINDOW_MS", 500) / 1000
# Days the delivery log is kept (prune_notification_deliveries); 0: forever.
NOTIFICATION_LOG_RETENTION_DAYS = get_float_env("ARGUS_NOTIFICATION_LOG_RETENTION_DAYS", 30)
# Webhook and Slack media (docs/notifications.md): http:// webhook URLs are refused unless allowed;
# seconds a receiver has to answer one attempt (connecting takes at most 5 of them).
WEBHOOK_ALLOW_HTTP = get_bool_env("ARGUS_WEBHOOK_ALLOW_HTTP", False)
WEBHOOK_TIMEOUT = get_float_env("ARGUS_WEBHOOK_TIMEOUT", 10)
# Days a finished task row is kept (prune_db_task_results, a periodic job); 0: forever.
TASK_RESULT_RETENTION_DAYS = get_int_env("ARGUS_TASK_RESULT_RETENTION_DAYS", 7)

# Periodic jobs: `manage.py run_periodic_jobs` runs each management command (with its arguments)
# every so many seconds (argus.util.periodic); each is idempotent and can run from cron instead.
PERIODIC_JOBS = [
    (NOTIFICATION_SWEEP_INTERVAL, ["sweep_notifications"]),
    (60, ["sync_heartbeat_incidents"]),
    (3600, ["check_token_expiry"]),
    (3600, ["prune_notification_deliveries"]),
    # Planned maintenance: link incidents to tasks that became current, announce incidents still
    # open when a task has ended (suppression itself never waits for these).
    (60, ["check_started_maintenance"]),
    (60, ["check_ended_maintenance"]),
]
if TASK_RESULT_RETENTION_DAYS:  # django-tasks-db's own command; drop it with another task backend
    PERIODIC_JOBS.append(
        (
            3600,
            ["prune_db_task_results", "--queue-name", "*", "--min-age-days", str(TASK_RESULT_RETENTION_DAYS)],
        )
    )

# Incidents
INDELIBLE_INCIDENTS = get_bool_env("ARGUS_INDELIBLE_INCIDENTS", True)
# The largest page of a paginated list (incidents, mine/, v2 events/): larger page_size values
# are served as this, with next links as usual.
MAX_PAGE_SIZE = get_int_env("ARGUS_MAX_PAGE_SIZE", 1000)
TICKET_PLUGIN = get_str_env("ARGUS_TICKET_PLUGIN", None)
TICKET_ENDPOINT = get_str_env("ARGUS_TICKET_ENDPOINT", None)
TICKET_AUTHENTICATION_SECRET = get_json_env("ARGUS_TICKET_AUTHENTICATION_SECRET", None)
TICKET_INFORMATION = get_json_env("ARGUS_TICKET_INFORMATION", None)

# Background tasks: durable queue in the same database, run by `manage.py db_worker`.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# Web UI (docs/ui.md). Page sizes, update intervals and column layouts are Django settings; the
# banner, the default theme and the theme list are also read from the environment.
ARGUS_INCIDENTS_PAGE_SIZES = [10, 20, 50, 100]
ARGUS_INCIDENTS_DEFAULT_PAGE_SIZE = 10
# "live": pushed over the websocket; "never"; or seconds between polls.
ARGUS_INCIDENTS_UPDATE_INTERVALS = ["live", "never", 5, 30, 60]
ARGUS_INCIDENTS_UPDATE_INTERVAL_DEFAULT = "live"
ARGUS_INCIDENTS_TABLE_LAYOUT_DEFAULT = "compact"
# Extra or replaced column layouts of the incident table: {"name": ["column", ...]}.
INCIDENT_TABLE_COLUMN_LAYOUTS = {}
# Legacy: one column list that becomes layout "default" (and the default layout) when set.
INCIDENT_TABLE_COLUMNS = None
ARGUS_BANNER_MESSAGE = get_str_env("ARGUS_BANNER_MESSAGE", "")
ARGUS_THEME_DEFAULT = get_str_env("ARGUS_THEME_DEFAULT", "argus")
DAISYUI_THEMES = get_json_env("DAISYUI_THEMES", ["light", "dark", "argus"])
ARGUS_FRONTEND_DATETIME_FORMAT = "LOCALE"
ARGUS_OIDC_METHOD_NAME = "OIDC"
ARGUS_REMOTE_USER_METHOD_NAME = "REMOTE_USER"
# Members of this group (unset: nobody) may read everything in the UI and change nothing.
ARGUS_UI_READONLY_GROUP = get_str_env("ARGUS_UI_READONLY_GROUP", None)

# HTTP: threads per ASGI process that run requests (argus.site.asgi_http).
ARGUS_HTTP_THREADS = get_int_env("ARGUS_HTTP_THREADS", 4)
# A source system's incident POST answered without Django's middleware and DRF's dispatch (same
# checks, serializer, service and response: argus.incident.api.direct). Off: every request goes
# through Django.
ARGUS_DIRECT_INGEST = get_bool_env("ARGUS_DIRECT_INGEST", True)

# Realtime: how long (seconds) an incident change waits for the channel layer before giving up on
# the push, and how often a websocket subscription re-joins the group (groups expire after a day).
ARGUS_WS_BROADCAST_TIMEOUT = 2.0
ARGUS_WS_GROUP_REFRESH_SECONDS = 3600
# Redis channel layer when ARGUS_REDIS_SERVER is set, else in-process memory.
REDIS_SERVER = get_str_env("ARGUS_REDIS_SERVER", None)
if REDIS_SERVER:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [parse_redis_server(REDIS_SERVER)]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": (
        "argus.auth.authentication.ExpiringTokenAuthentication",
        "argus.auth.authentication.KnoxTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ),
    "DEFAULT_PERMISSION_CLASSES": ("rest_framework.permissions.IsAuthenticated",),
    "DEFAULT_RENDERER_CLASSES": (
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ),
    "DEFAULT_PARSER_CLASSES": (
        "argus.util.parsers.JSONParser",  # refuses JSON nested too deeply, as malformed JSON
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ),
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.NamespaceVersioning",
    "DEFAULT_VERSION": "v2",
    "ALLOWED_VERSIONS": ("v1", "v2"),
    "DEFAULT_SCHEMA_CLASS": "argus.util.openapi.ArgusAutoSchema",
    "DEFAULT_PAGINATION_CLASS": None,
    "EXCEPTION_HANDLER": "argus.site.exceptions.exception_handler",
    "DATETIME_FORMAT": "iso-8601",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

REST_KNOX = {
    "TOKEN_TTL": None,  # set at the end of this module from KNOX_TOKEN_TTL_HOURS
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "",
    "VERSION": "0.0.0",
    "SERVE_INCLUDE_SCHEMA": True,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc come with the server (drf-spectacular-sidecar), not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "EventTypeEnum": "argus.incident.choices.EventType",
        "LevelEnum": "argus.incident.choices.Level",
        "PlannedMaintenanceStateEnum": "argus.plannedmaintenance.choices.TaskState",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "argus.auth.schema.mark_v1_deprecated",
    ],
}

# Metrics (GET /metrics, argus.site.metrics): on unless ARGUS_METRICS_ENABLED is false; with a token,
# scrapers send "Authorization: Bearer <token>"; gauges read from the database are kept this long.
METRICS_ENABLED = get_bool_env("ARGUS_METRICS_ENABLED", True)
METRICS_TOKEN = get_str_env("ARGUS_METRICS_TOKEN", "")
METRICS_CACHE_SECONDS = get_float_env("ARGUS_METRICS_CACHE_SECONDS", 15)

# Logging: "text" (default) or "json" (one object per line, argus.util.logs), to stderr.
LOG_FORMAT = get_str_env("ARGUS_LOG_FORMAT", "text").lower()
if LOG_FORMAT not in LOG_FORMATS:
    raise ImproperlyConfigured(
        f'ARGUS_LOG_FORMAT must be one of {", ".join(LOG_FORMATS)}, not "{LOG_FORMAT}"'
    )
LOGGING_MODULE = get_str_env("DJANGO_LOGGING_MODULE", None)
LOGGING = logging_config(LOG_FORMAT)


REST_KNOX["TOKEN_TTL"] = timedelta(hours=KNOX_TOKEN_TTL_HOURS)
TEMPLATES[0]["OPTIONS"]["context_processors"] = extra_apps.context_processors(
    TEMPLATES[0]["OPTIONS"]["context_processors"], OVERRIDING_APPS + EXTRA_APPS
)
globals().update(extra_apps.app_settings(OVERRIDING_APPS + EXTRA_APPS))
if LOGGING_MODULE:
    _module, _, _attr = LOGGING_MODULE.rpartition(".")
    LOGGING = getattr(import_module(_module), _attr)
