"""Tool calls through the real `openai` client: scripted `tool_calls:` replies (non-stream, the
`chat.completions.stream` helper, raw chunks and the wire), the legacy `functions` shape, rules on
tool results, and automatic mode with each `tool_choice`."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

from chat_helpers import MODEL, assert_one_stream, assert_usage_adds_up, finish_reasons, streamed_text, user
from conftest import make_client
from tool_helpers import (
    AUTO_SCRIPT,
    AUTO_UNKNOWN_REPLY,
    FIXED_ID,
    OPENAI_CALL_ID,
    OPENAI_FUNCTIONS,
    OPENAI_STRICT_TOOLS,
    OPENAI_TOOLS,
    SEARCH_TOOL_OPENAI,
    SEARCH_TOOL_OPENAI_STRICT,
    TIME_ARGS,
    TOOL_ORDER,
    TOOLS_SCRIPT,
    TOOLS_UNKNOWN_REPLY,
    TRICKY_ARGS,
    UNRELATED_PROMPT,
    WEATHER_ARGS,
    WEATHER_PROMPT,
    GetTime,
    GetWeather,
    assert_valid_arguments,
    auto_reply_text,
    openai_assistant_turn,
    openai_tool_exchange,
)

CHUNKINGS = ["word", "token", "character", "characters:8"]
PYDANTIC_TOOLS = [
    openai.pydantic_function_tool(GetTime, name="get_time"),
    openai.pydantic_function_tool(GetWeather, name="get_weather"),
]
# prompt -> the calls its rule scripts, in order: (name, arguments)
ONE_CALL = "one call please"
TWO_CALLS = "two calls please"
SCRIPTED_CALLS = {
    ONE_CALL: [("get_weather", WEATHER_ARGS)],
    TWO_CALLS: [("get_weather", WEATHER_ARGS), ("get_time", TIME_ARGS)],
}


@pytest.fixture(scope="module")
def tools_server(session_pool):
    return session_pool.start(TOOLS_SCRIPT, name="tools-openai")


@pytest.fixture(scope="module")
def auto_server(session_pool):
    return session_pool.start(AUTO_SCRIPT, name="auto-tools-openai")


@pytest.fixture
def oa(tools_server):
    with make_client(tools_server.url) as client:
        yield client
    tools_server.assert_alive()


@pytest.fixture
def auto(auto_server):
    with make_client(auto_server.url) as client:
        yield client
    auto_server.assert_alive()


@pytest.fixture
def wire(tools_server):
    """Plain HTTP on the tools server, to see exactly which keys each chunk carries."""
    with httpx.Client(base_url=tools_server.url, timeout=30.0) as c:
        yield c
    tools_server.assert_alive()


def call(client: openai.OpenAI, prompt: str, **kwargs: Any):
    kwargs.setdefault("model", MODEL)
    kwargs.setdefault("tools", OPENAI_TOOLS)
    return client.chat.completions.create(messages=user(prompt), **kwargs)


def stream_chunks(client: openai.OpenAI, prompt: str, **kwargs: Any) -> list:
    kwargs.setdefault("model", MODEL)
    kwargs.setdefault("tools", OPENAI_TOOLS)
    with client.chat.completions.create(messages=user(prompt), stream=True, **kwargs) as chunks:
        return list(chunks)


def chunking_header(chunking: str) -> dict[str, str]:
    return {"x-mockllm-chunking": chunking}


def calls_of(message) -> list[tuple[str, Any]]:
    """(name, decoded arguments) of each tool call of a message, in order."""
    return [(c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls or []]


def tool_deltas(chunks) -> list:
    """Every tool-call delta of a stream, in order."""
    return [tc for chunk in chunks for choice in chunk.choices for tc in (choice.delta.tool_calls or [])]


def assert_fragments_follow(chunking: str, fragments: list[str]) -> None:
    """The argument fragments after a call's first delta follow the requested chunking."""
    assert fragments, "the arguments came in no fragment after the call's first delta"
    assert all(fragments), f"empty argument fragment: {fragments!r}"
    if chunking == "character":
        assert all(len(f) == 1 for f in fragments), fragments
    elif chunking == "characters:8":
        assert all(len(f) == 8 for f in fragments[:-1]), fragments
        assert 1 <= len(fragments[-1]) <= 8, fragments


# --- non-stream ---------------------------------------------------------------------------------


def test_a_scripted_call_comes_back_as_tool_calls_with_null_content(oa):
    completion = call(oa, ONE_CALL)
    choice = completion.choices[0]

    assert choice.finish_reason == "tool_calls"
    assert choice.message.role == "assistant"
    assert choice.message.content is None
    assert choice.message.function_call is None
    [tool_call] = choice.message.tool_calls
    assert OPENAI_CALL_ID.match(tool_call.id), tool_call.id
    assert tool_call.type == "function"
    assert tool_call.function.name == "get_weather"
    assert isinstance(tool_call.function.arguments, str)
    assert json.loads(tool_call.function.arguments) == WEATHER_ARGS
    assert_usage_adds_up(completion.usage)
    assert completion.usage.completion_tokens > 0


def test_text_before_the_calls_is_the_content(oa):
    choice = call(oa, "text first please").choices[0]

    assert choice.message.content == "Let me check."
    assert calls_of(choice.message) == [("get_weather", WEATHER_ARGS)]
    assert choice.finish_reason == "tool_calls"


def test_parallel_calls_keep_their_order_and_get_distinct_ids(oa):
    message = call(oa, TWO_CALLS).choices[0].message

    assert calls_of(message) == SCRIPTED_CALLS[TWO_CALLS]
    ids = [c.id for c in message.tool_calls]
    assert len(set(ids)) == 2
    assert all(OPENAI_CALL_ID.match(i) for i in ids), ids


def test_arguments_scripted_as_a_json_string_arrive_as_that_object(oa):
    message = call(oa, TWO_CALLS).choices[0].message

    assert message.tool_calls[1].function.name == "get_time"
    assert json.loads(message.tool_calls[1].function.arguments) == {"zone": "CET"}


def test_a_scripted_id_is_kept(oa):
    [tool_call] = call(oa, "fixed id please").choices[0].message.tool_calls

    assert tool_call.id == FIXED_ID
    assert (tool_call.function.name, json.loads(tool_call.function.arguments)) == ("get_time", TIME_ARGS)


def test_generated_ids_differ_between_requests(oa):
    first = call(oa, ONE_CALL).choices[0].message.tool_calls[0].id
    second = call(oa, ONE_CALL).choices[0].message.tool_calls[0].id

    assert first != second


def test_nested_escaped_and_non_ascii_arguments_round_trip(oa):
    message = call(oa, "tricky arguments please", tools=[SEARCH_TOOL_OPENAI]).choices[0].message

    assert calls_of(message) == [("search", TRICKY_ARGS)]


def test_interleaved_blocks_join_the_texts_and_keep_the_call_order(oa):
    choice = call(oa, "both").choices[0]

    content = choice.message.content
    assert content is not None and "First." in content and "Second." in content
    assert content.index("First.") < content.index("Second.")
    assert calls_of(choice.message) == [("get_time", {"zone": "UTC"}), ("get_weather", {"city": "Oslo", "unit": "f"})]
    assert choice.finish_reason == "tool_calls"


def test_parse_with_a_pydantic_tool_gives_parsed_arguments(oa):
    completion = oa.chat.completions.parse(model=MODEL, messages=user(TWO_CALLS), tools=PYDANTIC_TOOLS)
    weather, time = completion.choices[0].message.tool_calls

    assert weather.function.parsed_arguments == GetWeather(**WEATHER_ARGS)
    assert time.function.parsed_arguments == GetTime(**TIME_ARGS)


def test_a_named_tool_choice_on_a_scripted_call_finishes_with_stop(oa):
    choice = call(oa, ONE_CALL, tool_choice={"type": "function", "function": {"name": "get_weather"}}).choices[0]

    assert calls_of(choice.message) == [("get_weather", WEATHER_ARGS)]
    assert choice.finish_reason == "stop"


# --- the stream helper --------------------------------------------------------------------------


@pytest.mark.parametrize("chunking", CHUNKINGS)
@pytest.mark.parametrize("prompt", [ONE_CALL, TWO_CALLS])
@pytest.mark.parametrize("tools", ["strict-dict", "pydantic"])
def test_the_stream_helper_accumulates_each_call(oa, chunking, prompt, tools):
    offered = OPENAI_STRICT_TOOLS if tools == "strict-dict" else PYDANTIC_TOOLS
    expected = SCRIPTED_CALLS[prompt]

    with oa.chat.completions.stream(
        model=MODEL, messages=user(prompt), tools=offered, extra_headers=chunking_header(chunking)
    ) as events:
        done = [e for e in events if e.type == "tool_calls.function.arguments.done"]
        final = events.get_final_completion()

    def parsed(name, args):
        if tools == "strict-dict":
            return args
        return (GetWeather if name == "get_weather" else GetTime)(**args)

    assert [(e.index, e.name, json.loads(e.arguments)) for e in done] == [
        (i, name, args) for i, (name, args) in enumerate(expected)
    ]
    assert [e.parsed_arguments for e in done] == [parsed(name, args) for name, args in expected]
    choice = final.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert calls_of(choice.message) == expected
    assert [c.function.parsed_arguments for c in choice.message.tool_calls] == [
        parsed(name, args) for name, args in expected
    ]
    ids = [c.id for c in choice.message.tool_calls]
    assert all(OPENAI_CALL_ID.match(i) for i in ids), ids  # sent once: the helper concatenates repeats
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("chunking", CHUNKINGS)
def test_the_stream_helper_rebuilds_escaped_arguments_split_anywhere(oa, chunking):
    with oa.chat.completions.stream(
        model=MODEL, messages=user("tricky arguments please"), tools=[SEARCH_TOOL_OPENAI_STRICT],
        extra_headers=chunking_header(chunking),
    ) as events:
        final = events.get_final_completion()

    [tool_call] = final.choices[0].message.tool_calls
    assert tool_call.function.parsed_arguments == TRICKY_ARGS
    assert json.loads(tool_call.function.arguments) == TRICKY_ARGS


def test_the_stream_helper_gives_the_text_then_the_call(oa):
    with oa.chat.completions.stream(model=MODEL, messages=user("text first please"), tools=OPENAI_STRICT_TOOLS) as events:
        kinds = [e.type for e in events if e.type != "chunk"]
        final = events.get_final_completion()

    assert kinds.index("content.done") < kinds.index("tool_calls.function.arguments.done")
    message = final.choices[0].message
    assert message.content == "Let me check."
    assert calls_of(message) == [("get_weather", WEATHER_ARGS)]
    assert message.tool_calls[0].function.parsed_arguments == WEATHER_ARGS


# --- raw chunks and the wire --------------------------------------------------------------------


@pytest.mark.parametrize("chunking", CHUNKINGS)
def test_raw_chunks_open_each_call_once_then_stream_its_arguments(oa, chunking):
    chunks = stream_chunks(oa, TWO_CALLS, extra_headers=chunking_header(chunking))

    assert_one_stream(chunks, model=MODEL, finish_reason="tool_calls")
    assert streamed_text(chunks) == ""
    deltas = tool_deltas(chunks)
    indexes = [d.index for d in deltas]
    assert indexes == sorted(indexes) and set(indexes) == {0, 1}, "calls come one after another, 0 then 1"
    for index, (name, args) in enumerate(SCRIPTED_CALLS[TWO_CALLS]):
        first, *rest = [d for d in deltas if d.index == index]
        assert OPENAI_CALL_ID.match(first.id), first.id
        assert first.type == "function"
        assert first.function.name == name
        assert first.function.arguments == ""
        assert all(d.id is None and d.type is None and d.function.name is None for d in rest)
        fragments = [d.function.arguments for d in rest]
        assert_fragments_follow(chunking, fragments)
        assert json.loads("".join(fragments)) == args


def test_the_wire_carries_only_index_and_arguments_after_a_calls_first_delta(wire):
    response = wire.post(
        "/v1/chat/completions",
        json={"model": MODEL, "stream": True, "messages": user(TWO_CALLS), "tools": OPENAI_TOOLS},
        headers={"x-mockllm-chunking": "characters:8"},
    )

    assert response.status_code == 200
    lines = [line for line in response.text.split("\n") if line]
    assert lines[-1] == "data: [DONE]"
    payloads = [json.loads(line[len("data: "):]) for line in lines[:-1]]
    entries = [tc for p in payloads for c in p["choices"] for tc in c["delta"].get("tool_calls", [])]
    seen: set[int] = set()
    for entry in entries:
        if entry["index"] not in seen:
            seen.add(entry["index"])
            assert set(entry) == {"index", "id", "type", "function"}, entry
            assert entry["type"] == "function"
            assert set(entry["function"]) == {"name", "arguments"} and entry["function"]["arguments"] == "", entry
        else:
            assert set(entry) == {"index", "function"}, entry
            assert set(entry["function"]) == {"arguments"}, entry
    assert seen == {0, 1}
    last_choice = [c for p in payloads for c in p["choices"]][-1]
    assert last_choice["delta"] == {} and last_choice["finish_reason"] == "tool_calls"


def test_streamed_text_comes_before_the_call(oa):
    chunks = stream_chunks(oa, "text first please")

    assert streamed_text(chunks) == "Let me check."
    with_calls = [i for i, c in enumerate(chunks) if c.choices and c.choices[0].delta.tool_calls]
    with_text = [i for i, c in enumerate(chunks) if c.choices and c.choices[0].delta.content]
    assert with_text and with_calls and max(with_text) < min(with_calls)
    assert finish_reasons(chunks) == ["tool_calls"]


def test_include_usage_adds_a_usage_chunk_after_the_finish(oa):
    chunks = stream_chunks(oa, TWO_CALLS, stream_options={"include_usage": True})
    *rest, last = chunks

    assert last.choices == []
    assert_usage_adds_up(last.usage)
    assert last.usage.completion_tokens > 0
    assert all(chunk.usage is None for chunk in rest)
    assert rest[-1].choices[0].finish_reason == "tool_calls"
    assert last.usage.model_dump() == call(oa, TWO_CALLS).usage.model_dump()


# --- the legacy `functions` shape ---------------------------------------------------------------


def test_legacy_functions_get_one_function_call(oa):
    # The rule scripts two calls; the legacy shape has room for the first only.
    choice = oa.chat.completions.create(model=MODEL, messages=user(TWO_CALLS), functions=OPENAI_FUNCTIONS).choices[0]

    assert choice.finish_reason == "function_call"
    assert choice.message.content is None
    assert choice.message.tool_calls is None
    assert choice.message.function_call.name == "get_weather"
    assert json.loads(choice.message.function_call.arguments) == WEATHER_ARGS


@pytest.mark.parametrize("chunking", ["character", "word"])
def test_legacy_functions_stream_as_function_call_deltas(oa, chunking):
    with oa.chat.completions.create(
        model=MODEL, messages=user(ONE_CALL), functions=OPENAI_FUNCTIONS, stream=True,
        extra_headers=chunking_header(chunking),
    ) as stream:
        chunks = list(stream)

    assert_one_stream(chunks, model=MODEL, finish_reason="function_call")
    assert tool_deltas(chunks) == []
    deltas = [c.choices[0].delta.function_call for c in chunks if c.choices and c.choices[0].delta.function_call]
    assert [d.name for d in deltas if d.name] == ["get_weather"], "the name is sent once"
    assert json.loads("".join(d.arguments or "" for d in deltas)) == WEATHER_ARGS


def test_the_stream_helper_accumulates_a_legacy_function_call(oa):
    with oa.chat.completions.stream(model=MODEL, messages=user(ONE_CALL), functions=OPENAI_FUNCTIONS) as events:
        final = events.get_final_completion()

    choice = final.choices[0]
    assert choice.finish_reason == "function_call"
    assert choice.message.function_call.name == "get_weather"
    assert json.loads(choice.message.function_call.arguments) == WEATHER_ARGS


# --- rules on tool results ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, result, expected",
    [
        ("get_weather", "15 degrees", "It is 15 degrees in Paris."),
        ("get_weather", "light rain", "The weather tool answered."),
        ("get_time", "12:00", "Some tool answered."),
    ],
)
def test_a_tool_result_rule_answers_the_follow_up(oa, name, result, expected):
    args = WEATHER_ARGS if name == "get_weather" else TIME_ARGS
    messages = openai_tool_exchange(ONE_CALL, [("call_abc", name, args, result)])

    choice = oa.chat.completions.create(model=MODEL, messages=messages, tools=OPENAI_TOOLS).choices[0]

    assert choice.message.content == expected
    assert choice.message.tool_calls is None
    assert choice.finish_reason == "stop"


def test_the_follow_up_to_a_real_call_is_matched_by_its_tool_result(oa):
    first = call(oa, ONE_CALL).choices[0].message
    [tool_call] = first.tool_calls
    messages = user(ONE_CALL) + [
        openai_assistant_turn(first),
        {"role": "tool", "tool_call_id": tool_call.id, "content": "15 degrees and sunny"},
    ]

    with oa.chat.completions.stream(model=MODEL, messages=messages, tools=OPENAI_STRICT_TOOLS) as events:
        final = events.get_final_completion()

    assert final.choices[0].message.content == "It is 15 degrees in Paris."
    assert final.choices[0].finish_reason == "stop"


def test_a_tool_result_that_is_not_last_does_not_match(oa):
    messages = openai_tool_exchange(ONE_CALL, [("call_abc", "get_weather", WEATHER_ARGS, "15 degrees")])
    messages.append({"role": "assistant", "content": "It is 15 degrees in Paris."})
    messages.append({"role": "user", "content": "hello"})

    choice = oa.chat.completions.create(model=MODEL, messages=messages, tools=OPENAI_TOOLS).choices[0]

    assert choice.message.content == "Hello."


# --- automatic mode -----------------------------------------------------------------------------


def test_without_automatic_mode_an_unscripted_prompt_gets_the_default_text(oa):
    choice = call(oa, WEATHER_PROMPT).choices[0]

    assert choice.message.content == TOOLS_UNKNOWN_REPLY
    assert choice.message.tool_calls is None
    assert choice.finish_reason == "stop"


def test_the_auto_tools_header_turns_on_automatic_mode_for_one_request(oa):
    choice = call(oa, WEATHER_PROMPT, extra_headers={"x-mockllm-auto-tools": "true"}).choices[0]

    [tool_call] = choice.message.tool_calls
    assert tool_call.function.name == "get_weather"
    assert_valid_arguments("get_weather", tool_call.function.arguments)
    assert OPENAI_CALL_ID.match(tool_call.id), tool_call.id
    assert choice.finish_reason == "tool_calls"


def test_a_rule_replying_tool_calls_auto_generates_the_arguments(oa):
    choice = call(oa, f"agent: {WEATHER_PROMPT}").choices[0]

    [tool_call] = choice.message.tool_calls
    assert tool_call.function.name == "get_weather"
    assert_valid_arguments("get_weather", tool_call.function.arguments)
    assert choice.finish_reason == "tool_calls"


def test_automatic_mode_calls_the_tool_sharing_most_words_with_the_prompt(auto):
    completion = call(auto, WEATHER_PROMPT)
    choice = completion.choices[0]

    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    [tool_call] = choice.message.tool_calls
    assert tool_call.function.name == "get_weather"
    assert_valid_arguments("get_weather", tool_call.function.arguments)
    assert_usage_adds_up(completion.usage)


def test_automatic_mode_takes_the_first_offered_tool_when_no_words_are_shared(auto):
    [tool_call] = call(auto, UNRELATED_PROMPT).choices[0].message.tool_calls

    assert tool_call.function.name == TOOL_ORDER[0]
    assert_valid_arguments(TOOL_ORDER[0], tool_call.function.arguments)


def test_automatic_mode_needs_offered_tools(auto):
    choice = auto.chat.completions.create(model=MODEL, messages=user(WEATHER_PROMPT)).choices[0]

    assert choice.message.content == AUTO_UNKNOWN_REPLY
    assert choice.message.tool_calls is None


def test_automatic_mode_leaves_a_scripted_answer_alone(auto):
    choice = call(auto, "hello").choices[0]

    assert choice.message.content == "Hello."
    assert choice.message.tool_calls is None


@pytest.mark.parametrize("chunking", CHUNKINGS)
def test_automatic_mode_streams_the_generated_call(auto, chunking):
    with auto.chat.completions.stream(
        model=MODEL, messages=user(WEATHER_PROMPT), tools=OPENAI_STRICT_TOOLS, extra_headers=chunking_header(chunking)
    ) as events:
        done = [e for e in events if e.type == "tool_calls.function.arguments.done"]
        final = events.get_final_completion()

    [tool_call] = final.choices[0].message.tool_calls
    assert tool_call.function.name == "get_weather"
    args = assert_valid_arguments("get_weather", tool_call.function.arguments)
    assert tool_call.function.parsed_arguments == args
    assert [(e.index, e.name) for e in done] == [(0, "get_weather")]
    assert final.choices[0].finish_reason == "tool_calls"


def test_tool_choice_none_answers_with_text(auto):
    choice = call(auto, WEATHER_PROMPT, tool_choice="none").choices[0]

    assert choice.message.tool_calls is None
    assert choice.message.content == AUTO_UNKNOWN_REPLY
    assert choice.finish_reason == "stop"


def test_tool_choice_named_calls_that_tool_and_finishes_with_stop(auto):
    # The prompt is about the weather, but the named tool wins.
    choice = call(auto, WEATHER_PROMPT, tool_choice={"type": "function", "function": {"name": "get_weather"}}).choices[0]
    assert [c.function.name for c in choice.message.tool_calls] == ["get_weather"]
    assert choice.finish_reason == "stop"

    choice = call(auto, WEATHER_PROMPT, tool_choice={"type": "function", "function": {"name": "get_time"}}).choices[0]
    [tool_call] = choice.message.tool_calls
    assert tool_call.function.name == "get_time"
    assert_valid_arguments("get_time", tool_call.function.arguments)
    assert choice.finish_reason == "stop"


def test_tool_choice_required_calls_a_tool_even_after_a_tool_result(auto):
    messages = openai_tool_exchange(WEATHER_PROMPT, [("call_abc", "get_weather", WEATHER_ARGS, "15 degrees")])

    choice = auto.chat.completions.create(
        model=MODEL, messages=messages, tools=OPENAI_TOOLS, tool_choice="required"
    ).choices[0]

    [tool_call] = choice.message.tool_calls
    assert tool_call.function.name in TOOL_ORDER
    assert_valid_arguments(tool_call.function.name, tool_call.function.arguments)
    assert choice.finish_reason == "tool_calls"


@pytest.mark.parametrize("tool_choice", [None, "auto"])
def test_after_a_tool_result_automatic_mode_answers_with_the_result(auto, tool_choice):
    messages = openai_tool_exchange(WEATHER_PROMPT, [("call_abc", "get_weather", WEATHER_ARGS, "15 degrees")])
    extra = {} if tool_choice is None else {"tool_choice": tool_choice}

    choice = auto.chat.completions.create(model=MODEL, messages=messages, tools=OPENAI_TOOLS, **extra).choices[0]

    assert choice.message.tool_calls is None
    assert choice.message.content == "The get_weather tool returned: 15 degrees"
    assert choice.finish_reason == "stop"


def test_after_several_tool_results_automatic_mode_names_each(auto):
    messages = openai_tool_exchange(
        WEATHER_PROMPT,
        [("call_a", "get_weather", WEATHER_ARGS, "15 degrees"), ("call_b", "get_time", TIME_ARGS, "12:00")],
    )

    content = auto.chat.completions.create(model=MODEL, messages=messages, tools=OPENAI_TOOLS).choices[0].message.content

    assert content == auto_reply_text([("get_weather", "15 degrees"), ("get_time", "12:00")])
