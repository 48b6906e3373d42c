"""The media plugin interface: the public path of :class:`NotificationMedium` (as in Argus 1.37).

A medium is a class named in ``settings.MEDIA_PLUGINS``. It validates the settings of its
destinations, labels them, tells which *address* a destination points at (messages are
de-duplicated by address, across users) and sends a message about an event. Sending is called by
the notification worker once per delivery, i.e. per (event, medium, address), so a plugin may
raise on failure: the worker records the error and retries later without repeating the other
addresses of the same event.

A minimal webhook medium::

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
                httpx.post(url, json={"event": event.pk, "type": event.type}, headers=headers,
                           timeout=10).raise_for_status()
            return True
"""

from argus.notificationprofile.plugins import AddressMedium, NotificationMedium

__all__ = ["AddressMedium", "NotificationMedium"]
