"""Gemini's embeddings through the real `google-genai` client (3.6.1): `models.embed_content`,
which on the Developer API always posts `models/{model}:batchEmbedContents` (one request per
content), and the single `:embedContent` over plain HTTP. Full-length vectors are unit length and
the same as the other protocols' for the same text; `output_dimensionality` keeps the first
values without normalising them again, as Google's API does."""

from __future__ import annotations

import math
from typing import Iterator

import httpx
import ollama
import pytest
from google import genai
from google.genai import errors, types

from mock_scripts import SUITE_RESPONSES, script_yaml

MODEL = "gemini-embedding-001"


def gemini_client(url: str, **options) -> genai.Client:
    return genai.Client(api_key="test", http_options=types.HttpOptions(base_url=url, timeout=30_000, **options))


def norm(vector) -> float:
    return math.sqrt(sum(v * v for v in vector))


@pytest.fixture
def gemini(suite_server) -> Iterator[genai.Client]:
    with gemini_client(suite_server.url) as client:
        yield client
    suite_server.assert_alive()


def test_each_content_gets_a_full_unit_vector_in_order(gemini):
    texts = ["first", "second", "third"]
    response = gemini.models.embed_content(model=MODEL, contents=texts)

    assert isinstance(response, types.EmbedContentResponse)
    vectors = [e.values for e in response.embeddings]
    assert [len(v) for v in vectors] == [3072, 3072, 3072]
    assert all(norm(v) == pytest.approx(1.0, abs=1e-5) for v in vectors)
    singles = [gemini.models.embed_content(model=MODEL, contents=text).embeddings[0].values for text in texts]
    assert vectors == singles
    assert len({tuple(v) for v in vectors}) == 3


def test_output_dimensionality_keeps_the_first_values_unnormalised(gemini):
    full = gemini.models.embed_content(model=MODEL, contents="hello").embeddings[0].values
    config = types.EmbedContentConfig(output_dimensionality=256, task_type="RETRIEVAL_DOCUMENT", title="A title")
    short = gemini.models.embed_content(model=MODEL, contents=["hello", "world"], config=config).embeddings

    assert [len(e.values) for e in short] == [256, 256]
    assert short[0].values == full[:256]
    assert norm(short[0].values) < 0.9, "only full-length vectors are normalised"


def test_text_embedding_004_has_768_values(gemini):
    assert len(gemini.models.embed_content(model="text-embedding-004", contents="hello").embeddings[0].values) == 768


def test_the_v1beta_api_version_works_too(suite_server):
    with gemini_client(suite_server.url, api_version="v1beta") as client:
        response = client.models.embed_content(model=MODEL, contents="hi", config={"output_dimensionality": 8})
    assert len(response.embeddings[0].values) == 8


def test_embed_content_over_http_matches_the_batch(gemini, suite_server):
    reply = httpx.post(
        f"{suite_server.url}/v1beta/models/{MODEL}:embedContent?key=k",
        json={"content": {"parts": [{"text": "hello"}]}, "outputDimensionality": 16},
        timeout=30,
    )
    assert reply.status_code == 200 and list(reply.json()) == ["embedding"]
    batch = gemini.models.embed_content(model=MODEL, contents="hello", config={"output_dimensionality": 16})
    assert reply.json()["embedding"]["values"] == batch.embeddings[0].values


def test_the_same_text_gets_the_same_vector_in_every_protocol(gemini, client, suite_server):
    text = "the same text everywhere"
    gemini_full = gemini.models.embed_content(model=MODEL, contents=text).embeddings[0].values
    openai_full = client.embeddings.create(model="text-embedding-3-large", input=text, encoding_format="float").data[0].embedding
    ollama_client = ollama.Client(host=suite_server.url)
    ollama_full = ollama_client.embed(model="llama3.2", input=text).embeddings[0]
    assert gemini_full == openai_full == ollama_full

    gemini_768 = gemini.models.embed_content(model="text-embedding-004", contents=text).embeddings[0].values
    assert gemini_768 == ollama_client.embed(model="nomic-embed-text", input=text).embeddings[0]

    # A shortened Gemini vector points where the other protocols' vector of that length points.
    short = gemini.models.embed_content(model=MODEL, contents=text, config={"output_dimensionality": 32}).embeddings[0].values
    openai_32 = client.embeddings.create(model="text-embedding-3-large", input=text, dimensions=32, encoding_format="float").data[0].embedding
    assert [v / norm(short) for v in short] == pytest.approx(openai_32, abs=1e-6)


def test_the_listing_shows_the_embedding_models(gemini):
    model = gemini.models.get(model=MODEL)
    assert model.name == f"models/{MODEL}" and model.input_token_limit == 2048
    assert "embedContent" in model.supported_actions and "generateContent" not in model.supported_actions


def test_a_bad_request_is_a_400_client_error(gemini):
    with pytest.raises(errors.ClientError) as caught:
        gemini.models.embed_content(model=MODEL, contents="x", config={"output_dimensionality": 5000})
    assert (caught.value.code, caught.value.status) == (400, "INVALID_ARGUMENT")
    assert caught.value.message == (
        "* BatchEmbedContentsRequest.requests[0].output_dimensionality: output_dimensionality must be at most 3072 for models/gemini-embedding-001.\n"
    )

    with pytest.raises(errors.ClientError) as caught:
        gemini.models.embed_content(model=MODEL, contents="x", config={"task_type": "GUESSING"})
    assert caught.value.code == 400 and "TaskType" in caught.value.message


def test_an_unknown_or_chat_model_is_a_404_with_strict_models(start_server):
    server = start_server(script_yaml(SUITE_RESPONSES, settings={"strict_models": True}), name="strict-gemini")
    with gemini_client(server.url) as client:
        for model in ("gemini-embedding-9", "gemini-2.5-flash"):
            with pytest.raises(errors.ClientError) as caught:
                client.models.embed_content(model=model, contents="x")
            assert (caught.value.code, caught.value.status) == (404, "NOT_FOUND")
            assert caught.value.message.startswith(f"models/{model} is not found for API version v1, or is not supported for batchEmbedContents.")
        assert len(client.models.embed_content(model=MODEL, contents="x").embeddings[0].values) == 3072
