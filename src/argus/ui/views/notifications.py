"""Notification profiles, timeslots and destinations at /notifications/: the logged-in user's own.

Other users' objects do not exist here (404). Every write calls :mod:`argus.notificationprofile.services`;
what a service refuses (a taken name, a filter or destination in use, the synced email destination)
comes back as a form error or a message, never as a server error. Without scripts every form is a
plain post answered ``303`` with a message, or ``422`` with the form and its errors; with scripts a
profile's form opens inside its card and confirmations in a dialog, through the same endpoints.

Each page costs a constant number of queries whatever the number of objects on it.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from argus.notificationprofile import services
from argus.notificationprofile.errors import (
    DestinationLabelTaken,
    ProfileNameTaken,
    TimeslotNameTaken,
    TimeslotNotOwned,
)
from argus.notificationprofile.media import installed_media
from argus.notificationprofile.media.base import NotificationMedium
from argus.notificationprofile.models import (
    DestinationConfig,
    Filter,
    Media,
    NotificationProfile,
    TimeRecurrence,
    Timeslot,
)
from argus.ui.formatting import recurrence_text
from argus.ui.notification_forms import (
    DestinationForm,
    ProfileForm,
    RecurrenceFormSet,
    TimeslotForm,
    recurrence_initial,
    with_extra_row,
)
from argus.ui.preferences import preferences_of
from argus.ui.views.base import finished, render_form, ui_login_required
from argus.util.errors import DomainError
from argus.util.ids import MAX_DATABASE_ID

RECURRENCE_PREFIX = "rec"
UNNAMED_PROFILE = "Unnamed profile"

#: Which form field shows a refusal; the others go above the form.
REFUSAL_FIELDS = {
    ProfileNameTaken: "name",
    TimeslotNotOwned: "timeslot",
    TimeslotNameTaken: "name",
    DestinationLabelTaken: "label",
}


def _refused(form, error: DomainError) -> None:
    form.add_error(REFUSAL_FIELDS.get(type(error)), error.message)


def _own(queryset, request, pk: int):
    """The user's own object ``pk`` (anyone else's is a 404, as a missing one)."""
    return get_object_or_404(queryset.filter(user=request.user), pk=min(pk, MAX_DATABASE_ID))


def _clock(request) -> str:
    """The time now as HH:MM:SS in the user's time zone, for "Saved ... at" messages."""
    return timezone.localtime(timezone.now(), preferences_of(request).dates.tz).strftime("%H:%M:%S")


def profile_title(profile: NotificationProfile) -> str:
    return profile.name or UNNAMED_PROFILE


def _recurrences_prefetch(lookup: str) -> Prefetch:
    return Prefetch(lookup, queryset=TimeRecurrence.objects.order_by("pk"))


def destination_rows(destinations) -> list[dict]:
    """Each destination with its text ("<medium>: <label or address>") and whether its medium is
    installed (a destination of a medium without plugin is kept, shown and never sent to)."""
    media = installed_media()
    rows = []
    for destination in destinations:
        medium = media.get(destination.media_id)
        installed = medium is not None and destination.media.installed
        if medium is not None:
            address = medium.get_address(destination)
        else:
            address = ", ".join(str(value) for value in destination.shown_settings.values())
        rows.append(
            {
                "destination": destination,
                "installed": installed,
                "address": address,
                "text": f"{destination.media.name}: {destination.label or address}",
                "synced": bool((destination.settings or {}).get("synced")),
            }
        )
    return rows


def _own_destinations(user):
    return (
        DestinationConfig.objects.filter(user=user)
        .select_related("media")
        .order_by("media__name", "label", "pk")
    )


# --- profiles ------------------------------------------------------------------------------------


@require_safe
@ui_login_required
def profile_list(request):
    profiles = (
        NotificationProfile.objects.filter(user=request.user)
        .select_related("timeslot")
        .prefetch_related(
            _recurrences_prefetch("timeslot__time_recurrences"),
            Prefetch("filters", queryset=Filter.objects.order_by("name", "pk")),
            Prefetch(
                "destinations",
                queryset=DestinationConfig.objects.select_related("media").order_by(
                    "media__name", "label", "pk"
                ),
            ),
        )
        .order_by("pk")
    )
    cards = [
        {
            "profile": profile,
            "title": profile_title(profile),
            "recurrences": [recurrence_text(r) for r in profile.timeslot.time_recurrences.all()],
            "filters": [f.name for f in profile.filters.all()],
            "destinations": destination_rows(profile.destinations.all()),
        }
        for profile in profiles
    ]
    context = {"nav": "notifications", "tab": "profiles", "cards": cards}
    return render(request, "argus_ui/notifications/profiles.html", context)


def _profile_form_context(request, form: ProfileForm, profile: NotificationProfile | None) -> dict:
    user = request.user
    return {
        "nav": "notifications",
        "tab": "profiles",
        "form": form,
        "profile": profile,
        "title": f'Edit profile "{profile_title(profile)}"' if profile else "New notification profile",
        "form_url": (
            reverse("argus_ui:profile-update", args=[profile.pk])
            if profile
            else reverse("argus_ui:profile-create")
        ),
        "timeslots": list(Timeslot.objects.filter(user=user).order_by("name", "pk")),
        "filters": list(Filter.objects.filter(user=user).order_by("name", "pk")),
        "destinations": destination_rows(_own_destinations(user)),
        "selected_timeslot": form.selected("timeslot"),
        "selected_filters": form.selected("filters"),
        "selected_destinations": form.selected("destinations"),
    }


def _auto_id(profile: NotificationProfile | None) -> str:
    """Field ids of one profile's form: several forms may be open in the profiles page at once."""
    return f"id_profile{profile.pk}_%s" if profile else "id_new_profile_%s"


def _profile_saved(request, profile: NotificationProfile):
    return finished(
        request,
        next_url=reverse("argus_ui:profiles") + f"#profile-{profile.pk}",
        notes=[("success", f'Saved profile "{profile_title(profile)}" at {_clock(request)}.')],
    )


def _render_profile_form(request, form, profile, status=200):
    return render_form(
        request,
        "argus_ui/notifications/profile_form.html",
        "argus_ui/notifications/_profile_form.html",
        _profile_form_context(request, form, profile),
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@ui_login_required
def profile_create(request):
    if request.method != "POST":
        default_timeslot = Timeslot.objects.filter(user=request.user).order_by("name", "pk").first()
        form = ProfileForm(
            user=request.user, initial={"active": True, "timeslot": default_timeslot}, auto_id=_auto_id(None)
        )
        return _render_profile_form(request, form, None)
    form = ProfileForm(request.POST, user=request.user, auto_id=_auto_id(None))
    if form.is_valid():
        data = form.cleaned_data
        try:
            profile = services.profile_create(
                user=request.user,
                timeslot=data["timeslot"],
                filters=data["filters"],
                destinations=data["destinations"],
                name=data["name"],
                active=data["active"],
            )
        except DomainError as error:
            _refused(form, error)
        else:
            return _profile_saved(request, profile)
    return _render_profile_form(request, form, None, status=422)


@require_safe
@ui_login_required
def profile_detail(request, pk: int):
    """A profile's own address leads to its form (as upstream's)."""
    profile = _own(NotificationProfile.objects.all(), request, pk)
    return HttpResponseRedirect(reverse("argus_ui:profile-update", args=[profile.pk]))


@require_http_methods(["GET", "HEAD", "POST"])
@ui_login_required
def profile_update(request, pk: int):
    profile = _own(NotificationProfile.objects.select_related("timeslot"), request, pk)
    if request.method != "POST":
        initial = {
            "name": profile.name or "",
            "timeslot": profile.timeslot,
            "filters": list(profile.filters.values_list("pk", flat=True)),
            "destinations": list(profile.destinations.values_list("pk", flat=True)),
            "active": profile.active,
        }
        form = ProfileForm(user=request.user, initial=initial, auto_id=_auto_id(profile))
        return _render_profile_form(request, form, profile)
    form = ProfileForm(request.POST, user=request.user, auto_id=_auto_id(profile))
    if form.is_valid():
        try:
            services.profile_update(profile=profile, data=dict(form.cleaned_data))
        except DomainError as error:
            _refused(form, error)
        else:
            return _profile_saved(request, profile)
    return _render_profile_form(request, form, profile, status=422)


@require_POST
@ui_login_required
def profile_set_active(request, pk: int):
    profile = _own(NotificationProfile.objects.all(), request, pk)
    active = request.POST.get("active") == "true"
    services.profiles_set_active(profiles=NotificationProfile.objects.filter(pk=profile.pk), active=active)
    state = "active" if active else "inactive: it sends no notifications"
    return finished(
        request,
        next_url=reverse("argus_ui:profiles") + f"#profile-{profile.pk}",
        notes=[("success", f'Profile "{profile_title(profile)}" is {state}.')],
    )


@require_http_methods(["GET", "HEAD", "POST"])
@ui_login_required
def profile_delete(request, pk: int):
    profile = _own(NotificationProfile.objects.all(), request, pk)
    title = profile_title(profile)
    if request.method == "POST":
        services.profile_delete(profile=profile)
        return finished(
            request, next_url=reverse("argus_ui:profiles"), notes=[("success", f'Deleted profile "{title}".')]
        )
    return _confirm(
        request,
        title="Delete notification profile",
        question=f'Delete the notification profile "{title}"?',
        action=reverse("argus_ui:profile-delete", args=[profile.pk]),
        cancel=reverse("argus_ui:profiles"),
        tab="profiles",
    )


def _confirm(request, *, title, question, action, cancel, tab, details=(), button="Delete"):
    context = {
        "nav": "notifications",
        "tab": tab,
        "title": title,
        "question": question,
        "details": list(details),
        "action": action,
        "cancel": cancel,
        "button": button,
    }
    return render_form(request, "argus_ui/confirm.html", "argus_ui/_confirm_form.html", context)


# --- timeslots -----------------------------------------------------------------------------------


@require_safe
@ui_login_required
def timeslot_list(request):
    timeslots = (
        Timeslot.objects.filter(user=request.user)
        .prefetch_related(_recurrences_prefetch("time_recurrences"))
        .annotate(profile_count=Count("notification_profiles"))
        .order_by("name", "pk")
    )
    cards = [
        {"timeslot": timeslot, "recurrences": [recurrence_text(r) for r in timeslot.time_recurrences.all()]}
        for timeslot in timeslots
    ]
    context = {
        "nav": "notifications",
        "tab": "timeslots",
        "cards": cards,
        "server_time_zone": settings.TIME_ZONE,
    }
    return render(request, "argus_ui/notifications/timeslots.html", context)


def _render_timeslot_form(request, form, formset, timeslot, *, status=200, quiet=False):
    context = {
        "nav": "notifications",
        "tab": "timeslots",
        "form": form,
        "formset": formset,
        "timeslot": timeslot,
        "quiet": quiet,
        "server_time_zone": settings.TIME_ZONE,
        "title": f'Edit timeslot "{timeslot.name}"' if timeslot else "New timeslot",
        "form_url": (
            reverse("argus_ui:timeslot-update", args=[timeslot.pk])
            if timeslot
            else reverse("argus_ui:timeslot-create")
        ),
    }
    return render(request, "argus_ui/notifications/timeslot_form.html", context, status=status)


def _timeslot_form_view(request, timeslot: Timeslot | None):
    if request.method != "POST":
        form = TimeslotForm(initial={"name": timeslot.name} if timeslot else None)
        formset = RecurrenceFormSet(prefix=RECURRENCE_PREFIX, initial=recurrence_initial(timeslot))
        return _render_timeslot_form(request, form, formset, timeslot)
    if "add_recurrence" in request.POST:  # the no-script way to get one more row
        data = with_extra_row(request.POST, RECURRENCE_PREFIX)
        form, formset = TimeslotForm(data), RecurrenceFormSet(data, prefix=RECURRENCE_PREFIX)
        return _render_timeslot_form(request, form, formset, timeslot, quiet=True)
    form = TimeslotForm(request.POST)
    formset = RecurrenceFormSet(request.POST, prefix=RECURRENCE_PREFIX)
    if form.is_valid() and formset.is_valid():
        recurrences = [r for r in (row.recurrence() for row in formset.forms) if r is not None]
        name = form.cleaned_data["name"]
        try:
            if timeslot is None:
                timeslot = services.timeslot_create(
                    user=request.user, name=name, time_recurrences=recurrences
                )
            else:
                services.timeslot_update(timeslot=timeslot, name=name, time_recurrences=recurrences)
        except DomainError as error:
            _refused(form, error)
        else:
            notes = [("success", f'Saved timeslot "{timeslot.name}" at {_clock(request)}.')]
            if not recurrences:
                notes.append(
                    (
                        "warning",
                        f'Timeslot "{timeslot.name}" has no time recurrences: profiles using it send nothing.',
                    )
                )
            return finished(
                request, next_url=reverse("argus_ui:timeslots") + f"#timeslot-{timeslot.pk}", notes=notes
            )
    return _render_timeslot_form(request, form, formset, timeslot, status=422)


@require_http_methods(["GET", "HEAD", "POST"])
@ui_login_required
def timeslot_create(request):
    return _timeslot_form_view(request, None)


@require_http_methods(["GET", "HEAD", "POST"])
@ui_login_required
def timeslot_update(request, pk: int):
    timeslot = _own(Timeslot.objects.prefetch_related(_recurrences_prefetch("time_recurrences")), request, pk)
    return _timeslot_form_view(request, timeslot)


@require_http_methods(["GET", "HEAD", "POST"])
@ui_login_required
def timeslot_delete(request, pk: int):
    """Deleting a timeslot deletes the profiles using it: the confirmation says which first."""
    timeslot = _own(Timeslot.objects.all(), request, pk)
    if request.method == "POST":
        count = timeslot.notification_profiles.count()
        services.timeslot_delete(timeslot=timeslot)
        text = f'Deleted timeslot "{timeslot.name}"'
        if count:
            text += f" and {count} notification profile{'s' if count != 1 else ''} using it"
        return finished(request, next_url=reverse("argus_ui:timeslots"), notes=[("success", text + ".")])
    titles = [profile_title(p) for p in timeslot.notification_profiles.order_by("pk")]
    if titles:
        count = len(titles)
        warning = f"{count} notification profile{'s use' if count != 1 else ' uses'} it and will be deleted with it:"
    else:
        warning = "No notification profile uses it."
    return _confirm(
        request,
        title="Delete timeslot",
        question=f'Delete the timeslot "{timeslot.name}"? {warning}',
        details=titles,
        action=reverse("argus_ui:timeslot-delete", args=[timeslot.pk]),
        cancel=reverse("argus_ui:timeslots"),
        tab="timeslots",
    )


# --- destinations --------------------------------------------------------------------------------


def _installed_media_rows() -> list[tuple[Media, type[NotificationMedium]]]:
    """The media a destination can be made for: a plugin is installed and the Media row exists."""
    plugins = installed_media()
    rows = Media.objects.filter(slug__in=list(plugins), installed=True)
    by_slug = {media.slug: media for media in rows}
    return [(by_slug[slug], plugin) for slug, plugin in plugins.items() if slug in by_slug]


def _render_destinations(request, *, bound: DestinationForm | None = None, status: int = 200):
    """The table (each row its own form) and a create form per installed medium; ``bound`` is the
    posted form to show again with its errors."""
    plugins = installed_media()
    destinations = _own_destinations(request.user).prefetch_related(
        Prefetch(
            "notification_profiles",
            queryset=NotificationProfile.objects.select_related("timeslot")
            .prefetch_related("filters")
            .order_by("pk"),
        )
    )
    rows = destination_rows(destinations)
    for row in rows:
        destination = row["destination"]
        try:
            services.destination_check_deletable(destination=destination)
            row["not_deletable"] = ""
        except DomainError as error:
            row["not_deletable"] = error.message
        row["form_id"] = f"destination-form-{destination.pk}"
        medium = plugins.get(destination.media_id) if row["installed"] else None
        row["can_test"] = medium is not None and medium.CAN_SEND_TEST
        if medium is None:
            row["form"] = None
        elif bound is not None and bound.destination is not None and bound.destination.pk == destination.pk:
            row["form"] = bound
        else:
            row["form"] = DestinationForm(
                prefix=f"d{destination.pk}", medium=medium, user=request.user, destination=destination
            )
    creators = []
    for media, medium in _installed_media_rows():
        if bound is not None and bound.destination is None and bound.medium is medium:
            form = bound
        else:
            form = DestinationForm(prefix=f"new-{media.slug}", medium=medium, user=request.user)
        creators.append({"media": media, "medium": medium, "form": form})
    context = {"nav": "notifications", "tab": "destinations", "rows": rows, "creators": creators}
    return render(request, "argus_ui/notifications/destinations.html", context, status=status)


@require_safe
@ui_login_required
def destination_list(request):
    return _render_destinations(request)


def _destination_saved(request, destination: DestinationConfig, verb: str):
    text = destination_rows([destination])[0]["text"]
    return finished(
        request,
        next_url=reverse("argus_ui:destinations") + f"#destination-{destination.pk}",
        notes=[("success", f'{verb} destination "{text}" at {_clock(request)}.')],
    )


@require_POST
@ui_login_required
def destination_create(request):
    slug = request.POST.get("media", "")
    choices = {media.slug: (media, medium) for media, medium in _installed_media_rows()}
    if slug not in choices:
        return finished(
            request,
            next_url=reverse("argus_ui:destinations"),
            notes=[("error", f'Medium "{slug}" is not installed.')],
        )
    media, medium = choices[slug]
    form = DestinationForm(request.POST, prefix=f"new-{slug}", medium=medium, user=request.user)
    if form.is_valid():
        try:
            destination = services.destination_create(
                user=request.user,
                media=media,
                settings=form.cleaned_data["settings"],
                label=form.cleaned_data["label"],
            )
        except DomainError as error:
            _refused(form, error)
        else:
            return _destination_saved(request, destination, "Created")
    return _render_destinations(request, bound=form, status=422)


@require_POST
@ui_login_required
def destination_update(request, pk: int):
    destination = _own(DestinationConfig.objects.select_related("media"), request, pk)
    medium = installed_media().get(destination.media_id)
    if medium is None or not destination.media.installed:
        return finished(
            request,
            next_url=reverse("argus_ui:destinations"),
            notes=[
                (
                    "error",
                    f"The medium {destination.media.name} is not installed: its destinations cannot change.",
                )
            ],
        )
    form = DestinationForm(
        request.POST, prefix=f"d{destination.pk}", medium=medium, user=request.user, destination=destination
    )
    if form.is_valid():
        data = {"label": form.cleaned_data["label"]}
        if form.cleaned_data["settings"] is not None:
            data["settings"] = form.cleaned_data["settings"]
        try:
            destination = services.destination_update(destination=destination, data=data)
        except DomainError as error:
            _refused(form, error)
        else:
            return _destination_saved(request, destination, "Saved")
    return _render_destinations(request, bound=form, status=422)


@require_POST
@ui_login_required
def destination_test(request, pk: int):
    """Send one test message to an own destination now (its medium's one attempt, no queue)."""
    destination = _own(DestinationConfig.objects.select_related("media"), request, pk)
    text = destination_rows([destination])[0]["text"]
    try:
        result = services.destination_test_send(destination=destination)
    except DomainError as error:
        notes = [("error", error.message)]
    else:
        if result.delivered:
            notes = [("success", f'Test message sent to "{text}" ({result.detail}).')]
        else:
            notes = [("error", f'The test message to "{text}" was not delivered: {result.detail}.')]
    return finished(
        request, next_url=reverse("argus_ui:destinations") + f"#destination-{destination.pk}", notes=notes
    )


@require_http_methods(["GET", "HEAD", "POST"])
@ui_login_required
def destination_delete(request, pk: int):
    destination = _own(DestinationConfig.objects.select_related("media"), request, pk)
    text = destination_rows([destination])[0]["text"]
    if request.method == "POST":
        try:
            services.destination_delete(destination=destination)
        except DomainError as error:
            notes = [("error", error.message)]
        else:
            notes = [("success", f'Deleted destination "{text}".')]
        return finished(request, next_url=reverse("argus_ui:destinations"), notes=notes)
    return _confirm(
        request,
        title="Delete destination",
        question=f'Delete the destination "{text}"?',
        action=reverse("argus_ui:destination-delete", args=[destination.pk]),
        cancel=reverse("argus_ui:destinations"),
        tab="destinations",
    )
