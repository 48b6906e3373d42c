"""The HTML part rendered from a template's plan: the engine's output, or the engine itself."""

import datetime
import zoneinfo

import pytest
from django.template import engines
from django.template.loader import get_template
from django.test import override_settings
from django.utils.safestring import mark_safe

from argus.incident import services
from argus.notificationprofile.media.email import HTML_TEMPLATE, rendered_email
from argus.notificationprofile.media.simple_template import compile_simple, render_simple, render_template
from argus.notificationprofile.rendering import html_fields, notification_subject
from tests.factories import SourceSystemFactory, SourceUserFactory

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")


def from_string(source: str, **options):
    engine = engines["django"]
    if options:
        from django.template.backends.django import DjangoTemplates

        engine = DjangoTemplates({"NAME": "t", "DIRS": [], "APP_DIRS": False, "OPTIONS": options})
    return engine.from_string(source)


def both(template, context: dict) -> tuple[str | None, str]:
    plan = compile_simple(template)
    assert plan is not None
    return render_simple(plan, context), template.render(context)


@pytest.fixture
def source(db):
    return SourceSystemFactory(
        name="s<&>", user=SourceUserFactory(username="o'hara&<b>"), base_url="https://e.example/"
    )


def _event(source, **fields):
    incident = services.incident_create(
        actor=source.user,
        source=source,
        start_time=datetime.datetime(2026, 11, 22, 12, 30, 5, 123456, tzinfo=OSLO),
        **fields,
    )
    return incident.events.get()


CASES = {
    "plain": {"description": "link down"},
    "escaped": {
        "description": "<script>alert(\"x\")</script> & 'q'",
        "details_url": "/a?b=1&c=<2>",
        "ticket_url": 'https://t.example/?q="1"&r=2',
        "source_incident_id": "<id>",
        "metadata": {"html": "<b>bold</b>", "n": [1, 2.5, None, True]},
    },
    "non_ascii": {"description": "Ærlig talt: øl på 12 °C — 日本", "metadata": {"ключ": "значение"}},
    "closed": {"description": "done", "end_time": datetime.datetime(2026, 11, 23, 1, 0, tzinfo=datetime.UTC)},
    "stateless": {"description": "once", "end_time": None, "level": 1},
}


class TestShippedTemplate:
    def test_it_has_a_plan(self):
        assert compile_simple(get_template(HTML_TEMPLATE)) is not None

    @pytest.mark.parametrize("case", CASES)
    @pytest.mark.parametrize("tz", ["Europe/Oslo", "UTC", "America/St_Johns"])
    @pytest.mark.parametrize("language", ["en-us", "nb"])
    def test_the_plan_renders_what_the_engine_renders(self, source, case, tz, language):
        with override_settings(TIME_ZONE=tz, LANGUAGE_CODE=language):
            event = _event(source, **CASES[case])
            context = {
                "title": notification_subject(event, prefix=""),
                "event": event,
                "fields": html_fields(event),
            }
            fast, engine = both(get_template(HTML_TEMPLATE), context)
        assert fast == engine
        assert "<td>None</td>" in engine or case != "stateless"

    def test_the_mail_uses_it(self, source, monkeypatch):
        event = _event(source, **CASES["escaped"])
        context = {
            "title": notification_subject(event, prefix=""),
            "event": event,
            "fields": html_fields(event),
        }
        expected = get_template(HTML_TEMPLATE).render(context)
        calls = []
        monkeypatch.setattr(
            "django.template.backends.django.Template.render", lambda *a, **k: calls.append(a) or "engine"
        )
        assert rendered_email(event)[2] == expected
        assert calls == []


class TestAnyTemplate:
    def test_text_variables_and_a_loop(self):
        template = from_string(
            "<p>{{ a }}|{{ o.x.y }}</p>{% for k, v in rows %}[{{ k }}={{ v }}]{% endfor %}."
        )

        class Obj:
            pass

        o, inner = Obj(), Obj()
        o.x, inner.y = inner, "<y>"
        context = {
            "a": "&",
            "o": o,
            "rows": [("n", 3), ("f", 1234.5), ("d", datetime.date(2026, 1, 2)), ("s", mark_safe("<i>"))],
        }
        fast, engine = both(template, context)
        assert fast == engine == "<p>&amp;|&lt;y&gt;</p>[n=3][f=1234.5][d=Jan. 2, 2026][s=<i>]."

    @pytest.mark.parametrize(
        "source",
        [
            "{{ a|upper }}",
            "{{ 'x' }}",
            "{{ 1 }}",
            "{% if a %}x{% endif %}",
            "{% for k in rows %}{{ k }}{% endfor %}",
            "{% for k, v in rows reversed %}{{ k }}{% endfor %}",
            "{% for k, v in rows %}{{ k }}{% empty %}none{% endfor %}",
            "{% for k, v in rows %}{{ forloop.counter }}{% endfor %}",
            "{% autoescape off %}{{ a }}{% endautoescape %}",
            '{{ _("x") }}',
            "{% load static %}{{ a }}",
        ],
    )
    def test_what_it_cannot_say_exactly_has_no_plan_or_falls_back(self, source):
        template = from_string(source)
        context = {"a": "<a>", "rows": [("k", "v")]}
        plan = compile_simple(template)
        assert plan is None or render_simple(plan, context) is None
        assert render_template(template, context) == template.render(context)

    def test_without_autoescape_there_is_no_plan(self):
        template = from_string("{{ a }}", autoescape=False)
        assert compile_simple(template) is None
        assert render_template(template, {"a": "<a>"}) == "<a>"

    @pytest.mark.parametrize(
        "context",
        [
            {},  # missing name: the engine's string_if_invalid
            {"a": lambda: "called"},  # the engine calls it
            {"a": {"b": "key"}},  # the engine looks up a key
            {"a": ["x"]},
            {"a": type("Raises", (), {"b": property(lambda self: 1 / 0)})()},
        ],
        ids=["missing", "callable", "dict", "list", "raises"],
    )
    def test_lookups_the_engine_does_otherwise_are_left_to_it(self, context):
        template = from_string("[{{ a.b }}]")
        assert render_simple(compile_simple(template), context) is None
        try:
            expected = template.render(context)
        except ZeroDivisionError:
            with pytest.raises(ZeroDivisionError):
                render_template(template, context)
        else:
            assert render_template(template, context) == expected

    def test_rows_that_do_not_unpack_are_left_to_the_engine(self):
        template = from_string("{% for k, v in rows %}{{ k }}{% endfor %}")
        assert render_simple(compile_simple(template), {"rows": [("a", "b", "c")]}) is None
        assert render_simple(compile_simple(template), {"rows": "ab"}) is None

    def test_an_overridden_template_of_the_same_kind_keeps_the_plan(self, tmp_path, source):
        path = tmp_path / "notificationprofile" / "email"
        path.mkdir(parents=True)
        (path / "notification.html").write_text(
            "<h1>{{ title }}</h1>{% for name, value in fields %}<p>{{ name }}: {{ value }}</p>{% endfor %}"
        )
        templates = [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [str(tmp_path)],
                "APP_DIRS": True,
            }
        ]
        with override_settings(TEMPLATES=templates):
            event = _event(source, **CASES["escaped"])
            template = get_template(HTML_TEMPLATE)
            assert str(tmp_path) in template.origin.name
            assert compile_simple(template) is not None
            html = rendered_email(event)[2]
            context = {
                "title": notification_subject(event, prefix=""),
                "event": event,
                "fields": html_fields(event),
            }
            assert html == template.render(context)
        assert html.startswith("<h1>&#x27;Incident start&#x27;: &lt;script&gt;")
