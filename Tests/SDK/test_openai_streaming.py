"""`stream=True` chat completions: server-sent events read by the real `openai` client."""

from __future__ import annotations

import asyncio
import json

import openai
import pytest

from chat_helpers import (
    MODEL,
    ask,
    assert_one_stream,
    assert_usage_adds_up,
    finish_reasons,
    stream,
    streamed_text,
    user,
)
from conftest import make_async_client, make_client
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


def test_a_stream_reassembles_exactly_the_yaml_text(client):
    chunks = stream(client, "hello")

    assert streamed_text(chunks) == SUITE_RESPONSES["hello"]
    assert_one_stream(chunks, model=MODEL)


@pytest.mark.parametrize("prompt", sorted(SUITE_RESPONSES))
def test_every_reply_of_the_script_streams_byte_for_byte(client, prompt):
    chunks = stream(client, prompt)

    assert streamed_text(chunks) == SUITE_RESPONSES[prompt]
    assert_one_stream(chunks, model=MODEL)


def test_non_ascii_text_streams_intact_including_an_emoji_outside_the_bmp(client):
    chunks = stream(client, "unicode please")

    assert streamed_text(chunks) == "héllo wörld 😀 世界" == UNICODE_REPLY
    assert any(chunk.choices and chunk.choices[0].delta.content == "😀" for chunk in chunks)


def test_quotes_backslashes_and_newlines_stream_intact(client):
    assert streamed_text(stream(client, "tricky text please")) == TRICKY_REPLY


def test_an_unknown_prompt_streams_the_default_reply(client):
    assert streamed_text(stream(client, "nobody scripted this")) == SUITE_UNKNOWN_REPLY


def test_content_parts_work_in_a_stream_too(client):
    parts = [{"type": "text", "text": "first part"}, {"type": "text", "text": "second part"}]

    assert streamed_text(stream(client, parts)) == SUITE_RESPONSES["first part\nsecond part"]


def test_every_chunk_of_a_stream_has_the_same_id_and_streams_differ(client):
    first, second = stream(client, "hello"), stream(client, "hello")

    assert len({chunk.id for chunk in first}) == 1
    assert len({chunk.id for chunk in second}) == 1
    assert first[0].id != second[0].id
    assert first[0].id.startswith("mock-")


def test_exactly_one_chunk_has_finish_reason_stop(client):
    chunks = stream(client, "a long answer please")

    assert finish_reasons(chunks) == ["stop"]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].choices[0].delta.content is None


def test_the_first_chunk_carries_the_role_and_no_text(client):
    first = stream(client, "hello")[0]

    assert first.choices[0].delta.role == "assistant"
    assert not first.choices[0].delta.content


def test_the_model_is_echoed_in_every_chunk(client):
    chunks = stream(client, "hello", model="some-other-model")

    assert {chunk.model for chunk in chunks} == {"some-other-model"}


def test_without_stream_options_no_chunk_carries_usage(client):
    chunks = stream(client, "hello")

    assert all(chunk.usage is None for chunk in chunks)
    assert all(chunk.choices for chunk in chunks)


def test_include_usage_adds_a_final_chunk_with_usage_and_no_choices(client):
    chunks = stream(client, "a long answer please", stream_options={"include_usage": True})
    *content_chunks, last = chunks

    assert last.choices == []
    assert_usage_adds_up(last.usage)
    assert all(chunk.usage is None for chunk in content_chunks)
    assert streamed_text(chunks) == LONG_REPLY
    assert last.id == chunks[0].id


def test_streamed_usage_matches_the_non_streamed_usage(client):
    chunks = stream(client, "a long answer please", stream_options={"include_usage": True})
    completion = ask(client, "a long answer please")

    assert chunks[-1].usage.model_dump() == completion.usage.model_dump()


def test_include_usage_false_is_like_no_stream_options(client):
    chunks = stream(client, "hello", stream_options={"include_usage": False})

    assert all(chunk.usage is None for chunk in chunks)
    assert streamed_text(chunks) == SUITE_RESPONSES["hello"]


def test_a_small_max_tokens_cuts_the_stream_with_finish_reason_length(client):
    chunks = stream(client, "a long answer please", max_tokens=5, stream_options={"include_usage": True})
    text = streamed_text(chunks)

    assert_one_stream(chunks, model=MODEL, finish_reason="length")
    assert text and LONG_REPLY.startswith(text) and len(text) < len(LONG_REPLY)
    assert chunks[-1].usage.completion_tokens == 5


def test_the_sdk_stream_helper_accumulates_the_final_completion(client):
    with client.chat.completions.stream(model=MODEL, messages=user("unicode please")) as events:
        deltas = [event.delta for event in events if event.type == "content.delta"]
        final = events.get_final_completion()

    assert "".join(deltas) == UNICODE_REPLY
    assert final.choices[0].message.content == UNICODE_REPLY
    assert final.choices[0].message.role == "assistant"
    assert final.choices[0].finish_reason == "stop"
    assert final.model == MODEL


def test_the_wire_format_is_server_sent_events_ending_with_done(client):
    with client.chat.completions.with_streaming_response.create(
        model=MODEL, messages=user("hello"), stream=True
    ) as response:
        content_type = response.headers["content-type"]
        lines = list(response.iter_lines())

    assert content_type.startswith("text/event-stream")
    events = [line for line in lines if line]
    assert all(line.startswith("data: ") for line in events)
    assert events[-1] == "data: [DONE]"
    payloads = [json.loads(line[len("data: "):]) for line in events[:-1]]
    assert [p["object"] for p in payloads] == ["chat.completion.chunk"] * len(payloads)


def test_a_client_that_stops_reading_early_does_not_hurt_the_server(client):
    with client.chat.completions.create(model=MODEL, messages=user("a long answer please"), stream=True) as chunks:
        first = next(iter(chunks))
        assert first.choices[0].delta.role == "assistant"

    assert streamed_text(stream(client, "hello")) == SUITE_RESPONSES["hello"]


def test_the_async_client_streams_the_same_text(suite_server):
    async def main():
        async with make_async_client(suite_server.url) as client:
            chunks = []
            response = await client.chat.completions.create(
                model=MODEL, messages=user("tricky text please"), stream=True, stream_options={"include_usage": True}
            )
            async for chunk in response:
                chunks.append(chunk)
            return chunks

    chunks = asyncio.run(main())

    assert streamed_text(chunks) == TRICKY_REPLY
    assert chunks[-1].choices == []
    assert_usage_adds_up(chunks[-1].usage)
    assert len({chunk.id for chunk in chunks}) == 1


def test_many_concurrent_async_streams_each_get_their_own_text(suite_server):
    prompts = sorted(SUITE_RESPONSES) * 3

    async def one(client, prompt):
        response = await client.chat.completions.create(model=MODEL, messages=user(prompt), stream=True)
        return [chunk async for chunk in response]

    async def main():
        async with make_async_client(suite_server.url) as client:
            return await asyncio.gather(*(one(client, p) for p in prompts))

    results = asyncio.run(main())

    assert [streamed_text(chunks) for chunks in results] == [SUITE_RESPONSES[p] for p in prompts]
    assert len({chunks[0].id for chunks in results}) == len(prompts)


@pytest.fixture
def very_long_client(start_server):
    server = start_server(script_yaml({"a very long answer please": VERY_LONG_REPLY}), name="very-long")
    with make_client(server.url).with_options(timeout=STUCK_AFTER_S) as client:
        yield client


def test_a_very_long_reply_comes_back_whole_without_streaming(very_long_client):
    assert ask(very_long_client, "a very long answer please").choices[0].message.content == VERY_LONG_REPLY


def test_a_very_long_reply_streams_to_the_end(very_long_client):
    chunks = stream(very_long_client, "a very long answer please")

    assert streamed_text(chunks) == VERY_LONG_REPLY
    assert_one_stream(chunks, model=MODEL)
