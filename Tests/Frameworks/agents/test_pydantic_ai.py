"""pydantic-ai: `Agent(output_type=Model)` with a function tool on OpenAI Chat, OpenAI Responses and
Anthropic models, run and streamed. pydantic-ai offers the output as a `final_result` tool and sends
`tool_choice: required` (Anthropic `any`) when text output is not allowed; `NativeOutput` asks for
the provider's structured output instead."""

from __future__ import annotations

import asyncio

import pytest
from pydantic_ai import Agent, NativeOutput
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
from pydantic_ai.providers.anthropic import AnthropicProvider
from pydantic_ai.providers.openai import OpenAIProvider

from weather import EXPECTED, PROMPT, Weather, get_weather

PATHS = {"chat": "/v1/chat/completions", "responses": "/v1/responses", "anthropic": "/v1/messages"}


def model(base_url: str, kind: str):
    if kind == "anthropic":
        return AnthropicModel("claude-haiku-4-5", provider=AnthropicProvider(base_url=base_url, api_key="not-needed"))
    provider = OpenAIProvider(base_url=f"{base_url}/v1", api_key="not-needed")
    return OpenAIChatModel("gpt-4o", provider=provider) if kind == "chat" else OpenAIResponsesModel("gpt-4o", provider=provider)


def answer(agent: Agent, streamed: bool):
    if not streamed:
        return agent.run_sync(PROMPT).output

    async def stream():
        async with agent.run_stream(PROMPT) as result:
            return await result.get_output()
    return asyncio.run(stream())


@pytest.mark.parametrize("streamed", [False, True], ids=["run", "streamed"])
@pytest.mark.parametrize("kind", ["chat", "responses", "anthropic"])
def test_output_type_with_a_tool_ends_with_the_output_tool(base_url, journal, kind, streamed):
    calls: list[str] = []
    agent = Agent(model(base_url, kind), output_type=Weather, instructions="Answer with a weather report.")

    @agent.tool_plain
    def get_weather_tool(city: str) -> str:
        """Get the current weather for a city."""
        calls.append(city)
        return get_weather(city)

    assert answer(agent, streamed) == EXPECTED
    assert calls == ["Paris"]
    requests = journal.requests(PATHS[kind])
    assert len(requests) == 2, "the tool, then final_result: no loop up to the request limit"
    choice = requests[0]["body"]["tool_choice"]
    assert choice in ("required", {"type": "any"}), "text output is not allowed"


@pytest.mark.parametrize("kind", ["chat", "responses", "anthropic"])
def test_native_output_with_a_tool(base_url, journal, kind):
    calls: list[str] = []
    agent = Agent(model(base_url, kind), output_type=NativeOutput(Weather), instructions="Answer with a weather report.")

    @agent.tool_plain
    def get_weather_tool(city: str) -> str:
        """Get the current weather for a city."""
        calls.append(city)
        return get_weather(city)

    assert agent.run_sync(PROMPT).output == EXPECTED
    assert calls == ["Paris"]
    assert journal.rules(PATHS[kind]) == ["auto tools", "response_format"]
