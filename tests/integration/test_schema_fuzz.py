"""A bounded, schema-driven fuzz run against a real server: the published documents tell the truth.

schemathesis reads /api/v1/schema/ and /api/v2/schema/ from a live daphne process and sends
generated requests (valid and invalid) to every operation, as a superuser that owns a source
system. Every answer must be no server error, carry a documented status code and content type,
and match the documented schema. Fixed seed, deterministic generation, one worker: the same
requests on every run (about 15 s per document).

Run it alone with ``make test PYTEST_ARGS="-q tests/integration/test_schema_fuzz.py"``. For a longer
run: ``FUZZ_EXAMPLES=50`` (examples per operation) and ``FUZZ_PHASES=examples,coverage,fuzzing``
(the coverage phase tries every boundary and invalid value of every parameter: thousands of
requests, a few minutes).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from rest_framework.authtoken.models import Token

from tests.factories import IncidentFactory, IncidentTagRelationFactory, SourceSystemFactory, SuperUserFactory
from tests.integration.conftest import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

MAX_EXAMPLES = os.environ.get("FUZZ_EXAMPLES", "5")
PHASES = os.environ.get("FUZZ_PHASES", "examples,fuzzing")
SEED = "20261206"
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)
# Operations that end or replace the fuzzer's own credentials: after them every request is a 401.
CREDENTIAL_ENDING = r".*/(logout/|token/logoutall|refresh-token/|token-auth/)$"


def seed_data() -> dict:
    admin = SuperUserFactory(username="fuzz_admin")
    source = SourceSystemFactory(name="fuzz_source", user=admin)
    incident = IncidentFactory(source=source)
    IncidentTagRelationFactory(incident=incident)
    return {"token": Token.objects.create(user=admin).key}


@pytest.fixture(scope="module")
def server(seeded_server):
    (server,), seed = seeded_server
    return server, seed


def fuzz(server, token: str, version: str, workdir) -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--no-color",
        "run",
        f"{server.base_url}/api/{version}/schema/?format=json",
        "--url",
        server.base_url,
        "--header",
        f"Authorization: Token {token}",
        "--checks",
        CHECKS,
        "--phases",
        PHASES,
        "--max-examples",
        MAX_EXAMPLES,
        "--seed",
        SEED,
        "--generation-deterministic",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        "--warnings",
        "off",
        "--exclude-path-regex",
        CREDENTIAL_ENDING,
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.integration.schema_fuzz_hooks", "PYTHONPATH": str(ROOT)}
    # In a scratch directory: schemathesis keeps a cache (.schemathesis/) in its working directory.
    return subprocess.run(
        command, capture_output=True, text=True, timeout=600, check=False, env=env, cwd=workdir
    )


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_fuzzing_finds_no_server_error_and_no_answer_outside_the_document(server, version, tmp_path):
    server, seed = server
    result = fuzz(server, seed["token"], version, tmp_path)
    assert result.returncode == 0, f"{result.stdout[-20000:]}\n{result.stderr[-4000:]}\n{server.log()}"
