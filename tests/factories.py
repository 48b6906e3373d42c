"""factory-boy factories shared by every test package (one place, so apps agree on defaults)."""

import factory
from django.utils import timezone
from rest_framework.authtoken.models import Token

from argus.auth.models import User
from argus.incident.acks import refresh_acked_until_of
from argus.incident.models import (
    Acknowledgement,
    Event,
    Incident,
    IncidentTagRelation,
    SourceSystem,
    SourceSystemType,
    Tag,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.LazyAttribute(lambda o: o.username)
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("password")


class EndUserFactory(UserFactory):
    pass


class SuperUserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    is_staff = True
    is_superuser = True


class SourceSystemTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SourceSystemType
        django_get_or_create = ("name",)

    name = "nav"


class SourceUserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"source{n}")
    email = ""


class SourceSystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SourceSystem

    name = factory.Sequence(lambda n: f"source{n}")
    type = factory.SubFactory(SourceSystemTypeFactory)
    user = factory.SubFactory(SourceUserFactory, username=factory.SelfAttribute("..name"))
    base_url = ""


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    start_time = factory.LazyFunction(timezone.now)
    source = factory.SubFactory(SourceSystemFactory)
    source_incident_id = factory.Sequence(lambda n: f"ext-{n}")
    description = factory.Sequence(lambda n: f"Incident {n}")
    level = 5


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("key", "value")

    key = "host"
    value = factory.Sequence(lambda n: f"host{n}.example.org")


class IncidentTagRelationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentTagRelation

    tag = factory.SubFactory(TagFactory)
    incident = factory.SubFactory(IncidentFactory)
    added_by = factory.LazyAttribute(lambda o: o.incident.source.user)
    # The copies argus.incident.list_state keeps (a relation written around the services).
    incident_start_time = factory.LazyAttribute(lambda o: o.incident.start_time)
    incident_may_be_open = factory.LazyAttribute(lambda o: o.incident.may_be_open)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    incident = factory.SubFactory(IncidentFactory)
    actor = factory.LazyAttribute(lambda o: o.incident.source.user)
    timestamp = factory.LazyFunction(timezone.now)
    type = Event.Type.OTHER
    description = ""


class AcknowledgementFactory(factory.django.DjangoModelFactory):
    """An acknowledgement row written directly, as a bulk load would; keeps ``acked_until`` right.

    The services keep ``Incident.acked_until`` themselves (no signals), so whoever writes ack rows
    another way refreshes it: here, and the caller's copy of the incident says so too.
    """

    class Meta:
        model = Acknowledgement

    event = factory.SubFactory(EventFactory, type=Event.Type.ACKNOWLEDGE)
    expiration = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        ack = super()._create(model_class, *args, **kwargs)
        refresh_acked_until_of(ack.event.incident)
        return ack


def token_for(user) -> Token:
    token, _ = Token.objects.get_or_create(user=user)
    return token


def knox_token_for(user, expiry=None) -> str:
    """Create a knox token for ``user`` and return its plain 64-hex key (knox stores a digest)."""
    from knox.models import AuthToken

    if expiry is None:
        _instance, key = AuthToken.objects.create(user=user)
    else:
        _instance, key = AuthToken.objects.create(user=user, expiry=expiry)
    return key
