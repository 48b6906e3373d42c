"""Ticket plugins: create a ticket in an external system for an incident.

A plugin is a class named by the setting ``TICKET_PLUGIN`` (dotted path) with a
``create_ticket(serialized_incident) -> url`` classmethod; see :mod:`argus.incident.ticket.base`.
"""
