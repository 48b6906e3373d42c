"""Entry point the incident services call for every event they create.

(Interim version written by the lead; the notifications engineer replaces it with the task-queue
implementation. Signature is the contract.)
"""

import logging

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_after_commit(event_ids: list[int]) -> None:
    """Schedule notification processing of these events once the current transaction commits."""
    if not event_ids or not getattr(settings, "SEND_NOTIFICATIONS", False):
        return
    ids = list(event_ids)
    transaction.on_commit(lambda: logger.debug("Notifications for events %s not yet wired", ids))
