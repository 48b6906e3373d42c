"""Render a simple Django template the way the engine does, without its per-node work.

The HTML part of a notification mail is a template of text, ``{{ a.b.c }}`` variables without
filters and a ``{% for x, y in seq %}`` loop. Through the engine that cost the worker about a
tenth of a dispatch (variable lookups tried as dictionary key, attribute and index, a node and
a context push per loop row). :func:`compile_simple` reads an already loaded template into a plan
of text pieces, attribute paths and loops; :func:`render_simple` follows it, rendering each value
with the engine's own ``render_value_in_context`` (time zone, localisation, escaping), strings
with the escaping it applies to them. Whatever the plan cannot say exactly as the engine would
— another tag, a filter, a literal, a lookup that would be a key, an index or a call, a missing
name — answers ``None``, and the caller renders through the engine. Templates an operator
overrides are read the same way, so a simple override keeps the fast path and any other falls
back.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass

from django.template import Context
from django.template.base import TextNode, Variable, VariableNode, render_value_in_context
from django.template.defaulttags import ForNode


class _Unsupported(Exception):
    """The plan cannot render this the way the engine would; render through the engine."""


@dataclass(frozen=True)
class _Loop:
    names: tuple[str, ...]
    sequence: tuple[str, ...]
    body: tuple


def compile_simple(template) -> tuple | None:
    """The plan of a loaded Django-backend ``template``, or ``None`` when it is not simple."""
    engine = getattr(getattr(template, "backend", None), "engine", None)
    inner = getattr(template, "template", None)
    if engine is None or inner is None or not engine.autoescape:
        return None
    try:
        return _plan(inner.nodelist)
    except _Unsupported:
        return None


def _lookups(filter_expression) -> tuple[str, ...]:
    var = filter_expression.var
    if filter_expression.filters or not isinstance(var, Variable) or var.lookups is None:
        raise _Unsupported
    if var.translate:
        raise _Unsupported
    return tuple(var.lookups)


def _plan(nodelist) -> tuple:
    plan: list = []
    for node in nodelist:
        if type(node) is TextNode:
            plan.append(node.s)
        elif type(node) is VariableNode:
            plan.append(_lookups(node.filter_expression))
        elif type(node) is ForNode:
            if node.is_reversed or len(node.nodelist_empty) or len(node.loopvars) < 2:
                raise _Unsupported  # one loop variable does not unpack; {% empty %} is not here
            plan.append(_Loop(tuple(node.loopvars), _lookups(node.sequence), _plan(node.nodelist_loop)))
        else:
            raise _Unsupported
    return tuple(plan)


_CONTEXT = Context(autoescape=True)


def render_simple(plan: tuple, context: Mapping) -> str | None:
    """``plan`` rendered with ``context`` (a dict of names) or ``None``: render it with the engine."""
    out: list[str] = []
    try:
        _render(plan, context, out)
    except _Unsupported:
        return None
    return "".join(out)


def _render(plan: tuple, names: Mapping, out: list[str]) -> None:
    for part in plan:
        if type(part) is str:
            out.append(part)
        elif type(part) is tuple:
            value = _resolve(names, part)
            out.append(html.escape(value) if type(value) is str else render_value_in_context(value, _CONTEXT))
        else:
            sequence = _resolve(names, part.sequence)
            if not isinstance(sequence, (list, tuple)):
                raise _Unsupported
            for row in sequence:
                if type(row) is not tuple or len(row) != len(part.names):
                    raise _Unsupported
                _render(part.body, {**names, **dict(zip(part.names, row, strict=True))}, out)


def _resolve(names: Mapping, lookups: tuple[str, ...]):
    """``names[a].b.c`` when the engine would get it the same way: plain attributes, no calls.

    (A missing name, a lookup the engine would try as a key or an index first, a value it would
    call, or an attribute that raises — which the engine may render as empty — is left to it.)
    """
    try:
        current = names[lookups[0]]
    except KeyError:
        raise _Unsupported from None
    for bit in lookups[1:]:
        if callable(current) or hasattr(type(current), "__getitem__"):
            raise _Unsupported
        try:
            current = getattr(current, bit)
        except Exception:
            raise _Unsupported from None
    if callable(current):
        raise _Unsupported
    return current


_NOT_COMPILED = object()


def render_template(template, context: dict) -> str:
    """``template.render(context)`` (a Django-backend template), through its plan when it has one.

    The plan is made once per template object: the cached loader hands out the same one.
    """
    plan = getattr(template, "_argus_simple_plan", _NOT_COMPILED)
    if plan is _NOT_COMPILED:
        plan = compile_simple(template)
        try:
            template._argus_simple_plan = plan
        except AttributeError:
            pass
    if plan is not None:
        rendered = render_simple(plan, context)
        if rendered is not None:
            return rendered
    return template.render(context)
