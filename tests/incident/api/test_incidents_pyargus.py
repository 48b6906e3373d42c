"""The incident endpoints through the pyargus client (argus-api-client).

pyargus' HTTP client is pointed at the Django WSGI application in-process (httpx WSGI transport),
so the requests are real HTTP exchanges without a server thread.
"""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from pyargus.client import Client
from pyargus.models import Incident as PyIncident

from tests.factories import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def pyargus_client(source_user):
    client = Client("http://testserver/api/v2", token_for(source_user).key, timeout=10)
    transport = httpx.WSGITransport(app=get_wsgi_application())
    client.api.incidents.client = httpx.Client(transport=transport)
    # As Django's test client does: keep the test's database connection (and transaction) open.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield client
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_post_list_and_fetch_with_pyargus(pyargus_client, source_system):
    start = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    posted = [
        pyargus_client.post_incident(
            PyIncident(
                start_time=start + timedelta(minutes=i),
                source_incident_id=f"py-{i}",
                description=f"pyargus {i}",
                level=5,
                tags={"host": f"h{i}.example.org", "role": "switch"},
            )
        )
        for i in range(5)
    ]
    assert posted[0].source.pk == source_system.pk
    assert dict(posted[0].tags.items()) == {"host": "h0.example.org", "role": "switch"}
    assert posted[0].open is True and posted[0].stateful is True

    # pyargus walks the cursor pages by itself
    walked = list(pyargus_client.get_incidents(page_size=2, open=True))
    assert [incident.pk for incident in walked] == [incident.pk for incident in reversed(posted)]
    mine = list(pyargus_client.get_my_incidents(tags="host=h3.example.org"))
    assert [incident.pk for incident in mine] == [posted[3].pk]
    fetched = pyargus_client.get_incident(posted[2].pk)
    assert fetched.description == "pyargus 2" and fetched.start_time == posted[2].start_time
