"""The email and SMS media: what is sent (§12.6, §12.7), destination settings, labels, deletion."""

import datetime
import re
import smtplib
import zoneinfo

import pytest
from django.core import mail
from django.test import override_settings
from rest_framework import serializers

from argus.incident import services
from argus.incident.models import Event
from argus.notificationprofile.choices import EMAIL_MEDIA_SLUG, SMS_MEDIA_SLUG
from argus.notificationprofile.media import (
    MediumNotInstalled,
    api_safely_get_medium_object,
    get_medium,
    get_notification_media,
    sync_media_table,
)
from argus.notificationprofile.media.base import NotificationMedium
from argus.notificationprofile.media.email import (
    EmailNotification,
    PreparedMail,
    email_message,
    rendered_email,
    send_mail_data,
)
from argus.notificationprofile.media.sms_as_email import SMSNotification
from argus.notificationprofile.models import DestinationConfig, Media
from tests.factories import EndUserFactory, SourceSystemFactory, SourceUserFactory
from tests.notificationprofile.delivery import SMTPSink, counting_sink, free_port, smtp_settings
from tests.notificationprofile.factories import (
    DestinationConfigFactory,
    FilterFactory,
    NotificationProfileFactory,
    SMSDestinationFactory,
    media_for,
)

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")


@pytest.fixture
def nrov_source(db):
    return SourceSystemFactory(
        name="nrov", user=SourceUserFactory(username="nrov_src"), base_url="https://elsewhere.example/"
    )


@pytest.fixture
def closed_at_birth(nrov_source):
    incident = services.incident_create(
        actor=nrov_source.user,
        source=nrov_source,
        start_time=datetime.datetime(2026, 11, 22, 12, 30, tzinfo=OSLO),
        end_time=datetime.datetime(2026, 11, 22, 13, 0, tzinfo=OSLO),
        details_url="x",
        description="nrov closed-at-birth",
        level=5,
        ticket_url="https://t.example/1",
        metadata={"k": [1, 2]},
    )
    return incident.events.get()


class TestEmailMessage:
    def test_subject_text_and_recipients(self, closed_at_birth):
        assert EmailNotification.send(
            closed_at_birth, [DestinationConfigFactory(settings={"email_address": "a@x.example"})]
        )
        (message,) = mail.outbox
        assert (
            message.subject
            == "[Argus] 'Incident start': nrov closed-at-birth, nrov_src @ 2026-11-22 12:30:00+01:00"
        )
        assert message.to == ["a@x.example"]
        assert message.from_email == "argus@localhost"
        assert message.cc == [] and message.bcc == []
        assert message.body == (
            "Status: STA\nActor: nrov_src\n\nstart_time       : 2026-11-22 12:30:00+01:00\n\n"
            "end_time         : 2026-11-22 13:00:00+01:00\n\nsource_incident_id: \n\n"
            "details_url      : https://elsewhere.example/x\n\ndescription      : nrov closed-at-birth\n\n"
            "level            : 5\n\nticket_url       : https://t.example/1\n\nsearch_text      : \n\n"
            "metadata         : {'k': [1, 2]}\n\n"
        )

    def test_html_alternative_is_localised_and_escaped(self, closed_at_birth):
        EmailNotification.send(closed_at_birth, [DestinationConfigFactory()])
        ((html, mimetype),) = mail.outbox[0].alternatives
        assert mimetype == "text/html"
        assert html.startswith("<!DOCTYPE html>")
        assert '<html lang="en">' in html
        assert (
            "<title>&#x27;Incident start&#x27;: nrov closed-at-birth, nrov_src @ 2026-11-22 12:30:00+01:00</title>"
            in html
        )
        assert "border-collapse: collapse" in html and "1px solid black" in html and "padding: 0.5em" in html
        assert "<th>Status</th><td>STA</td>" in html
        assert "<th>Actor</th><td>nrov_src</td>" in html
        assert "Nov. 22, 2026, 12:30 p.m." in html
        assert "Nov. 22, 2026, 1 p.m." in html
        assert "{&#x27;k&#x27;: [1, 2]}" in html

    def test_open_and_stateless_end_times(self, nrov_source):
        start = datetime.datetime(2026, 11, 22, 12, 30, tzinfo=OSLO)
        open_incident = services.incident_create(actor=nrov_source.user, source=nrov_source, start_time=start)
        stateless = services.incident_create(
            actor=nrov_source.user, source=nrov_source, start_time=start, end_time=None
        )
        EmailNotification.send(open_incident.events.get(), [DestinationConfigFactory()])
        EmailNotification.send(stateless.events.get(), [DestinationConfigFactory()])
        assert "end_time         : Still open\n" in mail.outbox[0].body
        assert "Still open" in mail.outbox[0].alternatives[0][0]
        assert "end_time         : None\n" in mail.outbox[1].body
        assert "'Stateless'" in mail.outbox[1].subject

    def test_search_text_is_the_text_before_this_event(self, closed_at_birth, nrov_source):
        incident = closed_at_birth.incident
        other = services.event_create(
            incident=incident, actor=EndUserFactory(), type=Event.Type.OTHER, description="first note"
        )
        later = services.event_create(
            incident=incident, actor=EndUserFactory(), type=Event.Type.OTHER, description="second"
        )
        EmailNotification.send(other, [DestinationConfigFactory()])
        EmailNotification.send(later, [DestinationConfigFactory()])
        assert "search_text      :  nrov closed-at-birth\n" in mail.outbox[0].body
        assert "search_text      :  nrov closed-at-birth first note\n" in mail.outbox[1].body
        assert mail.outbox[1].subject.startswith("[Argus] 'Other': nrov closed-at-birth, ")

    def test_one_mail_per_distinct_address_across_users(self, closed_at_birth):
        destinations = [
            DestinationConfigFactory(settings={"email_address": "a@x.example"}),
            DestinationConfigFactory(settings={"email_address": "a@x.example"}),
            DestinationConfigFactory(settings={"email_address": "b@x.example"}),
            SMSDestinationFactory(),
        ]
        EmailNotification.send(closed_at_birth, destinations)
        assert sorted(message.to[0] for message in mail.outbox) == ["a@x.example", "b@x.example"]

    def test_nothing_to_send(self, closed_at_birth):
        assert EmailNotification.send(closed_at_birth, [SMSDestinationFactory()]) is False
        assert mail.outbox == []

    @override_settings(NOTIFICATION_SUBJECT_PREFIX="[Test] ")
    def test_subject_prefix_setting(self, closed_at_birth):
        EmailNotification.send(closed_at_birth, [DestinationConfigFactory()])
        assert mail.outbox[0].subject.startswith("[Test] 'Incident start'")


def _normalised(data: bytes) -> bytes:
    """Message bytes without what differs between two builds: Date, Message-ID, MIME boundary."""
    data = re.sub(rb"\r\nDate: [^\r]*", b"\r\nDate: D", data)
    data = re.sub(rb"\r\nMessage-ID: <[^>]*>", b"\r\nMessage-ID: M", data)
    return re.sub(rb"===============\d+==", b"BOUNDARY", data)


class TestPreparedMail:
    """The mail bytes serialised once per event equal Django's own, address by address."""

    @pytest.mark.parametrize(
        "address",
        ["a@x.example", "first.last+tag@sub.example.org", f"{'u' * 60}@x.example", f"{'u' * 64}@x.example"],
    )
    def test_same_bytes_as_django_builds(self, closed_at_birth, address):
        assert len(f"To: {address}") <= 78  # the longest fills a header line exactly
        parts = rendered_email(closed_at_birth)
        prepared = PreparedMail(*parts).data_for(address)
        django_built = email_message(*parts, address).message().as_bytes(linesep="\r\n")
        assert _normalised(prepared) == _normalised(django_built)
        assert f"\r\nTo: {address}\r\n".encode() in prepared

    @pytest.mark.parametrize(
        "subject, text, html",
        [
            ("[Argus] 'Incident start': plain", "Status: STA\n", "<p>x</p>\n"),
            ("[Argus] 'Incident start': rørleggeren på 🚒 kom", "beskrivelse: ø æ å 🚒\n", "<p>ø</p>"),
            ("[Argus] 'Incident start': " + "long words " * 20, "text\n", "<p>x</p>"),
            ("[Argus] 'Other': dots", ".leading dot\n..two\n.\n", ".html dot\n"),
            ("[Argus] 'Other': long line", "x" * 1200 + "\n", "<p>" + "y" * 1100 + "</p>"),
            ("[Argus] 'Other': crlf and tabs", "a\r\nb\tc\n\n\n", "<p>\tx</p>\r\n"),
            ("[Argus] 'Other':\ttab  and  double spaces ", "x\n", "<p>x</p>"),
            ("[Argus] 'Other': " + "x" * 52, "exactly 78\n", "<p>x</p>"),
            ("[Argus] 'Other': " + "x" * 53, "79, one word\n", "<p>x</p>"),
        ],
        ids=[
            "ascii",
            "non-ascii",
            "folded-subject",
            "leading-dots",
            "long-lines",
            "crlf-tabs",
            "subject-whitespace",
            "subject-fills-line",
            "subject-one-over",
        ],
    )
    def test_same_bytes_as_django_builds_whatever_the_content(self, subject, text, html):
        prepared = PreparedMail(subject, text, html).data_for("a@x.example")
        django_built = email_message(subject, text, html, "a@x.example").message().as_bytes(linesep="\r\n")
        assert _normalised(prepared) == _normalised(django_built)

    def test_each_address_gets_its_own_message_id(self, closed_at_birth):
        prepared = PreparedMail(*rendered_email(closed_at_birth))
        ids = {
            re.search(rb"Message-ID: (<[^>]*>)", prepared.data_for("a@x.example")).group(1) for _ in range(3)
        }
        assert len(ids) == 3

    @pytest.mark.parametrize("address", [f"{'u' * 65}@x.example", "a@bø.example"])
    def test_long_or_non_ascii_addresses_are_left_to_django(self, closed_at_birth, address):
        assert PreparedMail(*rendered_email(closed_at_birth)).data_for(address) is None

    def test_sent_over_smtp_prepared_and_not(self, closed_at_birth):
        """Through a real SMTP server: prepared addresses and one Django builds, same content."""
        port = free_port()
        addresses = ["a@x.example", "b@x.example", "c@bø.example"]
        with SMTPSink(port) as sink, smtp_settings(port):
            assert EmailNotification.send(
                closed_at_birth,
                [DestinationConfigFactory(settings={"email_address": address}) for address in addresses],
            )
            received = sink.wait_for(3)
        assert [rcpt for rcpt, _message in received] == [
            ["a@x.example"],
            ["b@x.example"],
            ["c@xn--b-5ga.example"],
        ]
        messages = [message for _rcpt, message in received]
        assert [message["To"] for message in messages] == [
            "a@x.example",
            "b@x.example",
            "c@xn--b-5ga.example",
        ]
        assert len({message["Message-ID"] for message in messages}) == 3
        for message in messages:
            assert message["From"] == "argus@argus.example"
            assert message["Subject"] == (
                "[Argus] 'Incident start': nrov closed-at-birth, nrov_src @ 2026-11-22 12:30:00+01:00"
            )
            text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
            assert text.startswith(
                "Status: STA\nActor: nrov_src\n\nstart_time       : 2026-11-22 12:30:00+01:00\n"
            )
            assert "Nov. 22, 2026, 12:30 p.m." in message.get_body(("html",)).get_content()


class TestSendMailData:
    """One mail over an open SMTP connection, pipelined when the server offers PIPELINING."""

    DATA = b"Subject: hi\r\n\r\n.leading dot\r\nbody"

    def send_three(self, port, monkeypatch, **sink_options):
        plain_sendmail = []
        original = smtplib.SMTP.sendmail
        monkeypatch.setattr(
            smtplib.SMTP, "sendmail", lambda smtp, *args: plain_sendmail.append(args) or original(smtp, *args)
        )
        outcomes = []
        with counting_sink(port, **sink_options) as sink:
            smtp = smtplib.SMTP("127.0.0.1", port, timeout=5)
            try:
                for recipient in ("a@x.example", "refused@x.example", "c@x.example"):
                    try:
                        send_mail_data(smtp, "argus@argus.example", recipient, self.DATA)
                    except smtplib.SMTPException as error:
                        outcomes.append(type(error).__name__)
                    else:
                        outcomes.append("sent")
            finally:
                smtp.quit()
            received = sink.wait_for(2)
        return outcomes, received, plain_sendmail

    @pytest.mark.parametrize("pipelining", [True, False])
    def test_a_refused_recipient_raises_and_the_connection_goes_on(self, monkeypatch, pipelining):
        outcomes, received, plain = self.send_three(
            free_port(), monkeypatch, refuse=("refused@",), pipelining=pipelining
        )
        assert outcomes == ["sent", "SMTPRecipientsRefused", "sent"]
        assert [recipients for recipients, _message in received] == [["a@x.example"], ["c@x.example"]]
        assert received[0][1].get_content().splitlines() == [".leading dot", "body"]  # dot-stuffing undone
        assert len(plain) == (0 if pipelining else 3)  # smtplib's own sendmail only without pipelining

    @pytest.mark.parametrize("pipelining", [True, False])
    def test_a_rejected_message_raises_and_the_connection_goes_on(self, monkeypatch, pipelining):
        outcomes, received, _plain = self.send_three(
            free_port(), monkeypatch, reject_data=("refused@",), pipelining=pipelining
        )
        assert outcomes == ["sent", "SMTPDataError", "sent"]
        assert [recipients for recipients, _message in received] == [["a@x.example"], ["c@x.example"]]


class TestSMSMessage:
    @override_settings(SMS_GATEWAY_ADDRESS="gateway@sms.example")
    def test_one_plain_mail_per_number_to_the_gateway(self, closed_at_birth):
        other = services.event_create(
            incident=closed_at_birth.incident,
            actor=EndUserFactory(),
            type=Event.Type.OTHER,
            description="disk full",
        )
        numbers = [
            SMSDestinationFactory(settings={"phone_number": "+4747470001"}),
            SMSDestinationFactory(settings={"phone_number": "+4747470001"}),
            SMSDestinationFactory(settings={"phone_number": "+4747470002"}),
            DestinationConfigFactory(),
        ]
        assert SMSNotification.send(other, numbers)
        assert [(m.subject, m.to, m.body) for m in mail.outbox] == [
            ("sms +4747470001", ["gateway@sms.example"], "disk full"),
            ("sms +4747470002", ["gateway@sms.example"], "disk full"),
        ]
        assert all(not getattr(m, "alternatives", None) for m in mail.outbox)

    @override_settings(SMS_GATEWAY_ADDRESS=None)
    def test_without_gateway_nothing_is_sent_and_it_is_logged(self, closed_at_birth, caplog):
        assert SMSNotification.send(closed_at_birth, [SMSDestinationFactory()]) is False
        assert mail.outbox == []
        assert (
            "SMS_GATEWAY_ADDRESS is not set, cannot dispatch SMS notifications using this plugin"
            in caplog.text
        )


class FakeSerializer:
    def __init__(self, instance=None):
        self.instance = instance


def validation_errors(medium, settings, user, instance=None):
    with pytest.raises(serializers.ValidationError) as info:
        medium.validate(FakeSerializer(instance), {"settings": settings}, user)
    return info.value.detail


@pytest.mark.django_db
class TestDestinationSettings:
    def test_email_is_cleaned_and_not_synced(self):
        user = EndUserFactory()
        assert EmailNotification.validate(
            FakeSerializer(), {"settings": {"email_address": "n@x.example", "synced": True, "x": 1}}, user
        ) == {
            "email_address": "n@x.example",
            "synced": False,
        }

    def test_email_errors(self):
        user = EndUserFactory(email="me@x.example")
        DestinationConfigFactory(user=user, settings={"email_address": "taken@x.example", "synced": False})
        assert validation_errors(EmailNotification, {}, user) == {
            "email_address": ["This field is required."]
        }
        assert validation_errors(EmailNotification, {"email_address": "nope"}, user) == {
            "email_address": ["Enter a valid email address."]
        }
        assert validation_errors(EmailNotification, {"email_address": "me@x.example"}, user) == {
            "non_field_errors": ["This email address is already registered in another destination."]
        }
        assert validation_errors(EmailNotification, {"email_address": "taken@x.example"}, user) == {
            "email_address": ["Email address already exists"]
        }
        assert validation_errors(EmailNotification, "x", user) == {
            "non_field_errors": ["Settings has to be a dictionary."]
        }

    def test_email_may_keep_its_own_address_on_update(self):
        user = EndUserFactory()
        destination = DestinationConfigFactory(
            user=user, settings={"email_address": "mine@x.example", "synced": False}
        )
        assert EmailNotification.validate(
            FakeSerializer(destination), {"settings": {"email_address": "mine@x.example"}}, user
        )

    def test_another_user_may_register_the_same_address(self):
        DestinationConfigFactory(settings={"email_address": "shared@x.example", "synced": False})
        assert EmailNotification.validate(
            FakeSerializer(), {"settings": {"email_address": "shared@x.example"}}, EndUserFactory()
        )

    def test_sms_is_normalised_to_e164(self):
        assert SMSNotification.validate(
            FakeSerializer(), {"settings": {"phone_number": "+47 474 74 702", "x": 1}}, EndUserFactory()
        ) == {"phone_number": "+4747474702"}

    def test_sms_errors(self):
        user = EndUserFactory()
        SMSDestinationFactory(user=user, settings={"phone_number": "+4747474702"})
        assert validation_errors(SMSNotification, {}, user) == {"phone_number": ["This field is required."]}
        assert validation_errors(SMSNotification, {"phone_number": "12"}, user) == {
            "phone_number": ["Enter a valid phone number (e.g. +12125552368)."]
        }
        assert validation_errors(SMSNotification, {"phone_number": "+4747474702"}, user) == {
            "phone_number": ["Phone number already exists"]
        }

    def test_labels_and_duplicates(self):
        email = DestinationConfigFactory(settings={"email_address": "d@x.example", "synced": False})
        sms = SMSDestinationFactory(settings={"phone_number": "+4747474701"})
        assert EmailNotification.get_label(email) == "Email: d@x.example"
        assert SMSNotification.get_label(sms) == "SMS: +4747474701"
        others = DestinationConfig.objects.exclude(user=email.user)
        assert not EmailNotification.has_duplicate(others, email.settings)
        DestinationConfigFactory(settings={"email_address": "d@x.example", "synced": False})
        assert EmailNotification.has_duplicate(
            DestinationConfig.objects.exclude(user=email.user), email.settings
        )
        assert not SMSNotification.has_duplicate(
            DestinationConfig.objects.exclude(user=sms.user), sms.settings
        )

    def test_destination_in_use_cannot_be_deleted(self):
        destination = DestinationConfigFactory()
        profile = NotificationProfileFactory(name="p1", destinations=[destination], filters=[FilterFactory()])
        with pytest.raises(NotificationMedium.NotDeletableError) as info:
            EmailNotification.raise_if_not_deletable(destination)
        assert (
            str(info.value)
            == f"Cannot delete this destination since it is in use in the notification profile(s): {profile}."
        )

    def test_synced_email_cannot_be_deleted(self):
        user = EndUserFactory(email="synced@x.example")
        synced = DestinationConfig.objects.get(user=user, settings__synced=True)
        with pytest.raises(NotificationMedium.NotDeletableError) as info:
            EmailNotification.raise_if_not_deletable(synced)
        assert (
            str(info.value)
            == "Cannot delete this email destination since it was defined by an outside source."
        )
        SMSNotification.raise_if_not_deletable(SMSDestinationFactory())

    def test_patching_the_synced_destination_keeps_the_synced_address(self):
        user = EndUserFactory(email="synced@x.example")
        synced = DestinationConfig.objects.get(user=user, settings__synced=True)
        updated = EmailNotification.update(
            synced, {"settings": {"email_address": "new@x.example", "synced": False}}
        )
        assert updated.pk == synced.pk
        assert updated.settings == {"email_address": "new@x.example", "synced": False}
        kept = DestinationConfig.objects.get(user=user, settings__synced=True)
        assert kept.pk != synced.pk and kept.settings["email_address"] == "synced@x.example"

    def test_ordinary_update_is_left_to_the_caller(self):
        assert (
            EmailNotification.update(
                DestinationConfigFactory(), {"settings": {"email_address": "n@x.example"}}
            )
            is None
        )
        assert SMSNotification.update(SMSDestinationFactory(), {}) is None


class TestPluginRegistry:
    def test_get_medium(self):
        assert get_medium(EMAIL_MEDIA_SLUG) is EmailNotification
        assert get_medium(SMS_MEDIA_SLUG) is SMSNotification
        with pytest.raises(MediumNotInstalled):
            get_medium("fax")

    def test_api_error_for_unknown_medium(self):
        with pytest.raises(serializers.ValidationError) as info:
            api_safely_get_medium_object("xyz")
        assert info.value.detail == ['Medium "xyz" is not installed.']

    def test_settings_change_is_picked_up(self):
        with override_settings(MEDIA_PLUGINS=["argus.notificationprofile.media.email.EmailNotification"]):
            with pytest.raises(MediumNotInstalled):
                get_medium(SMS_MEDIA_SLUG)
        assert get_medium(SMS_MEDIA_SLUG) is SMSNotification

    def test_broken_entry_is_skipped(self, caplog):
        with override_settings(
            MEDIA_PLUGINS=["no.such.Plugin", "argus.notificationprofile.media.email.EmailNotification"]
        ):
            assert get_medium(EMAIL_MEDIA_SLUG) is EmailNotification
        assert "no.such.Plugin" in caplog.text

    @pytest.mark.django_db
    def test_media_without_plugin_are_skipped(self):
        destinations = [
            DestinationConfigFactory(),
            DestinationConfigFactory(media=media_for("fax"), settings={"n": 1}),
        ]
        assert get_notification_media(destinations) == {EMAIL_MEDIA_SLUG: EmailNotification}

    @pytest.mark.django_db
    def test_sync_media_table(self):
        Media.objects.create(slug="fax", name="Fax")
        Media.objects.filter(slug=SMS_MEDIA_SLUG).delete()
        sync_media_table()
        assert dict(Media.objects.values_list("slug", "installed")) == {
            "email": True,
            "sms": True,
            "fax": False,
        }
