"""Every URL of the API, for tests that sweep all endpoints."""

import re

from django.urls import URLPattern, URLResolver, get_resolver


def api_paths() -> list[str]:
    """Every URL under /api/, path parameters filled with "1"."""

    def walk(patterns, prefix):
        for pattern in patterns:
            regex = pattern.pattern.regex.pattern.lstrip("^").rstrip("$").replace(r"\Z", "")
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + regex)
            elif isinstance(pattern, URLPattern):
                yield prefix + regex

    paths = set()
    for raw in walk(get_resolver().url_patterns, "/"):
        if raw.startswith("/api/"):
            path = re.sub(r"\\(.)", r"\1", re.sub(r"\(\?P<\w+>[^)]*\)", "1", raw))
            if "(" not in path:
                paths.add(path)
    return sorted(paths)
