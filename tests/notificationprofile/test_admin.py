import datetime

import pytest
from django.test import Client

from argus.notificationprofile.admin import recurrence_text
from argus.notificationprofile.models import (
    DestinationConfig,
    Filter,
    NotificationProfile,
    TimeRecurrence,
    Timeslot,
)
from tests.notificationprofile.factories import (
    DestinationConfigFactory,
    FilterFactory,
    NotificationProfileFactory,
    SMSDestinationFactory,
    TimeRecurrenceFactory,
    TimeslotFactory,
)

T = datetime.time


@pytest.mark.parametrize(
    "days, start, end, text",
    [
        ([1, 2, 3, 4, 5, 6, 7], T.min, T.max, "24/7"),
        ([1, 2, 3, 4, 5, 6, 7], T(8), T(16), "08:00-16:00, every day"),
        ([1, 2, 5], T(8), T(16, 30), "08:00-16:30 on Monday, Tuesday and Friday"),
        ([3], T(0, 0, 59), T(23, 59), "around the clock on Wednesday"),
        ([6, 7], T.min, T.max, "around the clock on Saturday and Sunday"),
    ],
)
def test_recurrence_text(days, start, end, text):
    assert recurrence_text(TimeRecurrence(days=days, start=start, end=end)) == text


@pytest.fixture
def admin_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


@pytest.mark.django_db
class TestNotificationProfileAdmin:
    def test_changelist_columns_and_constant_queries(self, admin_client, django_assert_max_num_queries):
        for _ in range(3):
            NotificationProfileFactory(
                filters=[FilterFactory(name="f-one"), FilterFactory()],
                destinations=[
                    DestinationConfigFactory(),
                    SMSDestinationFactory(),
                    DestinationConfigFactory(),
                ],
            )
        with django_assert_max_num_queries(14) as few:
            admin_client.get("/admin/argus_notificationprofile/notificationprofile/")
        for _ in range(10):
            NotificationProfileFactory(filters=[FilterFactory()], destinations=[DestinationConfigFactory()])
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = admin_client.get("/admin/argus_notificationprofile/notificationprofile/")
        html = response.content.decode()
        assert response.status_code == 200
        assert "<div>f-one [{}]</div>" in html
        assert "Email SMS" in html
        assert "Toggle activation for selected profiles" in html

    def test_actions(self, admin_client):
        on = NotificationProfileFactory(active=True)
        off = NotificationProfileFactory(active=False)
        url = "/admin/argus_notificationprofile/notificationprofile/"
        for action, expected in [
            ("toggle_activation", [False, True]),
            ("activate", [True, True]),
            ("deactivate", [False, False]),
        ]:
            response = admin_client.post(url, {"action": action, "_selected_action": [on.pk, off.pk]})
            assert response.status_code == 302
            assert (
                list(
                    NotificationProfile.objects.filter(pk__in=[on.pk, off.pk])
                    .order_by("pk")
                    .values_list("active", flat=True)
                )
                == expected
            )

    def test_change_form_offers_only_the_owners_filters(self, admin_client):
        profile = NotificationProfileFactory(filters=[FilterFactory(name="mine")])
        FilterFactory(user=profile.user, name="also-mine")
        FilterFactory(name="someone-elses")
        html = admin_client.get(
            f"/admin/argus_notificationprofile/notificationprofile/{profile.pk}/change/"
        ).content.decode()
        assert "also-mine" in html and "someone-elses" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["timeslot", "filter", "media", "destinationconfig"])
def test_other_changelists_load(admin_client, model):
    TimeRecurrenceFactory()
    FilterFactory()
    DestinationConfigFactory()
    assert admin_client.get(f"/admin/argus_notificationprofile/{model}/").status_code == 200


@pytest.mark.django_db
def test_timeslot_changelist_shows_recurrences(admin_client):
    TimeRecurrenceFactory(days=[1, 2, 5], start=T(8), end=T(16))
    html = admin_client.get("/admin/argus_notificationprofile/timeslot/").content.decode()
    assert "<div>08:00-16:00 on Monday, Tuesday and Friday</div>" in html


@pytest.mark.django_db
def test_media_slug_is_derived_from_the_name(admin_client):
    response = admin_client.post("/admin/argus_notificationprofile/media/add/", {"name": "Push Note"})
    assert response.status_code == 302
    from argus.notificationprofile.models import Media

    assert Media.objects.get(slug="push-note").name == "Push Note"


ADMIN = "/admin/argus_notificationprofile"


def messages_of(client, response) -> list[str]:
    """The messages shown on the page ``response`` redirects to."""
    assert response.status_code == 302
    return [str(message) for message in client.get(response["Location"]).context["messages"]]


@pytest.mark.django_db
class TestRefusedDeletions:
    """The admin deletes through the services: what the API refuses, the admin refuses too."""

    def test_a_filter_in_use_is_not_deleted_from_its_page(self, admin_client):
        filter = FilterFactory()
        NotificationProfileFactory(user=filter.user, name="night", filters=[filter])
        url = f"{ADMIN}/filter/{filter.pk}/delete/"
        for send in (lambda: admin_client.get(url), lambda: admin_client.post(url, {"post": "yes"})):
            response = send()
            assert response["Location"] == f"{ADMIN}/filter/{filter.pk}/change/"
            assert messages_of(admin_client, response) == [
                "Cannot delete this filter since it is in use in the notification profile(s): night."
            ]
        assert Filter.objects.filter(pk=filter.pk).exists()
        assert NotificationProfile.objects.get(name="night").filters.get() == filter

    def test_a_filter_in_use_is_not_deleted_by_delete_selected(self, admin_client):
        free, used = FilterFactory(name="free"), FilterFactory(name="used")
        NotificationProfileFactory(user=used.user, name="night", filters=[used])
        body = {"action": "delete_selected", "_selected_action": [free.pk, used.pk]}
        for extra in ({}, {"post": "yes"}):  # the confirmation page, and the confirmation
            response = admin_client.post(f"{ADMIN}/filter/", {**body, **extra})
            assert response.status_code == 302
            assert messages_of(admin_client, response) == [
                "used [{}]: Cannot delete this filter since it is in use in the notification profile(s): night."
            ]
        assert Filter.objects.filter(pk__in=[free.pk, used.pk]).count() == 2

    def test_delete_selected_still_deletes_filters_not_in_use(self, admin_client):
        first, second = FilterFactory(), FilterFactory()
        body = {"action": "delete_selected", "_selected_action": [first.pk, second.pk]}
        assert admin_client.post(f"{ADMIN}/filter/", body).status_code == 200  # the confirmation page
        response = admin_client.post(f"{ADMIN}/filter/", {**body, "post": "yes"})
        assert response.status_code == 302
        assert not Filter.objects.filter(pk__in=[first.pk, second.pk]).exists()

    def test_a_filter_not_in_use_is_deleted_from_its_page(self, admin_client):
        filter = FilterFactory()
        response = admin_client.post(f"{ADMIN}/filter/{filter.pk}/delete/", {"post": "yes"})
        assert response.status_code == 302
        assert not Filter.objects.filter(pk=filter.pk).exists()

    def test_a_destination_its_medium_keeps_is_not_deleted(self, admin_client, end_user):
        synced = DestinationConfig.objects.get(user=end_user, settings__synced=True)
        response = admin_client.post(f"{ADMIN}/destinationconfig/{synced.pk}/delete/", {"post": "yes"})
        assert response.status_code == 302
        assert messages_of(admin_client, response) == [
            "Cannot delete this email destination since it was defined by an outside source."
        ]
        in_use = SMSDestinationFactory(user=end_user)
        NotificationProfileFactory(user=end_user, name="p", destinations=[in_use])
        body = {"action": "delete_selected", "_selected_action": [in_use.pk], "post": "yes"}
        response = admin_client.post(f"{ADMIN}/destinationconfig/", body)
        assert messages_of(admin_client, response) == [
            f"{in_use}: Cannot delete this destination since it is in use in the notification profile(s): p."
        ]
        assert DestinationConfig.objects.filter(pk__in=[synced.pk, in_use.pk]).count() == 2


@pytest.mark.django_db
class TestWritesThroughServices:
    def recurrences(self, *rows, initial=0):
        data = {
            "time_recurrences-TOTAL_FORMS": str(len(rows)),
            "time_recurrences-INITIAL_FORMS": str(initial),
        }
        for index, (days, start, end) in enumerate(rows):
            data[f"time_recurrences-{index}-days"] = days
            data[f"time_recurrences-{index}-start"] = start
            data[f"time_recurrences-{index}-end"] = end
        return data

    def test_timeslot_days_are_weekday_checkboxes(self, admin_client, end_user):
        body = admin_client.get(f"{ADMIN}/timeslot/add/").content.decode()
        assert 'type="checkbox" name="time_recurrences-0-days" value="1"' in body
        assert "Monday" in body and "Sunday" in body

    def test_timeslot_without_days_is_refused_on_the_form(self, admin_client, end_user):
        body = {"user": end_user.pk, "name": "Never", **self.recurrences(([], "08:00", "16:00"))}
        response = admin_client.post(f"{ADMIN}/timeslot/add/", body)
        assert response.status_code == 200
        assert not Timeslot.objects.filter(name="Never").exists()

    def test_timeslot_is_added_with_its_recurrences(self, admin_client, end_user):
        body = {"user": end_user.pk, "name": "Office", **self.recurrences(([5, 1], "08:00", "16:00"))}
        response = admin_client.post(f"{ADMIN}/timeslot/add/", body)
        assert response.status_code == 302, response.content.decode()[-3000:]
        timeslot = Timeslot.objects.get(user=end_user, name="Office")
        assert [(r.days, r.start) for r in timeslot.time_recurrences.all()] == [([1, 5], T(8))]

    def test_timeslot_renamed_onto_a_taken_name_is_an_error_message(self, admin_client, end_user):
        timeslot = TimeslotFactory(user=end_user, name="Office")
        body = {"name": "All the time", **self.recurrences(([1], "08:00", "16:00"))}
        response = admin_client.post(f"{ADMIN}/timeslot/{timeslot.pk}/change/", body)
        assert response.status_code == 302
        assert messages_of(admin_client, response) == [
            f'{end_user.username} already has a timeslot named "All the time".'
        ]
        timeslot.refresh_from_db()
        assert timeslot.name == "Office"

    def test_filter_is_added_and_its_owner_is_fixed_afterwards(self, admin_client, end_user):
        response = admin_client.post(
            f"{ADMIN}/filter/add/", {"user": end_user.pk, "name": "f", "filter": '{"tags": ["a=b"]}'}
        )
        assert response.status_code == 302
        filter = Filter.objects.get(user=end_user, name="f")
        other = FilterFactory()
        body = {"user": other.user.pk, "name": "g", "filter": '{"open": true}'}
        response = admin_client.post(f"{ADMIN}/filter/{filter.pk}/change/", body)
        assert response.status_code == 302, response.content.decode()[-3000:]
        filter.refresh_from_db()
        assert (filter.user, filter.name, filter.filter) == (end_user, "g", {"open": True})

    def test_profile_is_added_with_filters_and_destinations(self, admin_client, end_user):
        timeslot, filter = TimeslotFactory(user=end_user), FilterFactory(user=end_user)
        sms = SMSDestinationFactory(user=end_user)
        body = {
            "user": end_user.pk,
            "timeslot": timeslot.pk,
            "filters": [filter.pk],
            "name": "night",
            "active": "on",
            "NotificationProfile_destinations-TOTAL_FORMS": "1",
            "NotificationProfile_destinations-INITIAL_FORMS": "0",
            "NotificationProfile_destinations-0-destinationconfig": sms.pk,
        }
        response = admin_client.post(f"{ADMIN}/notificationprofile/add/", body)
        assert response.status_code == 302, response.content.decode()[-3000:]
        profile = NotificationProfile.objects.get(name="night")
        assert (list(profile.filters.all()), list(profile.destinations.all())) == ([filter], [sms])

    def test_profile_with_another_users_timeslot_is_an_error_message(self, admin_client, end_user):
        body = {
            "user": end_user.pk,
            "timeslot": TimeslotFactory().pk,
            "filters": [FilterFactory(user=end_user).pk],
            "NotificationProfile_destinations-TOTAL_FORMS": "0",
            "NotificationProfile_destinations-INITIAL_FORMS": "0",
        }
        response = admin_client.post(f"{ADMIN}/notificationprofile/add/", body)
        assert response.status_code == 302
        assert messages_of(admin_client, response) == [
            "The timeslot belongs to another user than the notification profile."
        ]
        assert not NotificationProfile.objects.exists()

    def test_changing_the_synced_destination_keeps_the_synced_address(self, admin_client, end_user):
        synced = DestinationConfig.objects.get(user=end_user, settings__synced=True)
        body = {"label": "", "settings": '{"email_address": "other@example.org"}'}
        response = admin_client.post(f"{ADMIN}/destinationconfig/{synced.pk}/change/", body)
        assert response.status_code == 302
        assert DestinationConfig.objects.get(user=end_user, settings__synced=True).settings[
            "email_address"
        ] == (end_user.email)


WEBHOOK_SECRET = "admin-never-shows-this-secret"


@pytest.mark.django_db
class TestWriteOnlySettings:
    """A webhook's secret is masked in the admin's list, change form and delete page; the mask
    sent back keeps it."""

    @pytest.fixture
    def webhook(self, end_user, http_media):
        return DestinationConfig.objects.create(
            user=end_user,
            media_id="webhook",
            settings={"url": "https://hooks.example.com/x", "secret": WEBHOOK_SECRET},
        )

    def test_list_change_and_delete_pages_never_show_the_secret(self, admin_client, webhook):
        for page in ("", f"{webhook.pk}/change/", f"{webhook.pk}/delete/"):
            response = admin_client.get(f"{ADMIN}/destinationconfig/{page}")
            assert response.status_code == 200
            assert WEBHOOK_SECRET not in response.content.decode()
            assert "********" in response.content.decode()

    def test_saving_the_masked_form_keeps_the_secret(self, admin_client, webhook):
        body = {"label": "ops", "settings": '{"url": "https://hooks.example.com/y", "secret": "********"}'}
        response = admin_client.post(f"{ADMIN}/destinationconfig/{webhook.pk}/change/", body)
        assert response.status_code == 302
        webhook.refresh_from_db()
        assert (webhook.label, webhook.settings) == (
            "ops",
            {"url": "https://hooks.example.com/y", "secret": WEBHOOK_SECRET},
        )
