"""The served OpenAPI description is true: every operation, fed what the description allows, by
a listener and by an editor, answers without a server error, only with statuses it documents,
and with bodies that match its schemas. Run against ``reader serve`` on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import FlakyFailure, Unsatisfiable
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.web.pages import REAL_SLUGS
from tests.web.server import reader_server, run_reader

SLUG = REAL_SLUGS[1]
TOKEN = "redaktionens-proevenoegle-0123456789"
EXAMPLES = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


REQUEST_TIMEOUT = 60
"""Seconds one fuzzed request may take (a section of a page the fuzzer changed is made while it
waits)."""


@pytest.fixture
def served(content_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("READER_ADMIN_TOKEN", TOKEN)
    monkeypatch.setenv("READER_ENGINE", "espeak")
    # The audio is made first: a listener's request for audio being made waits for it, and on
    # a busy machine that is a 503 (a "server error" to the fuzzer) or a client timeout.
    run_reader(content_dir, tmp_path / "var", "build")
    with reader_server(content_dir, tmp_path / "var") as base_url:
        yield base_url


def real_parameters(base_url: str) -> dict[str, str]:
    """A page and a section that exist, so the fuzzing also reaches past the 404s."""
    page = httpx.get(f"{base_url}/api/pages/{SLUG}").json()
    return {"slug": SLUG, "section_id": page["sections"][0]["id"]}


def run_order(operation: APIOperation) -> bool:
    """Replacing or deleting the page comes last, so that the rest find it there."""
    return operation.path == "/api/pages/{slug}" and operation.method.upper() in ("PUT", "DELETE")


def failures_of(base_url: str, headers: dict[str, str]) -> tuple[int, list[str]]:
    """Operations tried, and one line for each that broke its description."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    paths = httpx.get(f"{base_url}/openapi.json").json()["paths"]
    real = real_parameters(base_url)
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=run_order)
    failures: list[str] = []
    for operation in operations:
        names = {name for name in real if f"{{{name}}}" in operation.path}
        strategies = [(operation.as_strategy(), False)]
        described = paths[operation.path][operation.method.lower()]
        if described.get("parameters") or described.get("requestBody"):
            # Input the description forbids: the refusal must be described too.
            strategies.append((operation.as_strategy(GenerationMode.NEGATIVE), True))
        if names:
            fixed = {name: real[name] for name in names}
            strategies.append((operation.as_strategy(path_parameters=fixed), False))
        for strategy, negative in strategies:

            @FUZZ
            @given(case=strategy)
            def exercise(case: Case) -> None:
                case.call_and_validate(
                    base_url=base_url, headers=headers, checks=CHECKS, timeout=REQUEST_TIMEOUT
                )

            try:
                exercise()
            except Unsatisfiable:
                # Every value of a plain string path parameter is allowed: nothing to negate.
                if not negative:
                    raise
            except (Failure, FailureGroup) as error:  # every operation's, reported at once
                failures.append(f"{operation.label}: {error}")
            except FlakyFailure as error:
                # A breach seen once and not again on replay (a race, a busy moment) still is one.
                found = "\n".join(str(inner) for inner in error.exceptions)
                failures.append(f"{operation.label} (once, not on replay): {found}")
    return len(operations), failures


@pytest.mark.slow
@pytest.mark.parametrize("signed_in", [False, True], ids=["listener", "editor"])
def test_every_operation_keeps_to_its_openapi_description(served: str, signed_in: bool) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"} if signed_in else {}
    if signed_in:
        assert httpx.get(f"{served}/api/whoami", headers=headers).status_code == 200
    tried, failures = failures_of(served, headers)
    paths = httpx.get(f"{served}/openapi.json").json()["paths"]
    assert tried == sum(len(methods) for methods in paths.values())
    assert not failures, "\n\n".join(failures)


def operations(app: FastAPI) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in app.openapi()["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


@pytest.mark.parametrize(
    "path", ["/api/pages/{slug}/audio", "/api/pages/{slug}/sections/{section_id}/audio"]
)
def test_an_audio_redirect_is_described_without_a_body(app: FastAPI, path: str) -> None:
    redirect = app.openapi()["paths"][path]["get"]["responses"]["307"]
    assert "content" not in redirect, "a 307 to the MP3 has no body"
    assert "Location" in redirect["headers"]


def test_every_failure_under_api_is_described_as_the_error_json_it_is(app: FastAPI) -> None:
    seen = 0
    for method, path, operation in operations(app):
        if not path.startswith("/api/"):
            continue
        for status, answer in operation["responses"].items():
            if int(status) < 400:
                continue
            schema = answer["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (method, path, status)
            seen += 1
    assert seen
    assert "HTTPValidationError" not in app.openapi()["components"]["schemas"]


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("put", "/api/pages/{slug}", {401, 403, 404, 413, 422, 503}),
        ("delete", "/api/pages/{slug}", {401, 403, 404, 503}),
        ("get", "/api/pages/{slug}/script", {401, 403, 404, 422}),
        ("get", "/api/pages/{slug}/versions", {401, 403, 404}),
        ("post", "/api/pages/{slug}/rollback", {400, 401, 403, 404, 503}),
        ("post", "/api/pages/{slug}/regenerate", {400, 401, 403, 404, 503}),
        ("post", "/api/regenerate", {400, 401, 403, 503}),
        ("get", "/api/jobs", {401, 403, 503}),
        ("get", "/api/jobs/{job_id}", {401, 403, 404, 503}),
        ("post", "/api/jobs/{job_id}/cancel", {401, 403, 404, 409, 503}),
        ("post", "/api/lexicon/preview", {400, 401, 403, 404, 409, 422}),
        ("post", "/api/lexicon/entries", {400, 401, 403, 409, 422, 503}),
        ("put", "/api/lexicon/entries/{written}", {400, 401, 403, 404, 409, 422, 503}),
        ("delete", "/api/lexicon/entries/{written}", {401, 403, 404, 409, 503}),
        ("post", "/api/speak", {400, 413, 422, 429, 503}),
    ],
)
def test_the_failures_a_route_really_has_are_described(
    app: FastAPI, method: str, path: str, statuses: set[int]
) -> None:
    described = {int(status) for status in app.openapi()["paths"][path][method]["responses"]}
    assert statuses <= described, f"not described: {sorted(statuses - described)}"


@pytest.mark.anyio
async def test_a_body_that_is_not_json_is_refused_in_danish_as_described(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/speak", content=b"\xff\xfe{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400
    assert error["message"].startswith("Forespørgslens indhold kan ikke læses")
