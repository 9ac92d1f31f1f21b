"""OpenAI's Responses API (`POST /v1/responses`, `GET`/`DELETE /v1/responses/{id}`, `input_items`)
through the real `openai` client: `responses.create` (JSON and stream), the `responses.stream`
helper and its accumulator (strict about event order, item ids and indexes), `responses.parse`,
stored responses and `previous_response_id`, scripted and automatic function calls, errors and
stream faults."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import openai
import pydantic
import pytest

from conftest import make_async_client, make_client
from mock_scripts import LONG_REPLY, SUITE_RESPONSES, script_yaml
from tool_helpers import (
    AUTO_SCRIPT,
    DESCRIPTIONS,
    FIXED_ID,
    OPENAI_CALL_ID,
    SCHEMAS,
    TIME_ARGS,
    TOOL_ORDER,
    TOOLS_SCRIPT,
    WEATHER_ARGS,
    WEATHER_PROMPT,
    GetTime,
    GetWeather,
    assert_valid_arguments,
    auto_reply_text,
)

MODEL = "gpt-4o-mini"
# The real API's ids: a prefix and 50 hex digits, the first 26 shared by a response and its items.
RESPONSE_ID = re.compile(r"^resp_[0-9a-f]{50}$")
MESSAGE_ID = re.compile(r"^msg_[0-9a-f]{50}$")
FUNCTION_CALL_ID = re.compile(r"^fc_[0-9a-f]{50}$")
HELLO = SUITE_RESPONSES["hello"]

# The flat function tool shape of the Responses API (not chat's {"type":"function","function":{...}}).
TOOLS = [
    {"type": "function", "name": name, "description": DESCRIPTIONS[name], "parameters": SCHEMAS[name], "strict": True}
    for name in TOOL_ORDER
]
PYDANTIC_TOOLS = [
    openai.pydantic_function_tool(GetTime, name="get_time"),
    openai.pydantic_function_tool(GetWeather, name="get_weather"),
]
CHAIN_SCRIPT = """
rules:
  - {name: second-turn, match: {turn: 2}, reply: "This is turn two."}
responses:
  first question: "First answer."
defaults:
  unknown_response: "No rule answers that."
"""


@pytest.fixture(scope="module")
def tools_client(session_pool):
    server = session_pool.start(TOOLS_SCRIPT, name="tools-responses")
    with make_client(server.url) as client:
        yield client
    server.assert_alive()


@pytest.fixture(scope="module")
def auto_client(session_pool):
    server = session_pool.start(AUTO_SCRIPT, name="auto-tools-responses")
    with make_client(server.url) as client:
        yield client
    server.assert_alive()


@pytest.fixture(scope="module")
def chain_client(session_pool):
    server = session_pool.start(CHAIN_SCRIPT, name="chain-responses")
    with make_client(server.url) as client:
        yield client
    server.assert_alive()


def assert_usage_adds_up(usage: Any) -> None:
    assert usage.input_tokens > 0 and usage.output_tokens >= 0
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert usage.input_tokens_details.cached_tokens == 0
    assert usage.output_tokens_details.reasoning_tokens == 0


def raw_events(client: openai.OpenAI, **kwargs: Any) -> list[Any]:
    kwargs.setdefault("model", MODEL)
    with client.responses.create(stream=True, **kwargs) as events:
        return list(events)


def assert_numbered(events: list[Any]) -> None:
    assert [e.sequence_number for e in events] == list(range(len(events)))


# --- responses.create -------------------------------------------------------------------------


def test_create_answers_from_the_script(client):
    response = client.responses.create(model=MODEL, input="hello")

    assert response.object == "response"
    assert RESPONSE_ID.match(response.id)
    assert response.status == "completed"
    assert response.model == MODEL
    assert response.output_text == HELLO
    [message] = response.output
    assert message.type == "message" and message.role == "assistant" and message.status == "completed"
    assert MESSAGE_ID.match(message.id) and message.id[4:30] == response.id[5:31]
    assert message.content[0].type == "output_text" and message.content[0].annotations == []
    assert response.error is None and response.incomplete_details is None
    assert response.tool_choice == "auto" and response.tools == [] and response.parallel_tool_calls is True
    assert response.store is True and response.text.format.type == "text"
    assert_usage_adds_up(response.usage)


def test_input_items_instructions_and_echoed_fields(client):
    response = client.responses.create(
        model=MODEL,
        instructions="Answer briefly.",
        input=[{"role": "user", "content": [{"type": "input_text", "text": "first part"}, {"type": "input_text", "text": "second part"}]}],
        metadata={"run": "42"},
        temperature=0.5,
        top_p=0.9,
    )

    assert response.output_text == SUITE_RESPONSES["first part\nsecond part"]
    assert response.instructions == "Answer briefly."
    assert response.metadata == {"run": "42"}
    assert response.temperature == 0.5 and response.top_p == 0.9


def test_retrieve_returns_the_stored_response_and_delete_forgets_it(client):
    created = client.responses.create(model=MODEL, input="hello")

    retrieved = client.responses.retrieve(created.id)
    assert retrieved.model_dump() == created.model_dump()
    assert client.responses.delete(created.id) is None
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.retrieve(created.id)
    assert caught.value.body["message"] == f"Response with id '{created.id}' not found."


def test_store_false_is_not_retrievable(client):
    created = client.responses.create(model=MODEL, input="hello", store=False)

    assert created.store is False
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)


def test_max_output_tokens_makes_the_response_incomplete(client):
    response = client.responses.create(model=MODEL, input="a long answer please", max_output_tokens=16)

    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.output[0].status == "incomplete"
    assert response.usage.output_tokens == 16
    assert LONG_REPLY.startswith(response.output_text) and response.output_text != LONG_REPLY


# --- previous_response_id ---------------------------------------------------------------------


def test_previous_response_id_continues_the_conversation(chain_client):
    first = chain_client.responses.create(model=MODEL, input="first question", instructions="Be brief.")
    second = chain_client.responses.create(model=MODEL, input="and then?", previous_response_id=first.id)

    assert first.output_text == "First answer."
    assert second.output_text == "This is turn two.", "the earlier turn counts: this is the second user turn"
    assert second.previous_response_id == first.id
    assert second.instructions is None
    assert second.usage.input_tokens > first.usage.input_tokens, "the earlier turn is part of the input"
    items = chain_client.responses.input_items.list(second.id)
    assert [(i.type, i.role, i.content[0].text) for i in items.data] == [("message", "user", "and then?")]
    assert MESSAGE_ID.match(items.data[0].id)


def test_an_unknown_previous_response_id_is_refused(chain_client):
    with pytest.raises(openai.BadRequestError) as caught:
        chain_client.responses.create(model=MODEL, input="hi", previous_response_id="resp_missing")
    assert caught.value.code == "previous_response_not_found"
    assert caught.value.param == "previous_response_id"
    assert caught.value.body["message"] == "Previous response with id 'resp_missing' not found."


# --- function calls ---------------------------------------------------------------------------


def test_a_scripted_call_is_a_function_call_item(tools_client):
    response = tools_client.responses.create(model=MODEL, input="one call please", tools=TOOLS)

    [call] = response.output
    assert call.type == "function_call" and call.status == "completed"
    assert FUNCTION_CALL_ID.match(call.id) and OPENAI_CALL_ID.match(call.call_id)
    assert call.name == "get_weather"
    assert json.loads(call.arguments) == WEATHER_ARGS
    assert response.output_text == ""
    assert [t.name for t in response.tools] == TOOL_ORDER and all(t.strict for t in response.tools)


def test_text_then_two_calls_and_a_scripted_call_id(tools_client):
    both = tools_client.responses.create(model=MODEL, input="two calls please", tools=TOOLS)
    fixed = tools_client.responses.create(model=MODEL, input="fixed id please", tools=TOOLS)

    assert [(o.name, json.loads(o.arguments)) for o in both.output] == [("get_weather", WEATHER_ARGS), ("get_time", TIME_ARGS)]
    assert len({o.id for o in both.output}) == 2
    assert fixed.output[0].call_id == FIXED_ID


def test_a_tool_result_sent_back_by_previous_response_id_matches_tool_result_rules(tools_client):
    first = tools_client.responses.create(model=MODEL, input="one call please", tools=TOOLS)
    call = first.output[0]
    followup = tools_client.responses.create(
        model=MODEL,
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "15 degrees"}],
        tools=TOOLS,
    )

    assert followup.output_text == "It is 15 degrees in Paris."


def test_the_output_sent_back_as_input_also_matches(tools_client):
    first = tools_client.responses.create(model=MODEL, input="one call please", tools=TOOLS)
    conversation: list[Any] = [{"role": "user", "content": "one call please"}]
    conversation += first.output  # the SDK's own output items, sent back as they are
    conversation.append({"type": "function_call_output", "call_id": first.output[0].call_id, "output": "no idea"})

    followup = tools_client.responses.create(model=MODEL, input=conversation, tools=TOOLS, store=False)

    assert followup.output_text == "The weather tool answered."


def test_automatic_mode_calls_an_offered_tool_then_answers_its_result(auto_client):
    first = auto_client.responses.create(model=MODEL, input=WEATHER_PROMPT, tools=TOOLS)
    [call] = first.output
    assert call.type == "function_call" and call.name == "get_weather"
    arguments = assert_valid_arguments("get_weather", call.arguments)

    result = f"{arguments['city']}: 15 degrees"
    second = auto_client.responses.create(
        model=MODEL,
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": result}],
        tools=TOOLS,
    )

    assert second.output_text == auto_reply_text([("get_weather", result)])


def test_tool_choice_names_the_function_to_call(auto_client):
    response = auto_client.responses.create(
        model=MODEL, input=WEATHER_PROMPT, tools=TOOLS, tool_choice={"type": "function", "name": "get_time"}
    )

    assert [o.name for o in response.output] == ["get_time"]
    assert response.tool_choice.type == "function" and response.tool_choice.name == "get_time"
    none = auto_client.responses.create(model=MODEL, input=WEATHER_PROMPT, tools=TOOLS, tool_choice="none")
    assert [o.type for o in none.output] == ["message"]


def test_parse_gives_pydantic_tool_arguments(auto_client):
    response = auto_client.responses.parse(model=MODEL, input=WEATHER_PROMPT, tools=PYDANTIC_TOOLS)

    [call] = response.output
    assert isinstance(call.parsed_arguments, GetWeather)


# --- structured output ------------------------------------------------------------------------


class Forecast(pydantic.BaseModel):
    city: str
    days: int
    rain: bool
    temperatures: list[float]


def test_parse_with_a_pydantic_text_format(client):
    response = client.responses.parse(model=MODEL, input="the forecast as JSON", text_format=Forecast)

    assert isinstance(response.output_parsed, Forecast)
    assert response.text.format.type == "json_schema" and response.text.format.name == "Forecast"
    assert response.text.format.strict is True
    assert Forecast.model_validate_json(response.output_text) == response.output_parsed


def test_stream_with_a_text_format_parses_the_final_text(client):
    with client.responses.stream(model=MODEL, input="the forecast as JSON", text_format=Forecast) as stream:
        done = [e for e in stream if e.type == "response.output_text.done"]
        final = stream.get_final_response()

    assert isinstance(done[0].parsed, Forecast)
    assert final.output_parsed == done[0].parsed


# --- streaming --------------------------------------------------------------------------------


def test_stream_helper_accumulates_the_text(client):
    with client.responses.stream(model=MODEL, input="unicode please") as stream:
        events = list(stream)
        final = stream.get_final_response()

    deltas = [e for e in events if e.type == "response.output_text.delta"]
    assert "".join(e.delta for e in deltas) == SUITE_RESPONSES["unicode please"]
    assert deltas[-1].snapshot == SUITE_RESPONSES["unicode please"]
    assert final.output_text == SUITE_RESPONSES["unicode please"]
    assert final.status == "completed"
    assert_numbered(events)
    assert [e.type for e in events[:4]] == [
        "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"
    ]
    assert [e.type for e in events[-4:]] == [
        "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"
    ]
    assert {e.item_id for e in deltas} == {final.output[0].id}
    assert_usage_adds_up(final.usage)


def test_a_raw_stream_ends_with_the_whole_response(client):
    events = raw_events(client, input="tricky text please")

    assert_numbered(events)
    assert events[0].response.status == "in_progress" and events[0].response.output == []
    completed = events[-1]
    assert completed.type == "response.completed"
    assert completed.response.output_text == SUITE_RESPONSES["tricky text please"]
    assert completed.response.id == events[0].response.id
    assert client.responses.retrieve(completed.response.id).output_text == SUITE_RESPONSES["tricky text please"]


def test_stream_helper_accumulates_function_call_arguments(tools_client):
    with tools_client.responses.stream(model=MODEL, input="text first please", tools=TOOLS) as stream:
        events = list(stream)
        final = stream.get_final_response()

    assert [o.type for o in final.output] == ["message", "function_call"]
    assert final.output_text == "Let me check."
    deltas = [e for e in events if e.type == "response.function_call_arguments.delta"]
    assert len(deltas) > 1, "the arguments arrive in pieces"
    assert json.loads(deltas[-1].snapshot) == WEATHER_ARGS
    assert {e.output_index for e in deltas} == {1}
    assert json.loads(final.output[1].arguments) == WEATHER_ARGS
    done = [e for e in events if e.type == "response.function_call_arguments.done"]
    assert json.loads(done[0].arguments) == WEATHER_ARGS
    # The API's schema requires the name here, and openai-python 2.x's type does.
    assert done[0].model_dump()["name"] == "get_weather"


def test_a_stream_cut_by_max_output_tokens_ends_incomplete(client):
    events = raw_events(client, input="a long answer please", max_output_tokens=16)

    assert_numbered(events)
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.incomplete_details.reason == "max_output_tokens"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == events[-1].response.output_text and LONG_REPLY.startswith(text)


def test_the_async_stream_helper(suite_server):
    async def main() -> tuple[str, Any]:
        async with make_async_client(suite_server.url) as client:
            async with client.responses.stream(model=MODEL, input="hello") as stream:
                text = "".join([e.delta async for e in stream if e.type == "response.output_text.delta"])
                return text, await stream.get_final_response()

    text, final = asyncio.run(main())
    assert text == HELLO == final.output_text


# --- errors and faults ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"input": [{"role": "robot", "content": "hi"}]}, "input[0].role"),
        ({"input": "hi", "tools": [{"type": "function", "function": {"name": "f"}}]}, "tools[0].name"),
        ({"input": "hi", "max_output_tokens": 5}, "max_output_tokens"),
        ({"input": "hi", "text": {"format": {"type": "json_schema", "name": "x"}}}, "text.format.schema"),
    ],
)
def test_a_bad_request_raises_bad_request_error(client, kwargs, param):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, **kwargs)
    assert caught.value.param == param
    assert caught.value.type == "invalid_request_error"


def test_a_mid_stream_error_event_ends_the_stream(client):
    events = raw_events(client, input="hello", extra_headers={"x-mockllm-fault": "error:5"})

    assert_numbered(events)
    error = events[-1]
    assert error.type == "error" and error.sequence_number == 5
    assert error.code == "server_error" and error.message == "The server had an error while processing your request."
    with client.responses.stream(model=MODEL, input="hello", extra_headers={"x-mockllm-fault": "error:5"}) as stream:
        with pytest.raises(RuntimeError, match="response.completed"):
            stream.get_final_response()


def test_a_truncated_stream_ends_quietly_but_the_helper_has_no_final_response(client):
    events = raw_events(client, input="hello", extra_headers={"x-mockllm-fault": "truncate:6"})

    assert [e.type for e in events][-2:] == ["response.output_text.delta", "response.output_text.delta"]
    with client.responses.stream(model=MODEL, input="hello", extra_headers={"x-mockllm-fault": "truncate:6"}) as stream:
        with pytest.raises(RuntimeError, match="response.completed"):
            stream.get_final_response()


def test_a_malformed_event_raises_json_decode_error(client):
    with pytest.raises(json.JSONDecodeError):
        raw_events(client, input="hello", extra_headers={"x-mockllm-fault": "malformed:6"})


def test_a_disconnect_mid_stream_raises_api_connection_error(client):
    with pytest.raises(openai.APIConnectionError):
        raw_events(client, input="hello", extra_headers={"x-mockllm-fault": "disconnect:6"})


def test_an_http_fault_raises_its_status_error(client):
    with pytest.raises(openai.RateLimitError):
        client.responses.create(model=MODEL, input="hello", extra_headers={"x-mockllm-fault": "429"})
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="hello", extra_headers={"x-mockllm-fault": "context_length"})
    assert caught.value.code == "context_length_exceeded"


def test_the_wire_has_event_lines_and_no_done(http):
    with http.stream("POST", "/v1/responses", json={"model": MODEL, "input": "hello", "stream": True}) as response:
        body = "".join(response.iter_text())
    blocks = [b for b in body.split("\n\n") if b]
    for block in blocks:
        event, data = block.split("\n", 1)
        assert data.startswith("data: ")
        assert json.loads(data[len("data: "):])["type"] == event[len("event: "):]
    assert "[DONE]" not in body
