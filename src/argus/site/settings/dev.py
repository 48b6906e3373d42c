"""Development / embedded default: SQLite file, in-memory channel layer, console email.

Environment variables may also be put in a ``.env`` file in the repository root; variables
already set in the environment win.
"""

from pathlib import Path

from argus.site.settings._env import get_bool_env, get_str_env, load_dotenv

load_dotenv(Path(__file__).resolve().parents[4] / ".env")

from argus.site.settings.base import *  # noqa: E402,F401,F403

DEBUG = get_bool_env("DEBUG", True)
TEMPLATE_DEBUG = get_bool_env("TEMPLATE_DEBUG", DEBUG)
TEMPLATES[0]["OPTIONS"]["debug"] = TEMPLATE_DEBUG  # noqa: F405
SECRET_KEY = get_str_env("SECRET_KEY", "secret-secret!")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver", "[::1]"]
COOKIE_DOMAIN = SPA_COOKIE_DOMAIN = get_str_env(
    "ARGUS_SPA_COOKIE_DOMAIN", get_str_env("ARGUS_COOKIE_DOMAIN", "localhost")
)
if get_str_env("EMAIL_BACKEND"):
    EMAIL_BACKEND = get_str_env("EMAIL_BACKEND")
elif get_str_env("EMAIL_HOST") and get_str_env("EMAIL_HOST") != "localhost" or get_str_env("EMAIL_PORT"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
