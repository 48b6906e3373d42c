"""Websocket fan-out latency: one incident created over REST, N subscribers waiting for its frame.

    python bench/ws_fanout.py                      # spawns 2 daphne processes on PostgreSQL + Redis
    python bench/ws_fanout.py --processes 3 --clients 200 --rounds 50
    python bench/ws_fanout.py --servers http://127.0.0.1:8000 http://127.0.0.1:8001 \\
        --user-token USER_TOKEN --source-token SOURCE_TOKEN     # against servers already running

By default it starts its own cluster (``tests/ws/servers.py``: a fresh PostgreSQL database, the
Redis channel layer on 127.0.0.1:6379, ``--processes`` daphne processes on ports 8200-8299,
production settings) and removes it afterwards. ``--clients`` websocket clients are spread
round-robin over the processes and subscribed; then, ``--rounds`` times, one incident is POSTed to
``/api/v2/incidents/`` (rotating over the processes) and the time until every client has received
its ``created`` frame is measured.

Prints ONE JSON line. ``p50_ms``/``p95_ms``/``max_ms``: from the REST response to the last client
receiving the frame (negative when every client had it before the response was read);
``*_from_request_ms``: from sending the request; ``rest_*``: the POST's own latency.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parents[1]


def percentile(samples: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of ``samples`` (seconds) in milliseconds, rounded to 0.1 ms."""
    if not samples:
        return None
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return round(ordered[index] * 1000, 1)


class Subscriber:
    """One websocket client; records when it saw each source_incident_id."""

    def __init__(self, url: str, token: str):
        self.url = url
        self.token = token
        self.seen: dict[str, float] = {}
        self.events: dict[str, asyncio.Event] = {}
        self.ws = None
        self.task = None

    def expect(self, source_incident_id: str) -> asyncio.Event:
        return self.events.setdefault(source_incident_id, asyncio.Event())

    async def start(self) -> None:
        self.ws = await websockets.connect(
            self.url, additional_headers={"Authorization": f"Token {self.token}"}, max_size=None
        )
        await self.ws.send(json.dumps({"action": "subscribe"}))
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
        if frame.get("type") != "subscribed":
            raise RuntimeError(f"unexpected first frame: {frame}")
        self.task = asyncio.create_task(self.listen())

    async def listen(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self.ws:
                received = time.perf_counter()
                frame = json.loads(raw)
                if frame.get("type") != "created":
                    continue
                key = frame["payload"]["source_incident_id"]
                self.seen.setdefault(key, received)
                self.expect(key).set()

    async def stop(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            await self.task


async def run(servers: list[str], user_token: str, source_token: str, clients: int, rounds: int) -> dict:
    ws_urls = [server.replace("http", "ws", 1).rstrip("/") + "/ws/open/" for server in servers]
    subscribers = [Subscriber(ws_urls[i % len(ws_urls)], user_token) for i in range(clients)]
    for start in range(0, clients, 50):  # connect in batches so the handshake backlog stays small
        await asyncio.gather(*(s.start() for s in subscribers[start : start + 50]))
    http = [
        httpx.AsyncClient(base_url=server, headers={"Authorization": f"Token {source_token}"}, timeout=30)
        for server in servers
    ]
    from_response, from_request, rest = [], [], []
    errors = 0
    try:
        for round_no in range(rounds):
            key = f"fanout-{uuid.uuid4().hex[:12]}"
            waits = [s.expect(key) for s in subscribers]
            sent = time.perf_counter()
            response = await http[round_no % len(http)].post(
                "/api/v2/incidents/",
                json={
                    "start_time": "2026-11-22T10:00:00+01:00",
                    "description": key,
                    "source_incident_id": key,
                    "tags": [],
                },
            )
            answered = time.perf_counter()
            if response.status_code != 201:
                print(f"round {round_no}: HTTP {response.status_code} {response.text[:200]}", file=sys.stderr)
                errors += 1
                continue
            try:
                await asyncio.wait_for(asyncio.gather(*(w.wait() for w in waits)), 10)
            except TimeoutError:
                missing = sum(1 for s in subscribers if key not in s.seen)
                print(f"round {round_no}: {missing} clients missed the frame", file=sys.stderr)
                errors += 1
                continue
            last = max(s.seen[key] for s in subscribers)
            from_response.append(last - answered)
            from_request.append(last - sent)
            rest.append(answered - sent)
            await asyncio.sleep(0.05)
    finally:
        for client in http:
            await client.aclose()
        await asyncio.gather(*(s.stop() for s in subscribers))
    return {
        "bench": "ws_fanout",
        "servers": len(servers),
        "clients": clients,
        "rounds": rounds,
        "errors": errors,
        "p50_ms": percentile(from_response, 0.50),
        "p95_ms": percentile(from_response, 0.95),
        "max_ms": round(max(from_response) * 1000, 1) if from_response else None,
        "p50_from_request_ms": percentile(from_request, 0.50),
        "p95_from_request_ms": percentile(from_request, 0.95),
        "rest_p50_ms": percentile(rest, 0.50),
        "rest_p95_ms": percentile(rest, 0.95),
        "rest_mean_ms": round(statistics.fmean(rest) * 1000, 1) if rest else None,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--processes", type=int, default=2, help="daphne processes to spawn (default 2)")
    parser.add_argument("--servers", nargs="+", help="base URLs of running servers (no spawning)")
    parser.add_argument("--user-token", help="token of a user for the websockets (with --servers)")
    parser.add_argument("--source-token", help="token of a source system user (with --servers)")
    args = parser.parse_args(argv)

    if args.servers:
        if not (args.user_token and args.source_token):
            parser.error("--servers needs --user-token and --source-token")
        result = asyncio.run(run(args.servers, args.user_token, args.source_token, args.clients, args.rounds))
    else:
        sys.path.insert(0, str(ROOT))
        from tests.ws.servers import ArgusCluster

        with ArgusCluster(processes=args.processes, name="bench") as cluster:
            servers = [cluster.http_url(i) for i in range(args.processes)]
            result = asyncio.run(
                run(
                    servers,
                    cluster.seed["user_token"],
                    cluster.seed["source_token"],
                    args.clients,
                    args.rounds,
                )
            )
    print(json.dumps(result))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
