import pytest

from tests.notificationprofile.delivery import add_subscriber
from tests.notificationprofile.http_receiver import http_media, to_loopback  # noqa: F401  (fixtures)


@pytest.fixture
def subscriber(transactional_db, source_system):
    """alice, whose one profile fires for every incident of ``source_system`` (real database commits)."""
    return add_subscriber(source_system, "alice")
