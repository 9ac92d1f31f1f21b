"""Vertex AI through the real clients: `google-genai` with `vertexai=True` (a project and a
location, an OAuth token from credentials that need no network; express mode with an API key)
for Gemini, and `anthropic.AnthropicVertex` for Claude's rawPredict and streamRawPredict:
generate, stream, count tokens, a tool call, Vertex's errors and --api-key."""

from __future__ import annotations

import json
from typing import Iterator

import anthropic
import httpx
import pytest
from google import genai
from google.auth import credentials as google_credentials
from google.genai import errors, types

from mock_scripts import LONG_REPLY, SUITE_RESPONSES, SUITE_SCRIPT

PROJECT = "my-project"
LOCATION = "us-central1"
GEMINI = "gemini-2.0-flash-001"
CLAUDE = "claude-3-5-sonnet-v2@20241022"
WEATHER_ARGS = {"city": "Paris", "days": 3}
RULES = f"""rules:
  - name: scripted-call
    match: {{prompt: {{contains: scripted weather}}}}
    reply: {{tool_calls: [{{name: get_weather, arguments: {json.dumps(WEATHER_ARGS)}}}]}}
  - name: claude-on-vertex
    match: {{prompt: {{contains: which door}}, provider: vertex-anthropic}}
    reply: Claude, through Vertex AI.
"""
STRICT = "settings:\n  strict_models: true\n"
WEATHER = types.FunctionDeclaration(
    name="get_weather",
    description="Get the weather forecast for a city",
    parameters=types.Schema(
        type="OBJECT",
        properties={"city": types.Schema(type="STRING"), "days": types.Schema(type="INTEGER")},
        required=["city", "days"],
    ),
)
CLAUDE_WEATHER = {
    "name": "get_weather",
    "description": "Get the weather forecast for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city", "days"],
    },
}


class StaticToken(google_credentials.Credentials):
    """Credentials holding a fixed access token: valid, never expired, never refreshed, so
    google-genai sends `Authorization: Bearer TOKEN` without going to Google."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def refresh(self, request) -> None:  # never called: the token does not expire
        raise AssertionError("the mock's token needs no refresh")


def vertex_client(url: str, token: str = "ya29.mock-token", location: str = LOCATION) -> genai.Client:
    return genai.Client(
        vertexai=True, project=PROJECT, location=location, credentials=StaticToken(token),
        http_options=types.HttpOptions(base_url=url, timeout=30_000))


def claude_client(url: str, token: str = "ya29.mock-token") -> anthropic.AnthropicVertex:
    # AnthropicVertex's default base URL ends in /v1, where its paths begin.
    return anthropic.AnthropicVertex(region="us-east5", project_id=PROJECT, access_token=token, base_url=f"{url}/v1",
                                     max_retries=0)


@pytest.fixture(scope="module")
def vertex_server(session_pool):
    return session_pool.start(RULES + SUITE_SCRIPT, name="vertex")


@pytest.fixture
def vertex(vertex_server) -> Iterator[genai.Client]:
    with vertex_client(vertex_server.url) as client:
        yield client
    vertex_server.assert_alive()


@pytest.fixture
def claude(vertex_server) -> Iterator[anthropic.AnthropicVertex]:
    with claude_client(vertex_server.url) as client:
        yield client
    vertex_server.assert_alive()


# --- Gemini on Vertex AI --------------------------------------------------------------------


@pytest.mark.parametrize("location", [LOCATION, "global"])
def test_generate_content_carries_vertexs_members(vertex_server, location):
    with vertex_client(vertex_server.url, location=location) as client:
        response = client.models.generate_content(model=GEMINI, contents="hello")

    assert response.text == SUITE_RESPONSES["hello"]
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    usage = response.usage_metadata
    assert usage.total_token_count == usage.prompt_token_count + usage.candidates_token_count
    assert usage.traffic_type == types.TrafficType.ON_DEMAND
    assert usage.candidates_tokens_details[0].token_count == usage.candidates_token_count
    assert response.model_version == GEMINI
    assert response.create_time is not None and response.response_id


def test_the_stream_joins_to_the_reply_with_the_usage_at_the_end(vertex):
    chunks = list(vertex.models.generate_content_stream(model=GEMINI, contents="a long answer please"))

    assert len(chunks) > 1
    assert "".join(chunk.text for chunk in chunks) == LONG_REPLY
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert [c.usage_metadata.candidates_token_count for c in chunks[:-1]] == [None] * (len(chunks) - 1)
    assert chunks[-1].usage_metadata.candidates_token_count > 0
    assert all(c.usage_metadata.traffic_type == types.TrafficType.ON_DEMAND for c in chunks)


def test_count_tokens_counts_what_a_reply_would_bill(vertex):
    counted = vertex.models.count_tokens(model=GEMINI, contents="hello")
    reply = vertex.models.generate_content(model=GEMINI, contents="hello")
    assert counted.total_tokens == reply.usage_metadata.prompt_token_count


def test_a_scripted_call_is_a_function_call(vertex):
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[WEATHER])],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True))
    response = vertex.models.generate_content(model=GEMINI, contents="scripted weather please", config=config)
    (call,) = response.function_calls
    assert call.name == "get_weather" and call.args == WEATHER_ARGS


def test_express_mode_takes_an_api_key(vertex_server):
    with genai.Client(vertexai=True, api_key="AQ.mock-key",
                      http_options=types.HttpOptions(base_url=vertex_server.url, timeout=30_000)) as client:
        assert client.models.generate_content(model=GEMINI, contents="hello").text == SUITE_RESPONSES["hello"]


def test_an_unknown_model_is_vertexs_not_found(start_server):
    server = start_server(STRICT + SUITE_SCRIPT, name="vertex-strict")
    with vertex_client(server.url) as client:
        with pytest.raises(errors.ClientError) as caught:
            client.models.generate_content(model="gemini-9-ultra", contents="hello")
    assert (caught.value.code, caught.value.status) == (404, "NOT_FOUND")
    assert caught.value.message.startswith(
        f"Publisher Model `projects/{PROJECT}/locations/{LOCATION}/publishers/google/models/gemini-9-ultra` was not found")


def test_a_json_array_stream_without_alt_sse(vertex_server):
    path = f"{vertex_server.url}/v1/projects/{PROJECT}/locations/{LOCATION}/publishers/google/models/{GEMINI}:streamGenerateContent"
    with httpx.Client(timeout=30.0) as http:
        chunks = http.post(path, headers={"Authorization": "Bearer t"}, json={"contents": [{"parts": [{"text": "hello"}]}]}).json()
    assert "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks) == SUITE_RESPONSES["hello"]
    assert chunks[-1]["usageMetadata"]["trafficType"] == "ON_DEMAND"


# --- Claude on Vertex AI --------------------------------------------------------------------


def test_create_answers_with_anthropics_message(claude):
    message = claude.messages.create(model=CLAUDE, max_tokens=100, messages=[{"role": "user", "content": "hello"}])
    assert message.content[0].text == SUITE_RESPONSES["hello"]
    assert message.model == CLAUDE
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0


def test_rules_see_the_vertex_provider(claude):
    message = claude.messages.create(model=CLAUDE, max_tokens=100, messages=[{"role": "user", "content": "which door?"}])
    assert message.content[0].text == "Claude, through Vertex AI."


def test_the_stream_is_anthropics_event_stream(claude):
    with claude.messages.stream(model=CLAUDE, max_tokens=1000,
                                messages=[{"role": "user", "content": "a long answer please"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == LONG_REPLY
    assert final.stop_reason == "end_turn" and final.content[0].text == LONG_REPLY


def test_a_tool_call_is_a_tool_use_block(claude):
    message = claude.messages.create(model=CLAUDE, max_tokens=100, tools=[CLAUDE_WEATHER],
                                     messages=[{"role": "user", "content": "scripted weather please"}])
    assert message.stop_reason == "tool_use"
    (use,) = [block for block in message.content if block.type == "tool_use"]
    assert use.name == "get_weather" and use.input == WEATHER_ARGS


def test_count_tokens_goes_to_count_tokens_raw_predict(claude):
    counted = claude.messages.count_tokens(model=CLAUDE, messages=[{"role": "user", "content": "hello"}])
    message = claude.messages.create(model=CLAUDE, max_tokens=100, messages=[{"role": "user", "content": "hello"}])
    assert counted.input_tokens == message.usage.input_tokens


def test_an_unknown_claude_is_vertexs_not_found(start_server):
    server = start_server(STRICT + SUITE_SCRIPT, name="vertex-claude-strict")
    with claude_client(server.url) as client:
        with pytest.raises(anthropic.NotFoundError) as caught:
            client.messages.create(model="claude-9@20990101", max_tokens=10, messages=[{"role": "user", "content": "hello"}])
    assert caught.value.body["error"]["status"] == "NOT_FOUND"
    assert "publishers/anthropic/models/claude-9@20990101` was not found" in caught.value.body["error"]["message"]


# --- --api-key ------------------------------------------------------------------------------

TOKEN = "ya29.mock-access-token"


@pytest.fixture
def keyed_server(start_server):
    return start_server(SUITE_SCRIPT, name="vertex-keyed", extra_args=["--api-key", TOKEN])


def test_the_access_token_is_checked(keyed_server):
    with vertex_client(keyed_server.url, token=TOKEN) as client:
        assert client.models.generate_content(model=GEMINI, contents="hello").text == SUITE_RESPONSES["hello"]
    with claude_client(keyed_server.url, token=TOKEN) as client:
        message = client.messages.create(model=CLAUDE, max_tokens=100, messages=[{"role": "user", "content": "hello"}])
        assert message.content[0].text == SUITE_RESPONSES["hello"]

    with vertex_client(keyed_server.url, token="ya29.wrong") as client:
        with pytest.raises(errors.ClientError) as caught:
            client.models.generate_content(model=GEMINI, contents="hello")
    assert (caught.value.code, caught.value.status) == (401, "UNAUTHENTICATED")
    assert caught.value.message.startswith("Request had invalid authentication credentials.")
    with claude_client(keyed_server.url, token="ya29.wrong") as client:
        with pytest.raises(anthropic.AuthenticationError) as refused:
            client.messages.create(model=CLAUDE, max_tokens=100, messages=[{"role": "user", "content": "hello"}])
    assert refused.value.body["error"]["status"] == "UNAUTHENTICATED"
