"""Timing of the web UI's incident list against a running Argus; prints ONE JSON line per workload.

    DJANGO_SETTINGS_MODULE=argus.site.settings.prod SECRET_KEY=x \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/argus_bench \\
    python bench/ui.py --base-url http://127.0.0.1:8101 [--token SOURCE_TOKEN] [--workload ...]

Load the database first with ``bench/preload.py``. The script works on two sides of one server:

* over HTTP against ``--base-url``, logged in as the UI user ``--username`` (made, with
  ``--password``, by the ``prepare`` step): the times the UI's pages take;
* in this process, on the database the server uses (the same ``DATABASE_URL`` and settings): the
  ``prepare`` step, the ``queries`` checks and the gap check of ``paging-storm``.

Workloads (all by default, in this order):

* ``prepare``      the UI user, and one incident with ``--heavy-events`` (10 000) events for
                   ``detail``, each made once (tag ``bench_heavy=1``).
* ``queries``      the list view run in this process at page sizes 10 and 100, with the
                   ``built-in`` and ``notifications`` column layouts, after a warm-up: the number
                   of SQL queries of each (they must be equal), and the SQL itself: no ``COUNT``
                   over the incident table without a ``LIMIT`` (no full-table count) and no
                   ``OFFSET`` (keyset paging).
* ``list``         ``GET /incidents/?box=1&page_size=100`` (the default view, 100 rows)
                   ``--repeat`` times: p50/p95/max latency, and the page's size (also gzipped).
* ``list-filtered`` ``open=1&acked=3&tags=<--list-tag>&page_size=100``: the same figures.
* ``list-tag``    ``box=1&tags=<--list-tag>&page_size=100``: every incident with the tag(s), open or
                  not: the same figures.
* ``deep-page``    from page 1, follow Next ``--pages`` (50) times at 100 rows a page, then Last:
                   per-page p50/p95 of the walk, page 1 and the deepest page, and Last.
* ``type-ahead``   ``/incidents/search-tags/?q=`` a key substring and ``key=value`` prefix, and
                   ``/incidents/search-sources/?q=bench``: p50/p95 and the most results (≤ 20).
* ``detail``       the heavy incident's page: p50/p95 and the events shown (the newest 100).
* ``paging-storm`` with ``--token`` (a source's API token): 4 clients post incidents while the
                   list is walked 20 pages with Next: the walk must show no incident twice and,
                   checked in the database, miss none of the incidents that existed in its range.

Latency is measured from sending the request to having read the whole body, one request at a
time on one connection, on the server's host: it is the server's time plus a loopback round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import gzip
import json
import os
import re
import statistics
import sys
import time
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "argus.site.settings.dev")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from argus.auth import services as auth_services  # noqa: E402
from argus.auth.models import User  # noqa: E402
from argus.incident import services  # noqa: E402
from argus.incident.models import Event, Incident, SourceSystem  # noqa: E402
from argus.incident.queries import incident_count_estimate  # noqa: E402
from argus.ui import conf  # noqa: E402

WORKLOADS = (
    "prepare",
    "queries",
    "list",
    "list-filtered",
    "list-tag",
    "deep-page",
    "type-ahead",
    "detail",
    "paging-storm",
)
DEFAULT_LIST_TAG = "bench_group=g1"
HEAVY_TAG = "bench_heavy=1"
ROW = re.compile(r'<tr id="incident-(\d+)"[^>]*data-start="([^"]+)"')
ROW_ID = re.compile(r'<tr id="incident-(\d+)"')


def percentile(samples: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of ``samples`` (seconds) in milliseconds, rounded to 0.1 ms."""
    if not samples:
        return None
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return round(ordered[index] * 1000, 1)


def summary(samples: list[float]) -> dict:
    return {
        "requests": len(samples),
        "p50_ms": percentile(samples, 0.50),
        "p95_ms": percentile(samples, 0.95),
        "max_ms": round(max(samples) * 1000, 1) if samples else None,
        "mean_ms": round(statistics.fmean(samples) * 1000, 1) if samples else None,
    }


def emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


def page_link(html: str, name: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)"[^>]*data-page="{name}"', html)
    return unescape(found.group(1)) if found else None


# --- in this process ---------------------------------------------------------------------------


def prepare(args) -> dict:
    """The UI user and the heavy incident, each made once."""
    user = User.objects.filter(username=args.username).first()
    if user is None:
        user = auth_services.user_create(username=args.username, password=args.password)
    heavy = Incident.objects.filter(
        incident_tag_relations__tag__key="bench_heavy", incident_tag_relations__tag__value="1"
    ).first()
    if heavy is None:
        source = SourceSystem.objects.order_by("pk").first()
        if source is None:
            raise SystemExit("bench: no source system; load the database with bench/preload.py first")
        start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=30)
        heavy = services.incident_create(
            actor=source.user,
            source=source,
            start_time=start,
            description="bench: an incident with many events",
            tags=[HEAVY_TAG],
        )
        Event.objects.bulk_create(
            (
                Event(
                    incident=heavy,
                    actor=source.user,
                    timestamp=start + datetime.timedelta(seconds=n + 1),
                    type="OTH",
                    description=f"bench event {n}",
                )
                for n in range(args.heavy_events)
            ),
            batch_size=2000,
        )
    return {
        "workload": "prepare",
        "user": user.username,
        "heavy_incident": heavy.pk,
        "heavy_events": Event.objects.filter(incident=heavy).count(),
        "incidents": incident_count_estimate(),
    }


def queries_check(args) -> dict:
    """Queries of the list view at page sizes 10 and 100 with two column layouts (constant), and
    their SQL (no full-table count, no OFFSET)."""
    user = User.objects.get(username=args.username)
    host = urlsplit(args.base_url).hostname or "127.0.0.1"
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    table = Incident._meta.db_table
    counts, problems = {}, []
    for layout in ("built-in", "notifications"):
        auth_services.preferences_update(
            user=user, namespace=conf.PREFERENCES_NAMESPACE, changes={"incidents_table_column_name": layout}
        )
        for size in (10, 100):
            url = f"/incidents/?box=1&page_size={size}"
            client.get(url)  # warm-up: the cached total, the remembered page size
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            if response.status_code != 200:
                problems.append(f"{url} answered {response.status_code}")
            counts[f"{layout}/{size}"] = len(captured.captured_queries)
            for query in captured.captured_queries:
                sql = query["sql"].upper()
                if " OFFSET " in sql:
                    problems.append(f"OFFSET in: {query['sql'][:200]}")
                if "COUNT(" in sql and f'"{table.upper()}"' in sql and " LIMIT " not in sql:
                    problems.append(f"unbounded count in: {query['sql'][:200]}")
    auth_services.preferences_update(
        user=user, namespace=conf.PREFERENCES_NAMESPACE, changes={"incidents_table_column_name": None}
    )
    by_layout = {
        layout: {counts[f"{layout}/10"], counts[f"{layout}/100"]} for layout in ("built-in", "notifications")
    }
    return {
        "workload": "queries",
        "queries": counts,
        "constant_per_layout": all(len(values) == 1 for values in by_layout.values()),
        "problems": problems,
    }


def missing_in_walk(first: tuple, last: tuple, seen: set[int], created: set[int]) -> list[int]:
    """Incidents in the walk's range (default sort: start desc, pk desc) that it did not show."""
    first_start, first_pk = first
    last_start, last_pk = last
    in_range = Incident.objects.filter(start_time__lte=first_start, start_time__gte=last_start)
    missing = []
    for pk, start in in_range.values_list("pk", "start_time").iterator():
        key = (start, pk)
        if key > (first_start, first_pk) or key < (last_start, last_pk):
            continue
        if pk not in seen and pk not in created:
            missing.append(pk)
    return missing


# --- over HTTP ---------------------------------------------------------------------------------


class UiBench:
    def __init__(self, args, heavy_pk: int | None):
        self.args = args
        self.base_url = args.base_url.rstrip("/")
        self.heavy_pk = heavy_pk

    @contextlib.asynccontextmanager
    async def logged_in(self):
        """One connection with the UI user's session."""
        async with httpx.AsyncClient(
            base_url=self.base_url, timeout=self.args.timeout, limits=httpx.Limits(max_connections=1)
        ) as client:
            await self.log_in(client)
            yield client

    async def log_in(self, client: httpx.AsyncClient) -> None:
        page = await client.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = await client.post(
            "/accounts/login/",
            data={
                "username": self.args.username,
                "password": self.args.password,
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": f"{self.base_url}/accounts/login/"},
        )
        if response.status_code != 302:
            raise SystemExit(f"bench: logging in as {self.args.username} answered {response.status_code}")

    async def timed_get(self, client, url: str, samples: list[float]) -> httpx.Response:
        started = time.perf_counter()
        response = await client.get(url)
        await response.aread()
        samples.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"bench: GET {url} answered {response.status_code}")
        return response

    async def repeated(self, name: str, url: str) -> dict:
        samples: list[float] = []
        async with self.logged_in() as client:
            response = await self.timed_get(client, url, [])  # warm-up
            for _ in range(self.args.repeat):
                response = await self.timed_get(client, url, samples)
        return {
            "workload": name,
            "url": url,
            "rows_on_page": len(ROW_ID.findall(response.text)),
            "bytes": len(response.content),
            "bytes_gzip": len(gzip.compress(response.content)),
            **summary(samples),
        }

    async def deep_page(self) -> dict:
        walk: list[float] = []
        async with self.logged_in() as client:
            url = "/incidents/?box=1&page_size=100"
            first_page: list[float] = []
            response = await self.timed_get(client, url, first_page)
            last_url = page_link(response.text, "last")
            pages = 1
            deepest: list[float] = []
            while pages <= self.args.pages:
                next_url = page_link(response.text, "next")
                if not next_url:
                    break
                response = await self.timed_get(client, "/incidents/" + next_url, walk)
                pages += 1
            rows_deep = len(ROW_ID.findall(response.text))
            deep_url = str(response.url)
            for _ in range(5):
                await self.timed_get(client, deep_url, deepest)
            last: list[float] = []
            if last_url:
                for _ in range(5):
                    await self.timed_get(client, "/incidents/" + last_url, last)
        return {
            "workload": "deep-page",
            "page_size": 100,
            "pages_walked": pages,
            "rows_deepest_page": rows_deep,
            "walk": summary(walk),
            "page_1_ms": percentile(first_page, 0.5),
            "deepest_page_p50_ms": percentile(deepest, 0.5),
            "last_page_p50_ms": percentile(last, 0.5),
        }

    async def type_ahead(self) -> dict:
        key, _, value = self.args.list_tag.partition("=")
        urls = [
            f"/incidents/search-tags/?q={key[:4]}",
            f"/incidents/search-tags/?q={key}={value[:1]}",
            "/incidents/search-sources/?q=bench",
        ]
        samples: list[float] = []
        most = 0
        async with self.logged_in() as client:
            for url in urls:
                await self.timed_get(client, url, [])
                for _ in range(self.args.repeat):
                    response = await self.timed_get(client, url, samples)
                most = max(most, len(response.json()["results"]))
        return {"workload": "type-ahead", "urls": urls, "most_results": most, **summary(samples)}

    async def detail(self) -> dict:
        result = await self.repeated("detail", f"/incidents/{self.heavy_pk}/")
        async with self.logged_in() as client:
            response = await client.get(f"/incidents/{self.heavy_pk}/")
        result["events_shown"] = response.text.count("bench event ")
        result.pop("rows_on_page", None)
        return result

    async def paging_storm(self) -> dict:
        created: set[int] = set()
        stop = asyncio.Event()

        async def ingest(client_no: int):
            async with httpx.AsyncClient(
                base_url=self.base_url,
                headers={"Authorization": f"Token {self.args.token}"},
                timeout=self.args.timeout,
            ) as client:
                serial = 0
                while not stop.is_set():
                    serial += 1
                    body = {
                        "start_time": datetime.datetime.now(datetime.UTC).isoformat(),
                        "description": f"bench ui storm {client_no} #{serial}",
                        "source_incident_id": f"bench-ui-{time.time_ns()}-{client_no}-{serial}",
                        "tags": [],
                    }
                    response = await client.post("/api/v2/incidents/", json=body)
                    if response.status_code == 201:
                        created.add(response.json()["pk"])

        storm = [asyncio.create_task(ingest(n)) for n in range(4)]
        await asyncio.sleep(1)
        seen: list[int] = []
        edges: list[tuple] = []
        samples: list[float] = []
        async with self.logged_in() as client:
            response = await self.timed_get(client, "/incidents/?box=1&page_size=100", samples)
            for page in range(20):
                rows = ROW.findall(response.text)
                seen += [int(pk) for pk, _start in rows]
                edges += [(datetime.datetime.fromisoformat(start), int(pk)) for pk, start in rows]
                next_url = page_link(response.text, "next")
                if page == 19 or not next_url:
                    break
                response = await self.timed_get(client, "/incidents/" + next_url, samples)
        stop.set()
        await asyncio.gather(*storm)
        duplicates = len(seen) - len(set(seen))
        ordered = all(earlier > later for earlier, later in zip(edges, edges[1:], strict=False))
        missing = await asyncio.to_thread(missing_in_walk, edges[0], edges[-1], set(seen), created)
        return {
            "workload": "paging-storm",
            "pages": len(samples),
            "rows_seen": len(seen),
            "created_during_walk": len(created),
            "duplicates": duplicates,
            "strictly_ordered": ordered,
            "missing": len(missing),
            **summary(samples),
        }


async def run_http(bench: UiBench, workloads) -> None:
    args = bench.args
    for workload in workloads:
        if workload == "list":
            emit(await bench.repeated("list", "/incidents/?box=1&page_size=100"))
        elif workload == "list-filtered":
            url = f"/incidents/?open=1&acked=3&tags={args.list_tag}&page_size=100"
            emit(await bench.repeated("list-filtered", url))
        elif workload == "list-tag":
            emit(await bench.repeated("list-tag", f"/incidents/?box=1&tags={args.list_tag}&page_size=100"))
        elif workload == "deep-page":
            emit(await bench.deep_page())
        elif workload == "type-ahead":
            emit(await bench.type_ahead())
        elif workload == "detail" and bench.heavy_pk:
            emit(await bench.detail())
        elif workload == "paging-storm":
            if args.token:
                emit(await bench.paging_storm())
            else:
                emit({"workload": "paging-storm", "skipped": "no --token"})


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000")
    parser.add_argument("--token", help="API token of a source system (paging-storm posts incidents)")
    parser.add_argument("--username", default="bench-ui", help="UI user (made by prepare; default bench-ui)")
    parser.add_argument("--password", default="bench-ui-password", help="its password")
    parser.add_argument("--workload", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    parser.add_argument("--repeat", type=int, default=50, help="requests per timed page (default 50)")
    parser.add_argument("--pages", type=int, default=50, help="pages walked by deep-page (default 50)")
    parser.add_argument("--heavy-events", type=int, default=10_000, help="events of the heavy incident")
    parser.add_argument(
        "--list-tag",
        default=DEFAULT_LIST_TAG,
        help=f"default {DEFAULT_LIST_TAG}; several values comma-separated",
    )
    parser.add_argument("--timeout", type=float, default=30)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    heavy_pk = None
    if "prepare" in args.workload:
        record = prepare(args)
        heavy_pk = record["heavy_incident"]
        emit(record)
    else:
        heavy = Incident.objects.filter(
            incident_tag_relations__tag__key="bench_heavy", incident_tag_relations__tag__value="1"
        ).first()
        heavy_pk = heavy.pk if heavy else None
    if "queries" in args.workload:
        emit(queries_check(args))
    http = [w for w in args.workload if w not in ("prepare", "queries")]
    if http:
        asyncio.run(run_http(UiBench(args, heavy_pk), http))
    return 0


if __name__ == "__main__":
    sys.exit(main())
