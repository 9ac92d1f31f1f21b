"""The Gemini API through the real `google-genai` client: generate_content and its stream,
scripted and automatic function calls, function responses, structured output, count_tokens,
the model listing, Google's errors (raised as errors.ClientError / ServerError) and --api-key."""

from __future__ import annotations

import asyncio
import json
from typing import Iterator

import httpx
import jsonschema
import pydantic
import pytest
from google import genai
from google.genai import errors, types

from mock_scripts import LONG_REPLY, SUITE_RESPONSES, SUITE_SCRIPT, TRICKY_REPLY, script_yaml

FLASH = "gemini-2.5-flash"
WEATHER_ARGS = {"city": "Paris", "days": 3}
RULES = f"""rules:
  - name: after-weather
    match: {{tool_result: {{name: get_weather, content: sunny}}}}
    reply: It is sunny in Paris.
  - name: scripted-call
    match: {{prompt: {{contains: scripted weather}}}}
    reply: {{tool_calls: [{{name: get_weather, arguments: {json.dumps(WEATHER_ARGS)}}}]}}
"""
WEATHER = types.FunctionDeclaration(
    name="get_weather",
    description="Get the weather forecast for a city",
    parameters=types.Schema(
        type="OBJECT",
        properties={"city": types.Schema(type="STRING"), "days": types.Schema(type="INTEGER")},
        required=["city", "days"],
    ),
)
LOOKUP = types.FunctionDeclaration(
    name="lookup_order",
    description="Find an order by its number",
    parameters_json_schema={"type": "object", "properties": {"order": {"type": "integer"}}, "required": ["order"]},
)
NO_AFC = types.AutomaticFunctionCallingConfig(disable=True)


class Person(pydantic.BaseModel):
    name: str
    age: int
    tags: list[str]


def gemini_client(url: str, api_key: str = "test", **options) -> genai.Client:
    # google-genai retries nothing unless told to: a server error is never hidden.
    return genai.Client(api_key=api_key, http_options=types.HttpOptions(base_url=url, timeout=30_000, **options))


@pytest.fixture(scope="module")
def gemini_server(session_pool):
    return session_pool.start(RULES + SUITE_SCRIPT, name="gemini")


@pytest.fixture
def gemini(gemini_server) -> Iterator[genai.Client]:
    with gemini_client(gemini_server.url) as client:
        yield client
    gemini_server.assert_alive()


def user(text: str) -> types.Content:
    return types.Content(role="user", parts=[types.Part(text=text)])


# --- generate_content -----------------------------------------------------------------------


@pytest.mark.parametrize("api_version", ["v1", "v1beta"])
def test_generate_content_answers_from_the_script(gemini_server, api_version):
    with gemini_client(gemini_server.url, api_version=api_version) as client:
        response = client.models.generate_content(model=FLASH, contents="hello")

    assert response.text == SUITE_RESPONSES["hello"]
    candidate = response.candidates[0]
    assert candidate.finish_reason == types.FinishReason.STOP
    assert candidate.content.role == "model"
    usage = response.usage_metadata
    assert usage.prompt_token_count > 0 and usage.candidates_token_count > 0
    assert usage.total_token_count == usage.prompt_token_count + usage.candidates_token_count
    assert response.model_version == FLASH
    assert response.response_id


def test_text_survives_the_wire_unchanged(gemini):
    response = gemini.models.generate_content(model=f"models/{FLASH}", contents="tricky text please")
    assert response.text == TRICKY_REPLY


def test_the_stream_joins_to_the_reply_with_the_finish_on_the_last_chunk(gemini):
    whole = gemini.models.generate_content(model=FLASH, contents="a long answer please")
    chunks = list(gemini.models.generate_content_stream(model=FLASH, contents="a long answer please"))

    assert len(chunks) > 1
    assert "".join(chunk.text for chunk in chunks) == LONG_REPLY
    assert [c.candidates[0].finish_reason for c in chunks[:-1]] == [None] * (len(chunks) - 1)
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    last = chunks[-1].usage_metadata
    assert last.candidates_token_count == whole.usage_metadata.candidates_token_count
    assert last.prompt_token_count == whole.usage_metadata.prompt_token_count
    assert all(c.response_id == chunks[0].response_id for c in chunks)


def test_max_output_tokens_and_stop_sequences_end_the_reply(gemini):
    cut = gemini.models.generate_content(
        model=FLASH, contents="a long answer please", config=types.GenerateContentConfig(max_output_tokens=3))
    assert cut.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS
    assert cut.usage_metadata.candidates_token_count == 3
    assert LONG_REPLY.startswith(cut.text) and len(cut.text) < len(LONG_REPLY)

    stopped = gemini.models.generate_content(
        model=FLASH, contents="a long answer please", config=types.GenerateContentConfig(stop_sequences=[" fox"]))
    assert stopped.text == "The quick brown"
    assert stopped.candidates[0].finish_reason == types.FinishReason.STOP


def test_a_chat_session_sends_the_history(gemini):
    chat = gemini.chats.create(model=FLASH)
    assert chat.send_message("hello").text == SUITE_RESPONSES["hello"]
    second = chat.send_message("a long answer please")
    assert second.text == LONG_REPLY
    assert len(chat.get_history()) == 4


def test_the_async_client_works_too(gemini_server):
    async def run() -> str:
        client = gemini_client(gemini_server.url)
        response = await client.aio.models.generate_content(model=FLASH, contents="hello")
        return response.text

    assert asyncio.run(run()) == SUITE_RESPONSES["hello"]


# --- function calls -------------------------------------------------------------------------


def test_a_scripted_call_is_a_function_call(gemini):
    config = types.GenerateContentConfig(tools=[types.Tool(function_declarations=[WEATHER])], automatic_function_calling=NO_AFC)
    response = gemini.models.generate_content(model=FLASH, contents="scripted weather please", config=config)

    calls = response.function_calls
    assert [(c.name, c.args) for c in calls] == [("get_weather", WEATHER_ARGS)]
    assert response.candidates[0].finish_reason == types.FinishReason.STOP

    streamed = [c for chunk in gemini.models.generate_content_stream(model=FLASH, contents="scripted weather please", config=config)
                for c in chunk.function_calls or []]
    assert [(c.name, c.args) for c in streamed] == [("get_weather", WEATHER_ARGS)]


def test_automatic_calls_follow_the_declarations_and_a_function_response_is_answered(gemini_server):
    with gemini_client(gemini_server.url, headers={"x-mockllm-auto-tools": "true"}) as client:
        config = types.GenerateContentConfig(
            tools=[types.Tool(function_declarations=[WEATHER, LOOKUP])], automatic_function_calling=NO_AFC)
        asked = user("what is the weather forecast in Paris")
        response = client.models.generate_content(model=FLASH, contents=[asked], config=config)
        (call,) = response.function_calls
        assert call.name == "get_weather"
        jsonschema.validate(call.args, {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                                        "required": ["city", "days"]})

        answer = types.Content(role="user", parts=[types.Part.from_function_response(name="get_weather", response={"forecast": "sunny"})])
        followed = client.models.generate_content(model=FLASH, contents=[asked, response.candidates[0].content, answer], config=config)
        assert followed.text == "It is sunny in Paris."
        assert followed.function_calls is None

        forced = types.GenerateContentConfig(
            tools=[types.Tool(function_declarations=[WEATHER, LOOKUP])], automatic_function_calling=NO_AFC,
            tool_config=types.ToolConfig(function_calling_config=types.FunctionCallingConfig(
                mode="ANY", allowed_function_names=["lookup_order"])))
        (lookup,) = client.models.generate_content(model=FLASH, contents=[asked], config=forced).function_calls
        assert lookup.name == "lookup_order" and isinstance(lookup.args["order"], int)

        unanswered = client.models.generate_content(model=FLASH, contents=[asked, response.candidates[0].content, types.Content(
            role="user", parts=[types.Part.from_function_response(name="get_weather", response={"forecast": "rain"})])], config=config)
        assert unanswered.text == 'The get_weather tool returned: {"forecast":"rain"}'


# --- structured output ----------------------------------------------------------------------


def test_response_schema_is_parsed_into_the_pydantic_model(gemini):
    response = gemini.models.generate_content(
        model=FLASH, contents="describe someone",
        config=types.GenerateContentConfig(response_mime_type="application/json", response_schema=Person))
    assert isinstance(response.parsed, Person)
    assert list(json.loads(response.text)) == ["name", "age", "tags"]


def test_response_json_schema_gives_valid_json(gemini):
    schema = Person.model_json_schema()
    response = gemini.models.generate_content(
        model=FLASH, contents="describe someone",
        config=types.GenerateContentConfig(response_mime_type="application/json", response_json_schema=schema))
    jsonschema.validate(response.parsed, schema)


# --- tokens and models ----------------------------------------------------------------------


def test_count_tokens_matches_the_prompt_count_of_a_reply(gemini):
    counted = gemini.models.count_tokens(model=FLASH, contents="a long answer please")
    replied = gemini.models.generate_content(model=FLASH, contents="a long answer please")
    assert counted.total_tokens == replied.usage_metadata.prompt_token_count


def test_models_list_and_get_come_from_the_registry(gemini):
    models = {m.name: m for m in gemini.models.list()}
    assert {"models/gemini-2.5-flash", "models/gemini-2.5-pro", "models/gemini-2.0-flash", "models/gemini-1.5-pro"} <= set(models)
    assert not any("gpt" in name or "claude" in name for name in models)
    assert models["models/gemini-2.0-flash"].output_token_limit == 8192

    pro = gemini.models.get(model="gemini-2.5-pro")
    assert (pro.name, pro.input_token_limit, pro.output_token_limit) == ("models/gemini-2.5-pro", 1_048_576, 65_536)
    assert "generateContent" in pro.supported_actions
    assert gemini.models.get(model="models/gemini-1.5-pro").input_token_limit == 2_097_152

    paged = gemini.models.list(config={"page_size": 2})
    assert len(paged.page) == 2 and len(list(paged)) == len(models)


# --- errors ---------------------------------------------------------------------------------


def test_an_unknown_model_is_a_404_client_error(start_server):
    server = start_server(script_yaml(SUITE_RESPONSES, settings={"strict_models": True}), name="strict")
    with gemini_client(server.url) as client:
        with pytest.raises(errors.ClientError) as caught:
            client.models.generate_content(model="gemini-9-ultra", contents="hello")
        assert (caught.value.code, caught.value.status) == (404, "NOT_FOUND")
        assert caught.value.message.startswith("models/gemini-9-ultra is not found for API version v1, or is not supported for generateContent.")

        with pytest.raises(errors.ClientError) as got:
            client.models.get(model="gpt-4o")
        assert got.value.code == 404


def test_a_bad_request_is_a_400_client_error(gemini):
    with pytest.raises(errors.ClientError) as caught:
        gemini.models.generate_content(model=FLASH, contents=[types.Content(role="assistant", parts=[types.Part(text="hi")])])
    assert (caught.value.code, caught.value.status, caught.value.message) == (400, "INVALID_ARGUMENT", "Please use a valid role: user, model.")


@pytest.mark.parametrize(("fault", "kind", "code", "status"), [
    ("503", errors.ServerError, 503, "UNAVAILABLE"),
    ("500", errors.ServerError, 500, "INTERNAL"),
    ("429", errors.ClientError, 429, "RESOURCE_EXHAUSTED"),
])
def test_a_fault_is_raised_with_googles_code_and_status(gemini_server, fault, kind, code, status):
    with gemini_client(gemini_server.url, headers={"x-mockllm-fault": fault}) as client:
        with pytest.raises(kind) as caught:
            client.models.generate_content(model=FLASH, contents="hello")
    assert (caught.value.code, caught.value.status) == (code, status)


def test_a_mid_stream_error_is_raised_while_iterating(gemini_server):
    received = []
    with gemini_client(gemini_server.url, headers={"x-mockllm-fault": "error:3"}) as client:
        with pytest.raises(errors.ServerError) as caught:
            for chunk in client.models.generate_content_stream(model=FLASH, contents="hello"):
                received.append(chunk.text)
    assert received == list(SUITE_RESPONSES["hello"][:3])
    assert (caught.value.code, caught.value.status) == (500, "INTERNAL")


def test_a_quota_refusal_is_resource_exhausted_with_retry_info(start_server):
    server = start_server(SUITE_SCRIPT + "quotas: {requests_per_minute: 1}\n", name="quota")
    with gemini_client(server.url) as client:
        client.models.generate_content(model=FLASH, contents="hello")
        with pytest.raises(errors.ClientError) as caught:
            client.models.generate_content(model=FLASH, contents="hello")
    assert (caught.value.code, caught.value.status) == (429, "RESOURCE_EXHAUSTED")
    (retry,) = [d for d in caught.value.details["error"]["details"] if d["@type"].endswith("RetryInfo")]
    assert retry["retryDelay"].endswith("s")


# --- --api-key ------------------------------------------------------------------------------

KEY = "AIza-mock-0123456789"


@pytest.fixture
def keyed_server(start_server):
    return start_server(SUITE_SCRIPT, name="keyed", extra_args=["--api-key", KEY])


def test_the_right_key_in_googles_header_is_answered(keyed_server):
    with gemini_client(keyed_server.url, api_key=KEY) as client:
        assert client.models.generate_content(model=FLASH, contents="hello").text == SUITE_RESPONSES["hello"]
        assert "".join(c.text for c in client.models.generate_content_stream(model=FLASH, contents="hello")) == SUITE_RESPONSES["hello"]


def test_a_wrong_key_is_googles_api_key_invalid(keyed_server):
    with gemini_client(keyed_server.url, api_key="AIza-wrong") as client:
        with pytest.raises(errors.ClientError) as caught:
            client.models.generate_content(model=FLASH, contents="hello")
    assert (caught.value.code, caught.value.status) == (400, "INVALID_ARGUMENT")
    assert caught.value.message == "API key not valid. Please pass a valid API key."
    assert caught.value.details["error"]["details"][0]["reason"] == "API_KEY_INVALID"


def test_the_key_may_come_in_the_query(keyed_server):
    body = {"contents": [{"parts": [{"text": "hello"}]}]}
    path = f"{keyed_server.url}/v1beta/models/{FLASH}:generateContent"
    with httpx.Client(timeout=30.0) as http:
        right = http.post(path, params={"key": KEY}, json=body)
        wrong = http.post(path, params={"key": "nope"}, json=body)
        missing = http.post(path, json=body)
        listed = http.get(f"{keyed_server.url}/v1/models", params={"key": KEY})
    assert right.status_code == 200
    assert right.json()["candidates"][0]["content"]["parts"][0]["text"] == SUITE_RESPONSES["hello"]
    assert (wrong.status_code, wrong.json()["error"]["status"]) == (400, "INVALID_ARGUMENT")
    assert (missing.status_code, missing.json()["error"]["status"]) == (403, "PERMISSION_DENIED")
    assert listed.status_code == 200 and "models" in listed.json()


def test_the_sse_wire_uses_googles_separator(gemini_server):
    with httpx.Client(timeout=30.0) as http:
        raw = http.post(f"{gemini_server.url}/v1beta/models/{FLASH}:streamGenerateContent", params={"alt": "sse"},
                        headers={"x-goog-api-key": "k"}, json={"contents": [{"parts": [{"text": "hello"}]}]})
        array = http.post(f"{gemini_server.url}/v1beta/models/{FLASH}:streamGenerateContent",
                          headers={"x-goog-api-key": "k"}, json={"contents": [{"parts": [{"text": "hello"}]}]})
    assert raw.headers["content-type"].startswith("text/event-stream")
    events = raw.text.split("\r\n\r\n")
    assert events[-1] == "" and all(e.startswith("data: {") for e in events[:-1])
    chunks = array.json()
    assert "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks) == SUITE_RESPONSES["hello"]
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
