"""`POST /v1/embeddings` through the real `openai` client: unit-length vectors, deterministic
from the text, in the order sent, as floats or base64 (the SDK asks for base64 and decodes it
when the caller names no `encoding_format`)."""

from __future__ import annotations

import array
import base64
import math

import openai
import pytest

MODEL = "text-embedding-3-small"


def as_float32(vector: list[float]) -> list[float]:
    """The JSON floats are float32 values in shortest form: rounded back to float32 they are exact."""
    return array.array("f", vector).tolist()


def norm(vector: list[float]) -> float:
    return math.sqrt(sum(v * v for v in vector))


def test_a_string_gets_1536_floats_of_unit_norm(client):
    reply = client.embeddings.create(model=MODEL, input="hello")

    assert reply.object == "list"
    assert reply.model == MODEL
    assert len(reply.data) == 1
    item = reply.data[0]
    assert item.object == "embedding" and item.index == 0
    assert len(item.embedding) == 1536
    assert all(isinstance(v, float) for v in item.embedding)
    assert norm(item.embedding) == pytest.approx(1.0, abs=1e-4)
    assert reply.usage.prompt_tokens == reply.usage.total_tokens > 0


def test_dimensions_sets_the_length(client):
    reply = client.embeddings.create(model=MODEL, input="hello", dimensions=256)

    assert len(reply.data[0].embedding) == 256
    assert norm(reply.data[0].embedding) == pytest.approx(1.0, abs=1e-4)


def test_a_large_model_defaults_to_3072(client):
    reply = client.embeddings.create(model="text-embedding-3-large", input="hello", encoding_format="float")

    assert len(reply.data[0].embedding) == 3072


def test_a_batch_keeps_its_order_and_indexes(client):
    texts = ["first", "second", "third"]
    batch = client.embeddings.create(model=MODEL, input=texts, encoding_format="float")

    assert [item.index for item in batch.data] == [0, 1, 2]
    for text, item in zip(texts, batch.data):
        alone = client.embeddings.create(model=MODEL, input=text, encoding_format="float")
        assert alone.data[0].embedding == item.embedding
    assert batch.data[0].embedding != batch.data[1].embedding


def test_the_same_text_gets_the_same_vector(client):
    a = client.embeddings.create(model=MODEL, input="deterministic", encoding_format="float")
    b = client.embeddings.create(model=MODEL, input="deterministic", encoding_format="float")
    other = client.embeddings.create(model=MODEL, input="something else", encoding_format="float")

    assert a.data[0].embedding == b.data[0].embedding
    assert a.data[0].embedding != other.data[0].embedding


def test_the_sdk_default_base64_decodes_to_the_float_vector(client, http):
    """openai 3.57.0 sends encoding_format="base64" when none is given, and decodes the reply."""
    default = client.embeddings.create(model=MODEL, input="hello")
    floats = client.embeddings.create(model=MODEL, input="hello", encoding_format="float")

    assert default.data[0].embedding == as_float32(floats.data[0].embedding)

    raw = http.post("/v1/embeddings", json={"model": MODEL, "input": "hello"}).json()
    assert isinstance(raw["data"][0]["embedding"], list)


def test_explicit_base64_returns_the_string(client):
    reply = client.embeddings.create(model=MODEL, input="hello", encoding_format="base64")
    floats = client.embeddings.create(model=MODEL, input="hello", encoding_format="float")

    encoded = reply.data[0].embedding
    assert isinstance(encoded, str)
    assert array.array("f", base64.b64decode(encoded)).tolist() == as_float32(floats.data[0].embedding)


def test_token_ids_are_accepted(client):
    reply = client.embeddings.create(model=MODEL, input=[[1, 2, 3], [4, 5]], encoding_format="float")

    assert [item.index for item in reply.data] == [0, 1]
    assert reply.usage.prompt_tokens == 5


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"input": ""}, "input"),
        ({"input": []}, "input"),
        ({"input": ["ok", ""]}, "input"),
        ({"input": "hi", "dimensions": 0}, "dimensions"),
        ({"input": "hi", "encoding_format": "int8"}, "encoding_format"),
    ],
)
def test_bad_requests_raise_bad_request(client, kwargs, param):
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model=MODEL, **kwargs)

    assert caught.value.status_code == 400
    body = caught.value.body
    assert body["type"] == "invalid_request_error"
    assert body["param"] == param


def test_a_missing_input_raises_bad_request(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/embeddings", body={"model": MODEL}, cast_to=object)

    assert caught.value.body["param"] == "input"
    assert caught.value.body["code"] == "missing_required_parameter"
