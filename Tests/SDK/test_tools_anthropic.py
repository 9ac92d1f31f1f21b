"""Tool use through the real `anthropic` client: scripted `tool_calls:` replies as `tool_use`
blocks (non-stream, `messages.stream(...)`, raw events and the wire), rules on tool results, and
automatic mode with each `tool_choice`."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import pytest

from anthropic_helpers import CLAUDE, MAX_TOKENS, assert_usage, sse_events, text_of, user
from conftest import make_anthropic_client
from tool_helpers import (
    ANTHROPIC_TOOL_USE_ID,
    ANTHROPIC_TOOLS,
    AUTO_SCRIPT,
    AUTO_UNKNOWN_REPLY,
    FIXED_ID,
    SEARCH_TOOL_ANTHROPIC,
    TIME_ARGS,
    TOOL_ORDER,
    TOOLS_SCRIPT,
    TOOLS_UNKNOWN_REPLY,
    TRICKY_ARGS,
    UNRELATED_PROMPT,
    WEATHER_ARGS,
    WEATHER_PROMPT,
    anthropic_assistant_turn,
    anthropic_tool_exchange,
    assert_valid_arguments,
    auto_reply_text,
)

CHUNKINGS = ["word", "token", "character", "characters:8"]
ONE_CALL = "one call please"
TWO_CALLS = "two calls please"
# prompt -> the content the rule scripts, as (type, text or (name, input)) in order
SCRIPTED_CONTENT = {
    ONE_CALL: [("tool_use", ("get_weather", WEATHER_ARGS))],
    "text first please": [("text", "Let me check."), ("tool_use", ("get_weather", WEATHER_ARGS))],
    TWO_CALLS: [("tool_use", ("get_weather", WEATHER_ARGS)), ("tool_use", ("get_time", TIME_ARGS))],
    "both": [
        ("text", "First."),
        ("tool_use", ("get_time", {"zone": "UTC"})),
        ("text", "Second."),
        ("tool_use", ("get_weather", {"city": "Oslo", "unit": "f"})),
    ],
}
HEADERS = {"anthropic-version": "2023-06-01", "x-api-key": "test"}


@pytest.fixture(scope="module")
def tools_server(session_pool):
    return session_pool.start(TOOLS_SCRIPT, name="tools-anthropic")


@pytest.fixture(scope="module")
def auto_server(session_pool):
    return session_pool.start(AUTO_SCRIPT, name="auto-tools-anthropic")


@pytest.fixture
def an(tools_server):
    with make_anthropic_client(tools_server.url) as client:
        yield client
    tools_server.assert_alive()


@pytest.fixture
def auto(auto_server):
    with make_anthropic_client(auto_server.url) as client:
        yield client
    auto_server.assert_alive()


@pytest.fixture
def wire(tools_server):
    with httpx.Client(base_url=tools_server.url, timeout=30.0) as c:
        yield c
    tools_server.assert_alive()


def use(client: anthropic.Anthropic, prompt: Any, **kwargs: Any):
    """One non-stream request offering the tools (`messages=` replaces the one-turn conversation)."""
    kwargs.setdefault("model", CLAUDE)
    kwargs.setdefault("max_tokens", MAX_TOKENS)
    kwargs.setdefault("tools", ANTHROPIC_TOOLS)
    kwargs.setdefault("messages", user(prompt))
    return client.messages.create(**kwargs)


def use_streaming(client: anthropic.Anthropic, prompt: Any, **kwargs: Any):
    """`messages.stream(...)`: every event, and `get_final_message()`."""
    kwargs.setdefault("model", CLAUDE)
    kwargs.setdefault("max_tokens", MAX_TOKENS)
    kwargs.setdefault("tools", ANTHROPIC_TOOLS)
    kwargs.setdefault("messages", user(prompt))
    with client.messages.stream(**kwargs) as stream:
        events = list(stream)
        return events, stream.get_final_message()


def content_of(message) -> list[tuple[str, Any]]:
    """The content blocks of a message as (type, text or (name, input))."""
    out: list[tuple[str, Any]] = []
    for block in message.content:
        if block.type == "text":
            out.append(("text", block.text))
        elif block.type == "tool_use":
            out.append(("tool_use", (block.name, block.input)))
        else:
            raise AssertionError(f"unexpected block {block.type}")
    return out


def tool_uses(message) -> list:
    return [block for block in message.content if block.type == "tool_use"]


def chunking_header(chunking: str) -> dict[str, str]:
    return {"x-mockllm-chunking": chunking}


# --- non-stream ---------------------------------------------------------------------------------


def test_a_scripted_call_comes_back_as_a_tool_use_block(an):
    message = use(an, ONE_CALL)

    [block] = message.content
    assert block.type == "tool_use"
    assert ANTHROPIC_TOOL_USE_ID.match(block.id), block.id
    assert block.name == "get_weather"
    assert block.input == WEATHER_ARGS
    assert message.stop_reason == "tool_use"
    assert message.stop_sequence is None
    assert message.role == "assistant" and message.model == CLAUDE
    assert_usage(message.usage)
    assert message.usage.output_tokens > 0


@pytest.mark.parametrize("prompt", sorted(SCRIPTED_CONTENT))
def test_scripted_content_keeps_its_blocks_in_order(an, prompt):
    message = use(an, prompt)

    assert content_of(message) == SCRIPTED_CONTENT[prompt]
    assert message.stop_reason == "tool_use"


def test_parallel_calls_get_distinct_ids(an):
    ids = [block.id for block in tool_uses(use(an, TWO_CALLS))]

    assert len(set(ids)) == 2
    assert all(ANTHROPIC_TOOL_USE_ID.match(i) for i in ids), ids


def test_arguments_scripted_as_a_json_string_arrive_as_an_object(an):
    time_block = tool_uses(use(an, TWO_CALLS))[1]

    assert time_block.name == "get_time"
    assert time_block.input == {"zone": "CET"}


def test_a_scripted_id_is_kept(an):
    [block] = tool_uses(use(an, "fixed id please"))

    assert block.id == FIXED_ID
    assert (block.name, block.input) == ("get_time", TIME_ARGS)


def test_generated_ids_differ_between_requests(an):
    assert tool_uses(use(an, ONE_CALL))[0].id != tool_uses(use(an, ONE_CALL))[0].id


def test_nested_escaped_and_non_ascii_input_round_trips(an):
    message = use(an, "tricky arguments please", tools=[SEARCH_TOOL_ANTHROPIC])

    assert content_of(message) == [("tool_use", ("search", TRICKY_ARGS))]


# --- messages.stream(...) -----------------------------------------------------------------------


@pytest.mark.parametrize("chunking", CHUNKINGS)
@pytest.mark.parametrize("prompt", sorted(SCRIPTED_CONTENT))
def test_the_stream_gives_the_same_content_as_create(an, prompt, chunking):
    events, final = use_streaming(an, prompt, extra_headers=chunking_header(chunking))

    assert content_of(final) == SCRIPTED_CONTENT[prompt] == content_of(use(an, prompt))
    assert final.stop_reason == "tool_use"
    assert final.usage.output_tokens > 0
    assert all(ANTHROPIC_TOOL_USE_ID.match(block.id) for block in tool_uses(final))
    # Every tool_use block's JSON arrives through input_json events.
    stops = [e for e in events if e.type == "content_block_stop"]
    assert [e.content_block.type for e in stops] == [kind for kind, _ in SCRIPTED_CONTENT[prompt]]
    inputs = [e for e in events if e.type == "input_json"]
    assert len(inputs) >= len(tool_uses(final))


@pytest.mark.parametrize("chunking", CHUNKINGS)
def test_input_json_events_rebuild_escaped_input_split_anywhere(an, chunking):
    events, final = use_streaming(
        an, "tricky arguments please", tools=[SEARCH_TOOL_ANTHROPIC], extra_headers=chunking_header(chunking)
    )

    inputs = [e for e in events if e.type == "input_json"]
    assert inputs[0].partial_json == ""
    assert json.loads("".join(e.partial_json for e in inputs)) == TRICKY_ARGS
    assert inputs[-1].snapshot == TRICKY_ARGS
    assert content_of(final) == [("tool_use", ("search", TRICKY_ARGS))]


@pytest.mark.parametrize("chunking", ["character", "characters:8"])
def test_raw_events_stream_each_tool_use_block_in_turn(an, chunking):
    with an.messages.create(
        model=CLAUDE, max_tokens=MAX_TOKENS, messages=user(TWO_CALLS), tools=ANTHROPIC_TOOLS, stream=True,
        extra_headers=chunking_header(chunking),
    ) as stream:
        received = list(stream)

    starts = [e for e in received if e.type == "content_block_start"]
    assert [e.index for e in starts] == [0, 1]
    for start, (name, args) in zip(starts, [("get_weather", WEATHER_ARGS), ("get_time", TIME_ARGS)]):
        block = start.content_block
        assert block.type == "tool_use" and block.name == name and block.input == {}
        assert ANTHROPIC_TOOL_USE_ID.match(block.id), block.id
        deltas = [e.delta for e in received if e.type == "content_block_delta" and e.index == start.index]
        assert all(d.type == "input_json_delta" for d in deltas)
        first, *fragments = [d.partial_json for d in deltas]
        assert first == ""
        assert fragments and all(fragments)
        if chunking == "character":
            assert all(len(f) == 1 for f in fragments), fragments
        else:
            assert all(len(f) == 8 for f in fragments[:-1]) and 1 <= len(fragments[-1]) <= 8, fragments
        assert json.loads("".join(fragments)) == args
    # Block 0 is stopped before block 1 starts.
    kinds = [(e.type, getattr(e, "index", None)) for e in received]
    assert kinds.index(("content_block_stop", 0)) < kinds.index(("content_block_start", 1))
    message_delta = next(e for e in received if e.type == "message_delta")
    assert message_delta.delta.stop_reason == "tool_use"
    assert message_delta.usage.output_tokens > 0


def test_the_wire_starts_tool_use_with_empty_input_then_input_json_deltas(wire):
    response = wire.post(
        "/v1/messages",
        headers=HEADERS,
        json={"model": CLAUDE, "max_tokens": MAX_TOKENS, "stream": True, "messages": user("text first please"),
              "tools": ANTHROPIC_TOOLS},
    )

    assert response.status_code == 200
    events = sse_events(response.text)
    assert all(data["type"] == name for name, data in events)
    starts = [data for name, data in events if name == "content_block_start"]
    assert [s["index"] for s in starts] == [0, 1]
    assert starts[0]["content_block"] == {"type": "text", "text": ""}
    tool_block = starts[1]["content_block"]
    assert (tool_block["type"], tool_block["name"], tool_block["input"]) == ("tool_use", "get_weather", {})
    assert ANTHROPIC_TOOL_USE_ID.match(tool_block["id"])
    deltas = [data for name, data in events if name == "content_block_delta"]
    assert "".join(d["delta"]["text"] for d in deltas if d["index"] == 0) == "Let me check."
    json_deltas = [d["delta"] for d in deltas if d["index"] == 1]
    assert all(set(d) == {"type", "partial_json"} and d["type"] == "input_json_delta" for d in json_deltas)
    assert json_deltas[0]["partial_json"] == ""
    assert json.loads("".join(d["partial_json"] for d in json_deltas)) == WEATHER_ARGS
    stops = [data for name, data in events if name == "content_block_stop"]
    assert stops == [{"type": "content_block_stop", "index": 0}, {"type": "content_block_stop", "index": 1}]
    by_name = dict(events)
    assert by_name["message_delta"]["delta"] == {"stop_reason": "tool_use", "stop_sequence": None}
    assert by_name["message_delta"]["usage"]["output_tokens"] > 0
    assert events[-1] == ("message_stop", {"type": "message_stop"})


# --- rules on tool results ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, result, expected",
    [
        ("get_weather", "15 degrees", "It is 15 degrees in Paris."),
        ("get_weather", "light rain", "The weather tool answered."),
        ("get_time", "12:00", "Some tool answered."),
    ],
)
def test_a_tool_result_rule_answers_the_follow_up(an, name, result, expected):
    args = WEATHER_ARGS if name == "get_weather" else TIME_ARGS
    messages = anthropic_tool_exchange(ONE_CALL, [("toolu_01abc", name, args, result)])

    message = use(an, None, messages=messages)

    assert text_of(message) == expected
    assert message.stop_reason == "end_turn"


def test_the_follow_up_to_a_real_call_is_matched_by_its_tool_result(an):
    first = use(an, "text first please")
    [block] = tool_uses(first)
    messages = user("text first please") + [
        anthropic_assistant_turn(first),
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": block.id, "content": "15 degrees"}]},
    ]

    _, final = use_streaming(an, None, messages=messages)

    assert text_of(final) == "It is 15 degrees in Paris."
    assert final.stop_reason == "end_turn"


# --- automatic mode -----------------------------------------------------------------------------


def test_without_automatic_mode_an_unscripted_prompt_gets_the_default_text(an):
    message = use(an, WEATHER_PROMPT)

    assert text_of(message) == TOOLS_UNKNOWN_REPLY
    assert message.stop_reason == "end_turn"


def test_the_auto_tools_header_turns_on_automatic_mode_for_one_request(an):
    message = use(an, WEATHER_PROMPT, extra_headers={"x-mockllm-auto-tools": "true"})

    [block] = tool_uses(message)
    assert block.name == "get_weather"
    assert_valid_arguments("get_weather", block.input)
    assert message.stop_reason == "tool_use"


def test_a_rule_replying_tool_calls_auto_generates_the_input(an):
    [block] = tool_uses(use(an, f"agent: {WEATHER_PROMPT}"))

    assert block.name == "get_weather"
    assert_valid_arguments("get_weather", block.input)


def test_automatic_mode_calls_the_tool_sharing_most_words_with_the_prompt(auto):
    message = use(auto, WEATHER_PROMPT)

    [block] = tool_uses(message)
    assert block.name == "get_weather"
    assert ANTHROPIC_TOOL_USE_ID.match(block.id), block.id
    assert_valid_arguments("get_weather", block.input)
    assert message.stop_reason == "tool_use"


def test_automatic_mode_takes_the_first_offered_tool_when_no_words_are_shared(auto):
    [block] = tool_uses(use(auto, UNRELATED_PROMPT))

    assert block.name == TOOL_ORDER[0]
    assert_valid_arguments(TOOL_ORDER[0], block.input)


def test_automatic_mode_needs_offered_tools(auto):
    message = auto.messages.create(model=CLAUDE, max_tokens=MAX_TOKENS, messages=user(WEATHER_PROMPT))

    assert text_of(message) == AUTO_UNKNOWN_REPLY


@pytest.mark.parametrize("chunking", CHUNKINGS)
def test_automatic_mode_streams_the_generated_input(auto, chunking):
    events, final = use_streaming(auto, WEATHER_PROMPT, extra_headers=chunking_header(chunking))

    [block] = tool_uses(final)
    assert block.name == "get_weather"
    args = assert_valid_arguments("get_weather", block.input)
    inputs = [e for e in events if e.type == "input_json"]
    assert json.loads("".join(e.partial_json for e in inputs)) == args
    assert final.stop_reason == "tool_use"


def test_tool_choice_none_answers_with_text(auto):
    message = use(auto, WEATHER_PROMPT, tool_choice={"type": "none"})

    assert text_of(message) == AUTO_UNKNOWN_REPLY
    assert message.stop_reason == "end_turn"


def test_tool_choice_tool_calls_that_tool(auto):
    message = use(auto, WEATHER_PROMPT, tool_choice={"type": "tool", "name": "get_time"})

    assert [block.type for block in message.content] == ["tool_use"]
    [block] = tool_uses(message)
    assert block.name == "get_time"
    assert_valid_arguments("get_time", block.input)
    assert message.stop_reason == "tool_use"


def test_tool_choice_any_calls_a_tool_even_after_a_tool_result(auto):
    messages = anthropic_tool_exchange(WEATHER_PROMPT, [("toolu_01abc", "get_weather", WEATHER_ARGS, "15 degrees")])

    message = use(auto, None, messages=messages, tool_choice={"type": "any"})

    [block] = tool_uses(message)
    assert block.name in TOOL_ORDER
    assert_valid_arguments(block.name, block.input)
    assert message.stop_reason == "tool_use"


@pytest.mark.parametrize("tool_choice", [None, {"type": "auto"}])
def test_after_a_tool_result_automatic_mode_answers_with_the_result(auto, tool_choice):
    messages = anthropic_tool_exchange(WEATHER_PROMPT, [("toolu_01abc", "get_weather", WEATHER_ARGS, "15 degrees")])
    extra = {} if tool_choice is None else {"tool_choice": tool_choice}

    message = use(auto, None, messages=messages, **extra)

    assert text_of(message) == "The get_weather tool returned: 15 degrees"
    assert message.stop_reason == "end_turn"


def test_after_several_tool_results_automatic_mode_names_each(auto):
    messages = anthropic_tool_exchange(
        WEATHER_PROMPT,
        [("toolu_01a", "get_weather", WEATHER_ARGS, "15 degrees"), ("toolu_01b", "get_time", TIME_ARGS, "12:00")],
    )

    message = use(auto, None, messages=messages)

    assert text_of(message) == auto_reply_text([("get_weather", "15 degrees"), ("get_time", "12:00")])
