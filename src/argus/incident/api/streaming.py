"""Responses too large to build in memory, written a batch at a time.

Argus 1.37's v1 ``open/`` and ``open+unacked/`` return every open incident in one unpaginated
list: tens of thousands of incidents on a busy site. Built whole, such a response held a million
Python objects and a 40 MB body at once, and the process kept the memory afterwards. Here the
array is written one batch of incidents after another (:func:`json_array_stream`), as a
``StreamingHttpResponse``: memory holds one batch, and the first bytes leave before the last
incidents are read. ``argus.site.asgi_http`` sends such a response from its thread pool, chunk
by chunk.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from rest_framework.renderers import JSONRenderer

JSON_CONTENT_TYPE = "application/json"


def json_array_stream(batches: Iterable[list]) -> Iterator[bytes]:
    """A JSON array of the items of ``batches``, byte for byte as DRF's ``JSONRenderer`` writes the
    whole list (compact separators, the same escapes), one batch at a time."""
    renderer = JSONRenderer()
    yield b"["
    first = True
    for items in batches:
        if not items:
            continue
        body = renderer.render(items)  # b"[item,item]"
        yield body[1:-1] if first else b"," + body[1:-1]
        first = False
    yield b"]"


def streaming_json_array(batches: Iterable[list]) -> StreamingHttpResponse:
    """A 200 response whose body is :func:`json_array_stream` of ``batches``."""
    return StreamingHttpResponse(json_array_stream(batches), content_type=JSON_CONTENT_TYPE)
