"""Named constants of the notification app.

The two built-in media are known by their slugs outside their plugins too: a user's synced email
destination, v1 phone numbers (SMS destinations) and the v1 profile ``media`` codes refer to them.
"""

EMAIL_MEDIA_SLUG = "email"
EMAIL_MEDIA_NAME = "Email"
SMS_MEDIA_SLUG = "sms"
SMS_MEDIA_NAME = "SMS"

#: slug -> name of the built-in media, the Media rows they get when no ``migrate`` made them.
BUILTIN_MEDIA = {EMAIL_MEDIA_SLUG: EMAIL_MEDIA_NAME, SMS_MEDIA_SLUG: SMS_MEDIA_NAME}

#: The timeslot every user gets: every day, the whole day.
DEFAULT_TIMESLOT_NAME = "All the time"
EVERY_DAY = [1, 2, 3, 4, 5, 6, 7]

#: The media this server adds to Argus 1.37's (off unless listed in ``MEDIA_PLUGINS``).
SLACK_MEDIA_SLUG = "slack"
SLACK_MEDIA_NAME = "Slack"
WEBHOOK_MEDIA_SLUG = "webhook"
WEBHOOK_MEDIA_NAME = "Webhook"

#: Destination settings keys whose values are write-only, whatever the medium (a webhook's signing
#: secret): never shown in a response, a page, the admin or a log, but as :data:`WRITE_ONLY_MASK`.
WRITE_ONLY_SETTINGS = frozenset({"secret"})
WRITE_ONLY_MASK = "********"
