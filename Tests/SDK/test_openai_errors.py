"""Bad requests and unknown routes: OpenAI's error envelope, as the SDK's exceptions read it."""

from __future__ import annotations

import openai
import pytest

from chat_helpers import MODEL, ask, stream, streamed_text, user
from mock_scripts import SUITE_RESPONSES

ERROR_KEYS = ["message", "type", "param", "code"]


def assert_envelope(error: openai.APIStatusError, status: int) -> dict:
    """The body is exactly `{"error":{"message","type","param","code"}}`; returns the inner object."""
    assert error.status_code == status
    assert error.response.headers["content-type"].startswith("application/json")
    body = error.response.json()
    assert list(body) == ["error"]
    assert list(body["error"]) == ERROR_KEYS
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert error.body == body["error"]
    return body["error"]


def test_a_request_without_messages_raises_bad_request(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/chat/completions", body={"model": MODEL}, cast_to=object)

    error = assert_envelope(caught.value, 400)
    assert error["message"] == "Missing required parameter: 'messages'."
    assert caught.value.type == "invalid_request_error"
    assert caught.value.param == "messages"
    assert caught.value.code == "missing_required_parameter"


def test_a_request_without_a_model_raises_bad_request(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/chat/completions", body={"messages": user("hello")}, cast_to=object)

    assert_envelope(caught.value, 400)
    assert caught.value.param == "model"


def test_messages_that_are_not_an_array_raise_bad_request(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/chat/completions", body={"model": MODEL, "messages": "hello"}, cast_to=object)

    assert_envelope(caught.value, 400)
    assert caught.value.param == "messages"
    assert caught.value.code == "invalid_type"


def test_an_empty_messages_array_raises_bad_request(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=[])

    assert_envelope(caught.value, 400)
    assert caught.value.param == "messages"


def test_a_message_without_a_role_raises_bad_request(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=[{"content": "hello"}])

    error = assert_envelope(caught.value, 400)
    assert error["message"] == "Missing required parameter: 'messages[0].role'."
    assert caught.value.param == "messages[0].role"


def test_a_message_with_an_unknown_role_raises_bad_request(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=[{"role": "wizard", "content": "hello"}])

    assert_envelope(caught.value, 400)
    assert caught.value.param == "messages[0].role"


def test_content_of_the_wrong_type_raises_bad_request(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": 42}])

    assert_envelope(caught.value, 400)
    assert caught.value.param == "messages[0].content"
    assert caught.value.code == "invalid_type"


def test_a_conversation_without_a_user_message_raises_bad_request(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "system", "content": "You are terse."}, {"role": "assistant", "content": "hello"}],
        )

    error = assert_envelope(caught.value, 400)
    assert error["message"] == "No user message found in request"
    assert caught.value.type == "invalid_request_error"


def test_a_stream_without_a_user_message_raises_before_any_chunk(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "system", "content": "hello"}], stream=True
        )

    assert assert_envelope(caught.value, 400)["message"] == "No user message found in request"


def test_stream_options_without_stream_raises_bad_request(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model=MODEL, messages=user("hello"), stream_options={"include_usage": True}
        )

    assert_envelope(caught.value, 400)
    assert caught.value.param == "stream_options"


@pytest.mark.parametrize(
    "parameter",
    [{"max_tokens": 0}, {"max_completion_tokens": -1}, {"temperature": 3}, {"n": 0}],
    ids=lambda p: next(iter(p)),
)
def test_out_of_range_parameters_raise_bad_request(client, parameter):
    with pytest.raises(openai.BadRequestError) as caught:
        ask(client, "hello", **parameter)

    assert_envelope(caught.value, 400)
    assert caught.value.param == next(iter(parameter))


def test_an_invalid_json_body_through_the_sdk_raises_bad_request(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.post(
            "/chat/completions",
            content=b'{"model": "gpt-4o", "messages": [',
            options={"headers": {"Content-Type": "application/json"}},
            cast_to=object,
        )

    assert_envelope(caught.value, 400)
    assert caught.value.type == "invalid_request_error"


@pytest.mark.parametrize(
    "body",
    [b'{"model": "gpt-4o", "messages": [', b"not json at all", b"", b'{"model": "x",}', b"[1, 2, 3]"],
    ids=["truncated", "not-json", "empty", "trailing-comma", "array-not-object"],
)
def test_an_invalid_json_body_sent_with_httpx_gets_a_400_envelope(http, body):
    response = http.post("/v1/chat/completions", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    envelope = response.json()
    assert list(envelope) == ["error"]
    assert list(envelope["error"]) == ERROR_KEYS
    assert envelope["error"]["type"] == "invalid_request_error"


def test_an_unknown_path_raises_not_found_through_the_sdk(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.post("/no/such/endpoint", body={"model": MODEL, "messages": user("hello")}, cast_to=object)

    error = assert_envelope(caught.value, 404)
    assert caught.value.type == "invalid_request_error"
    assert "/v1/no/such/endpoint" in error["message"]


def test_an_unknown_path_gets_a_404_envelope_over_plain_http(http):
    response = http.get("/v1/definitely-not-here")

    assert response.status_code == 404
    assert list(response.json()["error"]) == ERROR_KEYS


def test_a_wrong_method_gets_405_with_an_allow_header(client, http):
    with pytest.raises(openai.APIStatusError) as caught:
        client.get("/chat/completions", cast_to=object)

    assert_envelope(caught.value, 405)
    # OPTIONS is served too (CORS preflight), so Allow names it.
    assert caught.value.response.headers["allow"] == "POST, OPTIONS"
    assert http.delete("/v1/chat/completions").status_code == 405


def test_the_server_still_answers_after_all_the_bad_requests(client, http, suite_server):
    for body in (b"{", b"[]", b'{"messages": 1}', b"\xff\xfe"):
        assert http.post("/v1/chat/completions", content=body).status_code == 400
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=MODEL, messages=[{"role": "system", "content": "x"}])
    with pytest.raises(openai.NotFoundError):
        client.post("/nowhere", cast_to=object)

    suite_server.assert_alive()
    assert ask(client, "hello").choices[0].message.content == SUITE_RESPONSES["hello"]
    assert streamed_text(stream(client, "hello")) == SUITE_RESPONSES["hello"]
    assert http.get("/health").json() == {"status": "ok"}
