"""A real server process driven by the pyargus README examples (api/v2), stresstest and bench."""

from __future__ import annotations

import datetime

import httpx
import pytest
from pyargus.client import Client
from pyargus.models import STATELESS, Incident
from pyargus.time import now as utcnow
from rest_framework.authtoken.models import Token

from tests.factories import EndUserFactory, SourceSystemFactory

# django_db: makes pytest-django create the test database; each test only talks HTTP.
pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def seed_data() -> dict:
    source = SourceSystemFactory(name="it_nav", type__name="nav", base_url="http://localhost/")
    other = SourceSystemFactory(name="it_other", type__name="nav")
    end_user = EndUserFactory(username="it_operator")
    return {
        "source": source.pk,
        "source_token": Token.objects.create(user=source.user).key,
        "other_token": Token.objects.create(user=other.user).key,
        "user_token": Token.objects.create(user=end_user).key,
    }


@pytest.fixture(scope="module")
def server(seeded_server):
    (server,), seed = seeded_server
    return server, seed


@pytest.fixture(scope="module")
def client(server):
    server, seed = server
    return Client(api_root_url=f"{server.base_url}/api/v2", token=seed["source_token"], timeout=10)


@pytest.fixture(scope="module")
def other_client(server):
    server, seed = server
    return Client(api_root_url=f"{server.base_url}/api/v2", token=seed["other_token"], timeout=10)


@pytest.fixture(scope="module")
def posted(client, other_client):
    """Three incidents by the source (one acked by the operator) and one by another source."""
    first = client.post_incident(
        Incident(
            description="uninett-gsw1 BGP session with 158.38.3.112 is DOWN",
            start_time=utcnow() - datetime.timedelta(minutes=3),
            source_incident_id="202429",
            details_url="/search/event/202429",
            tags={"host": "uninett-gsw1.uninett.no", "location": "Teknobyen"},
        )
    )
    second = client.post_incident(
        Incident(
            description="The earth was demolished to make way for a hyperspace bypass",
            start_time=utcnow() - datetime.timedelta(minutes=2),
            tags={"host": "earth.example.org"},
        )
    )
    acked = client.post_incident(
        Incident(description="acked one", start_time=utcnow() - datetime.timedelta(minutes=1), tags={})
    )
    foreign = other_client.post_incident(Incident(description="not mine", start_time=utcnow(), tags={}))
    return {"first": first, "second": second, "acked": acked, "foreign": foreign}


def ack(server, incident_pk):
    server, seed = server
    response = httpx.post(
        f"{server.base_url}/api/v2/incidents/{incident_pk}/acks/",
        json={"timestamp": utcnow().isoformat(), "description": "on it"},
        headers={"Authorization": f"Token {seed['user_token']}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text


def test_post_incident_with_tags(posted, server):
    _, seed = server
    first = posted["first"]
    assert first.pk and first.description == "uninett-gsw1 BGP session with 158.38.3.112 is DOWN"
    assert first.source.name == "it_nav" and first.source.pk == seed["source"]
    assert first.details_url == "http://localhost/search/event/202429"
    assert first.tags.allitems() == [("host", "uninett-gsw1.uninett.no"), ("location", "Teknobyen")]
    assert first.stateful is True and first.open is True and first.acked is False
    assert first.level == 5 and first.start_time.tzinfo is not None


def test_list_open_unacked(client, posted, server):
    ack(server, posted["acked"].pk)
    listed = list(client.get_incidents(open=True, acked=False))
    pks = [incident.pk for incident in listed]
    assert posted["acked"].pk not in pks
    assert {posted["first"].pk, posted["second"].pk, posted["foreign"].pk} <= set(pks)
    assert pks == sorted(pks, key=lambda pk: [i.pk for i in listed].index(pk))
    assert all(incident.open and not incident.acked for incident in listed)


def test_list_mine(client, posted):
    mine = [incident.pk for incident in client.get_my_incidents(open=True)]
    assert posted["foreign"].pk not in mine
    assert {posted["first"].pk, posted["second"].pk, posted["acked"].pk} <= set(mine)


def test_pagination_is_followed_by_the_client(client, posted):
    everything = [incident.pk for incident in client.get_incidents(page_size=1)]
    assert len(everything) == len(set(everything)) >= 4


def test_resolve_incident(client, posted):
    event = client.resolve_incident(
        incident=posted["second"].pk, description="The demolition was cancelled", timestamp=utcnow()
    )
    assert (event.type, event.description, event.incident) == (
        "END",
        "The demolition was cancelled",
        posted["second"].pk,
    )
    resolved = client.get_incident(posted["second"].pk)
    assert resolved.open is False and resolved.stateful is True
    assert posted["second"].pk not in [incident.pk for incident in client.get_my_incidents(open=True)]


def test_update_incident_tags(client, posted):
    updated = client.update_incident(
        Incident(pk=posted["first"].pk, tags={"host": "earth.example.org", "location": "Milky way"})
    )
    assert sorted(updated.tags.allitems()) == [("host", "earth.example.org"), ("location", "Milky way")]
    assert sorted(client.get_incident(posted["first"].pk).tags.allitems()) == sorted(updated.tags.allitems())
    changes = [event for event in client.get_incident_events(posted["first"].pk) if event.type == "CHI"]
    assert changes, "a tag change is recorded as a CHI event"


def test_stateless_incident(client):
    stateless = client.post_incident(
        Incident(description="Something happened", start_time=utcnow(), end_time=STATELESS, tags={})
    )
    assert stateless.end_time is STATELESS and stateless.stateful is False and stateless.open is False
    events = client.get_incident_events(stateless.pk)
    assert [event.type for event in events] == ["LES"]
    assert stateless.pk not in [incident.pk for incident in client.get_my_incidents(open=True)]
    assert stateless.pk in [incident.pk for incident in client.get_my_incidents(stateful=False)]


def test_stresstest_command_against_the_server(server):
    import io

    from django.core.management import call_command

    server, seed = server
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "stresstest",
        server.base_url,
        seed["source_token"],
        "-s",
        "1",
        "-w",
        "2",
        "-b",
        stdout=out,
        stderr=err,
    )
    lines = out.getvalue().splitlines()
    assert lines[:3] == [
        "Running stresstest ...",
        "Verifying incidents were created correctly ...",
        "Bulk ACKing incidents ...",
    ]
    assert lines[3].startswith("Stresstest completed. Runtime: 0:00:0")
    created = int(lines[3].split("Incidents created: ")[1].split(".")[0])
    assert created > 0
    acked = httpx.get(
        f"{server.base_url}/api/v2/incidents/mine/",
        params={"acked": "true", "page_size": 1000},
        headers={"Authorization": f"Token {seed['source_token']}"},
    ).json()["results"]
    assert sum(1 for incident in acked if incident["description"] == "Stresstest") == created


def test_stresstest_with_a_bad_token(server):
    import io

    from django.core.management import call_command

    server, _ = server
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("stresstest", server.base_url, "not-a-token", "-s", "0.5", stdout=out, stderr=err)
    assert exit_info.value.code == 1
    assert err.getvalue().strip() == 'HTTP Error 401: {"detail":"Invalid token."}'


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_form_bodies_reach_django_whole_under_daphne(server, encoding):
    """Twisted no longer parses POST forms (argus.site.asgi_http.skip_twisted_form_parsing):
    Django still gets the whole body, in either form encoding."""
    server, _seed = server
    fields = {"username": "it_operator", "password": "password"}
    if encoding == "urlencoded":
        response = httpx.post(f"{server.base_url}/api/v2/token-auth/", data=fields, timeout=10)
    else:
        files = {name: (None, value) for name, value in fields.items()}
        response = httpx.post(f"{server.base_url}/api/v2/token-auth/", files=files, timeout=10)
    assert response.status_code == 200, response.text
    assert len(response.json()["token"]) == 40


def test_bench_workloads_print_one_json_line_each(server, capsys):
    import json

    from bench import run as bench_run

    server, seed = server
    argv = ["--base-url", server.base_url, "--token", seed["source_token"], "--clients", "2"]
    argv += ["--seconds", "0.5", "--repeat", "2", "--list-tag", "host=earth.example.org"]
    assert bench_run.main(argv) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["workload"], r.get("api")) for r in records] == [
        ("ingest", "v1"),
        ("ingest", "v2"),
        ("churn", "v2"),
        ("list", None),
        ("mine", None),
        ("cursor-walk", None),
        ("broad-list-open-v1", None),
        ("broad-list-open-v2", None),
        ("broad-list-open-mine", None),
        ("broad-list-all-v2", None),
        ("broad-list-walk", None),
        ("metrics", None),
        ("under-maintenance-true", None),
        ("under-maintenance-false", None),
    ]
    assert records[-3]["page_bytes"] > 0
    ingest_v2 = records[1]
    assert (
        ingest_v2["created"] > 0 and ingest_v2["errors"] == {} and ingest_v2["p95_ms"] >= ingest_v2["p50_ms"]
    )
    assert records[2]["operations"] > 0 and records[2]["errors"] == {}
    assert all(r["errors"] == {} for r in records[3:])
    assert records[4]["rows_on_page"] > 0


def test_bench_writes_with_httpx_too(server, capsys):
    import json

    from bench import run as bench_run

    server, seed = server
    argv = [
        "--base-url",
        server.base_url,
        "--token",
        seed["source_token"],
        "--clients",
        "2",
        "--seconds",
        "0.3",
    ]
    assert bench_run.main([*argv, "--workload", "ingest", "churn", "--http-client", "httpx"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["workload"] for r in records] == ["ingest", "ingest", "churn"]
    assert all(r["errors"] == {} for r in records) and records[1]["created"] > 0


def test_bench_reads_the_unpaginated_lists_and_the_servers_memory(server, capsys):
    import json

    from bench import run as bench_run

    server, seed = server
    argv = ["--base-url", server.base_url, "--token", seed["source_token"], "--workload", "unpaginated"]
    argv += ["--repeat-unpaginated", "1", "--server-pids", str(server.process.pid)]
    assert bench_run.main(argv) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["workload"] for r in records] == ["unpaginated-open", "unpaginated-open+unacked"]
    for record in records:
        assert record["errors"] == {} and record["incidents"] >= 0
        (memory,) = record["rss_mb"].values()
        assert memory["peak"] >= memory["before"] > 0 and "server_cpu_ms_per_request" in record


def test_bench_refuses_a_bad_token(server, capsys):
    from bench import run as bench_run

    server, _ = server
    assert bench_run.main(["--base-url", server.base_url, "--token", "nope"]) == 1
    assert "answered 401" in capsys.readouterr().err
