"""Argus 1.37's module names for a deployment with the React frontend.

``DJANGO_SETTINGS_MODULE=argus.spa.settings`` and ``argus.spa.ws.asgi:application`` go on
working: this server is always the backend of the React frontend (token cookie, CORS, websocket).
"""
