"""The README's first command, ``make run``, on the embedded default (SQLite, in-process channel
layer): it migrates, sets up, says whether notifications are on and serves the web UI and the API,
with its task worker and periodic jobs beside the server."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv"


@pytest.mark.skipif(not (VENV / ".installed").exists(), reason="make run needs the Makefile's virtualenv")
def test_make_run_serves_the_ui_and_the_api_on_sqlite(tmp_path):
    port = free_port()
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "DATABASE_", "ARGUS_", "PROMETHEUS_"))
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "argus.site.settings.dev",
        "ARGUS_SQLITE_PATH": str(tmp_path / "argus.sqlite3"),
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    log = tmp_path / "make-run.log"
    with log.open("w") as out:
        # -o: take the virtualenv as it is (a checkout edited since `make venv` would reinstall).
        make = subprocess.Popen(
            [
                "make",
                "-o",
                f"{VENV}/.installed",
                "run",
                f"PORT={port}",
                f"METRICS_DIR={tmp_path / 'metrics'}",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            assert make.poll() is None, log.read_text()[-3000:]
            try:
                if httpx.get(f"{base}/.still-alive/", timeout=2).is_success:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)
        home = httpx.get(f"{base}/", timeout=10)
        assert (home.status_code, home.headers["location"]) == (302, "/incidents/")
        login = httpx.get(f"{base}/incidents/", timeout=10, follow_redirects=True)
        assert login.status_code == 200 and "/accounts/login/" in str(login.url)
        assert httpx.get(f"{base}/api/v2/incidents/", timeout=10).status_code == 401
        assert httpx.get(f"{base}/.ready/", timeout=10).status_code == 200
        output = log.read_text()
        assert 'Created Argus superuser "admin" with password' in output
        assert "Notifications are OFF (dev settings)" in output
    finally:
        stop(make)


def stop(make: subprocess.Popen) -> None:
    """make, the server, the worker and the periodic jobs: one process group."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(make.pid, sig)
        except ProcessLookupError:
            return
        try:
            make.wait(timeout=30)
            return
        except subprocess.TimeoutExpired:
            continue
