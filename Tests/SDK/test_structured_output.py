"""Structured output through the real SDKs: `chat.completions.parse` / `.stream` with a Pydantic
`response_format`, `json_object`, and Anthropic `messages.parse(output_format=...)`. With no rule
answering, the mock generates JSON valid against the requested schema; a rule's `json:` (or text)
reply is sent as is."""

from __future__ import annotations

import enum
import json
from typing import List, Literal, Optional

import anthropic
import jsonschema
import pydantic
import pytest
from openai.lib._pydantic import to_strict_json_schema

from anthropic_helpers import CLAUDE, MAX_TOKENS
from chat_helpers import MODEL, user
from conftest import make_anthropic_client, make_client


class Color(str, enum.Enum):
    red = "red"
    green = "green"
    blue = "blue"


class Address(pydantic.BaseModel):
    street: str
    city: str
    zip: Optional[str] = None


class Person(pydantic.BaseModel):
    name: str
    age: int
    height: float
    active: bool
    tags: List[str]
    color: Color
    kind: Literal["friend", "colleague"]
    address: Address
    previous: List[Address]
    nickname: Optional[str] = None


class Bounded(pydantic.BaseModel):
    """Keywords OpenAI's strict mode supports: bounds on numbers, lengths of strings and arrays."""

    score: int = pydantic.Field(ge=1, le=5)
    ratio: float = pydantic.Field(ge=0.25, le=0.75)
    code: str = pydantic.Field(min_length=3, max_length=5)
    items: List[int] = pydantic.Field(min_length=2, max_length=3)


PROFILE = {
    "name": "Ada",
    "age": 36,
    "height": 1.65,
    "active": True,
    "tags": ["math", "engines"],
    "color": "green",
    "kind": "colleague",
    "address": {"street": "12 St James's Square", "city": "London", "zip": None},
    "previous": [{"street": "Marylebone", "city": "London", "zip": "NW1"}],
    "nickname": "Enchantress of Numbers",
}
PLAIN_TEXT_REPLY = "This is not JSON at all."
UNKNOWN_REPLY = "Nothing scripted for structured output."

STRUCTURED_SCRIPT = f"""
rules:
  - name: profile
    match: {{prompt: {{contains: profile}}}}
    reply:
      json: {json.dumps(PROFILE)}
  - name: plain
    match: {{prompt: {{contains: "plain text"}}}}
    reply: {json.dumps(PLAIN_TEXT_REPLY)}
responses:
  hello: "Hello."
defaults:
  unknown_response: {json.dumps(UNKNOWN_REPLY)}
"""


@pytest.fixture(scope="module")
def structured_server(session_pool):
    return session_pool.start(STRUCTURED_SCRIPT, name="structured")


@pytest.fixture
def oa(structured_server):
    with make_client(structured_server.url) as client:
        yield client
    structured_server.assert_alive()


@pytest.fixture
def an(structured_server):
    with make_anthropic_client(structured_server.url) as client:
        yield client
    structured_server.assert_alive()


@pytest.fixture
def anthropic_parse(an):
    if not hasattr(an.messages, "parse"):
        pytest.skip(f"anthropic {anthropic.__version__} has no messages.parse (structured outputs came in 2.x)")
    return an.messages.parse


def assert_compact_json(content: str) -> object:
    """`content` is compact JSON text (no whitespace between tokens); returns the decoded value."""
    value = json.loads(content)
    in_string = escaped = False
    for char in content:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        else:
            assert not char.isspace(), f"whitespace between JSON tokens: {content!r}"
    return value


# --- OpenAI: chat.completions.parse ------------------------------------------------------------


@pytest.mark.parametrize("model", [Person, Bounded])
def test_parse_gets_generated_json_valid_against_the_schema(oa, model):
    completion = oa.chat.completions.parse(model=MODEL, messages=user("Describe someone."), response_format=model)
    choice = completion.choices[0]

    assert choice.finish_reason == "stop"
    assert choice.message.refusal is None
    assert isinstance(choice.message.parsed, model)
    jsonschema.validate(json.loads(choice.message.content), to_strict_json_schema(model))
    assert completion.usage.completion_tokens > 0


def test_generated_json_fills_the_nested_parts(oa):
    person = oa.chat.completions.parse(
        model=MODEL, messages=user("Describe someone."), response_format=Person
    ).choices[0].message.parsed

    assert isinstance(person.address, Address)
    assert isinstance(person.color, Color)
    assert person.kind in ("friend", "colleague")
    assert all(isinstance(item, Address) for item in person.previous)


def test_a_json_rule_is_sent_as_compact_json_and_parsed(oa):
    message = oa.chat.completions.parse(
        model=MODEL, messages=user("my profile please"), response_format=Person
    ).choices[0].message

    assert message.parsed == Person(**PROFILE)
    assert message.parsed.color is Color.green
    assert assert_compact_json(message.content) == PROFILE


def test_a_json_rule_answers_without_response_format_too(oa):
    content = oa.chat.completions.create(model=MODEL, messages=user("my profile please")).choices[0].message.content

    assert assert_compact_json(content) == PROFILE


def test_a_text_rule_is_sent_as_is_even_with_a_json_schema(oa):
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "Person", "strict": True, "schema": to_strict_json_schema(Person)},
    }

    choice = oa.chat.completions.create(
        model=MODEL, messages=user("plain text please"), response_format=response_format
    ).choices[0]

    assert choice.message.content == PLAIN_TEXT_REPLY
    assert choice.finish_reason == "stop"


def test_json_object_without_a_rule_wraps_the_default_answer(oa):
    content = oa.chat.completions.create(
        model=MODEL, messages=user("Answer in json."), response_format={"type": "json_object"}
    ).choices[0].message.content

    value = json.loads(content)
    assert isinstance(value, dict)
    assert value == {"text": UNKNOWN_REPLY}


def test_json_object_with_a_json_rule_gets_the_rule(oa):
    content = oa.chat.completions.create(
        model=MODEL, messages=user("my profile please, as json"), response_format={"type": "json_object"}
    ).choices[0].message.content

    assert json.loads(content) == PROFILE


# --- OpenAI: chat.completions.stream ------------------------------------------------------------


@pytest.mark.parametrize("chunking", ["word", "token", "character", "characters:8"])
def test_the_stream_helper_parses_generated_json(oa, chunking):
    with oa.chat.completions.stream(
        model=MODEL, messages=user("Describe someone."), response_format=Person,
        extra_headers={"x-mockllm-chunking": chunking},
    ) as events:
        deltas = [e.delta for e in events if e.type == "content.delta"]
        final = events.get_final_completion()

    message = final.choices[0].message
    assert isinstance(message.parsed, Person)
    assert "".join(deltas) == message.content
    assert final.choices[0].finish_reason == "stop"
    jsonschema.validate(json.loads(message.content), to_strict_json_schema(Person))


def test_the_stream_helper_parses_a_json_rule(oa):
    with oa.chat.completions.stream(model=MODEL, messages=user("my profile please"), response_format=Person) as events:
        done = [e for e in events if e.type == "content.done"]
        final = events.get_final_completion()

    assert final.choices[0].message.parsed == Person(**PROFILE)
    assert [e.parsed for e in done] == [Person(**PROFILE)]


# --- Anthropic: messages.parse ------------------------------------------------------------------


def test_anthropic_parse_gets_generated_json_valid_against_the_model(anthropic_parse):
    message = anthropic_parse(
        model=CLAUDE, max_tokens=MAX_TOKENS, messages=user("Describe someone."), output_format=Person
    )

    assert [block.type for block in message.content] == ["text"]
    assert isinstance(message.parsed_output, Person)
    assert Person.model_validate_json(message.content[0].text) == message.parsed_output
    assert message.stop_reason == "end_turn"


def test_anthropic_parse_gets_a_json_rule(anthropic_parse):
    message = anthropic_parse(
        model=CLAUDE, max_tokens=MAX_TOKENS, messages=user("my profile please"), output_format=Person
    )

    assert message.parsed_output == Person(**PROFILE)
    assert assert_compact_json(message.content[0].text) == PROFILE


def test_anthropic_stream_with_output_format_parses_generated_json(an, anthropic_parse):
    with an.messages.stream(
        model=CLAUDE, max_tokens=MAX_TOKENS, messages=user("Describe someone."), output_format=Person
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()

    assert isinstance(final.parsed_output, Person)
    assert Person.model_validate_json(text) == final.parsed_output
