"""The repository's config/responses.yml, and the original mockllm's documented example."""

from __future__ import annotations

import re
import time

import httpx
import pytest
import yaml

from chat_helpers import MOCK_ID, ask, assert_one_stream, assert_usage_adds_up, stream, streamed_text
from conftest import REPO_RESPONSES, make_client

REPO_SCRIPT = yaml.safe_load(REPO_RESPONSES.read_text(encoding="utf-8"))
REPO_REPLIES: dict[str, str] = REPO_SCRIPT["responses"]
REPO_UNKNOWN_REPLY: str = REPO_SCRIPT["defaults"]["unknown_response"]

# The original's docs (seed/mockllm-docs.md, "Quick Example"): its responses.yml and curl request.
DOCS_RESPONSES_YML = """\
responses:
  "What is the capital of France?": "Paris is the capital of France."
  "default": "This is a mock response."
"""
DOCS_CURL_BODY = {
    "model": "gpt-3.5-turbo",
    "messages": [{"role": "user", "content": "What is the capital of France?"}],
}
ORIGINAL_BUILTIN_UNKNOWN_REPLY = "I don't know the answer to that."


@pytest.fixture
def repo_client(repo_server):
    with make_client(repo_server.url) as client:
        yield client
    repo_server.assert_alive()


def assert_documented_shape(body: dict, *, model: str, content: str) -> None:
    """The answer the docs print for the curl example, field by field (its text aside)."""
    assert list(body) == ["id", "object", "created", "model", "choices", "usage"]
    assert MOCK_ID.match(body["id"]), body["id"]
    assert body["object"] == "chat.completion"
    assert type(body["created"]) is int and abs(body["created"] - time.time()) < 60
    assert body["model"] == model
    assert body["choices"] == [
        {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
    ]
    assert list(body["choices"][0]) == ["index", "message", "finish_reason"]
    assert list(body["choices"][0]["message"]) == ["role", "content"]
    usage = body["usage"]
    assert list(usage) == ["prompt_tokens", "completion_tokens", "total_tokens"]
    assert all(type(v) is int and v > 0 for v in usage.values())
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_the_documented_curl_example_gets_the_documented_answer_shape(repo_server):
    # curl -X POST http://localhost:8000/v1/chat/completions -H "Content-Type: application/json" -d '{...}'
    response = httpx.post(
        f"{repo_server.url}/v1/chat/completions",
        headers={"Content-Type": "application/json"},
        json=DOCS_CURL_BODY,
        timeout=30.0,
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert_documented_shape(response.json(), model="gpt-3.5-turbo", content="Paris is the capital of France.")


def test_the_docs_own_responses_file_serves_the_curl_example_unchanged(start_server):
    server = start_server(DOCS_RESPONSES_YML, name="docs-example")

    response = httpx.post(f"{server.url}/v1/chat/completions", json=DOCS_CURL_BODY, timeout=30.0)

    assert response.status_code == 200
    assert_documented_shape(response.json(), model="gpt-3.5-turbo", content="Paris is the capital of France.")


def test_in_the_docs_example_default_is_an_ordinary_key_not_a_fallback(start_server):
    server = start_server(DOCS_RESPONSES_YML, name="docs-example")

    with make_client(server.url) as client:
        assert ask(client, "default").choices[0].message.content == "This is a mock response."
        assert ask(client, "What is 15+15?").choices[0].message.content == ORIGINAL_BUILTIN_UNKNOWN_REPLY


@pytest.mark.parametrize("prompt", list(REPO_REPLIES))
def test_every_example_in_config_responses_yml_is_answered_through_the_sdk(repo_client, prompt):
    completion = ask(repo_client, prompt, model="gpt-3.5-turbo")

    assert completion.choices[0].message.content == REPO_REPLIES[prompt]
    assert completion.model == "gpt-3.5-turbo"
    assert completion.choices[0].finish_reason == "stop"
    assert_usage_adds_up(completion.usage)


@pytest.mark.parametrize("prompt", list(REPO_REPLIES))
def test_every_example_in_config_responses_yml_streams_through_the_sdk(repo_client, prompt):
    chunks = stream(repo_client, prompt, model="gpt-4o")

    assert streamed_text(chunks) == REPO_REPLIES[prompt]
    assert_one_stream(chunks, model="gpt-4o")


def test_the_multi_line_haiku_keeps_its_newlines(repo_client):
    haiku = ask(repo_client, "Write a haiku about mock servers").choices[0].message.content

    assert haiku.count("\n") == 2 and not haiku.endswith("\n")


def test_config_responses_yml_has_its_own_default_reply(repo_client):
    assert ask(repo_client, "what is the airspeed of an unladen swallow?").choices[0].message.content == REPO_UNKNOWN_REPLY


def test_the_introspection_endpoints_answer_in_the_originals_shapes(repo_server):
    with httpx.Client(base_url=repo_server.url, timeout=30.0) as http:
        health = http.get("/health")
        models = http.get("/models").json()
        providers = http.get("/providers").json()

    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert "gpt-3.5-turbo" in models["models"] and "gpt-4o" in models["models"]
    assert set(models["by_provider"]["openai"]) <= set(models["models"])
    openai_provider = providers["openai"]
    assert {"path": "/v1/chat/completions", "method": "POST"}.items() <= openai_provider["endpoints"][0].items()
    assert openai_provider["capabilities"]["streaming"] is True
    assert re.match(r"^\d+\.\d+\.\d+$", openai_provider["version"])
    anthropic_provider = providers["anthropic"]
    assert {"path": "/v1/messages", "method": "POST"}.items() <= anthropic_provider["endpoints"][0].items()
    assert anthropic_provider["capabilities"]["streaming"] is True
    assert "claude-3-haiku-20240307" in models["by_provider"]["anthropic"]
    assert set(models["by_provider"]["anthropic"]) <= set(models["models"])


def test_the_sdk_can_list_models(repo_client):
    models = repo_client.models.list()

    assert "gpt-4o" in [model.id for model in models]


def test_the_sdk_can_retrieve_a_model(repo_client):
    model = repo_client.models.retrieve("gpt-4o")

    assert model.id == "gpt-4o"
    assert model.object == "model"
    assert model.owned_by == "openai"
    assert model._request_id and model._request_id.startswith("req_")
