"""OpenAI's legacy completions endpoint (`POST /v1/completions`) through the real `openai` client."""

from __future__ import annotations

import openai
import pytest

from chat_helpers import assert_usage_adds_up
from conftest import make_client
from mock_scripts import SUITE_RESPONSES

MODEL = "gpt-3.5-turbo-instruct"


def test_a_prompt_gets_the_scripts_reply(client):
    completion = client.completions.create(model=MODEL, prompt="hello")

    assert completion.object == "text_completion"
    assert completion.id.startswith("cmpl-")
    assert completion.model == MODEL
    assert len(completion.choices) == 1
    assert completion.choices[0].text == SUITE_RESPONSES["hello"]
    assert completion.choices[0].index == 0
    assert completion.choices[0].finish_reason == "stop"
    assert_usage_adds_up(completion.usage)


def test_a_stream_joins_to_the_reply(client):
    chunks = list(client.completions.create(model=MODEL, prompt="hello", stream=True, stream_options={"include_usage": True}))

    assert "".join(c.text for chunk in chunks for c in chunk.choices) == SUITE_RESPONSES["hello"]
    assert {chunk.id for chunk in chunks} == {chunks[0].id}
    assert [c.finish_reason for chunk in chunks for c in chunk.choices if c.finish_reason] == ["stop"]
    assert chunks[-1].choices == []
    assert_usage_adds_up(chunks[-1].usage)


def test_a_list_of_prompts_gets_one_choice_each_in_order(client):
    completion = client.completions.create(model=MODEL, prompt=["hello", "héllo 世界?"])

    assert [c.index for c in completion.choices] == [0, 1]
    assert [c.text for c in completion.choices] == [SUITE_RESPONSES["hello"], SUITE_RESPONSES["héllo 世界?"]]


def test_echo_prepends_the_prompt(client):
    completion = client.completions.create(model=MODEL, prompt="hello", echo=True)

    assert completion.choices[0].text == "hello" + SUITE_RESPONSES["hello"]


def test_max_tokens_cuts_with_length(client):
    completion = client.completions.create(model=MODEL, prompt="hello", max_tokens=2)

    assert completion.choices[0].finish_reason == "length"
    assert SUITE_RESPONSES["hello"].startswith(completion.choices[0].text)
    assert len(completion.choices[0].text) < len(SUITE_RESPONSES["hello"])
    assert completion.usage.completion_tokens == 2


@pytest.mark.parametrize(
    "kwargs, param",
    [({"n": 2}, "n"), ({"temperature": 5}, "temperature"), ({"max_tokens": 0}, "max_tokens")],
)
def test_invalid_requests_raise_bad_request(client, kwargs, param):
    with pytest.raises(openai.BadRequestError) as raised:
        client.completions.create(model=MODEL, prompt="hello", **kwargs)

    assert raised.value.status_code == 400
    assert raised.value.body["param"] == param


def test_rules_can_match_the_endpoint(start_server):
    server = start_server(
        """
rules:
  - name: legacy
    match: {endpoint: /v1/completions, prompt: who}
    reply: "Completions-shaped."
  - name: chat
    match: {prompt: who}
    reply: "Chat-shaped."
"""
    )
    with make_client(server.url) as client:
        assert client.completions.create(model=MODEL, prompt="who").choices[0].text == "Completions-shaped."
        chat = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "who"}])
        assert chat.choices[0].message.content == "Chat-shaped."
