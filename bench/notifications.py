"""Notification workload: ingest with notifications off vs on, and commit-to-mailbox latency.

    python bench/notifications.py [--seconds 15] [--rate 50] [--rounds 3] [--processes 2] [--workers 1]

Self-contained: creates a fresh PostgreSQL database (``<--database-prefix>_<hex>``, by default
``argus_notifengine_bench_<hex>``, on 127.0.0.1:5432, user postgres), migrates it, seeds ``--users`` (200) users with ``--profiles`` (5)
active profiles each (the user's "All the time" timeslot, the user's synced email destination,
one tag filter ``bench_group=g<k>`` per profile, ``--groups`` (500) distinct groups, so each group is
watched by users*profiles/groups profiles of different users) and ``--sources`` (8) source systems.
It runs an SMTP sink in its own process (a minimal asyncio SMTP server standing for the mail relay;
``--sink aiosmtpd`` for aiosmtpd), ``--processes`` daphne servers and ``--workers`` ``db_worker``
processes (production settings, SMTP to the sink) on loopback ports 8300-8399, and drops the
database at the end (``--keep-db`` keeps it).

Phases, one JSON line each on stdout. The off/on comparisons alternate ``--rounds`` times (3) and
are pooled (one run's p95 moves by about 15% from run to run); every line carries
``cpu_ms_per_incident`` (CPU ms spent by the servers, workers, PostgreSQL, sink, load generator):

* ``ingest-off`` / ``ingest-on``: one client per source POSTs incidents (one ``bench_group`` tag
  each) as fast as it can for ``--seconds``, servers with ``ARGUS_SEND_NOTIFICATIONS`` off, then
  on with the workers running on the same cores: creations/s, and how long after the load the
  last expected mail arrived (``drain_after_s_by_round``).
* ``ingest-on-queue-only`` (first round): the same with notifications on but no worker running
  yet: the cost of notifications on the request path (one pending-event row in the incident's
  transaction, and at most one wake-up task per server process per batch window).
* ``worker-drain``: the workers start and work off that backlog alone: events/s and mails/s.
* ``rate-off`` / ``latency``: incidents at a steady ``--rate``, notifications off, then on with
  the workers running: the POST latency of both; for every mail the sink receives, the time from
  the POST response (the event is committed before the response is sent, so this slightly
  *under*-states by the response transfer) and from the POST request start (an upper bound) to
  the mail's arrival; mails expected vs received.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DAPHNE = str(Path(sys.executable).with_name("daphne"))
PORTS = range(8300, 8400)
#: The bench's incident descriptions are unique ``nb-<phase>-<n>`` tokens; the first one in a mail
#: is in its Subject header (folding only breaks lines at spaces, so the token stays whole).
DESCRIPTION_RE = re.compile(rb"\b(nb-[\w-]+),")

SEED = """
import json
from argus.auth.models import User
from argus.incident.models import SourceSystem, SourceSystemType
from argus.notificationprofile.models import DestinationConfig, Filter, NotificationProfile, Timeslot
from rest_framework.authtoken.models import Token
users, profiles, groups, sources = {users}, {profiles}, {groups}, {sources}
for u in range(users):
    user = User.objects.create_user(f"bench_user{{u}}", email=f"bench_user{{u}}@bench.example")
    timeslot = Timeslot.objects.get(user=user)
    destination = DestinationConfig.objects.get(user=user, settings__synced=True)
    for i in range(profiles):
        group = (u * profiles + i) % groups
        f = Filter.objects.create(user=user, name=f"g{{group}}-{{i}}", filter={{"tags": [f"bench_group=g{{group}}"]}})
        profile = NotificationProfile.objects.create(user=user, timeslot=timeslot, active=True)
        profile.filters.set([f])
        profile.destinations.set([destination])
kind, _ = SourceSystemType.objects.get_or_create(name="bench")
tokens = []
for s in range(sources):
    source_user = User.objects.create_user(f"bench_source{{s}}")
    SourceSystem.objects.create(name=f"bench_source{{s}}", type=kind, user=source_user)
    tokens.append(Token.objects.create(user=source_user).key)
print(json.dumps({{"tokens": tokens}}))
"""


def free_ports(count: int) -> list[int]:
    ports = []
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
        if len(ports) == count:
            return ports
    raise RuntimeError(f"no {count} free ports in 8300-8399")


def percentile_ms(samples: list[float], fraction: float) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return round(ordered[index] * 1000, 1)


def summary(samples: list[float]) -> dict:
    return {
        "p50_ms": percentile_ms(samples, 0.5),
        "p95_ms": percentile_ms(samples, 0.95),
        "max_ms": round(max(samples) * 1000, 1) if samples else None,
        "mean_ms": round(statistics.fmean(samples) * 1000, 1) if samples else None,
    }


def cpu_set(cpus: str) -> set[int]:
    """ "1", "0-1", "1,3" -> {CPU numbers}."""
    numbers = set()
    for part in cpus.split(","):
        first, _, last = part.partition("-")
        numbers.update(range(int(first), int(last or first) + 1))
    return numbers


def pinned(cpus: str | None) -> list[str]:
    """``taskset`` prefix running a command on these CPUs (e.g. "1" or "2-3"), or nothing."""
    return ["taskset", "-c", cpus] if cpus else []


def worker_priority(niceness: str | None) -> list[str]:
    """Command prefix for ``--worker-nice``: ``nice -n N``, or ``chrt --idle 0`` for "idle"."""
    if not niceness or niceness == "0":
        return []
    if niceness == "idle":
        return ["chrt", "--idle", "0"]
    return ["nice", "-n", str(int(niceness))]


def emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


# --- CPU accounting --------------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def postgres_pids() -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as comm:
                    if comm.read().strip() == "postgres":
                        pids.append(int(entry))
            except OSError:
                continue
    return pids


class CpuMeter:
    """CPU seconds spent by each part of the stack during a phase (Linux ``/proc``).

    ``postgres`` counts every PostgreSQL process on the host, per process (a backend that exits
    during the phase takes its share with it; the servers and workers keep theirs open).
    """

    def __init__(self, stack: Stack):
        self.stack = stack
        self.start = self.sample()

    def sample(self) -> dict:
        own = os.times()
        return {
            "servers": {p.pid: process_cpu(p.pid) for p in self.stack.servers},
            "workers": {p.pid: process_cpu(p.pid) for p in self.stack.workers},
            "postgres": {pid: process_cpu(pid) for pid in postgres_pids()},
            "sink": {self.stack.sink.process.pid: process_cpu(self.stack.sink.process.pid)},
            "load_generator": {0: own.user + own.system},
        }

    def stop(self) -> dict[str, float]:
        """CPU seconds by part since the meter started."""
        end = self.sample()
        return {
            part: sum(max(0.0, cpu - self.start[part].get(pid, 0.0)) for pid, cpu in pids.items())
            for part, pids in end.items()
        }


def cpu_per(seconds_by_part: list[dict[str, float]], count: int) -> dict[str, float]:
    """Milliseconds of CPU per ``count`` (incidents or events), by part, over several phases."""
    parts = seconds_by_part[0] if seconds_by_part else {}
    return {
        part: round(sum(phase[part] for phase in seconds_by_part) * 1000 / max(count, 1), 2) for part in parts
    }


# --- SMTP sink ---------------------------------------------------------------------------------


class LeanSMTP(asyncio.Protocol):
    """A minimal SMTP server (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT): the bench's mail relay.

    In production the relay runs elsewhere; here it shares the measured cores, and aiosmtpd spent
    about as much CPU per mail receiving it as the worker spends sending it, so the sink's own
    cost would dominate what the notification path is charged. ``--sink aiosmtpd`` runs that one.
    """

    def __init__(self, on_mail):
        self.on_mail = on_mail
        self.buffer = b""
        self.in_data = False
        self.recipients: list[str] = []

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"220 bench-sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        replies = []
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    break
                self.on_mail(self.buffer[:end], self.recipients)
                self.buffer = self.buffer[end + 5 :]
                self.in_data, self.recipients = False, []
                replies.append(b"250 OK")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                break
            line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
            verb = line[:4].upper()
            if verb == b"RCPT":
                self.recipients.append(line.partition(b":")[2].strip().strip(b"<>").decode())
                replies.append(b"250 OK")
            elif verb == b"DATA":
                self.in_data = True
                replies.append(b"354 End data with <CR><LF>.<CR><LF>")
            elif verb == b"EHLO":
                replies.append(b"250-bench-sink\r\n250-PIPELINING\r\n250 8BITMIME")
            elif verb in (b"MAIL", b"RSET"):
                self.recipients = []
                replies.append(b"250 OK")
            elif verb in (b"HELO", b"NOOP"):
                replies.append(b"250 OK")
            elif verb == b"QUIT":
                self.transport.write(b"\r\n".join([*replies, b"221 Bye"]) + b"\r\n")
                self.transport.close()
                return
            else:
                replies.append(b"502 Command not implemented")
        if replies:
            self.transport.write(b"\r\n".join(replies) + b"\r\n")


def run_sink(port: int, arrivals, counter, ready, niceness: int = 0, kind: str = "lean") -> None:
    """The SMTP sink's process: every recipient of every mail becomes (time, recipient, description)."""
    if niceness:
        os.nice(niceness)

    def on_mail(content: bytes, recipients: list[str]) -> None:
        now = time.time()
        # A regular expression on the raw bytes, not a parsed message: parsing with the email
        # package cost this process more CPU per mail than the worker spends sending it, on
        # the cores the measured servers use.
        match = DESCRIPTION_RE.search(content)
        description = match.group(1).decode() if match else ""
        for recipient in recipients:
            arrivals.put((now, recipient, description))
        with counter.get_lock():
            counter.value += len(recipients)

    if kind == "aiosmtpd":
        from aiosmtpd.controller import Controller

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                on_mail(envelope.content, envelope.rcpt_tos)
                return "250 OK"

        Controller(Handler(), hostname="127.0.0.1", port=port).start()
        ready.set()
        threading.Event().wait()
        return

    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(
            lambda: LeanSMTP(on_mail), "127.0.0.1", port, reuse_address=True
        )
        ready.set()
        await server.serve_forever()

    asyncio.run(serve())


class SinkProcess:
    """The SMTP sink in its own process, like a real mail server.

    In the load generator's process its SMTP handling would compete for the GIL with the HTTP
    clients and inflate the POST latencies they measure (more so with notifications on).
    """

    def __init__(self, port: int, cpus: str | None = None, niceness: int = 0, kind: str = "lean"):
        self.cpus = cpus
        context = multiprocessing.get_context("spawn")
        self.arrivals = context.Queue()
        self.counter = context.Value("i", 0)
        self.ready = context.Event()
        self.process = context.Process(
            target=run_sink,
            args=(port, self.arrivals, self.counter, self.ready, niceness, kind),
            daemon=True,
        )
        self.consumed = 0

    def start(self) -> None:
        self.process.start()
        if self.cpus:
            os.sched_setaffinity(self.process.pid, cpu_set(self.cpus))
        if not self.ready.wait(30):
            raise RuntimeError("the SMTP sink did not start")

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(10)

    def count(self) -> int:
        """Recipients received since the last :meth:`take`."""
        return self.counter.value - self.consumed

    def take(self) -> list[tuple[float, str, str]]:
        available = self.counter.value - self.consumed
        taken = [self.arrivals.get(timeout=30) for _ in range(available)]
        self.consumed += available
        return taken


# --- processes ---------------------------------------------------------------------------------


class Stack:
    def __init__(self, args):
        self.args = args
        self.db_name = f"{args.database_prefix}_{secrets.token_hex(4)}"
        smtp_port, *self.server_ports = free_ports(1 + args.processes)
        self.smtp_port = smtp_port
        self.sink = SinkProcess(smtp_port, args.worker_cpus, args.sink_nice, args.sink)
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "argus.site.settings.prod",
            "SECRET_KEY": secrets.token_hex(32),
            "ARGUS_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{self.db_name}",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_USE_TLS": "false",
            "DEFAULT_FROM_EMAIL": "argus@bench.example",
            "DJANGO_LOGGING_MODULE": "",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        }
        self.servers: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []
        self.tokens: list[str] = []

    def admin_sql(self, sql: str) -> None:
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def setup(self) -> None:
        self.admin_sql(f'CREATE DATABASE "{self.db_name}"')
        self.manage("migrate", "--noinput", "-v", "0")
        seed = SEED.format(
            users=self.args.users,
            profiles=self.args.profiles,
            groups=self.args.groups,
            sources=self.args.sources,
        )
        output = self.manage("shell", "-c", seed)
        self.tokens = json.loads(output.strip().splitlines()[-1])["tokens"]
        self.sink.start()

    def start_servers(self, notifications: bool) -> None:
        self.stop(self.servers)
        env = {**self.env, "ARGUS_SEND_NOTIFICATIONS": "on" if notifications else "off"}
        self.servers = [
            subprocess.Popen(
                [
                    *pinned(self.args.server_cpus),
                    *[DAPHNE, "-b", "127.0.0.1", "-p", str(port), "argus.site.asgi:application"],
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            for port in self.server_ports
        ]
        deadline = time.monotonic() + 60
        for port in self.server_ports:
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/api/", timeout=2)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"server on {port} did not start")
                    time.sleep(0.2)

    def start_workers(self) -> None:
        env = {**self.env, "ARGUS_SEND_NOTIFICATIONS": "on"}
        self.workers = [
            subprocess.Popen(
                [
                    *pinned(self.args.worker_cpus),
                    *worker_priority(self.args.worker_nice),
                    *[
                        PYTHON,
                        "manage.py",
                        "db_worker",
                        "--queue-name",
                        "*",
                        "--no-reload",
                        *(
                            ["--interval", str(self.args.worker_interval)]
                            if self.args.worker_interval
                            else []
                        ),
                    ],
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            for _ in range(self.args.workers)
        ]

    @staticmethod
    def stop(processes: list[subprocess.Popen]) -> None:
        for process in processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
        processes.clear()

    def teardown(self) -> None:
        self.stop(self.servers)
        self.stop(self.workers)
        with contextlib.suppress(Exception):
            self.sink.stop()
        if not self.args.keep_db:
            with contextlib.suppress(Exception):
                self.admin_sql(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')


# --- load --------------------------------------------------------------------------------------


def incident_body(description: str, group: int) -> dict:
    return {
        "start_time": "2026-11-22T12:30:00+01:00",
        "end_time": "infinity",
        "description": description,
        "level": 3,
        "tags": [{"tag": f"bench_group=g{group}"}],
    }


class Load:
    def __init__(self, stack: Stack, prefix: str):
        self.stack = stack
        self.prefix = prefix
        self.counter = 0
        self.sent: dict[str, tuple[float, float]] = {}  # description -> (request start, response)
        self.latencies: list[float] = []
        self.errors = 0
        self.rng = secrets.SystemRandom()

    def next_description(self) -> tuple[str, int]:
        self.counter += 1
        return f"nb-{self.prefix}-{self.counter}", self.rng.randrange(self.stack.args.groups)

    async def post(self, client: httpx.AsyncClient, port: int) -> None:
        description, group = self.next_description()
        started = time.time()
        try:
            response = await client.post(
                f"http://127.0.0.1:{port}/api/v2/incidents/", json=incident_body(description, group)
            )
        except httpx.HTTPError:
            self.errors += 1
            return
        finished = time.time()
        if response.status_code == 201:
            self.sent[description] = (started, finished)
            self.latencies.append(finished - started)
        else:
            self.errors += 1

    def clients(self) -> list[tuple[httpx.AsyncClient, int]]:
        ports = self.stack.server_ports
        return [
            (
                httpx.AsyncClient(headers={"Authorization": f"Token {token}"}, timeout=30),
                ports[index % len(ports)],
            )
            for index, token in enumerate(self.stack.tokens)
        ]

    async def flat_out(self, seconds: float) -> float:
        clients = self.clients()
        deadline = time.monotonic() + seconds

        async def run(client, port):
            while time.monotonic() < deadline:
                await self.post(client, port)

        started = time.monotonic()
        await asyncio.gather(*(run(client, port) for client, port in clients))
        elapsed = time.monotonic() - started
        for client, _ in clients:
            await client.aclose()
        return elapsed

    async def paced(self, seconds: float, rate: float) -> float:
        clients = self.clients()
        total = int(seconds * rate)
        started = time.monotonic()
        pending = []
        for n in range(total):
            delay = started + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            client, port = clients[n % len(clients)]
            pending.append(asyncio.create_task(self.post(client, port)))
        await asyncio.gather(*pending)
        elapsed = time.monotonic() - started
        for client, _ in clients:
            await client.aclose()
        return elapsed


def expected_mails(args) -> int:
    """Mails per incident: every profile on the incident's group belongs to a different user."""
    return args.users * args.profiles // args.groups


def wait_for_mails(sink: SinkProcess, expected: int, timeout: float) -> float:
    started = time.monotonic()
    while sink.count() < expected and time.monotonic() - started < timeout:
        time.sleep(0.05)
    return time.monotonic() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--profiles", type=int, default=5, help="active profiles per user")
    parser.add_argument("--groups", type=int, default=500, help="distinct bench_group tags")
    parser.add_argument("--sources", type=int, default=8, help="source systems, one client each")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rate", type=float, default=50, help="incidents/s in the latency phase")
    parser.add_argument("--processes", type=int, default=2, help="daphne processes")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="db_worker processes (1: as docker-compose and make run start them)",
    )
    parser.add_argument(
        "--worker-nice",
        default="0",
        help="run the workers under nice(1) with this niceness, or 'idle' for the SCHED_IDLE policy "
        "(chrt --idle); 0: same priority as the servers",
    )
    parser.add_argument(
        "--server-cpus", help="taskset CPU list for the daphne servers (default: any CPU)", default=None
    )
    parser.add_argument(
        "--worker-cpus",
        help="taskset CPU list for the workers and the SMTP sink, e.g. to measure workers that do "
        "not share cores with the servers (default: any CPU)",
        default=None,
    )
    parser.add_argument(
        "--worker-interval",
        type=float,
        default=None,
        help="db_worker --interval: seconds an idle worker sleeps before looking again "
        "(default: db_worker's own, 1 s, as docker-compose and make run start it)",
    )
    parser.add_argument(
        "--sink-nice",
        type=int,
        default=0,
        help="niceness of the SMTP sink, which stands for a mail server on another host "
        "(0: same priority as the servers)",
    )
    parser.add_argument(
        "--sink",
        choices=["lean", "aiosmtpd"],
        default="lean",
        help="the SMTP sink: a minimal asyncio SMTP server (lean) or aiosmtpd, which costs ~5x "
        "the CPU per mail",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="off/on alternations of each comparison (flat-out and paced), pooled in the figures",
    )
    parser.add_argument("--drain-timeout", type=float, default=180)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--database-prefix", default="argus_notifengine_bench")
    parser.add_argument("--latency-only", action="store_true", help="skip the ingest phases")
    args = parser.parse_args(argv)
    stack = Stack(args)
    try:
        stack.setup()
        if not args.latency_only:
            flat_out_rounds(stack, args)
        else:
            stack.start_servers(notifications=True)
            stack.start_workers()
            time.sleep(5)  # let the workers boot
        paced_rounds(stack, args)
    finally:
        stack.teardown()
    return 0


class Round:
    """One measured load phase: what was sent, how long it took, what it cost."""

    def __init__(self, load: Load, elapsed: float, cpu: dict[str, float]):
        self.load, self.elapsed, self.cpu = load, elapsed, cpu


def measured(
    stack: Stack, load: Load, run, mails_per_incident: int = 0, timeout: float = 0
) -> tuple[Round, float]:
    """Run ``run(load)`` under a CPU meter; with ``mails_per_incident``, also until every mail
    of what was sent has reached the sink (returns how long that took after the load ended)."""
    meter = CpuMeter(stack)
    elapsed = asyncio.run(run(load))
    drain = 0.0
    if mails_per_incident:
        drain = wait_for_mails(stack.sink, len(load.sent) * mails_per_incident, timeout)
    return Round(load, elapsed, meter.stop()), drain


def pooled(rounds: list[Round], *, latency_key: str | None = None) -> dict:
    sent = sum(len(r.load.sent) for r in rounds)
    latencies = [latency for r in rounds for latency in r.load.latencies]
    record = {
        "rounds": len(rounds),
        "incidents": sent,
        "per_s": round(sent / sum(r.elapsed for r in rounds), 1),
        "per_s_by_round": [round(len(r.load.sent) / r.elapsed, 1) for r in rounds],
        "errors": sum(r.load.errors for r in rounds),
    }
    if latency_key:
        record[latency_key] = summary(latencies)
        record["p95_ms_by_round"] = [percentile_ms(r.load.latencies, 0.95) for r in rounds]
    else:
        record.update(summary(latencies))
    record["cpu_ms_per_incident"] = cpu_per([r.cpu for r in rounds], sent)
    return record


def flat_out_rounds(stack: Stack, args) -> None:
    """Flat-out ingest, notifications off and on (workers running) alternately, ``--rounds`` times.

    The first round also measures the request path alone (notifications on, no worker yet) and
    then how fast the workers work off what that queued.
    """
    per_incident = expected_mails(args)
    off_rounds, on_rounds, drains, received = [], [], [], 0
    for number in range(args.rounds):
        stack.start_servers(notifications=False)
        off, _ = measured(stack, Load(stack, f"off{number}"), lambda load: load.flat_out(args.seconds))
        off_rounds.append(off)
        stack.start_servers(notifications=True)
        if number == 0:
            queued, _ = measured(stack, Load(stack, "queued"), lambda load: load.flat_out(args.seconds))
            record = pooled([queued])
            emit({"workload": "ingest-on-queue-only", **record, "mails_while_off": len(stack.sink.take())})
            backlog = len(queued.load.sent)
            stack.start_workers()
            meter = CpuMeter(stack)
            wait_for_mails(stack.sink, backlog * per_incident, args.drain_timeout)
            cpu = meter.stop()
            arrivals = sorted(arrived for arrived, _recipient, _description in stack.sink.take())
            # From the first mail to the last: worker start-up time is not part of the rate.
            span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0
            emit(
                {
                    "workload": "worker-drain",
                    "workers": args.workers,
                    "events": backlog,
                    "mails": len(arrivals),
                    "mails_expected": backlog * per_incident,
                    "seconds": round(span, 1),
                    "events_per_s": round(backlog / span, 1) if span else None,
                    "mails_per_s": round(len(arrivals) / span, 1) if span else None,
                    "cpu_ms_per_event": cpu_per([cpu], backlog),
                }
            )
        on, drain = measured(
            stack,
            Load(stack, f"on{number}"),
            lambda load: load.flat_out(args.seconds),
            mails_per_incident=per_incident,
            timeout=args.drain_timeout,
        )
        on_rounds.append(on)
        drains.append(round(drain, 1))
        received += len(stack.sink.take())
    emit({"workload": "ingest-off", **pooled(off_rounds)})
    emit(
        {
            "workload": "ingest-on",
            **pooled(on_rounds),
            "mails_expected": sum(len(r.load.sent) for r in on_rounds) * per_incident,
            "mails_received": received,
            "drain_after_s_by_round": drains,
        }
    )


def paced_rounds(stack: Stack, args) -> None:
    """Incidents at ``--rate``, notifications off and on (workers running) alternately.

    The POST latencies of both are compared, and for every mail the sink receives in the "on"
    rounds: time from the POST response (the event is committed before the response is sent, so
    this slightly *under*-states by the response transfer) and from the POST request start (an
    upper bound) to the mail's arrival.
    """
    per_incident = expected_mails(args)
    off_rounds, on_rounds = [], []
    from_response, from_request = [], []
    for number in range(args.rounds):
        stack.start_servers(notifications=False)
        off, _ = measured(
            stack, Load(stack, f"paced-off{number}"), lambda load: load.paced(args.seconds, args.rate)
        )
        off_rounds.append(off)
        stack.sink.take()
        stack.start_servers(notifications=True)
        on, _ = measured(
            stack,
            Load(stack, f"lat{number}"),
            lambda load: load.paced(args.seconds, args.rate),
            mails_per_incident=per_incident,
            timeout=args.drain_timeout,
        )
        on_rounds.append(on)
        for arrived, _recipient, description in stack.sink.take():
            if description in on.load.sent:
                started, finished = on.load.sent[description]
                from_response.append(arrived - finished)
                from_request.append(arrived - started)
    emit({"workload": "rate-off", **pooled(off_rounds, latency_key="post")})
    expected = sum(len(r.load.sent) for r in on_rounds) * per_incident
    emit(
        {
            "workload": "latency",
            **pooled(on_rounds, latency_key="post"),
            "mails_expected": expected,
            "mails_received": len(from_response),
            "commit_to_mail": summary(from_response),
            "request_to_mail": summary(from_request),
        }
    )


if __name__ == "__main__":
    sys.exit(main())
