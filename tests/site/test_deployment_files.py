"""operations.md §4: the Dockerfile and docker-compose.yml describe a runnable set (no docker here,
so check what can be checked: structure, commands, and that what they name exists)."""

import importlib
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_five_services():
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "api", "worker", "periodic"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["api"]["build"] == "."
    assert "8000:8000" in services["api"]["ports"]


def test_compose_worker_runs_the_task_worker_on_every_queue():
    worker = compose()["services"]["worker"]
    assert worker["command"] == ["python", "manage.py", "run_task_worker"]
    assert worker["image"] == compose()["services"]["api"]["image"]


def test_compose_periodic_runs_the_periodic_jobs_from_the_same_image():
    periodic = compose()["services"]["periodic"]
    assert periodic["command"] == ["python", "manage.py", "run_periodic_jobs"]
    assert periodic["image"] == compose()["services"]["api"]["image"]
    assert periodic["restart"] == "always"


def test_compose_api_and_worker_share_a_production_environment():
    services = compose()["services"]
    for name in ("api", "worker", "periodic"):
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "argus.site.settings.prod"
        assert env["DATABASE_URL"].startswith("postgresql://argus:")
        assert env["DATABASE_URL"].endswith("@postgres:5432/argus")
        assert env["ARGUS_REDIS_SERVER"] == "redis:6379"
        assert env["SECRET_KEY"]
    postgres_env = services["postgres"]["environment"]
    assert postgres_env["POSTGRES_USER"] == "argus" and postgres_env["POSTGRES_DB"] == "argus"


def test_dockerfile():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.MULTILINE)
    assert "pip install -r requirements/base.txt" in text
    assert (ROOT / "requirements" / "base.txt").exists()
    assert "DJANGO_SETTINGS_MODULE=argus.site.settings.prod" in text
    assert "collectstatic --noinput" in text
    assert "migrate --noinput" in text
    match = re.search(r"daphne .*?(argus[\w.]+):(\w+)", text)
    assert match, "the image must run daphne on the ASGI application"
    module = importlib.import_module(match.group(1))
    assert callable(getattr(module, match.group(2)))


def test_tox_ini_runs_pytest_and_ruff():
    text = (ROOT / "tox.ini").read_text()
    assert "commands = pytest {posargs}" in text
    assert "-r requirements/dev.txt" in text
    assert "ruff check src tests" in text


def test_the_image_build_step_collectstatic_works_with_throwaway_settings(tmp_path):
    """The Dockerfile runs collectstatic under prod settings with throwaway SECRET_KEY/DATABASE_URL."""
    from tests.site.test_settings import run_manage

    result = run_manage(
        "collectstatic",
        "--noinput",
        "--verbosity",
        "0",
        DJANGO_SETTINGS_MODULE="argus.site.settings.prod",
        SECRET_KEY="collectstatic-only",
        ARGUS_ALLOWED_HOSTS="localhost",
        DATABASE_URL=f"sqlite:///{tmp_path / 'collectstatic.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "favicon.svg").exists()
    assert (tmp_path / "static" / "admin" / "css" / "base.css").exists()
