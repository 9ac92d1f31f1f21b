"""`stream: true` Anthropic Messages: the real event protocol, read by the real `anthropic` client
(`messages.stream(...)` and `messages.create(stream=True)`) and once over plain HTTP."""

from __future__ import annotations

import asyncio

import anthropic
import httpx
import pytest

from anthropic_helpers import (
    CLAUDE,
    EVENT_ORDER,
    MAX_TOKENS,
    MESSAGE_ID,
    REQUEST_ID,
    assert_usage,
    collapse_deltas,
    say,
    sse_events,
    text_of,
    user,
)
from conftest import make_anthropic_client, make_async_anthropic_client
from mock_scripts import (
    LONG_REPLY,
    SUITE_RESPONSES,
    SUITE_UNKNOWN_REPLY,
    TRICKY_REPLY,
    UNICODE_REPLY,
    VERY_LONG_REPLY,
    script_yaml,
)

# Not a speed limit: how long a stream may go without sending a byte before it counts as stuck.
STUCK_AFTER_S = 5.0


def stream_text(client: anthropic.Anthropic, prompt, **kwargs) -> tuple[list[str], anthropic.types.Message]:
    """The pieces `text_stream` yields, and `get_final_message()`."""
    kwargs.setdefault("model", CLAUDE)
    kwargs.setdefault("max_tokens", MAX_TOKENS)
    with client.messages.stream(messages=user(prompt), **kwargs) as stream:
        pieces = list(stream.text_stream)
        return pieces, stream.get_final_message()


def test_text_stream_yields_exactly_the_yaml_text(anthropic_client):
    pieces, final = stream_text(anthropic_client, "hello")

    assert "".join(pieces) == SUITE_RESPONSES["hello"]
    assert text_of(final) == SUITE_RESPONSES["hello"]
    assert final.stop_reason == "end_turn"
    assert final.stop_sequence is None
    assert final.model == CLAUDE
    assert final.role == "assistant"
    assert MESSAGE_ID.match(final.id), final.id
    assert_usage(final.usage)
    assert final.usage.output_tokens > 0


@pytest.mark.parametrize("prompt", sorted(SUITE_RESPONSES))
def test_every_reply_of_the_script_streams_byte_for_byte(anthropic_client, prompt):
    pieces, final = stream_text(anthropic_client, prompt)

    assert "".join(pieces) == SUITE_RESPONSES[prompt]
    assert text_of(final) == SUITE_RESPONSES[prompt]


def test_non_ascii_text_streams_one_character_per_delta_including_an_emoji_outside_the_bmp(anthropic_client):
    pieces, _ = stream_text(anthropic_client, "unicode please")

    assert "".join(pieces) == UNICODE_REPLY
    assert pieces == list(UNICODE_REPLY)
    assert "😀" in pieces


def test_quotes_backslashes_and_newlines_stream_intact(anthropic_client):
    pieces, final = stream_text(anthropic_client, "tricky text please")

    assert "".join(pieces) == TRICKY_REPLY
    assert pieces == list(TRICKY_REPLY)
    assert text_of(final) == TRICKY_REPLY


def test_an_unknown_prompt_streams_the_default_reply(anthropic_client):
    pieces, _ = stream_text(anthropic_client, "something nobody scripted")

    assert "".join(pieces) == SUITE_UNKNOWN_REPLY


def test_content_blocks_and_a_system_prompt_work_in_a_stream_too(anthropic_client):
    blocks = [{"type": "text", "text": "first part"}, {"type": "text", "text": "second part"}]

    pieces, final = stream_text(anthropic_client, blocks, system=[{"type": "text", "text": "Be brief."}])

    assert "".join(pieces) == SUITE_RESPONSES["first part\nsecond part"]
    assert final.stop_reason == "end_turn"


@pytest.mark.parametrize("model", [CLAUDE, "haiku", "claude-my-own:v2 ünïcode"])
def test_the_model_is_echoed_as_sent(anthropic_client, model):
    _, final = stream_text(anthropic_client, "hello", model=model)

    assert final.model == model


def test_streamed_usage_matches_the_non_streamed_usage(anthropic_client):
    _, final = stream_text(anthropic_client, "a long answer please", system="Be brief.")
    whole = say(anthropic_client, "a long answer please", system="Be brief.")

    assert final.usage.input_tokens == whole.usage.input_tokens
    assert final.usage.output_tokens == whole.usage.output_tokens


def test_the_stream_carries_a_request_id(anthropic_client):
    with anthropic_client.messages.stream(model=CLAUDE, max_tokens=MAX_TOKENS, messages=user("hello")) as stream:
        header = stream.response.headers["request-id"]
        stream.until_done()
        request_id = stream.request_id

    assert REQUEST_ID.match(header), header
    assert request_id == header


# --- max_tokens and stop_sequences ---------------------------------------------------------


def test_a_small_max_tokens_cuts_the_stream_with_stop_reason_max_tokens(anthropic_client):
    pieces, final = stream_text(anthropic_client, "a long answer please", max_tokens=5)

    text = "".join(pieces)
    assert text and LONG_REPLY.startswith(text) and len(text) < len(LONG_REPLY)
    assert text_of(final) == text == text_of(say(anthropic_client, "a long answer please", max_tokens=5))
    assert final.stop_reason == "max_tokens"
    assert final.stop_sequence is None
    assert final.usage.output_tokens == 5


def test_a_stop_sequence_cuts_the_stream_before_it(anthropic_client):
    pieces, final = stream_text(anthropic_client, "a long answer please", stop_sequences=["lazy"])

    assert "".join(pieces) == "The quick brown fox jumps over the "
    assert text_of(final) == "The quick brown fox jumps over the "
    assert final.stop_reason == "stop_sequence"
    assert final.stop_sequence == "lazy"
    assert final.usage.output_tokens > 0


def test_a_non_ascii_stop_sequence_cuts_the_stream(anthropic_client):
    pieces, final = stream_text(anthropic_client, "unicode please", stop_sequences=["世界", "😀"])

    assert "".join(pieces) == "héllo wörld "
    assert final.stop_sequence == "😀"


def test_a_stop_sequence_at_the_very_start_gives_an_empty_text_block(anthropic_client):
    pieces, final = stream_text(anthropic_client, "a long answer please", stop_sequences=["The quick"])
    whole = say(anthropic_client, "a long answer please", stop_sequences=["The quick"])

    assert pieces == []
    for message in (final, whole):
        assert text_of(message) == ""
        assert (message.stop_reason, message.stop_sequence) == ("stop_sequence", "The quick")
        assert message.usage.output_tokens == 0


# --- the events, through the SDK and on the wire -------------------------------------------


def test_create_with_stream_true_yields_the_raw_events_in_order(anthropic_client):
    with anthropic_client.messages.create(
        model=CLAUDE, max_tokens=MAX_TOKENS, messages=user("hello"), stream=True
    ) as events:
        received = list(events)

    # The SDK drops `ping` itself.
    assert collapse_deltas([e.type for e in received]) == [n for n in EVENT_ORDER if n != "ping"]
    start = received[0].message
    assert start.content == [] and start.stop_reason is None and start.model == CLAUDE
    deltas = [e for e in received if e.type == "content_block_delta"]
    assert all(e.index == 0 and e.delta.type == "text_delta" for e in deltas)
    assert "".join(e.delta.text for e in deltas) == SUITE_RESPONSES["hello"]
    assert len(deltas) == len(SUITE_RESPONSES["hello"])
    message_delta = next(e for e in received if e.type == "message_delta")
    assert message_delta.delta.stop_reason == "end_turn"
    assert message_delta.usage.output_tokens == say(anthropic_client, "hello").usage.output_tokens
    # Cumulative usage, as the API sends it: langchain-anthropic reads streamed input tokens here.
    assert message_delta.usage.input_tokens == start.usage.input_tokens > 0
    assert (message_delta.usage.cache_creation_input_tokens, message_delta.usage.cache_read_input_tokens) == (0, 0)


def test_the_wire_format_is_the_anthropic_event_sequence_without_done(http):
    response = http.post(
        "/v1/messages",
        headers={"anthropic-version": "2023-06-01", "x-api-key": "test"},
        json={"model": CLAUDE, "max_tokens": MAX_TOKENS, "stream": True, "messages": user("tricky text please")},
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert REQUEST_ID.match(response.headers["request-id"])
    assert "[DONE]" not in response.text
    assert "\r" not in response.text
    events = sse_events(response.text)
    names = [name for name, _ in events]
    assert collapse_deltas(names) == EVENT_ORDER
    # Every event is named, has data, and its data's type is its name.
    assert all(name is not None and data is not None and data["type"] == name for name, data in events)

    by_name = dict(events)  # the last of each name
    message = by_name["message_start"]["message"]
    assert list(message) == ["id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"]
    assert MESSAGE_ID.match(message["id"])
    assert (message["type"], message["role"], message["model"]) == ("message", "assistant", CLAUDE)
    assert message["content"] == [] and message["stop_reason"] is None and message["stop_sequence"] is None
    assert message["usage"]["input_tokens"] > 0
    assert by_name["content_block_start"] == {
        "type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}
    }
    deltas = [data for name, data in events if name == "content_block_delta"]
    assert [d["delta"] for d in deltas] == [{"type": "text_delta", "text": c} for c in TRICKY_REPLY]
    assert {d["index"] for d in deltas} == {0}
    assert by_name["content_block_stop"] == {"type": "content_block_stop", "index": 0}
    assert by_name["message_delta"]["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert by_name["message_delta"]["usage"]["output_tokens"] > 0
    # The members and their order as the API writes them (its streaming docs, the SDK's fixtures).
    assert list(by_name["message_delta"]["usage"]) == [
        "input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens"]
    assert by_name["message_delta"]["usage"]["input_tokens"] == message["usage"]["input_tokens"]
    assert by_name["message_stop"] == {"type": "message_stop"}


def test_the_wire_format_of_a_cut_stream_names_the_stop_sequence(http):
    response = http.post(
        "/v1/messages",
        headers={"anthropic-version": "2023-06-01"},
        json={"model": CLAUDE, "max_tokens": MAX_TOKENS, "stream": True, "stop_sequences": ["fox"],
              "messages": user("a long answer please")},
    )

    events = sse_events(response.text)
    assert "".join(d["delta"]["text"] for n, d in events if n == "content_block_delta") == "The quick brown "
    assert dict(events)["message_delta"]["delta"] == {"stop_reason": "stop_sequence", "stop_sequence": "fox"}


def test_a_bad_stream_request_raises_before_any_event(anthropic_client):
    with pytest.raises(anthropic.BadRequestError) as caught:
        with anthropic_client.messages.stream(
            model=CLAUDE, max_tokens=MAX_TOKENS, messages=[{"role": "wizard", "content": "hello"}]
        ) as stream:
            list(stream)

    assert caught.value.body["error"]["type"] == "invalid_request_error"
    assert caught.value.response.headers["content-type"].startswith("application/json")


def test_a_client_that_stops_reading_early_does_not_hurt_the_server(anthropic_client):
    with anthropic_client.messages.stream(
        model=CLAUDE, max_tokens=MAX_TOKENS, messages=user("a long answer please")
    ) as stream:
        assert next(iter(stream)).type == "message_start"

    assert "".join(stream_text(anthropic_client, "hello")[0]) == SUITE_RESPONSES["hello"]


# --- the async client ------------------------------------------------------------------------


def test_the_async_client_streams_the_same_text(suite_server):
    async def main():
        async with make_async_anthropic_client(suite_server.url) as client:
            async with client.messages.stream(
                model=CLAUDE, max_tokens=MAX_TOKENS, messages=user("tricky text please")
            ) as stream:
                pieces = [piece async for piece in stream.text_stream]
                return pieces, await stream.get_final_message()

    pieces, final = asyncio.run(main())

    assert "".join(pieces) == TRICKY_REPLY
    assert text_of(final) == TRICKY_REPLY
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0


def test_many_concurrent_async_streams_each_get_their_own_text(suite_server):
    prompts = sorted(SUITE_RESPONSES) * 3

    async def one(client, prompt):
        async with client.messages.stream(model=CLAUDE, max_tokens=MAX_TOKENS, messages=user(prompt)) as stream:
            return await stream.get_final_message()

    async def main():
        async with make_async_anthropic_client(suite_server.url) as client:
            return await asyncio.gather(*(one(client, p) for p in prompts))

    finals = asyncio.run(main())

    assert [text_of(m) for m in finals] == [SUITE_RESPONSES[p] for p in prompts]
    assert len({m.id for m in finals}) == len(prompts)


# --- a long reply ------------------------------------------------------------------------------


@pytest.fixture
def very_long_anthropic_client(start_server):
    server = start_server(script_yaml({"a very long answer please": VERY_LONG_REPLY}), name="very-long-anthropic")
    with make_anthropic_client(server.url).with_options(timeout=STUCK_AFTER_S) as client:
        yield client


def test_a_very_long_reply_streams_to_the_end(very_long_anthropic_client):
    pieces, final = stream_text(very_long_anthropic_client, "a very long answer please", max_tokens=4096)

    assert "".join(pieces) == VERY_LONG_REPLY
    assert final.stop_reason == "end_turn"
