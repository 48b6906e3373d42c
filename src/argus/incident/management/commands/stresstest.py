"""``stresstest``: hammer a running Argus with incident creations, then verify them.

Each worker is an asyncio task with its own request loop over one shared ``httpx.AsyncClient``;
after ``--seconds`` no new request is started, the ones in flight are waited for. Every created
incident is then read back and checked, and with ``--bulk`` acknowledged in bulk.
"""

import argparse
import asyncio
import datetime
import sys
import time
from urllib.parse import urlsplit

import httpx
from django.core.management.base import BaseCommand, CommandError

INCIDENT_DESCRIPTION = "Stresstest"
INCIDENT_TAG = "problem_type=stresstest"
CREATE_PATH = "/api/v1/incidents/"
DETAIL_PATH = "/api/v1/incidents/{pk}/"
BULK_ACK_PATH = "/api/v2/incidents/acks/bulk/"
BULK_ACK_CHUNK = 100
VERIFY_CONCURRENCY = 16
PROGRESS_EVERY_SECONDS = 5.0


class StresstestError(Exception):
    """The target answered with an error status (``status`` set) or could not be reached."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def positive(kind):
    def parse(value):
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {kind.__name__} value: {value!r}")
        if number <= 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0: {value!r}")
        return number

    parse.__name__ = kind.__name__
    return parse


def base_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {value!r} (e.g. https://argushost.no:8080)")
    return value.strip().rstrip("/")


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


def incident_payload() -> dict:
    return {"start_time": now_iso(), "description": INCIDENT_DESCRIPTION, "tags": [{"tag": INCIDENT_TAG}]}


def describe_http_error(error: Exception) -> str:
    if isinstance(error, httpx.HTTPStatusError):
        response = error.response
        return f"HTTP Error {response.status_code}: {response.text}"
    return f"HTTP Error: {error or type(error).__name__}"


async def _request(client: httpx.AsyncClient, method: str, path: str, **kwargs) -> httpx.Response:
    try:
        response = await client.request(method, path, **kwargs)
        response.raise_for_status()
    except httpx.HTTPError as error:
        status = error.response.status_code if isinstance(error, httpx.HTTPStatusError) else None
        raise StresstestError(describe_http_error(error), status) from error
    return response


class Stresstest:
    def __init__(self, *, url, token, seconds, timeout, workers, progress=None):
        self.url, self.token = url, token
        self.seconds, self.timeout, self.workers = seconds, timeout, workers
        self.progress = progress
        self.created: list[int] = []

    def client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=max(self.workers, VERIFY_CONCURRENCY))
        return httpx.AsyncClient(
            base_url=self.url,
            headers={"Authorization": f"Token {self.token}"},
            timeout=self.timeout,
            limits=limits,
        )

    async def _worker(self, client: httpx.AsyncClient, deadline: float) -> None:
        """POST until the deadline; at least once, so even a tiny ``--seconds`` tests something."""
        while True:
            response = await _request(client, "POST", CREATE_PATH, json=incident_payload())
            self.created.append(response.json()["pk"])
            if time.monotonic() >= deadline:
                return

    async def _report_progress(self, started: float) -> None:
        while True:
            await asyncio.sleep(PROGRESS_EVERY_SECONDS)
            elapsed = time.monotonic() - started
            self.progress(
                f"... {elapsed:.0f}s: {len(self.created)} incidents created "
                f"({len(self.created) / elapsed:.2f}/s)"
            )

    async def run(self) -> datetime.timedelta:
        """Create incidents for ``seconds``; returns the runtime including in-flight responses."""
        started = time.monotonic()
        deadline = started + self.seconds
        async with self.client() as client:
            reporter = asyncio.create_task(self._report_progress(started)) if self.progress else None
            try:
                async with asyncio.TaskGroup() as group:
                    for _ in range(self.workers):
                        group.create_task(self._worker(client, deadline))
            except* StresstestError as errors:
                raise errors.exceptions[0] from None
            finally:
                if reporter:
                    reporter.cancel()
        return datetime.timedelta(seconds=time.monotonic() - started)

    async def verify(self) -> list[str]:
        """Read every created incident back; returns one message per incident that is wrong."""
        semaphore = asyncio.Semaphore(VERIFY_CONCURRENCY)
        problems: list[str] = []

        async def check(client, pk):
            async with semaphore:
                incident = (await _request(client, "GET", DETAIL_PATH.format(pk=pk))).json()
            tags = [tag.get("tag") for tag in incident.get("tags", [])]
            if incident.get("description") != INCIDENT_DESCRIPTION:
                problems.append(f"Incident {pk}: description is {incident.get('description')!r}")
            if INCIDENT_TAG not in tags:
                problems.append(f"Incident {pk}: tag {INCIDENT_TAG} missing (tags: {tags})")

        async with self.client() as client:
            try:
                async with asyncio.TaskGroup() as group:
                    for pk in self.created:
                        group.create_task(check(client, pk))
            except* StresstestError as errors:
                raise errors.exceptions[0] from None
        return problems

    async def bulk_ack(self) -> None:
        async with self.client() as client:
            for start in range(0, len(self.created), BULK_ACK_CHUNK):
                ids = self.created[start : start + BULK_ACK_CHUNK]
                body = {"ids": ids, "ack": {"timestamp": now_iso(), "description": INCIDENT_DESCRIPTION}}
                await _request(client, "POST", BULK_ACK_PATH, json=body)


class Command(BaseCommand):
    help = "Stresstests incident creation API"

    def add_arguments(self, parser):
        parser.add_argument(
            "url",
            type=base_url,
            help="URL for target argus host. Port may be specified (defaults to 443 for HTTPS and 80 for HTTP), "
            "e.g. https://argushost.no:8080",
        )
        parser.add_argument(
            "token",
            help="Token for authenticating against target API. The token must belong to a user that is "
            "associated with a source system",
        )
        parser.add_argument(
            "-s",
            "--seconds",
            type=positive(float),
            default=10,
            help="Number of seconds to send http requests. After this no more requests will be sent but "
            "responses will be waited for. Default 10s",
        )
        parser.add_argument(
            "-t", "--timeout", type=positive(float), default=5, help="Timeout for requests. Default 5s"
        )
        parser.add_argument(
            "-w", "--workers", type=positive(int), default=1, help="Number of workers. Default 1"
        )
        parser.add_argument("-b", "--bulk", action="store_true", help="Bulk ACK created incidents")

    def handle(self, *args, **options):
        progress = self.stderr.write if options["verbosity"] >= 1 else None
        test = Stresstest(
            url=options["url"],
            token=options["token"],
            seconds=options["seconds"],
            timeout=options["timeout"],
            workers=options["workers"],
            progress=progress,
        )
        try:
            self.stdout.write("Running stresstest ...")
            runtime = asyncio.run(test.run())
            self.stdout.write("Verifying incidents were created correctly ...")
            problems = asyncio.run(test.verify())
            if problems:
                for problem in problems:
                    self.stderr.write(problem)
                raise CommandError(
                    f"{len(problems)} problem(s) found in {len(test.created)} created incidents."
                )
            if options["bulk"]:
                self.stdout.write("Bulk ACKing incidents ...")
                asyncio.run(test.bulk_ack())
        except StresstestError as error:
            self.stderr.write(str(error))
            if error.status is not None:
                sys.exit(1)
            return
        seconds = runtime.total_seconds()
        rate = len(test.created) / seconds if seconds else 0.0
        self.stdout.write(
            f"Stresstest completed. Runtime: {runtime}. Incidents created: {len(test.created)}. "
            f"Average incidents per second: {rate:.2f}."
        )
