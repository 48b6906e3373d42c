"""One line that says what is wrong with the database connection, for operators.

A wrong ``DATABASE_URL`` used to end ``migrate`` or the server's start in a 90-line traceback.
:func:`connection_problem` turns the driver's error into one line naming the database (engine,
user, host, port, name; never the password) and the driver's reason. :func:`database_unavailable`
tells such an error from a failing statement (the API answers it with a 503).
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

# Errors that say the database cannot be reached, as opposed to a failing statement: PostgreSQL
# SQLSTATE classes 08 (connection exception), 53 (insufficient resources, e.g. too many
# connections) and 57P (shut down, starting up); psycopg2 gives no code when it could not
# connect at all. SQLite: busy/locked, I/O error, cannot open the file.
_UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "53", "57P")
_UNAVAILABLE_SQLITE_CODES = {5, 6, 10, 14}  # SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_CANTOPEN


def database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` means the database cannot be reached (not that a statement failed)."""
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    cause = exc.__cause__
    sqlite_code = getattr(cause, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in _UNAVAILABLE_SQLITE_CODES
    sqlstate = getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(_UNAVAILABLE_SQLSTATE_PREFIXES)


def describe_database(settings_dict: dict) -> str:
    """``postgresql://argus@db.example.org:5432/argus``-like text without the password."""
    engine = settings_dict.get("ENGINE", "").rsplit(".", 1)[-1]
    name = settings_dict.get("NAME") or ""
    if engine == "sqlite3":
        return f"SQLite database {name}"
    scheme = {"postgresql": "postgresql", "mysql": "mysql", "oracle": "oracle"}.get(engine, engine)
    user = settings_dict.get("USER") or ""
    host = settings_dict.get("HOST") or "localhost"
    port = settings_dict.get("PORT") or {"postgresql": 5432, "mysql": 3306}.get(engine, "")
    address = f"{host}:{port}" if port else host
    return f"{scheme}://{user + '@' if user else ''}{address}/{name}"


def short_reason(error: BaseException) -> str:
    """The driver's message, on one line, without its hints (``Is the server running ...?``)."""
    cause = error.__cause__ or error
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    if not lines:
        return type(cause).__name__
    reason = lines[0]
    # psycopg: 'connection to server at "h" (1.2.3.4), port 5432 failed: Connection refused'
    head, separator, tail = reason.partition(" failed: ")
    if separator and head.startswith("connection to server"):
        reason = tail
    return reason.rstrip(".")


def connection_problem(error: BaseException, settings_dict: dict) -> str:
    return f"Cannot use the database {describe_database(settings_dict)} (DATABASE_URL): {short_reason(error)}"
