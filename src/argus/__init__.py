"""Argus: an alert aggregation server compatible with the Argus REST API."""

__version__ = "1.37.0"
