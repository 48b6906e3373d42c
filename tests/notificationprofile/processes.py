"""Real ``db_worker`` and ``run_periodic_jobs`` processes on the test's PostgreSQL database, and a
slow SMTP sink that can go down, for the crash tests.

The processes use ``tests.notificationprofile.process_settings``: the test settings with the
database task queue, SMTP to the sink, and the lease and sweep interval given here, so a worker
killed while holding work is replaced within seconds.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import re
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

from aiosmtpd.controller import Controller
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
SUBJECT_TOKEN = re.compile(r"'Incident start': (\S+),")


class SlowSink:
    """Accepts every mail after ``delay`` seconds; remembers each one's incident token and Message-ID."""

    def __init__(self, delay: float):
        self.delay = delay
        self.received: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        match = SUBJECT_TOKEN.search(str(message["Subject"]))
        self.received.append((match[1] if match else "?", str(message["Message-ID"])))
        return "250 OK"

    def tokens(self) -> set[str]:
        return {token for token, _message_id in self.received}

    def copies(self) -> dict[str, list[str]]:
        by_token = defaultdict(list)
        for token, message_id in self.received:
            by_token[token].append(message_id)
        return by_token


class Relay:
    """The sink on a loopback port; ``down()`` and ``up()`` stop and restart it on the same port."""

    def __init__(self, port: int, delay: float):
        self.port = port
        self.handler = SlowSink(delay)
        self.controller = None

    def up(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def down(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for_tokens(self, count: int, timeout: float) -> set[str]:
        deadline = time.monotonic() + timeout
        while len(self.handler.tokens()) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.handler.tokens()


def database_address() -> tuple[str, int]:
    settings = connection.settings_dict
    return settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432)


def database_url(port: int | None = None) -> str:
    """The URL of the test database (the one pytest-django made), for the child processes.

    ``port``: reach it through a proxy on that loopback port instead.
    """
    settings = connection.settings_dict
    credentials = quote(settings["USER"] or "", safe="")
    if settings["PASSWORD"]:
        credentials += ":" + quote(settings["PASSWORD"], safe="")
    host, default_port = database_address()
    if port is not None:
        host = "127.0.0.1"
    return f"postgres://{credentials}@{host}:{port or default_port}/{settings['NAME']}"


class DatabaseProxy:
    """A TCP proxy to PostgreSQL on a loopback port; ``outage()`` drops every connection and
    refuses new ones for a while, as a database restart does to its clients."""

    def __init__(self, port: int):
        self.port = port
        self.target = database_address()
        self.accepting = True
        self.writers: set = set()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server = None

    def __enter__(self):
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._client, "127.0.0.1", self.port), self.loop
        ).result(10)
        return self

    def __exit__(self, *exc):
        async def close():
            self.server.close()
            self._drop_all()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def _client(self, reader, writer):
        if not self.accepting:
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.writers.update([writer, upstream_writer])
        await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))

    @staticmethod
    async def _pipe(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            writer.transport.abort()

    def _drop_all(self):
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    def outage(self, seconds: float) -> None:
        async def down():
            self.accepting = False
            self._drop_all()

        asyncio.run_coroutine_threadsafe(down(), self.loop).result(10)
        time.sleep(seconds)
        self.accepting = True


class Processes:
    """Workers and the periodic-jobs process; everything still running is killed on ``stop_all``."""

    def __init__(self, log_dir: Path, smtp_port: int, lease: float, sweep: float, database_port=None):
        self.log_dir = log_dir
        url = database_url(database_port)
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "PYTEST_CURRENT_TEST")
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="tests.notificationprofile.process_settings",
            DATABASE_URL=url,
            PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            ARGUS_TEST_SMTP_PORT=str(smtp_port),
            ARGUS_NOTIFICATION_LEASE_SECONDS=str(lease),
            ARGUS_NOTIFICATION_SWEEP_SECONDS=str(sweep),
        )
        self.running: list[subprocess.Popen] = []

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115  (the child writes to it)
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.running.append(process)
        return process

    def worker(self, name: str) -> subprocess.Popen:
        return self.start(
            name, "db_worker", "--queue-name", "*", "--no-reload", "--interval", "0.2", "--no-startup-delay"
        )

    def task_worker(self, name: str) -> subprocess.Popen:
        return self.start(name, "run_task_worker", "--interval", "0.2")

    def periodic_jobs(self) -> subprocess.Popen:
        return self.start("periodic", "run_periodic_jobs")

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def wait_for_log(self, name: str, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log(name):
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} never logged {text!r}:\n{self.log(name)[-3000:]}")
            time.sleep(0.05)

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        process.kill()
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.kill()
        for process in self.running:
            process.wait(timeout=10)
