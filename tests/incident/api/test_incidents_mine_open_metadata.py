"""mine/ (§4.7), v1 open/ and open+unacked/ (§4.8), v1 metadata/ (§4.9), filter_pk and
notificationprofile_pk (§5.2, notifications.md §11.3)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from argus.incident import services
from argus.incident.api import views_incidents
from tests.factories import SourceSystemFactory
from tests.notificationprofile.factories import FilterFactory, NotificationProfileFactory

pytestmark = pytest.mark.django_db


def pks(response):
    assert response.status_code == 200, response.content
    data = response.json()
    return [item["pk"] for item in (data["results"] if isinstance(data, dict) else data)]


@pytest.fixture
def mixed(make_incident, other_source_system, end_user):
    now = timezone.now()
    mine_open = make_incident(
        start_time=now - timedelta(hours=1), tags=["host=a"], level=1, description="alpha"
    )
    mine_closed = make_incident(start_time=now - timedelta(hours=2), end_time=now - timedelta(minutes=1))
    mine_stateless = make_incident(start_time=now - timedelta(hours=3), end_time=None)
    other_open = make_incident(
        source=other_source_system, start_time=now - timedelta(minutes=30), tags=["host=a"]
    )
    other_acked = make_incident(source=other_source_system, start_time=now - timedelta(minutes=20))
    services.acknowledgement_create(incident=other_acked, actor=end_user)
    return {
        "mine_open": mine_open, "mine_closed": mine_closed, "mine_stateless": mine_stateless,
        "other_open": other_open, "other_acked": other_acked,
    }  # fmt: skip


def test_mine_lists_only_the_requesters_incidents(source_client, mixed, version):
    response = source_client.get(f"/api/{version}/incidents/mine/")
    assert pks(response) == [mixed["mine_open"].pk, mixed["mine_closed"].pk, mixed["mine_stateless"].pk]
    assert list(response.json()) == ["next", "previous", "results"]


def test_mine_is_empty_for_end_users(end_user_client, mixed, version):
    assert pks(end_user_client.get(f"/api/{version}/incidents/mine/")) == []


@pytest.mark.parametrize(
    "query, expected",
    [
        ("open=true", ["mine_open"]),
        ("open=false", ["mine_closed"]),
        ("stateful=false", ["mine_stateless"]),
        ("tags=host=a", ["mine_open"]),
        ("end_time__isnull=true", ["mine_stateless"]),
        # list-only parameters are ignored on mine/
        ("level__lte=1", ["mine_open", "mine_closed", "mine_stateless"]),
        ("search=alpha", ["mine_open", "mine_closed", "mine_stateless"]),
        ("id__in=x&source__id__in=y&source__type__in=nope", ["mine_open", "mine_closed", "mine_stateless"]),
    ],
)
def test_mine_filters(source_client, mixed, version, query, expected):
    response = source_client.get(f"/api/{version}/incidents/mine/?{query}")
    assert pks(response) == [mixed[name].pk for name in expected]


def test_mine_filter_errors_and_count(source_client, mixed, version):
    response = source_client.get(f"/api/{version}/incidents/mine/?tags=bad")
    assert response.status_code == 400 and list(response.json()) == ["tags"]
    response = source_client.get(f"/api/{version}/incidents/mine/?count=&open=true")
    assert response.json() == {"count": 1, "params": {"count": "", "open": "true"}}


def test_v1_open_is_a_plain_array_ignoring_parameters(end_user_client, mixed):
    response = end_user_client.get("/api/v1/incidents/open/?open=false&page_size=1")
    assert pks(response) == [mixed[n].pk for n in ("other_acked", "other_open", "mine_open")]
    assert "metadata" not in response.json()[0]
    assert response.streamed and response["Content-Type"] == "application/json"  # in batches


def test_v1_open_is_one_list_however_many_batches_it_is_written_in(end_user_client, mixed, monkeypatch):
    whole = end_user_client.get("/api/v1/incidents/open/").content
    monkeypatch.setattr(views_incidents, "UNPAGINATED_BATCH_SIZE", 1)
    assert end_user_client.get("/api/v1/incidents/open/").content == whole


# "openunacked/" is the path the OpenAPI document shows (it cannot show "+").
@pytest.mark.parametrize("path", ["open+unacked/", "open%2Bunacked/", "openunacked/"])
def test_v1_open_unacked(end_user_client, mixed, path):
    response = end_user_client.get(f"/api/v1/incidents/{path}")
    assert pks(response) == [mixed["other_open"].pk, mixed["mine_open"].pk]


def test_v1_metadata_lists_sources_in_pk_order(end_user_client, source_system, other_source_system):
    extra = SourceSystemFactory(base_url="https://x.example.org/")
    response = end_user_client.get("/api/v1/incidents/metadata/")
    assert response.status_code == 200
    assert response.json() == {
        "sourceSystems": [
            {
                "pk": s.pk,
                "name": s.name,
                "type": {"name": s.type_id},
                "user": s.user_id,
                "base_url": s.base_url,
            }
            for s in (source_system, other_source_system, extra)
        ]
    }


@pytest.mark.parametrize("path", ["open/", "open+unacked/", "metadata/"])
def test_v1_only_endpoints_are_absent_in_v2(end_user_client, path):
    response = end_user_client.get(f"/api/v2/incidents/{path}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("path", ["open/", "open+unacked/", "metadata/"])
def test_v1_only_endpoints_need_auth_and_get(api_client, end_user_client, path):
    assert api_client.get(f"/api/v1/incidents/{path}").status_code == 401
    response = end_user_client.post(f"/api/v1/incidents/{path}", {}, format="json")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.'}


def test_filter_pk_uses_the_requesters_filter_only(
    end_user, end_user_client, other_end_user_client, mixed, source_system, version
):
    own = FilterFactory(user=end_user, filter={"sourceSystemIds": [source_system.pk], "maxlevel": 2})
    url = f"/api/{version}/incidents/?filter_pk={own.pk}"
    assert pks(end_user_client.get(url)) == [mixed["mine_open"].pk]
    assert pks(other_end_user_client.get(url)) == []
    assert other_end_user_client.get(url + "&count").json()["count"] == 0
    assert pks(end_user_client.get(f"/api/{version}/incidents/?filter_pk=999999")) == []
    empty = FilterFactory(user=end_user, filter={})
    assert pks(end_user_client.get(f"/api/{version}/incidents/?filter_pk={empty.pk}")) == []


def test_notificationprofile_pk_is_the_union_of_its_filters(
    end_user, end_user_client, other_end_user_client, mixed, version
):
    first = FilterFactory(user=end_user, filter={"acked": True})
    second = FilterFactory(user=end_user, filter={"stateful": False})
    profile = NotificationProfileFactory(user=end_user, filters=[first, second])
    url = f"/api/{version}/incidents/?notificationprofile_pk={profile.pk}"
    assert pks(end_user_client.get(url)) == [mixed["other_acked"].pk, mixed["mine_stateless"].pk]
    assert pks(other_end_user_client.get(url)) == []
    assert pks(end_user_client.get(f"/api/{version}/incidents/?notificationprofile_pk=999999")) == []


def test_filter_pk_on_mine(source_user, source_client, mixed, version):
    own = FilterFactory(user=source_user, filter={"tags": ["host=a"]})
    response = source_client.get(f"/api/{version}/incidents/mine/?filter_pk={own.pk}")
    assert pks(response) == [mixed["mine_open"].pk]


@pytest.mark.parametrize("param", ["filter_pk", "notificationprofile_pk"])
def test_huge_filter_and_profile_pks_are_empty_results(end_user_client, mixed, param, version):
    response = end_user_client.get(f"/api/{version}/incidents/?{param}=99999999999999999999999")
    assert pks(response) == []
