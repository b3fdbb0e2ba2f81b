"""Issue 16: property-based fuzzing of every operation of the proxy's OpenAPI document.

Schemathesis generates requests from the document (valid and invalid data), sent to the
app in-process with its lifespan and virtual devices, with a paired terminal's token and
without one. Each answer: never a 5xx; an error in the documented JSON shape; a refused
request stores nothing (no print job, no drawer opening, no journal entry).

`GET /proxy/v1/events` is a stream that stays open: it is fuzzed without a token only.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from kassa.proxy.app import create_app
from kassa.proxy.settings import Settings, load_settings
from kassa.proxy.terminal_files import TERMINAL_CSP
from tests.proxy.conftest import AppClient

EXAMPLES = int(os.environ.get("KASSA_FUZZ_EXAMPLES", "8"))
_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=os.environ.get("KASSA_FUZZ_RANDOM") != "1",
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
    report_multiple_bugs=False,
)
TERMINAL = "https://pos.example"
CODE = "ABCD-2345"
API_CSP = "default-src 'none'; frame-ancestors 'none'"


def _settings(state: Path) -> Settings:
    return load_settings(
        None,
        env={},
        overrides={
            "state_dir": str(state),
            "allowed_origins": [TERMINAL],
            "pairing_code": CODE,
            "printer": {"url": "virtual:", "status_interval": 0.05},
            "display": {"url": "virtual:", "idle_seconds": 0},
            "scanner": {"url": "virtual:"},
        },
    )


def _document() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as state:
        document: dict[str, Any] = create_app(_settings(Path(state))).openapi()
    return document


SCHEMA = schemathesis.openapi.from_dict(_document())
OPERATIONS = sorted(
    (operation.path, operation.method.upper())
    for operation in (result.ok() for result in SCHEMA.get_all_operations())
)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[AppClient]:
    with AppClient(_settings(tmp_path / "state")) as app_client:
        yield app_client


def _stored(client: AppClient, headers: dict[str, str]) -> tuple[Any, ...]:
    """What the proxy keeps: print jobs, drawer openings, journal entries."""
    jobs = client.get("/proxy/v1/jobs", headers=headers).json()
    openings = client.get("/proxy/v1/drawer/openings", headers=headers).json()
    journal = client.get("/proxy/v1/journal/terminals", headers=headers).json()
    return (len(jobs), len(openings), journal)


def test_the_document_lists_every_operation() -> None:
    assert ("/proxy/v1/print/receipt", "POST") in OPERATIONS
    assert ("/proxy/v1/journal", "POST") in OPERATIONS
    assert len(OPERATIONS) >= 15


def test_every_integer_parameter_is_bounded(client: AppClient) -> None:
    # given every integer parameter of the document, then each has a range, and 2^63,
    # one past what SQLite's integers hold, is refused in the error shape (not a 500)
    token = client.post("/proxy/v1/pair", json={"code": CODE}, headers={"Origin": TERMINAL})
    headers = {"Authorization": f"Bearer {token.json()['token']}", "Origin": TERMINAL}
    found = []
    for path, item in SCHEMA.raw_schema["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                if schema.get("type") == "integer":
                    found.append((method, path, parameter["name"], parameter["in"]))
                    assert "maximum" in schema and "minimum" in schema, (path, parameter)
    assert found
    for method, path, name, where in found:
        url = path.replace("{" + name + "}", str(2**63))
        params = {"terminal": "POS1", name: str(2**63)} if where == "query" else None
        response = client.request(method.upper(), url, params=params, headers=headers)
        assert response.status_code == 422, (path, name, response.text[:200])
        assert response.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("auth", ["token", "none"])
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_fuzz_every_operation(path: str, method: str, auth: str, client: AppClient) -> None:
    if path == "/proxy/v1/events" and auth == "token":
        pytest.skip("an event stream with a token stays open: fuzzed without one")
    # given a paired terminal
    paired = client.post("/proxy/v1/pair", json={"code": CODE}, headers={"Origin": TERMINAL})
    token = paired.json()["token"]
    headers = {"Authorization": f"Bearer {token}", "Origin": TERMINAL}
    sent = headers if auth == "token" else {"Origin": TERMINAL}
    operation = SCHEMA[path][method]
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    examples = EXAMPLES if auth == "token" or path.endswith("/pair") else max(3, EXAMPLES // 4)

    @settings(_SETTINGS, max_examples=examples)
    @given(case=strategy)
    def fuzz(case: Any) -> None:
        if case.headers:
            case.headers.pop("Authorization", None)
            case.headers.pop("authorization", None)
        kwargs = case.as_transport_kwargs(base_url="http://127.0.0.1:8765", headers=sent)
        before = _stored(client, headers)
        response = client.request(
            kwargs["method"],
            kwargs["url"],
            params=kwargs.get("params"),
            headers={k: str(v) for k, v in kwargs.get("headers", {}).items()},
            **({"json": kwargs["json"]} if "json" in kwargs else {}),
            **({"content": kwargs["data"]} if "data" in kwargs else {}),
        )
        # then never a 5xx, errors in the one shape, and a refusal keeps nothing
        assert response.status_code < 500, (kwargs, response.text[:300])
        assert response.headers["content-security-policy"] == API_CSP
        assert response.headers["x-content-type-options"] == "nosniff"
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/json", response.text[:200]
            body = response.json()
            assert list(body) == ["error"], body
            assert set(body["error"]) <= {"code", "message", "details"}
            assert body["error"]["code"] and body["error"]["message"]
            assert _stored(client, headers) == before, kwargs

    fuzz()


def test_each_answer_carries_its_policy(client: AppClient) -> None:
    # the terminal's page and worker: the terminal's strict policy; its modules need none
    for path in ("/pos/", "/pos/sw.js"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-security-policy"] == TERMINAL_CSP
        assert "'unsafe-inline'" not in TERMINAL_CSP and "'unsafe-eval'" not in TERMINAL_CSP
    assert "content-security-policy" not in client.get("/pos/app.js").headers
    # the status page: its own, with the nonce of its one script
    page = client.get("/")
    assert "script-src 'nonce-" in page.headers["content-security-policy"]
    # the API's answers, a refusal too: a policy that loads nothing
    for response in (client.get("/proxy/v1/status"), client.get("/proxy/v1/jobs")):
        assert response.headers["content-security-policy"] == API_CSP
        assert response.headers["x-content-type-options"] == "nosniff"
