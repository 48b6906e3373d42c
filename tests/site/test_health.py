"""/.still-alive/ and /.ready/: probes for load balancers and orchestrators."""

import pytest
from django.test import Client

from argus.site import health

METHODS = ["get", "head", "post", "put", "patch", "delete", "options"]


@pytest.mark.parametrize("method", METHODS)
def test_still_alive_answers_204_to_any_method_without_the_database(client, method):
    # No django_db mark: any database access would fail the request.
    response = getattr(client, method)("/.still-alive/")
    assert response.status_code == 204
    assert response.content == b""
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies


def test_still_alive_needs_no_csrf_token_and_answers_any_host(settings):
    settings.ALLOWED_HOSTS = ["argus.example.org"]
    client = Client(enforce_csrf_checks=True)
    assert client.post("/.still-alive/", HTTP_HOST="10.1.2.3").status_code == 204
    assert client.get("/.still-alive/", HTTP_HOST="10.1.2.3:8000").status_code == 204


def test_without_the_slash_it_redirects_like_any_path(client):
    response = client.get("/.still-alive")
    assert response.status_code == 301
    assert response["Location"] == "/.still-alive/"


def test_still_alive_logs_nothing(client, caplog):
    with caplog.at_level("DEBUG"):
        client.get("/.still-alive/")
    assert caplog.records == []


@pytest.mark.django_db
def test_ready_reports_each_check(client):
    response = client.get("/.ready/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "channel_layer": "ok", "migrations": "ok"},
    }
    assert response["Cache-Control"] == "no-store"
    assert client.head("/.ready/").status_code == 200


@pytest.mark.django_db
def test_ready_answers_any_host(client, settings):
    settings.ALLOWED_HOSTS = ["argus.example.org"]
    assert client.get("/.ready/", HTTP_HOST="10.1.2.3").status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_ready_refuses_other_methods(client, method):
    response = getattr(client, method)("/.ready/")
    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method.upper()}" not allowed.'}


@pytest.mark.django_db
def test_an_unreachable_channel_layer_makes_the_server_unready_without_saying_where(client, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [("127.0.0.1", 1)]},
        }
    }
    response = client.get("/.ready/")
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "checks": {"database": "ok", "channel_layer": "error", "migrations": "ok"},
    }
    assert b"127.0.0.1" not in response.content


@pytest.mark.django_db
def test_a_redis_channel_layer_that_answers_is_ready(client, settings):
    redis_server = settings.REDIS_SERVER
    if not redis_server:
        pytest.skip("no Redis configured (ARGUS_REDIS_SERVER)")
    assert client.get("/.ready/").json()["checks"]["channel_layer"] == "ok"


@pytest.mark.django_db
def test_unapplied_migrations_make_the_server_unready(client, monkeypatch):
    class Unmigrated(health.MigrationsCheck):
        def __call__(self):
            raise RuntimeError("unapplied migrations")

    monkeypatch.setitem(health.CHECKS, "migrations", Unmigrated())
    response = client.get("/.ready/")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "error"


def test_a_check_that_hangs_is_an_error_after_its_timeout():
    with pytest.raises(health.CheckTimedOut):
        health.run_with_timeout(lambda: __import__("time").sleep(5), timeout=0.1)


@pytest.mark.django_db
def test_the_migrations_check_remembers_success():
    check = health.MigrationsCheck()
    check()
    assert check.applied
