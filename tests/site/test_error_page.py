"""/.error/?status-code=<n>: a page that fails on purpose, to test how errors are shown and reported."""

import pytest

from argus.site.views import ErrorTestPageError

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, end_user):
    client.force_login(end_user)
    return client


def test_the_error_page_needs_a_login(client):
    response = client.get("/.error/?status-code=404")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("code", [400, 401, 403, 404, 410])
def test_each_error_is_rendered(logged_in, code):
    assert logged_in.get(f"/.error/?status-code={code}").status_code == code


def test_500_raises(logged_in):
    with pytest.raises(ErrorTestPageError):
        logged_in.get("/.error/?status-code=500")


@pytest.mark.parametrize(
    "query", ["", "?status-code=", "?status-code=418", "?status-code=abc", "?status-code=٤٠٤"]
)
def test_anything_else_is_a_plain_400(logged_in, query):
    response = logged_in.get(f"/.error/{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
