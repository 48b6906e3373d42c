"""Load workloads against a running Argus; prints ONE JSON line per workload.

    python bench/run.py --base-url http://127.0.0.1:8000 --token SOURCE_TOKEN [--workload ingest ...]

``--base-url`` may list several servers separated by commas (e.g. one per ASGI process); the
clients are spread over them round-robin, as a load balancer in front of them would.

The token must belong to a source-system user (it creates incidents, posts events and acks, and
reads ``mine/``). Workloads (all by default, in this order):

* ``ingest``      ``--clients`` (8) concurrent clients POST incidents with 5 tags each, on v1 and
                  v2, for ``--seconds`` each: creations/s, p50/p95/max latency, errors.
* ``churn``       the same clients post OTH events and acknowledgements on incidents created
                  by ``ingest`` (or freshly created ones): operations/s, p50/p95.
* ``list``        ``GET /api/v2/incidents/?open=true&acked=false&tags=<k=v>&page_size=100``
                  repeated ``--repeat`` times: p50/p95/max latency and rows on the page.
* ``mine``        ``GET /api/v2/incidents/mine/?open=true``: same figures.
* ``cursor-walk`` 10-page walk over ``/api/v2/incidents/?page_size=100`` following ``next``:
                  per-page p50/p95 and the whole walk's time.
* ``metrics``     ``GET /metrics`` repeated ``--repeat`` times: p50/p95/max latency and the size of
                  the page. Start the server with ``ARGUS_METRICS_CACHE_SECONDS=0`` to time the
                  database gauges on every scrape (by default they are read once per 15 s);
                  ``--metrics-token`` when the server requires one.
* ``broad-list``  the list an operator keeps open, with a tag many incidents carry
                  (``--broad-tag``, default ``problem_type=problem3``: 1 incident in 20 in
                  ``bench/preload.py`` data): ``open=true&acked=false&tags=…`` on v1, v2 and
                  v2 ``mine/``, then ``acked=false&tags=…`` (every incident with the tag) on v2,
                  and a 10-page cursor walk of the latter; one JSON line each.
* ``unpaginated`` v1 ``open/`` and ``open+unacked/`` (every open incident in one response),
                  ``--repeat-unpaginated`` (3) times each: time, body size, and with
                  ``--server-pids`` each server's resident memory before, at most during, and
                  after the requests.

With ``--server-pids PID[,PID…]`` (the server processes, on this machine) every line also says
how much CPU the servers used per request (``server_cpu_ms_per_request``, read from ``/proc``):
on a shared machine that is steadier than wall-clock figures. Every line has the load average.
* ``under-maintenance`` ``GET /api/v2/incidents/?open=true&under_maintenance=true&page_size=100``,
                  then ``=false``: same figures (set up tasks with ``bench/maintenance.py``).

List figures are only meaningful with data in the database: load it with ``bench/preload.py``.
Requests are made from one asyncio loop, one connection per client; latency is measured from
sending the request to having read the whole response body. The reads use ``httpx``; ingest and
churn use a minimal HTTP/1.1 client (``PlainClient``, about a seventh of httpx's CPU per
request, which matters when the load generator shares the server's cores), or httpx with
``--http-client httpx``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import random
import statistics
import sys
import time
import urllib.parse
from dataclasses import dataclass, field

import httpx

WORKLOADS = (
    "ingest",
    "churn",
    "list",
    "mine",
    "cursor-walk",
    "broad-list",
    "metrics",
    "unpaginated",
    "under-maintenance",
)
DEFAULT_WORKLOADS = (
    "ingest",
    "churn",
    "list",
    "mine",
    "cursor-walk",
    "broad-list",
    "metrics",
    "under-maintenance",
)
DEFAULT_LIST_TAG = "bench_group=g1"
DEFAULT_BROAD_TAG = "problem_type=problem3"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def percentile(samples: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of ``samples`` (seconds) in milliseconds, rounded to 0.1 ms."""
    if not samples:
        return None
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return round(ordered[index] * 1000, 1)


def latency_summary(samples: list[float]) -> dict:
    return {
        "p50_ms": percentile(samples, 0.50),
        "p95_ms": percentile(samples, 0.95),
        "max_ms": round(max(samples) * 1000, 1) if samples else None,
        "mean_ms": round(statistics.fmean(samples) * 1000, 1) if samples else None,
    }


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


def emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


class PlainResponse:
    """What the write workloads read of an answer: its status and its body."""

    def __init__(self, status_code: int, content: bytes):
        self.status_code = status_code
        self.content = content

    def json(self):
        return json.loads(self.content)


class PlainHTTPError(Exception):
    pass


class PlainClient:
    """A minimal HTTP/1.1 client, one keep-alive connection: the write workloads' load generator.

    The load generator shares the machine's cores with the servers and the database, so its own
    CPU per request lowers what the box can do: httpx took ~2 ms per incident POST, as much as a
    third of the server's. This client writes the request bytes itself and reads
    ``Content-Length`` (or chunked) answers: ~0.3 ms. ``--http-client httpx`` goes back to httpx.
    """

    def __init__(self, base_url: str, token: str, timeout: float):
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme != "http":
            raise ValueError("the plain client speaks http:// only; use --http-client httpx")
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.prefix = parsed.path.rstrip("/")
        self.head = f"Host: {parsed.netloc}\r\nAuthorization: Token {token}\r\n".encode()
        self.timeout = timeout
        self.reader = self.writer = None

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.aclose()

    async def aclose(self):
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def request(self, method: str, url: str, json=None, params=None) -> PlainResponse:
        if params:
            url = f"{url}?{urllib.parse.urlencode(params)}"
        body = b"" if json is None else _json_dumps(json).encode()
        request = (
            f"{method} {self.prefix}{url} HTTP/1.1\r\n".encode()
            + self.head
            + (b"Content-Type: application/json\r\n" if json is not None else b"")
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        try:
            return await asyncio.wait_for(self._exchange(request), self.timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
            await self.aclose()
            raise PlainHTTPError(type(error).__name__) from error

    async def _exchange(self, request: bytes) -> PlainResponse:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            content = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                content += chunk[:-2]
        else:
            content = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.aclose()
        return PlainResponse(status, content)


def _json_dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"))


@dataclass
class Recorder:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


class Bench:
    def __init__(self, args):
        self.base_urls = [url.strip().rstrip("/") for url in args.base_url.split(",") if url.strip()]
        self._next_url = 0
        self.token = args.token
        self.clients = args.clients
        self.seconds = args.seconds
        self.repeat = args.repeat
        self.timeout = args.timeout
        self.list_tag = args.list_tag
        self.metrics_token = getattr(args, "metrics_token", "")
        self.broad_tag = args.broad_tag
        self.repeat_unpaginated = args.repeat_unpaginated
        self.server_pids = [int(pid) for pid in args.server_pids.split(",") if pid.strip()]
        self.http_client = getattr(args, "http_client", "plain")
        self.created: list[int] = []

    def write_client(self):
        """The write workloads' connection to the next server in turn (``--http-client``)."""
        if self.http_client == "httpx":
            return self.client()
        base_url = self.base_urls[self._next_url % len(self.base_urls)]
        self._next_url += 1
        return PlainClient(base_url, self.token, self.timeout)

    def client(self, **kwargs) -> httpx.AsyncClient:
        """One connection to the next server in turn."""
        base_url = self.base_urls[self._next_url % len(self.base_urls)]
        self._next_url += 1
        return httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Token {self.token}"},
            timeout=self.timeout,
            limits=httpx.Limits(max_connections=1),
            **kwargs,
        )

    async def timed(self, client, recorder: Recorder, method: str, url: str, **kwargs):
        started = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)
            if isinstance(response, httpx.Response):
                await response.aread()
        except (httpx.HTTPError, PlainHTTPError) as error:
            recorder.error(str(error) if isinstance(error, PlainHTTPError) else type(error).__name__)
            return None
        recorder.latencies.append(time.perf_counter() - started)
        if response.status_code >= 400:
            recorder.error(str(response.status_code))
            return None
        return response

    # --- ingest ---------------------------------------------------------------------------------

    def incident_body(self, client_no: int, serial: int) -> dict:
        return {
            "start_time": now_iso(),
            "description": f"bench ingest client {client_no} #{serial}",
            "source_incident_id": f"bench-{time.time_ns()}-{client_no}-{serial}",
            "level": random.randint(1, 5),
            "tags": [
                {"tag": f"host=host{random.randrange(1000)}.example.org"},
                {"tag": f"bench_group=g{random.randrange(100)}"},
                {"tag": f"service=svc{random.randrange(50)}"},
                {"tag": f"location=room{random.randrange(20)}"},
                {"tag": f"bench_client=c{client_no}"},
            ],
        }

    async def ingest(self, version: str) -> dict:
        recorder = Recorder()
        deadline = time.perf_counter() + self.seconds
        url = f"/api/{version}/incidents/"

        async def one_client(client_no: int):
            async with self.write_client() as client:
                serial = 0
                while time.perf_counter() < deadline:
                    serial += 1
                    response = await self.timed(
                        client, recorder, "POST", url, json=self.incident_body(client_no, serial)
                    )
                    if response is not None and response.status_code == 201:
                        self.created.append(response.json()["pk"])

        created_before = len(self.created)
        started = time.perf_counter()
        await asyncio.gather(*(one_client(n) for n in range(self.clients)))
        elapsed = time.perf_counter() - started
        ok = len(self.created) - created_before
        return {
            "workload": "ingest",
            "api": version,
            "clients": self.clients,
            "servers": len(self.base_urls),
            "tags_per_incident": 5,
            "seconds": round(elapsed, 2),
            "created": ok,
            "creations_per_s": round(ok / elapsed, 1),
            **latency_summary(recorder.latencies),
            "errors": recorder.errors,
        }

    # --- event / ack churn ------------------------------------------------------------------------

    async def ensure_incidents(self, count: int) -> list[int]:
        if len(self.created) >= count:
            return list(self.created)
        recorder = Recorder()
        async with self.client() as client:
            for serial in range(count - len(self.created)):
                response = await self.timed(
                    client, recorder, "POST", "/api/v2/incidents/", json=self.incident_body(99, serial)
                )
                if response is not None:
                    self.created.append(response.json()["pk"])
        return list(self.created)

    async def churn(self) -> dict:
        incidents = await self.ensure_incidents(self.clients * 10)
        events, acks = Recorder(), Recorder()
        deadline = time.perf_counter() + self.seconds

        async def one_client(client_no: int):
            async with self.write_client() as client:
                serial = 0
                while time.perf_counter() < deadline:
                    serial += 1
                    pk = random.choice(incidents)
                    if serial % 2:
                        body = {"type": "OTH", "timestamp": now_iso(), "description": f"bench churn {serial}"}
                        await self.timed(client, events, "POST", f"/api/v2/incidents/{pk}/events/", json=body)
                    else:
                        body = {
                            "timestamp": now_iso(),
                            "description": f"bench ack {serial}",
                            "expiration": None,
                        }
                        await self.timed(client, acks, "POST", f"/api/v2/incidents/{pk}/acks/", json=body)

        started = time.perf_counter()
        await asyncio.gather(*(one_client(n) for n in range(self.clients)))
        elapsed = time.perf_counter() - started
        total = len(events.latencies) + len(acks.latencies)
        return {
            "workload": "churn",
            "api": "v2",
            "clients": self.clients,
            "servers": len(self.base_urls),
            "seconds": round(elapsed, 2),
            "operations": total,
            "operations_per_s": round(total / elapsed, 1),
            "events": {"count": len(events.latencies), **latency_summary(events.latencies)},
            "acks": {"count": len(acks.latencies), **latency_summary(acks.latencies)},
            "errors": {**events.errors, **{f"ack_{k}": v for k, v in acks.errors.items()}},
        }

    # --- reads ------------------------------------------------------------------------------------

    async def repeated_get(self, name: str, url: str, params: dict) -> dict:
        recorder = Recorder()
        rows = None
        async with self.client() as client:
            await self.timed(client, Recorder(), "GET", url, params=params)  # warm-up, not counted
            for _ in range(self.repeat):
                response = await self.timed(client, recorder, "GET", url, params=params)
                if response is not None:
                    rows = len(response.json().get("results", []))
        return {
            "workload": name,
            "url": str(httpx.URL(url, params=params)),
            "requests": self.repeat,
            "rows_on_page": rows,
            **latency_summary(recorder.latencies),
            "errors": recorder.errors,
        }

    async def list_open_unacked(self) -> dict:
        params = {"open": "true", "acked": "false", "tags": self.list_tag, "page_size": "100"}
        return await self.repeated_get("list", "/api/v2/incidents/", params)

    async def under_maintenance(self, value: str) -> dict:
        params = {"open": "true", "under_maintenance": value, "page_size": "100"}
        return await self.repeated_get(f"under-maintenance-{value}", "/api/v2/incidents/", params)

    async def mine(self) -> dict:
        return await self.repeated_get("mine", "/api/v2/incidents/mine/", {"open": "true"})

    async def cursor_walk(self, pages: int = 10, params: dict | None = None) -> dict:
        pages_recorder, walks = Recorder(), []
        first = params or {"page_size": "100"}
        async with self.client() as client:
            for _ in range(max(1, self.repeat // pages)):
                url, params = "/api/v2/incidents/", first
                started = time.perf_counter()
                walked = 0
                while url and walked < pages:
                    response = await self.timed(client, pages_recorder, "GET", url, params=params)
                    if response is None:
                        break
                    walked += 1
                    url, params = response.json().get("next"), None
                walks.append(time.perf_counter() - started)
        return {
            "workload": "cursor-walk",
            "pages_per_walk": pages,
            "page_size": 100,
            "walks": len(walks),
            **latency_summary(pages_recorder.latencies),
            "walk_p50_ms": percentile(walks, 0.5),
            "errors": pages_recorder.errors,
        }

    async def scrape_metrics(self) -> dict:
        recorder, size = Recorder(), None
        headers = {"Authorization": f"Bearer {self.metrics_token}"} if self.metrics_token else {}
        async with self.client() as client:
            await self.timed(client, Recorder(), "GET", "/metrics", headers=headers)  # warm-up
            for _ in range(self.repeat):
                response = await self.timed(client, recorder, "GET", "/metrics", headers=headers)
                if response is not None:
                    size = len(response.content)
        return {
            "workload": "metrics",
            "requests": self.repeat,
            "page_bytes": size,
            **latency_summary(recorder.latencies),
            "errors": recorder.errors,
        }

    async def broad_list(self) -> list[dict]:
        open_unacked = {"open": "true", "acked": "false", "tags": self.broad_tag, "page_size": "100"}
        every = {"acked": "false", "tags": self.broad_tag, "page_size": "100"}
        records = []
        for name, url, params in (
            ("broad-list-open-v1", "/api/v1/incidents/", open_unacked),
            ("broad-list-open-v2", "/api/v2/incidents/", open_unacked),
            ("broad-list-open-mine", "/api/v2/incidents/mine/", open_unacked),
            ("broad-list-all-v2", "/api/v2/incidents/", every),
        ):
            records.append(await self.measured(self.repeated_get(name, url, params)))
        walk = await self.measured(self.cursor_walk(params=every))
        records.append({**walk, "workload": "broad-list-walk", "tags": self.broad_tag})
        return records

    async def unpaginated(self) -> list[dict]:
        records = []
        for path in ("open/", "open+unacked/"):
            before = {pid: process_rss_mb(pid) for pid in self.server_pids}
            peak = dict(before)
            recorder, sizes = Recorder(), []
            done = asyncio.Event()

            async def watch_memory(done=done, peak=peak):
                while not done.is_set():
                    for pid in self.server_pids:
                        peak[pid] = max(peak[pid], process_rss_mb(pid))
                    await asyncio.sleep(0.05)

            watcher = asyncio.create_task(watch_memory())
            cpu_before = self.server_cpu()
            async with self.client() as client:
                for _ in range(self.repeat_unpaginated):
                    response = await self.timed(client, recorder, "GET", f"/api/v1/incidents/{path}")
                    if response is not None:
                        sizes.append((len(response.content), len(response.json())))
            done.set()
            await watcher
            await asyncio.sleep(1)  # what the server gives back after the response
            after = {pid: process_rss_mb(pid) for pid in self.server_pids}
            record = {
                "workload": f"unpaginated-{path.rstrip('/')}",
                "requests": self.repeat_unpaginated,
                "incidents": sizes[-1][1] if sizes else None,
                "body_mb": round(sizes[-1][0] / 1e6, 1) if sizes else None,
                **latency_summary(recorder.latencies),
                "errors": recorder.errors,
            }
            if self.server_pids:
                record["rss_mb"] = {
                    str(pid): {"before": before[pid], "peak": peak[pid], "after": after[pid]}
                    for pid in self.server_pids
                }
                record.update(self.cpu_per_request(cpu_before, len(recorder.latencies)))
            records.append({**record, "loadavg": os.getloadavg()})
        return records

    def server_cpu(self) -> float:
        return sum(process_cpu_seconds(pid) for pid in self.server_pids)

    def cpu_per_request(self, before: float, requests: int) -> dict:
        if not self.server_pids or not requests:
            return {}
        return {"server_cpu_ms_per_request": round((self.server_cpu() - before) * 1000 / requests, 2)}

    async def measured(self, workload) -> dict:
        """Run one workload coroutine; add server CPU per request and the load average."""
        load_before = os.getloadavg()[0]
        cpu_before = self.server_cpu()
        record = await workload
        requests = record.get("created") or record.get("operations") or record.get("requests")
        if record.get("walks"):
            requests = record["walks"] * record["pages_per_walk"]
        record.update(self.cpu_per_request(cpu_before, requests or 0))
        return {**record, "loadavg": [round(load_before, 2), *os.getloadavg()[:2]]}

    async def run(self, workloads) -> None:
        for workload in workloads:
            if workload == "ingest":
                emit(await self.measured(self.ingest("v1")))
                emit(await self.measured(self.ingest("v2")))
            elif workload == "churn":
                emit(await self.measured(self.churn()))
            elif workload == "list":
                emit(await self.measured(self.list_open_unacked()))
            elif workload == "mine":
                emit(await self.measured(self.mine()))
            elif workload == "cursor-walk":
                emit(await self.measured(self.cursor_walk()))
            elif workload == "broad-list":
                for record in await self.broad_list():
                    emit(record)
            elif workload == "unpaginated":
                for record in await self.unpaginated():
                    emit(record)
            elif workload == "metrics":
                emit(await self.scrape_metrics())
            elif workload == "under-maintenance":
                emit(await self.under_maintenance("true"))
                emit(await self.under_maintenance("false"))


async def check_server(base_url: str, token: str, timeout: float) -> str | None:
    """None when the server answers and the token works, else a one-line reason."""
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=timeout) as client:
            response = await client.get(
                "/api/v2/incidents/mine/", headers={"Authorization": f"Token {token}"}
            )
    except httpx.HTTPError as error:
        return f"cannot reach {base_url}: {error or type(error).__name__}"
    if response.status_code != 200:
        return f"GET /api/v2/incidents/mine/ answered {response.status_code}: {response.text[:200]}"
    return None


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--base-url", required=True, help="e.g. http://127.0.0.1:8000 (comma-separated for several servers)"
    )
    parser.add_argument("--token", required=True, help="API token of a source-system user")
    parser.add_argument(
        "--workload",
        nargs="+",
        choices=WORKLOADS,
        default=list(DEFAULT_WORKLOADS),
        help="workloads to run (default: all but unpaginated)",
    )
    parser.add_argument(
        "--clients", type=int, default=8, help="concurrent clients for ingest/churn (default 8)"
    )
    parser.add_argument(
        "--seconds", type=float, default=10, help="duration of each ingest/churn run (default 10)"
    )
    parser.add_argument("--repeat", type=int, default=50, help="requests per read workload (default 50)")
    parser.add_argument(
        "--timeout", type=float, default=30, help="per-request timeout in seconds (default 30)"
    )
    parser.add_argument(
        "--list-tag", default=DEFAULT_LIST_TAG, help=f"tag for the list workload (default {DEFAULT_LIST_TAG})"
    )
    parser.add_argument("--metrics-token", default="", help="bearer token for the metrics workload")
    parser.add_argument(
        "--broad-tag",
        default=DEFAULT_BROAD_TAG,
        help=f"a tag many incidents carry, for broad-list (default {DEFAULT_BROAD_TAG})",
    )
    parser.add_argument(
        "--repeat-unpaginated", type=int, default=3, help="requests per unpaginated endpoint (default 3)"
    )
    parser.add_argument(
        "--http-client",
        choices=("plain", "httpx"),
        default="plain",
        help="the load generator of ingest/churn: a minimal HTTP/1.1 client (default) or httpx",
    )
    parser.add_argument(
        "--server-pids",
        default="",
        help="comma-separated pids of the server processes (this machine): CPU per request, memory",
    )
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or args.repeat < 1:
        parser.error("--clients, --seconds and --repeat must be positive")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    for base_url in args.base_url.split(","):
        problem = asyncio.run(check_server(base_url.strip().rstrip("/"), args.token, args.timeout))
        if problem:
            print(f"bench: {problem}", file=sys.stderr)
            return 1
    asyncio.run(Bench(args).run(args.workload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
