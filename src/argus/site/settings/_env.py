"""Environment parsing helpers shared by the settings modules."""

import json
import os

TRUE_VALUES = {"1", "on", "true", "yes"}
FALSE_VALUES = {"0", "off", "false", "no"}


def get_bool_env(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    value = value.strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    return default


def get_str_env(name, default=None, required=False):
    value = os.environ.get(name)
    if value is None or (required and not value.strip()):
        if required:
            raise OSError(f'Environment variable "{name}" not set!')
        return default
    return value.strip()


def get_int_env(name, default=None):
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return int(value.strip())


def get_float_env(name, default=None):
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return float(value.strip())


def get_json_env(name, default=None):
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return json.loads(value)


def parse_redis_server(value):
    """Parse ``host[:port]`` into a (host, port) tuple, port defaulting to 6379."""
    value = value.strip()
    if value.startswith("redis://") or value.startswith("rediss://"):
        return value
    host, _, port = value.rpartition(":") if ":" in value else (value, "", "")
    if not host:
        host, port = value, ""
    return (host, int(port) if port else 6379)


def load_dotenv(path) -> list[str]:
    """Read ``KEY=VALUE`` lines from ``path`` into the environment, never overriding what is set.

    Blank lines and ``#`` comments are skipped, an ``export`` prefix is allowed and one pair of
    matching quotes around the value is removed. A missing file is not an error. Returns the names
    that were set. (The dev settings use this for a ``.env`` file in the repository root.)
    """
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return []
    loaded = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        name, _, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        if name and name not in os.environ:
            os.environ[name] = value
            loaded.append(name)
    return loaded
