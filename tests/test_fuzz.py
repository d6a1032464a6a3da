"""Property-based fuzz of the JSON API, bounded for ``make test`` (``benchmarks/fuzz.py`` runs the
same checks at ≥ 5,000 requests): every answer is < 500, JSON under ``/api/`` and free of
NaN/Infinity; answers to requests generated from the contract conform to it."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import ROUTES
from api.openapi import OPENAPI_PATH, openapi_path
from benchmarks.fuzz import HEADER, KEY, RawRequest, answer_problems, build_server, raw_requests

#: Bounded so the file runs in well under a minute on two cores.
BOUNDED = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                   phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory, tiny_model_dir, tiny_scorer):
    return build_server(tiny_model_dir, tmp_path_factory.mktemp("fuzz"), tiny_scorer)


@pytest.fixture(scope="module")
def api_schema(fuzz_server):
    return schemathesis.openapi.from_wsgi(OPENAPI_PATH, fuzz_server)


#: Negative cases need an input to break: the public, parameterless routes get positive ones only.
OPERATIONS = [(openapi_path(path), method, mode) for path, methods in ROUTES for method in methods
              for mode in GenerationMode
              if mode is GenerationMode.POSITIVE or path not in ("/api/v1/health", OPENAPI_PATH)]


# schemathesis' own pytest loader (schemathesis.pytest.from_fixture) reads a Function attribute that
# pytest 9 no longer has, so each operation's strategy is driven by hypothesis directly.
@pytest.mark.parametrize(("path", "method", "mode"), OPERATIONS)
def test_contract_fuzz(api_schema, path, method, mode):
    operation = api_schema[path][method]

    @BOUNDED
    @given(case=operation.as_strategy(generation_mode=mode))
    def one(case):
        response = case.call(headers={HEADER: KEY})
        case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                                 content_type_conformance, response_schema_conformance])
        mimetype = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
        assert not answer_problems(case.method.upper(), case.formatted_path, response.status_code, mimetype,
                                   response.content), response.content[:500]

    one()


@settings(BOUNDED, max_examples=150)
@given(raw=raw_requests())
def test_raw_requests_outside_the_contract(fuzz_server, raw: RawRequest):
    response = raw.send(fuzz_server.test_client())
    problems = answer_problems(raw.method, raw.path, response.status_code, response.mimetype, response.data)
    assert not problems, (raw, response.status_code, response.data[:300])
    if raw.expect is not None:
        assert response.status_code == raw.expect, (raw, response.data[:300])


def test_the_checks_catch_what_they_must():
    """The fuzz's own checks (a check that cannot fail finds nothing)."""
    ok = b'{"error": {"code": "x", "message": "y", "field": null}}'
    assert answer_problems("GET", "/api/v1/x", 404, "application/json", ok) == []
    assert answer_problems("GET", "/api/v1/x", 500, "application/json", ok) == ["5xx"]
    assert answer_problems("GET", "/api/v1/x", 200, "text/html", b"<html>") == ["non-JSON"]
    assert answer_problems("GET", "/api/v1/x", 200, "application/json", b'{"v": Infinity}') == ["non-finite"]
    assert answer_problems("GET", "/api/v1/x", 200, "application/json", b'{"v": 1e400}') == ["non-finite"]
    assert answer_problems("GET", "/api/v1/x", 200, "application/json", b'{"v": NaN}') == ["non-finite"]
    assert answer_problems("HEAD", "/api/v1/x", 200, "application/json", b"") == []
    assert answer_problems("GET", "/login", 200, "text/html", b"<html>") == []
