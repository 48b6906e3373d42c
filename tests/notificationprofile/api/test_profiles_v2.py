"""Notification profiles on v2 (notifications.md §8)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from argus.notificationprofile.models import DestinationConfig, NotificationProfile
from tests.notificationprofile.factories import (
    DestinationConfigFactory,
    FilterFactory,
    NotificationProfileFactory,
    SMSDestinationFactory,
    TimeRecurrenceFactory,
    TimeslotFactory,
)

pytestmark = pytest.mark.django_db

P2 = "/api/v2/notificationprofiles/"


@pytest.fixture
def timeslot(end_user):
    timeslot = TimeslotFactory(user=end_user, name="nro Always")
    TimeRecurrenceFactory(timeslot=timeslot)
    return timeslot


@pytest.fixture
def filter1(end_user):
    return FilterFactory(
        user=end_user, name="nro f1", filter={"sourceSystemIds": [11], "tags": ["problem_type=test"]}
    )


@pytest.fixture
def synced(end_user):
    return DestinationConfig.objects.get(user=end_user, settings__synced=True)


def test_create_profile_and_representation(end_user_client, end_user, timeslot, filter1, synced):
    sms = SMSDestinationFactory(user=end_user, settings={"phone_number": "+4747474703"})
    body = {
        "name": "nro prof1",
        "timeslot": timeslot.pk,
        "filters": [filter1.pk],
        "destinations": [synced.pk, sms.pk],
    }
    response = end_user_client.post(P2, body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert list(data) == ["pk", "name", "timeslot", "filters", "destinations", "active"]
    assert data == {
        "pk": data["pk"],
        "name": "nro prof1",
        "timeslot": {
            "pk": timeslot.pk,
            "name": "nro Always",
            "time_recurrences": [
                {
                    "days": [1, 2, 3, 4, 5, 6, 7],
                    "start": "00:00:00",
                    "end": "23:59:59.999999",
                    "all_day": True,
                }
            ],
        },
        "filters": [
            {
                "pk": filter1.pk,
                "name": "nro f1",
                "filter": {
                    "sourceSystemIds": [11],
                    "tags": ["problem_type=test"],
                    "open": None,
                    "acked": None,
                    "stateful": None,
                    "maxlevel": None,
                },
            }
        ],
        "destinations": [
            {
                "pk": synced.pk,
                "media": {"slug": "email", "name": "Email", "installed": True},
                "label": None,
                "suggested_label": f"Email: {end_user.email}",
                "settings": {"email_address": end_user.email, "synced": True},
            },
            {
                "pk": sms.pk,
                "media": {"slug": "sms", "name": "SMS", "installed": True},
                "label": None,
                "suggested_label": "SMS: +4747474703",
                "settings": {"phone_number": "+4747474703"},
            },
        ],
        "active": True,
    }
    profile = NotificationProfile.objects.get(pk=data["pk"])
    assert profile.user == end_user


def test_minimal_create_defaults(end_user_client, timeslot, filter1):
    response = end_user_client.post(P2, {"timeslot": timeslot.pk, "filters": [filter1.pk]}, format="json")
    assert response.status_code == 201
    assert (response.json()["name"], response.json()["destinations"], response.json()["active"]) == (
        None,
        [],
        True,
    )


@pytest.mark.parametrize(
    "body, errors",
    [
        ({}, {"timeslot": ["This field is required."], "filters": ["This field is required."]}),
        (
            {"timeslot": 999999, "filters": []},
            {
                "timeslot": ['Invalid pk "999999" - object does not exist.'],
                "filters": ["This list may not be empty."],
            },
        ),
        (
            {"filters": [999999], "destinations": [999998]},
            {
                "timeslot": ["This field is required."],
                "filters": ['Invalid pk "999999" - object does not exist.'],
                "destinations": ['Invalid pk "999998" - object does not exist.'],
            },
        ),
        (
            {"filters": "x"},
            {
                "timeslot": ["This field is required."],
                "filters": ['Expected a list of items but got type "str".'],
            },
        ),
        (
            {"timeslot": "abc", "filters": ["abc"]},
            {
                "timeslot": ["Incorrect type. Expected pk value, received str."],
                "filters": ["Incorrect type. Expected pk value, received str."],
            },
        ),
    ],
)
def test_create_rejects_bad_input(end_user_client, end_user, body, errors):
    response = end_user_client.post(P2, body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not NotificationProfile.objects.filter(user=end_user).exists()


def test_other_users_timeslot_is_refused(end_user_client, other_end_user, filter1):
    theirs = TimeslotFactory(user=other_end_user)
    response = end_user_client.post(P2, {"timeslot": theirs.pk, "filters": [filter1.pk]}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["The user of 'timeslot' must be the same as the requesting user."]
    }


def test_other_users_filters_and_destinations_are_refused(end_user_client, other_end_user, timeslot, filter1):
    their_filter = FilterFactory(user=other_end_user)
    their_destination = DestinationConfigFactory(user=other_end_user)
    body = {
        "timeslot": timeslot.pk,
        "filters": [filter1.pk, their_filter.pk],
        "destinations": [their_destination.pk],
    }
    response = end_user_client.post(P2, body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "filters": [f'Invalid pk "{their_filter.pk}" - object does not exist.'],
        "destinations": [f'Invalid pk "{their_destination.pk}" - object does not exist.'],
    }


def test_profile_names_are_unique_across_all_users(
    end_user_client, end_user, other_end_user, timeslot, filter1
):
    NotificationProfileFactory(
        user=other_end_user, name="taken", filters=[FilterFactory(user=other_end_user)]
    )
    response = end_user_client.post(
        P2, {"name": "taken", "timeslot": timeslot.pk, "filters": [filter1.pk]}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["The requesting user already has a profile with that name."]
    }
    # Unnamed profiles never collide.
    for _ in range(2):
        response = end_user_client.post(
            P2, {"name": None, "timeslot": timeslot.pk, "filters": [filter1.pk]}, format="json"
        )
        assert response.status_code == 201


def test_put_keeps_omitted_optional_fields(end_user_client, end_user, timeslot, filter1, synced):
    profile = NotificationProfileFactory(
        user=end_user, name="p", active=False, filters=[filter1], destinations=[synced]
    )
    other_timeslot = TimeslotFactory(user=end_user)
    response = end_user_client.put(
        f"{P2}{profile.pk}/", {"timeslot": other_timeslot.pk, "filters": [filter1.pk]}, format="json"
    )
    assert response.status_code == 200
    data = response.json()
    assert (data["pk"], data["name"], data["active"]) == (profile.pk, "p", False)
    assert data["timeslot"]["pk"] == other_timeslot.pk
    assert [d["pk"] for d in data["destinations"]] == [synced.pk]


def test_patch_without_timeslot_works(end_user_client, end_user, filter1):
    profile = NotificationProfileFactory(user=end_user, name="p", filters=[filter1])
    response = end_user_client.patch(f"{P2}{profile.pk}/", {"active": False, "name": "q"}, format="json")
    assert response.status_code == 200
    assert (response.json()["active"], response.json()["name"]) == (False, "q")
    response = end_user_client.patch(f"{P2}{profile.pk}/", {"name": "q"}, format="json")
    assert response.status_code == 200


def test_patch_replaces_filters_and_destinations(end_user_client, end_user, filter1, synced):
    profile = NotificationProfileFactory(user=end_user, filters=[filter1], destinations=[synced])
    f2 = FilterFactory(user=end_user)
    response = end_user_client.patch(
        f"{P2}{profile.pk}/", {"filters": [f2.pk], "destinations": []}, format="json"
    )
    assert response.status_code == 200
    assert [f["pk"] for f in response.json()["filters"]] == [f2.pk]
    assert response.json()["destinations"] == []


def test_failed_update_changes_nothing(end_user_client, end_user, filter1, other_end_user):
    profile = NotificationProfileFactory(user=end_user, name="p", filters=[filter1])
    theirs = TimeslotFactory(user=other_end_user)
    body = {"name": "new", "timeslot": theirs.pk, "filters": [filter1.pk], "active": False}
    assert end_user_client.patch(f"{P2}{profile.pk}/", body, format="json").status_code == 400
    profile.refresh_from_db()
    assert (profile.name, profile.active, profile.timeslot.user) == ("p", True, end_user)


def test_rename_onto_other_users_name_is_refused_but_keeping_own_is_fine(
    end_user_client, end_user, other_end_user, filter1
):
    profile = NotificationProfileFactory(user=end_user, name="mine", filters=[filter1])
    NotificationProfileFactory(
        user=other_end_user, name="theirs", filters=[FilterFactory(user=other_end_user)]
    )
    assert end_user_client.patch(f"{P2}{profile.pk}/", {"name": "mine"}, format="json").status_code == 200
    response = end_user_client.patch(f"{P2}{profile.pk}/", {"name": "theirs"}, format="json")
    assert response.status_code == 400


def test_list_retrieve_delete_own_only(end_user_client, end_user, other_end_user, filter1):
    mine = NotificationProfileFactory(user=end_user, filters=[filter1])
    theirs = NotificationProfileFactory(user=other_end_user, filters=[FilterFactory(user=other_end_user)])
    assert [p["pk"] for p in end_user_client.get(P2).json()] == [mine.pk]
    assert end_user_client.get(f"{P2}{mine.pk}/").json()["pk"] == mine.pk
    for method in ("get", "put", "patch", "delete"):
        response = getattr(end_user_client, method)(f"{P2}{theirs.pk}/", {}, format="json")
        assert response.status_code == 404
        assert response.json() == {"detail": "No NotificationProfile matches the given query."}
    assert end_user_client.delete(f"{P2}{mine.pk}/").status_code == 204
    assert not NotificationProfile.objects.filter(pk=mine.pk).exists()
    assert NotificationProfile.objects.filter(pk=theirs.pk).exists()


def test_list_uses_a_constant_number_of_queries(end_user_client, end_user):
    def count():
        with CaptureQueriesContext(connection) as context:
            assert end_user_client.get(P2).status_code == 200
        return len(context.captured_queries)

    def add_profile():
        timeslot = TimeslotFactory(user=end_user)
        TimeRecurrenceFactory.create_batch(2, timeslot=timeslot)
        filters = FilterFactory.create_batch(2, user=end_user)
        destinations = [SMSDestinationFactory(user=end_user), DestinationConfigFactory(user=end_user)]
        NotificationProfileFactory(
            user=end_user, timeslot=timeslot, filters=filters, destinations=destinations
        )

    add_profile()
    one = count()
    for _ in range(8):
        add_profile()
    assert count() == one
    assert len(end_user_client.get(P2).json()) == 9
