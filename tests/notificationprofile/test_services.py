"""The notification services: each rule, and that a refused change changes nothing."""

import datetime

import pytest

from argus.notificationprofile import services
from argus.notificationprofile.choices import EMAIL_MEDIA_SLUG, SMS_MEDIA_SLUG
from argus.notificationprofile.errors import (
    DestinationExists,
    DestinationLabelTaken,
    DestinationNotDeletable,
    EmailAddressRequired,
    FilterInUse,
    FilterNameTaken,
    PhoneNumberRequired,
    ProfileNameTaken,
    TimeslotNameTaken,
    TimeslotNotOwned,
)
from argus.notificationprofile.models import DestinationConfig, Filter, NotificationProfile, Timeslot
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

pytestmark = pytest.mark.django_db

T = datetime.time
MORNING = {"days": [3, 1, 1], "start": T(8), "end": T(12)}


@pytest.fixture
def user():
    return EndUserFactory(username="alice", email="alice@example.org")


def synced_of(user):
    return DestinationConfig.objects.get(user=user, media_id=EMAIL_MEDIA_SLUG, settings__synced=True)


def first_call_says_free(monkeypatch, name):
    """The early check of a request that loses a race: it saw the name free, the database did not."""
    check = getattr(services, name)
    calls = []

    def racing(**kwargs):
        calls.append(kwargs)
        return False if len(calls) == 1 else check(**kwargs)

    monkeypatch.setattr(services, name, racing)


# --- timeslots -----------------------------------------------------------------------------------


class TestTimeslots:
    def test_create_with_recurrences_sorted_and_deduplicated(self, user):
        timeslot = services.timeslot_create(user=user, name="Mornings", time_recurrences=[MORNING])
        assert [(r.days, r.start, r.end) for r in timeslot.time_recurrences.all()] == [([1, 3], T(8), T(12))]

    def test_a_taken_name_is_refused_by_the_database_constraint(self, user):
        """The service has no early check: the unique constraint decides, as it does in a race."""
        with pytest.raises(TimeslotNameTaken) as error:
            services.timeslot_create(user=user, name="All the time", time_recurrences=[MORNING])
        assert (error.value.name, error.value.username) == ("All the time", "alice")
        assert Timeslot.objects.filter(user=user).count() == 1

    def test_another_users_name_is_free(self, user):
        services.timeslot_create(user=user, name="Mornings")
        services.timeslot_create(user=EndUserFactory(), name="Mornings")

    def test_rename_onto_a_taken_name_changes_nothing(self, user):
        timeslot = services.timeslot_create(user=user, name="Mornings", time_recurrences=[MORNING])
        with pytest.raises(TimeslotNameTaken):
            services.timeslot_update(timeslot=timeslot, name="All the time", time_recurrences=[])
        timeslot.refresh_from_db()
        assert timeslot.name == "Mornings"
        assert timeslot.time_recurrences.count() == 1

    def test_update_replaces_every_recurrence_and_keeps_what_is_not_given(self, user):
        timeslot = TimeRecurrenceFactory(timeslot__user=user).timeslot
        old_pks = list(timeslot.time_recurrences.values_list("pk", flat=True))
        services.timeslot_update(timeslot=timeslot, time_recurrences=[MORNING, MORNING])
        assert timeslot.time_recurrences.count() == 2
        assert not timeslot.time_recurrences.filter(pk__in=old_pks).exists()
        services.timeslot_update(timeslot=timeslot, name="Renamed")
        assert timeslot.time_recurrences.count() == 2

    def test_delete_takes_the_profiles_using_it(self, user):
        profile = NotificationProfileFactory(user=user)
        services.timeslot_delete(timeslot=profile.timeslot)
        assert not NotificationProfile.objects.filter(pk=profile.pk).exists()


# --- filters -------------------------------------------------------------------------------------


class TestFilters:
    def test_create_and_update(self, user):
        filter = services.filter_create(user=user, name="f", blob={"open": True})
        services.filter_update(filter=filter, blob={"acked": False})
        filter.refresh_from_db()
        assert (filter.name, filter.filter) == ("f", {"acked": False})

    @pytest.mark.parametrize("action", ["create", "rename"])
    def test_a_taken_name_is_refused_by_the_database_constraint(self, user, action):
        FilterFactory(user=user, name="taken")
        with pytest.raises(FilterNameTaken) as error:
            if action == "create":
                services.filter_create(user=user, name="taken")
            else:
                services.filter_update(filter=FilterFactory(user=user, name="free"), name="taken")
        assert (error.value.name, error.value.username) == ("taken", "alice")
        assert sorted(Filter.objects.filter(user=user).values_list("name", flat=True)) == sorted(
            ["taken"] + (["free"] if action == "rename" else [])
        )

    def test_a_filter_in_use_is_not_deleted(self, user):
        filter = FilterFactory(user=user, name="f")
        NotificationProfileFactory(user=user, name="p2", filters=[filter])
        NotificationProfileFactory(user=user, name="p1", filters=[filter])
        with pytest.raises(FilterInUse) as error:
            services.filter_delete(filter=filter)
        assert error.value.profiles == ["p2", "p1"]  # pk order
        assert Filter.objects.filter(pk=filter.pk).exists()
        assert NotificationProfile.objects.filter(filters=filter).count() == 2

    def test_deleting_several_is_all_or_nothing(self, user):
        free, used = FilterFactory(user=user), FilterFactory(user=user)
        NotificationProfileFactory(user=user, filters=[used])
        with pytest.raises(FilterInUse):
            services.filters_delete(filters=[free, used])
        assert Filter.objects.filter(pk__in=[free.pk, used.pk]).count() == 2
        services.filters_delete(filters=[free])
        assert not Filter.objects.filter(pk=free.pk).exists()


# --- destinations --------------------------------------------------------------------------------


class TestDestinations:
    def sms(self, user, number="+4747474702", label=None):
        return services.destination_create(
            user=user, media=media_for(SMS_MEDIA_SLUG), label=label, settings={"phone_number": number}
        )

    def test_create_stores_no_empty_label(self, user):
        assert self.sms(user, label="").label is None

    def test_a_taken_label_is_refused_by_the_database_constraint(self, user):
        self.sms(user, label="work")
        with pytest.raises(DestinationLabelTaken) as error:
            self.sms(user, number="+4747474703", label="work")
        assert (error.value.label, error.value.media_name) == ("work", "SMS")
        other = self.sms(user, number="+4747474704")
        with pytest.raises(DestinationLabelTaken):
            services.destination_update(destination=other, data={"label": "work"})
        other.refresh_from_db()
        assert other.label is None

    def test_same_label_on_another_medium_is_free(self, user):
        self.sms(user, label="work")
        services.destination_create(
            user=user,
            media=media_for(EMAIL_MEDIA_SLUG),
            label="work",
            settings={"email_address": "w@example.org"},
        )

    def test_the_same_settings_twice_are_refused(self, user):
        self.sms(user)
        with pytest.raises(DestinationExists):
            self.sms(user)
        assert DestinationConfig.objects.filter(user=user, media_id=SMS_MEDIA_SLUG).count() == 1

    def test_a_destination_in_use_is_not_deleted(self, user):
        destination = self.sms(user)
        NotificationProfileFactory(user=user, name="p", destinations=[destination])
        with pytest.raises(DestinationNotDeletable) as error:
            services.destination_delete(destination=destination)
        assert error.value.message == (
            "Cannot delete this destination since it is in use in the notification profile(s): p."
        )
        assert DestinationConfig.objects.filter(pk=destination.pk).exists()

    def test_the_synced_email_destination_is_not_deleted(self, user):
        with pytest.raises(DestinationNotDeletable) as error:
            services.destination_delete(destination=synced_of(user))
        assert "defined by an outside source" in error.value.message

    def test_a_medium_without_plugin_keeps_the_in_use_rule(self, user):
        fax = DestinationConfigFactory(user=user, media=media_for("fax"), settings={"number": 1})
        NotificationProfileFactory(user=user, destinations=[fax])
        with pytest.raises(DestinationNotDeletable):
            services.destination_delete(destination=fax)

    def test_deleting_several_is_all_or_nothing(self, user):
        free = self.sms(user)
        with pytest.raises(DestinationNotDeletable):
            services.destinations_delete(destinations=[free, synced_of(user)])
        assert DestinationConfig.objects.filter(pk=free.pk).exists()

    def test_updating_the_synced_email_keeps_the_synced_address(self, user):
        synced = synced_of(user)
        services.destination_update(
            destination=synced, data={"settings": {"email_address": "new@example.org", "synced": False}}
        )
        assert synced_of(user).settings["email_address"] == "alice@example.org"
        assert synced_of(user).pk != synced.pk


# --- profiles ------------------------------------------------------------------------------------


class TestProfiles:
    def test_create_and_update(self, user):
        timeslot, filter = TimeslotFactory(user=user), FilterFactory(user=user)
        profile = services.profile_create(user=user, timeslot=timeslot, filters=[filter], name="p")
        assert (profile.active, list(profile.filters.all()), list(profile.destinations.all())) == (
            True,
            [filter],
            [],
        )
        services.profile_update(profile=profile, data={"active": False, "destinations": [synced_of(user)]})
        profile.refresh_from_db()
        assert (profile.name, profile.active, list(profile.destinations.all())) == (
            "p",
            False,
            [synced_of(user)],
        )

    def test_the_timeslot_must_be_the_users_own(self, user):
        with pytest.raises(TimeslotNotOwned):
            services.profile_create(user=user, timeslot=TimeslotFactory(), filters=[FilterFactory(user=user)])
        profile = NotificationProfileFactory(user=user)
        with pytest.raises(TimeslotNotOwned):
            services.profile_update(profile=profile, data={"timeslot": TimeslotFactory()})
        assert not NotificationProfile.objects.exclude(pk=profile.pk).exists()

    def test_names_are_unique_across_all_users(self, user):
        NotificationProfileFactory(name="taken")
        with pytest.raises(ProfileNameTaken) as error:
            services.profile_create(user=user, timeslot=TimeslotFactory(user=user), filters=[], name="taken")
        assert error.value.name == "taken"
        own = NotificationProfileFactory(user=user, name="mine")
        services.profile_update(profile=own, data={"name": "mine"})  # keeping its own name is fine
        with pytest.raises(ProfileNameTaken):
            services.profile_update(profile=own, data={"name": "taken"})

    def test_a_name_taken_in_a_race_is_refused_by_the_database_constraint(self, user, monkeypatch):
        NotificationProfileFactory(user=user, name="taken")
        first_call_says_free(monkeypatch, "profile_name_in_use")
        with pytest.raises(ProfileNameTaken):
            services.profile_create(user=user, timeslot=TimeslotFactory(user=user), filters=[], name="taken")
        assert NotificationProfile.objects.filter(user=user).count() == 1

    def test_activation(self, user):
        on, off = NotificationProfileFactory(user=user, active=True), NotificationProfileFactory(active=False)
        profiles = NotificationProfile.objects.filter(pk__in=[on.pk, off.pk]).order_by("pk")
        assert services.profiles_toggle_active(profiles=profiles) == 2
        assert list(profiles.values_list("active", flat=True)) == [False, True]
        services.profiles_set_active(profiles=profiles, active=True)
        assert list(profiles.values_list("active", flat=True)) == [True, True]

    def test_delete(self, user):
        profile = NotificationProfileFactory(user=user)
        services.profile_delete(profile=profile)
        assert not NotificationProfile.objects.filter(pk=profile.pk).exists()


class TestProfilesWithMedia:
    """The v1 view: destinations written as media slugs and one phone number."""

    @pytest.fixture
    def base(self, user):
        return {"user": user, "timeslot": TimeslotFactory(user=user), "filters": [FilterFactory(user=user)]}

    def test_email_gives_the_synced_destination_and_sms_the_phone_number(self, user, base):
        phone = SMSDestinationFactory(user=user)
        profile = services.profile_create_with_media(
            **base, media={EMAIL_MEDIA_SLUG, SMS_MEDIA_SLUG}, phone_number=phone
        )
        assert set(profile.destinations.all()) == {synced_of(user), phone}

    def test_sms_needs_a_phone_number(self, base):
        with pytest.raises(PhoneNumberRequired):
            services.profile_create_with_media(**base, media={SMS_MEDIA_SLUG})
        assert not NotificationProfile.objects.exists()

    def test_email_needs_the_users_email(self):
        user = EndUserFactory(email="")
        with pytest.raises(EmailAddressRequired):
            services.profile_create_with_media(
                user=user, timeslot=TimeslotFactory(user=user), filters=[], media={EMAIL_MEDIA_SLUG}
            )

    def test_no_media_means_no_destinations(self, base):
        assert not services.profile_create_with_media(**base, media=set()).destinations.exists()

    def test_update_with_sms_only_drops_email_and_keeps_the_number_it_has(self, user, base):
        phone = SMSDestinationFactory(user=user)
        profile = services.profile_create_with_media(
            **base, media={EMAIL_MEDIA_SLUG, SMS_MEDIA_SLUG}, phone_number=phone
        )
        services.profile_update_with_media(profile=profile, data={"media": {SMS_MEDIA_SLUG}})
        assert list(profile.destinations.all()) == [phone]
        with pytest.raises(PhoneNumberRequired):  # an explicit null is "no number"
            services.profile_update_with_media(
                profile=profile, data={"media": {SMS_MEDIA_SLUG}, "phone_number": None}
            )

    def test_update_without_media_leaves_destinations_but_a_number_replaces_the_first_sms(self, user, base):
        first, second, third = (SMSDestinationFactory(user=user) for _ in range(3))
        profile = services.profile_create_with_media(**base, media={SMS_MEDIA_SLUG}, phone_number=first)
        services.profile_update(profile=profile, data={"destinations": [first, second]})
        services.profile_update_with_media(profile=profile, data={"media": set(), "phone_number": third})
        assert set(profile.destinations.all()) == {third, second}
        services.profile_update_with_media(profile=profile, data={"active": False})
        assert set(profile.destinations.all()) == {third, second}


# --- what every user has -------------------------------------------------------------------------


class TestUserDefaults:
    def test_a_new_user_gets_the_timeslot_and_the_synced_destination(self, user):
        timeslot = Timeslot.objects.get(user=user)
        assert timeslot.name == "All the time"
        assert [(r.days, r.all_day) for r in timeslot.time_recurrences.all()] == [
            ([1, 2, 3, 4, 5, 6, 7], True)
        ]
        assert synced_of(user).settings == {"email_address": "alice@example.org", "synced": True}

    def test_keeping_them_again_changes_nothing(self, user):
        services.user_defaults_keep(user=user, created=True)
        assert Timeslot.objects.filter(user=user).count() == 1
        assert DestinationConfig.objects.filter(user=user).count() == 1

    def test_a_save_of_other_fields_costs_no_query(self, user, django_assert_num_queries):
        with django_assert_num_queries(0):
            services.user_defaults_keep(user=user, created=False, update_fields=["last_login"])

    def test_an_existing_destination_with_the_new_address_becomes_the_synced_one(self, user):
        other = DestinationConfigFactory(
            user=user, settings={"email_address": "new@example.org", "synced": False}
        )
        user.email = "new@example.org"
        services.email_destination_sync(user=user)
        assert synced_of(user) == other
        assert DestinationConfig.objects.filter(user=user).count() == 2

    def test_no_email_no_synced_destination(self, user):
        user.email = ""
        assert services.email_destination_sync(user=user) is None
        assert not DestinationConfig.objects.filter(user=user).exists()
