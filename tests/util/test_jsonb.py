"""Stored JSON reads back in PostgreSQL jsonb key order on every database (notifications.md §1.3, §1.5)."""

import json

import pytest
from django.utils import timezone

from argus.incident import services
from argus.notificationprofile.models import DestinationConfig, Filter
from argus.util.jsonb import jsonb_order
from tests.factories import EndUserFactory, SourceSystemFactory


def test_shorter_keys_first_then_bytewise_at_every_level():
    value = {
        "sourceSystemIds": [1],
        "tags": ["a=b"],
        "open": True,
        "b": {"zz": 1, "y": [{"bb": 0, "a": 1}]},
        "ø": 1,
    }
    ordered = jsonb_order(value)
    assert json.dumps(ordered) == json.dumps(
        {
            "b": {"y": [{"a": 1, "bb": 0}], "zz": 1},
            "ø": 1,
            "open": True,
            "tags": ["a=b"],
            "sourceSystemIds": [1],
        }
    )
    assert ordered == value


@pytest.mark.django_db
def test_destination_settings_filter_blobs_and_metadata_read_back_in_jsonb_order(end_user_client):
    user = EndUserFactory(email="a@b.example")
    synced = DestinationConfig.objects.get(user=user, settings__synced=True)
    assert list(DestinationConfig.objects.get(pk=synced.pk).settings) == ["synced", "email_address"]
    blob = Filter.objects.create(
        user=user, name="f1", filter={"tags": ["problem_type=test"], "sourceSystemIds": [11]}
    )
    assert (
        str(Filter.objects.get(pk=blob.pk)) == "f1 [{'tags': ['problem_type=test'], 'sourceSystemIds': [11]}]"
    )
    source = SourceSystemFactory()
    incident = services.incident_create(
        actor=source.user, source=source, start_time=timezone.now(), metadata={"zeta": 1, "a": 2}
    )
    response = end_user_client.get(f"/api/v2/incidents/{incident.pk}/")
    assert list(response.json()["metadata"]) == ["a", "zeta"]
