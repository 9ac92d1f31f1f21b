"""LangChain: `with_structured_output`, streamed `usage_metadata`, and a `create_agent` agent with a
function tool and a typed output (`response_format`), on ChatOpenAI (Chat Completions and the
Responses API) and ChatAnthropic, invoked and streamed."""

from __future__ import annotations

import pytest
from langchain.agents import create_agent
from langchain_anthropic import ChatAnthropic
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

from weather import EXPECTED, PROMPT, Weather, get_weather

PATHS = {"chat": "/v1/chat/completions", "responses": "/v1/responses", "anthropic": "/v1/messages"}


def chat_model(base_url: str, kind: str):
    if kind == "anthropic":
        return ChatAnthropic(model="claude-haiku-4-5", base_url=base_url, api_key="not-needed", max_retries=0)
    return ChatOpenAI(model="gpt-4o", base_url=f"{base_url}/v1", api_key="not-needed", max_retries=0,
                      use_responses_api=kind == "responses", stream_usage=True)


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
@pytest.mark.parametrize("kind", ["chat", "responses", "anthropic"])
def test_with_structured_output(base_url, journal, kind, method):
    report = chat_model(base_url, kind).with_structured_output(Weather, method=method).invoke(PROMPT)
    assert isinstance(report, Weather)
    assert report.city == "Paris", "the city the prompt names"
    assert len(journal.requests(PATHS[kind])) == 1


@pytest.mark.parametrize("kind", ["chat", "responses", "anthropic"])
def test_streamed_usage_metadata_counts_input_and_output(base_url, journal, kind):
    model = chat_model(base_url, kind)
    whole = model.invoke("hello")
    streamed = None
    for chunk in model.stream("hello"):
        streamed = chunk if streamed is None else streamed + chunk
    assert streamed is not None and streamed.text == whole.text == "Hello! How can I help you today?"
    usage = streamed.usage_metadata
    assert usage is not None
    assert usage["input_tokens"] == whole.usage_metadata["input_tokens"] > 0
    assert usage["output_tokens"] == whole.usage_metadata["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


@pytest.mark.parametrize("streamed", [False, True], ids=["invoke", "stream"])
@pytest.mark.parametrize("kind", ["chat", "responses", "anthropic"])
def test_an_agent_with_a_tool_and_a_typed_output(base_url, journal, kind, streamed):
    calls: list[str] = []

    @tool
    def get_weather_tool(city: str) -> str:
        """Get the current weather for a city."""
        calls.append(city)
        return get_weather(city)

    agent = create_agent(chat_model(base_url, kind), tools=[get_weather_tool], response_format=Weather)
    request = {"messages": [{"role": "user", "content": PROMPT}]}
    if streamed:
        state = None
        for state in agent.stream(request, {"recursion_limit": 10}, stream_mode="values"):
            pass
    else:
        state = agent.invoke(request, {"recursion_limit": 10})
    assert state is not None and state["structured_response"] == EXPECTED
    assert calls == ["Paris"]
    assert len(journal.requests(PATHS[kind])) == 2
