"""Shared pieces of the tool-call, structured-output and agent-loop tests: the offered tools in both
SDKs' shapes, the scripts that answer with tool calls, id shapes, a tiny local tool runner and a
JSON-Schema check of generated arguments."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

import jsonschema
import pydantic

from mock_scripts import script_yaml

# Generated ids have the real APIs' shapes (docs/research: `call_` + 24, `toolu_01` + 22).
OPENAI_CALL_ID = re.compile(r"^call_[A-Za-z0-9]{24}$")
ANTHROPIC_TOOL_USE_ID = re.compile(r"^toolu_01[A-Za-z0-9]{22}$")

# --- the offered tools --------------------------------------------------------------------------

WEATHER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "City name"},
        "unit": {"type": "string", "enum": ["c", "f"]},
    },
    "required": ["city", "unit"],
    "additionalProperties": False,
}
TIME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"zone": {"type": "string", "description": "IANA time zone"}},
    "required": ["zone"],
    "additionalProperties": False,
}
SCHEMAS = {"get_weather": WEATHER_SCHEMA, "get_time": TIME_SCHEMA}
# The descriptions share no word with each other, so the prompt below picks get_weather by its
# words alone; get_time is offered first so that "first offered" would pick the other one.
DESCRIPTIONS = {
    "get_weather": "weather forecast for a city",
    "get_time": "Current clock time in a given zone",
}
TOOL_ORDER = ["get_time", "get_weather"]
# Shares "weather", "forecast" and "for" with get_weather's description, nothing with get_time's.
WEATHER_PROMPT = "What's the weather forecast for Paris?"
# Shares no word with either tool: automatic mode takes the first offered (get_time).
UNRELATED_PROMPT = "xyzzy plugh"


def openai_tool(name: str, *, strict: bool = False) -> dict[str, Any]:
    function: dict[str, Any] = {"name": name, "description": DESCRIPTIONS[name], "parameters": SCHEMAS[name]}
    if strict:
        function["strict"] = True
    return {"type": "function", "function": function}


def anthropic_tool(name: str) -> dict[str, Any]:
    return {"name": name, "description": DESCRIPTIONS[name], "input_schema": SCHEMAS[name]}


OPENAI_TOOLS = [openai_tool(name) for name in TOOL_ORDER]
OPENAI_STRICT_TOOLS = [openai_tool(name, strict=True) for name in TOOL_ORDER]
OPENAI_FUNCTIONS = [{"name": n, "description": DESCRIPTIONS[n], "parameters": SCHEMAS[n]} for n in TOOL_ORDER]
ANTHROPIC_TOOLS = [anthropic_tool(name) for name in TOOL_ORDER]


class GetWeather(pydantic.BaseModel):
    """weather forecast for a city"""

    city: str
    unit: Literal["c", "f"]


class GetTime(pydantic.BaseModel):
    """Current clock time in a given zone"""

    zone: str


def assert_valid_arguments(name: str, arguments: Any) -> dict[str, Any]:
    """`arguments` (a JSON string or an already decoded object) decoded and checked against the
    offered tool's JSON Schema; returns the decoded object."""
    value = json.loads(arguments) if isinstance(arguments, str) else arguments
    assert isinstance(value, dict), f"{name} arguments are not a JSON object: {arguments!r}"
    jsonschema.validate(value, SCHEMAS[name])
    return value


def run_tool(name: str, arguments: dict[str, Any]) -> str:
    """The tools of the agent loop, run locally: what the application would send back."""
    if name == "get_weather":
        return f"{arguments['city']}: 15 degrees {arguments['unit'].upper()}, light rain"
    if name == "get_time":
        return f"12:00 in {arguments['zone']}"
    raise AssertionError(f"the model called a tool that was not offered: {name}")


def auto_reply_text(results: list[tuple[str, str]]) -> str:
    """The text automatic mode answers once the last message holds these (tool name, result) pairs."""
    return "; ".join(f"The {name} tool returned: {content}" for name, content in results)


# --- scripts ------------------------------------------------------------------------------------

TOOLS_UNKNOWN_REPLY = "No rule answers that."

WEATHER_ARGS = {"city": "Paris", "unit": "c"}
TIME_ARGS = {"zone": "CET"}
# Quotes, a backslash, a newline, non-ASCII and an emoji outside the BMP, nesting, every JSON type:
# split anywhere by the chunking, every fragment must still arrive intact.
TRICKY_ARGS = {
    "query": 'say "hi" \\ then\nleave: é😀 世界',
    "filters": {"max": 3, "ratio": 0.5, "tags": ["a", "b c"], "exact": True, "page": None},
}
FIXED_ID = "call_fixed123"

# The tool_result rules come first: an OpenAI follow-up still has the first question as its last
# user message, so a prompt rule listed before them would answer again.
TOOLS_SCRIPT = r"""
rules:
  - name: weather-result-15
    match: {tool_result: {name: get_weather, content: {contains: "15"}}}
    reply: "It is 15 degrees in Paris."
  - name: weather-result
    match: {tool_result: get_weather}
    reply: "The weather tool answered."
  - name: any-result
    match: {tool_result: true}
    reply: "Some tool answered."
  - name: one-call
    match: {prompt: {contains: "one call"}}
    reply:
      tool_calls:
        - name: get_weather
          arguments: {city: Paris, unit: c}
  - name: text-first
    match: {prompt: {contains: "text first"}}
    reply:
      text: "Let me check."
      tool_calls:
        - name: get_weather
          arguments: {city: Paris, unit: c}
  - name: two-calls
    match: {prompt: {contains: "two calls"}}
    reply:
      tool_calls:
        - name: get_weather
          arguments: {city: Paris, unit: c}
        - name: get_time
          arguments: '{"zone":"CET"}'
  - name: fixed-id
    match: {prompt: {contains: "fixed id"}}
    reply:
      tool_calls:
        - name: get_time
          arguments: '{"zone":"CET"}'
          id: call_fixed123
  - name: tricky
    match: {prompt: {contains: "tricky arguments"}}
    reply:
      tool_calls:
        - name: search
          arguments:
            query: "say \"hi\" \\ then\nleave: é😀 世界"
            filters: {max: 3, ratio: 0.5, tags: [a, "b c"], exact: true, page: null}
  - name: interleaved
    match: {prompt: both}
    reply:
      blocks:
        - text: "First."
        - tool_call: {name: get_time, arguments: {zone: UTC}}
        - text: "Second."
        - tool_call: {name: get_weather, arguments: {city: Oslo, unit: f}}
  - name: agent
    match: {prompt: {contains: agent}}
    reply: {tool_calls: auto}
responses:
  hello: "Hello."
defaults:
  unknown_response: "No rule answers that."
"""

TRICKY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {"query": {"type": "string"}, "filters": {"type": "object"}}}
SEARCH_TOOL_OPENAI = {"type": "function", "function": {"name": "search", "parameters": TRICKY_SCHEMA}}
SEARCH_TOOL_OPENAI_STRICT = {"type": "function", "function": {"name": "search", "strict": True, "parameters": TRICKY_SCHEMA}}
SEARCH_TOOL_ANTHROPIC = {"name": "search", "input_schema": TRICKY_SCHEMA}

AUTO_UNKNOWN_REPLY = "I have no scripted answer."
# Automatic mode for every request that offers tools, and nothing tool-specific in the script.
AUTO_SCRIPT = script_yaml({"hello": "Hello."}, unknown_response=AUTO_UNKNOWN_REPLY, settings={"auto_tools": True})


def openai_assistant_turn(message: Any) -> dict[str, Any]:
    """The assistant message of a completion, as the next request sends it back."""
    turn: dict[str, Any] = {"role": "assistant", "content": message.content}
    if message.tool_calls:
        turn["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.function.name, "arguments": c.function.arguments}}
            for c in message.tool_calls
        ]
    return turn


def anthropic_assistant_turn(message: Any) -> dict[str, Any]:
    """The assistant content of a Message, as the next request sends it back."""
    blocks: list[dict[str, Any]] = []
    for block in message.content:
        if block.type == "text":
            blocks.append({"type": "text", "text": block.text})
        elif block.type == "tool_use":
            blocks.append({"type": "tool_use", "id": block.id, "name": block.name, "input": block.input})
        else:
            raise AssertionError(f"unexpected content block {block.type}")
    return {"role": "assistant", "content": blocks}


def openai_tool_exchange(prompt: str, calls: list[tuple[str, str, dict[str, Any], str]]) -> list[dict[str, Any]]:
    """A conversation ending in tool results: the question, an assistant turn calling each
    (id, name, arguments, result) and one `tool` message per call."""
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": prompt},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": cid, "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
                for cid, name, args, _ in calls
            ],
        },
    ]
    messages += [{"role": "tool", "tool_call_id": cid, "content": result} for cid, _, _, result in calls]
    return messages


def anthropic_tool_exchange(prompt: str, calls: list[tuple[str, str, dict[str, Any], str]]) -> list[dict[str, Any]]:
    """The same conversation in the Messages API: tool_use blocks, then a user turn of tool_result blocks."""
    return [
        {"role": "user", "content": prompt},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": cid, "name": name, "input": args} for cid, name, args, _ in calls],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": cid, "content": result} for cid, _, _, result in calls],
        },
    ]
