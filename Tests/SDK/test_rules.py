"""The script's `rules:` seen from the official SDKs: conditions, templates, sequences, scripted
errors raised as the SDKs' own exception classes, SDK retries consuming `times:`, and the miss
diagnostics. Timing checks are lower bounds only."""

from __future__ import annotations

import time

import anthropic
import openai
import pytest

from anthropic_helpers import CLAUDE, MAX_TOKENS, say, text_of
from chat_helpers import MODEL, ask, stream, streamed_text
from conftest import make_anthropic_client, make_client

RULES_SCRIPT = r"""
rules:
  - name: echo
    match: {prompt: {prefix: "echo "}}
    reply: "[{{prompt}}] from {{model}}, call {{count}}"
  - name: booking
    match: {prompt: {regex: '^book (\w+) for (\d+)$', ignore_case: true}}
    reply: "Booked {{1}} for {{2}}."
  - name: pirate
    match: {system: pirate}
    reply: "Arr, {{turn}}."
  - name: tool-user
    match: {tools: true, prompt: weather}
    reply: "I would call a tool."
  - name: by-header
    match: {headers: {x-test-case: {exact: vip}}}
    reply: "Welcome back."
  - name: anthropic-only
    match: {provider: anthropic, prompt: who}
    reply: "Claude-shaped."
  - name: openai-only
    match: {endpoint: /v1/chat/completions, prompt: who}
    reply: "OpenAI-shaped."
  - name: steps
    match: {prompt: step}
    replies: [one, two, three]
  - name: limited
    match: {prompt: limit}
    error: {status: 429, message: "Slow down.", code: rate_limit, retry_after: 30}
  - name: quota
    match: {prompt: quota}
    error: {status: 429, message: "Out of quota.", code: insufficient_quota, headers: {x-should-retry: "false"}}
    times: 1
  - name: quota-restored
    match: {prompt: quota}
    reply: "Quota restored."
  - name: flaky
    match: {prompt: {prefix: pay}}
    error: {status: 503, message: "try again", headers: {retry-after-ms: "10"}}
    times: 2
  - name: paid
    match: {prompt: {prefix: pay}}
    reply: "Paid after {{count}} try."
  - name: flaky-claude
    match: {prompt: {prefix: claude-pay}, provider: anthropic}
    error: {status: 529, message: "Overloaded", type: overloaded_error, headers: {retry-after-ms: "10"}}
    times: 1
  - name: broken
    match: {prompt: boom}
    error: {status: 500, message: "boom"}
  - name: unauthorized
    match: {prompt: "bad key"}
    error: {status: 401, message: "Invalid API key."}
  - name: slow
    match: {prompt: slow}
    reply: "one two three"
    pacing: {ttft_ms: 150, itl_ms: 30, chunking: word}
responses:
  hello: "seed format still answers"
defaults:
  unknown_response: "nothing matched"
"""

TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}]
ANTHROPIC_TOOLS = [{"name": "get_weather", "input_schema": {"type": "object", "properties": {}}}]


@pytest.fixture
def rules_server(start_server):
    return start_server(RULES_SCRIPT, name="rules")


@pytest.fixture
def oa(rules_server):
    with make_client(rules_server.url) as client:
        yield client
    rules_server.assert_alive()


@pytest.fixture
def an(rules_server):
    with make_anthropic_client(rules_server.url) as client:
        yield client
    rules_server.assert_alive()


def test_templates_conditions_and_the_seed_map_through_openai(oa):
    tricky = 'echo "quoted" \\ and é😀\nnext line'
    assert ask(oa, tricky).choices[0].message.content == f"[{tricky}] from {MODEL}, call 1"
    assert streamed_text(stream(oa, "echo again", model="gpt-4o")) == "[echo again] from gpt-4o, call 2"
    assert ask(oa, "BOOK Luigi for 4").choices[0].message.content == "Booked Luigi for 4."
    pirate = oa.chat.completions.create(
        model=MODEL, messages=[{"role": "system", "content": "You are a pirate."}, {"role": "user", "content": "a"},
                               {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}])
    assert pirate.choices[0].message.content == "Arr, 2."
    assert ask(oa, "weather", tools=TOOLS).choices[0].message.content == "I would call a tool."
    assert ask(oa, "weather").choices[0].message.content == "nothing matched"
    assert ask(oa, "x", extra_headers={"X-Test-Case": "vip"}).choices[0].message.content == "Welcome back."
    assert ask(oa, "who").choices[0].message.content == "OpenAI-shaped."
    assert ask(oa, "hello").choices[0].message.content == "seed format still answers"


def test_templates_conditions_and_the_seed_map_through_anthropic(an):
    assert text_of(say(an, "echo hi")) == f"[echo hi] from {CLAUDE}, call 1"
    with an.messages.stream(model=CLAUDE, max_tokens=MAX_TOKENS, messages=[{"role": "user", "content": "book Mario for 2"}]) as s:
        assert s.get_final_text() == "Booked Mario for 2."
    assert text_of(say(an, "hi", system="Talk like a pirate")) == "Arr, 1."
    assert text_of(say(an, "weather", tools=ANTHROPIC_TOOLS)) == "I would call a tool."
    assert text_of(say(an, "x", extra_headers={"x-test-case": "vip"})) == "Welcome back."
    assert text_of(say(an, "who")) == "Claude-shaped."
    assert text_of(say(an, "hello")) == "seed format still answers"


def test_a_sequence_is_shared_by_both_protocols_and_sticks_at_the_last(oa, an):
    assert ask(oa, "step").choices[0].message.content == "one"
    assert text_of(say(an, "step")) == "two"
    assert streamed_text(stream(oa, "step")) == "three"
    assert text_of(say(an, "step")) == "three"


def test_the_rule_and_the_miss_are_named_in_headers(oa, an):
    hit = oa.chat.completions.with_raw_response.create(model=MODEL, messages=[{"role": "user", "content": "echo x"}])
    assert hit.headers["x-mockllm-rule"] == "rule echo"
    assert "x-mockllm-miss" not in hit.headers
    miss = an.messages.with_raw_response.create(model=CLAUDE, max_tokens=10, messages=[{"role": "user", "content": "book Mario"}])
    assert miss.headers["x-mockllm-rule"] == "default"
    assert "closest rule" in miss.headers["x-mockllm-miss"]
    assert miss.parse().content[0].text == "nothing matched"


@pytest.mark.parametrize("prompt, openai_error, anthropic_error, status", [
    ("limit", openai.RateLimitError, anthropic.RateLimitError, 429),
    ("boom", openai.InternalServerError, anthropic.InternalServerError, 500),
    ("bad key", openai.AuthenticationError, anthropic.AuthenticationError, 401),
])
def test_scripted_errors_raise_the_sdks_own_exceptions(oa, an, prompt, openai_error, anthropic_error, status):
    with pytest.raises(openai_error) as raised:
        ask(oa, prompt)
    assert raised.value.status_code == status
    with pytest.raises(openai_error):
        stream(oa, prompt)
    with pytest.raises(anthropic_error) as claude_raised:
        say(an, prompt)
    assert claude_raised.value.status_code == status
    assert claude_raised.value.request_id is not None


def test_a_scripted_rate_limit_carries_its_message_code_and_headers(oa):
    with pytest.raises(openai.RateLimitError) as raised:
        ask(oa, "limit")
    assert raised.value.code == "rate_limit"
    assert raised.value.body["message"] == "Slow down."
    assert raised.value.response.headers["retry-after"] == "30"


def test_sdk_retries_consume_times_then_the_next_rule_answers(rules_server):
    # Default retries (2): the two scripted 503s are retried after retry-after-ms, the third try succeeds.
    with openai.OpenAI(base_url=f"{rules_server.url}/v1", api_key="test", timeout=30.0) as retrying:
        completion = retrying.chat.completions.with_raw_response.create(
            model=MODEL, messages=[{"role": "user", "content": "pay now"}])
    assert completion.parse().choices[0].message.content == "Paid after 1 try."
    assert completion.retries_taken == 2
    # Used up: a client without retries now gets the reply at once.
    with make_client(rules_server.url) as once:
        assert ask(once, "pay again").choices[0].message.content == "Paid after 2 try."


def test_x_should_retry_false_stops_the_sdks_retrying(rules_server):
    # Had the SDK retried, its second try would have got "Quota restored." and succeeded.
    with openai.OpenAI(base_url=f"{rules_server.url}/v1", api_key="test", timeout=30.0, max_retries=5) as retrying:
        with pytest.raises(openai.RateLimitError) as raised:
            ask(retrying, "quota")
        assert raised.value.code == "insufficient_quota"
        assert ask(retrying, "quota").choices[0].message.content == "Quota restored."


def test_anthropic_overloaded_is_retried_by_the_sdk(rules_server):
    with anthropic.Anthropic(base_url=rules_server.url, api_key="test", timeout=30.0) as retrying:
        message = retrying.messages.with_raw_response.create(
            model=CLAUDE, max_tokens=10, messages=[{"role": "user", "content": "claude-pay"}])
    assert message.retries_taken == 1
    assert message.headers["x-mockllm-rule"] == "default"


def test_anthropic_overloaded_raises_overloaded_error_without_retries(an):
    with pytest.raises(anthropic.OverloadedError) as raised:
        say(an, "claude-pay")
    assert raised.value.status_code == 529
    assert raised.value.body["error"]["type"] == "overloaded_error"


def test_a_rules_pacing_slows_its_reply(oa):
    started = time.perf_counter()
    chunks = stream(oa, "slow")
    elapsed = time.perf_counter() - started
    assert streamed_text(chunks) == "one two three"
    assert elapsed >= 0.15 + 2 * 0.03 - 0.005, elapsed


def test_override_headers_set_the_pacing_per_request(oa, an):
    started = time.perf_counter()
    assert ask(oa, "echo fast", extra_headers={"x-mockllm-ttft-ms": "120"}).choices[0].message.content.startswith("[echo fast]")
    assert time.perf_counter() - started >= 0.115
    with pytest.raises(openai.BadRequestError) as raised:
        ask(oa, "echo x", extra_headers={"x-mockllm-ttft-ms": "soon"})
    assert "x-mockllm-ttft-ms" in raised.value.message
    with pytest.raises(anthropic.BadRequestError):
        say(an, "echo x", extra_headers={"x-mockllm-chunking": "lines"})
