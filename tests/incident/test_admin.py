"""The incident admin (operations.md §5): lists, filters, search, and changes through the services."""

import datetime
import re

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from argus.incident.choices import EventType
from argus.incident.models import Acknowledgement, Event, Incident, SourceSystem, Tag
from argus.util.datetime_utils import INFINITY, datetime_to_api
from tests.factories import (
    AcknowledgementFactory,
    IncidentFactory,
    IncidentTagRelationFactory,
    SourceSystemFactory,
    SourceSystemTypeFactory,
    SuperUserFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:argus_incident_incident_changelist"


@pytest.fixture
def admin_client(client):
    user = SuperUserFactory()
    client.force_login(user)
    client.user = user
    return client


def listed_pks(response):
    return sorted(incident.pk for incident in response.context["cl"].result_list)


@pytest.fixture
def incidents():
    source_a = SourceSystemFactory(name="alpha", type__name="nav")
    source_b = SourceSystemFactory(name="beta", type__name="zabbix")
    open_acked = IncidentFactory(source=source_a, level=1, description="disk full")
    AcknowledgementFactory(event__incident=open_acked)
    open_unacked = IncidentFactory(source=source_a, level=3, ticket_url="https://t.example.org/1")
    closed = IncidentFactory(source=source_b, end_time=timezone.now() - datetime.timedelta(minutes=1))
    stateless = IncidentFactory(source=source_b, end_time=None, details_url="https://d.example.org/")
    IncidentTagRelationFactory(incident=open_unacked, tag=TagFactory(key="host", value="web1"))
    return {"open_acked": open_acked, "open_unacked": open_unacked, "closed": closed, "stateless": stateless}


class TestIncidentChangeList:
    def test_columns_and_constant_queries(self, admin_client, incidents, django_assert_max_num_queries):
        with django_assert_max_num_queries(12):
            response = admin_client.get(reverse(CHANGELIST))
        assert response.status_code == 200
        body = response.content.decode()
        assert "infinity" in body and "host=web1" in body and "Fake incident" in body
        assert '<a href="https://t.example.org/1">https://t.example.org/1</a>' in body
        IncidentFactory.create_batch(20)
        with django_assert_max_num_queries(12):
            assert admin_client.get(reverse(CHANGELIST)).status_code == 200

    @pytest.mark.parametrize(
        "query, expected",
        [
            ("open=1", ["open_acked", "open_unacked"]),
            ("open=0", ["closed", "stateless"]),
            ("acked=1", ["open_acked"]),
            ("acked=0", ["closed", "open_unacked", "stateless"]),
            ("stateful=0", ["stateless"]),
            ("has_ticket=1", ["open_unacked"]),
            ("has_details_url=1", ["stateless"]),
            ("level__exact=1", ["open_acked"]),
            ("source_type=zabbix", ["closed", "stateless"]),
            ("q=web1", ["open_unacked"]),
            ("q=disk", ["open_acked"]),
            ("q=beta", ["closed", "stateless"]),
        ],
    )
    def test_filters_and_search(self, admin_client, incidents, query, expected):
        response = admin_client.get(reverse(CHANGELIST) + "?" + query)
        assert response.status_code == 200
        assert listed_pks(response) == sorted(incidents[name].pk for name in expected)

    def test_filter_by_source(self, admin_client, incidents):
        source = incidents["closed"].source
        response = admin_client.get(reverse(CHANGELIST) + f"?source={source.pk}")
        assert listed_pks(response) == sorted([incidents["closed"].pk, incidents["stateless"].pk])

    def test_date_hierarchy_links_without_scanning(
        self, admin_client, incidents, django_assert_max_num_queries
    ):
        IncidentFactory(start_time=timezone.now() - datetime.timedelta(days=800))
        body = admin_client.get(reverse(CHANGELIST)).content.decode()
        this_year = timezone.localtime().year
        for year in range(this_year - 2, this_year + 1):
            assert f"start_time__year={year}" in body
        response = admin_client.get(reverse(CHANGELIST) + f"?start_time__year={this_year - 2}")
        assert response.status_code == 200
        months = response.context["cl"].queryset.datetimes("start_time", "month")
        assert months and all(month.year == this_year - 2 for month in months)
        assert listed_pks(response) == [Incident.objects.order_by("start_time").first().pk]

    @pytest.mark.parametrize(
        "query",
        [
            "start_time__year=²",  # a digit to str.isdigit(), not to int()
            "start_time__year=2024&start_time__month=²",
            "start_time__year=" + "9" * 5000,
            "start_time__year=١٢",
            "source=²",
            "source=" + "9" * 30,
        ],
    )
    def test_numbers_that_are_not_ascii_digits_are_ignored_not_a_500(self, admin_client, incidents, query):
        response = admin_client.get(reverse(CHANGELIST) + "?" + query)
        # Django's own date hierarchy refuses a year it cannot read: it shows the list with "?e=1"
        assert response.status_code in (200, 302)
        if response.status_code == 302:
            assert response["Location"].endswith("?e=1")
            assert admin_client.get(response["Location"]).status_code == 200

    def test_event_and_ack_lists_filter_by_source(self, admin_client, incidents):
        source = incidents["open_acked"].source
        events = admin_client.get(reverse("admin:argus_incident_event_changelist") + f"?source={source.pk}")
        assert events.status_code == 200
        assert {event.incident.source_id for event in events.context["cl"].result_list} == {source.pk}
        url = reverse("admin:argus_incident_event_changelist") + "?source_type=zabbix"
        assert admin_client.get(url).status_code == 200
        acks = admin_client.get(
            reverse("admin:argus_incident_acknowledgement_changelist") + f"?source={source.pk}"
        )
        assert acks.status_code == 200 and len(acks.context["cl"].result_list) == 1
        other = incidents["closed"].source
        acks = admin_client.get(
            reverse("admin:argus_incident_acknowledgement_changelist") + f"?source={other.pk}"
        )
        assert len(acks.context["cl"].result_list) == 0

    @pytest.mark.parametrize("indelible", [True, False])
    def test_incidents_are_deleted_with_their_history_whatever_indelible_says(
        self, admin_client, incidents, indelible
    ):
        incident = incidents["open_acked"]  # its ACK event is protected by its acknowledgement
        with override_settings(INDELIBLE_INCIDENTS=indelible):
            url = reverse("admin:argus_incident_incident_delete", args=[incident.pk])
            confirm = admin_client.get(url)
            assert confirm.status_code == 200
            assert not confirm.context["perms_lacking"] and not confirm.context["protected"]
            counts = dict(confirm.context["model_count"])
            assert (
                counts[Event._meta.verbose_name_plural]
                == counts[Acknowledgement._meta.verbose_name_plural]
                == 1
            )
            assert admin_client.post(url, {"post": "yes"}).status_code == 302
        assert not Incident.objects.filter(pk=incident.pk).exists()
        assert not Event.objects.filter(incident_id=incident.pk).exists()
        assert not Acknowledgement.objects.filter(event__incident_id=incident.pk).exists()

    def test_the_delete_selected_action(self, admin_client, incidents):
        changelist = reverse("admin:argus_incident_incident_changelist")
        actions = admin_client.get(changelist).context["action_form"].fields["action"].choices
        assert [name for name, _label in actions] == [
            "",
            "delete_selected",
            "acknowledge_selected",
            "close_selected",
            "reopen_selected",
        ]
        pks = [incidents["closed"].pk, incidents["open_acked"].pk]
        response = admin_client.post(
            changelist, {"action": "delete_selected", "_selected_action": pks, "post": "yes"}
        )
        assert response.status_code == 302
        assert not Incident.objects.filter(pk__in=pks).exists()

    def test_acknowledging_selected_incidents_records_acks(self, admin_client, incidents):
        pks = [incidents["open_unacked"].pk, incidents["closed"].pk]
        response = admin_client.post(
            reverse(CHANGELIST), {"action": "acknowledge_selected", "_selected_action": pks}, follow=True
        )
        assert "Acknowledged 2 incident(s)." in [str(m) for m in response.context["messages"]]
        for pk in pks:
            (ack,) = Acknowledgement.objects.filter(event__incident_id=pk)
            assert ack.event.actor == admin_client.user and ack.event.type == EventType.ACKNOWLEDGE
        assert Incident.objects.get(pk=incidents["open_unacked"].pk).acked_until is not None

    def test_closing_selected_incidents_closes_the_open_ones_with_events(self, admin_client, incidents):
        pks = [incidents["open_unacked"].pk, incidents["open_acked"].pk, incidents["stateless"].pk]
        response = admin_client.post(
            reverse(CHANGELIST), {"action": "close_selected", "_selected_action": pks}, follow=True
        )
        shown = [str(m) for m in response.context["messages"]]
        assert "Closed 2 incident(s). 1 left alone: not open." in shown
        for key in ("open_unacked", "open_acked"):
            incident = Incident.objects.get(pk=incidents[key].pk)
            assert not incident.open
            assert incident.events.filter(type=EventType.CLOSE, actor=admin_client.user).count() == 1
        assert not Event.objects.filter(incident_id=incidents["stateless"].pk, type=EventType.CLOSE).exists()

    def test_reopening_selected_incidents_reopens_the_closed_ones_with_events(self, admin_client, incidents):
        pks = [incidents["closed"].pk, incidents["open_unacked"].pk]
        response = admin_client.post(
            reverse(CHANGELIST), {"action": "reopen_selected", "_selected_action": pks}, follow=True
        )
        shown = [str(m) for m in response.context["messages"]]
        assert "Reopened 1 incident(s). 1 left alone: not closed (stateless ones never are)." in shown
        reopened = Incident.objects.get(pk=incidents["closed"].pk)
        assert reopened.open
        assert reopened.events.filter(type=EventType.REOPEN, actor=admin_client.user).exists()
        assert not Event.objects.filter(
            incident_id=incidents["open_unacked"].pk, type=EventType.REOPEN
        ).exists()

    def test_the_list_shows_start_and_end_times_in_one_format(self, admin_client, incidents):
        body = admin_client.get(reverse(CHANGELIST)).content.decode()
        closed = incidents["closed"]
        for moment in (closed.start_time, closed.end_time):
            assert timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") in body

    def test_short_fields_are_one_line_inputs(self, admin_client, incidents):
        url = reverse("admin:argus_incident_incident_change", args=[incidents["open_unacked"].pk])
        body = admin_client.get(url).content.decode()
        for field in ("source_incident_id", "details_url", "ticket_url"):
            assert re.search(rf'<input type="text" name="{field}"', body), field
        assert '<textarea name="description"' in body


def incident_form_data(incident, **changes):
    start = timezone.localtime(incident.start_time)
    data = {
        "start_time_0": start.strftime("%Y-%m-%d"),
        "start_time_1": start.strftime("%H:%M:%S"),
        "end_time_0": "",
        "end_time_1": "",
        "end_time_infinity": "on",
        "source": incident.source_id,
        "source_incident_id": incident.source_incident_id,
        "details_url": incident.details_url,
        "description": incident.description,
        "level": incident.level,
        "ticket_url": incident.ticket_url,
        "metadata": "{}",
        "incident_tag_relations-TOTAL_FORMS": "0",
        "incident_tag_relations-INITIAL_FORMS": "0",
        "incident_tag_relations-MIN_NUM_FORMS": "0",
        "incident_tag_relations-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


class TestIncidentChange:
    def test_add_creates_start_event(self, admin_client, source_system):
        incident = Incident(start_time=timezone.now(), source=source_system, level=2, description="new")
        data = incident_form_data(incident, source_incident_id="a-1")
        response = admin_client.post(reverse("admin:argus_incident_incident_add"), data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        created = Incident.objects.get(source_incident_id="a-1")
        assert created.open and created.level == 2
        (event,) = created.events.all()
        assert event.type == EventType.INCIDENT_START and event.actor == source_system.user

    def test_duplicate_source_incident_id_is_a_form_error(self, admin_client, source_system):
        existing = IncidentFactory(source=source_system, source_incident_id="dup")
        data = incident_form_data(existing)
        response = admin_client.post(reverse("admin:argus_incident_incident_add"), data)
        assert response.status_code == 200
        assert Incident.objects.filter(source_incident_id="dup").count() == 1

    def test_editing_fields_records_change_events(self, admin_client, incidents):
        incident = incidents["open_unacked"]
        old_description = incident.description
        url = reverse("admin:argus_incident_incident_change", args=[incident.pk])
        data = incident_form_data(incident, level=1, description="changed")
        response = admin_client.post(url, data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        incident.refresh_from_db()
        assert (incident.level, incident.description) == (1, "changed")
        descriptions = set(
            incident.events.filter(type=EventType.INCIDENT_CHANGE).values_list("description", flat=True)
        )
        assert descriptions == {
            'Change: "level": 3 → 1',
            f'Change: "description": {old_description} → changed',
        }

    def test_closing_and_reopening_record_events(self, admin_client, incidents):
        incident = incidents["open_unacked"]
        incident.start_time = timezone.now() - datetime.timedelta(hours=1)
        incident.save()
        url = reverse("admin:argus_incident_incident_change", args=[incident.pk])
        end = timezone.localtime() - datetime.timedelta(minutes=5)
        data = incident_form_data(
            incident,
            end_time_0=end.strftime("%Y-%m-%d"),
            end_time_1=end.strftime("%H:%M:%S"),
            end_time_infinity=None,
        )
        assert admin_client.post(url, data).status_code == 302
        incident.refresh_from_db()
        assert not incident.open
        assert incident.events.filter(type=EventType.CLOSE, actor=admin_client.user).exists()
        assert admin_client.post(url, incident_form_data(incident)).status_code == 302
        incident.refresh_from_db()
        assert incident.end_time == INFINITY
        assert incident.events.filter(type=EventType.REOPEN).exists()

    def test_end_time_correction_records_a_change_and_broadcasts(self, admin_client, incidents, broadcasts):
        incident = incidents["open_unacked"]
        url = reverse("admin:argus_incident_incident_change", args=[incident.pk])
        later = (timezone.localtime() + datetime.timedelta(days=2)).replace(microsecond=0)
        data = incident_form_data(
            incident,
            end_time_0=later.strftime("%Y-%m-%d"),
            end_time_1=later.strftime("%H:%M:%S"),
            end_time_infinity=None,
        )
        with broadcasts.committed():
            assert admin_client.post(url, data).status_code == 302
        incident.refresh_from_db()
        assert incident.end_time == later and incident.open  # a correction, not a close
        (event,) = incident.events.all()
        assert (event.type, event.actor, event.description) == (
            EventType.INCIDENT_CHANGE,
            admin_client.user,
            f'Change: "end_time": infinity → {datetime_to_api(later)}',
        )
        assert event.description in incident.search_text
        assert broadcasts == [("modified", [incident.pk])]

    def test_making_an_incident_stateless_is_a_correction(self, admin_client, incidents):
        incident = incidents["closed"]
        old_end = datetime_to_api(incident.end_time)
        url = reverse("admin:argus_incident_incident_change", args=[incident.pk])
        assert admin_client.post(url, incident_form_data(incident, end_time_infinity=None)).status_code == 302
        incident.refresh_from_db()
        assert incident.end_time is None
        assert [event.description for event in incident.events.all()] == [f'Change: "end_time": {old_end} → ']

    def test_start_time_and_source_incident_id_corrections_record_changes(self, admin_client, incidents):
        incident = incidents["open_unacked"]
        old_id = incident.source_incident_id
        url = reverse("admin:argus_incident_incident_change", args=[incident.pk])
        earlier = (timezone.localtime() - datetime.timedelta(days=1)).replace(microsecond=0)
        data = incident_form_data(
            incident,
            start_time_0=earlier.strftime("%Y-%m-%d"),
            start_time_1=earlier.strftime("%H:%M:%S"),
            source_incident_id="corrected",
        )
        assert admin_client.post(url, data).status_code == 302
        incident.refresh_from_db()
        assert (incident.start_time, incident.source_incident_id) == (earlier, "corrected")
        descriptions = sorted(incident.events.values_list("description", flat=True))
        assert descriptions[0] == f'Change: "source_incident_id": {old_id} → corrected'
        assert descriptions[1].startswith('Change: "start_time": ')

    def test_a_refused_close_is_a_form_error_not_a_500(self, admin_client, incidents):
        SourceSystemFactory(user=admin_client.user)  # a source system's user may not post CLO
        incident = incidents["open_unacked"]
        Incident.objects.filter(pk=incident.pk).update(
            start_time=timezone.now() - datetime.timedelta(hours=1)
        )
        incident.refresh_from_db()
        url = reverse("admin:argus_incident_incident_change", args=[incident.pk])
        end = timezone.localtime() - datetime.timedelta(minutes=5)
        data = incident_form_data(
            incident,
            end_time_0=end.strftime("%Y-%m-%d"),
            end_time_1=end.strftime("%H:%M:%S"),
            end_time_infinity=None,
            level=1,
        )
        response = admin_client.post(url, data)
        assert response.status_code == 200
        form = response.context["adminform"].form
        assert form.errors["end_time"] == ["A source system cannot post events of type 'CLO'."]
        assert form["description"].value() == incident.description  # what was posted is shown again
        incident.refresh_from_db()
        assert incident.open and incident.level == 3  # nothing of the refused save remains
        assert not incident.events.exists()

    def test_a_source_incident_id_the_source_uses_is_refused(self, admin_client, incidents):
        incident = incidents["open_unacked"]
        IncidentFactory(source=incident.source, source_incident_id="taken")
        url = reverse("admin:argus_incident_incident_change", args=[incident.pk])
        response = admin_client.post(url, incident_form_data(incident, source_incident_id="taken"))
        assert response.status_code == 200
        assert response.context["adminform"].form.errors
        incident.refresh_from_db()
        assert incident.source_incident_id != "taken"

    def test_end_time_and_infinity_together_is_refused(self, admin_client, incidents):
        incident = incidents["open_unacked"]
        url = reverse("admin:argus_incident_incident_change", args=[incident.pk])
        data = incident_form_data(incident, end_time_0="2020-01-01", end_time_1="10:00:00")
        response = admin_client.post(url, data)
        assert response.status_code == 200
        assert "Give either an end time or infinity, not both." in response.content.decode()
        incident.refresh_from_db()
        assert incident.open

    def test_tag_inline_adds_and_removes_through_services(self, admin_client, incidents):
        incident = incidents["open_unacked"]
        relation = incident.incident_tag_relations.get()
        new_tag = TagFactory(key="room", value="b1")
        url = reverse("admin:argus_incident_incident_change", args=[incident.pk])
        data = incident_form_data(
            incident,
            **{
                "incident_tag_relations-TOTAL_FORMS": "2",
                "incident_tag_relations-INITIAL_FORMS": "1",
                "incident_tag_relations-0-id": relation.pk,
                "incident_tag_relations-0-incident": incident.pk,
                "incident_tag_relations-0-tag": relation.tag_id,
                "incident_tag_relations-0-DELETE": "on",
                "incident_tag_relations-1-incident": incident.pk,
                "incident_tag_relations-1-tag": new_tag.pk,
            },
        )
        response = admin_client.post(url, data)
        assert response.status_code == 302, response.context["inline_admin_formsets"]
        relations = list(incident.incident_tag_relations.select_related("tag", "added_by"))
        assert [(str(r.tag), r.added_by) for r in relations] == [("room=b1", admin_client.user)]


class TestFakeIncidentPage:
    def test_creates_fake_incident_on_the_argus_source(self, admin_client):
        url = reverse("admin:argus_incident_incident_fake")
        assert admin_client.get(url).status_code == 200
        data = {
            "stateful": "on",
            "description": "from admin",
            "level": "4",
            "tags": "a=1, b=2",
            "metadata": '{"x": 1}',
        }
        response = admin_client.post(url, data)
        assert response.status_code == 302
        incident = Incident.objects.get()
        assert (incident.source.name, incident.description, incident.level, incident.metadata) == (
            "argus",
            "from admin",
            4,
            {"x": 1},
        )
        tags = {str(r.tag) for r in incident.incident_tag_relations.all()}
        assert tags == {"location=argus", f"object={incident.pk}", "problem_type=test", "a=1", "b=2"}
        assert incident.events.get().type == EventType.INCIDENT_START

    def test_stateless_and_random_level(self, admin_client):
        response = admin_client.post(
            reverse("admin:argus_incident_incident_fake"), {"level": "", "metadata": ""}
        )
        assert response.status_code == 302
        incident = Incident.objects.get()
        assert incident.end_time is None and 1 <= incident.level <= 5

    def test_bad_tag_creates_nothing(self, admin_client):
        response = admin_client.post(reverse("admin:argus_incident_incident_fake"), {"tags": "Bad Key=1"})
        assert response.status_code == 200
        assert "Enter a valid key consisting of lowercase letters" in response.content.decode()
        assert not Incident.objects.exists()

    @pytest.mark.parametrize(
        "tags, message",
        [
            ("a=" + "x" * 601, "The value of the tag cannot be longer than 600 characters."),
            ("k" * 101 + "=1", "The key of the tag cannot be longer than 100 characters."),
            ("nodelimiter", "The tag does not have its delimiter: =."),
        ],
    )
    def test_tags_follow_the_tag_rules(self, admin_client, tags, message):
        response = admin_client.post(reverse("admin:argus_incident_incident_fake"), {"tags": tags})
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not Incident.objects.exists()

    def test_an_empty_tag_value_is_accepted_as_by_the_api(self, admin_client):
        response = admin_client.post(reverse("admin:argus_incident_incident_fake"), {"tags": "empty="})
        assert response.status_code == 302
        assert Incident.objects.get().incident_tag_relations.filter(tag__key="empty", tag__value="").exists()

    def test_needs_staff(self, client, end_user):
        client.force_login(end_user)
        response = client.get(reverse("admin:argus_incident_incident_fake"))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


class TestTagAdmin:
    @pytest.mark.parametrize(
        "key, value, field, message",
        [
            ("host", "x" * 601, "value", "The value of the tag cannot be longer than 600 characters."),
            ("k" * 101, "x", "key", "The key of the tag cannot be longer than 100 characters."),
            (
                "Bad",
                "x",
                "key",
                "Enter a valid key consisting of lowercase letters, numbers and underscores.",
            ),
        ],
    )
    def test_tags_follow_the_tag_rules(self, admin_client, key, value, field, message):
        response = admin_client.post(reverse("admin:argus_incident_tag_add"), {"key": key, "value": value})
        assert response.status_code == 200
        assert response.context["adminform"].form.errors == {field: [message]}
        assert not Tag.objects.exists()

    def test_a_tag_at_the_limits_is_saved(self, admin_client):
        response = admin_client.post(
            reverse("admin:argus_incident_tag_add"), {"key": "k" * 100, "value": "\U0001f525" * 600}
        )
        assert response.status_code == 302
        assert Tag.objects.get().value == "\U0001f525" * 600


class TestAcknowledgementAdmin:
    def test_add_through_service(self, admin_client, incidents):
        incident = incidents["open_unacked"]
        response = admin_client.post(
            reverse("admin:argus_incident_acknowledgement_add"),
            {"incident": incident.pk, "description": "on it", "expiration_0": "", "expiration_1": ""},
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
        ack = Acknowledgement.objects.get(event__incident=incident)
        assert (ack.event.actor, ack.event.description, ack.event.type) == (
            admin_client.user,
            "on it",
            EventType.ACKNOWLEDGE,
        )

    def test_add_unknown_incident(self, admin_client):
        response = admin_client.post(
            reverse("admin:argus_incident_acknowledgement_add"), {"incident": 999999}
        )
        assert response.status_code == 200
        assert "No incident with this ID exists." in response.content.decode()

    def test_expired_ack_cannot_be_changed(self, admin_client, incidents):
        ack = AcknowledgementFactory(
            event__incident=incidents["closed"], expiration=timezone.now() - datetime.timedelta(hours=1)
        )
        url = reverse("admin:argus_incident_acknowledgement_change", args=[ack.pk])
        response = admin_client.post(url, {"expiration_0": "2040-01-01", "expiration_1": "00:00:00"})
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["expiration"] == [
            "Cannot change expired Acknowledgement"
        ]
        ack.refresh_from_db()
        assert ack.expiration < timezone.now()

    def test_deleting_an_ack_deletes_its_event_unacks_and_broadcasts(
        self, admin_client, incidents, broadcasts
    ):
        incident = incidents["open_acked"]
        ack = Acknowledgement.objects.get(event__incident=incident)
        url = reverse("admin:argus_incident_acknowledgement_delete", args=[ack.pk])
        with broadcasts.committed():
            assert admin_client.post(url, {"post": "yes"}).status_code == 302
        assert not Acknowledgement.objects.exists()
        assert not Event.objects.filter(pk=ack.pk).exists()
        incident.refresh_from_db()
        assert incident.acked_until is None
        assert broadcasts == [("modified", [incident.pk])]

    def test_deleting_selected_acks_keeps_acked_from_the_remaining_ones(self, admin_client, incidents):
        incident = incidents["open_acked"]
        expiring = AcknowledgementFactory(
            event__incident=incident, expiration=timezone.now() + datetime.timedelta(hours=1)
        )
        forever = Acknowledgement.objects.get(event__incident=incident, expiration=None)
        changelist = reverse("admin:argus_incident_acknowledgement_changelist")
        response = admin_client.post(
            changelist, {"action": "delete_selected", "_selected_action": [forever.pk], "post": "yes"}
        )
        assert response.status_code == 302
        incident.refresh_from_db()
        assert incident.acked_until == expiring.expiration

    def test_changing_an_ack_refreshes_acked(self, admin_client, incidents):
        incident = incidents["open_acked"]
        ack = Acknowledgement.objects.get(event__incident=incident)
        url = reverse("admin:argus_incident_acknowledgement_change", args=[ack.pk])
        response = admin_client.post(url, {"expiration_0": "2040-01-01", "expiration_1": "00:00:00"})
        assert response.status_code == 302
        incident.refresh_from_db()
        assert incident.acked_until == ack.__class__.objects.get(pk=ack.pk).expiration

    def test_events_are_read_only(self, admin_client, incidents):
        event = Event.objects.filter(incident=incidents["open_acked"]).first()
        assert admin_client.get(reverse("admin:argus_incident_event_changelist")).status_code == 200
        assert admin_client.get(reverse("admin:argus_incident_event_add")).status_code == 403
        url = reverse("admin:argus_incident_event_change", args=[event.pk])
        admin_client.post(url, {"description": "rewritten"})
        event.refresh_from_db()
        assert event.description != "rewritten"


class TestSourceSystemAdmin:
    def test_add_creates_user_and_token(self, admin_client):
        SourceSystemTypeFactory(name="nav")
        data = {"name": "new_source", "type": "nav", "username": "", "base_url": "https://nav.example.org/"}
        response = admin_client.post(reverse("admin:argus_incident_sourcesystem_add"), data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        source = SourceSystem.objects.get(name="new_source")
        assert source.user.username == "new_source" and not source.user.is_staff
        assert Token.objects.filter(user=source.user).exists()

    def test_add_with_username_and_taken_username(self, admin_client, end_user):
        """The API's rule: a taken username gets a suffix (the admin used to refuse it)."""
        SourceSystemTypeFactory(name="nav")
        data = {"name": "src", "type": "nav", "username": "src_user", "base_url": ""}
        assert admin_client.post(reverse("admin:argus_incident_sourcesystem_add"), data).status_code == 302
        assert SourceSystem.objects.get(name="src").user.username == "src_user"
        data = {"name": "src2", "type": "nav", "username": end_user.username, "base_url": ""}
        response = admin_client.post(reverse("admin:argus_incident_sourcesystem_add"), data, follow=True)
        user = SourceSystem.objects.get(name="src2").user
        assert re.fullmatch(rf"{end_user.username}_[0-9A-F]{{6}}", user.username)
        shown = [str(message) for message in response.context["messages"]]
        assert f'Its system user is "{user.username}"; its API token is under Auth Token → Tokens.' in shown
        assert Token.objects.filter(user=user).exists()

    @pytest.mark.parametrize(
        "data, field",
        [
            ({"name": "src", "username": "bad user!"}, "username"),
            ({"name": "bad name!", "username": ""}, "username"),
        ],
    )
    def test_invalid_username_is_a_form_error(self, admin_client, data, field):
        SourceSystemTypeFactory(name="nav")
        users = type(admin_client.user).objects.count()
        response = admin_client.post(
            reverse("admin:argus_incident_sourcesystem_add"), {"type": "nav", "base_url": "", **data}
        )
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert "Enter a valid username." in errors[field][0]
        assert not SourceSystem.objects.exists()
        assert type(admin_client.user).objects.count() == users

    def test_change_goes_through_the_service(self, admin_client, source_system):
        SourceSystemTypeFactory(name="zabbix")
        url = reverse("admin:argus_incident_sourcesystem_change", args=[source_system.pk])
        data = {"name": "renamed", "type": "zabbix", "base_url": "https://z.example.org/"}
        assert admin_client.post(url, data).status_code == 302
        source_system.refresh_from_db()
        assert (source_system.name, source_system.type_id, source_system.base_url) == (
            "renamed",
            "zabbix",
            "https://z.example.org/",
        )

    def test_the_source_list_shows_liveness(self, admin_client):
        SourceSystemFactory(
            name="watched",
            heartbeat_frequency=datetime.timedelta(minutes=5),
            heartbeat_armed_at=timezone.now() - datetime.timedelta(hours=1),
            last_seen=timezone.now() - datetime.timedelta(hours=1),
        )
        response = admin_client.get(reverse("admin:argus_incident_sourcesystem_changelist"))
        body = response.content.decode()
        assert "Dead" in body and "0:05:00" in body
        for query in (
            "?heartbeat_frequency__isempty=0",
            "?heartbeat_frequency__isempty=1",
            "?last_seen__year=2026",
        ):
            url = reverse("admin:argus_incident_sourcesystem_changelist") + query
            assert admin_client.get(url).status_code in (200, 302)

    @pytest.mark.parametrize(
        "value, seconds", [("300", 300), ("1 00:00:00", 86400), ("00:01:00", 60), ("", None)]
    )
    def test_the_heartbeat_frequency_is_set_through_the_service(
        self, admin_client, source_system, value, seconds
    ):
        url = reverse("admin:argus_incident_sourcesystem_change", args=[source_system.pk])
        data = {
            "name": source_system.name,
            "type": source_system.type_id,
            "base_url": "",
            "heartbeat_frequency": value,
        }
        assert admin_client.post(url, data).status_code == 302
        source_system.refresh_from_db()
        if seconds is None:
            assert source_system.heartbeat_frequency is None and source_system.heartbeat_armed_at is None
        else:
            assert source_system.heartbeat_frequency == datetime.timedelta(seconds=seconds)
            assert source_system.heartbeat_armed_at is not None

    @pytest.mark.parametrize(
        "value, message",
        [
            ("59", "Ensure this value is at least 60 seconds."),
            ("2 00:00:00", "Ensure this value is at most 86400"),
        ],
    )
    def test_a_heartbeat_frequency_out_of_range_is_a_form_error(
        self, admin_client, source_system, value, message
    ):
        url = reverse("admin:argus_incident_sourcesystem_change", args=[source_system.pk])
        data = {
            "name": source_system.name,
            "type": source_system.type_id,
            "base_url": "",
            "heartbeat_frequency": value,
        }
        response = admin_client.post(url, data)
        assert response.status_code == 200
        assert message in response.context["adminform"].form.errors["heartbeat_frequency"][0]

    def test_last_seen_is_read_only(self, admin_client, source_system):
        url = reverse("admin:argus_incident_sourcesystem_change", args=[source_system.pk])
        form = admin_client.get(url).context["adminform"].form
        assert "last_seen" not in form.fields

    def test_delete_source_deletes_its_user(self, admin_client, source_system):
        user = source_system.user
        url = reverse("admin:argus_incident_sourcesystem_delete", args=[source_system.pk])
        assert admin_client.post(url, {"post": "yes"}).status_code == 302
        assert not SourceSystem.objects.filter(pk=source_system.pk).exists()
        assert not type(user).objects.filter(pk=user.pk).exists()

    def test_source_with_incidents_is_protected(self, admin_client, incidents):
        source = incidents["closed"].source
        url = reverse("admin:argus_incident_sourcesystem_delete", args=[source.pk])
        response = admin_client.post(url, {"post": "yes"})
        assert response.status_code == 200  # "Cannot delete": protected related objects are listed
        assert SourceSystem.objects.filter(pk=source.pk).exists()

    @pytest.mark.parametrize(
        "name",
        [
            "sourcesystem",
            "sourcesystemtype",
            "tag",
            "incidentrelation",
            "incidentrelationtype",
            "event",
            "acknowledgement",
            "incident",
        ],
    )
    def test_changelists_load(self, admin_client, incidents, name):
        assert admin_client.get(reverse(f"admin:argus_incident_{name}_changelist")).status_code == 200
