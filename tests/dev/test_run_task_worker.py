"""run_task_worker: db_worker for every queue, started again when the database goes away."""

import pytest
from django.core.management import call_command
from django.db import OperationalError

from argus.dev.management.commands import run_task_worker


@pytest.fixture
def calls(monkeypatch):
    calls = []
    monkeypatch.setattr(run_task_worker.time, "sleep", lambda seconds: calls.append(("sleep", seconds)))
    return calls


def test_it_runs_db_worker_on_every_queue_without_autoreload(monkeypatch, calls):
    monkeypatch.setattr(run_task_worker, "call_command", lambda *args, **kwargs: calls.append((args, kwargs)))
    call_command("run_task_worker", "--interval", "0.2", verbosity=0)
    assert calls == [(("db_worker",), {"queue_name": "*", "reload": False, "interval": 0.2, "verbosity": 0})]


def test_a_lost_database_starts_it_again(db, monkeypatch, calls, caplog):
    def db_worker(*args, **kwargs):
        calls.append("db_worker")
        if calls.count("db_worker") < 3:
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(run_task_worker, "call_command", db_worker)
    call_command("run_task_worker", verbosity=0)
    assert calls == ["db_worker", ("sleep", 2.0), "db_worker", ("sleep", 2.0), "db_worker"]
    assert "Task worker lost the database (server closed the connection unexpectedly)" in caplog.text


def test_a_stop_signal_stops_it(monkeypatch, calls):
    def db_worker(*args, **kwargs):
        raise SystemExit(0)  # what db_worker does on SIGTERM while idle

    monkeypatch.setattr(run_task_worker, "call_command", db_worker)
    with pytest.raises(SystemExit):
        call_command("run_task_worker", verbosity=0)
    assert calls == []
