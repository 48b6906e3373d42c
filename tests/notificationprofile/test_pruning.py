"""Workers delete finished task rows past ``TASK_RESULT_RETENTION_DAYS`` (``notificationprofile.pruning``)."""

import datetime
import logging

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from argus.notificationprofile import pruning
from tests.notificationprofile.delivery import (
    DB_TASKS,
    counting_sink,
    free_port,
    post_incident,
    run_worker,
    smtp_settings,
)

NOW = timezone.now()
OLD = NOW - datetime.timedelta(days=8)
RECENT = NOW - datetime.timedelta(days=6)


@pytest.fixture(autouse=True)
def fresh_pass():
    pruning.reset()
    yield
    pruning.reset()


def task_row(status="SUCCESSFUL", finished_at=OLD, backend="default", name="old"):
    return DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [name], "kwargs": {}},
        task_path="argus.notificationprofile.tasks.dispatch_event",
        queue_name="default",
        backend_name=backend,
        run_after=get_date_max(),
        finished_at=finished_at,
        exception_class_path="",
        traceback="",
    )


def names():
    return sorted(row.args_kwargs["args"][0] for row in DBTaskResult.objects.all())


@pytest.mark.django_db
class TestPruneFinished:
    def test_only_finished_rows_of_the_backend_older_than_the_cutoff(self):
        task_row(name="old-successful")
        task_row(status="FAILED", name="old-failed")
        task_row(finished_at=RECENT, name="recent")
        task_row(status="READY", finished_at=None, name="ready")
        task_row(status="RUNNING", finished_at=None, name="running")
        task_row(backend="other", name="other-backend")
        assert pruning.prune_finished("default", NOW - datetime.timedelta(days=7)) == 2
        assert names() == ["other-backend", "ready", "recent", "running"]

    def test_deletes_in_chunks_until_done(self, django_assert_num_queries):
        for n in range(5):
            task_row(name=f"old-{n}")
        task_row(finished_at=RECENT, name="recent")
        # Each chunk: one SELECT of ids, one DELETE; the short third chunk ends the pass.
        with django_assert_num_queries(6):
            assert pruning.prune_finished("default", NOW - datetime.timedelta(days=7), chunk=2) == 5
        assert names() == ["recent"]

    def test_a_pass_stops_after_its_time_budget(self, monkeypatch):
        monkeypatch.setattr(pruning, "PRUNE_BUDGET", 0)
        for n in range(5):
            task_row(name=f"old-{n}")
        assert pruning.prune_finished("default", NOW, chunk=2) == 2
        assert pruning.prune_finished("default", NOW, chunk=2) == 2
        assert pruning.prune_finished("default", NOW, chunk=2) == 1


@pytest.mark.django_db
class TestPruneIfDue:
    def test_prunes_with_the_retention_then_waits_for_the_interval(self, django_assert_num_queries):
        task_row(name="old")
        task_row(finished_at=RECENT, name="recent")
        with override_settings(TASK_RESULT_RETENTION_DAYS=7):
            assert pruning.prune_if_due("default") == 1
            task_row(name="old-again")
            with django_assert_num_queries(0):
                assert pruning.prune_if_due("default") == 0
        assert names() == ["old-again", "recent"]

    @override_settings(TASK_RESULT_RETENTION_DAYS=0)
    def test_retention_zero_never_prunes(self):
        task_row(name="old")
        assert pruning.prune_if_due("default") == 0
        assert names() == ["old"]

    def test_a_failing_prune_is_logged_not_raised(self, monkeypatch, caplog):
        def broken(*args, **kwargs):
            raise RuntimeError("database went away")

        monkeypatch.setattr(pruning, "prune_finished", broken)
        with caplog.at_level(logging.ERROR, logger="argus.notificationprofile.pruning"):
            assert pruning.prune_if_due("default") == 0
        assert "Could not prune finished task results" in caplog.text


def test_the_worker_prunes_after_a_dispatch(subscriber, source_client):
    """Through db_worker: the dispatch is sent, then the week-old row goes and its own stays."""
    task_row(name="old")
    port = free_port()
    with counting_sink(port) as sink, smtp_settings(port), DB_TASKS:
        post_incident(source_client)
        run_worker()
        assert len(sink.wait_for(1)) == 1
    rows = list(DBTaskResult.objects.all())
    assert [(row.status, row.args_kwargs["args"][0] != "old") for row in rows] == [("SUCCESSFUL", True)]


@override_settings(TASK_RESULT_RETENTION_DAYS=0)
def test_the_worker_keeps_everything_with_retention_zero(subscriber, source_client):
    task_row(name="old")
    port = free_port()
    with counting_sink(port), smtp_settings(port), DB_TASKS:
        post_incident(source_client)
        run_worker()
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db
def test_finished_at_is_indexed():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, DBTaskResult._meta.db_table)
    assert constraints["argus_task_result_finished_at_idx"]["columns"] == ["finished_at"]
