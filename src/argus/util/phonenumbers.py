"""Phone-number validation shared by the v1 phone-number API and the SMS medium.

Numbers must be given in international format (leading ``+`` and country code, no default
region) and be a *valid* number for their country according to libphonenumber. They are stored
and returned in E.164 form.
"""

import phonenumbers
from django.core.exceptions import ValidationError

INVALID_PHONE_NUMBER_MESSAGE = "Enter a valid phone number (e.g. +12125552368)."


def normalize_phone_number(value: str) -> str:
    """Return ``value`` as an E.164 string, or raise ``ValidationError`` (code ``invalid``).

    Spaces and the usual separators are accepted (``"+47 67 67 67 67"`` -> ``"+4767676767"``);
    numbers without a country code (``"90909090"``) or outside a valid series
    (``"+4712345678"``) are rejected.
    """
    if not isinstance(value, str):
        raise ValidationError(INVALID_PHONE_NUMBER_MESSAGE, code="invalid")
    try:
        number = phonenumbers.parse(value.strip(), None)
    except phonenumbers.NumberParseException:
        raise ValidationError(INVALID_PHONE_NUMBER_MESSAGE, code="invalid")
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(INVALID_PHONE_NUMBER_MESSAGE, code="invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
