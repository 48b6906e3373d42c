"""Probes for load balancers and orchestrators: ``/.still-alive/`` and ``/.ready/``.

* ``/.still-alive/`` (liveness): the process answers, ``204`` to any method. It touches no
  database, cache or channel layer and sets no cookie.
* ``/.ready/`` (readiness): can this process serve? ``GET``/``HEAD`` run three checks, each
  given 2 s: ``database`` (``SELECT 1``), ``channel_layer`` (a Redis ``PING``, when the channel
  layer is Redis; the in-process layer is always ok) and ``migrations`` (none unapplied;
  remembered once it was ok). ``200`` when all are ok, else ``503`` naming the failed check as
  ``"error"``, without host names or exception text (those go to the log).

Both answer under any ``Host`` header (orchestrators probe the pod's IP) and log nothing when
all is well; ``argus.site.middleware.ProbeMiddleware`` serves them before host validation.
The checks run in threads of their own, so a database that does not answer (a dead host
swallows packets) costs the probe 2 s, not the TCP timeout.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import redis
from channels_redis.utils import decode_hosts
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

CHECK_TIMEOUT = 2.0
OK, ERROR = "ok", "error"


class CheckTimedOut(Exception):
    pass


def run_with_timeout(check: Callable[[], None], timeout: float = CHECK_TIMEOUT) -> None:
    """Run ``check`` in a thread of its own and wait at most ``timeout`` seconds for it.

    The thread closes its database connections when done; one that hangs is abandoned (a daemon
    thread, which ends when the driver gives up).
    """
    outcome: dict[str, BaseException | None] = {}

    def target():
        try:
            check()
            outcome["error"] = None
        except BaseException as error:  # noqa: BLE001  (reported to the waiting thread)
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, name="argus-ready-check", daemon=True)
    thread.start()
    thread.join(timeout)
    if "error" not in outcome:
        raise CheckTimedOut(f"no answer within {timeout:g} s")
    if outcome["error"] is not None:
        raise outcome["error"]


def check_database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def redis_client() -> redis.Redis | None:
    """A client for the (first) Redis server of the channel layer; None when the layer is not Redis."""
    layer = settings.CHANNEL_LAYERS.get("default", {})
    if "redis" not in layer.get("BACKEND", "").lower():
        return None
    host = dict(decode_hosts(layer.get("CONFIG", {}).get("hosts"))[0])
    options = {"socket_connect_timeout": CHECK_TIMEOUT, "socket_timeout": CHECK_TIMEOUT}
    if "address" in host:
        address = host.pop("address")
        return redis.Redis.from_url(address, **host, **options)
    if "master_name" in host:  # Sentinel: asking the sentinels is the layer's business; ping one
        host = {"host": host["sentinels"][0][0], "port": host["sentinels"][0][1]}
    return redis.Redis(**host, **options)


def check_channel_layer() -> None:
    client = redis_client()
    if client is None:
        return
    try:
        client.ping()
    finally:
        client.close()


class MigrationsCheck:
    """No unapplied migration; once that was true it stays true for the process."""

    def __init__(self):
        self.applied = False

    def __call__(self) -> None:
        if self.applied:
            return
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise RuntimeError("unapplied migrations")
        self.applied = True


check_migrations = MigrationsCheck()

#: name -> check; each raises when it fails.
CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "channel_layer": check_channel_layer,
    "migrations": check_migrations,
}


def readiness() -> dict[str, str]:
    """Run every check, at once; name -> "ok" or "error" (the reason is logged)."""
    results: dict[str, str] = {}
    errors: dict[str, BaseException] = {}

    def run(name, check):
        try:
            run_with_timeout(check)
            results[name] = OK
        except BaseException as error:  # noqa: BLE001
            results[name] = ERROR
            errors[name] = error

    threads = [threading.Thread(target=run, args=item, daemon=True) for item in CHECKS.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name, error in errors.items():
        logger.warning("Readiness check %s failed: %s", name, _one_line(error))
    return {name: results[name] for name in CHECKS}


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def method_not_allowed(request, allowed: list[str]) -> HttpResponse:
    response = JsonResponse({"detail": f'Method "{request.method}" not allowed.'}, status=405)
    response["Allow"] = ", ".join(allowed)
    return response


def still_alive(request) -> HttpResponse:
    return _no_store(HttpResponse(status=204))


def ready(request) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return method_not_allowed(request, ["GET", "HEAD"])
    checks = readiness()
    healthy = all(value == OK for value in checks.values())
    body = {"status": OK if healthy else ERROR, "checks": checks}
    return _no_store(JsonResponse(body, status=200 if healthy else 503))
