"""auth.md §4.6: v1 phone numbers, stored as the user's SMS destinations."""

import pytest

from argus.auth import services
from argus.notificationprofile.choices import EMAIL_MEDIA_NAME, EMAIL_MEDIA_SLUG, SMS_MEDIA_SLUG
from argus.notificationprofile.models import DestinationConfig, Media

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/auth/phone-number/"
INVALID = {"phone_number": ["Enter a valid phone number (e.g. +12125552368)."]}
REQUIRED = {"phone_number": ["This field is required."]}
EXISTS = {"phone_number": ["Phone number already exists"]}


def detail_url(pk):
    return f"{LIST_URL}{pk}/"


@pytest.fixture
def number(end_user):
    return services.phone_number_create(user=end_user, phone_number="+4790909090")


@pytest.fixture
def others_number(other_end_user):
    return services.phone_number_create(user=other_end_user, phone_number="+4791234567")


def stored_numbers(user):
    return [d.settings["phone_number"] for d in services.phone_numbers_of(user)]


# list / create -----------------------------------------------------------------------------------


def test_list_shows_only_own_numbers_in_pk_order(end_user, end_user_client, others_number):
    first = services.phone_number_create(user=end_user, phone_number="+4790909090")
    second = services.phone_number_create(user=end_user, phone_number="+14155552671")
    response = end_user_client.get(LIST_URL)
    assert response.status_code == 200
    assert response.json() == [
        {"pk": first.pk, "user": end_user.pk, "phone_number": "+4790909090"},
        {"pk": second.pk, "user": end_user.pk, "phone_number": "+14155552671"},
    ]


def test_list_query_count_is_constant(end_user, end_user_client, django_assert_max_num_queries):
    for number in ["+4790909090", "+4791234567", "+14155552671", "+442071838750"]:
        services.phone_number_create(user=end_user, phone_number=number)
    with django_assert_max_num_queries(3):
        assert len(end_user_client.get(LIST_URL).json()) == 4


@pytest.mark.parametrize(
    "given, stored",
    [
        ("+4790909090", "+4790909090"),
        ("+47 67 67 67 67", "+4767676767"),
        ("+4791234567", "+4791234567"),
        ("+14155552671", "+14155552671"),
        ("+442071838750", "+442071838750"),
    ],
)
def test_create_accepts_valid_international_numbers(end_user, end_user_client, given, stored):
    response = end_user_client.post(LIST_URL, {"phone_number": given}, format="json")
    assert response.status_code == 201
    destination = services.phone_numbers_of(end_user).get()
    assert response.json() == {"pk": destination.pk, "user": end_user.pk, "phone_number": stored}
    assert destination.media_id == SMS_MEDIA_SLUG
    assert destination.settings == {"phone_number": stored}


@pytest.mark.parametrize("given", ["90909090", "+4712345678", "abc", "+", "+47"])
def test_create_rejects_invalid_numbers(end_user, end_user_client, given):
    response = end_user_client.post(LIST_URL, {"phone_number": given}, format="json")
    assert response.status_code == 400
    assert response.json() == INVALID
    assert not DestinationConfig.objects.filter(media_id=SMS_MEDIA_SLUG).exists()


@pytest.mark.parametrize("given", [123, None, ["+4790909090"], {"a": 1}, True])
def test_create_rejects_non_strings_without_crashing(end_user_client, given):
    response = end_user_client.post(LIST_URL, {"phone_number": given}, format="json")
    assert response.status_code == 400
    assert "phone_number" in response.json()
    assert not DestinationConfig.objects.filter(media_id=SMS_MEDIA_SLUG).exists()


@pytest.mark.parametrize("data", [{"phone_number": ""}, {}, {"pk": 3}])
def test_create_requires_the_number(end_user_client, data):
    response = end_user_client.post(LIST_URL, data, format="json")
    assert response.status_code == 400
    assert response.json() == REQUIRED


def test_create_ignores_other_keys(end_user, end_user_client, others_number):
    response = end_user_client.post(
        LIST_URL, {"pk": others_number.pk, "user": 999, "phone_number": "+4790909090"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["pk"] != others_number.pk
    assert response.json()["user"] == end_user.pk
    assert stored_numbers(end_user) == ["+4790909090"]


def test_create_rejects_a_duplicate_in_any_spelling(end_user, end_user_client, number):
    response = end_user_client.post(LIST_URL, {"phone_number": "+47 90 90 90 90"}, format="json")
    assert response.status_code == 400
    assert response.json() == EXISTS
    assert stored_numbers(end_user) == ["+4790909090"]


def test_another_user_may_have_the_same_number(other_end_user_client, number):
    response = other_end_user_client.post(LIST_URL, {"phone_number": "+4790909090"}, format="json")
    assert response.status_code == 201


def test_create_accepts_form_data(end_user, end_user_client):
    response = end_user_client.post(LIST_URL, {"phone_number": "+4790909090"})
    assert response.status_code == 201


def test_phone_numbers_need_authentication(api_client):
    response = api_client.get(LIST_URL)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_v2_has_no_phone_number_endpoint(end_user_client, number):
    for url in ["/api/v2/auth/phone-number/", f"/api/v2/auth/phone-number/{number.pk}/"]:
        response = end_user_client.get(url)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")


# detail ------------------------------------------------------------------------------------------


def test_get_own_number(end_user, end_user_client, number):
    response = end_user_client.get(detail_url(number.pk))
    assert response.status_code == 200
    assert response.json() == {"pk": number.pk, "user": end_user.pk, "phone_number": "+4790909090"}


@pytest.mark.parametrize("pk", ["others", 999999, 0, -1, "abc", 10**30])
def test_get_unknown_or_others_number_is_404(end_user_client, others_number, pk):
    pk = others_number.pk if pk == "others" else pk
    response = end_user_client.get(detail_url(pk))
    assert response.status_code == 404
    assert response.json() == {"detail": "No DestinationConfig matches the given query."}


def test_email_destination_is_not_a_phone_number(end_user, end_user_client):
    media, _ = Media.objects.get_or_create(slug=EMAIL_MEDIA_SLUG, defaults={"name": EMAIL_MEDIA_NAME})
    email, _ = DestinationConfig.objects.get_or_create(
        user=end_user, media=media, settings={"email_address": end_user.email}
    )
    assert end_user_client.get(detail_url(email.pk)).status_code == 404
    assert end_user_client.get(LIST_URL).json() == []


def test_put_updates_with_201(end_user, end_user_client, number):
    response = end_user_client.put(detail_url(number.pk), {"phone_number": "+47 91 23 45 67"}, format="json")
    assert response.status_code == 201
    assert response.json() == {"pk": number.pk, "user": end_user.pk, "phone_number": "+4791234567"}
    assert stored_numbers(end_user) == ["+4791234567"]


def test_put_to_the_same_number_is_a_duplicate(end_user, end_user_client, number):
    response = end_user_client.put(detail_url(number.pk), {"phone_number": "+4790909090"}, format="json")
    assert response.status_code == 400
    assert response.json() == EXISTS


def test_put_to_an_unknown_pk_creates_a_new_number(end_user, end_user_client, number):
    response = end_user_client.put(detail_url(999999), {"phone_number": "+4791234567"}, format="json")
    assert response.status_code == 201
    assert response.json()["pk"] not in (number.pk, 999999)
    assert stored_numbers(end_user) == ["+4790909090", "+4791234567"]


def test_put_to_others_pk_creates_a_new_number_and_leaves_theirs(
    end_user, other_end_user, end_user_client, others_number
):
    response = end_user_client.put(
        detail_url(others_number.pk), {"phone_number": "+4790909090"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["pk"] != others_number.pk
    assert response.json()["user"] == end_user.pk
    assert stored_numbers(other_end_user) == ["+4791234567"]
    assert stored_numbers(end_user) == ["+4790909090"]


@pytest.mark.parametrize("data, errors", [({"phone_number": "abc"}, INVALID), ({}, REQUIRED)])
def test_put_validates(end_user, end_user_client, number, data, errors):
    response = end_user_client.put(detail_url(number.pk), data, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert stored_numbers(end_user) == ["+4790909090"]


def test_patch_updates_with_201(end_user, end_user_client, number):
    response = end_user_client.patch(detail_url(number.pk), {"phone_number": "+14155552671"}, format="json")
    assert response.status_code == 201
    assert response.json() == {"pk": number.pk, "user": end_user.pk, "phone_number": "+14155552671"}


@pytest.mark.parametrize("pk", ["others", 999999])
def test_patch_unknown_or_others_number_is_404(other_end_user, end_user_client, others_number, pk):
    pk = others_number.pk if pk == "others" else pk
    response = end_user_client.patch(detail_url(pk), {"phone_number": "+14155552671"}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "No DestinationConfig matches the given query."}
    assert stored_numbers(other_end_user) == ["+4791234567"]


def test_patch_validates(end_user, end_user_client, number):
    response = end_user_client.patch(detail_url(number.pk), {"phone_number": "90909090"}, format="json")
    assert response.status_code == 400
    assert response.json() == INVALID


def test_delete_own_number(end_user, end_user_client, number):
    response = end_user_client.delete(detail_url(number.pk))
    assert response.status_code == 204
    assert stored_numbers(end_user) == []


@pytest.mark.parametrize("pk", ["others", 999999])
def test_delete_unknown_or_others_number_is_404(other_end_user, end_user_client, others_number, pk):
    pk = others_number.pk if pk == "others" else pk
    response = end_user_client.delete(detail_url(pk))
    assert response.status_code == 404
    assert response.json() == {"detail": "No DestinationConfig matches the given query."}
    assert stored_numbers(other_end_user) == ["+4791234567"]


def test_superuser_does_not_see_others_numbers_in_the_v1_list(superuser_client, number):
    assert superuser_client.get(LIST_URL).json() == []
