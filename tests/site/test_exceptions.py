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
