"""The model registry through both SDKs: `GET /v1/models` and `GET /v1/models/{id}` (Anthropic's
paged shape for requests with `anthropic-version`, OpenAI's list otherwise), models added in the
script's `models:` section, and `settings.strict_models`."""

from __future__ import annotations

from datetime import datetime

import anthropic
import httpx
import openai
import pytest

from anthropic_helpers import CLAUDE, REQUEST_ID, say, text_of
from chat_helpers import ask, stream, streamed_text
from conftest import make_anthropic_client, make_client
from mock_scripts import script_yaml

# Built-in registry (docs/MIGRATING.md, "Default model registry"): name -> aliases.
OPENAI_MODELS = {"gpt-3.5-turbo", "gpt-4", "gpt-4-turbo", "gpt-4o", "gpt-4o-mini"}
CLAUDE_MODELS = {
    "claude-3-sonnet-20240229": "Claude 3 Sonnet",
    "claude-3-opus-20240229": "Claude 3 Opus",
    "claude-3-haiku-20240307": "Claude 3 Haiku",
    "claude-2.1": "Claude 2.1",
    "claude-2.0": "Claude 2.0",
}

HELLO = "Hello from the models script."
MODELS_SCRIPT = script_yaml(
    {"hello": HELLO},
    models=[
        {"id": "my-model", "provider": "anthropic", "aliases": ["mm"], "max_output_tokens": 1000,
         "display_name": "My Model"},
        {"id": "my-gpt", "provider": "openai", "aliases": ["mg"], "max_output_tokens": 50},
    ],
)
STRICT_SCRIPT = MODELS_SCRIPT.replace("responses:", "settings:\n  strict_models: true\nresponses:", 1)


@pytest.fixture(scope="module")
def models_server(session_pool):
    return session_pool.start(MODELS_SCRIPT, name="models")


@pytest.fixture(scope="module")
def strict_server(session_pool):
    return session_pool.start(STRICT_SCRIPT, name="strict-models")


@pytest.fixture
def models_clients(models_server):
    with make_client(models_server.url) as oa, make_anthropic_client(models_server.url) as an:
        yield oa, an
    models_server.assert_alive()


@pytest.fixture
def strict_clients(strict_server):
    with make_client(strict_server.url) as oa, make_anthropic_client(strict_server.url) as an:
        yield oa, an
    strict_server.assert_alive()


# --- the built-in registry ------------------------------------------------------------------


def test_the_anthropic_sdk_lists_the_claude_models_with_display_names(anthropic_client):
    models = list(anthropic_client.models.list())

    by_id = {m.id: m for m in models}
    assert set(CLAUDE_MODELS) <= set(by_id)
    for model_id, display_name in CLAUDE_MODELS.items():
        assert by_id[model_id].display_name == display_name
    assert all(m.type == "model" and isinstance(m.created_at, datetime) for m in models)
    assert all(m.id.startswith("claude") for m in models), [m.id for m in models]
    assert not any(m.id.startswith("gpt") for m in models)


def test_the_anthropic_listing_is_newest_first(anthropic_client):
    created = [m.created_at for m in anthropic_client.models.list()]

    assert created == sorted(created, reverse=True)


def test_the_anthropic_sdk_pages_through_the_models_with_after_id(anthropic_client):
    everything = [m.id for m in anthropic_client.models.list()]

    first = anthropic_client.models.list(limit=2)
    assert [m.id for m in first.data] == everything[:2]
    assert first.has_more is True
    assert (first.first_id, first.last_id) == (everything[0], everything[1])
    # Iterating the page makes the SDK fetch the rest with after_id.
    assert [m.id for m in anthropic_client.models.list(limit=2)] == everything


def test_the_anthropic_sdk_retrieves_a_model_by_alias(anthropic_client):
    model = anthropic_client.models.retrieve("claude-3-haiku")

    assert model.id == "claude-3-haiku-20240307"
    assert model.display_name == "Claude 3 Haiku"
    assert model.type == "model"
    assert REQUEST_ID.match(model._request_id)


def test_the_anthropic_sdk_retrieves_a_model_by_its_full_name(anthropic_client):
    assert anthropic_client.models.retrieve("claude-3-opus-20240229").display_name == "Claude 3 Opus"


def test_the_anthropic_sdk_cannot_retrieve_a_model_its_listing_does_not_have(anthropic_client):
    assert "gpt-4o" not in [m.id for m in anthropic_client.models.list()]

    with pytest.raises(anthropic.NotFoundError):
        anthropic_client.models.retrieve("gpt-4o")


def test_retrieving_an_unknown_model_raises_not_found_in_the_anthropic_sdk(anthropic_client):
    with pytest.raises(anthropic.NotFoundError) as caught:
        anthropic_client.models.retrieve("claude-99")

    assert caught.value.body["error"]["type"] == "not_found_error"
    assert caught.value.request_id == caught.value.response.headers["request-id"]


def test_the_openai_sdk_lists_every_model(client):
    ids = [m.id for m in client.models.list()]

    assert OPENAI_MODELS <= set(ids)
    assert set(CLAUDE_MODELS) <= set(ids)
    assert len(ids) == len(set(ids))


def test_the_openai_sdk_retrieves_a_model_by_name_and_by_alias(client):
    model = client.models.retrieve("gpt-4o")
    alias = client.models.retrieve("turbo")

    assert (model.id, model.object, model.owned_by) == ("gpt-4o", "model", "openai")
    assert type(model.created) is int and model.created > 0
    assert alias.id == "gpt-3.5-turbo"


def test_retrieving_an_unknown_model_raises_not_found_in_the_openai_sdk(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("gpt-99")

    assert caught.value.code == "model_not_found"
    assert caught.value.type == "invalid_request_error"


def test_the_same_path_answers_in_each_providers_shape(http):
    openai_shape = http.get("/v1/models").json()
    anthropic_shape = http.get("/v1/models", headers={"anthropic-version": "2023-06-01"}).json()

    assert list(openai_shape) == ["object", "data"] and openai_shape["object"] == "list"
    assert list(anthropic_shape) == ["data", "has_more", "first_id", "last_id"]
    assert anthropic_shape["has_more"] is False


def test_the_anthropic_listing_refuses_a_bad_limit(anthropic_client):
    with pytest.raises(anthropic.BadRequestError) as caught:
        anthropic_client.models.list(limit=0)

    assert caught.value.body["error"]["type"] == "invalid_request_error"


# --- models added in the script -------------------------------------------------------------


def test_a_model_added_in_yaml_is_listed_by_both_sdks(models_clients):
    oa, an = models_clients

    anthropic_models = {m.id: m for m in an.models.list()}
    openai_ids = [m.id for m in oa.models.list()]

    assert "my-model" in anthropic_models and "my-model" in openai_ids
    assert anthropic_models["my-model"].display_name == "My Model"
    assert anthropic_models["my-model"].max_tokens == 1000
    # An OpenAI model added in the script is not one of Anthropic's.
    assert "my-gpt" in openai_ids and "my-gpt" not in anthropic_models


def test_a_model_added_in_yaml_resolves_by_alias_in_both_sdks(models_clients):
    oa, an = models_clients

    assert an.models.retrieve("mm").id == "my-model"
    assert oa.models.retrieve("mm").id == "my-model"
    assert oa.models.retrieve("mm").owned_by == "anthropic"
    assert oa.models.retrieve("mg").id == "my-gpt"


def test_without_strict_models_an_unknown_model_is_answered(models_clients):
    oa, an = models_clients

    assert text_of(say(an, "hello", model="no-such-model", max_tokens=100000)) == HELLO
    assert ask(oa, "hello", model="no-such-model", max_tokens=100000).choices[0].message.content == HELLO


# --- strict_models --------------------------------------------------------------------------


def test_strict_models_refuses_an_unknown_model_in_the_anthropic_sdk(strict_clients):
    _, an = strict_clients

    with pytest.raises(anthropic.NotFoundError) as caught:
        say(an, "hello", model="claude-99")

    assert caught.value.body["error"]["type"] == "not_found_error"
    assert "claude-99" in caught.value.body["error"]["message"]
    assert caught.value.request_id == caught.value.response.headers["request-id"]


def test_strict_models_refuses_an_unknown_model_in_an_anthropic_stream_before_any_event(strict_clients):
    _, an = strict_clients

    with pytest.raises(anthropic.NotFoundError):
        with an.messages.stream(model="claude-99", max_tokens=10, messages=[{"role": "user", "content": "hello"}]) as s:
            list(s)


def test_strict_models_refuses_too_many_max_tokens_in_the_anthropic_sdk(strict_clients):
    _, an = strict_clients

    with pytest.raises(anthropic.BadRequestError) as caught:
        say(an, "hello", model="mm", max_tokens=1001)
    with pytest.raises(anthropic.BadRequestError):
        say(an, "hello", model="claude-3-haiku", max_tokens=4097)

    assert caught.value.body["error"]["type"] == "invalid_request_error"
    assert "max_tokens" in caught.value.body["error"]["message"]


def test_strict_models_accepts_known_names_and_aliases_up_to_their_limit(strict_clients):
    _, an = strict_clients

    for model, limit in (("my-model", 1000), ("mm", 1000), (CLAUDE, 4096), ("haiku", 4096)):
        message = say(an, "hello", model=model, max_tokens=limit)
        assert text_of(message) == HELLO
        assert message.model == model  # echoed as sent, not resolved


def test_strict_models_refuses_an_unknown_model_in_the_openai_sdk(strict_clients):
    oa, _ = strict_clients

    with pytest.raises(openai.NotFoundError) as caught:
        ask(oa, "hello", model="gpt-99")
    with pytest.raises(openai.NotFoundError):
        stream(oa, "hello", model="gpt-99")

    assert caught.value.code == "model_not_found"
    assert caught.value.type == "invalid_request_error"
    assert "gpt-99" in caught.value.message


def test_strict_models_refuses_too_many_max_tokens_in_the_openai_sdk(strict_clients):
    oa, _ = strict_clients

    with pytest.raises(openai.BadRequestError) as caught:
        ask(oa, "hello", model="mg", max_tokens=51)
    with pytest.raises(openai.BadRequestError):
        ask(oa, "hello", model="my-gpt", max_completion_tokens=51)

    assert caught.value.type == "invalid_request_error"
    assert caught.value.param == "max_tokens"


def test_strict_models_accepts_known_openai_names_and_aliases(strict_clients):
    oa, _ = strict_clients

    assert ask(oa, "hello", model="gpt-4o").choices[0].message.content == HELLO
    assert ask(oa, "hello", model="turbo").model == "turbo"
    assert streamed_text(stream(oa, "hello", model="mg", max_tokens=50)) == HELLO


@pytest.mark.parametrize("sdk", ["anthropic", "openai"])
def test_strict_models_refuses_the_other_providers_model(strict_clients, sdk):
    oa, an = strict_clients

    if sdk == "anthropic":
        with pytest.raises(anthropic.NotFoundError):
            say(an, "hello", model="gpt-4o", max_tokens=100)
    else:
        with pytest.raises(openai.NotFoundError):
            ask(oa, "hello", model="claude-3-haiku")


def test_strict_models_does_not_change_the_listings(strict_clients, strict_server):
    oa, an = strict_clients

    assert "my-model" in [m.id for m in an.models.list()]
    assert "my-gpt" in [m.id for m in oa.models.list()]
    assert httpx.get(f"{strict_server.url}/health", timeout=30.0).json() == {"status": "ok"}
