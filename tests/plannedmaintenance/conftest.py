import pytest

from tests.notificationprofile.delivery import add_subscriber


@pytest.fixture
def subscriber(transactional_db, source_system):
    """alice, whose one profile fires for every incident of ``source_system`` (real database commits)."""
    return add_subscriber(source_system, "alice")
