"""The built-in web UI: server-rendered pages at the site root, live over ``/ws/open/``.

Reads go through :mod:`argus.incident.queries` and the incident list filters; every write calls the
same services as the REST API, so notifications and websocket frames follow whichever way a change
was made. See docs/ui.md.
"""
