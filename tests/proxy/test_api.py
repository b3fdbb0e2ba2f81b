"""The HTTP rules: Host, Origin, CORS, Private Network Access, pairing, tokens, errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kassa.proxy.settings import Settings
from tests.proxy.conftest import AppClient
from tests.proxy.test_receipts import receipt_data

TERMINAL = "https://pos.example"
EVIL = "https://evil.example"
BASE = "http://127.0.0.1:8765"


def client_for(settings: Settings) -> Iterator[AppClient]:
    with AppClient(settings, base_url=BASE) as client:
        yield client


@pytest.fixture
def virtual(make_settings: Any) -> Settings:
    settings: Settings = make_settings(
        allowed_origins=[TERMINAL],
        pairing_code="ABCD-2345",
        printer={"url": "virtual:", "status_interval": 0.05},
        display={"url": "virtual:", "idle_seconds": 0},
        scanner={"url": "virtual:"},
    )
    return settings


@pytest.fixture
def client(virtual: Settings) -> Iterator[AppClient]:
    yield from client_for(virtual)


def pair(client: AppClient, origin: str = TERMINAL, code: str = "ABCD-2345") -> str:
    response = client.post("/proxy/v1/pair", json={"code": code}, headers={"Origin": origin})
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def auth(token: str, origin: str = TERMINAL) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Origin": origin}


def print_body(key: str = "order-1", **changes: Any) -> dict[str, Any]:
    return {"key": key, "receipt": receipt_data(), **changes}


def test_the_paired_terminal_prints_and_gets_cors_for_its_origin_only(client: AppClient) -> None:
    token = pair(client)

    response = client.post("/proxy/v1/print/receipt", json=print_body(), headers=auth(token))

    assert response.status_code == 202
    assert response.headers["access-control-allow-origin"] == TERMINAL
    assert response.headers["vary"] == "Origin"
    body = response.json()
    assert set(body) == {"job_id", "state", "fault", "duplicate"}
    assert (body["state"], body["duplicate"]) == ("queued", False)
    again = client.post("/proxy/v1/print/receipt", json=print_body(), headers=auth(token))
    assert again.status_code == 200
    assert (again.json()["job_id"], again.json()["duplicate"]) == (body["job_id"], True)


def test_a_page_from_another_origin_cannot_print_or_open_the_drawer(client: AppClient) -> None:
    # given a valid token (stolen or not, it does not matter) and a foreign page
    token = pair(client)
    foreign = auth(token, origin=EVIL)

    # when that page tries, with and without preflight-free "simple" requests
    attempts = [
        client.post("/proxy/v1/print/receipt", json=print_body(), headers=foreign),
        client.post("/proxy/v1/drawer/open", json={"reason": "x"}, headers=foreign),
        client.post("/proxy/v1/display", json={"lines": ["x"]}, headers=foreign),
        client.post(
            "/proxy/v1/drawer/open",
            content=b'{"reason": "x"}',
            headers={"Origin": EVIL, "Content-Type": "text/plain"},
        ),
        client.get("/proxy/v1/status", headers={"Origin": EVIL}),
        client.post(
            "/proxy/v1/print/receipt", json=print_body(), headers=auth(token, origin="null")
        ),
    ]

    # then every call is refused before it reaches a device, without CORS headers
    for response in attempts:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "origin_not_allowed"
        assert "access-control-allow-origin" not in response.headers
    state = client.get("/proxy/v1/status").json()
    assert state["printer"]["pending_jobs"] == 0
    assert state["drawer"]["state"] == "closed"
    openings = client.get("/proxy/v1/drawer/openings", headers=auth(token)).json()
    assert openings == []


def test_preflight_for_the_allowed_origin_answers_private_network_access(
    client: AppClient,
) -> None:
    response = client.options(
        "/proxy/v1/print/receipt",
        headers={
            "Origin": TERMINAL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == TERMINAL
    assert response.headers["access-control-allow-private-network"] == "true"
    assert response.headers["access-control-allow-methods"] == "GET, POST, OPTIONS"
    assert "Authorization" in response.headers["access-control-allow-headers"]


def test_preflight_for_a_foreign_origin_is_refused(client: AppClient) -> None:
    response = client.options(
        "/proxy/v1/drawer/open",
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-private-network" not in response.headers


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.nip.io:8765", ""])
def test_dns_rebinding_is_refused_by_the_host_check(client: AppClient, host: str) -> None:
    response = client.get("/proxy/v1/status", headers={"Host": host})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_host"
    page = client.get("/", headers={"Host": host})
    assert page.status_code == 400
    assert "Bearer" not in page.text


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765", "localhost"])
def test_loopback_host_names_are_accepted(client: AppClient, host: str) -> None:
    assert client.get("/proxy/v1/status", headers={"Host": host}).status_code == 200


def test_device_calls_need_a_token(client: AppClient) -> None:
    calls = [
        ("POST", "/proxy/v1/print/receipt", print_body()),
        ("POST", "/proxy/v1/print/test", None),
        ("POST", "/proxy/v1/drawer/open", {"reason": "x"}),
        ("POST", "/proxy/v1/display", {"lines": ["x"]}),
        ("POST", "/proxy/v1/display/welcome", None),
        ("GET", "/proxy/v1/events", None),
        ("GET", "/proxy/v1/jobs/x", None),
        ("POST", "/proxy/v1/virtual/printer/faults", {"paper": "out"}),
    ]
    for method, path, body in calls:
        for headers in (
            {"Origin": TERMINAL},
            {"Origin": TERMINAL, "Authorization": "Bearer not-a-token"},
            {"Origin": TERMINAL, "Authorization": "Basic abc"},
        ):
            response = client.request(method, path, json=body, headers=headers)
            assert response.status_code == 401, (path, headers)
            assert response.json()["error"]["code"] in {"unauthorized", "invalid_token"}
            assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/proxy/v1/status").json()["printer"]["pending_jobs"] == 0


def test_pairing_codes_are_one_time(client: AppClient) -> None:
    wrong = client.post("/proxy/v1/pair", json={"code": "WRONG-000"}, headers={"Origin": TERMINAL})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "wrong_pairing_code")
    pair(client, code="abcd2345")  # case and dash do not matter
    reused = client.post("/proxy/v1/pair", json={"code": "ABCD-2345"}, headers={"Origin": TERMINAL})
    assert reused.status_code == 403
    page = client.get("/")
    new_code = page.text.split('<span class="code">')[1].split("<")[0]
    assert new_code != "ABCD-2345"
    pair(client, code=new_code)


def test_five_wrong_codes_change_the_code(client: AppClient) -> None:
    for _ in range(5):
        client.post("/proxy/v1/pair", json={"code": "NOPE-NOPE"}, headers={"Origin": TERMINAL})
    response = client.post(
        "/proxy/v1/pair", json={"code": "ABCD-2345"}, headers={"Origin": TERMINAL}
    )
    assert response.status_code == 403


def test_with_configured_origins_another_origin_cannot_pair(client: AppClient) -> None:
    response = client.post("/proxy/v1/pair", json={"code": "ABCD-2345"}, headers={"Origin": EVIL})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "origin_not_allowed"
    pair(client)  # the code was not consumed


def test_without_configured_origins_pairing_allows_that_origin(make_settings: Any) -> None:
    settings = make_settings(pairing_code="ABCD-2345", printer={"url": "virtual:"})
    for client in client_for(settings):
        # before pairing, the terminal's origin is a stranger except for the pairing call
        assert client.get("/proxy/v1/status", headers={"Origin": TERMINAL}).status_code == 403
        preflight = client.options(
            "/proxy/v1/pair", headers={"Origin": TERMINAL, "Access-Control-Request-Method": "POST"}
        )
        assert preflight.headers["access-control-allow-origin"] == TERMINAL
        token = pair(client)
        assert client.get("/proxy/v1/status", headers={"Origin": TERMINAL}).status_code == 200
        # a token is bound to the origin that paired
        assert client.get("/proxy/v1/status", headers={"Origin": EVIL}).status_code == 403
        status = client.post(
            "/proxy/v1/print/test", headers=auth(token, origin="https://other.example")
        )
        assert status.status_code == 403

    # and the paired origin stays allowed after a restart
    for client in client_for(settings):
        assert client.get("/proxy/v1/status", headers={"Origin": TERMINAL}).status_code == 200
        assert client.post("/proxy/v1/print/test", headers=auth(token)).status_code == 202


def test_the_status_page_is_same_origin_and_cannot_be_framed(client: AppClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    token = page.text.split("const TOKEN = ")[1].split(";")[0].strip('"')
    # the page's own requests carry its origin: same origin, no CORS needed
    same = {"Authorization": f"Bearer {token}", "Origin": BASE}
    response = client.post("/proxy/v1/drawer/open", json={"reason": "status page"}, headers=same)
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    openings = client.get("/proxy/v1/drawer/openings", headers=same).json()
    assert [(o["reason"], o["source"]) for o in openings] == [("status page", "local admin")]
    # the same token from a foreign page is refused by the origin check
    assert (
        client.post(
            "/proxy/v1/drawer/open", json={"reason": "x"}, headers={**same, "Origin": EVIL}
        ).status_code
        == 403
    )


def with_block(block: dict[str, Any]) -> dict[str, Any]:
    data = receipt_data()
    data["blocks"].append(block)
    return data


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            print_body(receipt=with_block({"type": "pair", "left": "x"})),
            "receipt.blocks.17.pair.right",
        ),
        (
            print_body(receipt=with_block({"type": "text", "text": "a\x1bp"})),
            "receipt.blocks.17.text.text",
        ),
        (print_body(receipt=with_block({"type": "image"})), "receipt.blocks.17"),
        (print_body(receipt={**receipt_data(), "version": 2}), "receipt.version"),
        (print_body(receipt={"total": "2.75"}), "receipt.format"),
        ({"key": "", "receipt": receipt_data()}, "key"),
        ({"receipt": receipt_data()}, "key"),
        (print_body(unknown=True), "unknown"),
    ],
)
def test_bad_input_is_a_422_json_error_with_details(
    client: AppClient, body: dict[str, Any], field: str
) -> None:
    token = pair(client)
    response = client.post("/proxy/v1/print/receipt", json=body, headers=auth(token))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert field in [detail["field"] for detail in error["details"]]
    assert all(set(detail) == {"field", "message"} for detail in error["details"])
    assert client.get("/proxy/v1/status").json()["printer"]["pending_jobs"] == 0
    assert client.get("/proxy/v1/jobs", headers=auth(token)).json() == []


def test_a_validation_error_names_the_field_and_the_reason(client: AppClient) -> None:
    token = pair(client)
    body = print_body(receipt=with_block({"type": "code", "format": "ean13", "value": "1"}))
    response = client.post("/proxy/v1/print/receipt", json=body, headers=auth(token))
    assert (response.status_code, response.json()) == (
        422,
        {
            "error": {
                "code": "invalid_request",
                "message": "receipt.blocks.17.code: Value error, an ean13 value is 12 or 13 digits",
                "details": [
                    {
                        "field": "receipt.blocks.17.code",
                        "message": "Value error, an ean13 value is 12 or 13 digits",
                    }
                ],
            }
        },
    )


def test_malformed_json_unknown_paths_and_methods(client: AppClient) -> None:
    token = pair(client)
    broken = client.post(
        "/proxy/v1/drawer/open",
        content=b"{not json",
        headers={**auth(token), "Content-Type": "application/json"},
    )
    assert (broken.status_code, broken.json()["error"]["code"]) == (400, "invalid_json")
    missing = client.get("/proxy/v1/nope")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    method = client.delete("/proxy/v1/status")
    assert (method.status_code, method.json()["error"]["code"]) == (405, "method_not_allowed")
    job = client.get("/proxy/v1/jobs/123", headers=auth(token))
    assert (job.status_code, job.json()["error"]["code"]) == (404, "not_found")
    huge = client.post(
        "/proxy/v1/display",
        content=b"x" * (1024 * 1024 + 1),
        headers={**auth(token), "Content-Type": "application/json"},
    )
    assert (huge.status_code, huge.json()["error"]["code"]) == (413, "too_large")


def test_missing_devices_are_503_not_500(make_settings: Any) -> None:
    settings = make_settings(pairing_code="ABCD-2345", allowed_origins=[TERMINAL])
    for client in client_for(settings):
        token = pair(client)
        for path, body in [
            ("/proxy/v1/print/receipt", print_body()),
            ("/proxy/v1/drawer/open", {"reason": "x"}),
            ("/proxy/v1/display", {"lines": ["x"]}),
            ("/proxy/v1/virtual/receipts", None),
        ]:
            response = client.request(
                "GET" if body is None else "POST", path, json=body, headers=auth(token)
            )
            assert response.status_code == 503, path
            assert response.json()["error"]["code"] in {"not_configured", "not_virtual"}
        status = client.get("/proxy/v1/status").json()
        assert status["printer"] == {
            "configured": False,
            "url": "none:",
            "state": "unknown",
            "fault": None,
            "detail": "not configured",
        }
        assert status["display"]["state"] == "not_configured"
        assert status["scanner"]["state"] == "not_configured"


def test_the_display_shows_the_terminals_lines_as_they_fit(client: AppClient) -> None:
    token = pair(client)
    headers = auth(token)
    # the terminal builds each frame, amounts formatted with its currency's places
    item = {"lines": ["Brötchen", "3 x 0.45        1.35"]}
    assert client.post("/proxy/v1/display", json=item, headers=headers).json()["lines"] == [
        "Brotchen            ",
        "3 x 0.45        1.35",
    ]
    assert client.get("/proxy/v1/virtual/display", headers=headers).json() == {
        "lines": ["Brotchen            ", "3 x 0.45        1.35"],
        "size": [2, 20],
    }
    total = {"lines": ["TOTAL", "315 ¥".rjust(20)]}
    assert client.post("/proxy/v1/display", json=total, headers=headers).json()["lines"] == [
        "TOTAL               ",
        "               315 J",  # ¥ is JPY on an ASCII display, cut to the 20 columns
    ]
    long = {"lines": ["A line longer than the twenty columns"]}
    assert client.post("/proxy/v1/display", json=long, headers=headers).json()["lines"] == [
        "A line longer than t",
        " " * 20,
    ]
    assert client.post("/proxy/v1/display/clear", headers=headers).json()["lines"] == [
        " " * 20,
        " " * 20,
    ]
    assert client.post("/proxy/v1/display/welcome", headers=headers).json()["lines"] == [
        "Welcome             ",
        " " * 20,
    ]
    too_many = client.post(
        "/proxy/v1/display", json={"lines": ["1", "2", "3", "4", "5"]}, headers=headers
    )
    assert too_many.status_code == 422
    assert too_many.json()["error"]["details"][0]["field"] == "lines"


@pytest.mark.parametrize(
    "path", ["/proxy/v1/display/item", "/proxy/v1/display/total", "/proxy/v1/display/change"]
)
def test_the_proxy_formats_no_amount_for_the_display(client: AppClient, path: str) -> None:
    # the endpoints that formatted amounts on the proxy are gone: the terminal sends lines
    token = pair(client)
    before = client.get("/proxy/v1/virtual/display", headers=auth(token)).json()
    response = client.post(path, json={"total": "1.35"}, headers=auth(token))
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    assert client.get("/proxy/v1/virtual/display", headers=auth(token)).json() == before
