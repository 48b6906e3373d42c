"""Settings for the test suite.

SQLite in a temporary file unless DATABASE_URL is set (CI runs the suite a second time against
PostgreSQL + Redis). The in-memory channel layer is used unless ARGUS_REDIS_SERVER is set.
"""

from argus.site.settings._env import get_str_env
from argus.site.settings.base import *  # noqa: F401,F403

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production-use-0123456789abcdef"
ALLOWED_HOSTS = ["*"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
COOKIE_DOMAIN = SPA_COOKIE_DOMAIN = "localhost"
FRONTEND_URL = get_str_env("ARGUS_FRONTEND_URL", "http://localhost:3000/")
SEND_NOTIFICATIONS = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WHITENOISE_USE_FINDERS = True  # test servers (browser tests) serve static files without collectstatic
if not get_str_env("DATABASE_URL"):
    DATABASES["default"]["NAME"] = ":memory:"  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}  # noqa: F405
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}  # noqa: F405
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
NOTIFICATION_BATCH_WINDOW = 0  # one run per commit: tests that run db_worker see the queue as it is
LOGGING["loggers"]["argus"]["level"] = "WARNING"  # noqa: F405
