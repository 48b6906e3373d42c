"""Matching: the database form (preview, lists) and the in-memory form (dispatch) agree, case by case."""

import datetime
import zoneinfo

import pytest
from django.test import override_settings
from django.utils import timezone

from argus.incident.models import Event, Incident
from argus.notificationprofile.matching import (
    IncidentFacts,
    destinations_for_event,
    incident_matches_blob,
    incidents_for_blob,
    incidents_for_filter,
    incidents_for_profile,
    profiles_for_event,
    timeslot_contains,
)
from argus.notificationprofile.models import Filter, NotificationProfile, TimeRecurrence
from argus.util.datetime_utils import INFINITY
from tests.factories import (
    AcknowledgementFactory,
    EventFactory,
    IncidentFactory,
    IncidentTagRelationFactory,
    SourceSystemFactory,
    TagFactory,
)
from tests.notificationprofile.factories import (
    DestinationConfigFactory,
    FilterFactory,
    NotificationProfileFactory,
    TimeRecurrenceFactory,
    TimeslotFactory,
)

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
NOW = timezone.now()


def tag(incident, text):
    key, value = text.split("=")
    IncidentTagRelationFactory(incident=incident, tag=TagFactory(key=key, value=value))


@pytest.fixture
def world(db):
    """Five incidents covering every key; sources s1 (type nav) and s2 (type zabbix)."""
    s1, s2 = SourceSystemFactory(type__name="nav"), SourceSystemFactory(type__name="zabbix")
    past = NOW - datetime.timedelta(hours=1)
    incidents = {
        # open, level 3, host=a, unacked
        "A": IncidentFactory(source=s1, level=3, end_time=INFINITY),
        # stateless, level 2, host=a + host=b
        "B": IncidentFactory(source=s1, level=2, end_time=None),
        # closed, level 5, service=x, acked
        "C": IncidentFactory(source=s2, level=5, end_time=past),
        # open, level 1, no tags, only an expired ack
        "D": IncidentFactory(source=s2, level=1, end_time=INFINITY),
        # open, level 4, host=b + service=x, acked
        "E": IncidentFactory(source=s1, level=4, end_time=INFINITY),
    }
    tag(incidents["A"], "host=a")
    tag(incidents["B"], "host=a")
    tag(incidents["B"], "host=b")
    tag(incidents["C"], "service=x")
    tag(incidents["E"], "host=b")
    tag(incidents["E"], "service=x")
    AcknowledgementFactory(event__incident=incidents["C"])
    AcknowledgementFactory(event__incident=incidents["D"], expiration=past)
    AcknowledgementFactory(event__incident=incidents["E"], expiration=NOW + datetime.timedelta(days=1))
    return {"s1": s1.pk, "s2": s2.pk, "incidents": incidents}


def expand(blob, world):
    return {
        key: ([world[v] if isinstance(v, str) else v for v in value] if key == "sourceSystemIds" else value)
        for key, value in blob.items()
    }


CASES = [
    ({}, ""),
    ({"acked": None, "open": None}, ""),
    ({"maxlevel": None, "sourceSystemIds": [], "tags": []}, ""),
    ({"event_types": ["STA"]}, "ABCDE"),
    ({"sourceSystemIds": ["s1"]}, "ABE"),
    ({"sourceSystemIds": ["s1", "s2"]}, "ABCDE"),
    ({"sourceSystemIds": [999999]}, ""),
    ({"tags": ["host=a"]}, "AB"),
    ({"tags": ["host=a", "host=b"]}, "ABE"),  # OR within a key
    ({"tags": ["host=b", "service=x"]}, "E"),  # AND across keys
    ({"tags": [" host = a "]}, "AB"),
    ({"tags": ["nokeyvalue"]}, ""),
    ({"tags": ["host=a", "nokeyvalue"]}, ""),
    ({"open": True}, "ADE"),
    ({"open": False}, "C"),  # stateless B is neither open nor closed
    ({"acked": True}, "CE"),
    ({"acked": False}, "ABD"),  # false means false; expired ack does not count
    ({"stateful": True}, "ACDE"),
    ({"stateful": False}, "B"),
    ({"maxlevel": 2}, "BD"),
    ({"maxlevel": 5}, "ABCDE"),
    ({"maxlevel": 0, "open": True}, "ADE"),
    ({"open": True, "acked": False, "sourceSystemIds": ["s1"]}, "A"),
    ({"stateful": True, "maxlevel": 3, "tags": ["host=a"]}, "A"),
    ({"event_types": ["ACK"], "sourceSystemIds": ["s2"]}, "CD"),
    ({"source_types": []}, ""),
    ({"source_types": ["nav"]}, "ABE"),
    ({"source_types": ["zabbix"]}, "CD"),
    ({"source_types": ["nav", "zabbix"], "open": True}, "ADE"),  # AND with the other keys
    ({"source_types": ["nav"], "sourceSystemIds": ["s2"]}, ""),
    ({"source_types": ["gone"]}, ""),  # a name that names no type matches nothing
    ({"source_types": "nav"}, ""),  # not a list (only the admin could store it): nothing
]


@pytest.mark.parametrize("blob, expected", CASES)
def test_database_and_memory_agree_with_the_table(world, blob, expected):
    blob = expand(blob, world)
    incidents = world["incidents"]
    in_db = set(incidents_for_blob(Incident.objects.all(), blob).values_list("pk", flat=True))
    in_memory = {
        incident.pk
        for incident in incidents.values()
        if incident_matches_blob(IncidentFacts.of(incident), blob)
    }
    wanted = {incidents[name].pk for name in expected}
    assert in_db == wanted
    assert in_memory == wanted


@override_settings(ARGUS_FALLBACK_FILTER={"acked": False, "maxlevel": 3})
def test_fallback_filter_fills_unset_keys_in_both_forms(world):
    incidents = world["incidents"]
    for blob, expected in [({}, "ABD"), ({"acked": True}, ""), ({"maxlevel": 5}, "ABD")]:
        # {"acked": True} overrides the fallback acked=False but keeps maxlevel 3: C(5), E(4) too high
        in_db = set(incidents_for_blob(Incident.objects.all(), blob).values_list("pk", flat=True))
        in_memory = {i.pk for i in incidents.values() if incident_matches_blob(IncidentFacts.of(i), blob)}
        assert in_db == in_memory == {incidents[name].pk for name in expected}, blob


@override_settings(ARGUS_FALLBACK_FILTER={"source_types": ["zabbix"]})
def test_fallback_filter_may_hold_source_types(world):
    incidents = world["incidents"]
    for blob, expected in [({}, "CD"), ({"open": False}, "C"), ({"source_types": ["nav"]}, "ABE")]:
        in_db = set(incidents_for_blob(Incident.objects.all(), blob).values_list("pk", flat=True))
        in_memory = {i.pk for i in incidents.values() if incident_matches_blob(IncidentFacts.of(i), blob)}
        assert in_db == in_memory == {incidents[name].pk for name in expected}, blob


def test_results_have_no_duplicates_with_several_tag_matches(world):
    qs = incidents_for_blob(Incident.objects.all(), {"tags": ["host=a", "host=b"]})
    pks = list(qs.values_list("pk", flat=True))
    assert len(pks) == len(set(pks)) == 3


def test_incidents_for_filter_uses_the_stored_blob(world):
    f = FilterFactory(filter={"tags": ["service=x"]})
    assert set(incidents_for_filter(Incident.objects.all(), f)) == {
        world["incidents"]["C"],
        world["incidents"]["E"],
    }


def test_incidents_for_profile_is_the_union_of_its_filters(world):
    profile = NotificationProfileFactory(
        filters=[
            FilterFactory(filter={"tags": ["service=x"]}),
            FilterFactory(filter={"maxlevel": 1}),
            FilterFactory(),
        ]
    )
    incidents = world["incidents"]
    assert set(incidents_for_profile(Incident.objects.all(), profile)) == {
        incidents["C"],
        incidents["D"],
        incidents["E"],
    }


def test_incidents_for_profile_with_only_empty_filters_is_empty(world):
    profile = NotificationProfileFactory(filters=[FilterFactory(filter={})])
    assert not incidents_for_profile(Incident.objects.all(), profile).exists()


def test_incidents_for_blob_is_a_constant_number_of_queries(world, django_assert_num_queries):
    blob = {"tags": ["host=a", "service=x"], "acked": False, "open": True, "sourceSystemIds": [world["s1"]]}
    with django_assert_num_queries(1):
        list(incidents_for_blob(Incident.objects.all(), blob))


# --- timeslots -----------------------------------------------------------------------------------


def oslo(*args):
    return datetime.datetime(*args, tzinfo=OSLO)


def utc(*args):
    return datetime.datetime(*args, tzinfo=datetime.UTC)


def timeslot_with(*recurrences):
    timeslot = TimeslotFactory()
    for days, start, end in recurrences:
        TimeRecurrenceFactory(timeslot=timeslot, days=days, start=start, end=end)
    return timeslot


T = datetime.time


@pytest.mark.django_db
@pytest.mark.parametrize(
    "recurrences, moment, inside",
    [
        # 2026-11-23 is a Monday; Oslo is UTC+1 in winter
        ([([1], T(8), T(16))], oslo(2026, 11, 23, 8, 0), True),  # start inclusive
        ([([1], T(8), T(16))], oslo(2026, 11, 23, 16, 0), True),  # end inclusive
        ([([1], T(8), T(16))], oslo(2026, 11, 23, 16, 0, 0, 1), False),
        ([([1], T(8), T(16))], oslo(2026, 11, 23, 7, 59, 59, 999999), False),
        ([([2], T(8), T(16))], oslo(2026, 11, 23, 12, 0), False),  # wrong weekday
        ([([1, 2, 3, 4, 5, 6, 7], T.min, T.max)], oslo(2026, 11, 29, 23, 59, 59, 999999), True),  # all day
        ([([1, 2, 3, 4, 5, 6, 7], T.min, T.max)], oslo(2026, 11, 29, 0, 0), True),
        ([([], T.min, T.max)], oslo(2026, 11, 23, 12, 0), False),  # empty days never match
        ([], oslo(2026, 11, 23, 12, 0), False),  # no recurrences never match
        # Monday 23:30 UTC is Tuesday 00:30 in Oslo (§1.2 verified example)
        ([([2], T(0), T(1))], utc(2026, 11, 23, 23, 30), True),
        ([([1], T(23), T(23, 59, 59))], utc(2026, 11, 23, 23, 30), False),
        # across midnight: two recurrences, Mon 22:00-24:00 and Tue 00:00-06:00
        ([([1], T(22), T.max), ([2], T.min, T(6))], oslo(2026, 11, 23, 23, 0), True),
        ([([1], T(22), T.max), ([2], T.min, T(6))], oslo(2026, 11, 24, 5, 0), True),
        ([([1], T(22), T.max), ([2], T.min, T(6))], oslo(2026, 11, 24, 7, 0), False),
        ([([1], T(22), T.max), ([2], T.min, T(6))], oslo(2026, 11, 23, 5, 0), False),
        # DST: summer Oslo is UTC+2. 2026-07-06 is a Monday.
        ([([1], T(8), T(9))], utc(2026, 7, 6, 6, 30), True),
        ([([1], T(8), T(9))], utc(2026, 7, 6, 7, 30), False),
        ([([1], T(8), T(9))], utc(2026, 11, 23, 7, 30), True),  # winter: UTC+1
        # DST switch night (2026-03-29, Sunday): 01:30 UTC is 03:30 CEST
        ([([7], T(3), T(4))], utc(2026, 3, 29, 1, 30), True),
        ([([7], T(2), T(3))], utc(2026, 3, 29, 0, 30), False),  # 01:30 CET
    ],
)
def test_timeslot_contains(recurrences, moment, inside):
    timeslot = timeslot_with(*recurrences)
    assert timeslot_contains(timeslot, moment) is inside
    # dispatch reads timeslots its own (SQL + Python) way: it must agree
    profile = NotificationProfileFactory(
        user=timeslot.user, timeslot=timeslot, filters=[FilterFactory(filter={"maxlevel": 5})]
    )
    event = EventFactory(timestamp=moment)
    assert (profile in profiles_for_event(event)) is inside


@pytest.mark.django_db
def test_timeslot_uses_the_configured_zone_not_the_active_one():
    timeslot = timeslot_with(([1], T(8), T(9)))
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        assert timeslot_contains(timeslot, utc(2026, 11, 23, 7, 30))


# --- dispatch ------------------------------------------------------------------------------------


@pytest.fixture
def source(db):
    return SourceSystemFactory()


def profile_for(*blobs, timeslot=None, destinations=None, active=True, user=None):
    kwargs = {"user": user} if user else {}
    profile = NotificationProfileFactory(
        active=active,
        filters=[FilterFactory(filter=blob) for blob in blobs],
        destinations=destinations if destinations is not None else [DestinationConfigFactory()],
        **kwargs,
    )
    if timeslot is None:
        TimeRecurrenceFactory(timeslot=profile.timeslot)
    else:
        profile.timeslot = timeslot
        profile.save()
    return profile


def event_on(incident, type=Event.Type.OTHER, timestamp=None):
    return EventFactory(incident=incident, type=type, timestamp=timestamp or timezone.now())


def fired(event):
    return set(profiles_for_event(event))


@pytest.mark.django_db
class TestProfilesForEvent:
    def test_every_filter_must_match_the_incident(self, source):
        incident = IncidentFactory(source=source, level=3)
        both = profile_for({"sourceSystemIds": [source.pk]}, {"maxlevel": 3})
        vetoed = profile_for({"sourceSystemIds": [source.pk]}, {"maxlevel": 2})
        assert fired(event_on(incident)) == {both}
        assert vetoed not in fired(event_on(incident))

    def test_one_filter_allowing_the_event_type_is_enough(self, source):
        incident = IncidentFactory(source=source)
        profile = profile_for(
            {"sourceSystemIds": [source.pk], "event_types": ["STA"]}, {"sourceSystemIds": [source.pk]}
        )
        assert fired(event_on(incident, Event.Type.ACKNOWLEDGE)) == {profile}

    @pytest.mark.parametrize(
        "event_type, fires",
        [("STA", True), ("END", True), ("CLO", False), ("OTH", False), ("CHI", False)],
    )
    def test_event_types_restrict_events(self, source, event_type, fires):
        incident = IncidentFactory(source=source)
        profile = profile_for({"sourceSystemIds": [source.pk], "event_types": ["STA", "END", "CHI"]})
        assert (profile in fired(event_on(incident, event_type))) is fires

    def test_event_types_only_filter_fires_for_every_incident(self, source):
        profile = profile_for({"event_types": ["OTH"]})
        assert fired(event_on(IncidentFactory())) == {profile}

    def test_source_types_select_the_incidents_source_type(self, source):
        nav = profile_for({"source_types": [source.type_id]})
        profile_for({"source_types": ["zabbix"]})
        assert fired(event_on(IncidentFactory(source=source))) == {nav}

    def test_empty_filter_never_fires(self, source):
        profile_for({})
        profile_for({"open": None, "tags": []})
        assert fired(event_on(IncidentFactory(source=source))) == set()

    def test_profile_without_filters_never_fires(self, source):
        NotificationProfileFactory(destinations=[DestinationConfigFactory()])
        assert fired(event_on(IncidentFactory(source=source))) == set()

    def test_inactive_profiles_never_fire(self, source):
        profile_for({"sourceSystemIds": [source.pk]}, active=False)
        assert fired(event_on(IncidentFactory(source=source))) == set()

    def test_false_means_false(self, source):
        unacked = profile_for({"acked": False, "sourceSystemIds": [source.pk]})
        acked_only = profile_for({"acked": True, "sourceSystemIds": [source.pk]})
        incident = IncidentFactory(source=source)
        assert fired(event_on(incident)) == {unacked}
        ack = AcknowledgementFactory(event__incident=incident)
        assert fired(ack.event) == {acked_only}

    @pytest.mark.parametrize(
        "blob, fires_for_stateful, fires_for_stateless",
        [
            ({"stateful": True}, True, False),
            ({"stateful": False}, False, True),
            ({"open": True}, True, False),
            ({"open": False}, False, False),
            ({"tags": ["host=a.example"]}, True, True),
            ({"tags": ["host=a.example", "host=b.example"]}, True, True),
            ({"maxlevel": 2}, False, True),
            ({"maxlevel": 3}, True, True),
        ],
    )
    def test_single_filter_table(self, source, blob, fires_for_stateful, fires_for_stateless):
        stateful = IncidentFactory(source=source, level=3, end_time=INFINITY)
        tag(stateful, "host=a.example")
        stateless = IncidentFactory(source=source, level=2, end_time=None)
        tag(stateless, "host=a.example")
        tag(stateless, "host=b.example")
        profile = profile_for({**blob, "sourceSystemIds": [source.pk]})
        assert (profile in fired(event_on(stateful, Event.Type.INCIDENT_START))) is fires_for_stateful
        assert (profile in fired(event_on(stateless, Event.Type.STATELESS))) is fires_for_stateless

    def test_timeslot_is_checked_on_the_event_time_not_the_incident_start(self, source):
        night = timeslot_with(([1, 2, 3, 4, 5, 6, 7], T(0), T(0, 1)))
        profile = profile_for({"sourceSystemIds": [source.pk]}, timeslot=night)
        incident = IncidentFactory(source=source, start_time=oslo(2026, 11, 23, 0, 0, 30))
        assert fired(event_on(incident, timestamp=oslo(2026, 11, 23, 0, 0, 30))) == {profile}
        assert fired(event_on(incident, timestamp=oslo(2026, 11, 23, 12, 0))) == set()

    def test_weekday_outside_the_timeslot(self, source):
        weekdays = timeslot_with(([1, 2, 3, 4, 5], T.min, T.max))
        profile_for({"sourceSystemIds": [source.pk]}, timeslot=weekdays)
        assert fired(event_on(IncidentFactory(source=source), timestamp=oslo(2026, 11, 29, 12, 0))) == set()

    def test_constant_number_of_queries_whatever_the_number_of_profiles(
        self, source, django_assert_max_num_queries
    ):
        for _ in range(30):
            profile_for({"sourceSystemIds": [source.pk]}, {"maxlevel": 5})
        incident = IncidentFactory(source=source)
        tag(incident, "host=a")
        event = event_on(incident)
        from argus.notificationprofile.matching import _stamp_token, load_event

        _stamp_token()  # an earlier test may have flushed the stamp row away; it is re-created once
        # event+incident+source+actor+acked, tags, stamp, recurrences, (profile, blob) rows, destinations
        with django_assert_max_num_queries(6):
            assert len(destinations_for_event(load_event(event.pk))) == 30
        # The profile tables did not change: they come from memory (the stamp is read, not them).
        with django_assert_max_num_queries(4):
            assert len(destinations_for_event(load_event(event.pk))) == 30


@pytest.mark.django_db
class TestMatchingTablesCache:
    """Whatever writes the profile tables, the next match sees it (database triggers)."""

    @pytest.fixture
    def setup(self, source):
        profile = profile_for({"sourceSystemIds": [source.pk]})
        incident = IncidentFactory(source=source)
        return profile, incident

    def fires(self, profile, incident):
        return profile.pk in set(p.pk for p in fired(event_on(incident)))

    def test_cached_between_events(self, setup, django_assert_max_num_queries):
        from argus.notificationprofile.matching import matching_tables

        first = matching_tables()
        with django_assert_max_num_queries(1):
            assert matching_tables() is first

    def test_bulk_update_of_active(self, setup):
        profile, incident = setup
        assert self.fires(profile, incident)
        NotificationProfile.objects.filter(pk=profile.pk).update(active=False)
        assert not self.fires(profile, incident)

    def test_bulk_update_of_a_filter_blob(self, setup, source):
        profile, incident = setup
        assert self.fires(profile, incident)
        Filter.objects.filter(notification_profiles=profile).update(
            filter={"sourceSystemIds": [source.pk + 1]}
        )
        assert not self.fires(profile, incident)

    def test_filter_links(self, setup):
        profile, incident = setup
        assert self.fires(profile, incident)
        profile.filters.clear()
        assert not self.fires(profile, incident)

    def test_time_recurrences(self, setup):
        profile, incident = setup
        assert self.fires(profile, incident)
        TimeRecurrence.objects.filter(timeslot=profile.timeslot).update(days=[])
        assert not self.fires(profile, incident)
        TimeRecurrence.objects.filter(timeslot=profile.timeslot).delete()
        assert not self.fires(profile, incident)

    def test_raw_sql(self, setup):
        from django.db import connection

        profile, incident = setup
        assert self.fires(profile, incident)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {NotificationProfile._meta.db_table} SET active = %s WHERE id = %s",
                [False, profile.pk],
            )
        assert not self.fires(profile, incident)

    def test_a_lost_stamp_row_is_recreated_with_a_fresh_token(self, setup, django_assert_max_num_queries):
        from argus.notificationprofile.matching import matching_tables
        from argus.notificationprofile.models import MatchingConfigStamp

        before = matching_tables()
        MatchingConfigStamp.objects.all().delete()
        after = matching_tables()
        assert after is not before  # read again: the old token cannot come back
        assert MatchingConfigStamp.objects.get(pk=1).token != 0
        with django_assert_max_num_queries(1):
            assert matching_tables() is after
        profile, incident = setup
        assert self.fires(profile, incident)


def test_tag_index_only_prunes_profiles_that_cannot_fire():
    from argus.notificationprofile.matching import MatchingTables

    tables = MatchingTables.build(
        [],
        [
            (1, 10, {"sourceSystemIds": [1]}),  # no tags: always a candidate
            (2, 10, {"maxlevel": 3}),
            (2, 10, {"tags": ["host=a", "host=b", "service=x"]}),  # needs host a or b (and service x)
            (3, 10, {"tags": ["nokeyvalue"]}),  # can never match: never a candidate
            (4, 10, {"tags": []}),  # empty tags require nothing
        ],
    )
    assert tables.candidates(frozenset()) == {1, 4}
    assert tables.candidates(frozenset({("host", "b")})) == {1, 2, 4}
    assert tables.candidates(frozenset({("service", "x")})) == {1, 4}  # no host: 2 cannot match
    assert tables.profiles[2] == (10, ({"maxlevel": 3}, {"tags": ["host=a", "host=b", "service=x"]}))
