"""LlamaIndex: a `FunctionAgent` with a function tool and a typed output (`output_cls`) on its
OpenAI and Anthropic LLMs, streamed (the default) and not; and `as_structured_llm`."""

from __future__ import annotations

import asyncio

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.tools import FunctionTool
from llama_index.llms.anthropic import Anthropic
from llama_index.llms.openai import OpenAI

from weather import EXPECTED, PROMPT, Weather, get_weather

PATHS = {"openai": "/v1/chat/completions", "anthropic": "/v1/messages"}


def llm(base_url: str, kind: str):
    if kind == "anthropic":
        return Anthropic(model="claude-haiku-4-5", base_url=base_url, api_key="not-needed", max_retries=0)
    return OpenAI(model="gpt-4o", api_base=f"{base_url}/v1", api_key="not-needed", max_retries=0)


@pytest.mark.parametrize("streaming", [True, False], ids=["streamed", "whole"])
@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_function_agent_with_a_tool_and_output_cls(base_url, journal, kind, streaming):
    calls: list[str] = []

    def weather_tool(city: str) -> str:
        """Get the current weather for a city."""
        calls.append(city)
        return get_weather(city)

    agent = FunctionAgent(tools=[FunctionTool.from_defaults(weather_tool, name="get_weather")], llm=llm(base_url, kind),
                          output_cls=Weather, streaming=streaming)

    async def run():
        handler = agent.run(PROMPT)
        async for _ in handler.stream_events():
            pass
        return await handler

    result = asyncio.run(run())
    assert calls == ["Paris"]
    assert Weather.model_validate(result.structured_response) == EXPECTED
    # The tool, the answer, then the typed output from the conversation.
    assert journal.rules(PATHS[kind]) == ["auto tools", "auto tools", "response_format"]


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_a_structured_llm(base_url, journal, kind):
    report = llm(base_url, kind).as_structured_llm(Weather).complete(PROMPT).raw
    assert isinstance(report, Weather) and report.city == "Paris"
