"""Bad Anthropic requests and unknown routes: Anthropic's error envelope
`{"type":"error","error":{"type","message"},"request_id"}`, as the SDK's exceptions read it."""

from __future__ import annotations

import anthropic
import pytest

from anthropic_helpers import CLAUDE, MAX_TOKENS, REQUEST_ID, say, text_of, user
from mock_scripts import SUITE_RESPONSES

ANTHROPIC_HEADERS = {"anthropic-version": "2023-06-01", "x-api-key": "test"}


def assert_envelope(error: anthropic.APIStatusError, status: int, error_type: str = "invalid_request_error") -> dict:
    """The body is exactly Anthropic's envelope, its request id is the header's; returns `error`."""
    assert error.status_code == status
    assert error.response.headers["content-type"].startswith("application/json")
    body = error.response.json()
    assert error.body == body
    assert list(body) == ["type", "error", "request_id"]
    assert body["type"] == "error"
    assert list(body["error"]) == ["type", "message"]
    assert body["error"]["type"] == error_type
    assert error.type == error_type
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert error.api_message == body["error"]["message"]
    header = error.response.headers["request-id"]
    assert REQUEST_ID.match(header), header
    assert body["request_id"] == header == error.request_id
    return body["error"]


def test_a_request_without_max_tokens_raises_bad_request(anthropic_client):
    with pytest.raises(anthropic.BadRequestError) as caught:
        anthropic_client.post("/v1/messages", body={"model": CLAUDE, "messages": user("hello")}, cast_to=object)

    error = assert_envelope(caught.value, 400)
    assert caught.value.body["error"]["type"] == "invalid_request_error"
    assert error["message"] == "max_tokens: Field required"


def test_max_tokens_null_raises_bad_request(anthropic_client):
    with pytest.raises(anthropic.BadRequestError) as caught:
        anthropic_client.post(
            "/v1/messages", body={"model": CLAUDE, "max_tokens": None, "messages": user("hello")}, cast_to=object
        )

    assert "max_tokens" in assert_envelope(caught.value, 400)["message"]


@pytest.mark.parametrize("max_tokens", [0, -1])
def test_max_tokens_below_one_raises_bad_request(anthropic_client, max_tokens):
    with pytest.raises(anthropic.BadRequestError) as caught:
        say(anthropic_client, "hello", max_tokens=max_tokens)

    assert "max_tokens" in assert_envelope(caught.value, 400)["message"]


def test_a_request_without_a_model_raises_bad_request(anthropic_client):
    with pytest.raises(anthropic.BadRequestError) as caught:
        anthropic_client.post("/v1/messages", body={"max_tokens": 10, "messages": user("hello")}, cast_to=object)

    assert assert_envelope(caught.value, 400)["message"] == "model: Field required"


def test_messages_that_are_not_a_list_raise_bad_request(anthropic_client):
    with pytest.raises(anthropic.BadRequestError) as caught:
        anthropic_client.messages.create(model=CLAUDE, max_tokens=MAX_TOKENS, messages="hello")

    assert caught.value.body["error"]["type"] == "invalid_request_error"
    assert assert_envelope(caught.value, 400)["message"].startswith("messages:")


def test_an_empty_messages_list_raises_bad_request(anthropic_client):
    with pytest.raises(anthropic.BadRequestError) as caught:
        anthropic_client.messages.create(model=CLAUDE, max_tokens=MAX_TOKENS, messages=[])

    assert assert_envelope(caught.value, 400)["message"].startswith("messages:")


@pytest.mark.parametrize("role", ["wizard", "system", "tool"])
def test_a_role_other_than_user_or_assistant_raises_bad_request(anthropic_client, role):
    with pytest.raises(anthropic.BadRequestError) as caught:
        anthropic_client.messages.create(model=CLAUDE, max_tokens=MAX_TOKENS, messages=[{"role": role, "content": "hello"}])

    error = assert_envelope(caught.value, 400)
    assert caught.value.body["error"]["type"] == "invalid_request_error"
    assert error["message"] == "messages.0.role: Input should be 'user' or 'assistant'"


def test_a_message_without_a_role_or_content_raises_bad_request(anthropic_client):
    for message, field in (({"content": "hello"}, "role"), ({"role": "user"}, "content")):
        with pytest.raises(anthropic.BadRequestError) as caught:
            anthropic_client.messages.create(model=CLAUDE, max_tokens=MAX_TOKENS, messages=[message])

        assert assert_envelope(caught.value, 400)["message"] == f"messages.0.{field}: Field required"


@pytest.mark.parametrize("content", [42, {"type": "text", "text": "hello"}, None])
def test_content_of_the_wrong_type_raises_bad_request(anthropic_client, content):
    with pytest.raises(anthropic.BadRequestError) as caught:
        anthropic_client.messages.create(model=CLAUDE, max_tokens=MAX_TOKENS, messages=user(content))

    assert assert_envelope(caught.value, 400)["message"].startswith("messages.0.content")


def test_a_text_block_without_text_raises_bad_request(anthropic_client):
    with pytest.raises(anthropic.BadRequestError) as caught:
        anthropic_client.messages.create(model=CLAUDE, max_tokens=MAX_TOKENS, messages=user([{"type": "text"}]))

    assert assert_envelope(caught.value, 400)["message"] == "messages.0.content.0.text: Field required"


def test_system_of_the_wrong_type_raises_bad_request(anthropic_client):
    with pytest.raises(anthropic.BadRequestError) as caught:
        say(anthropic_client, "hello", system=42)

    assert assert_envelope(caught.value, 400)["message"].startswith("system")


def test_stop_sequences_that_are_not_strings_raise_bad_request(anthropic_client):
    with pytest.raises(anthropic.BadRequestError) as caught:
        say(anthropic_client, "hello", stop_sequences=["ok", 7])

    assert assert_envelope(caught.value, 400)["message"].startswith("stop_sequences.1")


def test_a_temperature_above_one_raises_bad_request(anthropic_client):
    # Anthropic's range is 0..1 (OpenAI's is 0..2).
    with pytest.raises(anthropic.BadRequestError) as caught:
        say(anthropic_client, "hello", extra_body={"temperature": 1.5})

    assert assert_envelope(caught.value, 400)["message"] == "temperature: Input should be less than or equal to 1"


def test_a_conversation_without_a_user_message_raises_bad_request(anthropic_client):
    with pytest.raises(anthropic.BadRequestError) as caught:
        anthropic_client.messages.create(
            model=CLAUDE, max_tokens=MAX_TOKENS, messages=[{"role": "assistant", "content": "hello"}]
        )

    assert_envelope(caught.value, 400)


def test_an_invalid_json_body_through_the_sdk_raises_bad_request(anthropic_client):
    with pytest.raises(anthropic.BadRequestError) as caught:
        anthropic_client.post(
            "/v1/messages",
            content=b'{"model": "claude-3-haiku", "messages": [',
            options={"headers": {"Content-Type": "application/json"}},
            cast_to=object,
        )

    assert caught.value.body["error"]["type"] == "invalid_request_error"
    assert_envelope(caught.value, 400)


@pytest.mark.parametrize(
    "body",
    [b'{"model": "claude-3-haiku", "messages": [', b"not json at all", b"", b'{"max_tokens": 1,}', b"[1, 2, 3]",
     b"\xff\xfe"],
    ids=["truncated", "not-json", "empty", "trailing-comma", "array-not-object", "not-utf8"],
)
def test_an_invalid_json_body_sent_with_httpx_gets_a_400_envelope(http, body):
    response = http.post("/v1/messages", content=body, headers={**ANTHROPIC_HEADERS, "Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    envelope = response.json()
    assert list(envelope) == ["type", "error", "request_id"]
    assert envelope["type"] == "error"
    assert envelope["error"]["type"] == "invalid_request_error"
    assert envelope["request_id"] == response.headers["request-id"]


def test_invalid_json_without_anthropic_headers_still_gets_anthropics_envelope(http):
    # /v1/messages is Anthropic's path: its errors are in Anthropic's shape whoever asks.
    response = http.post("/v1/messages", content=b"{")

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert "request-id" in response.headers


def test_an_unknown_path_raises_not_found_through_the_sdk(anthropic_client):
    with pytest.raises(anthropic.NotFoundError) as caught:
        anthropic_client.post("/v1/no/such/endpoint", body={"model": CLAUDE}, cast_to=object)

    error = assert_envelope(caught.value, 404, "not_found_error")
    assert "/v1/no/such/endpoint" in error["message"]


def test_a_wrong_method_on_messages_gets_405_with_an_allow_header(anthropic_client):
    with pytest.raises(anthropic.APIStatusError) as caught:
        anthropic_client.get("/v1/messages", cast_to=object)

    assert_envelope(caught.value, 405)
    assert "POST" in caught.value.response.headers["allow"]


def test_the_server_still_answers_after_all_the_bad_requests(anthropic_client, http, suite_server):
    for body in (b"{", b"[]", b'{"messages": 1}', b"\xff\xfe"):
        assert http.post("/v1/messages", content=body, headers=ANTHROPIC_HEADERS).status_code == 400
    with pytest.raises(anthropic.BadRequestError):
        anthropic_client.messages.create(model=CLAUDE, max_tokens=MAX_TOKENS, messages=[{"role": "x", "content": "y"}])
    with pytest.raises(anthropic.NotFoundError):
        anthropic_client.post("/v1/nowhere", cast_to=object)

    suite_server.assert_alive()
    assert text_of(say(anthropic_client, "hello")) == SUITE_RESPONSES["hello"]
    with anthropic_client.messages.stream(model=CLAUDE, max_tokens=MAX_TOKENS, messages=user("hello")) as stream:
        assert "".join(stream.text_stream) == SUITE_RESPONSES["hello"]


@pytest.mark.parametrize("content", [[], ""], ids=["no-blocks", "empty-string"])
def test_a_user_message_with_empty_content_raises_bad_request(anthropic_client, content):
    with pytest.raises(anthropic.BadRequestError):
        anthropic_client.messages.create(model=CLAUDE, max_tokens=MAX_TOKENS, messages=user(content))
