"""openai-agents: an agent with a function tool and a typed output, on the Chat Completions and
Responses models, streamed and not; a handoff that reaches the second agent's tool; two tools
called in parallel, and one at a time when parallel calls are off."""

from __future__ import annotations

import asyncio
import functools

import pytest
from agents import (Agent, ModelSettings, OpenAIChatCompletionsModel, OpenAIResponsesModel, Runner, function_tool,
                    set_tracing_disabled)
from openai import AsyncOpenAI

from weather import EXPECTED, PROMPT, TWO_THINGS, Weather, get_time, get_weather

set_tracing_disabled(True)

PATHS = {"chat": "/v1/chat/completions", "responses": "/v1/responses"}


def model(base_url: str, api: str):
    client = AsyncOpenAI(base_url=f"{base_url}/v1", api_key="not-needed", max_retries=0, timeout=30)
    return OpenAIChatCompletionsModel("gpt-4o", client) if api == "chat" else OpenAIResponsesModel("gpt-4o", client)


async def run(agent: Agent, prompt: str, streamed: bool, max_turns: int = 6):
    if not streamed:
        return await Runner.run(agent, prompt, max_turns=max_turns)
    result = Runner.run_streamed(agent, prompt, max_turns=max_turns)
    async for _ in result.stream_events():
        pass
    return result


def recording(calls: list, fn):
    """`fn` as a function tool that notes each call's arguments in `calls`."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        calls.append((fn.__name__, *args, *kwargs.values()))
        return fn(*args, **kwargs)
    return function_tool(wrapper)


@pytest.mark.parametrize("streamed", [False, True], ids=["run", "streamed"])
@pytest.mark.parametrize("api", ["chat", "responses"])
def test_a_tool_then_the_typed_output(base_url, journal, api, streamed):
    calls: list = []
    agent = Agent(name="Weather agent", instructions="Answer with a weather report.", model=model(base_url, api),
                  tools=[recording(calls, get_weather)], output_type=Weather)
    result = asyncio.run(run(agent, PROMPT, streamed))
    assert result.final_output == EXPECTED
    assert calls == [("get_weather", "Paris")]
    assert journal.rules(PATHS[api]) == ["auto tools", "response_format"]


@pytest.mark.parametrize("streamed", [False, True], ids=["run", "streamed"])
@pytest.mark.parametrize("api", ["chat", "responses"])
def test_a_handoff_reaches_the_second_agents_tool(base_url, journal, api, streamed):
    calls: list = []
    weather_agent = Agent(name="Weather agent", handoff_description="Answers questions about the weather",
                          instructions="Answer with a weather report.", model=model(base_url, api),
                          tools=[recording(calls, get_weather)], output_type=Weather)
    triage = Agent(name="Triage agent", instructions="Hand questions to the right agent.", model=model(base_url, api),
                   handoffs=[weather_agent])
    result = asyncio.run(run(triage, PROMPT, streamed))
    assert result.last_agent is weather_agent
    assert calls == [("get_weather", "Paris")]
    assert result.final_output == EXPECTED
    requests = journal.requests(PATHS[api])
    assert len(requests) == 3, "triage hands over, the weather agent calls its tool, then answers"


@pytest.mark.parametrize("api", ["chat", "responses"])
def test_two_tools_in_parallel_or_one_at_a_time(base_url, journal, api):
    for parallel, turns in [(None, 2), (False, 3)]:
        calls: list = []
        agent = Agent(name="Assistant", instructions="Use the tools.", model=model(base_url, api),
                      tools=[recording(calls, get_time), recording(calls, get_weather)],
                      model_settings=ModelSettings(parallel_tool_calls=parallel))
        journal.mark()
        result = asyncio.run(run(agent, TWO_THINGS, streamed=False))
        assert calls == [("get_time", "CET"), ("get_weather", "Paris")]
        assert len(journal.requests(PATHS[api])) == turns
        assert "The get_weather tool returned: Sunny, 15 degrees in Paris" in result.final_output
