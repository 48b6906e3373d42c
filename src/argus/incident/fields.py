from django.db import models

from argus.util.datetime_utils import INFINITY, is_infinite


class InfinityDateTimeField(models.DateTimeField):
    """A DateTimeField that can hold "infinity" (see argus.util.datetime_utils)."""

    def from_db_value(self, value, expression, connection):
        if value is not None and is_infinite(
            value if value.tzinfo else value.replace(tzinfo=INFINITY.tzinfo)
        ):
            return INFINITY
        return value

    def to_python(self, value):
        if isinstance(value, str) and value.strip().lower() == "infinity":
            return INFINITY
        return super().to_python(value)
