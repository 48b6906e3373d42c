"""Settings of the worker and scheduler processes the crash tests start (the test settings, plus
the database task queue, SMTP to the test's sink and short leases, read from the environment)."""

import os

from argus.site.settings.test import *  # noqa: F401,F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ["ARGUS_TEST_SMTP_PORT"])
EMAIL_USE_TLS = False
EMAIL_TIMEOUT = 1  # the lease (3 s) outlasts two timeouts
DEFAULT_FROM_EMAIL = "argus@argus.example"
SEND_NOTIFICATIONS = True
NOTIFICATION_LEASE = float(os.environ["ARGUS_NOTIFICATION_LEASE_SECONDS"])
NOTIFICATION_SWEEP_INTERVAL = float(os.environ["ARGUS_NOTIFICATION_SWEEP_SECONDS"])
NOTIFICATION_RETRY_DELAY = 0.5
NOTIFICATION_MAX_RETRY_DELAY = 2
NOTIFICATION_MAX_ATTEMPTS = 60
NOTIFICATION_BATCH_WINDOW = 0.1
PERIODIC_JOBS = [(NOTIFICATION_SWEEP_INTERVAL, ["sweep_notifications"])]
