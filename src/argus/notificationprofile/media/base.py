"""The media plugin interface: the public path of :class:`NotificationMedium` (as in Argus 1.37).

A medium is a class named in ``settings.MEDIA_PLUGINS``. It validates the settings of its
destinations, labels them, tells which *address* a destination points at (messages are
de-duplicated by address, across users) and sends a message about an event. Sending is called by
the notification worker once per delivery, i.e. per (event, medium, address), so a plugin may
raise on failure: the worker records the error and retries later without repeating the other
addresses of the same event.

How an attempt ended is what ``send`` does: return ``True`` (accepted), raise
:class:`RetryLater` (try again, optionally not before ``retry_after`` seconds) or
:class:`PermanentFailure` (failed for good, no retry); any other exception is retried after the
engine's backoff. A medium that can send a test message sets ``CAN_SEND_TEST`` and implements
``send_test(destination)``, returning a :class:`TestMessageResult`.

A minimal webhook medium (the built-in one is ``argus.notificationprofile.media.webhook``)::

    class WebhookNotification(NotificationMedium):
        MEDIA_SLUG = "webhook"
        MEDIA_NAME = "Webhook"
        MEDIA_JSON_SCHEMA = {"title": "Webhook Settings", "type": "object", "required": ["url"],
                             "properties": {"url": {"type": "string", "title": "URL"}}}

        @classmethod
        def validate(cls, instance, dict, user):
            url = (dict.get("settings") or {}).get("url")
            if not url:
                raise serializers.ValidationError({"url": ["This field is required."]})
            return {"url": url}

        @classmethod
        def get_address(cls, destination):
            return destination.settings["url"]

        ACCEPTS_MESSAGE_ID = True

        @classmethod
        def send(cls, event, destinations, **kwargs):
            headers = {"X-Argus-Delivery": kwargs.get("message_id", "")}
            for url in cls.get_relevant_addresses(destinations):
                response = httpx.post(url, json={"event": event.pk, "type": event.type},
                                      headers=headers, timeout=10)
                if response.status_code == 404:
                    raise PermanentFailure("HTTP 404")
                if not response.is_success:
                    raise RetryLater(f"HTTP {response.status_code}")
            return True
"""

from argus.notificationprofile.plugins import (
    TEST_MESSAGE_TITLE,
    AddressMedium,
    NotificationMedium,
    PermanentFailure,
    RetryLater,
    TestMessageResult,
)

__all__ = [
    "TEST_MESSAGE_TITLE",
    "AddressMedium",
    "NotificationMedium",
    "PermanentFailure",
    "RetryLater",
    "TestMessageResult",
]
