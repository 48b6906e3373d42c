import datetime

import pytest
from django.test import Client

from argus.notificationprofile.admin import recurrence_text
from argus.notificationprofile.models import NotificationProfile, TimeRecurrence
from tests.notificationprofile.factories import (
    DestinationConfigFactory,
    FilterFactory,
    NotificationProfileFactory,
    SMSDestinationFactory,
    TimeRecurrenceFactory,
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
