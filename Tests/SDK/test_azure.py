"""Azure OpenAI through the real clients: `openai.AzureOpenAI` and `AsyncAzureOpenAI` pointed
at the server (`azure_endpoint`, `azure_deployment`, `api_version`), so they send Azure's paths
(`/openai/deployments/{deployment}/...?api-version=`) and its `api-key` header; and the plain
`openai.OpenAI` on the newer `/openai/v1` paths. Create, stream (with Azure's content-filter
chunk first), tools, parse, embeddings, a content-filter refusal, a completion filtered part way
through its stream, a deployment's 429 that the SDK
waits out before retrying (seen in the journal), and `--api-key`."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

import httpx
import openai
import pydantic
import pytest

API_VERSION = "2024-10-21"
KEY = "azure-key-0123"

AZURE_SCRIPT = """settings:
  auto_tools: true
responses:
  ping: pong
rules:
  - name: filtered
    match: {prompt: {contains: forbidden}}
    error: {status: 400, code: content_filter, type: violence}
  - name: filtered-mid-stream
    match: {prompt: {contains: "a dark story"}}
    reply: "It was a dark and stormy night."
    # The preamble, the role chunk and four of text, then the output is filtered.
    fault: {stream: {after: 6, content_filter: violence}}
deployments:
  prod-chat: {model: gpt-4o}
  embedder: text-embedding-3-small
  # One request per 2-second window: the second waits for the next window.
  tiny: {model: gpt-4o-mini, tokens_per_minute: 100000, requests_per_minute: 1, window_seconds: 2}
"""

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}


class Answer(pydantic.BaseModel):
    city: str
    degrees: int


@pytest.fixture(scope="module")
def azure_server(session_pool):
    return session_pool.start(AZURE_SCRIPT, name="azure")


def azure(url: str, deployment: str | None = "prod-chat", **kwargs) -> openai.AzureOpenAI:
    kwargs.setdefault("max_retries", 0)
    kwargs.setdefault("api_key", KEY)
    return openai.AzureOpenAI(azure_endpoint=url, azure_deployment=deployment, api_version=API_VERSION, timeout=30.0, **kwargs)


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def journal(url: str, **filters) -> list[dict]:
    response = httpx.get(f"{url}/_mockllm/requests", params=filters, timeout=10.0)
    assert response.status_code == 200, response.text
    return response.json()["requests"]


def test_create_names_the_deployments_model_and_carries_the_filter_results(azure_server):
    with azure(azure_server.url) as client:
        raw = client.chat.completions.with_raw_response.create(model="anything", messages=user("ping"))
    completion = raw.parse()
    assert raw.http_request.url.path == "/openai/deployments/prod-chat/chat/completions"
    assert raw.http_request.url.params["api-version"] == API_VERSION
    assert raw.http_request.headers["api-key"] == KEY
    assert raw.headers["apim-request-id"]
    assert completion.choices[0].message.content == "pong"
    assert completion.model == "gpt-4o"
    prompt = completion.model_extra["prompt_filter_results"][0]
    assert prompt["prompt_index"] == 0
    assert prompt["content_filter_results"]["jailbreak"] == {"filtered": False, "detected": False}
    verdicts = completion.choices[0].model_extra["content_filter_results"]
    assert verdicts["violence"] == {"filtered": False, "severity": "safe"}


def test_without_azure_deployment_the_model_names_the_deployment(azure_server):
    with azure(azure_server.url, deployment=None) as client:
        raw = client.chat.completions.with_raw_response.create(model="prod-chat", messages=user("ping"))
    assert raw.http_request.url.path == "/openai/deployments/prod-chat/chat/completions"
    assert raw.parse().model == "gpt-4o"


def test_stream_starts_with_the_prompt_filter_chunk(azure_server):
    with azure(azure_server.url) as client:
        chunks = list(client.chat.completions.create(model="x", messages=user("ping"), stream=True))
    assert chunks[0].choices == []
    assert chunks[0].model_extra["prompt_filter_results"][0]["prompt_index"] == 0
    assert "".join(c.choices[0].delta.content or "" for c in chunks[1:] if c.choices) == "pong"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.model == "gpt-4o" for c in chunks[1:])


def test_a_stream_filtered_part_way_ends_with_content_filter(azure_server):
    with azure(azure_server.url) as client:
        chunks = list(client.chat.completions.create(model="x", messages=user("Tell me a dark story"), stream=True))
    assert chunks[0].choices == []
    text = "".join(c.choices[0].delta.content or "" for c in chunks[1:] if c.choices)
    assert text == "It w"
    last = chunks[-1].choices[0]
    assert last.finish_reason == "content_filter"
    verdicts = last.model_extra["content_filter_results"]
    assert verdicts["violence"] == {"filtered": True, "severity": "high"}
    assert verdicts["hate"] == {"filtered": False, "severity": "safe"}


def test_the_async_client_sees_the_same_filtered_stream(azure_server):
    async def run():
        async with openai.AsyncAzureOpenAI(azure_endpoint=azure_server.url, api_key=KEY, api_version=API_VERSION,
                                           azure_deployment="prod-chat") as client:
            stream = await client.chat.completions.create(model="x", messages=user("a dark story, please"), stream=True)
            return [chunk async for chunk in stream]

    chunks = asyncio.run(run())
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "content_filter"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "It w"


def test_tools_come_back_as_tool_calls(azure_server):
    with azure(azure_server.url) as client:
        completion = client.chat.completions.create(
            model="x", messages=user("What is the weather in Paris?"), tools=[WEATHER_TOOL])
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls[0].function.name == "get_weather"
    assert "city" in json.loads(choice.message.tool_calls[0].function.arguments)


def test_parse_gives_the_pydantic_model(azure_server):
    with azure(azure_server.url) as client:
        completion = client.chat.completions.parse(
            model="x", messages=user("The weather in Oslo as JSON"), response_format=Answer)
    parsed = completion.choices[0].message.parsed
    assert isinstance(parsed, Answer)


def test_embeddings_of_an_embedding_deployment(azure_server):
    with azure(azure_server.url, deployment="embedder") as client:
        raw = client.embeddings.with_raw_response.create(model="x", input=["one", "two"])
    result = raw.parse()
    assert raw.http_request.url.path == "/openai/deployments/embedder/embeddings"
    assert result.model == "text-embedding-3-small"
    assert len(result.data) == 2 and len(result.data[0].embedding) == 1536


def test_a_content_filter_refusal_is_a_bad_request_with_its_code(azure_server):
    with azure(azure_server.url) as client:
        with pytest.raises(openai.BadRequestError) as raised:
            client.chat.completions.create(model="x", messages=user("something forbidden"))
    error = raised.value
    assert error.status_code == 400
    assert error.code == "content_filter"
    assert error.param == "prompt"
    inner = error.body["innererror"]
    assert inner["code"] == "ResponsibleAIPolicyViolation"
    assert inner["content_filter_result"]["violence"] == {"filtered": True, "severity": "high"}


def test_a_deployments_429_is_retried_after_the_advertised_time(azure_server):
    with azure(azure_server.url, deployment="tiny", max_retries=2) as client:
        first = client.chat.completions.with_raw_response.create(model="x", max_tokens=10, messages=user("ping"))
        second = client.chat.completions.with_raw_response.create(model="x", max_tokens=10, messages=user("ping"))
    assert first.retries_taken == 0
    assert second.retries_taken >= 1
    assert second.parse().choices[0].message.content == "pong"
    attempts = journal(azure_server.url, path="/openai/deployments/tiny/chat/completions")
    statuses = [a["status"] for a in attempts]
    assert statuses[0] == 200 and 429 in statuses and statuses[-1] == 200
    refused = attempts[statuses.index(429)]
    assert refused["provider"] == "azure" and refused["model"] == "tiny"
    retried = attempts[statuses.index(429) + 1]

    def seconds(entry: dict) -> float:
        return datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).timestamp()

    # The SDK waited out retry-after-ms: the retry lands in the next window, 2 s after the first.
    assert seconds(retried) - seconds(attempts[0]) >= 2.0 - 0.002
    assert retried["headers"]["x-stainless-retry-count"] == "1"


def test_the_responses_api_through_the_azure_client(azure_server):
    # AzureOpenAI sends the Responses API to /openai/responses, the model naming the deployment.
    client = openai.AzureOpenAI(azure_endpoint=azure_server.url, azure_deployment="prod-chat", api_version="2025-04-01-preview",
                                api_key=KEY, max_retries=0, timeout=30.0)
    with client:
        raw = client.responses.with_raw_response.create(model="prod-chat", input="ping")
    assert raw.http_request.url.path == "/openai/responses"
    response = raw.parse()
    assert response.output_text == "pong" and response.model == "gpt-4o"


def test_the_v1_paths_with_the_plain_openai_client(azure_server):
    with openai.OpenAI(base_url=f"{azure_server.url}/openai/v1/", api_key=KEY, max_retries=0, timeout=30.0) as client:
        completion = client.chat.completions.create(model="prod-chat", messages=user("ping"))
        response = client.responses.create(model="prod-chat", input="ping")
        embeddings = client.embeddings.create(model="embedder", input="one")
    assert completion.model == "gpt-4o" and completion.choices[0].message.content == "pong"
    assert response.output_text == "pong" and response.model == "gpt-4o"
    assert embeddings.model == "text-embedding-3-small"


def test_the_async_client_creates_and_streams(azure_server):
    async def run():
        async with openai.AsyncAzureOpenAI(azure_endpoint=azure_server.url, azure_deployment="prod-chat",
                                           api_version=API_VERSION, api_key=KEY, max_retries=0, timeout=30.0) as client:
            completion = await client.chat.completions.create(model="x", messages=user("ping"))
            stream = await client.chat.completions.create(model="x", messages=user("ping"), stream=True)
            text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
            return completion, text

    completion, text = asyncio.run(run())
    assert completion.choices[0].message.content == "pong"
    assert text == "pong"


def test_an_unknown_api_version_is_refused(azure_server):
    client = openai.AzureOpenAI(azure_endpoint=azure_server.url, azure_deployment="prod-chat", api_version="2099-01-01",
                                api_key=KEY, max_retries=0, timeout=30.0)
    with client, pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="x", messages=user("ping"))
    assert raised.value.code == "BadRequest"


def test_the_bundled_script_serves_an_undeclared_deployment(repo_server):
    with azure(repo_server.url, deployment="gpt-4o-mini") as client:
        completion = client.chat.completions.create(model="gpt-4o-mini", messages=user("Hello"))
    assert completion.model == "gpt-4o-mini"
    assert completion.choices[0].message.content


def test_api_key_checks_the_api_key_header_and_entra_tokens(start_server):
    server = start_server("responses: {ping: pong}\n", extra_args=["--api-key", KEY])
    with azure(server.url, api_key="wrong") as client, pytest.raises(openai.AuthenticationError) as raised:
        client.chat.completions.create(model="x", messages=user("ping"))
    assert raised.value.code == "401"
    with azure(server.url) as client:
        assert client.chat.completions.create(model="x", messages=user("ping")).choices[0].message.content == "pong"
    with openai.AzureOpenAI(azure_endpoint=server.url, azure_deployment="gpt-4o", api_version=API_VERSION,
                            azure_ad_token=KEY, max_retries=0, timeout=30.0) as client:
        assert client.chat.completions.create(model="x", messages=user("ping")).choices[0].message.content == "pong"
