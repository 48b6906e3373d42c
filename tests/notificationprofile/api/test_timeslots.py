"""Timeslots on v1 and v2 (notifications.md §1.1, §1.2, §3): both versions behave identically."""

import datetime

import pytest

from argus.notificationprofile.models import NotificationProfile, TimeRecurrence, Timeslot
from tests.factories import EndUserFactory, SourceUserFactory
from tests.notificationprofile.factories import (
    FilterFactory,
    NotificationProfileFactory,
    TimeRecurrenceFactory,
    TimeslotFactory,
)

pytestmark = pytest.mark.django_db

ALL_THE_TIME = {"days": [1, 2, 3, 4, 5, 6, 7], "start": "00:00:00", "end": "23:59:59.999999", "all_day": True}


def post(client, prefix, body):
    return client.post(f"{prefix}timeslots/", body, format="json")


# --- the automatic timeslot -----------------------------------------------------------------------


def test_new_user_gets_all_the_time_timeslot():
    user = EndUserFactory()
    timeslot = Timeslot.objects.get(user=user)
    assert timeslot.name == "All the time"
    recurrence = timeslot.time_recurrences.get()
    assert recurrence.days == [1, 2, 3, 4, 5, 6, 7]
    assert recurrence.start == datetime.time(0, 0)
    assert recurrence.end == datetime.time(23, 59, 59, 999999)


def test_source_system_user_also_gets_the_default_timeslot():
    user = SourceUserFactory()
    assert list(Timeslot.objects.filter(user=user).values_list("name", flat=True)) == ["All the time"]


def test_saving_an_existing_user_does_not_add_timeslots(end_user):
    end_user.first_name = "Changed"
    end_user.save()
    assert Timeslot.objects.filter(user=end_user).count() == 1


def test_default_timeslot_is_listed(end_user_client, end_user, prefix):
    response = end_user_client.get(f"{prefix}timeslots/")
    assert response.status_code == 200
    timeslot = Timeslot.objects.get(user=end_user)
    assert response.json() == [
        {"pk": timeslot.pk, "name": "All the time", "time_recurrences": [ALL_THE_TIME]}
    ]


# --- create -------------------------------------------------------------------------------------------


def test_create_all_day_timeslot(end_user_client, prefix):
    body = {"name": "Always", "time_recurrences": [{"days": [1, 2, 3, 4, 5, 6, 7], "all_day": True}]}
    response = post(end_user_client, prefix, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert list(data) == ["pk", "name", "time_recurrences"]
    assert data["name"] == "Always"
    assert data["time_recurrences"] == [ALL_THE_TIME]
    assert list(data["time_recurrences"][0]) == ["days", "start", "end", "all_day"]


def test_all_day_overrides_given_times(end_user_client, prefix):
    body = {
        "name": "x",
        "time_recurrences": [{"days": [1], "all_day": True, "start": "10:00", "end": "11:00"}],
    }
    response = post(end_user_client, prefix, body)
    assert response.json()["time_recurrences"] == [{**ALL_THE_TIME, "days": [1]}]


def test_whole_day_entered_by_hand_is_shown_as_all_day(end_user_client, prefix):
    body = {"name": "x", "time_recurrences": [{"days": [2], "start": "00:00", "end": "23:59:59.999999"}]}
    assert post(end_user_client, prefix, body).json()["time_recurrences"][0]["all_day"] is True


def test_days_are_sorted_deduplicated_and_may_be_numeric_strings(end_user_client, prefix):
    body = {
        "name": "nro odd",
        "time_recurrences": [{"days": ["2", 1, 1], "start": "10:00", "end": "11:00:30.5"}],
    }
    response = post(end_user_client, prefix, body)
    assert response.status_code == 201
    assert response.json()["time_recurrences"] == [
        {"days": [1, 2], "start": "10:00:00", "end": "11:00:30.500000"}
    ]
    assert TimeRecurrence.objects.get(timeslot_id=response.json()["pk"]).days == [1, 2]


def test_empty_days_and_empty_recurrences_are_accepted(end_user_client, prefix):
    response = post(end_user_client, prefix, {"name": "never", "time_recurrences": []})
    assert response.status_code == 201
    assert response.json()["time_recurrences"] == []
    response = post(
        end_user_client,
        prefix,
        {"name": "nodays", "time_recurrences": [{"days": [], "start": "1:00", "end": "2:00"}]},
    )
    assert response.status_code == 201
    assert response.json()["time_recurrences"] == [{"days": [], "start": "01:00:00", "end": "02:00:00"}]


def test_recurrences_keep_creation_order(end_user_client, prefix):
    body = {
        "name": "Weekdays",
        "time_recurrences": [
            {"days": [1, 2, 3, 4, 5], "start": "12:30", "end": "16:00"},
            {"days": [1, 2, 3, 4, 5], "start": "08:00", "end": "12:00"},
        ],
    }
    data = post(end_user_client, prefix, body).json()
    assert [r["start"] for r in data["time_recurrences"]] == ["12:30:00", "08:00:00"]


@pytest.mark.parametrize(
    "body, errors",
    [
        ({}, {"name": ["This field is required."], "time_recurrences": ["This field is required."]}),
        ({"name": "", "time_recurrences": []}, {"name": ["This field may not be blank."]}),
        (
            {"name": "x" * 41, "time_recurrences": []},
            {"name": ["Ensure this field has no more than 40 characters."]},
        ),
        (
            {"name": "x", "time_recurrences": {"days": [1]}},
            {"time_recurrences": {"non_field_errors": ['Expected a list of items but got type "dict".']}},
        ),
        (
            {"name": "x", "time_recurrences": [{"days": [1], "start": "12:00", "end": "11:00"}]},
            {"time_recurrences": {"0": {"non_field_errors": ["'start' must be before 'end'."]}}},
        ),
        (
            {"name": "x", "time_recurrences": [{"days": [1], "start": "12:00", "end": "12:00"}]},
            {"time_recurrences": {"0": {"non_field_errors": ["'start' must be before 'end'."]}}},
        ),
        (
            {
                "name": "x",
                "time_recurrences": [
                    {"days": [1], "all_day": True},
                    {"days": [9], "start": "10:00", "end": "11:00"},
                ],
            },
            {"time_recurrences": {"1": {"days": ['"9" is not a valid choice.']}}},
        ),
        (
            {"name": "x", "time_recurrences": [{"days": 1, "start": "10:00", "end": "11:00"}]},
            {"time_recurrences": {"0": {"days": ['Expected a list of items but got type "int".']}}},
        ),
        (
            {"name": "x", "time_recurrences": [{"days": {"1": 1}, "start": "10:00", "end": "11:00"}]},
            {"time_recurrences": {"0": {"days": ['Expected a list of items but got type "dict".']}}},
        ),
        (
            {"name": "x", "time_recurrences": [{"days": [1]}]},
            {
                "time_recurrences": {
                    "0": {"start": ["This field is required."], "end": ["This field is required."]}
                }
            },
        ),
        (
            {"name": "x", "time_recurrences": [{"days": [1], "all_day": False, "start": "10:00"}]},
            {"time_recurrences": {"0": {"end": ["This field is required."]}}},
        ),
        (
            {"name": "x", "time_recurrences": [{"days": [1], "start": "25:00", "end": "26:00"}]},
            {
                "time_recurrences": {
                    "0": {
                        "start": [
                            "Time has wrong format. Use one of these formats instead: hh:mm[:ss[.uuuuuu]]."
                        ],
                        "end": [
                            "Time has wrong format. Use one of these formats instead: hh:mm[:ss[.uuuuuu]]."
                        ],
                    }
                }
            },
        ),
        (
            {"name": "x", "time_recurrences": [1]},
            {
                "time_recurrences": {
                    "0": {"non_field_errors": ["Invalid data. Expected a dictionary, but got int."]}
                }
            },
        ),
    ],
)
def test_create_rejects_bad_input_and_saves_nothing(end_user_client, end_user, prefix, body, errors):
    response = post(end_user_client, prefix, body)
    assert response.status_code == 400
    assert response.json() == errors
    assert Timeslot.objects.filter(user=end_user).count() == 1
    assert TimeRecurrence.objects.filter(timeslot__user=end_user).count() == 1


def test_name_must_be_unique_per_user(end_user_client, end_user, other_end_user_client, prefix):
    response = post(end_user_client, prefix, {"name": "All the time", "time_recurrences": []})
    assert response.status_code == 400
    assert response.json() == {
        "name": [
            f'The name "All the time" is already in use for a another timeslot owned by user {end_user.username}.'
        ]
    }
    # Another user may use the same name.
    assert (
        post(other_end_user_client, prefix, {"name": "Weekdays", "time_recurrences": []}).status_code == 201
    )
    assert post(end_user_client, prefix, {"name": "Weekdays", "time_recurrences": []}).status_code == 201


def test_unknown_recurrence_keys_are_ignored(end_user_client, prefix):
    body = {
        "name": "x",
        "time_recurrences": [{"days": [3], "start": "10:00", "end": "11:00", "pk": 99, "x": 1}],
    }
    response = post(end_user_client, prefix, body)
    assert response.status_code == 201
    assert response.json()["time_recurrences"] == [{"days": [3], "start": "10:00:00", "end": "11:00:00"}]


# --- list / retrieve --------------------------------------------------------------------------------


def test_list_is_ordered_by_name_in_byte_order_and_own_only(
    end_user_client, end_user, other_end_user, prefix
):
    for name in ["b", "B", "a", "Z"]:
        TimeslotFactory(user=end_user, name=name)
    TimeslotFactory(user=other_end_user, name="A")
    response = end_user_client.get(f"{prefix}timeslots/")
    assert [t["name"] for t in response.json()] == ["All the time", "B", "Z", "a", "b"]


def test_list_uses_a_constant_number_of_queries(
    end_user_client, end_user, prefix, django_assert_max_num_queries
):
    def count_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as context:
            assert end_user_client.get(f"{prefix}timeslots/").status_code == 200
        return len(context.captured_queries)

    few = count_queries()
    for _ in range(10):
        timeslot = TimeslotFactory(user=end_user)
        TimeRecurrenceFactory.create_batch(3, timeslot=timeslot)
    assert count_queries() == few
    with django_assert_max_num_queries(4):
        end_user_client.get(f"{prefix}timeslots/")


def test_retrieve_own_timeslot(end_user_client, end_user, prefix):
    timeslot = TimeslotFactory(user=end_user, name="Nights")
    TimeRecurrenceFactory(timeslot=timeslot, days=[6, 7], start=datetime.time(22), end=datetime.time(23, 30))
    response = end_user_client.get(f"{prefix}timeslots/{timeslot.pk}/")
    assert response.status_code == 200
    assert response.json() == {
        "pk": timeslot.pk,
        "name": "Nights",
        "time_recurrences": [{"days": [6, 7], "start": "22:00:00", "end": "23:30:00"}],
    }


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_other_users_timeslot_is_not_found(end_user_client, other_end_user, prefix, method):
    timeslot = TimeslotFactory(user=other_end_user, name="theirs")
    response = getattr(end_user_client, method)(
        f"{prefix}timeslots/{timeslot.pk}/", {"name": "mine", "time_recurrences": []}, format="json"
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "No Timeslot matches the given query."}
    timeslot.refresh_from_db()
    assert timeslot.name == "theirs"


def test_superuser_sees_only_own_timeslots(superuser_client, end_user, prefix):
    timeslot = TimeslotFactory(user=end_user)
    assert superuser_client.get(f"{prefix}timeslots/{timeslot.pk}/").status_code == 404
    assert [t["name"] for t in superuser_client.get(f"{prefix}timeslots/").json()] == ["All the time"]


def test_non_numeric_id_is_not_found(end_user_client, prefix):
    response = end_user_client.get(f"{prefix}timeslots/abc/")
    assert response.status_code == 404


def test_anonymous_is_refused(api_client, prefix):
    response = api_client.get(f"{prefix}timeslots/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


# --- update ----------------------------------------------------------------------------------------


def test_put_replaces_all_recurrences(end_user_client, end_user, prefix):
    timeslot = TimeslotFactory(user=end_user, name="old")
    old = TimeRecurrenceFactory(timeslot=timeslot)
    body = {"name": "new", "time_recurrences": [{"days": [1], "start": "08:00", "end": "09:00"}]}
    response = end_user_client.put(f"{prefix}timeslots/{timeslot.pk}/", body, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "pk": timeslot.pk,
        "name": "new",
        "time_recurrences": [{"days": [1], "start": "08:00:00", "end": "09:00:00"}],
    }
    assert not TimeRecurrence.objects.filter(pk=old.pk).exists()


def test_put_requires_both_fields(end_user_client, end_user, prefix):
    timeslot = TimeslotFactory(user=end_user)
    response = end_user_client.put(f"{prefix}timeslots/{timeslot.pk}/", {"name": "x"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"time_recurrences": ["This field is required."]}


def test_patch_name_only_keeps_recurrences(end_user_client, end_user, prefix):
    timeslot = TimeslotFactory(user=end_user, name="old")
    recurrence = TimeRecurrenceFactory(timeslot=timeslot)
    response = end_user_client.patch(f"{prefix}timeslots/{timeslot.pk}/", {"name": "new"}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "new"
    assert list(timeslot.time_recurrences.values_list("pk", flat=True)) == [recurrence.pk]


def test_patch_keeping_own_name_is_fine_but_taking_another_is_not(end_user_client, end_user, prefix):
    timeslot = TimeslotFactory(user=end_user, name="mine")
    url = f"{prefix}timeslots/{timeslot.pk}/"
    assert end_user_client.patch(url, {"name": "mine"}, format="json").status_code == 200
    response = end_user_client.patch(url, {"name": "All the time"}, format="json")
    assert response.status_code == 400
    assert "already in use" in response.json()["name"][0]
    timeslot.refresh_from_db()
    assert timeslot.name == "mine"


def test_failed_update_changes_nothing(end_user_client, end_user, prefix):
    timeslot = TimeslotFactory(user=end_user, name="mine")
    recurrence = TimeRecurrenceFactory(timeslot=timeslot)
    body = {"name": "renamed", "time_recurrences": [{"days": [1], "start": "12:00", "end": "11:00"}]}
    response = end_user_client.put(f"{prefix}timeslots/{timeslot.pk}/", body, format="json")
    assert response.status_code == 400
    timeslot.refresh_from_db()
    assert timeslot.name == "mine"
    assert list(timeslot.time_recurrences.values_list("pk", flat=True)) == [recurrence.pk]


# --- delete ---------------------------------------------------------------------------------------


def test_delete_timeslot_deletes_profiles_using_it(end_user_client, end_user, prefix):
    timeslot = TimeslotFactory(user=end_user)
    profile = NotificationProfileFactory(
        user=end_user, timeslot=timeslot, filters=[FilterFactory(user=end_user)]
    )
    response = end_user_client.delete(f"{prefix}timeslots/{timeslot.pk}/")
    assert response.status_code == 204
    assert not Timeslot.objects.filter(pk=timeslot.pk).exists()
    assert not NotificationProfile.objects.filter(pk=profile.pk).exists()


def test_unknown_method_is_refused(end_user_client, prefix):
    response = end_user_client.put(f"{prefix}timeslots/", {}, format="json")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.'}
