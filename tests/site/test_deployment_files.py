"""The Dockerfile, docker-compose.yml, the systemd units and `make run` describe a runnable set (no
docker or systemd here, so check what can be checked: structure, commands, and that what they
name exists)."""

import importlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
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


def metrics_subdirectory_command(command: str) -> list[str]:
    """The worker's and periodic's command: their counters in a directory of their own."""
    return [
        "sh",
        "-c",
        f"PROMETHEUS_MULTIPROC_DIR=/var/lib/argus/metrics/$$HOSTNAME exec python manage.py {command}",
    ]


def test_compose_worker_runs_the_task_worker_on_every_queue():
    worker = compose()["services"]["worker"]
    assert worker["command"] == metrics_subdirectory_command("run_task_worker")
    assert worker["image"] == compose()["services"]["api"]["image"]
    assert worker["healthcheck"] == {"disable": True}


def test_compose_periodic_runs_the_periodic_jobs_from_the_same_image():
    periodic = compose()["services"]["periodic"]
    assert periodic["command"] == metrics_subdirectory_command("run_periodic_jobs")
    assert periodic["image"] == compose()["services"]["api"]["image"]


def test_compose_restarts_every_service_that_dies():
    for name, service in compose()["services"].items():
        assert service["restart"] == "always", name


def test_compose_refuses_to_start_without_a_secret_key():
    text = (ROOT / "docker-compose.yml").read_text()
    assert "SECRET_KEY: ${SECRET_KEY:?" in text
    assert "change-me" not in text


def test_compose_health_check_asks_whether_the_server_is_ready():
    (check,) = [part for part in compose()["services"]["api"]["healthcheck"]["test"] if "urlopen" in part]
    assert "http://127.0.0.1:8000/.ready/" in check


def test_compose_processes_share_the_metrics_volume():
    services = compose()["services"]
    for name in ("api", "worker", "periodic"):
        assert "metrics:/var/lib/argus/metrics" in services[name]["volumes"], name
    assert "metrics" in compose()["volumes"]


def test_compose_api_and_worker_share_a_production_environment():
    services = compose()["services"]
    for name in ("api", "worker", "periodic"):
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "argus.site.settings.prod"
        assert env["ARGUS_ALLOWED_HOSTS"]
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
    assert re.search(r"^HEALTHCHECK .*\n.*/\.ready/", text, re.MULTILINE)
    assert "PROMETHEUS_MULTIPROC_DIR=/var/lib/argus/metrics" in text
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


# --- systemd units ---------------------------------------------------------------------------------

SYSTEMD = ROOT / "docs" / "systemd"


def unit(name: str) -> dict[str, str]:
    values = {}
    for line in (SYSTEMD / name).read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


@pytest.mark.parametrize(
    "name, command",
    [
        (
            "argus@.service",
            "/opt/argus/.venv/bin/daphne -b 127.0.0.1 -p %i --proxy-headers argus.site.asgi:application",
        ),
        ("argus-worker.service", "/opt/argus/.venv/bin/python manage.py run_task_worker"),
        ("argus-periodic.service", "/opt/argus/.venv/bin/python manage.py run_periodic_jobs"),
    ],
)
def test_each_process_has_a_unit_that_restarts_it(name, command):
    values = unit(name)
    assert values["ExecStart"] == command
    assert values["Restart"] == "always"
    assert values["EnvironmentFile"] == "/etc/argus/env"
    assert values["WorkingDirectory"] == "/opt/argus"
    assert values["User"] == "argus"
    assert values["Environment"] == "PROMETHEUS_MULTIPROC_DIR=/run/argus/metrics"


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_the_units_are_valid_systemd_units(tmp_path):
    for path in SYSTEMD.glob("*.service"):
        target = tmp_path / path.name.replace("@.", "@8001.")
        venv_bin = f"{Path(sys.executable).parent}/"  # where python and daphne exist here
        target.write_text(path.read_text().replace("/opt/argus/.venv/bin/", venv_bin))
        result = subprocess.run(
            ["systemd-analyze", "verify", "--man=no", str(target)], capture_output=True, text=True, timeout=60
        )
        problems = [line for line in result.stderr.splitlines() if target.name in line]
        assert problems == [], result.stderr


# --- make run ----------------------------------------------------------------------------------------


def test_make_run_names_addresses_that_exist_and_says_whether_notifications_are_on():
    text = (ROOT / "Makefile").read_text()
    assert "API: /api/, /api/schema/swagger-ui/" in text
    assert "/api/v2/)" not in text
    assert "Notifications are" in text and "ARGUS_SEND_NOTIFICATIONS=true" in text


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/", "/api/schema/swagger-ui/", "/admin/"])
def test_the_addresses_the_banner_names_answer(client, path):
    assert client.get(path).status_code in (200, 302)
