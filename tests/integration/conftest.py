"""Real server processes for the integration tests.

The server is ``daphne`` running ``argus.site.asgi`` with the test settings, on a free port in
8100-8199, against the test run's own database:

* PostgreSQL (``DATABASE_URL`` set): the very test database pytest-django created, so no extra
  migration is needed. Seed rows are committed and the tables are flushed afterwards, as
  pytest-django's ``transactional_db`` does.
* SQLite: the (in-memory) test database, already migrated and seeded, is copied into a file in
  ``tmp_path`` with SQLite's backup API; the server uses that file.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from django.core.management import call_command
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
PORTS = range(8100, 8200)
STARTUP_TIMEOUT = 40.0

pytestmark = pytest.mark.integration


def is_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def free_port() -> int:
    """A port in 8100-8199 nobody listens on, starting at a pid-dependent offset."""
    offset = os.getpid() % len(PORTS)
    for index in range(len(PORTS)):
        port = PORTS[(offset + index) % len(PORTS)]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("No free port in 8100-8199")


@dataclass
class ServerProcess:
    process: subprocess.Popen
    port: int
    log_path: Path
    database_url: str = ""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _launch(
    database_url: str, log_dir: Path, name: str, extra_env: dict | None = None, port: int | None = None
) -> ServerProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "PYTEST_CURRENT_TEST")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="argus.site.settings.test",
        DATABASE_URL=database_url,
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    )
    env.update(extra_env or {})
    port = port or free_port()
    log_path = log_dir / f"{name}-{port}.log"
    with open(log_path, "wb") as log_file:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "argus.site.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    return ServerProcess(process=process, port=port, log_path=log_path, database_url=database_url)


def _wait_until_ready(server: ServerProcess) -> bool:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            if httpx.get(f"{server.base_url}/api/", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


def start_servers(
    database_url: str, log_dir: Path, count: int = 1, extra_env: dict | None = None
) -> list[ServerProcess]:
    """Start ``count`` daphne processes at once and wait until each answers ``GET /api/``."""
    servers = []
    for n in range(count):
        server = _launch(database_url, log_dir, f"server{n}", extra_env)
        # Claim the port before choosing the next one: wait until it listens (or died).
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while server.process.poll() is None and time.monotonic() < deadline:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                if probe.connect_ex(("127.0.0.1", server.port)) == 0:
                    break
            time.sleep(0.05)
        servers.append(server)
    for index, server in enumerate(servers):
        if _wait_until_ready(server):
            continue
        log = server.log()
        if "Address already in use" in log:
            server.stop()
            servers[index] = server = _launch(database_url, log_dir, f"server{index}-retry", extra_env)
            if _wait_until_ready(server):
                continue
            log = server.log()
        stop_servers(servers)
        raise RuntimeError(f"Argus server did not start:\n{log}")
    return servers


def restart_server(server: ServerProcess) -> ServerProcess:
    """A new process for a stopped ``server``: same port, same database; waits until it answers."""
    restarted = _launch(server.database_url, server.log_path.parent, "restarted", port=server.port)
    if not _wait_until_ready(restarted):
        log = restarted.log()
        restarted.stop()
        raise RuntimeError(f"Argus server did not restart:\n{log}")
    return restarted


def stop_servers(servers: list[ServerProcess]) -> None:
    """Kill the test servers: they hold nothing worth a graceful (seconds-long) shutdown."""
    for server in servers:
        if server.process.poll() is None:
            server.process.kill()
    for server in servers:
        server.process.wait(timeout=10)


def database_url_for_server(tmp_dir: Path) -> str:
    """A URL the server process can use to reach the (already seeded) test database."""
    if connection.vendor == "postgresql":
        parts = urlsplit(os.environ["DATABASE_URL"])
        return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))
    path = tmp_dir / "argus-integration.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def seeded_server(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """Yield (server, seed) for the module; ``seed`` is the module's ``seed_data()`` result.

    Each test module defines ``seed_data()`` (run with database access, before the server starts),
    and may define ``SERVERS`` (how many processes) and ``server_env(tmp_dir)`` (more environment).
    """
    tmp_dir = tmp_path_factory.mktemp("argus-server")
    server_env = getattr(request.module, "server_env", None)
    extra_env = server_env(tmp_dir) if server_env else None
    with django_db_blocker.unblock():
        seed = request.module.seed_data()
        url = database_url_for_server(tmp_dir)
        servers = start_servers(url, tmp_dir, getattr(request.module, "SERVERS", 1), extra_env)
        try:
            yield servers, seed
        finally:
            stop_servers(servers)
            call_command("flush", interactive=False, verbosity=0)
