"""ARGUS_OVERRIDING_APPS / ARGUS_EXTRA_APPS (operations.md §2.3) and the dev .env file."""

import json
import os

import pytest
from django.core.exceptions import ImproperlyConfigured

from argus.site import extra_apps
from argus.site.settings._env import load_dotenv
from tests.site.test_settings import run_manage

APP = {
    "app_name": "django.contrib.humanize",
    "urls": {"path": "extra/", "urlpatterns_module": "tests.site.extra_app_urls", "namespace": "extra"},
    "context_processors": ["django.template.context_processors.tz"],
    "middleware": {"django.middleware.gzip.GZipMiddleware": "start"},
    "settings": {"EXTRA_GREETING": "hei", "lowercase": "ignored"},
}


def test_installed_apps_order():
    apps = extra_apps.installed_apps([{"app_name": "first"}], ["argus.auth"], [{"app_name": "last"}])
    assert apps == ["first", "argus.auth", "last"]


def test_middleware_positions():
    apps = [{"app_name": "a", "middleware": {"m.Start": "start", "m.End": "end", "base.B": "start"}}]
    assert extra_apps.middleware(["base.A", "base.B"], apps) == ["m.Start", "base.A", "base.B", "m.End"]


def test_context_processors_and_settings():
    assert extra_apps.context_processors(["a"], [APP]) == ["a", "django.template.context_processors.tz"]
    assert extra_apps.app_settings([APP]) == {"EXTRA_GREETING": "hei"}


@pytest.mark.parametrize(
    "apps",
    [
        {"app_name": "x"},
        [{"name": "x"}],
        ["x"],
        [{"app_name": "x", "urls": {"path": "x/"}}],
        [{"app_name": "x", "middleware": {"m.M": "middle"}}],
        [{"app_name": "x", "settings": ["A"]}],
    ],
)
def test_malformed_descriptions_fail_early(apps):
    with pytest.raises(ImproperlyConfigured, match="ARGUS_EXTRA_APPS"):
        extra_apps.validate(apps, "ARGUS_EXTRA_APPS")


@pytest.mark.parametrize("variable", ["ARGUS_EXTRA_APPS", "ARGUS_OVERRIDING_APPS"])
def test_extra_app_is_installed_and_mounted(variable):
    code = (
        "from django.conf import settings as s; from django.test import Client;"
        "r = Client().get('/extra/hello/');"
        "print(r.status_code, r.content.decode().replace(' ', '_'), s.EXTRA_GREETING,"
        " 'django.contrib.humanize' in s.INSTALLED_APPS, s.MIDDLEWARE[0],"
        " s.TEMPLATES[0]['OPTIONS']['context_processors'][-1], hasattr(s, 'lowercase'))"
    )
    result = run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        code,
        DJANGO_SETTINGS_MODULE="argus.site.settings.dev",
        **{variable: json.dumps([APP])},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "200",
        "hello_from_extra",
        "hei",
        "True",
        "django.middleware.gzip.GZipMiddleware",
        "django.template.context_processors.tz",
        "False",
    ]


def test_invalid_json_fails_at_startup():
    result = run_manage("check", DJANGO_SETTINGS_MODULE="argus.site.settings.dev", ARGUS_EXTRA_APPS="[{bad")
    assert result.returncode != 0
    assert "JSONDecodeError" in result.stderr


def test_load_dotenv(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\n\nX_DOT_A=1\nexport X_DOT_B = 'two words'\nX_DOT_C=\"q\"\nX_DOT_SET=from-file\nnonsense\n"
    )
    monkeypatch.setenv("X_DOT_SET", "from-env")
    for name in ("X_DOT_A", "X_DOT_B", "X_DOT_C"):
        monkeypatch.delenv(name, raising=False)
    loaded = load_dotenv(env_file)
    assert loaded == ["X_DOT_A", "X_DOT_B", "X_DOT_C"]
    assert (os.environ["X_DOT_A"], os.environ["X_DOT_B"], os.environ["X_DOT_C"]) == ("1", "two words", "q")
    assert os.environ["X_DOT_SET"] == "from-env"
    for name in loaded:
        monkeypatch.delenv(name)


def test_load_dotenv_missing_file(tmp_path):
    assert load_dotenv(tmp_path / "nope") == []
