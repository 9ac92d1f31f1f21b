"""Fault injection seen from the official SDKs: retried rate limits and overloads, the exception
each fault raises (HTTP errors, context length, a stalled stream, a mid-stream error event, a
stream cut by FIN or RST, a truncated or malformed stream). What is asserted is what the pinned
SDKs (Tests/SDK/requirements.txt) actually do; docs/FAULTS.md has the table. Timing checks are
lower bounds only."""

from __future__ import annotations

import json
import time

import anthropic
import httpx2  # the transport both SDKs run on (pulled in by them)
import openai
import pytest

from anthropic_helpers import CLAUDE, MAX_TOKENS, say, text_of
from chat_helpers import MODEL, ask, user
from conftest import make_anthropic_client, make_client

REPLY = "Hello! How can I help you today?"

# Stateless faults, shared by the module: each prompt gets one fault on every request.
FAULTS_SCRIPT = f"""
responses:
  hello: "{REPLY}"
models:
  - {{id: tiny, context_window: 30}}
  - {{id: tiny-claude, provider: anthropic, context_window: 30}}
faults:
  - {{name: limited, match: {{prompt: limited}}, error: {{status: 429, message: "Slow down.", code: rate_limit_exceeded}}}}
  - {{name: overloaded, match: {{prompt: busy}}, status: 529}}
  - {{name: too-long, match: {{prompt: long}}, context_length: true}}
  - {{name: stalled, match: {{prompt: stall}}, stream: {{after: 1, stall: forever}}}}
  - {{name: mid-error, match: {{prompt: error}}, stream: {{after: 5, error: {{type: overloaded_error, message: Overloaded}}}}}}
  - {{name: fin, match: {{prompt: fin}}, stream: {{after: 8, disconnect: fin}}}}
  - {{name: rst, match: {{prompt: rst}}, stream: {{after: 8, disconnect: rst}}}}
  - {{name: truncated, match: {{prompt: truncate}}, stream: {{after: 8, truncate: true}}}}
  - {{name: malformed, match: {{prompt: malformed}}, stream: {{after: 8, malformed: true}}}}
  - {{name: slow, match: {{prompt: slow}}, slow_first_token_ms: 400}}
rules:
  - {{name: any, reply: "{REPLY}"}}
"""


@pytest.fixture(scope="module")
def faults_server(session_pool):
    # A short stream limit: a stalled stream is closed by the server soon after the client gives up.
    return session_pool.start(FAULTS_SCRIPT, name="faults", extra_args=["--max-stream-duration", "20"])


@pytest.fixture
def oa(faults_server):
    with make_client(faults_server.url) as client:
        yield client
    faults_server.assert_alive()


@pytest.fixture
def an(faults_server):
    with make_anthropic_client(faults_server.url) as client:
        yield client
    faults_server.assert_alive()


def openai_text(client: openai.OpenAI, prompt: str, received: list[str]) -> None:
    """Streams `prompt`, appending each content delta to `received` as it arrives."""
    with client.chat.completions.create(model=MODEL, messages=user(prompt), stream=True) as chunks:
        for chunk in chunks:
            for choice in chunk.choices:
                if choice.delta.content:
                    received.append(choice.delta.content)


def anthropic_text(client: anthropic.Anthropic, prompt: str, received: list[str]) -> None:
    with client.messages.stream(model=CLAUDE, max_tokens=MAX_TOKENS, messages=user(prompt)) as stream:
        for text in stream.text_stream:
            received.append(text)


def assert_strict_prefix(received: list[str]) -> None:
    text = "".join(received)
    assert text and text != REPLY and REPLY.startswith(text), text


# --------------------------------------------------------------------------------------------
# Retries: each attempt is a request the schedule counts
# --------------------------------------------------------------------------------------------

RETRY_SCRIPT = """
responses: {hello: hi}
faults:
  - name: twice
    match: {prompt: retry}
    sequence: [429, 429, ok]
  - name: overloaded-twice
    match: {prompt: claude-retry}
    sequence: [529, 529, ok]
  - name: rate-limited
    match: {prompt: wait}
    error: {status: 429, retry_after: 1}
    when: {first: 2}
rules:
  - name: pay
    match: {prompt: pay}
    reply: "Paid."
    fault: {sequence: [503, ok]}
  # {{count}} counts the requests this rule matched, faulted or not: the attempts.
  - name: counted
    reply: "attempt {{count}}"
"""


@pytest.fixture
def retry_server(start_server):
    return start_server(RETRY_SCRIPT, name="retries")


def test_openai_retries_two_429s_and_succeeds_on_the_third_attempt(retry_server):
    with openai.OpenAI(base_url=f"{retry_server.url}/v1", api_key="test", timeout=30.0) as client:
        assert client.max_retries == 2  # the SDK's default
        raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=user("retry"))
    assert raw.retries_taken == 2
    assert "x-mockllm-fault" not in raw.headers, "the final reply was not faulted"
    assert raw.parse().choices[0].message.content == "attempt 3"


def test_openai_without_retries_raises_rate_limit_error(retry_server):
    with make_client(retry_server.url) as client:  # max_retries=0
        for _ in range(2):
            with pytest.raises(openai.RateLimitError) as caught:
                ask(client, "retry")
            assert caught.value.status_code == 429
            assert caught.value.type == "rate_limit_exceeded"
            assert caught.value.response.headers["x-mockllm-fault"] == "twice"
        assert ask(client, "retry").choices[0].message.content == "attempt 3"
        assert ask(client, "retry").choices[0].message.content == "attempt 4", "past its end a sequence is ok"


def test_openai_honours_retry_after_from_an_error_fault(retry_server):
    with openai.OpenAI(base_url=f"{retry_server.url}/v1", api_key="test", timeout=30.0) as client:
        started = time.monotonic()
        raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=user("wait"))
        elapsed = time.monotonic() - started
    assert raw.retries_taken == 2
    assert "x-mockllm-fault" not in raw.headers
    assert raw.parse().choices[0].message.content == "attempt 3"
    assert elapsed >= 2.0, f"two retry-after: 1 waits took {elapsed:.2f} s"


def test_a_rules_fault_is_retried_like_a_global_one(retry_server):
    with openai.OpenAI(base_url=f"{retry_server.url}/v1", api_key="test", timeout=30.0) as client:
        raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=user("pay"))
    assert raw.retries_taken == 1
    assert raw.headers["x-mockllm-rule"] == "rule pay"
    assert raw.parse().choices[0].message.content == "Paid."


def test_anthropic_retries_529s_and_succeeds(retry_server):
    with anthropic.Anthropic(base_url=retry_server.url, api_key="test", timeout=30.0) as client:
        raw = client.messages.with_raw_response.create(model=CLAUDE, max_tokens=MAX_TOKENS, messages=user("claude-retry"))
    assert raw.retries_taken == 2
    assert "x-mockllm-fault" not in raw.headers
    assert text_of(raw.parse()) == "attempt 3"


# --------------------------------------------------------------------------------------------
# HTTP faults
# --------------------------------------------------------------------------------------------


def test_openai_rate_limit_fault_raises_rate_limit_error(oa):
    with pytest.raises(openai.RateLimitError) as caught:
        ask(oa, "limited")
    assert caught.value.status_code == 429
    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.body["message"] == "Slow down."
    assert caught.value.response.headers["x-mockllm-fault"] == "limited"


def test_the_fault_header_is_raised_like_a_scripted_fault(oa, an):
    with pytest.raises(openai.RateLimitError):
        ask(oa, "hello", extra_headers={"x-mockllm-fault": "429"})
    with pytest.raises(anthropic.RateLimitError) as caught:
        say(an, "hello", extra_headers={"x-mockllm-fault": "429"})
    assert caught.value.response.headers["x-mockllm-fault"] == "header"
    with pytest.raises(openai.BadRequestError) as bad:
        ask(oa, "hello", extra_headers={"x-mockllm-fault": "explode"})
    assert "unknown fault 'explode'" in bad.value.message


def test_anthropic_529_raises_overloaded_error(an):
    with pytest.raises(anthropic.OverloadedError) as caught:
        say(an, "busy")
    assert isinstance(caught.value, anthropic.InternalServerError)
    assert caught.value.status_code == 529
    assert caught.value.type == "overloaded_error"
    assert caught.value.body["error"] == {"type": "overloaded_error", "message": "Overloaded"}


def test_openai_529_raises_internal_server_error(oa):
    with pytest.raises(openai.InternalServerError) as caught:
        ask(oa, "busy")
    assert caught.value.status_code == 529
    assert caught.value.type == "service_unavailable"


def test_context_length_raises_bad_request_with_the_apis_words(oa, an):
    with pytest.raises(openai.BadRequestError) as caught:
        ask(oa, "long")
    assert caught.value.code == "context_length_exceeded"
    assert caught.value.param == "messages"
    assert caught.value.body["message"].startswith("This model's maximum context length is 128000 tokens.")
    with pytest.raises(anthropic.BadRequestError) as refused:
        say(an, "long")
    assert refused.value.type == "invalid_request_error"
    assert refused.value.body["error"]["message"].startswith("prompt is too long")


def test_a_prompt_longer_than_the_models_window_is_refused(oa, an):
    long = " ".join(["word"] * 60)
    with pytest.raises(openai.BadRequestError) as caught:
        ask(oa, long, model="tiny")
    assert caught.value.code == "context_length_exceeded"
    assert "maximum context length is 30 tokens" in caught.value.body["message"]
    assert "x-mockllm-fault" not in caught.value.response.headers
    with pytest.raises(anthropic.BadRequestError) as refused:
        say(an, long, model="tiny-claude")
    assert refused.value.body["error"]["message"].startswith("prompt is too long")
    assert refused.value.body["error"]["message"].endswith("tokens > 30 maximum")


# --------------------------------------------------------------------------------------------
# Stream faults
# --------------------------------------------------------------------------------------------


def test_a_stalled_stream_trips_the_openai_timeout(faults_server):
    received: list[str] = []
    started = time.monotonic()
    with openai.OpenAI(base_url=f"{faults_server.url}/v1", api_key="test", timeout=1.0, max_retries=0) as client:
        with pytest.raises(openai.APITimeoutError):
            openai_text(client, "stall", received)
    assert time.monotonic() - started >= 1.0
    assert received == [], "the stall comes after the role chunk, before any text"


def test_a_stalled_stream_trips_the_anthropic_timeout(faults_server):
    # anthropic 2.14.0 raises the transport's ReadTimeout while iterating, not APITimeoutError.
    started = time.monotonic()
    with anthropic.Anthropic(base_url=faults_server.url, api_key="test", timeout=1.0, max_retries=0) as client:
        with pytest.raises(httpx2.ReadTimeout):
            anthropic_text(client, "stall", [])
    assert time.monotonic() - started >= 1.0


def test_a_mid_stream_error_event_raises_openai_api_error(oa):
    received: list[str] = []
    with pytest.raises(openai.APIError) as caught:
        openai_text(oa, "error", received)
    assert not isinstance(caught.value, openai.APIStatusError), "raised from an event, not a status"
    assert caught.value.message == "Overloaded"
    assert caught.value.type == "overloaded_error"
    assert_strict_prefix(received)
    with pytest.raises(openai.APIError) as default:
        list(oa.chat.completions.create(model=MODEL, messages=user("hello"), stream=True,
                                        extra_headers={"x-mockllm-fault": "error:3"}))
    assert default.value.type == "server_error"


def test_a_mid_stream_error_event_raises_anthropic_status_error(an):
    received: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as caught:
        anthropic_text(an, "error", received)
    # The SDK makes the error from the stream's 200 response: the generic class, with the event's type.
    assert type(caught.value) is anthropic.APIStatusError
    assert caught.value.status_code == 200
    assert caught.value.type == "overloaded_error"
    assert caught.value.body == {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    assert "".join(received) == "He", "message_start, content_block_start, ping, then two deltas"


def test_a_disconnect_mid_stream_raises_openai_api_connection_error(oa):
    received: list[str] = []
    with pytest.raises(openai.APIConnectionError) as caught:
        openai_text(oa, "fin", received)
    assert not isinstance(caught.value, openai.APITimeoutError)
    assert isinstance(caught.value.__cause__, httpx2.RemoteProtocolError)
    assert "incomplete chunked read" in str(caught.value.__cause__)
    assert_strict_prefix(received)


def test_a_disconnect_mid_stream_raises_the_transports_error_through_anthropic(an):
    received: list[str] = []
    with pytest.raises(httpx2.RemoteProtocolError):
        anthropic_text(an, "fin", received)
    assert_strict_prefix(received)


def test_a_reset_mid_stream_raises_openai_api_connection_error(oa):
    received: list[str] = []
    with pytest.raises(openai.APIConnectionError) as caught:
        openai_text(oa, "rst", received)
    assert isinstance(caught.value.__cause__, httpx2.ReadError)
    assert "Connection reset by peer" in str(caught.value.__cause__)
    assert REPLY.startswith("".join(received))


def test_a_reset_mid_stream_raises_the_transports_error_through_anthropic(an):
    received: list[str] = []
    with pytest.raises(httpx2.ReadError) as caught:
        anthropic_text(an, "rst", received)
    assert "Connection reset by peer" in str(caught.value)
    assert REPLY.startswith("".join(received))


def test_a_truncated_stream_is_accepted_silently_by_openai(oa):
    # No [DONE] and no finish_reason: the SDK ends the iteration without complaint.
    with oa.chat.completions.create(model=MODEL, messages=user("truncate"), stream=True) as chunks:
        collected = list(chunks)
    assert all(choice.finish_reason is None for chunk in collected for choice in chunk.choices)
    assert_strict_prefix([choice.delta.content or "" for chunk in collected for choice in chunk.choices])


def test_a_truncated_stream_is_accepted_silently_by_anthropic(an):
    received: list[str] = []
    with an.messages.stream(model=CLAUDE, max_tokens=MAX_TOKENS, messages=user("truncate")) as stream:
        received.extend(stream.text_stream)
        final = stream.get_final_message()
    assert_strict_prefix(received)
    assert final.stop_reason is None, "no message_delta, no message_stop"


def test_a_malformed_event_raises_a_json_error(oa, an):
    received: list[str] = []
    with pytest.raises(json.JSONDecodeError):
        openai_text(oa, "malformed", received)
    assert_strict_prefix(received)
    with pytest.raises(json.JSONDecodeError):
        anthropic_text(an, "malformed", [])


def test_a_slow_first_token_delays_the_first_text(oa, an):
    for read in (openai_text, anthropic_text):
        client = oa if read is openai_text else an
        received: list[str] = []
        started = time.monotonic()
        read(client, "slow", received)
        assert time.monotonic() - started >= 0.4
        assert "".join(received) == REPLY


def test_the_server_serves_on_after_every_fault(oa, an, faults_server):
    assert ask(oa, "hello").choices[0].message.content == REPLY
    assert text_of(say(an, "hello")) == REPLY
    faults_server.assert_alive()
