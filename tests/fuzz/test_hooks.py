"""The custom checks in hooks.py can fail: run with the fuzz virtualenv's pytest
(`target/schemathesis-venv/bin/python -m pytest -q tests/fuzz/test_hooks.py`; .ci/run does)."""

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

_spec = importlib.util.spec_from_file_location("kvar_fuzz_hooks", Path(__file__).with_name("hooks.py"))
hooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hooks)

CASE = SimpleNamespace(operation=SimpleNamespace(label="GET /api/v1/me"))
GOOD = {
    "cache-control": ["no-store"],
    "x-content-type-options": ["nosniff"],
    "x-request-id": ["01a2"],
}


def response(status: int, headers: dict, body: dict | None = None):
    return SimpleNamespace(
        status_code=status,
        headers=headers,
        content=json.dumps(body if body is not None else {}).encode(),
    )


def test_no_store_passes_and_fails():
    hooks.kvar_cache_control_no_store(None, response(200, GOOD), CASE)
    hooks.kvar_cache_control_no_store(None, response(200, dict(GOOD, **{"cache-control": ["private, no-store"]})), CASE)
    for bad in ({}, {"cache-control": ["no-cache"]}, {"cache-control": ["max-age=60"]}):
        with pytest.raises(AssertionError, match="no-store"):
            hooks.kvar_cache_control_no_store(None, response(200, bad), CASE)


def test_security_headers_fail_when_missing():
    hooks.kvar_security_headers(None, response(200, GOOD), CASE)
    with pytest.raises(AssertionError, match="nosniff"):
        hooks.kvar_security_headers(None, response(200, {"x-request-id": ["1"]}), CASE)
    with pytest.raises(AssertionError, match="X-Request-Id"):
        hooks.kvar_security_headers(None, response(200, {"x-content-type-options": ["nosniff"]}), CASE)


def test_problem_json_on_errors_only():
    problem = {"type": "urn:kvar:problem:not-found", "title": "Not found", "status": 404}
    ok_headers = dict(GOOD, **{"content-type": ["application/problem+json"]})
    hooks.kvar_problem_json(None, response(404, ok_headers, problem), CASE)
    hooks.kvar_problem_json(None, response(200, dict(GOOD, **{"content-type": ["application/json"]})), CASE)
    with pytest.raises(AssertionError, match="problem\\+json"):
        hooks.kvar_problem_json(None, response(404, dict(GOOD, **{"content-type": ["application/json"]}), problem), CASE)
    with pytest.raises(AssertionError, match="Incomplete"):
        hooks.kvar_problem_json(None, response(404, ok_headers, dict(problem, status=400)), CASE)
    with pytest.raises(AssertionError, match="Incomplete"):
        hooks.kvar_problem_json(None, response(500, ok_headers, {"title": "x", "status": 500}), CASE)


def test_only_rules_beyond_a_schema_excuse_a_422():
    def errs(*pairs):
        return response(422, GOOD, {"errors": [{"field": f, "message": m} for f, m in pairs]})

    assert hooks._beyond_schema(errs(("household_id", "no such household")))
    assert hooks._beyond_schema(errs(("members[0].personnummer", "wrong check digit")))
    assert hooks._beyond_schema(errs(("cursor", "is not a cursor from this API")))
    # A single-field rule the schema should have stated is never excused, nor a mix with one.
    assert not hooks._beyond_schema(errs(("body", "must be 1–20000 characters")))
    assert not hooks._beyond_schema(errs(("household_id", "no such household"), ("name", "must be 1–200 characters")))
    assert not hooks._beyond_schema(response(422, GOOD, {"errors": []}))
    assert not hooks._beyond_schema(response(400, GOOD, {"errors": [{"field": "x", "message": "no such x"}]}))
