from django import template

register = template.Library()


@register.filter
def ui_time(value, dates):
    """A ``<time>`` element for ``value`` formatted by a :class:`argus.ui.formatting.DateFormatter`."""
    return dates.time(value)
