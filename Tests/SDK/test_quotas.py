"""Quotas (`quotas:` in the script) through the real clients: the rate-limit headers count down
on every reply, a request over the limit is a 429 the SDK raises as RateLimitError with
retry-after, and the window starts again on time (a short window keeps the test quick)."""

from __future__ import annotations

import time

import anthropic
import openai
import pytest

from conftest import make_anthropic_client, make_client

QUOTA_SCRIPT = """responses:
  hi: "hello there"
quotas:
  requests_per_minute: 3
  tokens_per_minute: 10000
  window_seconds: 2
"""


def ask(client: openai.OpenAI):
    return client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])


def test_openai_headers_count_down_then_429_then_reset(start_server):
    server = start_server(QUOTA_SCRIPT)
    with make_client(server.url) as client:
        remaining = [int(ask(client).headers["x-ratelimit-remaining-requests"]) for _ in range(3)]
        assert remaining == [2, 1, 0]
        with pytest.raises(openai.RateLimitError) as raised:
            ask(client)
        assert raised.value.status_code == 429
        assert raised.value.code == "rate_limit_exceeded"
        retry_after = int(raised.value.response.headers["retry-after"])
        assert 1 <= retry_after <= 2
        assert raised.value.response.headers["x-ratelimit-limit-requests"] == "3"
        # The window is 2 s and began before the first request: 2.1 s after the 429 it has
        # started again. Not polled: the wait is the behaviour under test, and a poll would
        # also pass a window that reopened late.
        time.sleep(2.1)
        reply = ask(client)
        assert reply.headers["x-ratelimit-remaining-requests"] == "2"
        tokens = reply.headers["x-ratelimit-remaining-tokens"]
        assert int(tokens) < 10000


def test_each_api_key_has_its_own_quota(start_server):
    server = start_server(QUOTA_SCRIPT)
    first = openai.OpenAI(base_url=f"{server.url}/v1", api_key="key-one", max_retries=0)
    second = openai.OpenAI(base_url=f"{server.url}/v1", api_key="key-two", max_retries=0)
    for _ in range(3):
        ask(first)
    with pytest.raises(openai.RateLimitError):
        ask(first)
    assert ask(second).headers["x-ratelimit-remaining-requests"] == "2"


def test_the_openai_client_waits_for_the_window_when_it_retries(start_server):
    server = start_server(QUOTA_SCRIPT)
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="patient", max_retries=2)
    for _ in range(3):
        ask(client)
    start = time.monotonic()
    reply = ask(client)  # 429 with retry-after; the SDK waits and tries again in the next window
    assert reply.headers["x-ratelimit-remaining-requests"] == "2"
    assert time.monotonic() - start >= 1.0


def test_anthropic_headers_and_429(start_server):
    server = start_server(QUOTA_SCRIPT)
    with make_anthropic_client(server.url) as client:
        def send():
            return client.messages.with_raw_response.create(
                model="claude-3-haiku", max_tokens=20, messages=[{"role": "user", "content": "hi"}])
        replies = [send() for _ in range(3)]
        assert [r.headers["anthropic-ratelimit-requests-remaining"] for r in replies] == ["2", "1", "0"]
        assert replies[0].headers["anthropic-ratelimit-requests-limit"] == "3"
        assert replies[0].headers["anthropic-ratelimit-requests-reset"].endswith("Z")
        with pytest.raises(anthropic.RateLimitError) as raised:
            send()
        assert raised.value.status_code == 429
        assert raised.value.body["error"]["type"] == "rate_limit_error"
        assert "retry-after" in raised.value.response.headers
