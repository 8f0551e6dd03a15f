"""Property-based tests of the REST API against its own OpenAPI document (schemathesis): for generated valid
and invalid requests to every operation, no 5xx, only documented status codes and content types, and bodies
that match the documented schemas. Writes are exercised with and without the token."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import warnings
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (test extra)")
pytest.importorskip("fastapi", reason="the web extra is not installed")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from critmin.web.app import create_app  # noqa: E402
from critmin.web.service import Limits  # noqa: E402

TOKEN = "schema-test-token-0123456789"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Small bounds keep the generated cases cheap; every refusal they cause is itself a documented 422.
LIMITS = Limits(max_draws=300, max_stockpile_draws=100, max_risk_cells=1, max_risk_commodities=3, max_years=5)
# Examples per operation: bounded so the module takes well under a minute on an idle 2-core machine.
EXAMPLES = 8

# The schema is read when the tests are collected; the stores are built on the first request (fresh ones,
# since the token run writes).
_tmp = Path(tempfile.mkdtemp(prefix="critmin-schema-"))
atexit.register(shutil.rmtree, _tmp, ignore_errors=True)


def _load(name: str, token: str | None):
    app = create_app(_tmp / name / "critmin.duckdb", token=token, limits=LIMITS, allowed_hosts=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # starlette's TestClient asks for httpx2
        return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


read_only = _load("read-only", None)
with_token = _load("token", TOKEN).include(tag="writes")


@read_only.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_5xx_or_off_contract(case):
    response = case.call_and_validate(checks=CHECKS)
    if "writes" in (case.operation.tags or []) and case.method.upper() == "POST":
        assert response.status_code in (403, 413), response.text  # read-only: refused before anything else


@with_token.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_writes_with_the_token_stay_on_contract(case):
    case.call_and_validate(checks=CHECKS, headers={"Authorization": f"Bearer {TOKEN}"})
