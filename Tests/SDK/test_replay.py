"""Replaying recorded fixtures (docs/RECORD-REPLAY.md) to the official SDKs: a directory of
fixture files served with `--strict --replay-timing recorded`, streams with tool calls and usage
reassembled by the clients exactly as recorded, and a request never recorded refused with the
closest fixture named."""

from __future__ import annotations

import json
import time
from pathlib import Path

import anthropic
import openai
import pytest

from anthropic_helpers import CLAUDE
from conftest import make_anthropic_client, make_client

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
OPENAI_MESSAGES = [
    {"role": "system", "content": "You are a weather bot."},
    {"role": "user", "content": "What is the weather in Paris?"},
]
OPENAI_EVENTS = [
    {"id": "chatcmpl-R1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o", "choices": [
        {"index": 0, "delta": {"role": "assistant", "content": None, "tool_calls": [
            {"index": 0, "id": "call_rec1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]},
         "finish_reason": None}]},
    {"id": "chatcmpl-R1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o", "choices": [
        {"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\": "}}]}, "finish_reason": None}]},
    {"id": "chatcmpl-R1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o", "choices": [
        {"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "\"Paris\"}"}}]}, "finish_reason": None}]},
    {"id": "chatcmpl-R1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o", "choices": [
        {"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    {"id": "chatcmpl-R1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o", "choices": [],
     "usage": {"prompt_tokens": 61, "completion_tokens": 17, "total_tokens": 78}},
]

ANTHROPIC_TOOL = {
    "name": "get_weather",
    "description": "Get the weather for a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
ANTHROPIC_MESSAGES = [{"role": "user", "content": "What is the weather in Paris?"}]
ANTHROPIC_EVENTS = [
    ("message_start", {"type": "message_start", "message": {
        "id": "msg_01Rec", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929", "content": [],
        "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 380, "output_tokens": 1}}}),
    ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Let me check."}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ("content_block_start", {"type": "content_block_start", "index": 1, "content_block": {
        "type": "tool_use", "id": "toolu_01Rec", "name": "get_weather", "input": {}}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"city\": \"Pa"}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "ris\"}"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 1}),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                       "usage": {"output_tokens": 42}}),
    ("message_stop", {"type": "message_stop"}),
]


def quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string escapes are YAML's too)."""
    return json.dumps(text, ensure_ascii=False)


def fixture_file(name: str, endpoint: str, request: dict, content_type: str, events: list[str], spacing_ms: int) -> str:
    lines = [
        "rules:",
        f"  - name: {name}",
        "    match:",
        f"      endpoint: {endpoint}",
        f"      request: {json.dumps(request)}",
        "    recorded:",
        "      status: 200",
        f"      headers: {{content-type: {quoted(content_type)}, x-request-id: req_{name}}}",
        "      events:",
    ]
    lines += [f"        - {{at_ms: {i * spacing_ms}, data: {quoted(event)}}}" for i, event in enumerate(events)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def replay_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "fixtures"
    directory.mkdir()
    openai_request = {"messages": OPENAI_MESSAGES, "model": "gpt-4o", "stream": True,
                      "stream_options": {"include_usage": True}, "tools": [WEATHER_TOOL]}
    openai_events = [f"data: {json.dumps(e)}\n\n" for e in OPENAI_EVENTS] + ["data: [DONE]\n\n"]
    (directory / "test_openai_stream.yml").write_text(fixture_file(
        "openai-weather", "/v1/chat/completions", openai_request, "text/event-stream; charset=utf-8", openai_events, 20))
    anthropic_request = {"max_tokens": 1024, "messages": ANTHROPIC_MESSAGES, "model": CLAUDE,
                         "tools": [ANTHROPIC_TOOL], "stream": True}
    anthropic_events = [f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in ANTHROPIC_EVENTS]
    (directory / "test_anthropic_stream.yml").write_text(fixture_file(
        "anthropic-weather", "/v1/messages", anthropic_request, "text/event-stream; charset=utf-8", anthropic_events, 20))
    return directory


def test_openai_stream_replays_tool_calls_and_usage(start_server, replay_dir: Path) -> None:
    server = start_server(path=replay_dir, name="replay", extra_args=["--strict", "--replay-timing", "recorded"])
    client = make_client(server.url)
    started = time.monotonic()
    chunks = list(client.chat.completions.create(
        model="gpt-4o", messages=OPENAI_MESSAGES, tools=[WEATHER_TOOL], stream=True,
        stream_options={"include_usage": True}, temperature=0.5,  # a sampling knob: not part of what identifies
    ))
    elapsed = time.monotonic() - started
    assert [c.id for c in chunks] == ["chatcmpl-R1"] * 5
    calls = [call for c in chunks if c.choices for call in (c.choices[0].delta.tool_calls or [])]
    assert calls[0].id == "call_rec1" and calls[0].function.name == "get_weather"
    assert "".join(call.function.arguments or "" for call in calls) == '{"city": "Paris"}'
    assert chunks[3].choices[0].finish_reason == "tool_calls"
    assert chunks[-1].usage.prompt_tokens == 61 and chunks[-1].usage.completion_tokens == 17
    assert chunks[-1].usage.total_tokens == 78
    assert elapsed >= 0.1, "six events 20 ms apart take at least 100 ms"


def test_anthropic_stream_replays_text_tool_use_and_usage(start_server, replay_dir: Path) -> None:
    server = start_server(path=replay_dir, name="replay", extra_args=["--strict", "--replay-timing", "recorded"])
    client = make_anthropic_client(server.url)
    with client.messages.stream(model=CLAUDE, max_tokens=1024, messages=ANTHROPIC_MESSAGES,
                                tools=[ANTHROPIC_TOOL]) as stream:
        texts = list(stream.text_stream)
        message = stream.get_final_message()
    assert texts == ["Let me check."]
    assert message.id == "msg_01Rec" and message.stop_reason == "tool_use"
    assert [block.type for block in message.content] == ["text", "tool_use"]
    assert message.content[1].id == "toolu_01Rec" and message.content[1].input == {"city": "Paris"}
    assert message.usage.input_tokens == 380 and message.usage.output_tokens == 42


def test_a_request_never_recorded_is_refused_with_the_closest_fixture(start_server, replay_dir: Path) -> None:
    server = start_server(path=replay_dir, name="replay", extra_args=["--strict"])
    client = make_client(server.url)
    messages = [OPENAI_MESSAGES[0], {"role": "user", "content": "What is the weather in Rome?"}]
    with pytest.raises(openai.NotFoundError) as refused:
        client.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER_TOOL], stream=True,
                                       stream_options={"include_usage": True})
    message = refused.value.body["message"] if isinstance(refused.value.body, dict) else str(refused.value)
    assert "closest fixture 'openai-weather'" in message
    assert 'request.messages[1].content is "What is the weather in Rome?"' in message
    anthropic_client = make_anthropic_client(server.url)
    with pytest.raises(anthropic.NotFoundError):
        anthropic_client.messages.create(model=CLAUDE, max_tokens=10, messages=ANTHROPIC_MESSAGES)
