"""argus.util.inserts: rows of several tables that refer to each other in one statement."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from argus.incident.models import Event, Incident, IncidentTagRelation, Tag
from argus.incident.services import EVENT_INSERT_FIELDS, INCIDENT_INSERT_FIELDS, RELATION_INSERT_FIELDS
from argus.util.inserts import can_insert_together, insert_objects_together
from tests.factories import SourceSystemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def postgresql_only():
    if not can_insert_together():
        pytest.skip("data-modifying WITH: PostgreSQL")


def new_rows(tag_count: int):
    source = SourceSystemFactory()
    now = timezone.now()
    incident = Incident(start_time=now, source=source, description="x", metadata={}, search_text="x")
    tags = [Tag.objects.create(key="k", value=f"v{n}") for n in range(tag_count)]
    relations = [
        IncidentTagRelation(
            incident=incident, tag=tag, added_by=source.user, added_time=now, incident_start_time=now
        )
        for tag in tags
    ]
    event = Event(
        incident=incident, actor=source.user, timestamp=now, received=now, type="STA", description="x"
    )
    return incident, relations, event


INCIDENT, RELATION, EVENT = INCIDENT_INSERT_FIELDS, RELATION_INSERT_FIELDS, EVENT_INSERT_FIELDS


def test_rows_that_refer_to_each_other_are_one_statement_and_get_their_keys():
    incident, relations, event = new_rows(3)
    with CaptureQueriesContext(connection) as queries:
        insert_objects_together([([incident], INCIDENT), (relations, RELATION), ([event], EVENT)])
    assert len(queries) == 1 and queries[0]["sql"].startswith("WITH ")
    assert incident.pk is not None and event.pk is not None
    assert event.incident_id == incident.pk and event.incident is incident
    assert all(
        relation.incident_id == incident.pk and relation.incident is incident for relation in relations
    )
    stored = IncidentTagRelation.objects.filter(incident_id=incident.pk).order_by("pk")
    assert [(r.pk, r.tag_id) for r in stored] == [(r.pk, r.tag_id) for r in relations]  # keys in row order
    assert Event.objects.get(pk=event.pk).incident_id == incident.pk
    assert not any(obj._state.adding for obj in [incident, event, *relations])


def test_an_empty_batch_is_skipped():
    incident, _relations, event = new_rows(0)
    insert_objects_together([([incident], INCIDENT), ([], RELATION), ([event], EVENT)])
    assert Event.objects.get(pk=event.pk).incident_id == incident.pk


def test_a_failing_row_writes_nothing():
    incident, relations, event = new_rows(2)
    relations[1].tag_id = 2**31 - 1  # no such tag: the foreign key refuses the statement
    relations[1]._state.fields_cache.pop("tag", None)
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        insert_objects_together([([incident], INCIDENT), (relations, RELATION), ([event], EVENT)])
    assert not Incident.objects.filter(description="x").exists()
    assert not Event.objects.filter(description="x").exists()


def test_an_unsaved_object_no_batch_inserts_is_refused():
    incident, _relations, event = new_rows(0)
    with pytest.raises(ValueError, match="incident of Event is an unsaved object"):
        insert_objects_together([([event], EVENT)])
    assert incident.pk is None and event.pk is None
