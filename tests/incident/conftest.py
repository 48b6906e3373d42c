"""Fixtures of the incident tests."""

from contextlib import contextmanager

import pytest
from django.db import connection

from argus.incident import broadcast


class Broadcasts(list):
    """The websocket frames sent, as ``(change, sorted pks)``; run the change in ``committed()``."""

    def __init__(self, capture_on_commit):
        super().__init__()
        self._capture_on_commit = capture_on_commit

    @contextmanager
    def committed(self):
        """Run the ``on_commit`` callbacks registered inside, as a commit would.

        The test's transaction never commits, so frames of earlier changes in the test are still
        pending; they are forgotten here, so that only the frames of this block are sent.
        """
        connection._argus_pending_frames = None
        with self._capture_on_commit(execute=True):
            yield


@pytest.fixture
def broadcasts(monkeypatch, django_capture_on_commit_callbacks):
    sent = Broadcasts(django_capture_on_commit_callbacks)
    monkeypatch.setattr(
        broadcast, "broadcast_now", lambda change, ids, payloads=None: sent.append((change, sorted(ids)))
    )
    return sent
