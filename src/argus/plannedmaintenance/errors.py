"""What the planned maintenance services refuse, in the domain's words.

The API's answers to these (status and body) are in :mod:`argus.plannedmaintenance.api.errors`;
the admin shows ``message``.
"""

from argus.util.errors import DomainError


class EndTimeNotAfterStartTime(DomainError):
    def __init__(self):
        super().__init__("The end time must be after the start time.")


class EndTimeNotInFuture(DomainError):
    """A new task must end in the future (one that has already ended would do nothing)."""

    def __init__(self):
        super().__init__("The end time must be in the future.")


class TaskNotModifiable(DomainError):
    """A task that ended more than 12 hours ago is history: it can no longer be changed."""

    def __init__(self):
        super().__init__(
            "This planned maintenance task is no longer modifiable as it ended more than 12 hours ago."
        )


class StartTimeLocked(DomainError):
    """The start of a task that has started is history."""

    def __init__(self):
        super().__init__("The start time cannot be modified after the task has already started.")


class TaskNotDeletable(DomainError):
    """Only future tasks can be deleted: a current or past one is the record of what was silenced."""

    def __init__(self):
        super().__init__("It is not possible to delete past or ongoing planned maintenance tasks.")


class TaskNotStarted(DomainError):
    """Ending a future task: delete it instead."""

    def __init__(self):
        super().__init__("The task has not started yet; delete it instead.")


class TaskAlreadyEnded(DomainError):
    def __init__(self):
        super().__init__("The task has already ended.")


class FiltersNotFound(DomainError):
    """Filters named for a task are gone (deleted meanwhile); ``pks`` lists them."""

    def __init__(self, pks: list[int]):
        super().__init__(f"No such filter(s): {', '.join(str(pk) for pk in pks)}.")
        self.pks = pks
