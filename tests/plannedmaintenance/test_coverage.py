"""Coverage and silencing: the rules as tables, run through the code dispatch, linking and previews use.

Coverage has two forms, as matching does: in memory on one incident (dispatch, linking on change)
and in the database (linking a task, preview, the still-open notice). Every case runs both.
"""

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from argus.incident.models import Incident
from argus.notificationprofile.matching import IncidentFacts, load_event
from argus.plannedmaintenance import services
from argus.plannedmaintenance.coverage import (
    blobs_cover,
    covered_q,
    overlapping_q,
    silencing_tasks,
    timestamp_spans,
)
from argus.plannedmaintenance.models import PlannedMaintenanceTask
from argus.util.datetime_utils import INFINITY
from tests.factories import (
    AcknowledgementFactory,
    EventFactory,
    IncidentFactory,
    IncidentTagRelationFactory,
    SourceSystemFactory,
    TagFactory,
)
from tests.notificationprofile.factories import FilterFactory
from tests.plannedmaintenance.factories import PlannedMaintenanceLinkFactory, PlannedMaintenanceTaskFactory

NOW = timezone.now()
HOUR = datetime.timedelta(hours=1)


def tag(incident, text):
    key, value = text.split("=")
    IncidentTagRelationFactory(incident=incident, tag=TagFactory(key=key, value=value))


@pytest.fixture
def world(db):
    """Sources s1 (type nav) and s2 (type zabbix) and five incidents."""
    s1, s2 = SourceSystemFactory(type__name="nav"), SourceSystemFactory(type__name="zabbix")
    incidents = {
        # open, level 3, location=oslo, unacked
        "A": IncidentFactory(source=s1, level=3, end_time=INFINITY),
        # open, level 2, location=bergen, acked
        "B": IncidentFactory(source=s1, level=2, end_time=INFINITY),
        # closed, level 4, location=oslo
        "C": IncidentFactory(source=s2, level=4, end_time=NOW - HOUR),
        # stateless, level 5, location=oslo
        "D": IncidentFactory(source=s2, level=5, end_time=None),
        # open, level 1, no tags
        "E": IncidentFactory(source=s1, level=1, end_time=INFINITY),
    }
    for name, location in (("A", "oslo"), ("B", "bergen"), ("C", "oslo"), ("D", "oslo")):
        tag(incidents[name], f"location={location}")
    AcknowledgementFactory(event__incident=incidents["B"])
    return {"s1": s1.pk, "s2": s2.pk, "incidents": incidents}


def expand(blob, world):
    ids = blob.get("sourceSystemIds")
    return {**blob, "sourceSystemIds": [world[v] for v in ids]} if ids else blob


OSLO = {"tags": ["location=oslo"]}

COVERAGE = [
    ([], ""),  # a task without filters covers nothing
    ([{}], ""),  # an empty filter matches nothing
    ([{"open": None, "tags": []}], ""),
    ([{"event_types": ["STA"]}], ""),  # event_types is ignored: nothing selective is left
    ([OSLO], "ACD"),
    ([{**OSLO, "event_types": ["END"]}], "ACD"),  # a window silences every event type
    ([OSLO, {"sourceSystemIds": ["s1"]}], "A"),  # every filter must match
    ([OSLO, {}], ""),  # ... and an empty one matches nothing
    ([{"open": True}], "ABE"),
    ([{"open": False}], "C"),  # false means false; stateless D is neither
    ([{"acked": False, "sourceSystemIds": ["s1"]}], "AE"),
    ([{"acked": True}], "B"),
    ([{"stateful": False}], "D"),
    ([{"maxlevel": 2}], "BE"),
    ([{"source_types": ["zabbix"]}], "CD"),
    ([{"source_types": ["nav"]}, {"maxlevel": 2}], "BE"),
    ([{"source_types": ["nav", "zabbix"], "tags": ["location=oslo"]}], "ACD"),
    ([{"source_types": ["gone"]}], ""),
    ([{"tags": ["location=oslo", "location=bergen"]}], "ABCD"),
    ([{"tags": ["nokeyvalue"]}], ""),
]


def covered_both_ways(world, blobs, now=None):
    blobs = [expand(blob, world) for blob in blobs]
    incidents = world["incidents"]
    in_db = set(Incident.objects.filter(covered_q(blobs, now=now)).values_list("pk", flat=True))
    in_memory = {i.pk for i in incidents.values() if blobs_cover(IncidentFacts.of(i, now=now), blobs)}
    return in_db, in_memory


@pytest.mark.parametrize("blobs, expected", COVERAGE)
def test_database_and_memory_coverage_agree_with_the_table(world, blobs, expected):
    in_db, in_memory = covered_both_ways(world, blobs)
    wanted = {world["incidents"][name].pk for name in expected}
    assert in_db == wanted
    assert in_memory == wanted


@override_settings(ARGUS_FALLBACK_FILTER={"maxlevel": 1, "open": False})
def test_the_fallback_filter_is_not_applied(world):
    in_db, in_memory = covered_both_ways(world, [OSLO])
    assert in_db == in_memory == {world["incidents"][name].pk for name in "ACD"}
    assert covered_both_ways(world, [{}]) == (set(), set())


def test_filter_contents_are_read_when_evaluated(world):
    """Editing a filter a task uses changes the task's scope at once."""
    incidents = world["incidents"]
    filter_ = FilterFactory(filter=OSLO)
    task = PlannedMaintenanceTaskFactory(filters=[filter_])
    sta = EventFactory(incident=incidents["A"], type="STA", timestamp=NOW)
    assert silencing_tasks([sta]) == {sta.pk: [task.pk]}
    filter_.filter = {"tags": ["location=bergen"]}
    filter_.save()
    assert silencing_tasks([sta]) == {}


# --- silencing: window, links, overlaps ------------------------------------------------------------


def event(incident, moment, type="OTH"):
    """An event as the worker loads it (incident, source and tags)."""
    return load_event(EventFactory(incident=incident, timestamp=moment, type=type).pk)


@pytest.fixture
def window(world):
    """A task over location=oslo from NOW - 1 h to NOW + 1 h."""
    return PlannedMaintenanceTaskFactory(
        start_time=NOW - HOUR, end_time=NOW + HOUR, filters=[FilterFactory(filter=OSLO)]
    )


MICRO = datetime.timedelta(microseconds=1)


@pytest.mark.parametrize(
    "offset, silenced",
    [
        (-HOUR - MICRO, False),
        (-HOUR, True),  # exactly the start
        (datetime.timedelta(0), True),
        (HOUR, True),  # exactly the end
        (HOUR + MICRO, False),
    ],
)
def test_window_bounds_are_inclusive(world, window, offset, silenced):
    incident = world["incidents"]["A"]
    ev = event(incident, NOW + offset)
    assert silencing_tasks([ev]) == ({ev.pk: [window.pk]} if silenced else {})


@pytest.mark.parametrize("type", ["STA", "END", "CLO", "REO", "ACK", "OTH", "LES"])
def test_every_event_type_is_silenced(world, window, type):
    ev = event(world["incidents"]["A"], NOW, type)
    assert silencing_tasks([ev]) == {ev.pk: [window.pk]}


def test_the_events_own_timestamp_counts_not_when_it_arrived(world):
    past_window = PlannedMaintenanceTaskFactory(
        start_time=NOW - 3 * HOUR, end_time=NOW - 2 * HOUR, filters=[FilterFactory(filter=OSLO)]
    )
    incident = world["incidents"]["A"]
    back_dated = event(incident, NOW - 150 * datetime.timedelta(minutes=1))
    current = event(incident, NOW)
    assert silencing_tasks([back_dated, current]) == {back_dated.pk: [past_window.pk]}


def test_outside_the_window_while_one_is_current_is_not_silenced(world, window):
    ev = event(world["incidents"]["A"], NOW - 2 * HOUR)
    assert silencing_tasks([ev]) == {}


def test_uncovered_incident_is_not_silenced(world, window):
    ev = event(world["incidents"]["B"], NOW)
    assert silencing_tasks([ev]) == {}


def test_linked_incident_stays_silenced_whatever_its_state(world):
    """A filter with open: true no longer matches a closed incident, but its END stays silent."""
    incident = world["incidents"]["C"]  # closed
    task = PlannedMaintenanceTaskFactory(
        start_time=NOW - HOUR, end_time=NOW + HOUR, filters=[FilterFactory(filter={**OSLO, "open": True})]
    )
    end = event(incident, NOW, "END")
    assert silencing_tasks([end]) == {}
    PlannedMaintenanceLinkFactory(task=task, incident=incident)
    assert silencing_tasks([end]) == {end.pk: [task.pk]}


def test_a_link_silences_only_inside_its_tasks_window(world):
    incident = world["incidents"]["C"]
    task = PlannedMaintenanceTaskFactory(
        start_time=NOW - 2 * HOUR, end_time=NOW - HOUR, filters=[FilterFactory(filter={"open": True})]
    )
    PlannedMaintenanceLinkFactory(task=task, incident=incident)
    assert silencing_tasks([event(incident, NOW)]) == {}


def test_task_without_filters_silences_nothing_even_its_links(world):
    incident = world["incidents"]["A"]
    task = PlannedMaintenanceTaskFactory(start_time=NOW - HOUR, end_time=NOW + HOUR)
    PlannedMaintenanceLinkFactory(task=task, incident=incident)
    assert silencing_tasks([event(incident, NOW)]) == {}


def test_overlapping_tasks_either_silences(world, window):
    bergen = PlannedMaintenanceTaskFactory(
        start_time=NOW - HOUR / 2,
        end_time=NOW + 3 * HOUR,
        filters=[FilterFactory(filter={"tags": ["location=bergen"]})],
    )
    everything = PlannedMaintenanceTaskFactory(
        start_time=NOW + HOUR / 2, end_time=NOW + 2 * HOUR, filters=[FilterFactory(filter={"open": True})]
    )
    a, b = world["incidents"]["A"], world["incidents"]["B"]
    events = [event(a, NOW), event(a, NOW + 3 * HOUR / 2), event(b, NOW + HOUR), event(b, NOW + 5 * HOUR)]
    assert silencing_tasks(events) == {
        events[0].pk: [window.pk],
        events[1].pk: [everything.pk],
        events[2].pk: [bergen.pk, everything.pk],
    }


def test_a_batch_costs_two_queries_whatever_its_size(world, window, django_assert_num_queries):
    events = [event(incident, NOW) for incident in world["incidents"].values()]
    with django_assert_num_queries(2):  # the tasks holding the timestamps, their links
        silenced = silencing_tasks(events)
    assert set(silenced) == {events[0].pk, events[2].pk, events[3].pk}


def test_no_task_holding_the_timestamps_costs_one_query(world, django_assert_num_queries):
    events = [event(world["incidents"]["A"], NOW)]
    with django_assert_num_queries(1):
        assert silencing_tasks(events) == {}
    with django_assert_num_queries(0):
        assert silencing_tasks([]) == {}


def test_timestamps_a_minute_apart_or_less_are_one_span():
    second = datetime.timedelta(seconds=1)
    moments = [NOW + 61 * second, NOW, NOW + 30 * second, NOW + 3 * HOUR, NOW + 60 * second]
    assert timestamp_spans(moments) == [(NOW, NOW + 61 * second), (NOW + 3 * HOUR, NOW + 3 * HOUR)]


def test_spread_timestamps_read_only_the_tasks_holding_them(world, django_assert_num_queries):
    """A back-dated event in the batch does not make the worker read the tasks in between."""
    filter_ = FilterFactory(filter=OSLO)
    old = PlannedMaintenanceTaskFactory(start_time=NOW - 5 * HOUR, end_time=NOW - 4 * HOUR, filters=[filter_])
    PlannedMaintenanceTaskFactory(start_time=NOW - 3 * HOUR, end_time=NOW - 2 * HOUR, filters=[filter_])
    current = PlannedMaintenanceTaskFactory(start_time=NOW - HOUR, end_time=NOW + HOUR, filters=[filter_])
    incident = world["incidents"]["A"]
    events = [event(incident, NOW - 270 * datetime.timedelta(minutes=1)), event(incident, NOW)]
    read = overlapping_q(timestamp_spans([e.timestamp for e in events]))
    assert set(PlannedMaintenanceTask.objects.filter(read).values_list("pk", flat=True)) == {
        old.pk,
        current.pk,
    }
    with django_assert_num_queries(2):
        assert silencing_tasks(events) == {events[0].pk: [old.pk], events[1].pk: [current.pk]}


def test_an_event_stamped_before_an_early_end_is_still_silenced(world):
    task = PlannedMaintenanceTaskFactory(start_time=NOW - HOUR, filters=[FilterFactory(filter=OSLO)])
    ended = services.task_end(task=task)
    incident = world["incidents"]["A"]
    before, after = event(incident, ended.end_time - MICRO), event(incident, ended.end_time + MICRO)
    assert silencing_tasks([before, after]) == {before.pk: [task.pk]}
