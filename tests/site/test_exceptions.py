"""The one exception handler: domain errors become their app's answer, in one place."""

import importlib
import pkgutil

import pytest
from rest_framework.test import APIRequestFactory

import argus
from argus.incident.errors import SourceSystemExists
from argus.site.exceptions import ERROR_RESPONSES, exception_handler
from argus.util.errors import DomainError


def all_domain_errors() -> set[type[DomainError]]:
    for module in pkgutil.walk_packages(argus.__path__, "argus."):
        if module.name.endswith(".errors"):
            importlib.import_module(module.name)
    found, todo = set(), [DomainError]
    while todo:
        for subclass in todo.pop().__subclasses__():
            if subclass.__module__.startswith("argus.") and subclass not in found:
                found.add(subclass)
                todo.append(subclass)
    return found


def test_every_domain_error_of_the_tree_has_an_api_answer():
    unanswered = {
        f"{error.__module__}.{error.__qualname__}"
        for error in all_domain_errors()
        if not any(cls in ERROR_RESPONSES for cls in error.__mro__[:-3])
    }
    assert unanswered == set()


def test_a_domain_error_nobody_describes_is_a_400_with_its_message():
    class Unlisted(DomainError):
        pass

    request = APIRequestFactory().post("/api/v2/whatever/")
    response = exception_handler(Unlisted("No way."), {"request": request})
    assert response.status_code == 400
    assert response.data == {"detail": "No way."}


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("post", {"__all__": ["Source system with this Name and Type already exists."]}),
        ("patch", {"non_field_errors": ["The fields name, type must make a unique set."]}),
    ],
)
def test_an_answer_may_depend_on_the_request(method, body):
    request = getattr(APIRequestFactory(), method)("/api/v2/incidents/sources/")
    response = exception_handler(SourceSystemExists("nav", "nav"), {"request": request})
    assert (response.status_code, response.data) == (400, body)


# --- server errors ---------------------------------------------------------------------------------


class Broken(Exception):
    pass


@pytest.fixture
def broken_liveness(monkeypatch):
    from argus.incident.api import views_liveness

    def get(self, request, **kwargs):
        raise Broken("a bug")

    monkeypatch.setattr(views_liveness.LivenessView, "get", get)


@pytest.mark.django_db
def test_a_bug_in_an_api_view_answers_json_500_and_logs_the_traceback_once(
    end_user_client, broken_liveness, caplog
):
    response = end_user_client.get("/api/v2/incidents/sources/liveness/")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error."}
    with_traceback = [record for record in caplog.records if record.exc_info]
    assert len(with_traceback) == 1
    assert with_traceback[0].exc_info[0] is Broken
    assert "GET /api/v2/incidents/sources/liveness/" in with_traceback[0].getMessage()


@pytest.mark.django_db
def test_a_server_error_outside_the_views_of_the_api_answers_json_too(client):
    from argus.site.views import server_error

    request = APIRequestFactory().get("/api/v2/incidents/")
    response = server_error(request)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.content == b'{"detail": "Internal server error."}'
