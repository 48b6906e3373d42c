"""Email medium: one mail per distinct address, text + HTML."""

from __future__ import annotations

import functools
import io
import logging
import random
import re
import smtplib
import sys
from collections.abc import Iterable, Mapping
from email.generator import BytesGenerator
from email.policy import Compat32
from email.utils import make_msgid, parseaddr
from typing import Any

from django import forms
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.template.loader import get_template
from rest_framework import serializers

from argus.incident.models import Event
from argus.notificationprofile.choices import EMAIL_MEDIA_NAME, EMAIL_MEDIA_SLUG
from argus.notificationprofile.media.base import TEST_MESSAGE_TITLE, AddressMedium, TestMessageResult
from argus.notificationprofile.media.simple_template import render_template
from argus.notificationprofile.models import DestinationConfig
from argus.notificationprofile.rendering import (
    html_fields,
    notification_subject,
    notification_text,
    subject_prefix,
)

logger = logging.getLogger(__name__)

EMAIL_ADDRESS = "email_address"
SYNCED = "synced"


HTML_TEMPLATE = "notificationprofile/email/notification.html"


def rendered_email(event: Event) -> tuple[str, str, str]:
    """Subject, text and HTML of the mail about ``event``, rendered once per event object."""
    cached = getattr(event, "_argus_email_parts", None)
    if cached is None:
        title = notification_subject(event, prefix="")
        html = render_template(
            get_template(HTML_TEMPLATE), {"title": title, "event": event, "fields": html_fields(event)}
        )
        cached = (f"{subject_prefix()}{title}", notification_text(event), html)
        event._argus_email_parts = cached
    return cached


_PLACEHOLDER = "to@prepared.invalid"


def message_id_header(message_id: str | None) -> str:
    """The ``Message-ID`` of a notification: from its delivery's id when given, else a fresh one.

    The domain is the one of ``DEFAULT_FROM_EMAIL`` (not the worker's host name), so every attempt
    at a message, by whatever worker, carries the same header and receivers can drop duplicates.
    """
    if not message_id:
        return make_msgid(domain=DNS_NAME)
    return f"<{message_id}@{_sender_domain(settings.DEFAULT_FROM_EMAIL)}>"


@functools.lru_cache(maxsize=64)
def _sender_domain(from_email: str) -> str:
    domain = parseaddr(from_email)[1].rpartition("@")[2].strip().strip("<>")
    return domain if domain and domain.isascii() and " " not in domain else "argus.invalid"


def email_message(
    subject: str, text: str, html: str, address: str, connection=None, message_id: str | None = None
) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        connection=connection,
        headers={"Message-ID": message_id_header(message_id)} if message_id else None,
    )
    message.attach_alternative(html, "text/html")
    return message


class _PlainHeaders(Compat32):
    """Django's email policy (compat32), writing a short plain-ASCII header as it is.

    compat32 passes every header through ``email.header.Header`` to fold it, which was about a
    quarter of preparing a mail; for a value without tabs or line breaks that fits on one line the
    result is the value itself (checked on 130 000 random headers, and by the tests comparing
    prepared bytes with Django's), so only the others are folded.
    """

    def _fold(self, name, value, sanitize):
        if type(value) is str and self.is_plain(name, value):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)

    def is_plain(self, name: str, value: str) -> bool:
        """True when ``name: value`` is written unchanged on one line."""
        return (
            len(name) + len(value) + 2 <= self.max_line_length
            and value.isascii()
            and "\t" not in value
            and "\n" not in value
            and "\r" not in value
        )


_PLAIN_HEADERS = _PlainHeaders(linesep="\r\n")


class PreparedMail:
    """One event's mail serialised once; each address gets those bytes with its own To and Message-ID.

    Building and serialising the MIME message is most of what a notification costs the worker;
    every recipient of an event gets the same subject and bodies, so the bytes are made
    once per event and only the two per-message headers are written per address, with the policy
    the rest was written with. An address that is not plain ASCII fitting one header line (Django
    would encode or fold it) makes :meth:`data_for` return ``None``: that mail goes through
    Django's own message building.
    """

    def __init__(self, subject: str, text: str, html: str):
        mime = email_message(subject, text, html, _PLACEHOLDER).message()
        mime.set_boundary(_boundary(text, html))
        out = io.BytesIO()
        # As Django's as_bytes() does, with the policy that skips folding plain short headers.
        BytesGenerator(out, mangle_from_=False, policy=_PLAIN_HEADERS).flatten(mime)
        raw = out.getvalue()
        head, _sep, body = raw.partition(b"\r\n\r\n")
        self.headers: list[bytes] = []
        for line in head.split(b"\r\n"):
            if line[:1] in (b" ", b"\t") and self.headers:
                self.headers[-1] += b"\r\n" + line
            else:
                self.headers.append(line)
        self.body = b"\r\n\r\n" + body
        names = [line.partition(b":")[0].lower() for line in self.headers]
        self.usable = names.count(b"to") == 1 and names.count(b"message-id") == 1
        if self.usable:
            self.to_index, self.id_index = names.index(b"to"), names.index(b"message-id")

    def data_for(self, address: str, message_id: str | None = None) -> bytes | None:
        """The message bytes for ``address``, or ``None`` when it needs Django's own building."""
        if not self.usable or not _PLAIN_HEADERS.is_plain("To", address):
            return None
        headers = list(self.headers)
        headers[self.to_index] = _header_line("To", address)
        headers[self.id_index] = _header_line("Message-ID", message_id_header(message_id))
        return b"\r\n".join(headers) + self.body


def _header_line(name: str, value: str) -> bytes:
    """The header as the generator writes it (folded if it must be), without the final line break."""
    return _PLAIN_HEADERS.fold_binary(name, value)[:-2]


def _boundary(*parts: str) -> str:
    """A MIME boundary as the email package makes one, found in none of ``parts``.

    Left to itself the email package compiles a new regular expression for every message to
    check its random boundary against the text.
    """
    while True:
        boundary = "=" * 15 + f"{random.randrange(sys.maxsize):019d}" + "=="
        if not any(boundary in part for part in parts):
            return boundary


def prepared_mail(event: Event) -> PreparedMail:
    """The :class:`PreparedMail` about ``event``, made once per event object."""
    cached = getattr(event, "_argus_prepared_mail", None)
    if cached is None:
        cached = event._argus_prepared_mail = PreparedMail(*rendered_email(event))
    return cached


@functools.lru_cache(maxsize=4096)
def _envelope_address(address: str, encoding: str) -> str:
    return sanitize_address(address, encoding)


def _send_prepared(
    connection: SMTPBackend, event: Event, addresses: list[str], message_id: str | None = None
) -> bool | None:
    """Send over Django's SMTP backend as it would, with the prepared bytes; ``None``: cannot.

    The backend's own lock is not taken: a worker sends from one thread, and the connection it
    passes is its own.
    """
    prepared = prepared_mail(event)
    payloads = [prepared.data_for(address, message_id) for address in addresses]
    if any(data is None for data in payloads):
        return None
    encoding = settings.DEFAULT_CHARSET
    sender = _envelope_address(settings.DEFAULT_FROM_EMAIL, encoding)
    opened = connection.open()
    if not connection.connection or opened is None:  # the backend failed silently to connect
        return False
    try:
        for address, data in zip(addresses, payloads, strict=True):
            send_mail_data(connection.connection, sender, _envelope_address(address, encoding), data)
    finally:
        if opened:
            connection.close()
    return True


@functools.lru_cache(maxsize=4096)
def _quoted(address: str) -> str:
    """``smtplib.quoteaddr`` (which parses the address every time), remembered per address."""
    return smtplib.quoteaddr(address)


_LEADING_DOT = re.compile(rb"(?m)^\.")


def send_mail_data(smtp: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> None:
    """``smtp.sendmail(sender, [recipient], data)``, pipelined (RFC 2920) when the server offers it.

    ``MAIL``, ``RCPT`` and ``DATA`` go in one write and their replies are read together, then the
    message: two round trips per mail instead of four, which roughly halves the worker's CPU per
    mail in the SMTP conversation and its time per mail with a remote relay. Refusals raise what
    ``sendmail`` raises (the transaction is reset, or the connection closed on 421).
    """
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("pipelining"):
        smtp.sendmail(sender, [recipient], data)
        return
    size = f" SIZE={len(data)}" if smtp.has_extn("size") else ""
    smtp.send(
        f"MAIL FROM:{_quoted(sender)}{size}\r\nRCPT TO:{_quoted(recipient)}\r\nDATA\r\n".encode("ascii")
    )
    mail_reply, rcpt_reply, data_reply = smtp.getreply(), smtp.getreply(), smtp.getreply()
    accepted = mail_reply[0] == 250 and rcpt_reply[0] in (250, 251)
    final_reply = None
    if data_reply[0] == 354:
        if accepted:
            content = _LEADING_DOT.sub(b"..", data)
            if not content.endswith(b"\r\n"):
                content += b"\r\n"
            smtp.send(content + b".\r\n")
        else:  # a server that accepts DATA without a recipient gets an empty message
            smtp.send(b".\r\n")
        final_reply = smtp.getreply()
        if accepted and final_reply[0] == 250:
            return
    if mail_reply[0] != 250:
        error = smtplib.SMTPSenderRefused(*mail_reply, sender)
    elif not accepted:
        error = smtplib.SMTPRecipientsRefused({recipient: rcpt_reply})
    elif data_reply[0] != 354:
        error = smtplib.SMTPDataError(*data_reply)
    else:
        error = smtplib.SMTPDataError(*final_reply)
    replies = (mail_reply, rcpt_reply, data_reply, final_reply)
    if any(reply and reply[0] == 421 for reply in replies):
        smtp.close()
    else:
        try:
            smtp.rset()
        except smtplib.SMTPServerDisconnected:
            pass
    raise error


TEST_MESSAGE_TEXT = (
    f"{TEST_MESSAGE_TITLE}\n\nThis mail was sent to check a notification destination; "
    "notifications about incidents will come the same way.\n"
)


def mail_test_result(send) -> TestMessageResult:
    """Run ``send()`` (one mail) and tell the person testing what happened, without a traceback."""
    try:
        send()
    except TimeoutError:
        return TestMessageResult(False, "timeout")
    except smtplib.SMTPRecipientsRefused as error:
        codes = sorted({code for code, _message in error.recipients.values()})
        return TestMessageResult(False, f"refused by the mail server (SMTP {', '.join(map(str, codes))})")
    except smtplib.SMTPResponseException as error:
        return TestMessageResult(False, f"refused by the mail server (SMTP {error.smtp_code})")
    except OSError as error:  # refused, unreachable, TLS, a dropped connection (SMTPServerDisconnected)
        return TestMessageResult(False, f"connection error ({type(error).__name__})")
    return TestMessageResult(True, "accepted by the mail server")


class EmailDestinationForm(forms.Form):
    email_address = forms.EmailField()


def _form_errors(form: forms.Form) -> dict:
    return {field: [str(message) for message in messages] for field, messages in form.errors.items()}


class EmailNotification(AddressMedium):
    ADDRESS_KEY = EMAIL_ADDRESS
    MEDIA_SLUG = EMAIL_MEDIA_SLUG
    ACCEPTS_MAIL_CONNECTION = True
    ACCEPTS_MESSAGE_ID = True
    CAN_SEND_TEST = True
    MEDIA_NAME = EMAIL_MEDIA_NAME
    MEDIA_JSON_SCHEMA = {
        "title": "Email Settings",
        "description": "Settings for a DestinationConfig using email.",
        "type": "object",
        "required": ["email_address"],
        "properties": {"email_address": {"type": "string", "title": "Email address"}},
    }

    @classmethod
    def validate(cls, instance, dict: dict, user) -> dict:
        settings_in = dict.get("settings")
        if not isinstance(settings_in, Mapping):
            raise serializers.ValidationError({"non_field_errors": ["Settings has to be a dictionary."]})
        form = EmailDestinationForm(settings_in)
        if not form.is_valid():
            raise serializers.ValidationError(_form_errors(form))
        address = form.cleaned_data[EMAIL_ADDRESS]
        if user is not None and getattr(user, "email", None) and address == user.email:
            raise serializers.ValidationError(
                {"non_field_errors": ["This email address is already registered in another destination."]}
            )
        if cls.user_has_duplicate(user, {EMAIL_ADDRESS: address}, instance):
            raise serializers.ValidationError({EMAIL_ADDRESS: ["Email address already exists"]})
        return {EMAIL_ADDRESS: address, SYNCED: False}

    @staticmethod
    def get_label(destination: DestinationConfig) -> str:
        return f"{EmailNotification.MEDIA_NAME}: {destination.settings.get(EMAIL_ADDRESS)}"

    @classmethod
    def raise_if_not_deletable(cls, destination: DestinationConfig) -> None:
        super().raise_if_not_deletable(destination)
        if destination.settings.get(SYNCED):
            raise cls.NotDeletableError(
                "Cannot delete this email destination since it was defined by an outside source."
            )

    @staticmethod
    def update(destination: DestinationConfig, validated_data: dict) -> DestinationConfig | None:
        """Patching the synced destination keeps the synced address alive in a new row."""
        new_settings = validated_data.get("settings")
        if not destination.settings.get(SYNCED) or new_settings is None:
            return None
        old_settings = dict(destination.settings)
        with transaction.atomic():
            destination.settings = {**new_settings, SYNCED: False}
            if "label" in validated_data:
                destination.label = validated_data["label"]
            destination.save()
            DestinationConfig.objects.create(
                user=destination.user, media=destination.media, label=None, settings=old_settings
            )
        return destination

    @classmethod
    def send(cls, event: Event, destinations: Iterable[DestinationConfig], **kwargs: Any) -> bool:
        addresses = sorted(cls.get_relevant_addresses(destinations) - {""})
        if not addresses:
            return False
        # One message id names one message: with several addresses (a direct call, not the
        # worker's one delivery per address) each gets its own.
        message_id = kwargs.get("message_id") if len(addresses) == 1 else None
        connection = kwargs.get("connection") or get_connection(fail_silently=False)
        if isinstance(connection, SMTPBackend):
            sent = _send_prepared(connection, event, addresses, message_id)
            if sent is not None:
                return sent
        parts = rendered_email(event)
        connection.send_messages(
            [email_message(*parts, address, connection, message_id=message_id) for address in addresses]
        )
        return True

    @classmethod
    def send_test(cls, destination: DestinationConfig) -> TestMessageResult:
        address = destination.settings.get(EMAIL_ADDRESS)
        if not address:
            return TestMessageResult(False, "The destination has no email address.")
        message = EmailMultiAlternatives(
            subject=f"{subject_prefix()}{TEST_MESSAGE_TITLE}",
            body=TEST_MESSAGE_TEXT,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
        )
        return mail_test_result(message.send)
