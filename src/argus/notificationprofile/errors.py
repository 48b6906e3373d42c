"""What the notification services refuse, in the domain's words.

The API's answers to these (status and body) are in :mod:`argus.notificationprofile.api.errors`;
the admin shows ``message``.
"""

from argus.util.errors import DomainError


class TimeslotNameTaken(DomainError):
    """The user already has a timeslot with this name."""

    def __init__(self, name: str, username: str):
        super().__init__(f'{username} already has a timeslot named "{name}".')
        self.name = name
        self.username = username


class FilterNameTaken(DomainError):
    """The user already has a filter with this name."""

    def __init__(self, name: str, username: str):
        super().__init__(f'{username} already has a filter named "{name}".')
        self.name = name
        self.username = username


class FilterInUse(DomainError):
    """A filter used by notification profiles cannot be deleted; ``profiles`` names them."""

    def __init__(self, profiles: list[str]):
        super().__init__(
            "Cannot delete this filter since it is in use in the notification profile(s): "
            f"{', '.join(profiles)}."
        )
        self.profiles = profiles


class FilterInMaintenance(DomainError):
    """A filter used by future or current planned maintenance tasks cannot be deleted; ``task_ids``
    names them (a past task's filters may go: the task then lists fewer filters)."""

    def __init__(self, task_ids: list[int]):
        tasks = ", ".join(f"#{pk}" for pk in task_ids)
        super().__init__(
            f"Cannot delete this filter since it is in use in planned maintenance task(s): {tasks}."
        )
        self.task_ids = task_ids


class DestinationLabelTaken(DomainError):
    """The user already has a destination of this medium with this label."""

    def __init__(self, label: str, media_name: str):
        super().__init__(f'The label "{label}" is already in use for another {media_name} destination.')
        self.label = label
        self.media_name = media_name


class DestinationExists(DomainError):
    """The user already has a destination with these settings."""

    def __init__(self):
        super().__init__("This destination already exists.")


class DestinationNotDeletable(DomainError):
    """The destination's medium refuses its deletion (in use by profiles, the synced email...)."""


class ProfileNameTaken(DomainError):
    """Another notification profile (of any user) already has this name."""

    def __init__(self, name: str):
        super().__init__(f'A notification profile named "{name}" already exists.')
        self.name = name


class TimeslotNotOwned(DomainError):
    """A notification profile's timeslot must belong to the profile's user."""

    def __init__(self):
        super().__init__("The timeslot belongs to another user than the notification profile.")


class PhoneNumberRequired(DomainError):
    """Notifying by SMS (the v1 ``media`` code) needs a phone number."""

    def __init__(self):
        super().__init__("A profile that notifies by SMS needs a phone number.")


class EmailAddressRequired(DomainError):
    """Notifying by email (the v1 ``media`` code) needs the user to have an email address."""

    def __init__(self):
        super().__init__("The user has no email address, so the profile cannot notify by email.")


class NotificationsOff(DomainError):
    """Nothing is sent while ``SEND_NOTIFICATIONS`` is off, test messages included."""

    def __init__(self):
        super().__init__("Notifications are turned off on this server.")


class DestinationTestUnsupported(DomainError):
    """The destination's medium is not installed, or its plugin cannot send a test message."""


class DestinationTestTooSoon(DomainError):
    """A destination gets at most one test message per interval; ``wait`` seconds are left."""

    def __init__(self, wait: float):
        super().__init__(f"This destination was tested a moment ago; try again in {wait:.0f} seconds.")
        self.wait = wait
