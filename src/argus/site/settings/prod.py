"""Production: PostgreSQL via DATABASE_URL, Redis channel layer, SMTP, notifications on.

Refuses to start without the settings a production server cannot guess.
"""

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
ALLOWED_HOSTS = [h.strip() for h in get_str_env("ARGUS_ALLOWED_HOSTS", "*").split(",") if h.strip()]
EMAIL_BACKEND = get_str_env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_PORT = get_int_env("EMAIL_PORT", 587)
EMAIL_USE_TLS = get_bool_env("EMAIL_USE_TLS", True)
SEND_NOTIFICATIONS = get_bool_env("ARGUS_SEND_NOTIFICATIONS", True)
SESSION_COOKIE_SECURE = get_bool_env("ARGUS_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_TRUSTED_ORIGINS = CORS_ALLOWED_ORIGINS  # noqa: F405
