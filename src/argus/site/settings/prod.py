"""Production: PostgreSQL via DATABASE_URL, Redis channel layer, SMTP, notifications on.

Refuses to start without the settings a production server cannot guess: SECRET_KEY,
DATABASE_URL, and the host names it answers to (ARGUS_ALLOWED_HOSTS, or the host of
ARGUS_FRONTEND_URL).
"""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from argus.site.settings._env import get_bool_env, get_int_env, get_str_env
from argus.site.settings.base import *  # noqa: F401,F403

if not get_str_env("SECRET_KEY"):
    raise ImproperlyConfigured(
        'Environment variable "SECRET_KEY" not set! Generate one with `python manage.py gen_secret_key`.'
    )
if not get_str_env("DATABASE_URL"):
    raise ImproperlyConfigured(
        'Environment variable "DATABASE_URL" not set! e.g. DATABASE_URL=postgresql://argus:secret@localhost/argus'
    )

DEBUG = get_bool_env("DEBUG", False)
TEMPLATE_DEBUG = get_bool_env("TEMPLATE_DEBUG", DEBUG)
TEMPLATES[0]["OPTIONS"]["debug"] = TEMPLATE_DEBUG  # noqa: F405
ALLOWED_HOSTS = [host.strip() for host in get_str_env("ARGUS_ALLOWED_HOSTS", "").split(",") if host.strip()]
if not ALLOWED_HOSTS and FRONTEND_URL:  # noqa: F405
    # The site's own address: with the built-in UI the frontend is this server.
    _frontend_host = urlsplit(normalize_frontend_url(FRONTEND_URL)).hostname  # noqa: F405
    ALLOWED_HOSTS = [_frontend_host] if _frontend_host else []
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        'Environment variable "ARGUS_ALLOWED_HOSTS" not set! Set it to the host names this server '
        "answers to, comma-separated (e.g. ARGUS_ALLOWED_HOSTS=argus.example.org), or set "
        "ARGUS_FRONTEND_URL to the site's address; health probes (/.still-alive/, /.ready/) "
        "answer under any host name."
    )
EMAIL_BACKEND = get_str_env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_PORT = get_int_env("EMAIL_PORT", 587)
EMAIL_USE_TLS = get_bool_env("EMAIL_USE_TLS", True)
SEND_NOTIFICATIONS = get_bool_env("ARGUS_SEND_NOTIFICATIONS", True)
SESSION_COOKIE_SECURE = get_bool_env("ARGUS_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_TRUSTED_ORIGINS = CORS_ALLOWED_ORIGINS  # noqa: F405
