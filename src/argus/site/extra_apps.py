"""Plug-in Django apps named by ARGUS_OVERRIDING_APPS / ARGUS_EXTRA_APPS.

Each variable holds a JSON list of app descriptions::

    [{"app_name": "mysite.extras",
      "urls": {"path": "extras/", "urlpatterns_module": "mysite.extras.urls", "namespace": "extras"},
      "context_processors": ["mysite.extras.context_processors.theme"],
      "middleware": {"mysite.extras.middleware.Timing": "start"},
      "settings": {"EXTRAS_GREETING": "hello"}}]

Only ``app_name`` is required. Overriding apps come *before* Argus' own apps and URLs (so their
templates and URLs win), extra apps after. The settings modules call the functions below at
import time; ``argus.site.urls`` calls :func:`url_patterns`.
"""

from django.core.exceptions import ImproperlyConfigured
from django.urls import include, path

MIDDLEWARE_POSITIONS = ("start", "end")


def validate(apps, variable: str) -> list[dict]:
    """Check the shape early, so a typo fails at startup with the variable's name, not later."""
    if not isinstance(apps, list):
        raise ImproperlyConfigured(f"{variable} must be a JSON list of app descriptions")
    for app in apps:
        if not isinstance(app, dict) or not isinstance(app.get("app_name"), str) or not app["app_name"]:
            raise ImproperlyConfigured(f'{variable}: every entry needs an "app_name" string, got {app!r}')
        urls = app.get("urls")
        if urls is not None and (
            not isinstance(urls, dict) or not {"path", "urlpatterns_module"} <= set(urls)
        ):
            raise ImproperlyConfigured(
                f'{variable}: "urls" of {app["app_name"]} needs "path" and "urlpatterns_module"'
            )
        for position in (app.get("middleware") or {}).values():
            if position not in MIDDLEWARE_POSITIONS:
                raise ImproperlyConfigured(
                    f'{variable}: middleware position of {app["app_name"]} must be "start" or "end"'
                )
        if not isinstance(app.get("settings") or {}, dict):
            raise ImproperlyConfigured(f'{variable}: "settings" of {app["app_name"]} must be an object')
    return apps


def installed_apps(overriding: list[dict], argus_apps: list[str], extra: list[dict]) -> list[str]:
    return [app["app_name"] for app in overriding] + list(argus_apps) + [app["app_name"] for app in extra]


def middleware(base: list[str], apps: list[dict]) -> list[str]:
    start, end = [], []
    for app in apps:
        for dotted_path, position in (app.get("middleware") or {}).items():
            if dotted_path not in base and dotted_path not in start and dotted_path not in end:
                (start if position == "start" else end).append(dotted_path)
    return start + list(base) + end


def context_processors(base: list[str], apps: list[dict]) -> list[str]:
    result = list(base)
    for app in apps:
        for processor in app.get("context_processors") or []:
            if processor not in result:
                result.append(processor)
    return result


def app_settings(apps: list[dict]) -> dict:
    """Settings contributed by the apps (upper-case names only); later apps win."""
    result = {}
    for app in apps:
        for name, value in (app.get("settings") or {}).items():
            if name.isupper():
                result[name] = value
    return result


def url_patterns(apps: list[dict]) -> list:
    patterns = []
    for app in apps:
        urls = app.get("urls")
        if not urls:
            continue
        namespace = urls.get("namespace")
        module = urls["urlpatterns_module"]
        target = include((module, namespace), namespace=namespace) if namespace else include(module)
        patterns.append(path(urls["path"], target))
    return patterns
