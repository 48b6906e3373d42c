"""The incident list's state: what the query string says (the URL is the state, nothing is kept in
the session), turned into a queryset, a sort and a page.

The filter box (:class:`FilterBox`) has the fields of upstream's box plus column filters. Its
values reach the database through the REST API's list filters (``filter_incidents``) where those
have the same meaning, and through :mod:`argus.ui.queries` for the rest. A saved filter
(``filter=<pk>``, the user's own) fills the box; values given in the URL override it, and with
``box=1`` the URL holds the whole box.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from django.http import Http404, QueryDict
from rest_framework.exceptions import ValidationError

from argus.incident.api.filters import Filtered, filter_incidents_paged
from argus.incident.choices import MAX_INCIDENT_LEVEL, MIN_INCIDENT_LEVEL, EventType
from argus.incident.models import Incident
from argus.incident.tags import InvalidTag, parse_tag
from argus.notificationprofile.models import Filter
from argus.ui import conf, paging, queries
from argus.util.ids import parse_pk

TRISTATE = ("1", "2", "3")  # yes / any / no, as upstream's box
ANY = "2"
TAG_ERROR = "Tags need to have the format key=value, key2=value2"
TIMEFRAMES = [
    (0, "None"),
    (60, "Last hour"),
    (180, "Last 3 hours"),
    (720, "Last 12 hours"),
    (1440, "Last 24 hours"),
    (4320, "Last 3 days"),
    (10080, "Last week"),
    (43200, "Last 30 days"),
]
HIDE_CLOSED_ACKED = "hide_closed_acked"
#: Query parameters that describe the view (a URL with none of them is "bare").
STATE_PARAMS = (
    "box",
    "filter",
    "open",
    "acked",
    "stateful",
    "source_types",
    "sourceSystemIds",
    "tags",
    "maxlevel",
    "level",
    "event_types",
    "special_filters",
    "id",
    "description",
    "has_ticket",
    "ticket_url",
    "is_under_maintenance",
    "timeframe",
    "sort",
    "sort_order",
    "cursor",
    "page_size",
)


def _unique(values):
    return list(dict.fromkeys(values))


def _int_or_none(text) -> int | None:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return None


@dataclass
class FilterBox:
    open: str = ANY
    acked: str = ANY
    stateful: str = ANY
    source_types: list[str] = field(default_factory=list)
    source_ids: list[int] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    maxlevel: int = MAX_INCIDENT_LEVEL
    levels: list[int] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)
    hide_closed_acked: bool = False
    id: int | None = None
    description: str = ""
    has_ticket: str = ""
    ticket_url: str = ""
    under_maintenance: str = ""  # "yes", "no" or "" (any)
    timeframe: int = 0

    # --- to and from the URL ---------------------------------------------------------------------

    def params(self) -> list[tuple[str, str]]:
        """The query parameters of the values that differ from the defaults, in a fixed order."""
        items = []
        for name in ("open", "acked", "stateful"):
            if getattr(self, name) != ANY:
                items.append((name, getattr(self, name)))
        items += [("source_types", value) for value in self.source_types]
        items += [("sourceSystemIds", str(value)) for value in self.source_ids]
        if self.tags:
            items.append(("tags", ",".join(self.tags)))
        if self.maxlevel != MAX_INCIDENT_LEVEL:
            items.append(("maxlevel", str(self.maxlevel)))
        items += [("level", str(value)) for value in self.levels]
        items += [("event_types", value) for value in self.event_types]
        if self.hide_closed_acked:
            items.append(("special_filters", HIDE_CLOSED_ACKED))
        if self.id is not None:
            items.append(("id", str(self.id)))
        for name in ("description", "has_ticket", "ticket_url"):
            if getattr(self, name):
                items.append((name, getattr(self, name)))
        if self.under_maintenance:
            items.append(("is_under_maintenance", self.under_maintenance))
        if self.timeframe:
            items.append(("timeframe", str(self.timeframe)))
        return items

    @property
    def is_empty(self) -> bool:
        return not self.params()

    @classmethod
    def from_blob(cls, blob: dict) -> FilterBox:
        """The box showing a saved filter's blob (keys the box has no field for are left out)."""

        def tristate(value):
            return "1" if value is True else "3" if value is False else ANY

        maxlevel = blob.get("maxlevel")
        return cls(
            open=tristate(blob.get("open")),
            acked=tristate(blob.get("acked")),
            stateful=tristate(blob.get("stateful")),
            source_ids=[pk for pk in blob.get("sourceSystemIds") or [] if type(pk) is int and pk > 0],
            tags=[str(tag) for tag in blob.get("tags") or []],
            maxlevel=maxlevel
            if type(maxlevel) is int and MIN_INCIDENT_LEVEL <= maxlevel <= MAX_INCIDENT_LEVEL
            else MAX_INCIDENT_LEVEL,
            event_types=[code for code in blob.get("event_types") or [] if code in EventType.values],
        )

    def fields_outside_blob(self) -> list[str]:
        """Labels of the set fields a saved filter cannot hold (they narrow only this view)."""
        outside = {
            "Source types": self.source_types,
            "Severity levels": self.levels,
            "Hide Closed & Acked": self.hide_closed_acked,
            "ID": self.id is not None,
            "Description contains": self.description,
            "Ticket": self.has_ticket,
            "Ticket URL contains": self.ticket_url,
            "Under maintenance": self.under_maintenance,
            "Timeframe": self.timeframe,
        }
        return [label for label, value in outside.items() if value]

    def to_blob(self) -> dict:
        """The saved-filter blob of the box's blob fields."""

        def tristate(value):
            return True if value == "1" else False if value == "3" else None

        blob = {}
        if self.source_ids:
            blob["sourceSystemIds"] = list(self.source_ids)
        if self.tags:
            blob["tags"] = list(self.tags)
        blob["open"] = tristate(self.open)
        blob["acked"] = tristate(self.acked)
        blob["stateful"] = tristate(self.stateful)
        blob["maxlevel"] = self.maxlevel if self.maxlevel != MAX_INCIDENT_LEVEL else None
        if self.event_types:
            blob["event_types"] = list(self.event_types)
        return blob


def parse_box(params: QueryDict, base: FilterBox, errors: list[str]) -> FilterBox:
    """``base`` with every field the query string gives replaced; bad values are reported and dropped."""
    box = replace(base)
    for name in ("open", "acked", "stateful"):
        if name in params:
            value = params.get(name)
            setattr(box, name, value if value in TRISTATE else ANY)
    if "source_types" in params:
        box.source_types = _unique(
            v.strip() for value in params.getlist("source_types") for v in value.split(",") if v.strip()
        )
    if "sourceSystemIds" in params:
        ids = []
        for value in params.getlist("sourceSystemIds"):
            for part in value.split(","):
                if not part.strip():
                    continue
                number = parse_pk(part.strip())
                if number is None:
                    errors.append("Sources: source ids are whole numbers.")
                else:
                    ids.append(number)
        box.source_ids = _unique(ids)
    if "tags" in params:
        tags = [part.strip() for value in params.getlist("tags") for part in value.split(",") if part.strip()]
        if all(_is_filter_tag(tag) for tag in tags):
            box.tags = _unique(tags)
        else:
            errors.append(TAG_ERROR)
            box.tags = []
    if "maxlevel" in params:
        level = _int_or_none(params.get("maxlevel"))
        box.maxlevel = (
            level
            if level is not None and MIN_INCIDENT_LEVEL <= level <= MAX_INCIDENT_LEVEL
            else MAX_INCIDENT_LEVEL
        )
    if "level" in params:
        levels = [_int_or_none(value) for value in params.getlist("level")]
        box.levels = sorted(
            {
                level
                for level in levels
                if level is not None and MIN_INCIDENT_LEVEL <= level <= MAX_INCIDENT_LEVEL
            }
        )
    if "event_types" in params:
        box.event_types = _unique(code for code in params.getlist("event_types") if code in EventType.values)
    if "special_filters" in params:
        box.hide_closed_acked = HIDE_CLOSED_ACKED in params.getlist("special_filters")
    if "id" in params:
        text = params.get("id", "").strip()
        number = parse_pk(text) if text else None
        if text and number is None:
            errors.append("ID: enter a whole number.")
        box.id = number
    for name in ("description", "ticket_url"):
        if name in params:
            setattr(box, name, params.get(name, "").replace("\x00", "").strip())
    if "has_ticket" in params:
        box.has_ticket = params.get("has_ticket") if params.get("has_ticket") in ("yes", "no") else ""
    if "is_under_maintenance" in params:
        value = params.get("is_under_maintenance")
        box.under_maintenance = value if value in ("yes", "no") else ""
    if "timeframe" in params:
        minutes = _int_or_none(params.get("timeframe"))
        box.timeframe = minutes if minutes in dict(TIMEFRAMES) else 0
    return box


def filtered_incidents(
    box: FilterBox, *, user, now: datetime.datetime, errors: list[str] | None = None
) -> Filtered:
    """Every incident the box selects (unordered), in the form a paged list reads (see
    ``Filtered``: ``.all()`` is the whole selection). Values the list filters refuse are reported
    and left out, so a typo narrows nothing rather than failing the page."""
    api = QueryDict(mutable=True)
    api_values = {
        "open": {"1": "true", "3": "false"}.get(box.open),
        "acked": {"1": "true", "3": "false"}.get(box.acked),
        "stateful": {"1": "true", "3": "false"}.get(box.stateful),
        "source__type__in": ",".join(box.source_types),
        "source__id__in": ",".join(str(pk) for pk in box.source_ids),
        "tags": ",".join(box.tags),
        "level__lte": str(box.maxlevel) if box.maxlevel != MAX_INCIDENT_LEVEL else "",
        "id__in": str(box.id) if box.id is not None else "",
        "ticket": {"yes": "true", "no": "false"}.get(box.has_ticket),
        "under_maintenance": {"yes": "true", "no": "false"}.get(box.under_maintenance),
    }
    for name, value in api_values.items():
        if value:
            api[name] = value
    try:
        filtered = filter_incidents_paged(Incident.objects.all(), api, user=user, now=now)
    except ValidationError as error:
        for name, messages in error.detail.items():
            if errors is not None:
                errors.extend(f"{LABELS.get(name, name)}: {message}" for message in messages)
            del api[name]
        filtered = filter_incidents_paged(Incident.objects.all(), api, user=user, now=now)
    if box.source_ids and "source__id__in" not in api:
        filtered = filtered.narrowed(lambda queryset: queryset.none())
    return filtered.narrowed(
        lambda queryset: queries.narrow(
            queryset,
            levels=box.levels,
            event_types=box.event_types,
            hide_closed_acked=box.hide_closed_acked,
            description=box.description,
            ticket_url=box.ticket_url,
            started_after=now - datetime.timedelta(minutes=box.timeframe) if box.timeframe else None,
            now=now,
        )
    )


LABELS = {"source__type__in": "Source Types", "source__id__in": "Sources", "tags": "Tags", "id__in": "ID"}


@dataclass
class ListState:
    box: FilterBox
    saved_filter: Filter | None
    sort: str
    order: str
    cursor_text: str
    page_size: int
    page_size_given: bool
    whole_box: bool
    errors: list[str]

    @property
    def is_default_sort(self) -> bool:
        return self.sort == paging.DEFAULT_SORT and self.order == paging.DEFAULT_ORDER

    @property
    def keys(self) -> list[paging.Key]:
        return paging.sort_keys(self.sort, self.order)

    @property
    def cursor(self):
        return paging.decode_cursor(self.cursor_text, self.keys)

    @property
    def differs_from_saved_filter(self) -> bool:
        return (
            self.saved_filter is not None
            and self.box.to_blob() != FilterBox.from_blob(self.saved_filter.filter or {}).to_blob()
        )

    def params(
        self,
        *,
        cursor: str | None = None,
        sort: str | None = None,
        order: str | None = None,
        page_size=None,
        with_page_size=None,
    ) -> list[tuple[str, str]]:
        """The query string items of this view, changed as asked (a new sort or page size starts at
        the first page)."""
        items = []
        if self.saved_filter is not None:
            items += [("filter", str(self.saved_filter.pk)), ("box", "1")]
        items += self.box.params()
        sort = sort or self.sort
        order = order or self.order
        if (sort, order) != (paging.DEFAULT_SORT, paging.DEFAULT_ORDER):
            items += [("sort", sort), ("sort_order", order)]
        if page_size is not None or (with_page_size if with_page_size is not None else self.page_size_given):
            items.append(("page_size", str(page_size or self.page_size)))
        if cursor:
            items.append(("cursor", cursor))
        return items

    def query(self, **changes) -> str:
        items = self.params(**changes)
        return "?" + urlencode(items) if items else "?box=1"

    def view_params(self, *, with_page_size: bool = True) -> list[tuple[str, str]]:
        """What is not in the filter box: saved filter, sort and page size (hidden form fields)."""
        items = []
        if self.saved_filter is not None:
            items += [("filter", str(self.saved_filter.pk)), ("box", "1")]
        if not self.is_default_sort:
            items += [("sort", self.sort), ("sort_order", self.order)]
        if with_page_size and self.page_size_given:
            items.append(("page_size", str(self.page_size)))
        return items

    def sort_query(self, sort: str) -> str:
        """The link of a sortable header: toggles the order of the current sort column."""
        if sort == self.sort:
            return self.query(order="asc" if self.order == "desc" else "desc")
        return self.query(sort=sort, order="desc")


def saved_filter_for(user, value) -> Filter | None:
    """The user's own filter ``value`` (404 for anyone else's: they cannot be selected)."""
    if not value:
        return None
    pk = parse_pk(str(value).strip())
    if pk is None:
        raise Http404("No such filter.")
    found = queries.selectable_filters(user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such filter.")
    return found


def list_state(
    params: QueryDict, *, user, page_size_default: int, fixed_page_size: int | None = None
) -> ListState:
    errors: list[str] = []
    saved = saved_filter_for(user, params.get("filter"))
    whole_box = params.get("box") == "1"
    base = FilterBox.from_blob(saved.filter or {}) if saved is not None and not whole_box else FilterBox()
    box = parse_box(params, base, errors)
    sort = params.get("sort") if params.get("sort") in paging.SORT_FIELDS else paging.DEFAULT_SORT
    order = params.get("sort_order") if params.get("sort_order") in ("asc", "desc") else paging.DEFAULT_ORDER
    size = _int_or_none(params.get("page_size"))
    size_given = size in conf.page_sizes()
    if fixed_page_size is not None:
        size, size_given = fixed_page_size, False
    elif not size_given:
        size = page_size_default
    return ListState(
        box=box,
        saved_filter=saved,
        sort=sort,
        order=order,
        cursor_text=params.get("cursor", ""),
        page_size=size,
        page_size_given=size_given,
        whole_box=whole_box,
        errors=errors,
    )


def is_bare(params: QueryDict) -> bool:
    return not any(name in params for name in STATE_PARAMS)


def _is_filter_tag(text: str) -> bool:
    """Whether ``text`` can select incidents: a valid tag with a value, as the list filter wants."""
    try:
        _key, value = parse_tag(text, strip=False)
    except InvalidTag:
        return False
    return bool(value)
