"""Bulk-load a realistic incident history for the list benchmarks (minutes, not hours).

    DJANGO_SETTINGS_MODULE=argus.site.settings.prod SECRET_KEY=x ARGUS_ALLOWED_HOSTS=localhost \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/argus_bench \\
    python bench/preload.py --incidents 1000000

Creates ``--sources`` source systems ``bench0..N`` (type ``bench``), the first one with a DRF token
that the last output line prints (``{"token": ...}``) for ``bench/run.py``. Then ``--incidents``
incidents spread over the past year, each with 5 tags drawn from fixed pools (``host``,
``bench_group`` (100 values, ``g0``..``g99``), ``service``, ``location``, ``problem_type``), a
STA (or LES) event, an END event when closed, and an ACK event + acknowledgement for about 30% of
them, with what the services keep for the list filters (``Incident.may_be_open``, the tag
relations' copies of start time and open state). About 5% stay open (``--open-share``; 0.002 is a quiet production site) and 2% are stateless,
as on a long-running installation.

On PostgreSQL the rows are streamed with ``COPY`` in chunks (about 1M incidents with 9M rows in all
take a few minutes); elsewhere ``bulk_create`` is used. The database must be migrated. Loading is
additive: running it twice doubles the data. Progress goes to stderr, one line per chunk.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "argus.site.settings.dev")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from argus.incident.models import (  # noqa: E402
    Acknowledgement,
    Event,
    Incident,
    IncidentTagRelation,
    SourceSystem,
    SourceSystemType,
    Tag,
)
from argus.util.datetime_utils import INFINITY  # noqa: E402

OPEN_SHARE = 0.05
STATELESS_SHARE = 0.02
ACKED_SHARE = 0.30
TAG_POOLS = {
    "host": [f"host{n}.example.org" for n in range(5000)],
    "bench_group": [f"g{n}" for n in range(100)],
    "service": [f"svc{n}" for n in range(200)],
    "location": [f"room{n}" for n in range(50)],
    "problem_type": [f"problem{n}" for n in range(20)],
}


def ensure_sources(count: int) -> tuple[list[SourceSystem], str]:
    from rest_framework.authtoken.models import Token

    User = get_user_model()
    source_type, _ = SourceSystemType.objects.get_or_create(name="bench")
    sources = []
    for n in range(count):
        user, _ = User.objects.get_or_create(username=f"bench{n}")
        source, _ = SourceSystem.objects.get_or_create(
            name=f"bench{n}",
            type=source_type,
            defaults={"user": user, "base_url": "https://bench.example.org/"},
        )
        sources.append(source)
    token, _ = Token.objects.get_or_create(user=sources[0].user)
    return sources, token.key


def ensure_tags() -> dict[str, list[int]]:
    pairs = [(key, value) for key, values in TAG_POOLS.items() for value in values]
    Tag.objects.bulk_create([Tag(key=k, value=v) for k, v in pairs], ignore_conflicts=True, batch_size=2000)
    ids = {(t.key, t.value): t.pk for t in Tag.objects.filter(key__in=TAG_POOLS)}
    return {key: [ids[(key, value)] for value in values] for key, values in TAG_POOLS.items()}


def next_id(model) -> int:
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COALESCE(MAX("{column}"), 0) FROM "{model._meta.db_table}"')
        return cursor.fetchone()[0] + 1


def ts(value: datetime.datetime | None) -> str:
    return r"\N" if value is None else value.isoformat()


class Generator:
    """Rows for one chunk of incidents, as tuples in the tables' column order."""

    def __init__(self, *, sources, tag_ids, actor_id, now, rng, open_share=OPEN_SHARE):
        self.sources, self.tag_ids, self.actor_id = sources, tag_ids, actor_id
        self.open_share = open_share
        self.now, self.rng = now, rng
        self.incident_id = next_id(Incident)
        self.event_id = next_id(Event)
        self.relation_id = next_id(IncidentTagRelation)

    def chunk(self, size: int):
        incidents, relations, events, acks = [], [], [], []
        rng = self.rng
        for _ in range(size):
            pk = self.incident_id
            self.incident_id += 1
            source = rng.choice(self.sources)
            start = self.now - datetime.timedelta(seconds=rng.uniform(60, 365 * 86400))
            roll = rng.random()
            if roll < STATELESS_SHARE:
                end = None
            elif roll < STATELESS_SHARE + self.open_share:
                end = INFINITY
            else:
                end = min(self.now, start + datetime.timedelta(seconds=rng.uniform(60, 3 * 86400)))
            description = f"Preloaded incident {pk} on {source.name}"
            acked = rng.random() < ACKED_SHARE  # acks never expire here: acked_until = infinity
            incidents.append(
                (
                    pk,
                    start,
                    end,
                    source.pk,
                    f"pre-{pk}",
                    "",
                    description,
                    rng.randint(1, 5),
                    "",
                    "{}",
                    f" {description}",
                    INFINITY if acked else None,
                    end is INFINITY,
                )
            )
            for key in TAG_POOLS:
                relations.append(
                    (
                        self.relation_id,
                        rng.choice(self.tag_ids[key]),
                        pk,
                        source.user_id,
                        start,
                        start,
                        end is INFINITY,
                    )
                )
                self.relation_id += 1
            first_type = "LES" if end is None else "STA"
            events.append((self.event_id, pk, source.user_id, start, start, first_type, description))
            self.event_id += 1
            if end is not None and end is not INFINITY:
                events.append((self.event_id, pk, source.user_id, end, end, "END", "Resolved"))
                self.event_id += 1
            if acked:
                acked_at = start + datetime.timedelta(seconds=rng.uniform(1, 3600))
                events.append(
                    (self.event_id, pk, self.actor_id, acked_at, acked_at, "ACK", "Looking into it")
                )
                acks.append((self.event_id, None))
                self.event_id += 1
        return incidents, relations, events, acks


def columns(model, names):
    return [model._meta.get_field(name).column for name in names]


INCIDENT_FIELDS = [
    "id",
    "start_time",
    "end_time",
    "source",
    "source_incident_id",
    "details_url",
    "description",
    "level",
    "ticket_url",
    "metadata",
    "search_text",
    "acked_until",
    "may_be_open",
]
# The incident's start time and open state are copied onto its tag relations (argus.incident.list_state).
RELATION_FIELDS = [
    "id",
    "tag",
    "incident",
    "added_by",
    "added_time",
    "incident_start_time",
    "incident_may_be_open",
]
EVENT_FIELDS = ["id", "incident", "actor", "timestamp", "received", "type", "description"]
ACK_FIELDS = ["event", "expiration"]


def copy_rows(cursor, model, field_names, rows) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write(
            "\t".join(ts(v) if isinstance(v, datetime.datetime) or v is None else str(v) for v in row) + "\n"
        )
    buffer.seek(0)
    cols = ", ".join(f'"{c}"' for c in columns(model, field_names))
    cursor.copy_expert(f'COPY "{model._meta.db_table}" ({cols}) FROM STDIN', buffer)


def insert_rows(model, field_names, rows) -> None:
    attnames = [model._meta.get_field(name).attname for name in field_names]
    objects = []
    for row in rows:
        values = dict(zip(attnames, row, strict=True))
        if "metadata" in values:
            values["metadata"] = json.loads(values["metadata"])
        objects.append(model(**values))
    model.objects.bulk_create(objects, batch_size=2000)


def reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Incident, Event, IncidentTagRelation):
            table, column = model._meta.db_table, model._meta.pk.column
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
                f'(SELECT COALESCE(MAX("{column}"), 1) FROM "{table}"))'
            )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=100_000, help="how many incidents (default 100000)")
    parser.add_argument("--sources", type=int, default=10, help="how many bench sources (default 10)")
    parser.add_argument("--chunk", type=int, default=50_000, help="incidents per transaction (default 50000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--open-share",
        type=float,
        default=OPEN_SHARE,
        help=f"share of incidents left open (default {OPEN_SHARE}; 0.002 is like a quiet production site)",
    )
    parser.add_argument(
        "--skip-fk-checks",
        action="store_true",
        help="PostgreSQL superuser only: skip the row-by-row foreign-key triggers while copying "
        "(the generated rows are consistent by construction); about twice as fast",
    )
    args = parser.parse_args(argv)
    if args.incidents < 0 or args.sources < 1 or args.chunk < 1:
        parser.error("--incidents must be >= 0, --sources and --chunk >= 1")
    if not 0 <= args.open_share <= 1 - STATELESS_SHARE:
        parser.error(f"--open-share must be between 0 and {1 - STATELESS_SHARE}")

    started = time.monotonic()
    sources, token = ensure_sources(args.sources)
    tag_ids = ensure_tags()
    actor, _ = get_user_model().objects.get_or_create(
        username="bench_operator", defaults={"first_name": "Bench"}
    )
    generator = Generator(
        sources=sources,
        tag_ids=tag_ids,
        actor_id=actor.pk,
        now=datetime.datetime.now(datetime.UTC),
        rng=random.Random(args.seed),
        open_share=args.open_share,
    )
    postgres = connection.vendor == "postgresql"
    done = 0
    while done < args.incidents:
        size = min(args.chunk, args.incidents - done)
        incidents, relations, events, acks = generator.chunk(size)
        with transaction.atomic():
            if postgres:
                with connection.cursor() as cursor:
                    if args.skip_fk_checks:
                        cursor.execute("SET LOCAL session_replication_role = replica")
                    copy_rows(cursor, Incident, INCIDENT_FIELDS, incidents)
                    copy_rows(cursor, IncidentTagRelation, RELATION_FIELDS, relations)
                    copy_rows(cursor, Event, EVENT_FIELDS, events)
                    copy_rows(cursor, Acknowledgement, ACK_FIELDS, acks)
            else:
                insert_rows(Incident, INCIDENT_FIELDS, incidents)
                insert_rows(IncidentTagRelation, RELATION_FIELDS, relations)
                insert_rows(Event, EVENT_FIELDS, events)
                insert_rows(Acknowledgement, ACK_FIELDS, acks)
        done += size
        elapsed = time.monotonic() - started
        print(
            f"preload: {done}/{args.incidents} incidents, {elapsed:.0f}s ({done / elapsed:.0f}/s)",
            file=sys.stderr,
        )
    reset_sequences()
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        json.dumps(
            {
                "preloaded_incidents": args.incidents,
                "total_incidents": Incident.objects.count(),
                "seconds": round(time.monotonic() - started, 1),
                "token": token,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
