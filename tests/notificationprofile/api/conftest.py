import pytest


@pytest.fixture(params=["v1", "v2"])
def version(request):
    return request.param


@pytest.fixture
def prefix(version):
    return f"/api/{version}/notificationprofiles/"
