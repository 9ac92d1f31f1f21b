"""Amazon Bedrock's runtime through the real clients: boto3's `bedrock-runtime` (converse,
converse_stream with tool use, invoke_model and invoke_model_with_response_stream in each model
family's body, a ThrottlingException and a mid-stream exception raised as botocore raises them),
and `anthropic.AnthropicBedrock` (create and stream). The clients sign with dummy credentials;
the server accepts SigV4 without checking the signature."""

from __future__ import annotations

import json

import anthropic
import boto3
import botocore.config
import botocore.exceptions
import pytest

REPLY = "Hello! How can I help you today?"
CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0"

BEDROCK_SCRIPT = f"""
responses:
  hello: "{REPLY}"
faults:
  - {{name: throttled, match: {{prompt: throttle}}, status: 429}}
  - {{name: not-ready, match: {{prompt: warming}}, error: {{status: 429, type: ModelNotReadyException, message: "Model is not ready."}}}}
  - {{name: mid-error, match: {{prompt: break}}, stream: {{after: 3, error: {{type: ThrottlingException, message: "Slow down mid-stream."}}}}}}
rules:
  - name: weather-result
    match: {{tool_result: get_weather}}
    reply: "It is 15 degrees in Paris."
  - name: one-call
    match: {{prompt: {{contains: "weather"}}}}
    reply:
      text: "Let me check."
      tool_calls:
        - name: get_weather
          arguments: {{city: Paris, unit: c}}
  - {{name: any, reply: "{REPLY}"}}
"""

WEATHER_TOOL = {
    "toolSpec": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string"}}}},
    }
}


@pytest.fixture(scope="module")
def bedrock_server(session_pool):
    return session_pool.start(BEDROCK_SCRIPT, name="bedrock")


@pytest.fixture
def client(bedrock_server):
    client = boto3.client(
        "bedrock-runtime",
        endpoint_url=bedrock_server.url,
        region_name="us-east-1",
        aws_access_key_id="AKIDMOCKLLM",
        aws_secret_access_key="mock-secret",
        # One attempt: a refusal must reach the test, not be retried away.
        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )
    yield client
    bedrock_server.assert_alive()


def user(text: str) -> dict:
    return {"role": "user", "content": [{"text": text}]}


def test_converse_answers_as_bedrock_does(client):
    reply = client.converse(modelId=CLAUDE, messages=[user("hello")], system=[{"text": "Be brief."}],
                            inferenceConfig={"maxTokens": 200, "temperature": 0.5})
    assert reply["output"]["message"] == {"role": "assistant", "content": [{"text": REPLY}]}
    assert reply["stopReason"] == "end_turn"
    usage = reply["usage"]
    assert usage["outputTokens"] > 0 and usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert "latencyMs" in reply["metrics"]


def test_converse_with_a_cross_region_profile_and_max_tokens(client):
    reply = client.converse(modelId="us." + CLAUDE, messages=[user("hello")], inferenceConfig={"maxTokens": 2})
    assert reply["stopReason"] == "max_tokens"
    assert reply["usage"]["outputTokens"] == 2


def test_converse_stream_events_rebuild_the_reply(client):
    response = client.converse_stream(modelId="amazon.nova-lite-v1:0", messages=[user("hello")])
    events = list(response["stream"])
    kinds = [next(iter(event)) for event in events]
    assert kinds[0] == "messageStart" and kinds[-2:] == ["messageStop", "metadata"]
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    assert text == REPLY
    assert events[-2]["messageStop"]["stopReason"] == "end_turn"
    assert events[-1]["metadata"]["usage"]["outputTokens"] > 0
    assert "latencyMs" in events[-1]["metadata"]["metrics"]


def test_converse_stream_tool_use_and_its_result(client):
    messages = [user("what is the weather in Paris?")]
    response = client.converse_stream(modelId=CLAUDE, messages=messages, toolConfig={"tools": [WEATHER_TOOL]})
    text, tool, tool_input, stop = "", None, "", None
    for event in response["stream"]:
        if "contentBlockStart" in event:
            tool = event["contentBlockStart"]["start"]["toolUse"]
        elif "contentBlockDelta" in event:
            delta = event["contentBlockDelta"]["delta"]
            text += delta.get("text", "")
            tool_input += delta.get("toolUse", {}).get("input", "")
        elif "messageStop" in event:
            stop = event["messageStop"]["stopReason"]
    assert text == "Let me check."
    assert tool["name"] == "get_weather" and tool["toolUseId"].startswith("tooluse_")
    assert json.loads(tool_input) == {"city": "Paris", "unit": "c"}
    assert stop == "tool_use"
    messages.append({"role": "assistant", "content": [
        {"text": text}, {"toolUse": {"toolUseId": tool["toolUseId"], "name": tool["name"], "input": json.loads(tool_input)}}]})
    messages.append({"role": "user", "content": [
        {"toolResult": {"toolUseId": tool["toolUseId"], "content": [{"json": {"celsius": 15}}]}}]})
    reply = client.converse(modelId=CLAUDE, messages=messages, toolConfig={"tools": [WEATHER_TOOL]})
    assert reply["output"]["message"]["content"] == [{"text": "It is 15 degrees in Paris."}]


def test_converse_tool_use_without_streaming(client):
    reply = client.converse(modelId=CLAUDE, messages=[user("weather?")], toolConfig={"tools": [WEATHER_TOOL]})
    content = reply["output"]["message"]["content"]
    assert content[0] == {"text": "Let me check."}
    assert content[1]["toolUse"]["input"] == {"city": "Paris", "unit": "c"}
    assert reply["stopReason"] == "tool_use"


def test_invoke_model_anthropic_messages(client):
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100, "messages": [{"role": "user", "content": "hello"}]}
    response = client.invoke_model(modelId=CLAUDE, body=json.dumps(body))
    message = json.loads(response["body"].read())
    assert message["type"] == "message" and message["content"] == [{"type": "text", "text": REPLY}]
    assert message["stop_reason"] == "end_turn"
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert int(headers["x-amzn-bedrock-output-token-count"]) == message["usage"]["output_tokens"]


@pytest.mark.parametrize("model, body, read", [
    ("meta.llama3-8b-instruct-v1:0",
     {"prompt": "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhello<|eot_id|>", "max_gen_len": 100},
     lambda r: r["generation"]),
    ("amazon.titan-text-express-v1", {"inputText": "hello", "textGenerationConfig": {"maxTokenCount": 100}},
     lambda r: r["results"][0]["outputText"]),
    ("mistral.mistral-7b-instruct-v0:2", {"prompt": "<s>[INST] hello [/INST]", "max_tokens": 100},
     lambda r: r["outputs"][0]["text"]),
    ("amazon.nova-lite-v1:0", {"schemaVersion": "messages-v1", "messages": [user("hello")], "inferenceConfig": {"max_new_tokens": 100}},
     lambda r: r["output"]["message"]["content"][0]["text"]),
])
def test_invoke_model_in_each_family_body(client, model, body, read):
    response = client.invoke_model(modelId=model, body=json.dumps(body))
    assert read(json.loads(response["body"].read())) == REPLY


def test_invoke_model_with_response_stream_anthropic(client):
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100, "messages": [{"role": "user", "content": "hello"}]}
    response = client.invoke_model_with_response_stream(modelId=CLAUDE, body=json.dumps(body))
    events = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    assert events[0]["type"] == "message_start"
    text = "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta")
    assert text == REPLY
    assert events[-1]["type"] == "message_stop"
    metrics = events[-1]["amazon-bedrock-invocationMetrics"]
    assert metrics["outputTokenCount"] > 0 and metrics["inputTokenCount"] > 0


def test_invoke_model_with_response_stream_llama(client):
    body = {"prompt": "hello", "max_gen_len": 100}
    response = client.invoke_model_with_response_stream(modelId="meta.llama3-8b-instruct-v1:0", body=json.dumps(body))
    events = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    assert "".join(e["generation"] for e in events) == REPLY
    assert events[-1]["stop_reason"] == "stop"
    assert "amazon-bedrock-invocationMetrics" in events[-1]


def test_throttling_exception_is_raised_as_botocore_raises_it(client):
    with pytest.raises(client.exceptions.ThrottlingException) as raised:
        client.converse(modelId=CLAUDE, messages=[user("throttle")])
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_a_scripted_exception_type_is_its_modelled_exception(client):
    with pytest.raises(client.exceptions.ModelNotReadyException) as raised:
        client.converse(modelId=CLAUDE, messages=[user("warming")])
    assert raised.value.response["Error"]["Message"] == "Model is not ready."


def test_validation_exception_for_a_bad_body(client):
    with pytest.raises(client.exceptions.ValidationException):
        client.invoke_model(modelId=CLAUDE, body=json.dumps({"max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}))


def test_mid_stream_exception_is_raised_as_botocore_raises_it(client):
    response = client.converse_stream(modelId=CLAUDE, messages=[user("break")])
    seen = []
    with pytest.raises(botocore.exceptions.EventStreamError) as raised:
        for event in response["stream"]:
            seen.append(next(iter(event)))
    assert seen[0] == "messageStart"
    assert raised.value.response["Error"]["Code"] == "throttlingException"
    assert raised.value.response["Error"]["Message"] == "Slow down mid-stream."


def test_anthropic_bedrock_create_and_stream(bedrock_server):
    client = anthropic.AnthropicBedrock(
        aws_access_key="AKIDMOCKLLM", aws_secret_key="mock-secret", aws_region="us-east-1", base_url=bedrock_server.url,
        max_retries=0)
    message = client.messages.create(model=CLAUDE, max_tokens=100, messages=[{"role": "user", "content": "hello"}])
    assert message.content[0].text == REPLY
    assert message.stop_reason == "end_turn"
    with client.messages.stream(model=CLAUDE, max_tokens=100, messages=[{"role": "user", "content": "hello"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == REPLY
    assert final.usage.output_tokens > 0
