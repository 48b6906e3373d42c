"""Media (notifications.md §6) and destinations (§7, §1.5), v2 only."""

import pytest

from argus.notificationprofile.choices import EMAIL_MEDIA_SLUG
from argus.notificationprofile.models import DestinationConfig, Media
from tests.factories import EndUserFactory
from tests.notificationprofile.factories import (
    DestinationConfigFactory,
    FilterFactory,
    NotificationProfileFactory,
    SMSDestinationFactory,
    TimeslotFactory,
)

pytestmark = pytest.mark.django_db

P2 = "/api/v2/notificationprofiles/"
DESTINATIONS = f"{P2}destinations/"
EMAIL = {"slug": "email", "name": "Email", "installed": True}
SMS = {"slug": "sms", "name": "SMS", "installed": True}


def synced_of(user):
    return DestinationConfig.objects.get(user=user, media_id=EMAIL_MEDIA_SLUG, settings__synced=True)


# --- media ----------------------------------------------------------------------------------------


def test_media_list_and_detail(end_user_client):
    assert end_user_client.get(f"{P2}media/").json() == [EMAIL, SMS]
    assert end_user_client.get(f"{P2}media/sms/").json() == SMS
    response = end_user_client.get(f"{P2}media/fax/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Media matches the given query."}
    assert end_user_client.post(f"{P2}media/", {"slug": "x"}, format="json").status_code == 405
    assert end_user_client.head(f"{P2}media/").status_code == 200


def test_media_are_v2_only(end_user_client):
    assert end_user_client.get("/api/v1/notificationprofiles/media/").status_code == 404
    assert end_user_client.get("/api/v1/notificationprofiles/destinations/").status_code == 404


def test_media_json_schema(end_user_client):
    response = end_user_client.get(f"{P2}media/email/json_schema/")
    assert response.status_code == 200
    assert response.json() == {
        "json_schema": {
            "title": "Email Settings",
            "description": "Settings for a DestinationConfig using email.",
            "type": "object",
            "required": ["email_address"],
            "properties": {"email_address": {"type": "string", "title": "Email address"}},
            "$id": "http://testserver/json-schema/email",
        }
    }
    sms = end_user_client.get(f"{P2}media/sms/json_schema/").json()["json_schema"]
    assert sms["title"] == "SMS Settings"
    assert sms["$id"] == "http://testserver/json-schema/sms"


def test_json_schema_of_unknown_medium_is_a_400(end_user_client):
    response = end_user_client.get(f"{P2}media/xyz/json_schema/")
    assert response.status_code == 400
    assert response.json() == ['Medium "xyz" is not installed.']


def test_media_need_authentication(api_client):
    assert api_client.get(f"{P2}media/").status_code == 401


# --- the synced email destination (§1.5) ------------------------------------------------------------


def test_new_user_with_email_gets_one_synced_destination():
    user = EndUserFactory(email="a@example.org")
    assert list(DestinationConfig.objects.filter(user=user).values_list("settings", flat=True)) == [
        {"email_address": "a@example.org", "synced": True}
    ]


def test_user_without_email_gets_none():
    user = EndUserFactory(email="")
    assert not DestinationConfig.objects.filter(user=user).exists()


def test_changing_email_moves_the_synced_flag():
    user = EndUserFactory(email="a@example.org")
    old = synced_of(user)
    user.email = "b@example.org"
    user.save()
    old.refresh_from_db()
    assert old.settings == {"email_address": "a@example.org", "synced": False}
    assert synced_of(user).settings["email_address"] == "b@example.org"
    # Back to an address that already has a destination: that one becomes the synced one.
    user.email = "a@example.org"
    user.save()
    assert synced_of(user).pk == old.pk
    assert DestinationConfig.objects.filter(user=user, settings__synced=True).count() == 1


def test_removing_email_deletes_the_synced_destination():
    user = EndUserFactory(email="a@example.org")
    user.email = ""
    user.save()
    assert not DestinationConfig.objects.filter(user=user).exists()


# --- list / create ------------------------------------------------------------------------------------


def test_list_own_destinations(end_user_client, end_user, other_end_user):
    sms = SMSDestinationFactory(user=end_user, settings={"phone_number": "+4747474701"})
    DestinationConfigFactory(user=other_end_user)
    synced = synced_of(end_user)
    assert end_user_client.get(DESTINATIONS).json() == [
        {
            "pk": synced.pk,
            "media": EMAIL,
            "label": None,
            "suggested_label": f"Email: {end_user.email}",
            "settings": {"email_address": end_user.email, "synced": True},
        },
        {
            "pk": sms.pk,
            "media": SMS,
            "label": None,
            "suggested_label": "SMS: +4747474701",
            "settings": {"phone_number": "+4747474701"},
        },
    ]


def test_create_sms_destination_normalises_number(end_user_client, end_user):
    body = {"media": "sms", "label": "work", "settings": {"phone_number": "+47 474 74 702", "extra": 1}}
    response = end_user_client.post(DESTINATIONS, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {
        "pk": response.json()["pk"],
        "media": SMS,
        "label": "work",
        "suggested_label": "SMS: +4747474702",
        "settings": {"phone_number": "+4747474702"},
    }
    assert DestinationConfig.objects.get(pk=response.json()["pk"]).user == end_user


def test_create_email_destination_discards_synced(end_user_client):
    body = {"media": "email", "settings": {"email_address": "other@example.org", "synced": True}}
    response = end_user_client.post(DESTINATIONS, body, format="json")
    assert response.status_code == 201
    assert response.json()["settings"] == {"email_address": "other@example.org", "synced": False}


@pytest.mark.parametrize(
    "body, errors",
    [
        ({"media": "fax", "settings": {}}, {"media": ['Invalid pk "fax" - object does not exist.']}),
        ({"media": "sms"}, {"settings": ["This field is required."]}),
        ({"media": "sms", "settings": "x"}, {"non_field_errors": ["Settings has to be a dictionary."]}),
        ({"media": "email", "settings": {}}, {"email_address": ["This field is required."]}),
        (
            {"media": "email", "settings": {"email_address": "nope"}},
            {"email_address": ["Enter a valid email address."]},
        ),
        (
            {"media": "sms", "settings": {"phone_number": "12"}},
            {"phone_number": ["Enter a valid phone number (e.g. +12125552368)."]},
        ),
        ({"media": "sms", "settings": {}}, {"phone_number": ["This field is required."]}),
        (
            {"media": "sms", "label": "x" * 51, "settings": {"phone_number": "+4747474702"}},
            {"label": ["Ensure this field has no more than 50 characters."]},
        ),
    ],
)
def test_create_rejects_bad_input(end_user_client, end_user, body, errors):
    before = DestinationConfig.objects.filter(user=end_user).count()
    response = end_user_client.post(DESTINATIONS, body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert DestinationConfig.objects.filter(user=end_user).count() == before


def test_own_email_address_and_duplicates_are_refused(end_user_client, end_user, other_end_user_client):
    response = end_user_client.post(
        DESTINATIONS, {"media": "email", "settings": {"email_address": end_user.email}}, format="json"
    )
    assert response.json() == {
        "non_field_errors": ["This email address is already registered in another destination."]
    }
    body = {"media": "email", "settings": {"email_address": "x@example.org"}}
    assert end_user_client.post(DESTINATIONS, body, format="json").status_code == 201
    response = end_user_client.post(DESTINATIONS, body, format="json")
    assert response.json() == {"email_address": ["Email address already exists"]}
    # Another user may register the same address.
    assert other_end_user_client.post(DESTINATIONS, body, format="json").status_code == 201
    sms = {"media": "sms", "settings": {"phone_number": "+4747474702"}}
    assert end_user_client.post(DESTINATIONS, sms, format="json").status_code == 201
    response = end_user_client.post(DESTINATIONS, sms, format="json")
    assert response.json() == {"phone_number": ["Phone number already exists"]}


def test_duplicate_label_is_a_400_not_a_500(end_user_client, end_user):
    SMSDestinationFactory(user=end_user, label="work")
    body = {"media": "sms", "label": "work", "settings": {"phone_number": "+4747474702"}}
    response = end_user_client.post(DESTINATIONS, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"label": ['The label "work" is already in use for another SMS destination.']}
    # The same label on another medium is fine.
    body = {"media": "email", "label": "work", "settings": {"email_address": "w@example.org"}}
    assert end_user_client.post(DESTINATIONS, body, format="json").status_code == 201


# --- update ------------------------------------------------------------------------------------------


def test_patch_label_and_settings(end_user_client, end_user):
    destination = SMSDestinationFactory(user=end_user, settings={"phone_number": "+4747474701"})
    url = f"{DESTINATIONS}{destination.pk}/"
    response = end_user_client.patch(
        url, {"label": "home", "settings": {"phone_number": "+4747474709"}}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["label"], response.json()["settings"]) == (
        "home",
        {"phone_number": "+4747474709"},
    )
    # The same number again (itself) is not a duplicate; the same media is fine.
    response = end_user_client.patch(
        url, {"media": "sms", "settings": {"phone_number": "+4747474709"}}, format="json"
    )
    assert response.status_code == 200


def test_patch_media_is_refused_and_put_is_not_allowed(end_user_client, end_user):
    destination = SMSDestinationFactory(user=end_user)
    url = f"{DESTINATIONS}{destination.pk}/"
    response = end_user_client.patch(url, {"media": "email"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Media cannot be updated, only settings."]}
    response = end_user_client.put(url, {"media": "sms", "settings": {}}, format="json")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.'}


def test_patch_bad_settings_changes_nothing(end_user_client, end_user):
    destination = SMSDestinationFactory(user=end_user, label="a", settings={"phone_number": "+4747474701"})
    response = end_user_client.patch(
        f"{DESTINATIONS}{destination.pk}/", {"label": "b", "settings": {"phone_number": "x"}}, format="json"
    )
    assert response.status_code == 400
    destination.refresh_from_db()
    assert (destination.label, destination.settings) == ("a", {"phone_number": "+4747474701"})


def test_patching_the_synced_destination_keeps_the_synced_address(end_user_client, end_user):
    synced = synced_of(end_user)
    response = end_user_client.patch(
        f"{DESTINATIONS}{synced.pk}/", {"settings": {"email_address": "new@example.org"}}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["pk"] == synced.pk
    assert response.json()["settings"] == {"email_address": "new@example.org", "synced": False}
    new_synced = synced_of(end_user)
    assert new_synced.pk != synced.pk
    assert new_synced.settings == {"email_address": end_user.email, "synced": True}


# --- delete / duplicate ---------------------------------------------------------------------------------


def test_delete_destination(end_user_client, end_user):
    destination = SMSDestinationFactory(user=end_user)
    assert end_user_client.delete(f"{DESTINATIONS}{destination.pk}/").status_code == 204
    assert not DestinationConfig.objects.filter(pk=destination.pk).exists()


def test_delete_destination_in_use_is_refused(end_user_client, end_user):
    destination = SMSDestinationFactory(user=end_user)
    timeslot = TimeslotFactory(user=end_user, name="Weekdays")
    NotificationProfileFactory(
        user=end_user,
        timeslot=timeslot,
        name="p1",
        filters=[FilterFactory(user=end_user)],
        destinations=[destination],
    )
    response = end_user_client.delete(f"{DESTINATIONS}{destination.pk}/")
    assert response.status_code == 400
    assert response.json() == [
        "Cannot delete this destination since it is in use in the notification profile(s): p1."
    ]
    assert DestinationConfig.objects.filter(pk=destination.pk).exists()


def test_delete_synced_email_destination_is_refused(end_user_client, end_user):
    response = end_user_client.delete(f"{DESTINATIONS}{synced_of(end_user).pk}/")
    assert response.status_code == 400
    assert response.json() == [
        "Cannot delete this email destination since it was defined by an outside source."
    ]


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_other_users_destination_is_not_found(end_user_client, other_end_user, method):
    theirs = SMSDestinationFactory(user=other_end_user, label="theirs")
    response = getattr(end_user_client, method)(f"{DESTINATIONS}{theirs.pk}/", {"label": "x"}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "No DestinationConfig matches the given query."}
    theirs.refresh_from_db()
    assert theirs.label == "theirs"


def test_duplicate_checks_other_users(end_user_client, end_user, other_end_user):
    mine = SMSDestinationFactory(user=end_user, settings={"phone_number": "+4747474701"})
    lonely = SMSDestinationFactory(user=end_user, settings={"phone_number": "+4747474702"})
    SMSDestinationFactory(user=other_end_user, settings={"phone_number": "+4747474701"})
    assert end_user_client.get(f"{DESTINATIONS}{mine.pk}/duplicate/").json() == {"is_duplicate": True}
    assert end_user_client.get(f"{DESTINATIONS}{lonely.pk}/duplicate/").json() == {"is_duplicate": False}
    response = end_user_client.get(f"{DESTINATIONS}999999/duplicate/")
    assert response.status_code == 400
    assert response.json() == ["Destination with pk=999999 does not exist."]


ARABIC_INDIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize(
    "pk",
    [
        "²",  # a digit to str.isdigit(), not to int()
        lambda mine: str(mine.pk).translate(ARABIC_INDIC_DIGITS),  # int() reads it, we do not
        "abc",
        "0",
        "-1",
        str(2**63),
        "9" * 5000,
    ],
)
def test_duplicate_of_a_pk_that_is_not_one_is_a_400(end_user_client, end_user, pk):
    mine = SMSDestinationFactory(user=end_user, settings={"phone_number": "+4747474701"})
    pk = pk(mine) if callable(pk) else pk
    response = end_user_client.get(f"{DESTINATIONS}{pk}/duplicate/")
    assert response.status_code == 400
    assert response.json() == [f"Destination with pk={pk} does not exist."]


def test_media_table_holds_email_and_sms():
    assert set(Media.objects.values_list("slug", "name")) >= {("email", "Email"), ("sms", "SMS")}
