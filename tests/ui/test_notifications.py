"""The notification pages without scripts: profiles, timeslots and destinations, each the user's
own; every write through the notification services, answered 303 with a message, or 422 with the
form; refusals as form errors or messages; a constant number of queries per page."""

import datetime
import html as html_lib
import re

import pytest
from django.contrib.auth.models import Group

from argus.notificationprofile.choices import EMAIL_MEDIA_SLUG, SMS_MEDIA_SLUG
from argus.notificationprofile.models import DestinationConfig, NotificationProfile, TimeRecurrence, Timeslot
from argus.notificationprofile.plugins import sync_media_table
from tests.factories import EndUserFactory
from tests.notificationprofile.factories import (
    DestinationConfigFactory,
    FilterFactory,
    NotificationProfileFactory,
    SMSDestinationFactory,
    TimeRecurrenceFactory,
    TimeslotFactory,
    media_for,
)
from tests.notificationprofile.http_receiver import WEBHOOK_PLUGIN, Receiver

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """The page's HTML with entities decoded (quotes in messages read as typed)."""
    return html_lib.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages._queued_messages]


@pytest.fixture
def timeslot(user):
    return Timeslot.objects.get(user=user, name="All the time")


@pytest.fixture
def work_hours(user):
    timeslot = TimeslotFactory(user=user, name="Work hours")
    TimeRecurrenceFactory(
        timeslot=timeslot, days=[1, 2, 3, 4, 5], start=datetime.time(8), end=datetime.time(16)
    )
    return timeslot


@pytest.fixture
def critical(user):
    return FilterFactory(user=user, name="Critical", filter={"maxlevel": 1})


@pytest.fixture
def synced(user):
    return DestinationConfig.objects.get(user=user, settings__synced=True)


@pytest.fixture
def phone(user):
    return SMSDestinationFactory(user=user, settings={"phone_number": "+4747474701"})


@pytest.fixture
def profile(user, work_hours, critical, phone):
    return NotificationProfileFactory(
        user=user, timeslot=work_hours, name="Office", filters=[critical], destinations=[phone]
    )


# --- who sees what -------------------------------------------------------------------------------

PAGES = [
    "/notifications/",
    "/notifications/timeslots/",
    "/notifications/destinations/",
    "/notifications/profiles/create/",
    "/notifications/timeslots/create/",
]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_go_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("path", PAGES)
def test_each_page_has_its_title_one_h1_and_the_tabs(ui, path):
    html = text(ui.get(path))
    assert re.search(r"<title>[^<]+ · Argus</title>", html)
    assert html.count("<h1") == 1
    assert '<nav aria-label="Notification settings">' in html


def test_other_users_objects_do_not_exist_here(ui, db):
    other = EndUserFactory()
    their_profile = NotificationProfileFactory(user=other, filters=[FilterFactory(user=other)])
    their_timeslot = their_profile.timeslot
    their_destination = DestinationConfigFactory(user=other)
    for path in [
        f"/notifications/profiles/{their_profile.pk}/",
        f"/notifications/profiles/{their_profile.pk}/update/",
        f"/notifications/profiles/{their_profile.pk}/delete/",
        f"/notifications/timeslots/{their_timeslot.pk}/update/",
        f"/notifications/timeslots/{their_timeslot.pk}/delete/",
        f"/notifications/destinations/{their_destination.pk}/delete/",
        "/notifications/profiles/99999999999999999999/update/",
    ]:
        assert ui.get(path).status_code == 404, path
    assert ui.post(f"/notifications/profiles/{their_profile.pk}/delete/").status_code == 404
    assert ui.post(f"/notifications/destinations/{their_destination.pk}/update/", {}).status_code == 404
    assert NotificationProfile.objects.filter(pk=their_profile.pk).exists()


def test_the_menu_and_the_navigation_lead_here(ui):
    html = text(ui.get("/incidents/"))
    assert '<a href="/notifications/">Notification preferences</a>' in html
    assert '<a href="/notifications/">Notifications</a>' in html


# --- profiles ------------------------------------------------------------------------------------


def test_the_profiles_page_summarises_each_profile(ui, profile, user):
    TimeslotFactory(user=user, name="Empty")
    unnamed = NotificationProfileFactory(
        user=user, timeslot=profile.timeslot, active=False, filters=[profile.filters.get()]
    )
    html = text(ui.get("/notifications/"))
    card = html[html.index(f'id="profile-{profile.pk}"') :].split("</li>")[0]
    assert "Office" in card and "Active" in card
    assert "Work hours: 08:00-16:00 on Monday, Tuesday, Wednesday, Thursday and Friday" in card
    assert "Critical" in card and "SMS: +4747474701" in card
    other_card = html[html.index(f'id="profile-{unnamed.pk}"') :].split("</li>")[0]
    assert "Unnamed profile" in other_card and "Inactive" in other_card and ">Activate<" in other_card


def test_no_profiles_yet(ui):
    assert "No profiles yet." in text(ui.get("/notifications/"))


def test_a_destination_whose_medium_is_not_installed_is_flagged(ui, profile, user):
    fax = media_for("fax")
    fax.installed = False
    fax.save()
    profile.destinations.add(DestinationConfigFactory(user=user, media=fax, settings={"number": "1"}))
    card = text(ui.get("/notifications/"))
    assert "Medium not installed" in card


def test_the_profiles_page_costs_a_constant_number_of_queries(
    ui, user, work_hours, critical, django_assert_num_queries
):
    def make(n):
        for _ in range(n):
            NotificationProfileFactory(
                user=user,
                timeslot=work_hours,
                filters=[critical],
                destinations=[SMSDestinationFactory(user=user)],
            )

    make(1)
    # session, user, preferences, profiles with timeslots, recurrences, filters, destinations
    with django_assert_num_queries(7):
        ui.get("/notifications/")
    make(5)
    with django_assert_num_queries(7):
        ui.get("/notifications/")


def test_the_profile_form_offers_own_timeslots_filters_and_destinations(
    ui, user, critical, phone, synced, db
):
    FilterFactory(name="Not mine")
    html = text(ui.get("/notifications/profiles/create/"))
    assert "All the time" in html and "Critical" in html and "Not mine" not in html
    assert "SMS: +4747474701" in html and f"Email: {user.email}" in html
    assert "Multiple filters increase precision, not recall. They are AND-ed together." in html
    assert 'maxlength="40"' in html


def test_a_profile_is_created_through_the_services(ui, user, timeslot, critical, phone):
    response = ui.post(
        "/notifications/profiles/create/",
        {
            "name": "Nights",
            "timeslot": timeslot.pk,
            "filters": [critical.pk],
            "destinations": [phone.pk],
            "active": "on",
        },
    )
    assert response.status_code == 303
    created = NotificationProfile.objects.get(name="Nights")
    assert response["Location"] == f"/notifications/#profile-{created.pk}"
    assert re.fullmatch(r'Saved profile "Nights" at \d\d:\d\d:\d\d\.', messages_of(response)[0])
    assert created.user == user and created.active
    assert list(created.filters.all()) == [critical] and list(created.destinations.all()) == [phone]


def test_several_unnamed_profiles_are_allowed(ui, timeslot, critical):
    for _ in range(2):
        response = ui.post(
            "/notifications/profiles/create/", {"name": "", "timeslot": timeslot.pk, "filters": [critical.pk]}
        )
        assert response.status_code == 303
    assert NotificationProfile.objects.filter(name=None).count() == 2
    assert messages_of(response)[0].startswith('Saved profile "Unnamed profile" at ')


def test_a_profile_needs_a_filter_and_a_timeslot_of_ones_own(ui, timeslot, db):
    someone_elses = FilterFactory()
    response = ui.post("/notifications/profiles/create/", {"name": "x", "timeslot": timeslot.pk})
    assert response.status_code == 422
    html = text(response)
    assert "Choose at least one filter." in html and 'role="alert"' in html
    response = ui.post(
        "/notifications/profiles/create/",
        {"timeslot": TimeslotFactory().pk, "filters": [someone_elses.pk]},
    )
    html = text(response)
    assert response.status_code == 422
    assert "Choose one of your timeslots." in html and "Choose among your own filters." in html
    assert not NotificationProfile.objects.exists()


def test_a_taken_profile_name_is_a_form_error(ui, timeslot, critical, db):
    NotificationProfileFactory(name="Taken", filters=[FilterFactory()])  # another user's: names are global
    response = ui.post(
        "/notifications/profiles/create/",
        {"name": "Taken", "timeslot": timeslot.pk, "filters": [critical.pk]},
    )
    assert response.status_code == 422
    assert 'A notification profile named "Taken" already exists.' in text(response)


def test_a_profile_is_edited_and_its_address_leads_to_the_form(ui, profile, timeslot, synced):
    response = ui.get(f"/notifications/profiles/{profile.pk}/")
    assert (
        response.status_code == 302
        and response["Location"] == f"/notifications/profiles/{profile.pk}/update/"
    )
    html = text(ui.get(f"/notifications/profiles/{profile.pk}/update/"))
    assert 'value="Office"' in html and re.search(rf'value="{profile.filters.get().pk}" checked', html)
    response = ui.post(
        f"/notifications/profiles/{profile.pk}/update/",
        {
            "name": "Office 2",
            "timeslot": timeslot.pk,
            "filters": [profile.filters.get().pk],
            "destinations": [synced.pk],
        },
    )
    assert response.status_code == 303
    profile.refresh_from_db()
    assert profile.name == "Office 2" and profile.timeslot == timeslot and not profile.active
    assert list(profile.destinations.all()) == [synced]


def test_htmx_gets_the_form_alone_and_a_redirect_after_saving(htmx, profile):
    response = htmx.get(f"/notifications/profiles/{profile.pk}/update/")
    html = text(response)
    assert html.startswith("<form") and "<html" not in html
    response = htmx.post(f"/notifications/profiles/{profile.pk}/update/", {"name": "x"})
    assert response.status_code == 422 and text(response).startswith("<form")
    response = htmx.post(
        f"/notifications/profiles/{profile.pk}/update/",
        {"name": "x", "timeslot": profile.timeslot.pk, "filters": [profile.filters.get().pk]},
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/notifications/"  # a fragment would only scroll


def test_a_profile_is_deactivated_and_activated(ui, profile):
    response = ui.post(f"/notifications/profiles/{profile.pk}/active/", {"active": "false"})
    assert response.status_code == 303
    assert messages_of(response) == ['Profile "Office" is inactive: it sends no notifications.']
    profile.refresh_from_db()
    assert not profile.active
    ui.post(f"/notifications/profiles/{profile.pk}/active/", {"active": "true"})
    profile.refresh_from_db()
    assert profile.active


def test_deleting_a_profile_asks_first(ui, profile):
    html = text(ui.get(f"/notifications/profiles/{profile.pk}/delete/"))
    assert 'Delete the notification profile "Office"?' in html
    response = ui.post(f"/notifications/profiles/{profile.pk}/delete/")
    assert response.status_code == 303 and messages_of(response) == ['Deleted profile "Office".']
    assert not NotificationProfile.objects.filter(pk=profile.pk).exists()


# --- timeslots -----------------------------------------------------------------------------------


def rows(*recurrences, total=None):
    """Formset data for recurrences given as (days, start, end)."""
    data = {"rec-TOTAL_FORMS": str(total or len(recurrences)), "rec-INITIAL_FORMS": "0"}
    for n, (days, start, end) in enumerate(recurrences):
        data[f"rec-{n}-days"] = [str(day) for day in days]
        data[f"rec-{n}-start"] = start
        data[f"rec-{n}-end"] = end
    return data


def test_the_timeslots_page_lists_recurrences_and_how_many_profiles_use_each(ui, profile, work_hours):
    TimeRecurrenceFactory(timeslot=work_hours, days=[6, 7], start=datetime.time.min, end=datetime.time.max)
    html = text(ui.get("/notifications/timeslots/"))
    card = html[html.index(f'id="timeslot-{work_hours.pk}"') :].split('<p class="actions">')[0]
    assert "used by 1 profile" in card
    assert "08:00-16:00 on Monday, Tuesday, Wednesday, Thursday and Friday" in card
    assert "around the clock on Saturday and Sunday" in card
    assert "24/7" in html  # All the time
    assert "Europe/Oslo" in html


def test_the_timeslots_page_costs_a_constant_number_of_queries(ui, user, django_assert_num_queries):
    with django_assert_num_queries(5):  # session, user, preferences, timeslots with counts, recurrences
        ui.get("/notifications/timeslots/")
    for n in range(4):
        TimeRecurrenceFactory(timeslot=TimeslotFactory(user=user, name=f"t{n}"))
    with django_assert_num_queries(5):
        ui.get("/notifications/timeslots/")


def test_a_timeslot_is_created_with_minute_59_meaning_the_end_of_that_minute(ui, user):
    data = {"name": "Office", **rows(([1, 2, 3], "08:00", "16:59"), ([6], "00:00", "23:59"), ([], "", ""))}
    response = ui.post("/notifications/timeslots/create/", data)
    assert response.status_code == 303, text(response)[:3000]
    timeslot = Timeslot.objects.get(user=user, name="Office")
    recurrences = [(r.days, r.start, r.end) for r in timeslot.time_recurrences.order_by("pk")]
    assert recurrences == [
        ([1, 2, 3], datetime.time(8), datetime.time(16, 59, 59, 999999)),
        ([6], datetime.time(0), datetime.time.max),
    ]
    assert re.fullmatch(r'Saved timeslot "Office" at \d\d:\d\d:\d\d\.', messages_of(response)[0])


def test_start_must_be_before_end_and_a_row_needs_days_and_times(ui):
    response = ui.post(
        "/notifications/timeslots/create/",
        {"name": "Bad", **rows(([1], "12:00", "11:00"), ([], "10:00", ""))},
    )
    assert response.status_code == 422
    html = text(response)
    assert "Start time must be before end time." in html
    assert "Choose at least one day." in html and "Enter an end time." in html
    assert not Timeslot.objects.filter(name="Bad").exists()


def test_a_timeslot_saved_without_recurrences_gets_a_warning(ui, user):
    response = ui.post("/notifications/timeslots/create/", {"name": "Never", **rows(([], "", ""))})
    assert response.status_code == 303
    assert (
        messages_of(response)[1]
        == 'Timeslot "Never" has no time recurrences: profiles using it send nothing.'
    )
    assert not TimeRecurrence.objects.filter(timeslot__name="Never").exists()


def test_without_scripts_add_recurrence_shows_one_more_row_and_saves_nothing(ui):
    response = ui.post(
        "/notifications/timeslots/create/",
        {"name": "", "add_recurrence": "1", **rows(([1], "08:00", "09:00"))},
    )
    assert response.status_code == 200
    html = text(response)
    assert 'name="rec-TOTAL_FORMS" value="2"' in html and "Recurrence 2" in html
    assert "This field is required." not in html  # errors wait for Save
    assert not Timeslot.objects.filter(name="").exists()


def test_a_timeslot_is_edited_its_recurrences_replaced_and_removed_rows_dropped(ui, work_hours):
    html = text(ui.get(f"/notifications/timeslots/{work_hours.pk}/update/"))
    assert 'value="08:00"' in html and 'value="16:00"' in html
    data = {"name": "Work", **rows(([1], "09:00", "10:00"), ([2], "11:00", "12:00")), "rec-1-DELETE": "on"}
    response = ui.post(f"/notifications/timeslots/{work_hours.pk}/update/", data)
    assert response.status_code == 303
    work_hours.refresh_from_db()
    assert work_hours.name == "Work"
    assert [(r.days, r.start) for r in work_hours.time_recurrences.all()] == [([1], datetime.time(9))]


def test_a_taken_timeslot_name_is_a_form_error(ui, work_hours):
    response = ui.post(
        "/notifications/timeslots/create/", {"name": "Work hours", **rows(([1], "08:00", "09:00"))}
    )
    assert response.status_code == 422
    assert 'already has a timeslot named "Work hours".' in text(response)


def test_deleting_a_timeslot_says_which_profiles_go_with_it(ui, profile, work_hours):
    html = text(ui.get(f"/notifications/timeslots/{work_hours.pk}/delete/"))
    assert "1 notification profile uses it and will be deleted with it:" in html
    assert "<li>Office</li>" in html
    response = ui.post(f"/notifications/timeslots/{work_hours.pk}/delete/")
    assert messages_of(response) == ['Deleted timeslot "Work hours" and 1 notification profile using it.']
    assert not NotificationProfile.objects.filter(pk=profile.pk).exists()


# --- destinations --------------------------------------------------------------------------------


def test_the_destinations_table_has_a_row_per_destination_and_a_form_per_installed_medium(
    ui, user, synced, phone
):
    html = text(ui.get("/notifications/destinations/"))
    assert f'id="destination-{synced.pk}"' in html and f'id="destination-{phone.pk}"' in html
    assert "New Email destination" in html and "New SMS destination" in html
    assert "Email address" in html and "Phone number" in html
    synced_row = html[html.index(f'id="destination-{synced.pk}"') :].split("</tr>")[0]
    assert "Synced" in synced_row
    assert "Cannot delete this email destination since it was defined by an outside source." in synced_row
    assert "Guide to destinations" in html


def test_no_destinations_yet(ui, user):
    user.email = ""
    user.save()
    DestinationConfig.objects.filter(user=user).delete()
    assert "No destinations yet." in text(ui.get("/notifications/destinations/"))


def test_the_destinations_page_costs_a_constant_number_of_queries(
    ui, user, profile, django_assert_num_queries
):
    # session, user, preferences, installed media, destinations, their profiles, the profiles' filters
    with django_assert_num_queries(7):
        ui.get("/notifications/destinations/")
    for n in range(4):
        profile.destinations.add(
            SMSDestinationFactory(user=user, settings={"phone_number": f"+474747480{n}"})
        )
    with django_assert_num_queries(7):
        ui.get("/notifications/destinations/")


def test_a_destination_is_created_as_its_medium_validates_it(ui, user):
    response = ui.post(
        "/notifications/destinations/create/",
        {
            "media": SMS_MEDIA_SLUG,
            "new-sms-settings_phone_number": "+47 474 74 702",
            "new-sms-label": "Mobile",
        },
    )
    assert response.status_code == 303
    destination = DestinationConfig.objects.get(user=user, label="Mobile")
    assert destination.settings == {"phone_number": "+4747474702"}
    assert re.fullmatch(r'Created destination "SMS: Mobile" at \d\d:\d\d:\d\d\.', messages_of(response)[0])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"media": SMS_MEDIA_SLUG, "new-sms-settings_phone_number": "12"}, "Enter a valid phone number"),
        (
            {"media": EMAIL_MEDIA_SLUG, "new-email-settings_email_address": "not-an-address"},
            "Enter a valid email address.",
        ),
        ({"media": EMAIL_MEDIA_SLUG, "new-email-settings_email_address": ""}, "This field is required."),
        (
            {"media": EMAIL_MEDIA_SLUG, "new-email-settings_email_address": "operator@example.com"},
            "This email address is already registered in another destination.",
        ),
    ],
)
def test_settings_the_medium_refuses_are_form_errors(ui, user, data, message):
    user.email = "operator@example.com"
    user.save()
    before = DestinationConfig.objects.count()
    response = ui.post("/notifications/destinations/create/", data)
    assert response.status_code == 422
    assert message in text(response)
    assert DestinationConfig.objects.count() == before


def test_a_taken_label_and_a_duplicate_address_are_form_errors(ui, user, phone):
    phone.label = "Mobile"
    phone.save()
    response = ui.post(
        "/notifications/destinations/create/",
        {"media": SMS_MEDIA_SLUG, "new-sms-settings_phone_number": "+4747474799", "new-sms-label": "Mobile"},
    )
    assert response.status_code == 422
    assert 'The label "Mobile" is already in use for another SMS destination.' in text(response)
    response = ui.post(
        "/notifications/destinations/create/",
        {"media": SMS_MEDIA_SLUG, "new-sms-settings_phone_number": "+4747474701"},
    )
    assert "Phone number already exists" in text(response)


def test_an_unknown_medium_is_a_message(ui):
    response = ui.post("/notifications/destinations/create/", {"media": "fax"})
    assert response.status_code == 303 and messages_of(response) == ['Medium "fax" is not installed.']


def test_a_destination_is_saved_from_its_row(ui, phone):
    response = ui.post(
        f"/notifications/destinations/{phone.pk}/update/",
        {f"d{phone.pk}-label": "Work phone", f"d{phone.pk}-settings_phone_number": "+4747474705"},
    )
    assert response.status_code == 303
    phone.refresh_from_db()
    assert phone.label == "Work phone" and phone.settings == {"phone_number": "+4747474705"}
    assert re.fullmatch(r'Saved destination "SMS: Work phone" at \d\d:\d\d:\d\d\.', messages_of(response)[0])


def test_renaming_the_synced_email_destination_keeps_it_synced(ui, user, synced):
    data = {f"d{synced.pk}-label": "Me", f"d{synced.pk}-settings_email_address": user.email}
    response = ui.post(f"/notifications/destinations/{synced.pk}/update/", data)
    assert response.status_code == 303
    synced.refresh_from_db()
    assert synced.label == "Me" and synced.settings == {"email_address": user.email, "synced": True}


def test_a_new_address_for_the_synced_destination_keeps_a_synced_copy(ui, user, synced):
    data = {f"d{synced.pk}-label": "", f"d{synced.pk}-settings_email_address": "other@example.org"}
    assert ui.post(f"/notifications/destinations/{synced.pk}/update/", data).status_code == 303
    addresses = {
        d.settings["email_address"]: d.settings["synced"]
        for d in DestinationConfig.objects.filter(user=user, media_id="email")
    }
    assert addresses == {"other@example.org": False, user.email: True}


def test_an_invalid_row_shows_the_page_with_that_rows_errors(ui, phone):
    response = ui.post(
        f"/notifications/destinations/{phone.pk}/update/", {f"d{phone.pk}-settings_phone_number": "x"}
    )
    assert response.status_code == 422
    row = text(response).split(f'id="destination-{phone.pk}"')[1].split("</tr>")[0]
    assert 'aria-invalid="true"' in row and "Enter a valid phone number" in row


def test_destinations_in_use_or_synced_are_not_deleted(ui, profile, phone, synced):
    html = text(ui.get("/notifications/destinations/"))
    row = html[html.index(f'id="destination-{phone.pk}"') :].split("</tr>")[0]
    assert "disabled" in row and "in use in the notification profile(s): Office." in row
    for destination in (phone, synced):
        response = ui.post(f"/notifications/destinations/{destination.pk}/delete/")
        assert response.status_code == 303
        assert messages_of(response)[0].startswith("Cannot delete this")
        assert DestinationConfig.objects.filter(pk=destination.pk).exists()


def test_a_free_destination_is_deleted_after_asking(ui, phone):
    assert 'Delete the destination "SMS: +4747474701"?' in text(
        ui.get(f"/notifications/destinations/{phone.pk}/delete/")
    )
    response = ui.post(f"/notifications/destinations/{phone.pk}/delete/")
    assert messages_of(response) == ['Deleted destination "SMS: +4747474701".']
    assert not DestinationConfig.objects.filter(pk=phone.pk).exists()


def test_a_destination_of_a_medium_not_installed_is_read_only(ui, user):
    fax = media_for("fax")
    destination = DestinationConfigFactory(user=user, media=fax, settings={"number": "55"})
    html = text(ui.get("/notifications/destinations/"))
    row = html[html.index(f'id="destination-{destination.pk}"') :].split("</tr>")[0]
    assert "Read-only" in row and "<input" not in row
    response = ui.post(f"/notifications/destinations/{destination.pk}/update/", {})
    assert response.status_code == 303 and "not installed" in messages_of(response)[0]


def test_the_form_pages_cost_a_constant_number_of_queries(ui, user, profile, django_assert_num_queries):
    def add_more():
        for n in range(4):
            FilterFactory(user=user, name=f"f{n}")
            TimeslotFactory(user=user, name=f"t{n}")
            SMSDestinationFactory(user=user, settings={"phone_number": f"+474747490{n}"})

    # session, user, preferences, the profile, its filters and destinations, the choices (3)
    counts = {f"/notifications/profiles/{profile.pk}/update/": 9, "/notifications/profiles/create/": 7}
    # session, user, preferences, the timeslot, its recurrences
    counts[f"/notifications/timeslots/{profile.timeslot.pk}/update/"] = 5
    for path, count in counts.items():
        with django_assert_num_queries(count):
            ui.get(path)
    add_more()
    for path, count in counts.items():
        with django_assert_num_queries(count):
            ui.get(path)


def test_the_read_only_group_still_manages_its_own_notifications(ui, user, timeslot, critical, settings):
    settings.ARGUS_UI_READONLY_GROUP = "viewers"
    user.groups.add(Group.objects.create(name="viewers"))
    response = ui.post(
        "/notifications/profiles/create/", {"name": "Mine", "timeslot": timeslot.pk, "filters": [critical.pk]}
    )
    assert response.status_code == 303
    response = ui.post("/incidents/filter-create/", {"filter_name": "Watch", "view": "open=1"})
    assert response.status_code == 303


def test_a_webhook_secret_never_reaches_the_page_and_survives_an_edit(ui, user, settings):
    settings.MEDIA_PLUGINS = [*settings.MEDIA_PLUGINS, WEBHOOK_PLUGIN]
    sync_media_table()
    secret = "do-not-show-0123456789"
    hook = DestinationConfig.objects.create(
        user=user, media_id="webhook", settings={"url": "https://hooks.example.org/a", "secret": secret}
    )
    page = ui.get("/notifications/destinations/").content.decode()
    assert secret not in page and "https://hooks.example.org/a" in page
    data = {
        f"d{hook.pk}-label": "Ops hook",
        f"d{hook.pk}-settings_url": "https://hooks.example.org/b",
        f"d{hook.pk}-settings_secret": "********",
    }
    assert ui.post(f"/notifications/destinations/{hook.pk}/update/", data).status_code == 303
    hook.refresh_from_db()
    assert hook.label == "Ops hook"
    assert hook.settings == {"url": "https://hooks.example.org/b", "secret": secret}


# --- "Send test" ----------------------------------------------------------------------------------


def test_a_test_message_goes_to_an_own_destination_now(ui, synced, user, mailoutbox):
    row = text(ui.get("/notifications/destinations/"))
    row = row[row.index(f'id="destination-{synced.pk}"') :].split("</tr>")[0]
    assert f'action="/notifications/destinations/{synced.pk}/test/"' in row and "Send test" in row
    response = ui.post(f"/notifications/destinations/{synced.pk}/test/")
    assert response.status_code == 303
    assert response["Location"] == f"/notifications/destinations/#destination-{synced.pk}"
    (message,) = messages_of(response)
    assert message.startswith(f'Test message sent to "Email: {user.email}"')
    (mail,) = mailoutbox
    assert mail.to == [user.email] and "Argus test message" in mail.subject


def test_an_undelivered_test_message_says_why_and_a_second_one_waits(ui, user, settings):
    settings.MEDIA_PLUGINS = [*settings.MEDIA_PLUGINS, WEBHOOK_PLUGIN]
    settings.WEBHOOK_ALLOW_HTTP = True
    sync_media_table()
    with Receiver([500]) as receiver:
        hook = DestinationConfig.objects.create(
            user=user, media_id="webhook", settings={"url": receiver.url(), "secret": "s" * 24}
        )
        response = ui.post(f"/notifications/destinations/{hook.pk}/test/")
        assert len(receiver.wait_for(1)) == 1
    (message,) = messages_of(response)
    assert message.startswith('The test message to "Webhook: http://127.0.0.1:')  # the URL shortened
    assert message.endswith('" was not delivered: HTTP 500.')
    again = ui.post(f"/notifications/destinations/{hook.pk}/test/")
    assert again.status_code == 303 and "try again in" in messages_of(again)[0]


def test_no_test_message_while_notifications_are_off(ui, synced, settings, mailoutbox):
    settings.SEND_NOTIFICATIONS = False
    response = ui.post(f"/notifications/destinations/{synced.pk}/test/")
    assert messages_of(response) == ["Notifications are turned off on this server."]
    assert not mailoutbox


def test_test_messages_only_to_own_destinations_and_only_by_post(ui, client, db, mailoutbox):
    other = DestinationConfig.objects.get(user=EndUserFactory(username="other"), settings__synced=True)
    assert ui.post(f"/notifications/destinations/{other.pk}/test/").status_code == 404
    assert ui.post("/notifications/destinations/99999999999999999999/test/").status_code == 404
    assert ui.get(f"/notifications/destinations/{other.pk}/test/").status_code == 405
    anonymous = client.post(f"/notifications/destinations/{other.pk}/test/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert not mailoutbox
