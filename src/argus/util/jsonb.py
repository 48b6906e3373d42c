"""JSON objects in PostgreSQL ``jsonb`` key order, on every database.

``jsonb`` does not keep the order keys were written in: it stores (and gives back) an object's
keys shorter first, then bytewise. Argus shows stored JSON in that order (a synced destination
reads ``{"synced": true, "email_address": ...}``, a filter's string form
``[{'tags': [...], 'sourceSystemIds': [...]}]``). SQLite keeps the JSON text as written, so
:class:`JsonbOrderedJSONField` puts what it reads back into that order there too.
"""

from django.db import models


def _jsonb_key(key: str) -> tuple[int, bytes]:
    encoded = key.encode("utf-8", "surrogatepass")
    return len(encoded), encoded


def jsonb_order(value):
    """``value`` with the keys of every object in it in ``jsonb`` order."""
    if isinstance(value, dict):
        return {key: jsonb_order(value[key]) for key in sorted(value, key=_jsonb_key)}
    if isinstance(value, list):
        return [jsonb_order(item) for item in value]
    return value


class JsonbOrderedJSONField(models.JSONField):
    """A ``JSONField`` whose objects read back in ``jsonb`` key order whatever the database."""

    def from_db_value(self, value, expression, connection):
        value = super().from_db_value(value, expression, connection)
        if connection.vendor == "postgresql" or not isinstance(value, (dict, list)):
            return value  # jsonb already gives its own order
        return jsonb_order(value)
