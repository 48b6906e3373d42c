"""operations.md §2: environment parsing, settings modules, and prod refusing to start half-configured."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from argus.site.settings._env import (
    get_bool_env,
    get_int_env,
    get_json_env,
    get_str_env,
    parse_redis_server,
)
from argus.site.settings.base import normalize_frontend_url

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_ENV_VARS = [
    "SECRET_KEY",
    "DATABASE_URL",
    "DJANGO_SETTINGS_MODULE",
    "ARGUS_REDIS_SERVER",
    "ARGUS_FRONTEND_URL",
    "ARGUS_ALLOWED_HOSTS",
    "DEBUG",
]


def run_manage(*args, **env):
    """Run manage.py in a fresh interpreter with a controlled environment."""
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV_VARS}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


PROD = "argus.site.settings.prod"
PG_URL = "postgresql://argus:secret@db.invalid:5432/argus"
KEY = "k" * 50


@pytest.mark.parametrize(
    "env, missing",
    [
        ({"DATABASE_URL": PG_URL}, "SECRET_KEY"),
        ({"DATABASE_URL": PG_URL, "SECRET_KEY": "   "}, "SECRET_KEY"),
        ({"SECRET_KEY": KEY}, "DATABASE_URL"),
        ({}, "SECRET_KEY"),
    ],
)
def test_prod_refuses_to_start_without_secret_key_or_database(env, missing):
    result = run_manage("check", DJANGO_SETTINGS_MODULE=PROD, **env)
    assert result.returncode != 0
    assert f'Environment variable "{missing}" not set!' in result.stderr


def test_prod_starts_with_secret_key_database_and_allowed_hosts():
    result = run_manage(
        "check",
        DJANGO_SETTINGS_MODULE=PROD,
        SECRET_KEY=KEY,
        DATABASE_URL=PG_URL,
        ARGUS_ALLOWED_HOSTS="a.example",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_prod_refuses_to_answer_any_host_unless_told_which():
    result = run_manage("check", DJANGO_SETTINGS_MODULE=PROD, SECRET_KEY=KEY, DATABASE_URL=PG_URL)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        'Error: Environment variable "ARGUS_ALLOWED_HOSTS" not set! Set it to the host names this server '
        "answers to, comma-separated (e.g. ARGUS_ALLOWED_HOSTS=argus.example.org), or set "
        "ARGUS_FRONTEND_URL to the site's address; health probes (/.still-alive/, /.ready/) "
        "answer under any host name."
    ]


@pytest.mark.parametrize(
    "env, hosts",
    [
        ({"ARGUS_ALLOWED_HOSTS": "argus.example.org, 10.0.0.5"}, ["argus.example.org", "10.0.0.5"]),
        ({"ARGUS_ALLOWED_HOSTS": "*"}, ["*"]),
        ({"ARGUS_FRONTEND_URL": "https://argus.example.org:8443/"}, ["argus.example.org"]),
        (
            {"ARGUS_FRONTEND_URL": "https://ui.example.org", "ARGUS_ALLOWED_HOSTS": "api.example.org"},
            ["api.example.org"],
        ),
    ],
)
def test_prod_allowed_hosts_come_from_the_setting_or_the_frontend_url(env, hosts):
    result = run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from django.conf import settings; print(*settings.ALLOWED_HOSTS)",
        DJANGO_SETTINGS_MODULE=PROD,
        SECRET_KEY=KEY,
        DATABASE_URL=PG_URL,
        **env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == hosts


def production_printout(module: str, code: str) -> list[str]:
    """What ``code`` prints in ``manage.py shell`` under a production ``module``, split in words."""
    result = run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        code,
        DJANGO_SETTINGS_MODULE=module,
        SECRET_KEY=KEY,
        DATABASE_URL=PG_URL,
        ARGUS_ALLOWED_HOSTS="argus.example.org",
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_prod_defaults():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SEND_NOTIFICATIONS, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_BACKEND,"
        " s.DATABASES['default']['ENGINE'])"
    )
    assert production_printout(PROD, code) == [
        "False",
        "True",
        "587",
        "True",
        "django.core.mail.backends.smtp.EmailBackend",
        "django.db.backends.postgresql",
    ]


@pytest.mark.parametrize("module", ["argus.site.settings.backend", "argus.spa.settings"])
def test_the_1_37_production_module_names_are_prod_with_their_mail_defaults(module):
    """A deployment that names Argus 1.37's settings modules goes on working (operations.md §2.2)."""
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SEND_NOTIFICATIONS, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_BACKEND);"
        "from argus.spa.ws.asgi import application; from argus.site.asgi import application as ours;"
        "print(application is ours)"
    )
    assert production_printout(module, code) == [
        "False",
        "True",
        "25",
        "False",
        "django.core.mail.backends.smtp.EmailBackend",
        "True",
    ]
    refused = run_manage("check", DJANGO_SETTINGS_MODULE=module, DATABASE_URL=PG_URL)
    assert refused.returncode != 0 and 'Environment variable "SECRET_KEY" not set!' in refused.stderr


def test_dev_settings_start_without_any_environment():
    code = "from django.conf import settings as s; print(s.DEBUG, s.SEND_NOTIFICATIONS, s.SECRET_KEY)"
    result = run_manage("shell", "-v", "0", "-c", code, DJANGO_SETTINGS_MODULE="argus.site.settings.dev")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "secret-secret!"]


@pytest.mark.parametrize("env, expected", [({}, "1000"), ({"ARGUS_MAX_PAGE_SIZE": "250"}, "250")])
def test_max_page_size_comes_from_the_environment(env, expected):
    code = "from django.conf import settings as s; print(s.MAX_PAGE_SIZE)"
    clean = {"ARGUS_MAX_PAGE_SIZE": ""} if not env else env
    result = run_manage(
        "shell", "-v", "0", "-c", code, DJANGO_SETTINGS_MODULE="argus.site.settings.dev", **clean
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [expected]


def test_redis_server_selects_the_redis_channel_layer():
    code = "from django.conf import settings as s; print(s.CHANNEL_LAYERS['default'])"
    result = run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        code,
        DJANGO_SETTINGS_MODULE="argus.site.settings.dev",
        ARGUS_REDIS_SERVER="redis:6380",
    )
    assert result.returncode == 0, result.stderr
    assert "channels_redis.core.RedisChannelLayer" in result.stdout
    assert "('redis', 6380)" in result.stdout


# env parsing units ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1", "on", "true", "yes", "TRUE", " Yes "])
def test_bool_env_true(monkeypatch, value):
    monkeypatch.setenv("X_BOOL", value)
    assert get_bool_env("X_BOOL", False) is True


@pytest.mark.parametrize("value", ["0", "off", "false", "no", "NO "])
def test_bool_env_false(monkeypatch, value):
    monkeypatch.setenv("X_BOOL", value)
    assert get_bool_env("X_BOOL", True) is False


@pytest.mark.parametrize("value", ["", "maybe", "2"])
def test_bool_env_anything_else_is_the_default(monkeypatch, value):
    monkeypatch.setenv("X_BOOL", value)
    assert get_bool_env("X_BOOL", True) is True
    assert get_bool_env("X_BOOL", False) is False


def test_bool_env_unset(monkeypatch):
    monkeypatch.delenv("X_BOOL", raising=False)
    assert get_bool_env("X_BOOL", True) is True


def test_str_env(monkeypatch):
    monkeypatch.setenv("X_STR", "  value  ")
    assert get_str_env("X_STR") == "value"
    monkeypatch.delenv("X_STR")
    assert get_str_env("X_STR", "default") == "default"


def test_required_str_env(monkeypatch):
    monkeypatch.delenv("X_STR", raising=False)
    with pytest.raises(OSError, match='Environment variable "X_STR" not set!'):
        get_str_env("X_STR", required=True)
    monkeypatch.setenv("X_STR", "set")
    assert get_str_env("X_STR", required=True) == "set"


def test_int_env(monkeypatch):
    monkeypatch.setenv("X_INT", " 587 ")
    assert get_int_env("X_INT", 25) == 587
    monkeypatch.setenv("X_INT", "abc")
    with pytest.raises(ValueError):
        get_int_env("X_INT", 25)
    monkeypatch.delenv("X_INT")
    assert get_int_env("X_INT", 25) == 25


def test_json_env(monkeypatch):
    monkeypatch.setenv("X_JSON", '[{"app_name": "x"}]')
    assert get_json_env("X_JSON", []) == [{"app_name": "x"}]
    monkeypatch.setenv("X_JSON", "{bad")
    with pytest.raises(ValueError):
        get_json_env("X_JSON", [])


@pytest.mark.parametrize(
    "value, parsed",
    [
        ("127.0.0.1:6379", ("127.0.0.1", 6379)),
        ("redis", ("redis", 6379)),
        ("redis:6380", ("redis", 6380)),
        (" redis.example.org:7000 ", ("redis.example.org", 7000)),
        ("redis://:pw@redis:6379/1", "redis://:pw@redis:6379/1"),
    ],
)
def test_parse_redis_server(value, parsed):
    assert parse_redis_server(value) == parsed


@pytest.mark.parametrize(
    "url, origin",
    [
        ("", None),
        ("https://argus.example.org/", "https://argus.example.org"),
        ("https://argus.example.org:443/app", "https://argus.example.org"),
        ("http://argus.example.org:80", "http://argus.example.org"),
        ("http://localhost:3000/", "http://localhost:3000"),
        ("argus.example.org:443", "https://argus.example.org"),
        ("argus.example.org:80", "http://argus.example.org"),
    ],
)
def test_normalize_frontend_url(url, origin):
    assert normalize_frontend_url(url) == origin


def test_sqlite_database_url_gets_the_concurrency_options(tmp_path):
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default']; print(d['ENGINE'], d['OPTIONS'])"
    )
    result = run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        code,
        DJANGO_SETTINGS_MODULE="argus.site.settings.dev",
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr
    assert "django.db.backends.sqlite3" in result.stdout
    assert "'transaction_mode': 'IMMEDIATE'" in result.stdout
    assert "'timeout': 20" in result.stdout
