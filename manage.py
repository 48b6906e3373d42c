#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys
from pathlib import Path


def main():
    sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "argus.site.settings.dev")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db import connections

    from argus.util.database import connection_problem, database_unavailable

    if sys.argv[1:2] == ["gen_secret_key"]:
        # It prints what the production settings refuse to start without: it needs no settings.
        settings.configure(INSTALLED_APPS=["argus.dev"])
    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        if "--traceback" in sys.argv:
            raise
        sys.exit(f"Error: {error}")
    except Exception as error:
        if "--traceback" in sys.argv or not database_unavailable(error):
            raise
        sys.exit(f"Error: {connection_problem(error, connections['default'].settings_dict)}")


if __name__ == "__main__":
    main()
