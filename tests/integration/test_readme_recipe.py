"""The README's production recipe, run line by line in a clean environment, then its processes
started exactly as the systemd units it installs say.

What only root can do on a real host is stood in for: the recipe runs in a copy of the
repository instead of /opt/argus, writes /etc/argus and /etc/systemd/system into a scratch
folder, and ``useradd``, ``chown`` and ``systemctl`` are shims that record their arguments. The
database is a scratch one (PostgreSQL when the suite runs on it, else SQLite); Redis is the
local one when it answers, else the in-process channel layer.
"""

from __future__ import annotations

import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import free_port, is_postgres

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_DATABASE = "postgresql://argus:secret@db.example.org:5432/argus"
EXAMPLE_REDIS = "redis.example.org:6379"
SHIMMED = ("useradd", "chown", "systemctl")


def recipe() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Production: PostgreSQL + Redis, supervised processes", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def database_url(tmp_path):
    if not is_postgres():
        yield f"sqlite:///{tmp_path / 'recipe.sqlite3'}"
        return
    import psycopg2

    name = f"argus_ops_recipe_{secrets.token_hex(4)}"
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def copy_of_the_repository(target: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in files:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def shims(folder: Path, log: Path) -> None:
    folder.mkdir()
    for name in SHIMMED:
        path = folder / name
        path.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\n')
        path.chmod(0o755)


def read_environment_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines as systemd's EnvironmentFile reads them (one pair of quotes removed)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def unit_values(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def start_unit(unit: Path, instance: str, clean_env: dict, log_dir: Path) -> subprocess.Popen:
    """Start a unit's ExecStart with its EnvironmentFile, Environment and WorkingDirectory."""
    values = unit_values(unit)
    env = dict(clean_env)
    env.update(read_environment_file(Path(values["EnvironmentFile"])))
    key, _, value = values["Environment"].partition("=")
    env[key] = value
    command = values["ExecStart"].replace("%i", instance).split()
    log = open(log_dir / f"{unit.stem}{instance}.log", "wb")  # noqa: SIM115 (the child keeps it)
    return subprocess.Popen(
        command, cwd=values["WorkingDirectory"], env=env, stdout=log, stderr=subprocess.STDOUT
    )


def test_the_production_recipe_runs_line_by_line_and_its_units_start(tmp_path, database_url):
    checkout, etc, units, metrics = (
        tmp_path / "opt-argus",
        tmp_path / "etc-argus",
        tmp_path / "systemd",
        tmp_path / "run-argus-metrics",
    )
    checkout.mkdir()
    units.mkdir()
    copy_of_the_repository(checkout)
    calls = tmp_path / "calls.log"
    shims(tmp_path / "bin", calls)
    redis = "redis://127.0.0.1:6379/11" if redis_answers() else ""

    script = recipe()
    for example in ("/etc/systemd/system/", EXAMPLE_DATABASE, EXAMPLE_REDIS):
        assert example in script, f"the recipe no longer names {example}"
    script = (
        script.replace("/etc/systemd/system/", f"{units}/")
        .replace("/etc/argus", str(etc))
        .replace("/opt/argus", str(checkout))
        .replace(EXAMPLE_DATABASE, database_url)
        .replace(EXAMPLE_REDIS, redis)
    )
    clean_env = {
        "PATH": f"{tmp_path / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
    }
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    assert "Traceback" not in result.stderr

    environment = read_environment_file(etc / "env")
    assert len(environment["SECRET_KEY"]) == 50
    assert environment["DJANGO_SETTINGS_MODULE"] == "argus.site.settings.prod"
    assert re.search(r"password\W", result.stdout + result.stderr, re.IGNORECASE), (
        "initial_setup printed no password"
    )
    recorded = calls.read_text().splitlines()
    assert "systemctl enable --now argus@8001 argus@8002 argus-worker argus-periodic" in recorded
    assert recorded[0].startswith("useradd --system")
    for name in ("argus@.service", "argus-worker.service", "argus-periodic.service"):
        assert (units / name).exists()

    # The processes, as systemd would start them from the installed units.
    for unit in units.glob("*.service"):
        text = unit.read_text().replace("/opt/argus", str(checkout)).replace("/etc/argus", str(etc))
        unit.write_text(text.replace("/run/argus/metrics", str(metrics)))
    port = str(free_port())
    processes = [
        start_unit(units / "argus@.service", port, clean_env, tmp_path),
        start_unit(units / "argus-worker.service", "", clean_env, tmp_path),
        start_unit(units / "argus-periodic.service", "", clean_env, tmp_path),
    ]
    try:
        deadline, ready = time.monotonic() + 60, None
        while time.monotonic() < deadline and processes[0].poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/.ready/", timeout=5)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        logs = "\n".join(path.read_text(errors="replace")[-2000:] for path in tmp_path.glob("*.log"))
        assert ready is not None and ready.status_code == 200, logs
        assert ready.json()["checks"] == {"database": "ok", "channel_layer": "ok", "migrations": "ok"}
        served = httpx.get(f"http://127.0.0.1:{port}/api/", headers={"Host": "argus.example.org"}, timeout=5)
        assert served.status_code == 200
        assert all(process.poll() is None for process in processes), logs
        refused = httpx.get(
            f"http://127.0.0.1:{port}/api/v2/incidents/", headers={"Host": "argus.example.org"}
        )
        assert refused.status_code == 401
        metrics_page = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert metrics_page.status_code == 200
        assert 'argus_api_requests_total{code_class="4xx",method="GET",version="v2"} 1.0' in metrics_page.text
        assert any(metrics.glob("*.db")), "the processes keep no counters in the shared directory"
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_gen_secret_key_needs_no_settings(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "argus.site.settings.prod",
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "gen_secret_key"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip()) == 50
    assert result.stderr == ""
