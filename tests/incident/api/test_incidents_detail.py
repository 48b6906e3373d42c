"""GET/PATCH/PUT/DELETE incidents/<pk>/ and PUT <pk>/ticket_url/ (incidents.md §4.3–§4.6)."""

import pytest
from django.test import override_settings

from argus.incident.models import Event, Incident, IncidentTagRelation, Tag
from tests.factories import SourceSystemFactory

pytestmark = pytest.mark.django_db

V2_KEYS = [
    "pk", "start_time", "end_time", "source", "source_incident_id", "details_url", "description",
    "level", "ticket_url", "metadata", "tags", "stateful", "open", "acked",
]  # fmt: skip


def chi_events(incident):
    return list(
        Event.objects.filter(incident=incident, type="CHI")
        .order_by("id")
        .values_list("description", flat=True)
    )


def tag_set(data):
    return {tag["tag"] for tag in data["tags"]}


@pytest.fixture
def incident(make_incident):
    return make_incident(tags=["host=b1", "spaced=value with spaces"], description="b2", level=3)


# --- GET -------------------------------------------------------------------------------------------


def test_get_one(end_user_client, incidents_url, incident, version):
    response = end_user_client.get(f"{incidents_url}{incident.pk}/")
    assert response.status_code == 200
    data = response.json()
    assert data["pk"] == incident.pk and ("metadata" in data) == (version == "v2")
    assert tag_set(data) == {"host=b1", "spaced=value with spaces"}


def test_details_url_is_joined_to_the_source_base_url(end_user_client, incidents_url, make_incident):
    source = SourceSystemFactory(base_url="https://zabbix.example.org/")
    relative = make_incident(source=source, details_url="search/event/1")
    response = end_user_client.get(f"{incidents_url}{relative.pk}/")
    assert response.json()["details_url"] == "https://zabbix.example.org/search/event/1"


@pytest.mark.parametrize(
    "pk, detail",
    [
        ("999999", "No Incident matches the given query."),
        ("abc", "Not found."),
        ("²", "Not found."),  # a digit to str.isdigit(), not to int()
        ("١", "Not found."),  # a digit to int(), not an ASCII digit
        ("-1", "No Incident matches the given query."),
        (str(2**70), "No Incident matches the given query."),
    ],
)
def test_get_unknown(end_user_client, incidents_url, pk, detail):
    response = end_user_client.get(f"{incidents_url}{pk}/")
    assert response.status_code == 404
    assert response.json() == {"detail": detail}


def test_get_needs_auth(api_client, incidents_url, incident):
    assert api_client.get(f"{incidents_url}{incident.pk}/").status_code == 401


def test_missing_trailing_slash_redirects(end_user_client, incidents_url, incident):
    response = end_user_client.get(f"{incidents_url}{incident.pk}")
    assert response.status_code == 301
    assert response["Location"].endswith(f"{incidents_url}{incident.pk}/")


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_missing_trailing_slash_redirects_every_method(
    end_user_client, incidents_url, incident, method, debug
):
    with override_settings(DEBUG=debug):
        response = getattr(end_user_client, method)(f"{incidents_url}{incident.pk}?x=1", {}, format="json")
    assert response.status_code == 301
    assert response["Location"] == f"{incidents_url}{incident.pk}/?x=1"


def test_post_to_detail_is_405(end_user_client, incidents_url, incident):
    response = end_user_client.post(f"{incidents_url}{incident.pk}/", {}, format="json")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.'}


# --- PATCH / PUT -----------------------------------------------------------------------------------


def test_patch_fields_creates_one_chi_event_per_change_and_answers_v2_shape(
    end_user, end_user_client, incidents_url, incident
):
    response = end_user_client.patch(
        f"{incidents_url}{incident.pk}/",
        {
            "level": 2, "description": "b2 changed", "details_url": "new/path",
            "ticket_url": "https://tickets.example.org/397", "metadata": {"a": 1},
        },
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    data = response.json()
    assert list(data) == V2_KEYS
    assert (data["level"], data["description"], data["metadata"]) == (2, "b2 changed", {"a": 1})
    assert data["ticket_url"] == "https://tickets.example.org/397"
    assert set(chi_events(incident)) == {
        'Change: "level": 3 → 2',
        'Change: "description": b2 → b2 changed',
        'Change: "details_url":  → new/path',
        'Change: "ticket_url":  → https://tickets.example.org/397',
        'Change: "metadata": 0 item(s) → 1 item(s)',
    }
    assert set(Event.objects.filter(type="CHI").values_list("actor_id", flat=True)) == {end_user.pk}
    assert "b2 changed" in Incident.objects.get(pk=incident.pk).search_text


def test_patch_same_values_creates_no_event(end_user_client, incidents_url, incident):
    response = end_user_client.patch(
        f"{incidents_url}{incident.pk}/", {"level": 3, "description": "b2"}, format="json"
    )
    assert response.status_code == 200
    assert chi_events(incident) == []


def test_patch_by_another_source_system_is_allowed(client_for, other_source_system, incidents_url, incident):
    client = client_for(other_source_system.user)
    response = client.patch(f"{incidents_url}{incident.pk}/", {"level": 1}, format="json")
    assert response.status_code == 200 and response.json()["level"] == 1


def test_patch_tags_adds_and_removes_own_tags_with_one_chi_event(
    source_client, source_user, incidents_url, incident
):
    response = source_client.patch(
        f"{incidents_url}{incident.pk}/",
        {"tags": [{"tag": "host=b1"}, {"tag": "added=byuser"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert tag_set(response.json()) == {"host=b1", "added=byuser"}
    assert chi_events(incident) == [
        "Change: \"tags\": ['host=b1', 'spaced=value with spaces'] → ['added=byuser', 'host=b1']"
    ]
    assert IncidentTagRelation.objects.get(incident=incident, tag__key="added").added_by == source_user


def test_patch_same_tags_creates_no_event(source_client, incidents_url, incident):
    tags = [{"tag": "spaced=value with spaces"}, {"tag": "host=b1"}]
    response = source_client.patch(f"{incidents_url}{incident.pk}/", {"tags": tags}, format="json")
    assert response.status_code == 200
    assert chi_events(incident) == []


def test_removing_someone_elses_tag_is_refused_and_changes_nothing(end_user_client, incidents_url, incident):
    response = end_user_client.patch(
        f"{incidents_url}{incident.pk}/", {"tags": [{"tag": "new=one"}], "level": 1}, format="json"
    )
    assert response.status_code == 400
    message = "Cannot remove this tag when you're not the one who added it."
    assert response.json() == {"host=b1": message, "spaced=value with spaces": message}
    incident.refresh_from_db()
    assert incident.level == 3 and not Tag.objects.filter(key="new").exists()
    assert chi_events(incident) == []


def test_superuser_may_remove_any_tag(superuser_client, incidents_url, incident):
    response = superuser_client.patch(f"{incidents_url}{incident.pk}/", {"tags": []}, format="json")
    assert response.status_code == 200
    assert response.json()["tags"] == []


def test_patch_rejects_non_editable_keys_first(end_user_client, incidents_url, incident):
    response = end_user_client.patch(
        f"{incidents_url}{incident.pk}/",
        {"pk": 1, "foo": 1, "source": 1, "end_time": None, "stateful": True, "level": 99},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "pk": "The field is not allowed to be changed.",
        "foo": "The field does not exist.",
        "source": "The field is not allowed to be changed.",
        "end_time": "The field is not allowed to be changed.",
        "stateful": "The field does not exist.",
    }
    assert list(response.json()) == ["pk", "foo", "source", "end_time", "stateful"]


@pytest.mark.parametrize(
    "key", ["start_time", "source_incident_id", "search_text", "id", "events", "incident_tag_relations"]
)
def test_model_fields_are_not_changeable(end_user_client, incidents_url, incident, key):
    response = end_user_client.patch(f"{incidents_url}{incident.pk}/", {key: "x"}, format="json")
    assert response.json() == {key: "The field is not allowed to be changed."}


def test_patch_list_body_is_iterated_like_keys(end_user_client, incidents_url, incident):
    response = end_user_client.patch(f"{incidents_url}{incident.pk}/", [1], format="json")
    assert response.status_code == 400
    assert response.json() == {"1": "The field does not exist."}


@pytest.mark.parametrize(
    "body, errors",
    [
        ({"ticket_url": ""}, {"ticket_url": ["Enter a valid URL."]}),
        ({"ticket_url": "nope"}, {"ticket_url": ["Enter a valid URL."]}),
        ({"ticket_url": None}, {"ticket_url": ["This field may not be null."]}),
        ({"level": 6}, {"level": ['"6" is not a valid choice.']}),
        ({"description": None}, {"description": ["This field may not be null."]}),
        ({"metadata": None}, {"metadata": ["This field may not be null."]}),
        ({"metadata": {"\u0000": 1}}, {"metadata": ["Null characters are not allowed."]}),
        ({"description": "a\u0000"}, {"description": ["Null characters are not allowed."]}),
        (
            {"tags": [{"tag": "Bad=1"}]},
            {
                "tags": {
                    "0": {
                        "tag": "['Enter a valid key consisting of lowercase letters, numbers and underscores.']"
                    }
                }
            },
        ),
    ],
)
def test_patch_field_validation(end_user_client, incidents_url, incident, body, errors):
    response = end_user_client.patch(f"{incidents_url}{incident.pk}/", body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert chi_events(incident) == []


@pytest.mark.parametrize(
    "tag, message",
    [
        ("k=" + "v" * 1_000_000, "The value of the tag cannot be longer than 600 characters."),
        ("k" * 101 + "=v", "The key of the tag cannot be longer than 100 characters."),
    ],
)
def test_patch_with_a_tag_over_the_length_limits_is_400(
    end_user_client, incidents_url, incident, tag, message
):
    response = end_user_client.patch(
        f"{incidents_url}{incident.pk}/", {"tags": [{"tag": tag}]}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"tags": {"0": {"tag": message}}}
    assert chi_events(incident) == []


def test_patch_replaces_thousands_of_tags(source_client, make_incident, source_system):
    """More tags than one SQL statement reads or writes: they go in chunks."""
    incident = make_incident(tags=[f"old=v{i}" for i in range(1500)])
    new_tags = [{"tag": f"new=v{i}"} for i in range(1500)] + [{"tag": "old=v7"}]
    response = source_client.patch(f"/api/v2/incidents/{incident.pk}/", {"tags": new_tags}, format="json")
    assert response.status_code == 200
    assert tag_set(response.json()) == {tag["tag"] for tag in new_tags}
    assert IncidentTagRelation.objects.filter(incident=incident).count() == 1501


def test_put_requires_tags(source_client, incidents_url, incident):
    response = source_client.put(f"{incidents_url}{incident.pk}/", {"level": 1}, format="json")
    assert response.status_code == 400
    assert response.json() == {"tags": ["This field is required."]}
    response = source_client.put(
        f"{incidents_url}{incident.pk}/", {"level": 1, "tags": [{"tag": "host=b1"}]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["level"] == 1 and tag_set(response.json()) == {"host=b1"}


def test_v1_patch_answers_v2_shape_and_changes_metadata(end_user_client, incident):
    response = end_user_client.patch(
        f"/api/v1/incidents/{incident.pk}/", {"metadata": {"x": 1}}, format="json"
    )
    assert response.status_code == 200
    assert list(response.json()) == V2_KEYS and response.json()["metadata"] == {"x": 1}


def test_patch_unknown_incident(end_user_client, incidents_url):
    response = end_user_client.patch(f"{incidents_url}999999/", {"level": 1}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Incident matches the given query."}


def test_patch_needs_auth(api_client, incidents_url, incident):
    assert api_client.patch(f"{incidents_url}{incident.pk}/", {"level": 1}, format="json").status_code == 401


# --- DELETE ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("pk", ["own", "999999"])
def test_delete_is_off_by_default(superuser_client, incidents_url, incident, pk):
    pk = incident.pk if pk == "own" else pk
    response = superuser_client.delete(f"{incidents_url}{pk}/")
    assert response.status_code == 405
    assert response.json() == {
        "detail": "Deletion of incidents is turned off, see setting INDELIBLE_INCIDENTS"
    }
    assert Incident.objects.filter(pk=incident.pk).exists()


@override_settings(INDELIBLE_INCIDENTS=False)
@pytest.mark.parametrize("who", ["superuser_client", "source_client"])
def test_delete_when_enabled_by_superuser_or_owner(request, incidents_url, incident, end_user, who):
    from argus.incident import services

    services.acknowledgement_create(incident=incident, actor=end_user)
    response = request.getfixturevalue(who).delete(f"{incidents_url}{incident.pk}/")
    assert response.status_code == 204
    assert not Incident.objects.filter(pk=incident.pk).exists()
    assert not Event.objects.filter(incident_id=incident.pk).exists()


@override_settings(INDELIBLE_INCIDENTS=False)
@pytest.mark.parametrize("who", ["end_user_client", "other_source"])
def test_delete_when_enabled_refuses_others(
    request, client_for, other_source_system, incidents_url, incident, who
):
    client = client_for(other_source_system.user) if who == "other_source" else request.getfixturevalue(who)
    response = client.delete(f"{incidents_url}{incident.pk}/")
    assert response.status_code == 403
    assert "is not originating source, may not delete incident" in response.json()["detail"]
    assert Incident.objects.filter(pk=incident.pk).exists()


@override_settings(INDELIBLE_INCIDENTS=False)
def test_delete_unknown_when_enabled(superuser_client, incidents_url):
    assert superuser_client.delete(f"{incidents_url}999999/").status_code == 404


# --- ticket_url/ -----------------------------------------------------------------------------------


def test_put_ticket_url_any_string_with_chi_event(end_user_client, incidents_url, incident):
    url = f"{incidents_url}{incident.pk}/ticket_url/"
    response = end_user_client.put(url, {"ticket_url": "not a url", "level": 1}, format="json")
    assert response.status_code == 200
    assert response.json() == {"ticket_url": "not a url"}
    assert chi_events(incident) == ['Change: "ticket_url":  → not a url']
    assert Incident.objects.get(pk=incident.pk).level == 3
    assert end_user_client.put(url, {"ticket_url": "not a url"}, format="json").status_code == 200
    assert len(chi_events(incident)) == 1  # same value: no event
    response = end_user_client.put(url, {"ticket_url": ""}, format="json")
    assert response.json() == {"ticket_url": ""}
    assert chi_events(incident)[-1] == 'Change: "ticket_url": not a url → '


def test_put_ticket_url_without_value_is_400(end_user_client, incidents_url, incident):
    response = end_user_client.put(f"{incidents_url}{incident.pk}/ticket_url/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"ticket_url": ["This field is required."]}


def test_ticket_url_unknown_incident_and_other_methods(end_user_client, incidents_url, incident):
    response = end_user_client.put(f"{incidents_url}999999/ticket_url/", {"ticket_url": "x"}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Incident matches the given query."}
    for method in ("get", "post", "patch"):
        response = getattr(end_user_client, method)(f"{incidents_url}{incident.pk}/ticket_url/")
        assert response.status_code == 405
        assert response.json() == {"detail": f'Method "{method.upper()}" not allowed.'}
