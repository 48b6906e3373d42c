import datetime
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from argus.notificationprofile.models import NotificationProfile
from tests.notificationprofile.factories import FilterFactory, NotificationProfileFactory

ROOT = Path(__file__).resolve().parents[2]


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err, no_color=True)
    return out.getvalue(), err.getvalue()


def run_process(*args):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "argus.site.settings.test"}
    return subprocess.run(
        [sys.executable, "manage.py", *args, "--skip-checks"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.mark.django_db
class TestToggleProfileActivation:
    def test_flips_every_given_profile(self):
        on = NotificationProfileFactory(active=True)
        off = NotificationProfileFactory(active=False)
        untouched = NotificationProfileFactory(active=True)
        assert run("toggle_profile_activation", str(on.pk), str(off.pk)) == ("", "")
        assert list(
            NotificationProfile.objects.filter(pk__in=[on.pk, off.pk, untouched.pk])
            .order_by("pk")
            .values_list("active", flat=True)
        ) == [
            False,
            True,
            True,
        ]

    def test_some_missing(self):
        profile = NotificationProfileFactory(active=True)
        out, err = run("toggle_profile_activation", "999999", str(profile.pk))
        assert out == ""
        assert err == (
            "Profiles with the ids {999999} could not be found. Toggling activation of the remaining found "
            f"profiles with the ids {{{profile.pk}}}.\n"
        )
        profile.refresh_from_db()
        assert profile.active is False

    def test_none_found(self):
        assert run("toggle_profile_activation", "999998", "999999") == (
            "",
            "No profiles with the given ids could be found.\n",
        )


def test_toggle_non_integer_id_is_a_usage_error():
    result = run_process("toggle_profile_activation", "abc")
    assert result.returncode == 2
    assert "argument ids: invalid int value: 'abc'" in result.stderr


@pytest.mark.django_db
class TestListFilters:
    def test_lists_all_filters_in_the_v2_shape(self):
        f1 = FilterFactory(name="nro f1", filter={"tags": ["a=b"], "sourceSystemIds": [11]})
        f2 = FilterFactory(
            name="nro f2",
            filter={
                "open": True,
                "acked": False,
                "stateful": True,
                "maxlevel": 3,
                "event_types": ["STA", "END"],
            },
        )
        out, err = run("list_filters")
        assert err == ""
        assert out == (
            f"[{{'pk': {f1.pk}, 'name': 'nro f1', 'filter': {{'sourceSystemIds': [11], 'tags': ['a=b'], 'open': None, "
            f"'acked': None, 'stateful': None, 'maxlevel': None}}}}, {{'pk': {f2.pk}, 'name': 'nro f2', 'filter': "
            "{'open': True, 'acked': False, 'stateful': True, 'maxlevel': 3, 'event_types': ['STA', 'END']}}]\n"
        )

    def test_by_pk_and_by_name(self):
        f1 = FilterFactory(name="one")
        FilterFactory(name="two")
        assert run("list_filters", "-p", str(f1.pk))[0].startswith(f"[{{'pk': {f1.pk}, 'name': 'one'")
        assert run("list_filters", "--name", "two")[0].count("'pk'") == 1

    def test_nothing_found(self):
        assert run("list_filters", "-n", "nope") == ("[]\n", "")


def test_list_filters_pk_and_name_together_is_a_usage_error():
    result = run_process("list_filters", "-n", "x", "-p", "1")
    assert result.returncode == 2
    assert "argument -p/--pk: not allowed with argument -n/--name" in result.stderr


# --- the periodic jobs of the delivery log ---------------------------------------------------------


@pytest.fixture
def database_queue(settings):
    from argus.notificationprofile import tasks

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    tasks._last_sweep_run = None
    yield
    tasks._last_sweep_run = None


def queued_runs():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(status="READY").count()


def test_sweep_with_nothing_due_enqueues_nothing(db, database_queue):
    from tests.notificationprofile.factories import DeliveryFactory

    DeliveryFactory(due_at=timezone.now() + datetime.timedelta(seconds=30))  # held by a worker
    assert run("sweep_notifications", "-v", "2")[0] == "Nothing due.\n"
    assert queued_runs() == 0


def test_sweep_enqueues_one_run_for_work_left_due(db, database_queue):
    from tests.notificationprofile.factories import DeliveryFactory, PendingEventFactory

    DeliveryFactory(due_at=timezone.now() - datetime.timedelta(seconds=1))  # its worker died
    assert run("sweep_notifications", "-v", "2")[0] == "Enqueued a notification run.\n"
    run("sweep_notifications")
    assert queued_runs() == 1  # the first is still waiting: no second one
    PendingEventFactory()
    assert queued_runs() == 1


def test_sweep_with_the_immediate_backend_runs_the_work(db):
    from tests.notificationprofile.factories import DeliveryFactory

    delivery = DeliveryFactory(due_at=timezone.now() - datetime.timedelta(seconds=1))
    run("sweep_notifications")
    delivery.refresh_from_db()
    assert delivery.state == "failed"  # taken and worked on (its destinations are gone)
    assert delivery.last_error == "No destination has this address any more."


def test_prune_notification_deliveries_keeps_the_retention(db, settings):
    from argus.notificationprofile.models import Delivery
    from tests.notificationprofile.factories import DeliveryFactory

    now = timezone.now()
    for days in (2, 10, 40):
        DeliveryFactory(state="sent", due_at=None, created_at=now - datetime.timedelta(days=days))
    settings.NOTIFICATION_LOG_RETENTION_DAYS = 30
    assert run("prune_notification_deliveries") == ("Deleted 1 deliveries older than 30 days.\n", "")
    assert (
        run("prune_notification_deliveries", "--days", "5")[0] == "Deleted 1 deliveries older than 5 days.\n"
    )
    settings.NOTIFICATION_LOG_RETENTION_DAYS = 0
    run("prune_notification_deliveries")
    assert Delivery.objects.count() == 1
    with pytest.raises(CommandError, match="--days must be 0 or more"):
        run("prune_notification_deliveries", "--days", "-1")
