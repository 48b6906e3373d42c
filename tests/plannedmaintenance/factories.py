"""factory-boy factories for planned maintenance tasks and their links."""

import datetime

import factory
from django.utils import timezone

from argus.plannedmaintenance.models import PlannedMaintenanceLink, PlannedMaintenanceTask
from argus.util.datetime_utils import INFINITY
from tests.factories import IncidentFactory, SuperUserFactory


def minutes(n: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


class PlannedMaintenanceTaskFactory(factory.django.DjangoModelFactory):
    """A current task (started ten minutes ago, open-ended) written directly, without linking.

    ``filters=[...]`` sets its filters.
    """

    class Meta:
        model = PlannedMaintenanceTask
        skip_postgeneration_save = True

    created_by = factory.SubFactory(SuperUserFactory)
    start_time = factory.LazyFunction(lambda: timezone.now() - minutes(10))
    end_time = INFINITY
    description = factory.Sequence(lambda n: f"Maintenance {n}")

    @factory.post_generation
    def filters(self, create, extracted, **kwargs):
        if create and extracted:
            self.filters.set(extracted)


class PlannedMaintenanceLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlannedMaintenanceLink

    task = factory.SubFactory(PlannedMaintenanceTaskFactory)
    incident = factory.SubFactory(IncidentFactory)
