"""Non-streaming Anthropic Messages (`POST /v1/messages`) through the real `anthropic` client."""

from __future__ import annotations

import asyncio

import anthropic
import pytest

from anthropic_helpers import (
    CLAUDE,
    MAX_TOKENS,
    MESSAGE_ID,
    REQUEST_ID,
    assert_usage,
    say,
    text_of,
    user,
)
from conftest import make_async_anthropic_client
from mock_scripts import LONG_REPLY, SUITE_RESPONSES, SUITE_UNKNOWN_REPLY, TRICKY_REPLY, UNICODE_REPLY


def test_a_scripted_prompt_gets_exactly_the_yaml_text(anthropic_client):
    message = say(anthropic_client, "hello")

    assert text_of(message) == SUITE_RESPONSES["hello"]
    assert message.type == "message"
    assert message.role == "assistant"
    assert message.model == CLAUDE
    assert message.stop_reason == "end_turn"
    assert message.stop_sequence is None
    assert MESSAGE_ID.match(message.id), message.id
    assert_usage(message.usage)
    assert message.usage.output_tokens > 0


@pytest.mark.parametrize("prompt", sorted(SUITE_RESPONSES))
def test_every_reply_of_the_script_comes_back_byte_for_byte(anthropic_client, prompt):
    assert text_of(say(anthropic_client, prompt)) == SUITE_RESPONSES[prompt]


def test_non_ascii_and_escaped_text_survive_the_json_round_trip(anthropic_client):
    assert text_of(say(anthropic_client, "unicode please")) == UNICODE_REPLY
    assert text_of(say(anthropic_client, "tricky text please")) == TRICKY_REPLY


@pytest.mark.parametrize("model", [CLAUDE, "claude-3-haiku", "sonnet", "claude-my-own:v2 ünïcode"])
def test_the_model_is_echoed_as_sent_not_resolved(anthropic_client, model):
    assert say(anthropic_client, "hello", model=model).model == model


def test_the_id_is_new_for_every_message(anthropic_client):
    first, second = say(anthropic_client, "hello"), say(anthropic_client, "hello")

    assert MESSAGE_ID.match(first.id) and MESSAGE_ID.match(second.id)
    assert first.id != second.id


def test_the_raw_json_body_has_the_messages_api_shape(anthropic_client):
    raw = anthropic_client.messages.with_raw_response.create(model=CLAUDE, max_tokens=MAX_TOKENS, messages=user("hello"))
    body = raw.http_response.json()

    assert raw.http_response.status_code == 200
    assert raw.http_response.headers["content-type"].startswith("application/json")
    assert list(body) == ["id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"]
    assert body["content"] == [{"type": "text", "text": SUITE_RESPONSES["hello"]}]
    assert list(body["usage"]) == ["input_tokens", "output_tokens"]
    assert all(type(v) is int for v in body["usage"].values())
    assert text_of(raw.parse()) == SUITE_RESPONSES["hello"]


def test_usage_counts_grow_with_the_prompt_and_the_reply(anthropic_client):
    short = say(anthropic_client, "hello")
    long = say(anthropic_client, "a long answer please")
    padded = say(anthropic_client, "hello", system="You are a very patient assistant. " * 20)

    assert long.usage.output_tokens > short.usage.output_tokens
    assert padded.usage.input_tokens > short.usage.input_tokens
    assert padded.usage.output_tokens == short.usage.output_tokens


def test_an_unknown_prompt_gets_the_scripts_default_reply(anthropic_client):
    message = say(anthropic_client, "something nobody scripted")

    assert text_of(message) == SUITE_UNKNOWN_REPLY
    assert message.stop_reason == "end_turn"


def test_content_as_text_blocks_is_joined_with_newlines(anthropic_client):
    blocks = [{"type": "text", "text": "first part"}, {"type": "text", "text": "second part"}]

    assert text_of(say(anthropic_client, blocks)) == SUITE_RESPONSES["first part\nsecond part"]


def test_a_single_text_block_matches_like_a_string(anthropic_client):
    assert text_of(say(anthropic_client, [{"type": "text", "text": "hello"}])) == SUITE_RESPONSES["hello"]


def test_non_text_blocks_are_accepted_and_left_out_of_matching(anthropic_client):
    blocks = [
        {"type": "text", "text": "first part"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
        {"type": "text", "text": "second part"},
    ]

    assert text_of(say(anthropic_client, blocks)) == SUITE_RESPONSES["first part\nsecond part"]


def test_system_as_a_string_does_not_change_the_match(anthropic_client):
    message = say(anthropic_client, "hello", system="You are terse.")

    assert text_of(message) == SUITE_RESPONSES["hello"]
    assert message.usage.input_tokens > say(anthropic_client, "hello").usage.input_tokens


def test_system_as_text_blocks_does_not_change_the_match(anthropic_client):
    system = [{"type": "text", "text": "You are terse."}, {"type": "text", "text": "Answer in English."}]

    message = say(anthropic_client, "unicode please", system=system)

    assert text_of(message) == UNICODE_REPLY
    assert message.usage.input_tokens > say(anthropic_client, "unicode please").usage.input_tokens


def test_the_last_user_turn_of_a_conversation_is_the_prompt(anthropic_client):
    message = anthropic_client.messages.create(
        model=CLAUDE,
        max_tokens=MAX_TOKENS,
        messages=[
            {"role": "user", "content": "hello"},
            {"role": "assistant", "content": "Hi."},
            {"role": "user", "content": [{"type": "text", "text": "unicode please"}]},
        ],
    )

    assert text_of(message) == UNICODE_REPLY


def test_a_conversation_ending_with_an_assistant_prefill_still_answers_the_last_user_turn(anthropic_client):
    message = anthropic_client.messages.create(
        model=CLAUDE,
        max_tokens=MAX_TOKENS,
        messages=[{"role": "user", "content": "hello"}, {"role": "assistant", "content": "Well,"}],
    )

    assert text_of(message) == SUITE_RESPONSES["hello"]


def test_parameters_the_mock_does_not_use_are_accepted(anthropic_client):
    # anthropic 2.x has no temperature/top_p/top_k keywords; older clients and raw HTTP send them.
    message = say(
        anthropic_client,
        "hello",
        metadata={"user_id": "u-1"},
        service_tier="auto",
        extra_body={"temperature": 0.2, "top_p": 0.9, "top_k": 5},
    )

    assert text_of(message) == SUITE_RESPONSES["hello"]


# --- request ids -----------------------------------------------------------------------------


def test_the_request_id_header_reaches_the_sdk(anthropic_client):
    raw = anthropic_client.messages.with_raw_response.create(model=CLAUDE, max_tokens=MAX_TOKENS, messages=user("hello"))
    header = raw.http_response.headers["request-id"]
    message = raw.parse()

    assert REQUEST_ID.match(header), header
    assert raw.request_id == header
    assert message._request_id == header


def test_every_message_gets_its_own_request_id(anthropic_client):
    first, second = say(anthropic_client, "hello"), say(anthropic_client, "hello")

    assert REQUEST_ID.match(first._request_id) and REQUEST_ID.match(second._request_id)
    assert first._request_id != second._request_id


# --- max_tokens ------------------------------------------------------------------------------


def test_a_small_max_tokens_cuts_the_reply_with_stop_reason_max_tokens(anthropic_client):
    message = say(anthropic_client, "a long answer please", max_tokens=5)

    text = text_of(message)
    assert message.stop_reason == "max_tokens"
    assert message.stop_sequence is None
    assert text and LONG_REPLY.startswith(text) and len(text) < len(LONG_REPLY)
    assert message.usage.output_tokens == 5


def test_max_tokens_equal_to_the_reply_length_does_not_cut_it(anthropic_client):
    needed = say(anthropic_client, "a long answer please").usage.output_tokens

    exact = say(anthropic_client, "a long answer please", max_tokens=needed)
    one_short = say(anthropic_client, "a long answer please", max_tokens=needed - 1)

    assert (text_of(exact), exact.stop_reason) == (LONG_REPLY, "end_turn")
    assert one_short.stop_reason == "max_tokens"
    assert LONG_REPLY.startswith(text_of(one_short)) and text_of(one_short) != LONG_REPLY
    assert one_short.usage.output_tokens == needed - 1


def test_max_tokens_one_gives_a_non_empty_prefix(anthropic_client):
    message = say(anthropic_client, "unicode please", max_tokens=1)

    assert message.stop_reason == "max_tokens"
    assert text_of(message) and UNICODE_REPLY.startswith(text_of(message))
    assert message.usage.output_tokens == 1


# --- stop_sequences --------------------------------------------------------------------------


def test_a_stop_sequence_cuts_the_reply_before_it(anthropic_client):
    message = say(anthropic_client, "a long answer please", stop_sequences=["lazy"])

    assert text_of(message) == LONG_REPLY[: LONG_REPLY.index("lazy")] == "The quick brown fox jumps over the "
    assert message.stop_reason == "stop_sequence"
    assert message.stop_sequence == "lazy"
    assert 0 < message.usage.output_tokens < say(anthropic_client, "a long answer please").usage.output_tokens


def test_the_stop_sequence_that_comes_first_in_the_text_wins_not_the_first_listed(anthropic_client):
    message = say(anthropic_client, "a long answer please", stop_sequences=["garden", "fox"])

    assert text_of(message) == "The quick brown "
    assert message.stop_sequence == "fox"


def test_a_stop_sequence_that_never_occurs_changes_nothing(anthropic_client):
    message = say(anthropic_client, "a long answer please", stop_sequences=["zebra", "\n\n"])

    assert text_of(message) == LONG_REPLY
    assert message.stop_reason == "end_turn"
    assert message.stop_sequence is None


def test_a_stop_sequence_with_newlines_and_non_ascii_is_matched(anthropic_client):
    tricky = say(anthropic_client, "tricky text please", stop_sequences=["\nsecond"])
    unicode = say(anthropic_client, "unicode please", stop_sequences=["😀"])

    assert text_of(tricky) == TRICKY_REPLY[: TRICKY_REPLY.index("\nsecond")]
    assert text_of(unicode) == "héllo wörld "
    assert unicode.stop_sequence == "😀"


def test_a_stop_sequence_before_the_token_limit_wins_over_max_tokens(anthropic_client):
    message = say(anthropic_client, "a long answer please", stop_sequences=["brown"], max_tokens=10)

    assert text_of(message) == "The quick "
    assert message.stop_reason == "stop_sequence"


def test_a_token_limit_before_the_stop_sequence_wins_over_it(anthropic_client):
    message = say(anthropic_client, "a long answer please", stop_sequences=["garden"], max_tokens=3)

    assert message.stop_reason == "max_tokens"
    assert message.stop_sequence is None
    assert message.usage.output_tokens == 3
    assert "garden" not in text_of(message) and LONG_REPLY.startswith(text_of(message))


# --- the async client ------------------------------------------------------------------------


def test_the_async_client_gets_the_same_messages_concurrently(suite_server):
    prompts = sorted(SUITE_RESPONSES) * 2

    async def main():
        async with make_async_anthropic_client(suite_server.url) as client:
            return await asyncio.gather(
                *(client.messages.create(model=CLAUDE, max_tokens=MAX_TOKENS, messages=user(p)) for p in prompts)
            )

    messages = asyncio.run(main())

    assert [text_of(m) for m in messages] == [SUITE_RESPONSES[p] for p in prompts]
    assert len({m.id for m in messages}) == len(prompts)
    assert len({m._request_id for m in messages}) == len(prompts)
    assert {m.stop_reason for m in messages} == {"end_turn"}


# --- endpoints the SDK has that the mock does not serve ---------------------------------------


def test_the_sdk_can_count_tokens(anthropic_client):
    count = anthropic_client.messages.count_tokens(model=CLAUDE, messages=user("hello"))

    assert count.input_tokens == say(anthropic_client, "hello").usage.input_tokens
