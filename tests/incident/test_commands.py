"""Management commands of the incident app (operations.md §1.2-§1.4, §1.7, §1.9)."""

import datetime
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.authtoken.models import Token

from argus.incident.choices import EventType
from argus.incident.management.commands import create_fake_incident
from argus.incident.models import Acknowledgement, Event, Incident, SourceSystem, SourceSystemType
from argus.incident.token_expiry import open_token_expiry_incidents, token_expiry_incidents
from argus.notificationprofile.models import Filter
from argus.util.datetime_utils import INFINITY
from tests.factories import (
    EndUserFactory,
    IncidentFactory,
    IncidentTagRelationFactory,
    SourceSystemFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def run(name, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_process(*args):
    """The command as a real process, to see usage errors and exit codes (argparse exits)."""
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args, "--skip-checks"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "argus.site.settings.test", "PATH": "/usr/bin:/bin"},
        timeout=60,
    )


def tags_of(incident):
    return [
        str(relation.tag)
        for relation in incident.incident_tag_relations.select_related("tag").order_by("tag__key")
    ]


# --- create_source -------------------------------------------------------------------------------


class TestCreateSource:
    def test_creates_source_type_and_user_with_default_password(self):
        out, err = run("create_source", "nro_src")
        assert (out, err) == ("", "")
        source = SourceSystem.objects.get(name="nro_src")
        assert source.type_id == "argus"
        assert source.user.username == "nro_src" and not source.user.is_staff
        assert source.user.check_password("defaultpassword")
        assert source.base_url.startswith("https://") and source.base_url.endswith("/")

    def test_source_type_is_stored_lower_case(self):
        run("create_source", "nro_src", "-t", "NroUpper")
        assert SourceSystem.objects.get(name="nro_src").type_id == "nroupper"

    def test_rerun_keeps_type_and_base_url_but_resets_password(self):
        run("create_source", "nro_src", "-t", "first")
        source = SourceSystem.objects.get(name="nro_src")
        source.user.set_password("changed")
        source.user.save()
        run("create_source", "nro_src", "-t", "second")
        again = SourceSystem.objects.get(name="nro_src")
        assert (again.pk, again.type_id, again.base_url) == (source.pk, "first", source.base_url)
        assert SourceSystemType.objects.filter(name="second").exists()
        assert again.user.check_password("defaultpassword")
        assert SourceSystem.objects.filter(name="nro_src").count() == 1

    def test_the_source_gets_no_api_token_as_in_argus_1_37(self):
        run("create_source", "nro_src")
        run("create_source", "nro_src")
        assert not Token.objects.filter(user__source_system__name="nro_src").exists()

    def test_a_name_that_cannot_be_a_username_is_refused_without_creating_anything(self):
        with pytest.raises(CommandError, match='"nro src" cannot be a username: Enter a valid username.'):
            run("create_source", "nro src")
        assert not SourceSystem.objects.exists()

    def test_empty_name_is_refused_without_creating_anything(self):
        with pytest.raises(CommandError, match="The source name cannot be empty."):
            run("create_source", " ")
        assert not SourceSystem.objects.exists()


# --- create_fake_incident ------------------------------------------------------------------------


class TestCreateFakeIncident:
    def test_default_incident_on_the_argus_source(self):
        out, err = run("create_fake_incident")
        assert (out, err) == ("", "")
        incident = Incident.objects.get()
        assert incident.source.name == "argus"
        assert incident.open and 1 <= incident.level <= 5 and incident.metadata == {}
        assert 1 <= int(incident.source_incident_id) <= 2**32 - 1
        assert incident.description == (
            f'Incident #{incident.source_incident_id} created via "create_fake_incident"'
        )
        assert sorted(tags_of(incident)) == sorted(
            ["location=argus", f"object={incident.pk}", "problem_type=test"]
        )
        assert {r.added_by.username for r in incident.incident_tag_relations.all()} == {"argus"}
        (event,) = incident.events.all()
        assert event.type == EventType.INCIDENT_START
        assert event.actor == incident.source.user
        assert event.timestamp == incident.start_time
        assert event.description == incident.description

    def test_a_batch_reports_its_progress_on_stderr(self, monkeypatch):
        out, err = run("create_fake_incident", "-b", "3")
        assert out == "" and err == "3/3 incidents created\n"
        monkeypatch.setattr(create_fake_incident, "PROGRESS_SECONDS", 0)
        out, err = run("create_fake_incident", "-b", "3")
        assert err.splitlines() == ["1/3 incidents created", "2/3 incidents created", "3/3 incidents created"]
        assert run("create_fake_incident", "-b", "2", "-v", "0") == ("", "")

    def test_options(self, tmp_path):
        SourceSystemFactory(name="nro_src")
        out, err = run(
            "create_fake_incident", "-b", "3", "-d", "Disk full", "-l", "2", "-s", "nro_src",
            "-t", "host=a.example.org", "extra=1", "--metadata", '{"a": [1, 2]}',
        )  # fmt: skip
        incidents = Incident.objects.all()
        assert len(incidents) == 3
        for incident in incidents:
            assert incident.source.name == "nro_src"
            assert (incident.description, incident.level, incident.metadata) == (
                "Disk full",
                2,
                {"a": [1, 2]},
            )
            assert {"host=a.example.org", "extra=1", "problem_type=test"} <= set(tags_of(incident))
        assert len({incident.source_incident_id for incident in incidents}) == 3

    def test_metadata_file(self, tmp_path):
        path = tmp_path / "meta.json"
        path.write_text(json.dumps({"from": "file"}))
        run("create_fake_incident", "--metadata-file", str(path))
        assert Incident.objects.get().metadata == {"from": "file"}

    def test_stateless(self):
        run("create_fake_incident", "--stateless")
        incident = Incident.objects.get()
        assert incident.end_time is None
        assert incident.description.startswith("Incident (stateless) #")
        assert incident.events.get().type == EventType.STATELESS

    def test_unknown_source(self):
        with pytest.raises(CommandError, match="No source with the name 'nope' exists."):
            run("create_fake_incident", "-s", "nope")
        assert not Incident.objects.exists()

    @pytest.mark.parametrize(
        "tag, message",
        [
            ("nodelimiter", "['The tag does not have its delimiter: =.']"),
            (
                "Bad Key=v",
                "[\"['Enter a valid key consisting of lowercase letters, numbers and underscores.']\"]",
            ),
        ],
    )
    def test_invalid_tag_creates_nothing(self, tag, message):
        with pytest.raises(CommandError) as error:
            run("create_fake_incident", "-t", tag)
        assert str(error.value) == message
        assert not Incident.objects.exists() and not Event.objects.exists()

    def test_invalid_metadata_creates_nothing(self):
        with pytest.raises(CommandError, match="--metadata is not valid JSON"):
            run("create_fake_incident", "--metadata", "{nope")
        assert not Incident.objects.exists()

    def test_level_out_of_range_is_a_usage_error(self):
        result = run_process("create_fake_incident", "-l", "9")
        assert result.returncode == 2
        assert "argument -l/--level: invalid choice: 9 (choose from [1-5])" in result.stderr


# --- bulk_incidents ------------------------------------------------------------------------------


@pytest.fixture
def operator():
    return EndUserFactory(username="nro_operator")


@pytest.fixture
def tagged_incidents():
    """Two open incidents tagged nro=bulk, one closed one tagged nro=bulk, one untagged open one."""
    tag = TagFactory(key="nro", value="bulk")
    open_ones = IncidentFactory.create_batch(2)
    closed = IncidentFactory(end_time=timezone.now() - datetime.timedelta(hours=1))
    for incident in [*open_ones, closed]:
        IncidentTagRelationFactory(incident=incident, tag=tag)
    IncidentFactory()
    return open_ones, closed


@pytest.fixture
def bulk_filter(operator):
    return Filter.objects.create(user=operator, name="nro bulk", filter={"tags": ["nro=bulk"]})


class TestBulkIncidents:
    def test_ack_by_filter_name(self, operator, tagged_incidents, bulk_filter):
        out, err = run(
            "bulk_incidents", "nro bulk", "nro_operator", "ack",
            "-d", "nro bulk ack", "-e", "2030-01-01T00:00:00+01:00", "-t", "2026-01-01T10:00:00",
        )  # fmt: skip
        assert (out, err) == ("", "")
        open_ones, closed = tagged_incidents
        acks = Acknowledgement.objects.select_related("event")
        assert sorted(ack.event.incident_id for ack in acks) == sorted(i.pk for i in [*open_ones, closed])
        for ack in acks:
            assert ack.event.actor == operator and ack.event.description == "nro bulk ack"
            assert ack.event.type == EventType.ACKNOWLEDGE
            assert ack.expiration == datetime.datetime(2029, 12, 31, 23, 0, tzinfo=datetime.UTC)
            assert timezone.localtime(ack.event.timestamp).replace(tzinfo=None) == datetime.datetime(
                2026, 1, 1, 10, 0
            )

    def test_close_and_reopen_by_filter_pk(self, operator, tagged_incidents, bulk_filter):
        open_ones, closed = tagged_incidents
        closed_end = Incident.objects.get(pk=closed.pk).end_time
        run("bulk_incidents", str(bulk_filter.pk), "nro_operator", "close", "-d", "nro bulk close")
        for incident in open_ones:
            incident.refresh_from_db()
            assert not incident.open
        assert Incident.objects.get(pk=closed.pk).end_time == closed_end  # already closed: untouched
        assert Event.objects.filter(type=EventType.CLOSE, description="nro bulk close").count() == 3

        run("bulk_incidents", str(bulk_filter.pk), "nro_operator", "reopen")
        for incident in [*open_ones, closed]:
            assert Incident.objects.get(pk=incident.pk).end_time == INFINITY
        assert Event.objects.filter(type=EventType.REOPEN).count() == 3
        assert Incident.objects.filter(end_time=INFINITY).count() == 4

    def test_large_runs_go_in_chunks_with_progress_on_stderr(
        self, operator, tagged_incidents, bulk_filter, monkeypatch
    ):
        from argus.incident.management.commands import bulk_incidents

        monkeypatch.setattr(bulk_incidents, "CHUNK_SIZE", 2)
        out, err = run("bulk_incidents", "nro bulk", "nro_operator", "close")
        assert out == ""
        assert err.splitlines() == ["2/3 incidents done", "3/3 incidents done"]
        assert Event.objects.filter(type=EventType.CLOSE).count() == 3

    def test_ticket_url(self, operator, tagged_incidents, bulk_filter):
        run("bulk_incidents", "nro bulk", "nro_operator", "ticket_url", "-u", "https://tickets.example.org/1")
        events = Event.objects.filter(type=EventType.INCIDENT_CHANGE)
        assert events.count() == 3
        assert {e.description for e in events} == {'Change: "ticket_url":  → https://tickets.example.org/1'}
        assert Incident.objects.filter(ticket_url="https://tickets.example.org/1").count() == 3

    def test_ticket_url_needs_url(self, operator, tagged_incidents, bulk_filter):
        out, err = run("bulk_incidents", "nro bulk", "nro_operator", "ticket_url")
        assert err.strip() == "A ticket url is needed."
        assert not Event.objects.filter(type=EventType.INCIDENT_CHANGE).exists()

    def test_unknown_user(self, tagged_incidents, bulk_filter):
        out, err = run("bulk_incidents", "nro bulk", "nobody", "close")
        assert (out, err.strip()) == ("", "No user with the given username could be found.")
        assert not Event.objects.filter(type=EventType.CLOSE).exists()

    def test_unknown_filter(self, operator, tagged_incidents):
        out, err = run("bulk_incidents", "999999", "nro_operator", "close")
        assert err.strip() == "No filter with the given pk or name could be found."

    def test_no_matching_incidents(self, operator):
        Filter.objects.create(user=operator, name="none", filter={"tags": ["nro=none"]})
        out, err = run("bulk_incidents", "none", "nro_operator", "ack")
        assert out.strip() == "No incidents for the given filter could be found."

    def test_missing_action_and_bad_timestamp_are_usage_errors(self):
        result = run_process("bulk_incidents", "f", "u")
        assert result.returncode == 2
        assert "the following arguments are required: action" in result.stderr
        result = run_process("bulk_incidents", "f", "u", "close", "-t", "yesterday")
        assert result.returncode == 2
        assert "argument -t/--timestamp: invalid date-time value: 'yesterday'" in result.stderr


# --- check_token_expiry --------------------------------------------------------------------------


def age_token(token, days):
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - datetime.timedelta(days=days))


@pytest.fixture
def expiring_source():
    source = SourceSystemFactory(name="nro_src1", type__name="nro_type")
    token = Token.objects.create(user=source.user)
    age_token(token, 10)  # expires in 4 days: inside the default 7-day window
    return source


class TestCheckTokenExpiry:
    def test_creates_one_warning_incident_without_events(self, expiring_source):
        out, err = run("check_token_expiry")
        assert (out, err) == ("", "")
        incident = token_expiry_incidents().get()
        expiry = timezone.localtime(Token.objects.get().created + datetime.timedelta(days=14)).date()
        assert incident.description == f"Token for source system nro_src1 (nro_type) will expire on {expiry}"
        assert incident.source.name == "argus" and incident.level == 2 and incident.open
        assert incident.source_incident_id == ""
        assert sorted(tags_of(incident)) == sorted(
            [
                "location=argus",
                f"object={incident.pk}",
                "problem_type=token_expiry",
                f"source_system_id={expiring_source.pk}",
            ]
        )
        assert not incident.events.exists()

    def test_is_idempotent(self, expiring_source):
        run("check_token_expiry")
        run("check_token_expiry")
        assert token_expiry_incidents().count() == 1

    def test_days_option_and_end_users_ignored(self, expiring_source):
        end_user = EndUserFactory()
        age_token(Token.objects.create(user=end_user), 13)
        run("check_token_expiry", "-d", "3")
        assert not token_expiry_incidents().exists()
        run("check_token_expiry", "--days", "5")
        assert token_expiry_incidents().count() == 1

    def test_ends_warning_when_token_no_longer_runs_out(self, expiring_source):
        run("check_token_expiry")
        Token.objects.filter(user=expiring_source.user).delete()
        Token.objects.create(user=expiring_source.user)
        run("check_token_expiry")
        incident = token_expiry_incidents().get()
        assert not incident.open
        (event,) = incident.events.all()
        assert (event.type, event.actor.username, event.description) == (EventType.INCIDENT_END, "argus", "")
        assert not open_token_expiry_incidents().exists()

    def test_unreasonable_days_are_refused(self):
        with pytest.raises(CommandError, match="between"):
            run("check_token_expiry", "-d", "99999999")


# --- stresstest (argument handling; the run itself is in tests/integration) --------------------


class TestStresstestArguments:
    def test_unreachable_host(self):
        out, err = run("stresstest", "http://127.0.0.1:8198", "token", "-s", "0.2", "-t", "1")
        assert out == "Running stresstest ...\n"
        assert err.strip() == "HTTP Error: All connection attempts failed"

    @pytest.mark.parametrize(
        "args, message",
        [
            (["ftp://host", "t"], "argument url: not an http(s) URL: 'ftp://host'"),
            (["http://host", "t", "-w", "0"], "argument -w/--workers: must be greater than 0: '0'"),
            (["http://host", "t", "-s", "x"], "argument -s/--seconds: invalid float value: 'x'"),
        ],
    )
    def test_usage_errors(self, args, message):
        result = run_process("stresstest", *args)
        assert result.returncode == 2
        assert message in result.stderr
