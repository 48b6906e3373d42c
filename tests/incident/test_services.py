import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.authtoken.models import Token

from argus.incident import services
from argus.incident.choices import EventType
from argus.incident.errors import (
    DuplicateSourceIncidentId,
    EndTimeBeforeStartTime,
    EventNotAllowed,
    InvalidSystemUsername,
    SourceSystemExists,
    SourceSystemInUse,
)
from argus.incident.models import Event, Incident, SourceSystem, SourceSystemType
from argus.util.datetime_utils import INFINITY, datetime_to_api
from tests.factories import (
    EndUserFactory,
    EventFactory,
    IncidentFactory,
    SourceSystemFactory,
    SourceSystemTypeFactory,
)

User = get_user_model()
HOUR = datetime.timedelta(hours=1)
SUFFIXED = r"{}_[0-9A-F]{{6}}"

pytestmark = pytest.mark.django_db


def test_incident_create_adds_tags_and_start_event():
    source = SourceSystemFactory()
    incident = services.incident_create(
        actor=source.user,
        source=source,
        start_time=timezone.now(),
        description="link down",
        tags=["host=a.example", "location=oslo", "host=a.example"],
    )
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.end_time == INFINITY
    assert incident.open
    assert sorted(str(r.tag) for r in incident.incident_tag_relations.all()) == [
        "host=a.example",
        "location=oslo",
    ]
    (event,) = incident.events.all()
    assert event.type == Event.Type.INCIDENT_START
    assert event.actor == source.user
    assert incident.search_text == " link down"


def test_duplicate_source_incident_id_names_the_existing_incident():
    source = SourceSystemFactory()
    first = services.incident_create(
        actor=source.user, source=source, start_time=timezone.now(), source_incident_id="A1"
    )
    with pytest.raises(services.DuplicateSourceIncidentId) as excinfo:
        services.incident_create(
            actor=source.user, source=source, start_time=timezone.now(), source_incident_id="A1"
        )
    assert f"(pk={first.pk})" in excinfo.value.message
    assert Incident.objects.count() == 1


def test_source_system_can_end_incident_once():
    source = SourceSystemFactory()
    incident = services.incident_create(actor=source.user, source=source, start_time=timezone.now())
    end = timezone.now()
    services.event_create(incident=incident, actor=source.user, type="END", timestamp=end)
    incident.refresh_from_db()
    assert not incident.open
    assert incident.end_time == end


# --- incident_correct ------------------------------------------------------------------------------


@pytest.fixture
def open_incident(source_system):
    return services.incident_create(
        actor=source_system.user, source=source_system, start_time=timezone.now() - 2 * HOUR
    )


def events_of(incident, *types):
    return list(incident.events.filter(type__in=types).order_by("pk"))


class TestIncidentCorrect:
    def test_an_end_time_in_the_past_closes_with_a_clo_event(self, open_incident, end_user):
        end = timezone.now() - HOUR
        services.incident_correct(incident=open_incident, actor=end_user, data={"end_time": end})
        open_incident.refresh_from_db()
        assert open_incident.end_time == end and not open_incident.open
        (close,) = events_of(open_incident, EventType.CLOSE)
        assert (close.actor, close.timestamp) == (end_user, end)
        assert not events_of(open_incident, EventType.INCIDENT_CHANGE)

    def test_infinity_on_a_closed_incident_reopens_with_a_reo_event(self, open_incident, end_user):
        services.incident_correct(
            incident=open_incident, actor=end_user, data={"end_time": timezone.now() - HOUR}
        )
        services.incident_correct(incident=open_incident, actor=end_user, data={"end_time": INFINITY})
        open_incident.refresh_from_db()
        assert open_incident.open
        assert len(events_of(open_incident, EventType.REOPEN)) == 1

    def test_other_changes_are_chi_events_and_broadcast(self, open_incident, end_user, broadcasts):
        later = timezone.now() + HOUR
        old_source, other = str(open_incident.source), SourceSystemFactory()
        with broadcasts.committed():
            services.incident_correct(
                incident=open_incident,
                actor=end_user,
                data={"end_time": later, "source": other, "source_incident_id": "x-1"},
            )
        open_incident.refresh_from_db()
        assert (open_incident.end_time, open_incident.source, open_incident.source_incident_id) == (
            later,
            other,
            "x-1",
        )
        descriptions = [event.description for event in events_of(open_incident, EventType.INCIDENT_CHANGE)]
        assert descriptions == [
            f'Change: "end_time": infinity → {datetime_to_api(later)}',
            f'Change: "source": {old_source} → {other}',
            'Change: "source_incident_id":  → x-1',
        ]
        assert all(description in open_incident.search_text for description in descriptions)
        assert broadcasts == [("modified", [open_incident.pk])]

    def test_unchanged_values_record_nothing(self, open_incident, end_user):
        services.incident_correct(
            incident=open_incident,
            actor=end_user,
            data={"start_time": open_incident.start_time, "end_time": INFINITY},
        )
        assert open_incident.events.count() == 1  # the STA event

    def test_an_end_before_the_start_is_refused(self, open_incident, end_user):
        with pytest.raises(EndTimeBeforeStartTime):
            services.incident_correct(
                incident=open_incident, actor=end_user, data={"end_time": open_incident.start_time - HOUR}
            )
        open_incident.refresh_from_db()
        assert open_incident.open and open_incident.events.count() == 1

    def test_a_source_incident_id_in_use_is_refused(self, open_incident, end_user):
        taken = IncidentFactory(source=open_incident.source, source_incident_id="taken")
        with pytest.raises(DuplicateSourceIncidentId) as refused:
            services.incident_correct(
                incident=open_incident, actor=end_user, data={"source_incident_id": "taken"}
            )
        assert refused.value.existing_pk == taken.pk
        open_incident.refresh_from_db()
        assert open_incident.source_incident_id == "" and open_incident.events.count() == 1

    def test_closing_follows_the_event_rules(self, open_incident, source_system):
        with pytest.raises(EventNotAllowed):
            services.incident_correct(
                incident=open_incident,
                actor=source_system.user,
                data={"start_time": timezone.now() - 3 * HOUR, "end_time": timezone.now()},
            )
        open_incident.refresh_from_db()
        assert open_incident.open and open_incident.events.count() == 1  # the start time too is kept

    def test_editable_fields_are_incident_updates_business(self, open_incident, end_user):
        with pytest.raises(ValueError):
            services.incident_correct(incident=open_incident, actor=end_user, data={"level": 1})


# --- source systems ----------------------------------------------------------------------------------


@pytest.fixture
def nav():
    return SourceSystemTypeFactory(name="nav")


class TestSourceSystemCreate:
    def test_makes_the_source_and_its_user(self, nav):
        source = services.source_system_create(name="zabbix", type=nav, base_url="https://z/")
        user = source.user
        assert (source.name, source.type, source.base_url, user.username) == (
            "zabbix",
            nav,
            "https://z/",
            "zabbix",
        )
        assert not user.has_usable_password() and not user.is_staff and not user.is_superuser
        assert not Token.objects.filter(user=user).exists()

    def test_issues_the_token_when_asked(self, nav):
        source = services.source_system_create(name="zabbix", type=nav, with_token=True)
        assert Token.objects.filter(user=source.user).exists()

    def test_a_taken_username_gets_a_suffix(self, nav):
        EndUserFactory(username="zabbix")
        source = services.source_system_create(name="zabbix", type=nav)
        assert re.fullmatch(SUFFIXED.format("zabbix"), source.user.username)

    def test_a_given_username(self, nav):
        assert services.source_system_create(name="z", type=nav, username="z_user").user.username == "z_user"

    @pytest.mark.parametrize("name, username", [("bad name", None), ("ok", "bad user!"), ("ok", "u" * 151)])
    def test_an_invalid_username_creates_nothing(self, nav, name, username):
        users = User.objects.count()
        with pytest.raises(InvalidSystemUsername) as refused:
            services.source_system_create(name=name, type=nav, username=username)
        assert refused.value.messages
        assert User.objects.count() == users and not SourceSystem.objects.exists()

    def test_a_taken_name_and_type_creates_nothing(self, nav):
        services.source_system_create(name="zabbix", type=nav)
        users = User.objects.count()
        with pytest.raises(SourceSystemExists):
            services.source_system_create(name="zabbix", type=nav, username="other")
        assert User.objects.count() == users

    def test_does_not_make_the_argus_source(self, nav):
        services.source_system_create(name="zabbix", type=nav)
        assert not SourceSystem.objects.filter(name="argus").exists()


class TestSourceSystemEnsure:
    def test_creates_once_and_then_leaves_the_source_alone(self):
        source = services.source_system_ensure(name="s", type_name="First", base_url="https://a/")
        assert (source.type_id, source.base_url, source.user.username) == ("first", "https://a/", "s")
        assert not Token.objects.filter(user=source.user).exists()
        again = services.source_system_ensure(name="s", type_name="second", base_url="https://b/")
        assert (again.pk, again.type_id, again.base_url) == (source.pk, "first", "https://a/")
        assert SourceSystemType.objects.filter(name="second").exists()

    def test_password_is_set_on_every_call(self):
        source = services.source_system_ensure(name="s", type_name="argus", password="one")
        services.source_system_ensure(name="s", type_name="argus", password="two")
        source.user.refresh_from_db()
        assert source.user.check_password("two")

    def test_an_end_user_with_the_sources_name_is_not_taken_over(self):
        person = EndUserFactory(username="s")
        source = services.source_system_ensure(name="s", type_name="argus", password="defaultpassword")
        assert source.user != person and re.fullmatch(SUFFIXED.format("s"), source.user.username)
        person.refresh_from_db()
        assert person.check_password("password") and not person.is_source_system


class TestArgusSourceEnsure:
    def test_a_superuser_without_password_or_token(self):
        source = services.argus_source_ensure()
        user = source.user
        assert (source.name, source.type_id, source.base_url, user.username) == (
            "argus",
            "argus",
            "",
            "argus",
        )
        assert user.is_superuser and not user.is_staff and user.is_active and user.password == ""
        assert not Token.objects.filter(user=user).exists()

    def test_is_idempotent(self, django_assert_num_queries):
        first = services.argus_source_ensure()
        with django_assert_num_queries(1):
            assert services.argus_source_ensure() == first

    def test_an_end_user_called_argus_is_not_taken_over(self):
        person = EndUserFactory(username="argus")
        user = services.argus_source_ensure().user
        assert re.fullmatch(SUFFIXED.format("argus"), user.username) and user.is_superuser
        person.refresh_from_db()
        assert not person.is_superuser


class TestSourceSystemUpdate:
    def test_name_type_and_base_url(self, source_system):
        zabbix = SourceSystemTypeFactory(name="zabbix")
        services.source_system_update(
            source=source_system, data={"name": "new", "type": zabbix, "base_url": "https://z/"}
        )
        source_system.refresh_from_db()
        assert (source_system.name, source_system.type_id, source_system.base_url) == (
            "new",
            "zabbix",
            "https://z/",
        )

    def test_a_taken_name_and_type_is_refused(self, source_system):
        other = SourceSystemFactory(type=source_system.type)
        with pytest.raises(SourceSystemExists):
            services.source_system_update(source=source_system, data={"name": other.name})
        source_system.refresh_from_db()
        assert source_system.name != other.name


class TestSourceSystemsDelete:
    def test_deletes_sources_and_their_users(self):
        sources = [SourceSystemFactory(), SourceSystemFactory()]
        users = [source.user.pk for source in sources]
        services.source_systems_delete(sources=sources)
        assert not SourceSystem.objects.exists() and not User.objects.filter(pk__in=users).exists()

    def test_a_source_with_incidents_is_refused_and_nothing_is_deleted(self):
        free, used = SourceSystemFactory(), SourceSystemFactory(name="used")
        IncidentFactory(source=used)
        with pytest.raises(SourceSystemInUse, match="used"):
            services.source_systems_delete(sources=[free, used])
        assert SourceSystem.objects.count() == 2

    def test_a_user_referred_to_elsewhere_is_kept(self):
        source = SourceSystemFactory()
        EventFactory(actor=source.user)  # an event it recorded on another source's incident
        services.source_systems_delete(sources=[source])
        assert not SourceSystem.objects.filter(pk=source.pk).exists()
        assert User.objects.filter(pk=source.user.pk).exists()


# --- fake incidents --------------------------------------------------------------------------------


def test_fake_incident_is_argus_own_with_tags_and_first_event():
    incident = Incident.objects.get(pk=services.fake_incident_create(tags=["a=1"], level=2).pk)
    argus = SourceSystem.objects.get(name="argus")
    assert incident.source == argus and incident.open and incident.level == 2
    tags = {str(relation.tag) for relation in incident.incident_tag_relations.all()}
    assert tags == {"location=argus", "problem_type=test", f"object={incident.pk}", "a=1"}
    assert {relation.added_by for relation in incident.incident_tag_relations.all()} == {argus.user}
    assert incident.events.get().type == EventType.INCIDENT_START


def test_fake_incident_of_another_source_is_stateless_when_asked(source_system):
    incident = services.fake_incident_create(source=source_system, stateful=False)
    assert incident.source == source_system and incident.end_time is None
    event = incident.events.get()
    assert (event.type, event.actor) == (EventType.STATELESS, source_system.user)
    assert (
        incident.description
        == f'Incident (stateless) #{incident.source_incident_id} created via "create_fake_incident"'
    )


# --- incident_create on PostgreSQL outside a transaction: the rows are one statement ----------------


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_new_incident_is_three_statements_and_no_transaction(
    source_system, settings, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from argus.notificationprofile import dispatch
    from argus.notificationprofile.models import PendingEvent

    if connection.vendor != "postgresql":
        pytest.skip("data-modifying WITH: PostgreSQL")
    settings.SEND_NOTIFICATIONS = True
    monkeypatch.setattr(dispatch, "wake_workers", lambda: None)  # keep the pending row to look at
    tags = ["host=a", "location=b"]
    services.incident_create(
        actor=source_system.user, source=source_system, start_time=timezone.now(), tags=tags
    )
    transactions = []
    monkeypatch.setattr(connection, "set_autocommit", lambda *a, **k: transactions.append(a))
    with CaptureQueriesContext(connection) as queries:
        incident = services.incident_create(
            actor=source_system.user, source=source_system, start_time=timezone.now(), tags=tags
        )
    # the tags, the current maintenance tasks, then the incident with its relations, event and
    # pending-notification row
    assert len(queries) == 3 and queries[2]["sql"].startswith("WITH ")
    assert transactions == []
    (event,) = Event.objects.filter(incident=incident)
    assert event.type == EventType.INCIDENT_START
    assert PendingEvent.objects.filter(event=event).count() == 1
    assert sorted(str(r.tag) for r in incident.incident_tag_relations.all()) == ["host=a", "location=b"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_duplicate_source_incident_id_leaves_nothing(source_system):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("data-modifying WITH: PostgreSQL")
    first = services.incident_create(
        actor=source_system.user, source=source_system, start_time=timezone.now(), source_incident_id="S1"
    )
    with pytest.raises(DuplicateSourceIncidentId):
        services.incident_create(
            actor=source_system.user,
            source=source_system,
            start_time=timezone.now(),
            source_incident_id="S1",
            tags=["only=here"],
        )
    assert list(Incident.objects.values_list("pk", flat=True)) == [first.pk]
    assert Event.objects.count() == 1
