"""Real Argus server processes for end-to-end websocket tests and ``bench/ws_fanout.py``.

:class:`ArgusCluster` creates a fresh PostgreSQL database, migrates it, seeds an end user and a
source system (with API tokens) and starts N daphne processes on loopback that share that database
and the Redis channel layer. Everything is removed again on exit. A private Redis key prefix keeps
concurrent clusters (other test runs on the same Redis) from seeing each other's frames.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(Path(sys.executable))
DAPHNE = str(Path(sys.executable).with_name("daphne"))
PORT_RANGE = range(8200, 8300)
POSTGRES = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)
SETTINGS = "tests.ws.e2e_settings"

SEED = """
import json
from argus.auth.models import User
from argus.incident.models import SourceSystem, SourceSystemType
from rest_framework.authtoken.models import Token
user = User.objects.create_user("e2e_user", password="e2e-password-123", is_staff=True)
source_user = User.objects.create_user("e2e_source")
source = SourceSystem.objects.create(
    name="e2e_source", type=SourceSystemType.objects.get_or_create(name="e2e")[0], user=source_user
)
print(json.dumps({
    "user_token": Token.objects.create(user=user).key,
    "source_token": Token.objects.create(user=source_user).key,
    "source_pk": source.pk,
    "user_pk": user.pk,
}))
"""


def reachable(address: tuple[str, int], timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False


def free_ports(count: int, exclude=()) -> list[int]:
    """``count`` ports of our range (8200-8299) that nobody listens on, in random order."""
    candidates = [port for port in PORT_RANGE if port not in exclude]
    secrets.SystemRandom().shuffle(candidates)
    ports = []
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
        if len(ports) == count:
            return ports
    raise RuntimeError(f"no {count} free ports in 8200-8299")


def _admin_sql(sql: str) -> None:
    import psycopg2

    connection = psycopg2.connect(host=POSTGRES[0], port=POSTGRES[1], user="postgres", dbname="postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


class ArgusCluster:
    def __init__(self, processes: int = 2, name: str = "e2e"):
        self.processes = processes
        self.suffix = secrets.token_hex(4)
        self.db_name = f"argus_realtime_{name}_{self.suffix}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "SECRET_KEY": secrets.token_hex(32),
            "ARGUS_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"postgres://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{self.db_name}",
            "ARGUS_REDIS_SERVER": f"{REDIS[0]}:{REDIS[1]}",
            "ARGUS_TEST_CHANNEL_PREFIX": f"argus-{name}-{self.suffix}:",
            "ARGUS_SEND_NOTIFICATIONS": "false",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        }
        self.ports: list[int] = []
        self.servers: list[subprocess.Popen] = []
        self.seed: dict = {}
        self._db_created = False

    # -- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> ArgusCluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        _admin_sql(f'CREATE DATABASE "{self.db_name}"')
        self._db_created = True
        self.manage("migrate", "--noinput", "-v", "0")
        self.seed = json.loads(self.shell(SEED).strip().splitlines()[-1])
        self.ports = free_ports(self.processes)
        for port in self.ports:
            self.servers.append(self.start_server(port))
        for port, server in zip(self.ports, self.servers, strict=True):
            self.wait_until_serving(port, server)

    def start_server(self, port: int) -> subprocess.Popen:
        return subprocess.Popen(
            [DAPHNE, "-b", "127.0.0.1", "-p", str(port), "argus.site.asgi:application"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )

    def wait_until_serving(self, port: int, server: subprocess.Popen, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"daphne on {port} exited: {server.stderr.read().decode()[-2000:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/", timeout=2)
                return
            except urllib.error.HTTPError:
                return  # any HTTP answer means Django is up
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"daphne on {port} did not answer within {timeout} s")

    def stop_server(self, server: subprocess.Popen, timeout: float = 15) -> int:
        """SIGTERM one server and wait for it; returns the exit code (kills it if it hangs)."""
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if server.stderr:
            server.stderr.close()
        return server.returncode

    def stop(self) -> None:
        for server in self.servers:
            self.stop_server(server)
        self.servers = []
        if self._db_created:
            _admin_sql(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            self._db_created = False

    # -- helpers ------------------------------------------------------------------------------

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "-c", code)

    def http_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports[index]}"

    def ws_url(self, index: int) -> str:
        return f"ws://127.0.0.1:{self.ports[index]}/ws/open/"
