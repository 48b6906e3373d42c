"""Notification profiles on v1 (notifications.md §9): media codes and one phone number."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from argus.notificationprofile.choices import EMAIL_MEDIA_SLUG
from argus.notificationprofile.models import DestinationConfig, NotificationProfile
from tests.factories import EndUserFactory
from tests.notificationprofile.factories import (
    DestinationConfigFactory,
    FilterFactory,
    NotificationProfileFactory,
    SMSDestinationFactory,
    TimeRecurrenceFactory,
    TimeslotFactory,
)

pytestmark = pytest.mark.django_db

P1 = "/api/v1/notificationprofiles/"


@pytest.fixture
def timeslot(end_user):
    return TimeslotFactory(user=end_user, name="Weekdays")


@pytest.fixture
def filter1(end_user):
    return FilterFactory(user=end_user, name="f1", filter={"sourceSystemIds": [11], "tags": ["a=b"]})


@pytest.fixture
def phone(end_user):
    return SMSDestinationFactory(user=end_user, settings={"phone_number": "+4747474702"})


def synced_of(user):
    return DestinationConfig.objects.get(user=user, media_id=EMAIL_MEDIA_SLUG, settings__synced=True)


def destinations_of(pk):
    return sorted(NotificationProfile.objects.get(pk=pk).destinations.values_list("pk", flat=True))


def test_create_with_both_media_and_representation(end_user_client, end_user, timeslot, filter1, phone):
    TimeRecurrenceFactory(timeslot=timeslot, days=[1, 2, 3, 4, 5])
    body = {"timeslot": timeslot.pk, "filters": [filter1.pk], "media": ["SM", "EM"], "phone_number": phone.pk}
    response = end_user_client.post(P1, body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert list(data) == ["pk", "timeslot", "filters", "media", "active", "phone_number"]
    assert data["timeslot"]["name"] == "Weekdays"
    assert data["filters"] == [
        {
            "pk": filter1.pk,
            "name": "f1",
            "filter_string": '{"sourceSystemIds": [11], "tags": ["a=b"]}',
            "filter": {
                "sourceSystemIds": [11],
                "tags": ["a=b"],
                "open": None,
                "acked": None,
                "stateful": None,
                "maxlevel": None,
            },
        }
    ]
    assert data["media"] == ["EM", "SM"]
    assert data["active"] is True
    assert data["phone_number"] == {"pk": phone.pk, "user": end_user.pk, "phone_number": "+4747474702"}
    assert destinations_of(data["pk"]) == sorted([synced_of(end_user).pk, phone.pk])
    assert NotificationProfile.objects.get(pk=data["pk"]).name is None


def test_media_defaults_to_email(end_user_client, end_user, timeslot, filter1):
    response = end_user_client.post(P1, {"timeslot": timeslot.pk, "filters": [filter1.pk]}, format="json")
    assert response.status_code == 201
    assert (response.json()["media"], response.json()["phone_number"]) == (["EM"], None)
    assert destinations_of(response.json()["pk"]) == [synced_of(end_user).pk]


def test_empty_media_gives_no_destinations(end_user_client, timeslot, filter1):
    response = end_user_client.post(
        P1, {"timeslot": timeslot.pk, "filters": [filter1.pk], "media": []}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["media"] == []
    assert destinations_of(response.json()["pk"]) == []


def test_name_is_not_accepted(end_user_client, timeslot, filter1):
    body = {"timeslot": timeslot.pk, "filters": [filter1.pk], "name": "ignored"}
    response = end_user_client.post(P1, body, format="json")
    assert "name" not in response.json()
    assert NotificationProfile.objects.get(pk=response.json()["pk"]).name is None


@pytest.mark.parametrize(
    "extra, errors",
    [
        ({"media": "EM"}, {"media": ['Expected a list of items but got type "str".']}),
        ({"media": ["XX"]}, {"media": ['"XX" is not a valid choice.']}),
        ({"media": ["SM"]}, {"phone_number": ["This field may not be null."]}),
        ({"media": ["SM"], "phone_number": None}, {"phone_number": ["This field may not be null."]}),
        (
            {"media": ["SM"], "phone_number": 999999},
            {"phone_number": ['Invalid pk "999999" - object does not exist.']},
        ),
        ({"filters": []}, {"filters": ["This list may not be empty."]}),
    ],
)
def test_create_rejects_bad_input(end_user_client, end_user, timeslot, filter1, extra, errors):
    body = {"timeslot": timeslot.pk, "filters": [filter1.pk], **extra}
    response = end_user_client.post(P1, body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not NotificationProfile.objects.filter(user=end_user).exists()


@pytest.mark.parametrize("phone_number", ["x", "1.5", True, [1], {"pk": 1}])
@pytest.mark.parametrize("method", ["post", "put"])
def test_phone_number_that_is_no_integer_is_refused_as_in_1_37(
    end_user_client, end_user, timeslot, filter1, phone, method, phone_number
):
    body = {"timeslot": timeslot.pk, "filters": [filter1.pk], "media": ["SM"], "phone_number": phone_number}
    url = P1
    if method == "put":
        profile = NotificationProfileFactory(user=end_user, timeslot=timeslot, filters=[filter1])
        url = f"{P1}{profile.pk}/"
    response = getattr(end_user_client, method)(url, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"phone_number": ["A valid integer is required."]}
    assert not NotificationProfile.objects.filter(destinations=phone).exists()


def test_phone_number_given_as_a_numeric_string_is_accepted(end_user_client, timeslot, filter1, phone):
    body = {"timeslot": timeslot.pk, "filters": [filter1.pk], "media": ["SM"], "phone_number": str(phone.pk)}
    response = end_user_client.post(P1, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["phone_number"]["pk"] == phone.pk


def test_phone_number_must_be_own_sms_destination(
    end_user_client, end_user, other_end_user, timeslot, filter1
):
    theirs = SMSDestinationFactory(user=other_end_user)
    email = DestinationConfigFactory(user=end_user)
    for pk in (theirs.pk, email.pk):
        body = {"timeslot": timeslot.pk, "filters": [filter1.pk], "media": ["SM"], "phone_number": pk}
        response = end_user_client.post(P1, body, format="json")
        assert response.json() == {"phone_number": [f'Invalid pk "{pk}" - object does not exist.']}


def test_email_media_needs_a_user_email(client_for):
    user = EndUserFactory(email="")
    client = client_for(user)
    timeslot = TimeslotFactory(user=user)
    f = FilterFactory(user=user)
    response = client.post(P1, {"timeslot": timeslot.pk, "filters": [f.pk], "media": ["EM"]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"media": ["User email is not set, therefore this field cannot include email."]}


def test_other_users_timeslot_is_refused(end_user_client, other_end_user, filter1):
    theirs = TimeslotFactory(user=other_end_user)
    response = end_user_client.post(P1, {"timeslot": theirs.pk, "filters": [filter1.pk]}, format="json")
    assert response.json() == {
        "non_field_errors": ["The user of 'timeslot' must be the same as the requesting user."]
    }


def test_put_switching_media(end_user_client, end_user, timeslot, filter1, phone):
    profile = NotificationProfileFactory(user=end_user, filters=[filter1], destinations=[synced_of(end_user)])
    url = f"{P1}{profile.pk}/"
    body = {"timeslot": timeslot.pk, "filters": [filter1.pk], "media": ["SM"], "phone_number": phone.pk}
    response = end_user_client.put(url, body, format="json")
    assert response.status_code == 200
    assert (response.json()["pk"], response.json()["media"]) == (profile.pk, ["SM"])
    assert response.json()["timeslot"]["pk"] == timeslot.pk
    assert destinations_of(profile.pk) == [phone.pk]
    response = end_user_client.put(
        url, {"timeslot": timeslot.pk, "filters": [filter1.pk], "media": ["EM"]}, format="json"
    )
    assert response.json()["media"] == ["EM"]
    assert destinations_of(profile.pk) == [synced_of(end_user).pk]


def test_put_replaces_the_first_phone_number(end_user_client, end_user, filter1, phone):
    second = SMSDestinationFactory(user=end_user, settings={"phone_number": "+4747474703"})
    third = SMSDestinationFactory(user=end_user, settings={"phone_number": "+4747474704"})
    profile = NotificationProfileFactory(user=end_user, filters=[filter1], destinations=[phone, second])
    body = {
        "timeslot": profile.timeslot.pk,
        "filters": [filter1.pk],
        "media": ["EM", "SM"],
        "phone_number": third.pk,
    }
    response = end_user_client.put(f"{P1}{profile.pk}/", body, format="json")
    assert response.status_code == 200
    assert destinations_of(profile.pk) == sorted([second.pk, third.pk, synced_of(end_user).pk])
    assert response.json()["phone_number"]["pk"] == second.pk


def test_put_with_sms_and_no_number_keeps_existing_number(end_user_client, end_user, filter1, phone):
    profile = NotificationProfileFactory(
        user=end_user, filters=[filter1], destinations=[phone, synced_of(end_user)]
    )
    body = {"timeslot": profile.timeslot.pk, "filters": [filter1.pk], "media": ["SM"]}
    response = end_user_client.put(f"{P1}{profile.pk}/", body, format="json")
    assert response.status_code == 200
    assert destinations_of(profile.pk) == [phone.pk]


def test_put_without_media_means_email_only(end_user_client, end_user, filter1, phone):
    profile = NotificationProfileFactory(user=end_user, filters=[filter1], destinations=[phone])
    body = {"timeslot": profile.timeslot.pk, "filters": [filter1.pk]}
    response = end_user_client.put(f"{P1}{profile.pk}/", body, format="json")
    assert response.status_code == 200
    assert response.json()["media"] == ["EM"]
    assert destinations_of(profile.pk) == [synced_of(end_user).pk]


def test_put_with_empty_media_leaves_destinations(end_user_client, end_user, filter1, phone):
    profile = NotificationProfileFactory(
        user=end_user, filters=[filter1], destinations=[phone, synced_of(end_user)]
    )
    body = {"timeslot": profile.timeslot.pk, "filters": [filter1.pk], "media": []}
    response = end_user_client.put(f"{P1}{profile.pk}/", body, format="json")
    assert response.status_code == 200
    assert response.json()["media"] == ["EM", "SM"]


def test_patch_without_timeslot_or_media_works(end_user_client, end_user, filter1, phone):
    profile = NotificationProfileFactory(user=end_user, filters=[filter1], destinations=[phone])
    response = end_user_client.patch(f"{P1}{profile.pk}/", {"active": False}, format="json")
    assert response.status_code == 200
    assert (response.json()["active"], response.json()["media"]) == (False, ["SM"])
    assert destinations_of(profile.pk) == [phone.pk]


def test_failed_update_changes_nothing(end_user_client, end_user, filter1, phone):
    profile = NotificationProfileFactory(user=end_user, filters=[filter1], destinations=[phone])
    body = {"active": False, "media": ["SM"], "phone_number": 999999}
    assert end_user_client.patch(f"{P1}{profile.pk}/", body, format="json").status_code == 400
    profile.refresh_from_db()
    assert profile.active is True
    assert destinations_of(profile.pk) == [phone.pk]


def test_v2_names_survive_v1_updates(end_user_client, end_user, filter1):
    profile = NotificationProfileFactory(user=end_user, name="named", filters=[filter1])
    assert end_user_client.patch(f"{P1}{profile.pk}/", {"active": False}, format="json").status_code == 200
    profile.refresh_from_db()
    assert profile.name == "named"


def test_other_users_profile_is_not_found(end_user_client, other_end_user):
    theirs = NotificationProfileFactory(user=other_end_user, filters=[FilterFactory(user=other_end_user)])
    for method in ("get", "put", "patch", "delete"):
        response = getattr(end_user_client, method)(f"{P1}{theirs.pk}/", {}, format="json")
        assert response.status_code == 404
    assert NotificationProfile.objects.filter(pk=theirs.pk).exists()


def test_list_and_delete(end_user_client, end_user, filter1):
    profile = NotificationProfileFactory(user=end_user, filters=[filter1])
    assert [p["pk"] for p in end_user_client.get(P1).json()] == [profile.pk]
    assert end_user_client.delete(f"{P1}{profile.pk}/").status_code == 204
    assert end_user_client.get(P1).json() == []


def test_list_uses_a_constant_number_of_queries(end_user_client, end_user):
    def count():
        with CaptureQueriesContext(connection) as context:
            assert end_user_client.get(P1).status_code == 200
        return len(context.captured_queries)

    def add_profile():
        filters = FilterFactory.create_batch(2, user=end_user)
        destinations = [SMSDestinationFactory(user=end_user), DestinationConfigFactory(user=end_user)]
        NotificationProfileFactory(user=end_user, filters=filters, destinations=destinations)

    add_profile()
    one = count()
    for _ in range(6):
        add_profile()
    assert count() == one
