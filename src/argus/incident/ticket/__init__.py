"""Ticket plugins: create a ticket in an external system for an incident (incidents.md §4.17).

A plugin is a class named by the setting ``TICKET_PLUGIN`` (dotted path) with a
``create_ticket(serialized_incident) -> url`` classmethod; see :mod:`argus.incident.ticket.base`.
"""
