import pytest
from django.test import override_settings

from argus.notificationprofile.checks import (
    check_delivery_settings,
    check_fallback_filter,
    check_media_plugins,
)

EMAIL = "argus.notificationprofile.media.email.EmailNotification"
SMS = "argus.notificationprofile.media.sms_as_email.SMSNotification"


def ids(messages):
    return [message.id for message in messages]


def test_default_configuration_is_fine():
    assert check_media_plugins() == []
    assert check_fallback_filter() == []
    assert check_delivery_settings() == []


@override_settings(MEDIA_PLUGINS=[EMAIL, "argus.notificationprofile.media.nope.Fax"])
def test_unimportable_plugin_is_an_error():
    (error,) = check_media_plugins()
    assert error.id == "argus_notificationprofile.E002"
    assert "argus.notificationprofile.media.nope.Fax" in error.msg


@override_settings(MEDIA_PLUGINS=["argus.notificationprofile.models.Filter"])
def test_a_class_that_is_not_a_medium_is_an_error():
    assert ids(check_media_plugins()) == ["argus_notificationprofile.E002"]


@override_settings(MEDIA_PLUGINS=[EMAIL, SMS, EMAIL])
def test_duplicate_slugs_are_an_error():
    assert ids(check_media_plugins()) == ["argus_notificationprofile.E003"]


@override_settings(MEDIA_PLUGINS=EMAIL)
def test_a_string_instead_of_a_list_is_an_error():
    assert ids(check_media_plugins()) == ["argus_notificationprofile.E001"]


def test_missing_setting_is_an_error(settings):
    del settings.MEDIA_PLUGINS
    assert ids(check_media_plugins()) == ["argus_notificationprofile.E001"]


@override_settings(ARGUS_FALLBACK_FILTER={"maxlevel": 9})
def test_invalid_fallback_filter_is_a_warning():
    (warning,) = check_fallback_filter()
    assert warning.id == "argus_filter.W001"
    assert "maxlevel" in warning.msg


@override_settings(ARGUS_FALLBACK_FILTER={"acked": False, "maxlevel": 3})
def test_valid_fallback_filter():
    assert check_fallback_filter() == []


def test_checks_are_registered():
    from django.core.checks import registry

    names = {check.__name__ for check in registry.registry.get_checks()}
    assert {"check_media_plugins", "check_fallback_filter", "check_delivery_settings"} <= names


@pytest.mark.parametrize(
    "name",
    [
        "NOTIFICATION_LEASE",
        "NOTIFICATION_SWEEP_INTERVAL",
        "NOTIFICATION_RETRY_DELAY",
        "NOTIFICATION_MAX_RETRY_DELAY",
    ],
)
@pytest.mark.parametrize("value", ["lots", 0, -5])
def test_a_delivery_timing_that_is_not_a_positive_number_is_an_error(settings, name, value):
    setattr(settings, name, value)
    (error,) = check_delivery_settings()
    assert error.id == "argus_notificationprofile.E004"
    assert name in error.msg


def test_short_test_timings_are_fine(settings):
    settings.NOTIFICATION_LEASE = 0.5
    settings.NOTIFICATION_SWEEP_INTERVAL = 0.2
    settings.EMAIL_TIMEOUT = 0.2
    assert check_delivery_settings() == []


def test_a_lease_shorter_than_two_smtp_timeouts_is_a_warning(settings):
    settings.NOTIFICATION_LEASE = 15
    settings.EMAIL_TIMEOUT = 10
    assert ids(check_delivery_settings()) == ["argus_notificationprofile.W003"]


def test_a_lease_shorter_than_two_webhook_timeouts_is_a_warning_when_http_media_are_on(settings):
    settings.NOTIFICATION_LEASE = 15
    settings.EMAIL_TIMEOUT = 5
    settings.WEBHOOK_TIMEOUT = 10
    assert check_delivery_settings() == []  # neither Slack nor webhook installed
    settings.MEDIA_PLUGINS = [
        *settings.MEDIA_PLUGINS,
        "argus.notificationprofile.media.webhook.WebhookNotification",
    ]
    assert ids(check_delivery_settings()) == ["argus_notificationprofile.W004"]


@pytest.mark.parametrize("value", ["lots", 0, -5])
def test_a_webhook_timeout_that_is_not_a_positive_number_is_an_error(settings, value):
    settings.WEBHOOK_TIMEOUT = value
    (error,) = check_delivery_settings()
    assert error.id == "argus_notificationprofile.E004"
    assert "ARGUS_WEBHOOK_TIMEOUT" in error.hint
