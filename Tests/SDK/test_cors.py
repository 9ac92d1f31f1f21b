"""Cross-origin access, checked with plain HTTP as a browser would send it: an OPTIONS preflight
is answered 204 with the allow headers, and replies to requests with an `Origin` carry
`access-control-allow-origin`."""

from __future__ import annotations

import pytest

from anthropic_helpers import CLAUDE
from chat_helpers import MODEL, user
from mock_scripts import SUITE_RESPONSES

ORIGIN = "http://localhost:5173"


def preflight(http, path: str, method: str = "POST", headers: str = "content-type, authorization"):
    return http.options(
        path,
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers},
    )


def test_a_preflight_for_chat_completions_is_answered_204_with_the_allow_headers(http):
    response = preflight(http, "/v1/chat/completions")

    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in [m.strip() for m in response.headers["access-control-allow-methods"].split(",")]
    allowed_headers = [h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")]
    assert {"content-type", "authorization"} <= set(allowed_headers) or allowed_headers == ["*"]
    assert int(response.headers["access-control-max-age"]) > 0


def test_a_preflight_echoes_the_headers_the_anthropic_sdk_would_send(http):
    asked = "content-type, x-api-key, anthropic-version, anthropic-dangerous-direct-browser-access"

    response = preflight(http, "/v1/messages", headers=asked)

    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ORIGIN
    allowed_headers = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {h.strip() for h in asked.split(",")} <= allowed_headers


def test_a_preflight_for_the_models_listing_allows_get(http):
    response = preflight(http, "/v1/models/gpt-4o", method="GET")

    assert response.status_code == 204
    assert "GET" in response.headers["access-control-allow-methods"]


def test_a_post_with_an_origin_gets_access_control_allow_origin(http):
    response = http.post(
        "/v1/chat/completions", headers={"Origin": ORIGIN}, json={"model": MODEL, "messages": user("hello")}
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.json()["choices"][0]["message"]["content"] == SUITE_RESPONSES["hello"]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_anthropic_replies_to_an_origin_carry_the_cors_headers(http, stream):
    response = http.post(
        "/v1/messages",
        headers={"Origin": ORIGIN, "anthropic-version": "2023-06-01"},
        json={"model": CLAUDE, "max_tokens": 100, "stream": stream, "messages": user("hello")},
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    # A browser script can read the request id only if it is exposed.
    exposed = response.headers["access-control-expose-headers"].lower()
    assert exposed == "*" or "request-id" in exposed


def test_a_streamed_chat_completion_to_an_origin_carries_the_header(http):
    response = http.post(
        "/v1/chat/completions",
        headers={"Origin": ORIGIN},
        json={"model": MODEL, "stream": True, "messages": user("hello")},
    )

    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.text.rstrip().endswith("data: [DONE]")


def test_errors_to_an_origin_carry_the_header_so_the_browser_can_read_them(http):
    bad = http.post("/v1/chat/completions", headers={"Origin": ORIGIN}, content=b"{")
    missing = http.get("/v1/nowhere", headers={"Origin": ORIGIN})

    assert bad.status_code == 400 and bad.headers["access-control-allow-origin"] == ORIGIN
    assert missing.status_code == 404 and missing.headers["access-control-allow-origin"] == ORIGIN


def test_a_request_without_an_origin_gets_no_cors_headers(http):
    response = http.post("/v1/chat/completions", json={"model": MODEL, "messages": user("hello")})

    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_a_preflight_for_an_unknown_path_is_not_a_204(http):
    response = preflight(http, "/v1/nowhere")

    assert response.status_code == 404
