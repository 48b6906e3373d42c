"""auth.md §3: permission classes and the standard 401/403/405 bodies, through real authenticators."""

from types import SimpleNamespace

import pytest
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from argus.auth.permissions import IsOwner, IsOwnerOrReadOnly, IsSuperuserOrReadOnly
from tests.factories import token_for

pytestmark = pytest.mark.django_db

NOT_AUTHENTICATED = {"detail": "Authentication credentials were not provided."}
FORBIDDEN = {"detail": "You do not have permission to perform this action."}

factory = APIRequestFactory()


def make_view(permission, owner_id=None):
    """An API view with the default authenticators; its one object belongs to ``owner_id``."""

    class View(APIView):
        permission_classes = [permission]

        def get(self, request):
            self.check_object_permissions(request, SimpleNamespace(user_id=owner_id))
            return Response({"ok": True})

        def post(self, request):
            self.check_object_permissions(request, SimpleNamespace(user_id=owner_id))
            return Response({"ok": True})

    return View.as_view()


def call(view, method, user=None, header=None):
    headers = {}
    if user is not None:
        headers["HTTP_AUTHORIZATION"] = f"Token {token_for(user).key}"
    if header is not None:
        headers["HTTP_AUTHORIZATION"] = header
    request = getattr(factory, method)("/x/", **headers)
    response = view(request)
    response.render()
    return response


def assert_body(response, status, body):
    assert response.status_code == status
    assert response.data == body


# IsSuperuserOrReadOnly ---------------------------------------------------------------------------


def test_superuser_or_read_only_lets_anonymous_read():
    assert call(make_view(IsSuperuserOrReadOnly), "get").status_code == 200


def test_superuser_or_read_only_refuses_anonymous_writes_with_401():
    response = call(make_view(IsSuperuserOrReadOnly), "post")
    assert_body(response, 401, NOT_AUTHENTICATED)
    assert response["WWW-Authenticate"] == "Token"


def test_superuser_or_read_only_refuses_end_user_writes_with_403(end_user):
    assert_body(call(make_view(IsSuperuserOrReadOnly), "post", end_user), 403, FORBIDDEN)


def test_superuser_or_read_only_refuses_source_writes_with_403(source_user):
    assert_body(call(make_view(IsSuperuserOrReadOnly), "post", source_user), 403, FORBIDDEN)


def test_superuser_or_read_only_lets_superusers_write(superuser):
    assert call(make_view(IsSuperuserOrReadOnly), "post", superuser).status_code == 200


def test_superuser_or_read_only_still_rejects_bad_tokens():
    response = call(make_view(IsSuperuserOrReadOnly), "get", header="Token bogus")
    assert_body(response, 401, {"detail": "Invalid token."})


# IsOwner -----------------------------------------------------------------------------------------


def test_is_owner_lets_the_owner_in(end_user):
    assert call(make_view(IsOwner, owner_id=end_user.pk), "get", end_user).status_code == 200


def test_is_owner_refuses_other_users(end_user, other_end_user):
    assert_body(call(make_view(IsOwner, owner_id=other_end_user.pk), "get", end_user), 403, FORBIDDEN)


def test_is_owner_lets_superusers_in(superuser, end_user):
    assert call(make_view(IsOwner, owner_id=end_user.pk), "post", superuser).status_code == 200


def test_is_owner_refuses_anonymous_with_401(end_user):
    assert_body(call(make_view(IsOwner, owner_id=end_user.pk), "get"), 401, NOT_AUTHENTICATED)


def test_is_owner_refuses_ownerless_objects(end_user):
    assert_body(call(make_view(IsOwner, owner_id=None), "get", end_user), 403, FORBIDDEN)


# IsOwnerOrReadOnly -------------------------------------------------------------------------------


def test_owner_or_read_only_lets_everybody_read(end_user, other_end_user):
    view = make_view(IsOwnerOrReadOnly, owner_id=other_end_user.pk)
    assert call(view, "get", end_user).status_code == 200
    assert call(view, "get").status_code == 200


def test_owner_or_read_only_writes(end_user, other_end_user, superuser):
    view = make_view(IsOwnerOrReadOnly, owner_id=end_user.pk)
    assert call(view, "post", end_user).status_code == 200
    assert call(view, "post", superuser).status_code == 200
    assert_body(call(view, "post", other_end_user), 403, FORBIDDEN)
    assert_body(call(view, "post"), 401, NOT_AUTHENTICATED)


# Standard bodies on real endpoints ---------------------------------------------------------------


def test_default_is_authenticated_body(api_client):
    response = api_client.get("/api/v1/auth/user/")
    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED


def test_405_body(end_user_client):
    response = end_user_client.delete("/api/v2/auth/user/")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "DELETE" not allowed.'}


def test_unrouted_path_is_html_404(end_user_client):
    response = end_user_client.get("/api/v2/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("url", ["/api/v1/", "/api/v2/"])
def test_bare_api_roots_are_404(end_user_client, url):
    assert end_user_client.get(url).status_code == 404
