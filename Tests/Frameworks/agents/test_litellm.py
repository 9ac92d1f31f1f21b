"""LiteLLM: a streamed tool call on its OpenAI, Anthropic, Gemini and `ollama_chat` routes, and a
tool loop that ends with a typed output (`response_format`) on the OpenAI and Anthropic routes."""

from __future__ import annotations

import json

import litellm
import pytest

from weather import EXPECTED, PROMPT, Weather, get_weather

litellm.telemetry = False

TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather for a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]

# Each route: the model, where its API is, and the path the mock is asked on.
ROUTES = {
    "openai": ("openai/gpt-4o", "{url}/v1", "/v1/chat/completions"),
    "anthropic": ("anthropic/claude-haiku-4-5", "{url}", "/v1/messages"),
    "gemini": ("gemini/gemini-2.5-flash", "{url}/v1beta", "/v1beta/models/gemini-2.5-flash:streamGenerateContent"),
    "ollama_chat": ("ollama_chat/llama3.2", "{url}", "/api/chat"),
}


def route(base_url: str, name: str) -> dict:
    model, api_base, _ = ROUTES[name]
    return {"model": model, "api_base": api_base.format(url=base_url), "api_key": "not-needed", "num_retries": 0}


@pytest.mark.parametrize("name", list(ROUTES))
def test_a_streamed_tool_call(base_url, journal, name):
    messages = [{"role": "user", "content": PROMPT}]
    chunks = list(litellm.completion(**route(base_url, name), messages=messages, tools=TOOLS, stream=True))
    assert len(chunks) > 1
    message = litellm.stream_chunk_builder(chunks, messages=messages).choices[0].message
    [call] = message.tool_calls
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert [r["path"] for r in journal.requests() if r["path"] == ROUTES[name][2]] == [ROUTES[name][2]]


@pytest.mark.parametrize("name", ["openai", "anthropic"])
def test_a_tool_loop_ends_with_the_typed_output(base_url, journal, name):
    messages: list = [{"role": "user", "content": PROMPT}]
    first = litellm.completion(**route(base_url, name), messages=messages, tools=TOOLS, response_format=Weather)
    message = first.choices[0].message
    [call] = message.tool_calls
    messages += [message.model_dump(), {"role": "tool", "tool_call_id": call.id,
                                       "content": get_weather(**json.loads(call.function.arguments))}]
    final = litellm.completion(**route(base_url, name), messages=messages, tools=TOOLS, response_format=Weather)
    assert Weather.model_validate_json(final.choices[0].message.content) == EXPECTED
    assert len(journal.requests(ROUTES[name][2])) == 2
