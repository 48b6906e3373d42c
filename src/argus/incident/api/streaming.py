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

JSON_CONTENT_TYPE = "application/json"


def json_array_stream(batches: Iterable[list[str]]) -> Iterator[bytes]:
    """A JSON array of the items of ``batches`` (each item already JSON text, as DRF's
    ``JSONRenderer`` writes it), one batch at a time, byte for byte what the renderer writes for
    the whole list: compact separators, U+2028 and U+2029 escaped, UTF-8."""
    yield b"["
    first = True
    for items in batches:
        if not items:
            continue
        text = ",".join(items).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
        yield text.encode() if first else b"," + text.encode()
        first = False
    yield b"]"


def streaming_json_array(batches: Iterable[list[str]]) -> StreamingHttpResponse:
    """A 200 response whose body is :func:`json_array_stream` of ``batches``."""
    return StreamingHttpResponse(json_array_stream(batches), content_type=JSON_CONTENT_TYPE)
