"""Every committed incident change reaches subscribers as exactly one fresh frame per incident.

realtime.md §10 item 3: broadcast after commit from the service layer, fresh v2 payload (tags
included), one frame per affected incident, ``deleted`` frames; rolled-back changes send nothing.
"""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from argus.incident import services
from argus.incident.models import Incident
from argus.incident.queries import incidents_for_representation
from argus.incident.representation import incident_to_v2
from tests.ws.conftest import connect, run_async, subscribe

pytestmark = pytest.mark.django_db(transaction=True)


def frames_after(headers, action, count: int):
    """Subscribe, run ``action`` (sync), collect ``count`` frames and check nothing else arrives."""

    async def scenario():
        comm = await connect(headers)
        await subscribe(comm)
        result = await sync_to_async(action)()
        frames = [await comm.receive_json_from() for _ in range(count)]
        nothing_more = await comm.receive_nothing(timeout=0.2)
        await comm.disconnect()
        return result, frames, nothing_more

    result, frames, nothing_more = run_async(scenario)
    assert nothing_more, "more frames than expected"
    return result, frames


def fresh(incident) -> dict:
    return incident_to_v2(incidents_for_representation().get(pk=incident.pk))


def new_incident(source_system, **kwargs):
    kwargs.setdefault("start_time", timezone.now() - timedelta(minutes=1))
    kwargs.setdefault("description", "link down")
    return services.incident_create(actor=source_system.user, source=source_system, **kwargs)


def assert_modified(frame, incident, **expected):
    assert list(frame) == ["type", "payload"]
    assert frame["type"] == "modified"
    assert frame["payload"] == fresh(incident)
    for key, value in expected.items():
        assert frame["payload"][key] == value, key


def test_create_sends_one_created_frame_with_its_tags(end_user_headers, source_system):
    incident, (frame,) = frames_after(
        end_user_headers, lambda: new_incident(source_system, tags=["host=a.example", "room=1"]), 1
    )
    assert frame["type"] == "created"
    assert frame["payload"] == fresh(incident)
    assert [tag["tag"] for tag in frame["payload"]["tags"]] == ["host=a.example", "room=1"]


def test_stateless_create_sends_created(end_user_headers, source_system):
    incident, (frame,) = frames_after(
        end_user_headers, lambda: new_incident(source_system, end_time=None, description=""), 1
    )
    assert frame["type"] == "created"
    assert frame["payload"]["end_time"] is None
    assert frame["payload"]["stateful"] is False


@pytest.mark.parametrize("description", ["note", ""])
def test_other_event_sends_one_frame(end_user_headers, source_system, description):
    incident = new_incident(source_system)
    _, (frame,) = frames_after(
        end_user_headers,
        lambda: services.event_create(
            incident=incident, actor=source_system.user, type="OTH", description=description
        ),
        1,
    )
    assert_modified(frame, incident)


def test_end_event_sends_one_frame_showing_it_closed(end_user_headers, source_system):
    incident = new_incident(source_system)
    _, (frame,) = frames_after(
        end_user_headers,
        lambda: services.event_create(
            incident=incident, actor=source_system.user, type="END", description="fixed"
        ),
        1,
    )
    assert_modified(frame, incident, open=False)
    assert frame["payload"]["end_time"] != "infinity"


def test_close_and_reopen_by_end_user(end_user, end_user_headers, source_system):
    incident = new_incident(source_system)
    _, (closed,) = frames_after(
        end_user_headers, lambda: services.event_create(incident=incident, actor=end_user, type="CLO"), 1
    )
    assert_modified(closed, incident, open=False)
    _, (reopened,) = frames_after(
        end_user_headers,
        lambda: services.event_create(incident=incident, actor=end_user, type="REO", description="again"),
        1,
    )
    assert_modified(reopened, incident, open=True, end_time="infinity")


def test_refused_event_sends_nothing(end_user, end_user_headers, source_system):
    incident = new_incident(source_system)
    services.event_create(incident=incident, actor=end_user, type="CLO")

    def close_again():
        with pytest.raises(services.EventNotAllowed):
            services.event_create(incident=incident, actor=end_user, type="CLO")

    frames_after(end_user_headers, close_again, 0)


@pytest.mark.parametrize("description", ["looking", ""])
def test_ack_sends_one_frame_showing_acked(end_user, end_user_headers, source_system, description):
    incident = new_incident(source_system)
    _, (frame,) = frames_after(
        end_user_headers,
        lambda: services.acknowledgement_create(incident=incident, actor=end_user, description=description),
        1,
    )
    assert_modified(frame, incident, acked=True)


def test_ack_expiration_change_sends_one_frame(end_user, end_user_headers, source_system):
    incident = new_incident(source_system)
    ack = services.acknowledgement_create(incident=incident, actor=end_user)
    past = timezone.now() - timedelta(seconds=1)
    _, (frame,) = frames_after(
        end_user_headers, lambda: services.acknowledgement_update(ack=ack, expiration=past), 1
    )
    assert_modified(frame, incident, acked=False)


def test_patch_level_sends_one_frame_with_the_new_level(end_user, end_user_headers, source_system):
    incident = new_incident(source_system, level=3)
    _, (frame,) = frames_after(
        end_user_headers,
        lambda: services.incident_update(incident=incident, actor=end_user, data={"level": 2}),
        1,
    )
    assert_modified(frame, incident, level=2)


def test_patch_tags_sends_one_frame_with_the_new_tags(end_user_headers, source_system):
    incident = new_incident(source_system, tags=["host=a.example"])
    _, (frame,) = frames_after(
        end_user_headers,
        lambda: services.incident_update(
            incident=incident, actor=source_system.user, data={}, tags=["host=b.example"]
        ),
        1,
    )
    assert_modified(frame, incident)
    assert [tag["tag"] for tag in frame["payload"]["tags"]] == ["host=b.example"]


def test_ticket_url_change_sends_one_frame_and_an_unchanged_url_none(
    end_user, end_user_headers, source_system
):
    incident = new_incident(source_system)
    url = "https://tickets.example.org/1"
    _, (frame,) = frames_after(
        end_user_headers,
        lambda: services.incident_set_ticket_url(incident=incident, actor=end_user, ticket_url=url),
        1,
    )
    assert_modified(frame, incident, ticket_url=url)
    frames_after(
        end_user_headers,
        lambda: services.incident_set_ticket_url(incident=incident, actor=end_user, ticket_url=url),
        0,
    )


def test_tag_add_and_remove_send_one_frame_each(end_user, end_user_headers, source_system):
    incident = new_incident(source_system)
    tag, (added,) = frames_after(
        end_user_headers,
        lambda: services.incident_tag_add(incident=incident, actor=end_user, tag="extra=1"),
        1,
    )
    assert [t["tag"] for t in added["payload"]["tags"]] == ["extra=1"]
    _, (removed,) = frames_after(
        end_user_headers, lambda: services.incident_tag_remove(incident=incident, tag=tag), 1
    )
    assert_modified(removed, incident, tags=[])


def test_bulk_ack_sends_one_fresh_frame_per_incident(end_user, end_user_headers, source_system):
    incidents = [new_incident(source_system, description=f"i{n}") for n in range(3)]
    _, frames = frames_after(
        end_user_headers,
        lambda: services.bulk_acknowledgement_create(
            incidents=incidents, actor=end_user, timestamp=timezone.now(), description="bulk"
        ),
        3,
    )
    assert [frame["payload"]["pk"] for frame in frames] == [incident.pk for incident in incidents]
    for frame, incident in zip(frames, incidents, strict=True):
        assert_modified(frame, incident, acked=True)


@pytest.mark.parametrize("event_type, open_after", [("CLO", False), ("OTH", True)])
def test_bulk_events_send_one_fresh_frame_per_incident(
    end_user, end_user_headers, source_system, event_type, open_after
):
    incidents = [new_incident(source_system, description=f"i{n}") for n in range(3)]
    _, frames = frames_after(
        end_user_headers,
        lambda: services.bulk_event_create(
            incidents=incidents, actor=end_user, type=event_type, timestamp=timezone.now()
        ),
        3,
    )
    for frame, incident in zip(frames, incidents, strict=True):
        assert_modified(frame, incident, open=open_after)


def test_bulk_reopen_sends_one_frame_per_incident(end_user, end_user_headers, source_system):
    incidents = [new_incident(source_system, description=f"i{n}") for n in range(2)]
    services.bulk_event_create(incidents=incidents, actor=end_user, type="CLO", timestamp=timezone.now())
    _, frames = frames_after(
        end_user_headers,
        lambda: services.bulk_event_create(
            incidents=incidents, actor=end_user, type="REO", timestamp=timezone.now()
        ),
        2,
    )
    for frame, incident in zip(frames, incidents, strict=True):
        assert_modified(frame, incident, open=True)


def test_bulk_ticket_url_sends_one_frame_per_incident(end_user, end_user_headers, source_system):
    incidents = [new_incident(source_system, description=f"i{n}") for n in range(2)]
    url = "https://tickets.example.org/bulk"
    _, frames = frames_after(
        end_user_headers,
        lambda: services.bulk_set_ticket_url(incidents=incidents, actor=end_user, ticket_url=url),
        2,
    )
    for frame, incident in zip(frames, incidents, strict=True):
        assert_modified(frame, incident, ticket_url=url)


def test_incident_end_helper_sends_one_frame(end_user_headers, source_system):
    incident = new_incident(source_system)
    _, (frame,) = frames_after(
        end_user_headers, lambda: services.incident_end(incident=incident, actor=source_system.user), 1
    )
    assert_modified(frame, incident, open=False)


def test_delete_sends_a_deleted_frame(end_user_headers, source_system):
    incident = new_incident(source_system)
    pk = incident.pk
    _, (frame,) = frames_after(end_user_headers, lambda: services.incident_delete(incident=incident), 1)
    assert frame == {"type": "deleted", "payload": {"pk": pk}}
    assert not Incident.objects.filter(pk=pk).exists()


def test_every_subscriber_gets_the_frame(end_user_headers, other_end_user, source_system):
    from tests.ws.conftest import session_cookie_header

    other_headers = [session_cookie_header(other_end_user)]

    async def scenario():
        first = await connect(end_user_headers)
        second = await connect(other_headers)
        await subscribe(first)
        await subscribe(second)
        incident = await sync_to_async(new_incident)(source_system)
        frames = [await first.receive_json_from(), await second.receive_json_from()]
        await first.disconnect()
        await second.disconnect()
        return incident, frames

    incident, frames = run_async(scenario)
    assert frames[0] == frames[1]
    assert frames[0]["payload"]["pk"] == incident.pk
