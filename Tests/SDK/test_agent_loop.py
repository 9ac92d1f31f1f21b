"""A whole agent loop against automatic mode, with each SDK and each way of reading the reply: ask,
get a tool call with generated arguments, run the tool locally, send its result back, get the
final text. The script has `settings: {auto_tools: true}` and nothing tool-specific, so the loop
must end on its own; the same `--seed` generates the same arguments."""

from __future__ import annotations

import json
from typing import Any, Callable

import anthropic
import openai
import pytest

from anthropic_helpers import CLAUDE, MAX_TOKENS
from chat_helpers import MODEL
from conftest import make_anthropic_client, make_client
from tool_helpers import (
    ANTHROPIC_TOOLS,
    AUTO_SCRIPT,
    OPENAI_STRICT_TOOLS,
    OPENAI_TOOLS,
    WEATHER_PROMPT,
    anthropic_assistant_turn,
    assert_valid_arguments,
    auto_reply_text,
    openai_assistant_turn,
    run_tool,
)

# A loop that has not ended after this many requests never will.
MAX_TURNS = 5


@pytest.fixture(scope="module")
def agent_server(session_pool):
    return session_pool.start(AUTO_SCRIPT, name="agent-loop")


@pytest.fixture
def oa(agent_server):
    with make_client(agent_server.url) as client:
        yield client
    agent_server.assert_alive()


@pytest.fixture
def an(agent_server):
    with make_anthropic_client(agent_server.url) as client:
        yield client
    agent_server.assert_alive()


# --- one turn with each SDK and each way of reading the reply -----------------------------------
# Each returns (the assistant message, the calls it made as (id, name, arguments)); no calls = done.


def openai_create(client: openai.OpenAI, messages: list[dict[str, Any]]):
    choice = client.chat.completions.create(model=MODEL, messages=messages, tools=OPENAI_TOOLS).choices[0]
    calls = [(c.id, c.function.name, c.function.arguments) for c in choice.message.tool_calls or []]
    assert choice.finish_reason == ("tool_calls" if calls else "stop")
    return choice.message, calls


def openai_stream(client: openai.OpenAI, messages: list[dict[str, Any]]):
    with client.chat.completions.stream(model=MODEL, messages=messages, tools=OPENAI_STRICT_TOOLS) as events:
        final = events.get_final_completion()
    choice = final.choices[0]
    calls = []
    for c in choice.message.tool_calls or []:
        # Strict tools: the helper parsed the arguments itself, and agrees with json.loads.
        assert c.function.parsed_arguments == json.loads(c.function.arguments)
        calls.append((c.id, c.function.name, c.function.arguments))
    assert choice.finish_reason == ("tool_calls" if calls else "stop")
    return choice.message, calls


def anthropic_create(client: anthropic.Anthropic, messages: list[dict[str, Any]]):
    message = client.messages.create(model=CLAUDE, max_tokens=MAX_TOKENS, messages=messages, tools=ANTHROPIC_TOOLS)
    calls = [(b.id, b.name, b.input) for b in message.content if b.type == "tool_use"]
    assert message.stop_reason == ("tool_use" if calls else "end_turn")
    return message, calls


def anthropic_stream(client: anthropic.Anthropic, messages: list[dict[str, Any]]):
    with client.messages.stream(model=CLAUDE, max_tokens=MAX_TOKENS, messages=messages, tools=ANTHROPIC_TOOLS) as s:
        message = s.get_final_message()
    calls = [(b.id, b.name, b.input) for b in message.content if b.type == "tool_use"]
    assert message.stop_reason == ("tool_use" if calls else "end_turn")
    return message, calls


def openai_results(message, results: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """What an OpenAI agent appends: the assistant turn, then one `tool` message per call."""
    return [openai_assistant_turn(message)] + [
        {"role": "tool", "tool_call_id": call_id, "content": result} for call_id, result in results
    ]


def anthropic_results(message, results: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """What an Anthropic agent appends: the assistant turn, then a user turn of tool_result blocks."""
    return [
        anthropic_assistant_turn(message),
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": i, "content": r} for i, r in results]},
    ]


def openai_text(message) -> str:
    assert message.content is not None
    return message.content


def anthropic_text(message) -> str:
    assert [b.type for b in message.content] == ["text"], message.content
    return message.content[0].text


FLAVOURS: dict[str, tuple[str, Callable, Callable, Callable]] = {
    # name: (client fixture, one turn, append the results, the final text)
    "openai-create": ("oa", openai_create, openai_results, openai_text),
    "openai-stream": ("oa", openai_stream, openai_results, openai_text),
    "anthropic-create": ("an", anthropic_create, anthropic_results, anthropic_text),
    "anthropic-stream": ("an", anthropic_stream, anthropic_results, anthropic_text),
}


def run_agent(client, turn: Callable, append: Callable, prompt: str = WEATHER_PROMPT):
    """The loop an application runs; returns every call made and the last message."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
    made: list[tuple[str, dict[str, Any], str]] = []
    for _ in range(MAX_TURNS):
        message, calls = turn(client, messages)
        if not calls:
            return made, message
        results = []
        for call_id, name, arguments in calls:
            args = assert_valid_arguments(name, arguments)
            result = run_tool(name, args)
            made.append((name, args, result))
            results.append((call_id, result))
        messages += append(message, results)
    pytest.fail(f"the agent loop had not ended after {MAX_TURNS} requests; calls made: {made}")


@pytest.mark.parametrize("flavour", sorted(FLAVOURS))
def test_an_agent_loop_ends_with_the_tools_result(request, flavour):
    fixture, turn, append, text = FLAVOURS[flavour]
    client = request.getfixturevalue(fixture)

    made, last = run_agent(client, turn, append)

    assert len(made) == 1, f"one tool call, then the answer; calls made: {made}"
    [(name, args, result)] = made
    assert name == "get_weather", "the prompt is about the weather"
    assert result in text(last)
    assert text(last) == auto_reply_text([(name, result)])


@pytest.mark.parametrize("flavour", sorted(FLAVOURS))
def test_every_loop_flavour_gets_a_well_formed_call_id(request, flavour):
    fixture, turn, _, _ = FLAVOURS[flavour]
    client = request.getfixturevalue(fixture)

    _, calls = turn(client, [{"role": "user", "content": WEATHER_PROMPT}])

    [(call_id, name, arguments)] = calls
    assert call_id.startswith("toolu_01" if flavour.startswith("anthropic") else "call_")
    assert_valid_arguments(name, arguments)


# --- the same seed, the same arguments ----------------------------------------------------------


def first_arguments(url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The arguments automatic mode generates for the first OpenAI and the first Anthropic request."""
    with make_client(url) as oa:
        _, [(_, _, openai_args)] = openai_create(oa, [{"role": "user", "content": WEATHER_PROMPT}])
    with make_anthropic_client(url) as an:
        _, [(_, _, anthropic_input)] = anthropic_create(an, [{"role": "user", "content": WEATHER_PROMPT}])
    return assert_valid_arguments("get_weather", openai_args), assert_valid_arguments("get_weather", anthropic_input)


def test_the_same_seed_generates_the_same_arguments(start_server):
    # One worker each (the default, made explicit): worker i would use seed 7 + i.
    first = start_server(AUTO_SCRIPT, name="seed-7-a", extra_args=["--seed", "7", "--workers", "1"])
    second = start_server(AUTO_SCRIPT, name="seed-7-b", extra_args=["--seed", "7", "--workers", "1"])

    assert first_arguments(first.url) == first_arguments(second.url)
