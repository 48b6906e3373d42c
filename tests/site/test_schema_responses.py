"""Real answers of the main endpoints match the published OpenAPI documents, on v1 and v2.

Each answer is validated against the schema the document gives for its path, method and status
code, by schemathesis (the validator of the fuzz test in tests/integration/test_schema_fuzz.py), so
a key the shape serializers forget, a wrong type or an undocumented status code fails here.
"""

import datetime
import json

import pytest
import requests
import schemathesis
from django.utils import timezone

from tests.factories import SourceSystemFactory
from tests.notificationprofile.factories import SMSDestinationFactory

pytestmark = pytest.mark.django_db

_documents: dict[str, dict] = {}


def document(client, version: str):
    if version not in _documents:
        response = client.get(f"/api/{version}/schema/", {"format": "json"})
        _documents[version] = schemathesis.openapi.from_dict(json.loads(response.content))
    return _documents[version]


def as_schemathesis_response(method: str, url: str, response) -> schemathesis.Response:
    request = requests.Request(method, f"http://testserver{url}").prepare()
    headers = {name: [value] for name, value in response.headers.items()}
    return schemathesis.Response(response.status_code, headers, response.content, request, 0.0, True)


class Checker:
    """Sends requests and checks each answer against the document of its API version."""

    def __init__(self, client, api_client, version: str):
        self.document = document(client, version)
        self.client = api_client
        self.version = version
        self.checked: list[tuple[str, str, int]] = []

    def __call__(self, method: str, template: str, url: str | None = None, data=None, **params):
        url = url or template
        prefix = f"/api/{self.version}/"
        call = getattr(self.client, method.lower())
        if method == "GET":
            response = call(prefix + url, params)
        else:
            response = call(prefix + url, data, format="json")
        self.validate(method, prefix + template, prefix + url, response)
        return response.json() if response.content else None

    def validate(self, method: str, path: str, url: str, response):
        operation = self.document[path][method]
        status = str(response.status_code)
        documented = operation.definition.raw["responses"]
        assert status in documented, f"{method} {path}: undocumented {status} {response.content!r}"
        operation.validate_response(as_schemathesis_response(method, url, response))
        self.checked.append((method, path, response.status_code))


@pytest.fixture
def clients(client_for, end_user, client):
    source = SourceSystemFactory()
    return {
        "source": client_for(source.user),
        "user": client_for(end_user),
        "schema": client,
        "source_system": source,
        "end_user": end_user,
    }


def _now(offset_minutes: int = 0) -> str:
    return (timezone.now() + datetime.timedelta(minutes=offset_minutes)).isoformat()


def _incident_endpoints(check_source, check_user, version: str):
    created = check_source(
        "POST",
        "incidents/",
        data={"start_time": _now(-5), "tags": [{"tag": "host=a.example.org"}], "description": "down"},
    )
    pk = created["pk"]
    check_source("POST", "incidents/", data={"start_time": _now(-4), "end_time": None, "tags": []})
    check_source("POST", "incidents/", data={"start_time": "bogus", "tags": []})
    check_user("GET", "incidents/", page_size=2)
    check_user("GET", "incidents/", open="true", tags="host=a.example.org", count="")
    check_user("GET", "incidents/", level__lte="nope")
    check_user("GET", "incidents/", cursor="not-a-cursor")
    check_source("GET", "incidents/mine/")
    check_user("GET", "incidents/{id}/", f"incidents/{pk}/")
    check_user("GET", "incidents/{id}/", "incidents/999999/")
    check_user("PATCH", "incidents/{id}/", f"incidents/{pk}/", data={"level": 2, "metadata": {"a": 1}})
    check_user("PUT", "incidents/{id}/ticket_url/", f"incidents/{pk}/ticket_url/", data={"ticket_url": "x"})
    check_user("DELETE", "incidents/{id}/", f"incidents/{pk}/")

    events = f"incidents/{pk}/events/"
    event = check_user("POST", "incidents/{incident_pk}/events/", events, data={"type": "OTH"})
    check_user("POST", "incidents/{incident_pk}/events/", events, data={"type": "END"})
    check_user("GET", "incidents/{incident_pk}/events/", events)
    check_user("GET", "incidents/{incident_pk}/events/{id}/", f"{events}{event['pk']}/")

    acks = f"incidents/{pk}/acks/"
    if version == "v1":
        body = {"event": {"timestamp": _now(), "description": "mine"}, "expiration": _now(60)}
    else:
        body = {"timestamp": _now(), "description": "mine", "expiration": None}
    ack = check_user("POST", "incidents/{incident_pk}/acks/", acks, data=body)
    check_user("GET", "incidents/{incident_pk}/acks/", acks)
    check_user("GET", "incidents/{incident_pk}/acks/{id}/", f"{acks}{ack['pk']}/")
    check_user(
        "PATCH", "incidents/{incident_pk}/acks/{id}/", f"{acks}{ack['pk']}/", data={"expiration": None}
    )

    tags = f"incidents/{pk}/tags/"
    check_user("POST", "incidents/{incident_pk}/tags/", tags, data={"tag": "location=oslo"})
    check_user("GET", "incidents/{incident_pk}/tags/", tags)
    check_user("GET", "incidents/{incident_pk}/tags/{tag}/", f"{tags}location=oslo/")
    check_user("GET", "incidents/{incident_pk}/tags/", "incidents/999999/tags/")

    check_user("GET", "incidents/sources/")
    check_user("GET", "incidents/sources/{id}/", f"incidents/sources/{created['source']['pk']}/")
    check_user("POST", "incidents/sources/", data={"name": "x", "type": "nav"})
    check_user("GET", "incidents/source-types/")
    check_user("POST", "incidents/source-types/", data={"name": "zabbix"})
    check_user("GET", "incidents/source-types/{name}/", "incidents/source-types/zabbix/")
    return pk


def _timeslot_and_filter(check, version: str) -> tuple[int, int]:
    timeslot = check(
        "POST",
        "notificationprofiles/timeslots/",
        data={"name": "always", "time_recurrences": [{"days": [1, 2, 3], "all_day": True}]},
    )
    check("GET", "notificationprofiles/timeslots/")
    if version == "v1":
        body = {"name": "nav", "filter_string": '{"sourceSystemIds": [], "tags": ["host=a.example.org"]}'}
    else:
        body = {
            "name": "nav",
            "filter": {"tags": ["host=a.example.org"], "open": True, "event_types": ["STA"]},
        }
    filter_ = check("POST", "notificationprofiles/filters/", data=body)
    check("GET", "notificationprofiles/filters/")
    check("GET", "notificationprofiles/filters/{id}/", f"notificationprofiles/filters/{filter_['pk']}/")
    check("POST", "notificationprofiles/filters/", data={"name": "nav"})
    return timeslot["pk"], filter_["pk"]


def test_v2_answers_match_the_v2_document(client, clients):
    check_source = Checker(client, clients["source"], "v2")
    check = Checker(client, clients["user"], "v2")
    pk = _incident_endpoints(check_source, check, "v2")

    check("GET", "incidents/events/", page_size=1)
    check("POST", "incidents/acks/bulk/", data={"ids": [pk, 999999], "ack": {"timestamp": _now()}})
    check("POST", "incidents/events/bulk/", data={"ids": [999999], "event": {"type": "OTH"}})
    check("POST", "incidents/ticket_url/bulk/", data={"ids": [pk], "ticket_url": "https://t.example.org/1"})
    check("PUT", "incidents/{incident_pk}/automatic-ticket/", f"incidents/{pk}/automatic-ticket/")

    timeslot, filter_ = _timeslot_and_filter(check, "v2")
    destination = check(
        "POST",
        "notificationprofiles/destinations/",
        data={"media": "email", "label": "work", "settings": {"email_address": "work@example.org"}},
    )
    check("GET", "notificationprofiles/destinations/")
    check(
        "GET",
        "notificationprofiles/destinations/{id}/duplicate/",
        f"notificationprofiles/destinations/{destination['pk']}/duplicate/",
    )
    check("GET", "notificationprofiles/media/")
    check(
        "GET",
        "notificationprofiles/media/{slug}/json_schema/",
        "notificationprofiles/media/email/json_schema/",
    )
    profile = check(
        "POST",
        "notificationprofiles/",
        data={"timeslot": timeslot, "filters": [filter_], "destinations": [destination["pk"]]},
    )
    check("GET", "notificationprofiles/")
    check("GET", "notificationprofiles/{id}/incidents/", f"notificationprofiles/{profile['pk']}/incidents/")
    check("POST", "notificationprofiles/filterpreview/", data={"tags": ["host=a.example.org"]})
    check("DELETE", "notificationprofiles/filters/{id}/", f"notificationprofiles/filters/{filter_}/")
    assert len(check.checked) + len(check_source.checked) > 40


def test_destination_test_answers_match_the_v2_document(client, clients, settings):
    check = Checker(client, clients["user"], "v2")
    destination = check(
        "POST",
        "notificationprofiles/destinations/",
        data={"media": "email", "settings": {"email_address": "tested@example.org"}},
    )
    path = "notificationprofiles/destinations/{id}/test/"
    url = f"notificationprofiles/destinations/{destination['pk']}/test/"
    check("POST", path, url)
    check("POST", path, url)
    settings.SEND_NOTIFICATIONS = False
    check("POST", path, url)
    check("POST", path, "notificationprofiles/destinations/999999/test/")
    assert [status for _method, _path, status in check.checked[1:]] == [200, 429, 409, 404]


def test_planned_maintenance_answers_match_the_v2_document(client, clients, client_for, superuser):
    staff = Checker(client, client_for(superuser), "v2")
    reader = Checker(client, clients["user"], "v2")
    source = clients["source_system"]
    filter_ = staff(
        "POST",
        "notificationprofiles/filters/",
        data={"name": "src", "filter": {"sourceSystemIds": [source.pk]}},
    )
    staff("POST", "incidents/", data={"start_time": _now(-1), "tags": [], "source": source.pk})
    task = staff("POST", "plannedmaintenance/", data={"filters": [filter_["pk"]], "description": "upgrade"})
    staff("POST", "plannedmaintenance/", data={"filters": []})
    future = staff("POST", "plannedmaintenance/", data={"filters": [filter_["pk"]], "start_time": _now(60)})
    detail = f"plannedmaintenance/{task['pk']}/"
    reader("GET", "plannedmaintenance/")
    reader("GET", "plannedmaintenance/", state="nope")
    reader("GET", "plannedmaintenance/{id}/", detail)
    reader("GET", "plannedmaintenance/{id}/", "plannedmaintenance/999999/")
    reader("PATCH", "plannedmaintenance/{id}/", detail, data={"description": "x"})
    reader("GET", "plannedmaintenance/{id}/incidents/", f"{detail}incidents/", page_size=1)
    staff("PATCH", "plannedmaintenance/{id}/", detail, data={"description": "y"})
    staff(
        "PUT",
        "plannedmaintenance/{id}/",
        detail,
        data={"start_time": task["start_time"], "filters": [filter_["pk"]]},
    )
    staff("POST", "plannedmaintenance/preview/", data={"filters": [filter_["pk"]], "limit": 1})
    staff("POST", "plannedmaintenance/preview/", data={"filters": [filter_["pk"]], "limit": 101})
    staff("DELETE", "plannedmaintenance/{id}/", detail)
    staff("DELETE", "plannedmaintenance/{id}/", f"plannedmaintenance/{future['pk']}/")
    staff("POST", "plannedmaintenance/{id}/end/", f"{detail}end/")
    staff("POST", "plannedmaintenance/{id}/end/", f"{detail}end/")
    reader("GET", "incidents/", under_maintenance="true")
    assert len(staff.checked) + len(reader.checked) == 20


def test_v1_answers_match_the_v1_document(client, clients):
    check_source = Checker(client, clients["source"], "v1")
    check = Checker(client, clients["user"], "v1")
    _incident_endpoints(check_source, check, "v1")

    check("GET", "incidents/open/")
    check("GET", "incidents/openunacked/", "incidents/open+unacked/")
    check("GET", "incidents/metadata/")

    timeslot, filter_ = _timeslot_and_filter(check, "v1")
    phone = SMSDestinationFactory(user=clients["end_user"])
    profile = check(
        "POST",
        "notificationprofiles/",
        data={"timeslot": timeslot, "filters": [filter_], "media": ["EM", "SM"], "phone_number": phone.pk},
    )
    check("GET", "notificationprofiles/")
    check("GET", "notificationprofiles/{id}/", f"notificationprofiles/{profile['pk']}/")
    check("GET", "notificationprofiles/{id}/incidents/", f"notificationprofiles/{profile['pk']}/incidents/")
    check("POST", "notificationprofiles/preview/", data={"sourceSystemIds": [], "tags": []})
    check("GET", "auth/user/")
    check("GET", "auth/phone-number/")
    assert len(check.checked) + len(check_source.checked) > 35


def test_an_unauthenticated_request_is_a_documented_401(client, api_client):
    Checker(client, api_client, "v2")("GET", "incidents/")
