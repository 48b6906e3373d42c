"""Named constants of planned maintenance."""

import datetime

from django.db import models


class TaskState(models.TextChoices):
    """Where a task's window is relative to now (both bounds inclusive)."""

    FUTURE = "future", "Future"
    CURRENT = "current", "Current"
    PAST = "past", "Past"


#: A task may be changed (or ended) until this long after its end.
MODIFIABLE_AFTER_END = datetime.timedelta(hours=12)

#: The longest description of a task.
DESCRIPTION_MAX_LENGTH = 255
