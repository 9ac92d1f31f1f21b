"""Non-streaming chat completions through the real `openai` client."""

from __future__ import annotations

import asyncio
import time

import openai
import pytest

from chat_helpers import MOCK_ID, MODEL, REQUEST_ID, ask, assert_usage_adds_up, stream, streamed_text, user
from conftest import make_async_client
from mock_scripts import (
    LONG_REPLY,
    SUITE_RESPONSES,
    SUITE_UNKNOWN_REPLY,
    TRICKY_REPLY,
    UNICODE_REPLY,
)


def test_a_scripted_prompt_gets_exactly_the_yaml_text(client):
    completion = ask(client, "hello")

    assert completion.choices[0].message.content == SUITE_RESPONSES["hello"]
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].index == 0
    assert len(completion.choices) == 1
    assert completion.object == "chat.completion"


@pytest.mark.parametrize("prompt", sorted(SUITE_RESPONSES))
def test_every_reply_of_the_script_comes_back_byte_for_byte(client, prompt):
    assert ask(client, prompt).choices[0].message.content == SUITE_RESPONSES[prompt]


def test_non_ascii_and_escaped_text_survive_the_json_round_trip(client):
    assert ask(client, "unicode please").choices[0].message.content == UNICODE_REPLY
    assert ask(client, "tricky text please").choices[0].message.content == TRICKY_REPLY


@pytest.mark.parametrize("model", [MODEL, "gpt-4", "my-own-fine-tune:v2 ünïcode"])
def test_the_model_is_echoed_as_sent(client, model):
    assert ask(client, "hello", model=model).model == model


def test_the_id_starts_with_mock_and_is_new_for_every_completion(client):
    first, second = ask(client, "hello"), ask(client, "hello")

    assert first.id.startswith("mock-")
    assert MOCK_ID.match(first.id), first.id
    assert first.id != second.id


def test_created_is_the_current_unix_time_in_seconds(client):
    before = int(time.time())
    completion = ask(client, "hello")
    after = int(time.time())

    assert type(completion.created) is int
    assert before - 1 <= completion.created <= after + 1


def test_usage_has_integer_counts_and_the_total_is_their_sum(client):
    usage = ask(client, "a long answer please").usage

    assert_usage_adds_up(usage)
    assert usage.completion_tokens > 0


def test_the_raw_json_body_has_the_documented_shape(client):
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=user("hello"))
    body = raw.http_response.json()

    assert raw.http_response.status_code == 200
    assert raw.http_response.headers["content-type"].startswith("application/json")
    assert list(body) == ["id", "object", "created", "model", "choices", "usage"]
    assert body["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": SUITE_RESPONSES["hello"]},
            "finish_reason": "stop",
        }
    ]
    assert raw.parse().choices[0].message.content == SUITE_RESPONSES["hello"]


def test_an_unknown_prompt_gets_the_scripts_default_reply(client):
    completion = ask(client, "something nobody scripted")

    assert completion.choices[0].message.content == SUITE_UNKNOWN_REPLY
    assert completion.choices[0].finish_reason == "stop"


def test_matching_is_exact_so_a_different_case_or_extra_space_is_unknown(client):
    assert ask(client, "Hello").choices[0].message.content == SUITE_UNKNOWN_REPLY
    assert ask(client, "hello ").choices[0].message.content == SUITE_UNKNOWN_REPLY


def test_a_non_ascii_prompt_matches_its_key(client):
    assert ask(client, "héllo 世界?").choices[0].message.content == SUITE_RESPONSES["héllo 世界?"]


def test_content_as_an_array_of_text_parts_is_joined_with_newlines(client):
    parts = [{"type": "text", "text": "first part"}, {"type": "text", "text": "second part"}]

    completion = ask(client, parts)

    assert completion.choices[0].message.content == SUITE_RESPONSES["first part\nsecond part"]


def test_non_text_parts_of_an_array_content_are_ignored_for_matching(client):
    parts = [
        {"type": "text", "text": "first part"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "text", "text": "second part"},
    ]

    assert ask(client, parts).choices[0].message.content == SUITE_RESPONSES["first part\nsecond part"]


def test_a_single_text_part_matches_like_a_plain_string(client):
    assert ask(client, [{"type": "text", "text": "hello"}]).choices[0].message.content == SUITE_RESPONSES["hello"]


def test_the_last_user_message_is_the_prompt_and_other_roles_are_ignored(client):
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "hello"},
            {"role": "user", "content": "hello"},
            {"role": "assistant", "content": "Hi there."},
            {"role": "user", "content": "unicode please"},
            {"role": "assistant", "content": "hello"},
        ],
    )

    assert completion.choices[0].message.content == UNICODE_REPLY


def test_a_developer_message_and_an_assistant_tool_call_are_accepted(client):
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "developer", "content": "Answer briefly."},
            {"role": "user", "content": "what is the weather?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            {"role": "user", "content": "hello"},
        ],
    )

    assert completion.choices[0].message.content == SUITE_RESPONSES["hello"]


def test_parameters_the_mock_does_not_use_are_accepted(client):
    completion = ask(
        client,
        "hello",
        temperature=0.2,
        top_p=0.9,
        n=1,
        seed=7,
        stop=["\n\n"],
        presence_penalty=0.1,
        frequency_penalty=0.1,
        user="sdk-suite",
        metadata={"suite": "sdk"},
    )

    assert completion.choices[0].message.content == SUITE_RESPONSES["hello"]


def test_a_small_max_tokens_cuts_the_reply_with_finish_reason_length(client):
    completion = ask(client, "a long answer please", max_tokens=5)
    text = completion.choices[0].message.content

    assert completion.choices[0].finish_reason == "length"
    assert text and LONG_REPLY.startswith(text) and len(text) < len(LONG_REPLY)
    assert completion.usage.completion_tokens == 5
    assert_usage_adds_up(completion.usage)


def test_max_completion_tokens_cuts_the_reply_like_max_tokens(client):
    by_new_name = ask(client, "a long answer please", max_completion_tokens=5)
    by_old_name = ask(client, "a long answer please", max_tokens=5)

    assert by_new_name.choices[0].finish_reason == "length"
    assert by_new_name.choices[0].message.content == by_old_name.choices[0].message.content


def test_a_max_tokens_larger_than_the_reply_changes_nothing(client):
    completion = ask(client, "a long answer please", max_tokens=10_000)

    assert completion.choices[0].message.content == LONG_REPLY
    assert completion.choices[0].finish_reason == "stop"


def test_a_cut_stream_and_a_cut_reply_agree(client):
    reply = ask(client, "a long answer please", max_tokens=7)
    chunks = stream(client, "a long answer please", max_tokens=7)

    assert streamed_text(chunks) == reply.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"


def test_the_async_client_gets_the_same_replies(suite_server):
    async def main():
        async with make_async_client(suite_server.url) as client:
            single = await client.chat.completions.create(model=MODEL, messages=user("unicode please"))
            prompts = sorted(SUITE_RESPONSES)
            many = await asyncio.gather(
                *(client.chat.completions.create(model=MODEL, messages=user(p)) for p in prompts)
            )
            return single, prompts, many

    single, prompts, many = asyncio.run(main())

    assert single.choices[0].message.content == UNICODE_REPLY
    assert single.model == MODEL
    assert_usage_adds_up(single.usage)
    assert [c.choices[0].message.content for c in many] == [SUITE_RESPONSES[p] for p in prompts]
    assert len({c.id for c in many}) == len(many)


def test_replies_carry_an_x_request_id_that_the_sdk_reads(client):
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=user("hello"))
    header = raw.http_response.headers["x-request-id"]
    completion = raw.parse()

    assert REQUEST_ID.match(header), header
    assert raw.request_id == header
    assert completion._request_id == header
    assert "request-id" not in raw.http_response.headers  # that one is Anthropic's


def test_every_completion_gets_its_own_request_id(client):
    first, second = ask(client, "hello"), ask(client, "hello")

    assert REQUEST_ID.match(first._request_id) and REQUEST_ID.match(second._request_id)
    assert first._request_id != second._request_id


def test_streams_and_errors_carry_an_x_request_id_too(client):
    with client.chat.completions.create(model=MODEL, messages=user("hello"), stream=True) as chunks:
        stream_id = chunks.response.headers["x-request-id"]
        list(chunks)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=[])

    assert REQUEST_ID.match(stream_id), stream_id
    assert REQUEST_ID.match(caught.value.request_id), caught.value.request_id
    assert caught.value.request_id == caught.value.response.headers["x-request-id"]
