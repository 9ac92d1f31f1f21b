"""Ollama's embeddings through the real `ollama` client (0.6.3): `embed` (`POST /api/embed`,
unit-length vectors of the model's embedding length, `dimensions`, `truncate`) and the legacy
`embeddings` (`POST /api/embeddings`, the model's raw, unnormalised vector), deterministic from
the text and the same as the other protocols' vectors for the same text and length."""

from __future__ import annotations

import math
from typing import Iterator

import httpx
import ollama
import pytest

from mock_scripts import SUITE_RESPONSES, script_yaml

NOMIC = "nomic-embed-text"


def norm(vector) -> float:
    return math.sqrt(sum(v * v for v in vector))


@pytest.fixture
def ollama_client(suite_server) -> Iterator[ollama.Client]:
    yield ollama.Client(host=suite_server.url)
    suite_server.assert_alive()


def test_embed_gives_unit_vectors_of_the_models_length(ollama_client):
    response = ollama_client.embed(model=NOMIC, input=["first", "second", "third"])

    assert isinstance(response, ollama.EmbedResponse)
    assert response.model == NOMIC
    assert [len(v) for v in response.embeddings] == [768, 768, 768]
    assert all(norm(v) == pytest.approx(1.0, abs=1e-5) for v in response.embeddings)
    assert response.prompt_eval_count == 3
    assert response.load_duration > 0 and response.total_duration > response.load_duration


def test_a_batch_keeps_its_order_and_each_text_its_vector(ollama_client):
    texts = ["alpha", "beta", "gamma"]
    batch = ollama_client.embed(model=NOMIC, input=texts).embeddings
    singles = [ollama_client.embed(model=NOMIC, input=text).embeddings[0] for text in texts]

    assert batch == singles
    assert len({tuple(v) for v in batch}) == 3
    assert ollama_client.embed(model=NOMIC, input="alpha").embeddings == [batch[0]]


@pytest.mark.parametrize(("model", "length"), [("nomic-embed-text", 768), ("mxbai-embed-large", 1024), ("llama3.2", 3072)])
def test_each_model_has_its_embedding_length(ollama_client, model, length):
    assert len(ollama_client.embed(model=model, input="hello").embeddings[0]) == length


def test_dimensions_shortens_and_renormalises(ollama_client):
    short = ollama_client.embed(model=NOMIC, input="hello", dimensions=64).embeddings[0]
    full = ollama_client.embed(model=NOMIC, input="hello").embeddings[0]

    assert len(short) == 64 and norm(short) == pytest.approx(1.0, abs=1e-5)
    head = norm(full[:64])
    assert short == pytest.approx([v / head for v in full[:64]], abs=1e-6)


def test_an_input_over_the_context_is_truncated_unless_truncate_is_false(ollama_client):
    cut = ollama_client.embed(model=NOMIC, input="why is the sky blue?", options={"num_ctx": 1})
    assert cut.embeddings == ollama_client.embed(model=NOMIC, input="why").embeddings
    assert cut.prompt_eval_count == 1

    with pytest.raises(ollama.ResponseError) as caught:
        ollama_client.embed(model=NOMIC, input="why is the sky blue?", truncate=False, options={"num_ctx": 3})
    assert (caught.value.status_code, caught.value.error) == (400, "the input length exceeds the context length")


def test_an_empty_input_only_loads_the_model(ollama_client):
    response = ollama_client.embed(model=NOMIC, input=[])
    assert response.embeddings == [] and response.prompt_eval_count is None


def test_the_legacy_endpoint_sends_the_raw_vector(ollama_client):
    legacy = ollama_client.embeddings(model=NOMIC, prompt="hello")

    assert isinstance(legacy, ollama.EmbeddingsResponse)
    assert len(legacy.embedding) == 768
    length = norm(legacy.embedding)
    assert 10 <= length < 20, "not normalised, as a model's own output"
    unit = ollama_client.embed(model=NOMIC, input="hello").embeddings[0]
    assert [v / length for v in legacy.embedding] == pytest.approx(unit, abs=1e-6)
    assert ollama_client.embeddings(model=NOMIC, prompt="hello").embedding == legacy.embedding
    assert ollama_client.embeddings(model=NOMIC, prompt="").embedding == []


def test_the_same_text_gets_the_same_vector_as_openais(ollama_client, client):
    ollama_vector = ollama_client.embed(model=NOMIC, input="the same text").embeddings[0]
    openai_vector = client.embeddings.create(
        model="text-embedding-3-small", input="the same text", dimensions=768, encoding_format="float"
    ).data[0].embedding

    assert ollama_vector == openai_vector


def test_an_embedding_model_is_shown_as_one(ollama_client):
    shown = ollama_client.show(NOMIC)
    assert shown.capabilities == ["embedding"]
    assert shown.modelinfo["nomic-bert.embedding_length"] == 768
    assert "nomic-embed-text:latest" in [m.model for m in ollama_client.list().models]


def test_bad_input_is_refused_in_ollamas_words(suite_server, ollama_client):
    reply = httpx.post(f"{suite_server.url}/api/embed", json={"model": NOMIC, "input": 5}, timeout=30)
    assert (reply.status_code, reply.json()) == (400, {"error": "invalid input type"})

    # The client checks `dimensions` itself; a raw request shows the server's words.
    reply = httpx.post(f"{suite_server.url}/api/embed", json={"model": NOMIC, "input": "x", "dimensions": 1.5}, timeout=30)
    assert reply.status_code == 400
    assert reply.json()["error"] == "json: cannot unmarshal number 1.5 into Go struct field EmbedRequest.dimensions of type int"

    with pytest.raises(ollama.ResponseError) as caught:
        ollama_client.embeddings(model=NOMIC, prompt="x", options={"num_ctx": "big"})
    assert (caught.value.status_code, caught.value.error) == (400, 'option "num_ctx" must be of type integer')


def test_a_model_that_is_not_pulled_is_a_404_with_strict_models(start_server):
    server = start_server(script_yaml(SUITE_RESPONSES, settings={"strict_models": True}), name="strict-ollama")
    strict = ollama.Client(host=server.url)
    for call in (lambda: strict.embed(model="phi4", input="x"), lambda: strict.embeddings(model="phi4", prompt="x")):
        with pytest.raises(ollama.ResponseError) as caught:
            call()
        assert (caught.value.status_code, caught.value.error) == (404, 'model "phi4" not found, try pulling it first')
    assert len(strict.embed(model=NOMIC, input="x").embeddings[0]) == 768
