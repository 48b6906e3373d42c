"""What the incident services refuse, in the domain's words.

The API's answers to these (status and body) are in :mod:`argus.incident.api.errors`.
"""

from argus.util.errors import DomainError


class DuplicateSourceIncidentId(DomainError):
    """The source already has an incident with this ``source_incident_id``."""

    def __init__(self, source_incident_id: str, existing_pk):
        super().__init__(
            f"An incident with source_incident_id '{source_incident_id}' already exists for this source "
            f"(pk={existing_pk})."
        )
        self.source_incident_id = source_incident_id
        self.existing_pk = existing_pk


class EndTimeBeforeStartTime(DomainError):
    """A stateful incident would end before it started."""

    def __init__(self):
        super().__init__("'end_time' cannot be before 'start_time'.")


class EventNotAllowed(DomainError):
    """The actor may not post an event of this type, or the incident's state forbids it now."""


class TagRemovalNotAllowed(DomainError):
    """A non-superuser tried to remove tags someone else added; ``tags`` lists them (``key=value``)."""

    def __init__(self, tags: list[str]):
        super().__init__(f"Cannot remove tags added by someone else: {', '.join(tags)}")
        self.tags = tags


class ExpiredAcknowledgement(DomainError):
    def __init__(self):
        super().__init__("Cannot change expired Acknowledgement")


class SourceSystemExists(DomainError):
    """Another source system has the same name and type."""

    def __init__(self, name: str, type_name: str):
        super().__init__("Source system with this Name and Type already exists.")
        self.name = name
        self.type_name = type_name


class InvalidSystemUsername(DomainError):
    """The username asked for a source system's user (by default the source's name) is not valid.

    ``messages`` are the validators' sentences, e.g. "Enter a valid username. ...".
    """

    def __init__(self, username: str, messages: list[str]):
        super().__init__(f'"{username}" cannot be a username: {" ".join(messages)}')
        self.username = username
        self.messages = messages


class SourceSystemInUse(DomainError):
    """A source system that has incidents cannot be deleted (they would lose their source)."""

    def __init__(self, source_name: str):
        super().__init__(f"Cannot delete the source system {source_name}: it has incidents.")
        self.source_name = source_name


class SourceSystemTypeExists(DomainError):
    def __init__(self, name: str):
        super().__init__("source system type with this name already exists.")
        self.name = name
