"""Log in (username and password, and the configured OAuth2 methods) and log out, under /accounts/."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import RemoteUserBackend
from django.utils.module_loading import import_string

import argus
from argus.auth.views import login_methods

logger = logging.getLogger(__name__)

HOME = "/incidents/"


def external_login_methods(request, next_url: str = "") -> list[dict]:
    """The OAuth2 backends /login-methods/ lists, and a link for ``RemoteUserBackend``."""
    methods = []
    for method in login_methods(request):
        if method["type"] != "OAuth2":
            continue
        name = method["name"]
        label = settings.ARGUS_OIDC_METHOD_NAME if name == "oidc" else name
        url = f"/oidc/login/{name}/"
        if next_url:
            url += f"?next={next_url}"
        methods.append({"name": name, "label": label, "url": url})
    for path in settings.AUTHENTICATION_BACKENDS:
        try:
            backend = import_string(path)
        except ImportError:
            continue
        if isinstance(backend, type) and issubclass(backend, RemoteUserBackend):
            methods.append(
                {
                    "name": "remote_user",
                    "label": settings.ARGUS_REMOTE_USER_METHOD_NAME,
                    "url": "/",
                }
            )
            break
    return methods


class LoginView(auth_views.LoginView):
    template_name = "argus_ui/accounts/login.html"
    redirect_authenticated_user = True
    next_page = HOME

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        next_url = self.get_redirect_url()
        context.update(
            {
                "password_login": any(m["type"] == "username_password" for m in login_methods(self.request)),
                "external_methods": external_login_methods(self.request, next_url),
                "version": argus.__version__,
            }
        )
        return context


class LogoutView(auth_views.LogoutView):
    next_page = HOME
