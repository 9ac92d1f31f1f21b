"""Ollama's native API through the real `ollama` Python client: chat and generate (JSON and the
NDJSON stream), list/show/ps, scripted and automatic tool calls with their results, structured
output from `format`, and the errors the client raises (`ResponseError` with its status)."""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Iterator

import httpx
import ollama
import pydantic
import pytest

MODEL = "llama3.2"
HELLO = "Hello from the Ollama mock."
LONG = "one two three four five six seven eight"

OLLAMA_SCRIPT = f"""
rules:
  - name: weather-answer
    match: {{tool_result: {{name: get_weather, content: {{contains: "15"}}}}}}
    reply: It is 15 degrees in Paris.
  - name: weather
    match: {{prompt: {{contains: weather}}}}
    reply:
      text: Let me check.
      tool_calls: [{{name: get_weather, arguments: {{city: Paris, unit: c}}}}]
  - name: pirate
    match: {{system: {{contains: pirate}}, endpoint: /api/generate}}
    reply: Arr, matey.
responses:
  hello: {json.dumps(HELLO)}
  long: {json.dumps(LONG)}
defaults:
  unknown_response: I have no scripted answer for that.
"""


@pytest.fixture(scope="module")
def ollama_server(session_pool):
    return session_pool.start(OLLAMA_SCRIPT, name="ollama")


@pytest.fixture
def client(ollama_server) -> Iterator[ollama.Client]:
    yield ollama.Client(host=ollama_server.url)
    ollama_server.assert_alive()


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def assert_metrics_add_up(part) -> None:
    assert part.done is True
    assert part.load_duration > 0 and part.prompt_eval_duration > 0 and part.eval_duration > 0
    assert part.total_duration == part.load_duration + part.prompt_eval_duration + part.eval_duration


# --- chat ----------------------------------------------------------------------------------------


def test_chat_answers_with_the_whole_message_and_its_counts(client):
    response = client.chat(model=MODEL, messages=user("hello"))
    assert isinstance(response, ollama.ChatResponse)
    assert response.model == MODEL
    assert response.message.role == "assistant"
    assert response.message.content == HELLO
    assert response.message.tool_calls is None
    assert response.done_reason == "stop"
    assert response.prompt_eval_count == 8 and response.eval_count > 0
    assert_metrics_add_up(response)
    created = datetime.datetime.fromisoformat(response.created_at.replace("Z", "+00:00"))
    assert created.tzinfo is not None


def test_chat_stream_joins_to_the_reply_and_ends_with_the_done_chunk(client):
    parts = list(client.chat(model=MODEL, messages=user("hello"), stream=True))
    assert "".join(p.message.content for p in parts) == HELLO
    assert len(parts) > 2
    assert [p.done for p in parts] == [False] * (len(parts) - 1) + [True]
    last = parts[-1]
    assert last.message.content == "" and last.done_reason == "stop"
    assert last.eval_count == client.chat(model=MODEL, messages=user("hello")).eval_count
    assert_metrics_add_up(last)
    assert all(p.done_reason is None and p.eval_count is None for p in parts[:-1])


def test_stream_is_the_default_and_is_ndjson(ollama_server):
    body = {"model": MODEL, "messages": user("hello")}
    with httpx.stream("POST", f"{ollama_server.url}/api/chat", json=body, timeout=30) as r:
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/x-ndjson"
        assert r.headers["transfer-encoding"] == "chunked"
        lines = list(r.iter_lines())
    objects = [json.loads(line) for line in lines]
    assert all(line for line in lines), "no blank lines"
    assert objects[-1]["done"] is True and objects[0]["done"] is False
    assert list(objects[0]) == ["model", "created_at", "message", "done"]
    assert list(objects[-1])[:5] == ["model", "created_at", "message", "done", "done_reason"]


def test_num_predict_cuts_the_reply_with_length_and_stop_ends_it(client):
    cut = client.chat(model=MODEL, messages=user("long"), options={"num_predict": 3})
    assert cut.message.content == "one two three" and cut.done_reason == "length" and cut.eval_count == 3
    stopped = client.chat(model=MODEL, messages=user("long"), options=ollama.Options(stop=[" four"], temperature=0))
    assert stopped.message.content == "one two three" and stopped.done_reason == "stop"


# --- generate ------------------------------------------------------------------------------------


def test_generate_answers_a_prompt_with_its_context(client):
    response = client.generate(model=MODEL, prompt="hello")
    assert isinstance(response, ollama.GenerateResponse)
    assert response.response == HELLO and response.done_reason == "stop"
    assert response.context and all(isinstance(t, int) for t in response.context)
    assert_metrics_add_up(response)
    pirate = client.generate(model=MODEL, prompt="hi", system="You are a pirate.")
    assert pirate.response == "Arr, matey."


def test_generate_streams_response_pieces(client):
    parts = list(client.generate(model=MODEL, prompt="hello", stream=True))
    assert "".join(p.response for p in parts) == HELLO
    assert parts[-1].done and parts[-1].context == client.generate(model=MODEL, prompt="hello").context
    raw = client.generate(model=MODEL, prompt="hello", raw=True)
    assert raw.response == HELLO and raw.context is None


def test_generate_without_a_prompt_loads_the_model(client):
    response = client.generate(model=MODEL)
    assert response.done and response.done_reason == "load" and response.response == ""
    assert client.generate(model=MODEL, keep_alive=0).done_reason == "unload"
    assert client.chat(model=MODEL, messages=[]).done_reason == "load"


# --- models ---------------------------------------------------------------------------------------


def test_list_shows_the_pulled_models_with_typed_fields(client):
    models = client.list().models
    names = [m.model for m in models]
    assert names == [
        "llama3.2:latest", "llama3.1:8b", "qwen2.5:latest", "mistral:latest", "gemma3:latest",
        "nomic-embed-text:latest", "mxbai-embed-large:latest",
    ]
    first = models[0]
    assert isinstance(first.modified_at, datetime.datetime) and first.modified_at.tzinfo is not None
    assert first.modified_at.date() == datetime.date(2024, 9, 25)
    assert int(first.size) == 2019393189 and first.size.human_readable().startswith("1.9GiB")
    assert first.digest == hashlib.sha256(b"llama3.2:latest").hexdigest()
    assert first.details.family == "llama" and first.details.format == "gguf"
    assert first.details.parameter_size == "3.2B" and first.details.quantization_level == "Q4_K_M"


def test_show_describes_a_model(client):
    shown = client.show(MODEL)
    assert isinstance(shown, ollama.ShowResponse)
    assert shown.details.family == "llama"
    assert shown.capabilities == ["completion", "tools"]
    assert shown.modelinfo["llama.context_length"] == 131072
    assert shown.modelinfo["general.architecture"] == "llama"
    assert shown.modelfile.startswith('# Modelfile generated by "ollama show"')
    assert "{{ .Prompt }}" in shown.template and "<|eot_id|>" in shown.parameters
    assert isinstance(shown.modified_at, datetime.datetime)


def test_ps_lists_running_models(client):
    running = client.ps().models
    assert [m.name for m in running][:1] == ["llama3.2:latest"]
    assert isinstance(running[0].expires_at, datetime.datetime)
    assert running[0].size_vram == running[0].size and running[0].context_length == 4096


def test_version_and_root(ollama_server):
    assert httpx.get(f"{ollama_server.url}/api/version").json() == {"version": "0.32.15"}
    root = httpx.get(f"{ollama_server.url}/")
    assert root.text == "Ollama is running" and root.headers["content-type"].startswith("text/plain")
    assert httpx.head(f"{ollama_server.url}/").status_code == 200


# --- tools ----------------------------------------------------------------------------------------

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
            "required": ["city", "unit"],
        },
    },
}


def test_a_scripted_tool_call_has_its_arguments_as_a_dict(client):
    response = client.chat(model=MODEL, messages=user("weather in Paris?"), tools=[WEATHER_TOOL])
    assert response.message.content == "Let me check."
    (call,) = response.message.tool_calls
    assert call.function.name == "get_weather"
    assert call.function.arguments == {"city": "Paris", "unit": "c"}
    assert response.done_reason == "stop"
    parts = list(client.chat(model=MODEL, messages=user("weather in Paris?"), tools=[WEATHER_TOOL], stream=True))
    with_calls = [p for p in parts if p.message.tool_calls]
    assert len(with_calls) == 1 and not with_calls[0].done and with_calls[0].message.content == ""
    assert with_calls[0].message.tool_calls[0].function.arguments == {"city": "Paris", "unit": "c"}
    # The result goes back as a `tool` message; a rule matches it by tool name.
    messages = user("weather in Paris?") + [response.message, {"role": "tool", "content": "15", "tool_name": "get_weather"}]
    assert client.chat(model=MODEL, messages=messages, tools=[WEATHER_TOOL]).message.content == "It is 15 degrees in Paris."


def get_forecast(city: str, days: int) -> str:
    """Weather forecast for a city.

    Args:
      city: The city
      days: How many days ahead

    Returns:
      str: The forecast
    """
    return f"Sunny in {city} for {days} days"


def test_an_automatic_tool_call_then_its_result_answered_in_text(ollama_server):
    auto = ollama.Client(host=ollama_server.url, headers={"x-mockllm-auto-tools": "true"})
    messages = user("What is the forecast for Rome?")
    response = auto.chat(model=MODEL, messages=messages, tools=[get_forecast])
    (call,) = response.message.tool_calls
    assert call.function.name == "get_forecast"
    assert isinstance(call.function.arguments["city"], str) and isinstance(call.function.arguments["days"], int)
    result = get_forecast(**call.function.arguments)
    messages += [response.message, {"role": "tool", "content": result, "tool_name": "get_forecast"}]
    final = auto.chat(model=MODEL, messages=messages, tools=[get_forecast])
    assert final.message.tool_calls is None
    assert final.message.content == f"The get_forecast tool returned: {result}"


class Pet(pydantic.BaseModel):
    name: str
    age: int
    vaccinated: bool


def test_format_schema_gives_json_the_model_parses(client):
    response = client.chat(model=MODEL, messages=user("describe my pet"), format=Pet.model_json_schema())
    pet = Pet.model_validate_json(response.message.content)
    assert isinstance(pet.age, int)
    generated = client.generate(model=MODEL, prompt="describe my pet", format=Pet.model_json_schema())
    assert Pet.model_validate_json(generated.response) == pet
    assert isinstance(json.loads(client.chat(model=MODEL, messages=user("anything"), format="json").message.content), dict)


# --- errors ---------------------------------------------------------------------------------------


def test_an_unknown_model_with_strict_models_is_a_404(start_server):
    server = start_server(OLLAMA_SCRIPT + "settings:\n  strict_models: true\n")
    client = ollama.Client(host=server.url)
    with pytest.raises(ollama.ResponseError) as raised:
        client.chat(model="llama9", messages=user("hello"))
    assert raised.value.status_code == 404 and raised.value.error == "model 'llama9' not found"
    with pytest.raises(ollama.ResponseError) as shown:
        client.show("llama9")
    assert shown.value.status_code == 404
    assert client.chat(model="llama3.2:latest", messages=user("hello")).message.content == HELLO


def test_faults_raise_response_errors(ollama_server):
    failing = ollama.Client(host=ollama_server.url, headers={"x-mockllm-fault": "503"})
    with pytest.raises(ollama.ResponseError) as raised:
        failing.chat(model=MODEL, messages=user("hello"))
    assert raised.value.status_code == 503 and isinstance(raised.value.error, str)
    broken = ollama.Client(host=ollama_server.url, headers={"x-mockllm-fault": "error:3"})
    seen = []
    with pytest.raises(ollama.ResponseError) as mid_stream:
        for part in broken.chat(model=MODEL, messages=user("hello"), stream=True):
            seen.append(part.message.content)
    assert seen == list(HELLO[:3])
    assert mid_stream.value.status_code == -1
    assert mid_stream.value.error == "The server had an error while processing your request."
    garbled = ollama.Client(host=ollama_server.url, headers={"x-mockllm-fault": "malformed:2"})
    with pytest.raises(json.JSONDecodeError):
        list(garbled.chat(model=MODEL, messages=user("hello"), stream=True))


def test_bad_input_is_refused_in_ollamas_words(client):
    with pytest.raises(ollama.ResponseError) as raised:
        client.chat(model=MODEL, messages=user("hello"), options={"num_predict": "ten"})
    assert raised.value.status_code == 400 and raised.value.error == 'option "num_predict" must be of type integer'
    with pytest.raises(ollama.ResponseError) as unknown:
        client.pull(MODEL)
    assert unknown.value.status_code == 404 and unknown.value.error == "Invalid URL (POST /api/pull)"


def test_the_api_key_applies_as_a_bearer_header(start_server):
    server = start_server(OLLAMA_SCRIPT, extra_args=["--api-key", "sekrit"])
    with pytest.raises(ollama.ResponseError) as raised:
        ollama.Client(host=server.url).chat(model=MODEL, messages=user("hello"))
    assert raised.value.status_code == 401
    keyed = ollama.Client(host=server.url, headers={"Authorization": "Bearer sekrit"})
    assert keyed.chat(model=MODEL, messages=user("hello")).message.content == HELLO
