"""Recording through mockllm (docs/RECORD-REPLAY.md, "Recording") with the official clients:
`mockllm serve --record DIR --upstream ...` in front of a local HTTPS upstream (Tests/Upstream/
upstream.py with a CA made at test time, relaying to a mockllm serving a script with a tool call),
then replay with the upstream stopped, by the recording server itself and by `--responses DIR
--strict` at scaled and script timing: the clients get the same content, tool calls, usage, ids
and stream events in the same order."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import anthropic
import ollama
import openai
import pytest
from google import genai
from google.genai import types

from conftest import REPO, MockServer

UPSTREAM_SCRIPT = """
rules:
  - name: weather
    match: {prompt: {contains: weather}}
    reply:
      text: "Let me check."
      tool_calls:
        - name: get_weather
          arguments: {city: Paris}
responses:
  hello: "Hello there, recorded through mockllm."
pacing:
  ttft_ms: 20
  itl_ms: 3
"""

OPENAI_KEY = "sk-sdk-record-SECRET-1111"
ANTHROPIC_KEY = "sk-ant-sdk-record-SECRET-2222"
GEMINI_KEY = "AIza-sdk-record-SECRET-3333"
TEST_ID = {"x-mockllm-test": "sdk_record"}

OPENAI_TOOL = {"type": "function", "function": {
    "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}
ANTHROPIC_TOOL = {"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}


def observe(url: str) -> dict[str, object]:
    """What the client code sees of every exchange, through the official clients."""
    seen: dict[str, object] = {}
    oa = openai.OpenAI(base_url=f"{url}/v1", api_key=OPENAI_KEY, max_retries=0, timeout=30.0, default_headers=TEST_ID)
    chat = oa.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "weather in Paris?"}],
                                      tools=[OPENAI_TOOL])
    seen["openai.chat"] = (chat.id, chat.choices[0].message.content,
                           [(c.id, c.function.name, c.function.arguments) for c in chat.choices[0].message.tool_calls],
                           chat.usage.model_dump())
    chunks = list(oa.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hello"}], stream=True,
                                             stream_options={"include_usage": True}))
    seen["openai.chat.stream"] = ([c.choices[0].delta.content if c.choices else None for c in chunks],
                                  chunks[-1].usage.model_dump(), chunks[0].id)
    response = oa.responses.create(model="gpt-4o", input="hello")
    seen["openai.responses"] = (response.id, response.output_text, response.usage.model_dump())
    events = list(oa.responses.create(model="gpt-4o", input="weather in Paris?", tools=[
        {"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}],
        stream=True))
    seen["openai.responses.stream"] = [(e.type, e.sequence_number) for e in events]
    seen["openai.responses.stream.final"] = events[-1].response.model_dump(exclude={"created_at"})
    embedding = oa.embeddings.create(model="text-embedding-3-small", input="hello")
    seen["openai.embeddings"] = (embedding.data[0].embedding[:8], embedding.usage.model_dump())
    completion = oa.completions.create(model="gpt-3.5-turbo-instruct", prompt="hello")
    seen["openai.completions"] = (completion.id, completion.choices[0].text, completion.usage.model_dump())

    an = anthropic.Anthropic(base_url=url, api_key=ANTHROPIC_KEY, max_retries=0, timeout=30.0, default_headers=TEST_ID)
    message = an.messages.create(model="claude-3-haiku", max_tokens=100, tools=[ANTHROPIC_TOOL],
                                 messages=[{"role": "user", "content": "weather in Paris?"}])
    seen["anthropic"] = message.model_dump()
    with an.messages.stream(model="claude-3-haiku", max_tokens=100, messages=[{"role": "user", "content": "hello"}]) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    seen["anthropic.stream"] = (kinds, final.model_dump())

    with genai.Client(api_key=GEMINI_KEY, http_options=types.HttpOptions(base_url=url, timeout=30_000, headers=TEST_ID)) as gm:
        reply = gm.models.generate_content(model="gemini-2.5-flash", contents="weather in Paris?", config=types.GenerateContentConfig(
            tools=[types.Tool(function_declarations=[types.FunctionDeclaration(name="get_weather", parameters={
                "type": "OBJECT", "properties": {"city": {"type": "STRING"}}})])],
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True)))
        seen["gemini"] = (reply.response_id, [(c.name, c.args) for c in reply.function_calls or []],
                          reply.usage_metadata.model_dump())
        pieces = list(gm.models.generate_content_stream(model="gemini-2.5-flash", contents="hello"))
        seen["gemini.stream"] = ([p.text for p in pieces], pieces[-1].usage_metadata.model_dump())

    ol = ollama.Client(host=url, headers=TEST_ID)
    chat = ol.chat(model="llama3.2", messages=[{"role": "user", "content": "weather in Paris?"}], tools=[OPENAI_TOOL])
    seen["ollama.chat"] = ([(c.function.name, dict(c.function.arguments)) for c in chat.message.tool_calls or []],
                           chat.prompt_eval_count, chat.eval_count)
    parts = list(ol.chat(model="llama3.2", messages=[{"role": "user", "content": "hello"}], stream=True))
    seen["ollama.chat.stream"] = ([p.message.content for p in parts], parts[-1].eval_count, parts[-1].done_reason)
    return seen


class Relay:
    """upstream.py: TLS with a CA made now, relaying to `target`."""

    def __init__(self, directory: Path, target: str) -> None:
        self.process = subprocess.Popen([sys.executable, str(REPO / "Tests" / "Upstream" / "upstream.py"), str(directory), target],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline().split()
        assert len(line) == 3 and line[0] == "PORTS", f"upstream.py said {line}"
        self.url = f"https://127.0.0.1:{line[2]}"
        self.ca = directory / "ca.pem"

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(10)


def wait_for(what: str, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.01)


def test_every_client_recorded_then_replayed_with_the_upstream_stopped(binary, start_server, tmp_path):
    upstream = start_server(UPSTREAM_SCRIPT, name="upstream")
    certificates = tmp_path / "certificates"
    certificates.mkdir()
    relay = Relay(certificates, upstream.url)
    fixtures = tmp_path / "fixtures"
    flags = ["--record", str(fixtures), "--upstream-ca", str(relay.ca)]
    for provider in ("openai", "anthropic", "gemini", "ollama"):
        flags += ["--upstream", f"{provider}={relay.url}"]
    recorder = MockServer(binary, None, "recorder", flags)
    try:
        recorded = observe(recorder.url)
        assert recorded["openai.chat"][2][0][1:] == ("get_weather", '{"city": "Paris"}')
        assert recorded["anthropic"]["content"][1]["name"] == "get_weather"
        assert recorded["gemini"][1] == [("get_weather", {"city": "Paris"})]
        assert recorded["ollama.chat"][0] == [("get_weather", {"city": "Paris"})]
        assert "".join(c for c in recorded["openai.chat.stream"][0] if c) == "Hello there, recorded through mockllm."
        fixture_file = fixtures / "sdk_record.yml"
        wait_for("every exchange written", lambda: fixture_file.exists()
                 and fixture_file.read_text().count("\n- name: ") == 12)
        text = "\n".join(p.read_text() for p in fixtures.iterdir())
        for key in (OPENAI_KEY, ANTHROPIC_KEY, GEMINI_KEY):
            assert key not in text

        relay.stop()
        upstream.stop()
        # The recorder reloads its directory: the same requests now replay, upstream gone.
        wait_for("the recorder replays", lambda: "reloaded" in recorder.output and "12 fixtures" in recorder.output)
        assert observe(recorder.url) == recorded
    finally:
        if relay.process.poll() is None:
            relay.stop()
        assert recorder.stop() == 0

    for timing in ("scaled:0.5", "script"):
        replay = MockServer(binary, fixtures, f"replay-{timing}", ["--strict", "--replay-timing", timing])
        try:
            assert observe(replay.url) == recorded, timing
        finally:
            assert replay.stop() == 0


# Bedrock through the recorder: boto3 signs for mockllm's host with its own credentials; the
# recorder signs again with those of its environment, which the relay (upstream.py) checks as AWS
# does before relaying. A mid-stream exception is recorded as one of the stream's events.
BEDROCK_UPSTREAM_SCRIPT = UPSTREAM_SCRIPT.replace("pacing:", """faults:
  - {name: mid-error, match: {prompt: break}, stream: {after: 3, error: {type: ThrottlingException, message: "Slow down mid-stream."}}}
pacing:""")
RECORDER_AWS = {"AWS_ACCESS_KEY_ID": "AKIDSDKRECORDER", "AWS_SECRET_ACCESS_KEY": "sdk/recorder+SECRET-5555",
                "AWS_SESSION_TOKEN": "sdk-recorder-session-SECRET-6666", "AWS_REGION": "eu-west-3"}
CLIENT_SESSION_TOKEN = "sdk-client-session-SECRET-7777"
CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"
WEATHER_TOOL = {"toolSpec": {"name": "get_weather", "inputSchema": {"json": {
    "type": "object", "properties": {"city": {"type": "string"}}}}}}


def observe_bedrock(url: str) -> dict[str, object]:
    """What boto3's bedrock-runtime client sees of Converse, ConverseStream and InvokeModel's stream."""
    import boto3
    import botocore.config
    import botocore.exceptions

    client = boto3.client("bedrock-runtime", endpoint_url=url, region_name="us-east-1", aws_access_key_id="AKIDSDKCLIENT",
                          aws_secret_access_key="sdk-client-secret", aws_session_token=CLIENT_SESSION_TOKEN,
                          config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}))
    client.meta.events.register("before-sign.bedrock-runtime.*",
                                lambda request, **_: request.headers.add_header("x-mockllm-test", "sdk_record_bedrock"))
    seen: dict[str, object] = {}
    reply = client.converse(modelId=CLAUDE, messages=[{"role": "user", "content": [{"text": "hello"}]}])
    seen["converse"] = (reply["output"], reply["stopReason"], reply["usage"])
    events = list(client.converse_stream(modelId=CLAUDE, messages=[{"role": "user", "content": [{"text": "weather in Paris?"}]}],
                                         toolConfig={"tools": [WEATHER_TOOL]})["stream"])
    seen["converse_stream"] = [e for e in events if "metadata" not in e] + [events[-1]["metadata"]["usage"]]
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100, "messages": [{"role": "user", "content": "hello"}]}
    chunks = client.invoke_model_with_response_stream(modelId=CLAUDE, body=json.dumps(body))["body"]
    seen["invoke_stream"] = [json.loads(event["chunk"]["bytes"]) for event in chunks]
    broken = client.converse_stream(modelId=CLAUDE, messages=[{"role": "user", "content": [{"text": "break"}]}])["stream"]
    before = []
    with pytest.raises(botocore.exceptions.EventStreamError) as raised:
        for event in broken:
            before.append(event)
    seen["mid_stream_exception"] = (len(before), raised.value.response["Error"])
    # anthropic.AnthropicBedrock signs with botocore too: InvokeModel with the Messages body.
    ab = anthropic.AnthropicBedrock(aws_access_key="AKIDSDKCLIENT", aws_secret_key="sdk-client-secret",
                                    aws_session_token=CLIENT_SESSION_TOKEN, aws_region="us-east-1", base_url=url, max_retries=0,
                                    default_headers={"x-mockllm-test": "sdk_record_bedrock"})
    seen["anthropic_bedrock"] = ab.messages.create(model=CLAUDE, max_tokens=100,
                                                   messages=[{"role": "user", "content": "hello"}]).model_dump()
    return seen


def test_bedrock_recorded_with_a_verified_signature_then_replayed(binary, start_server, tmp_path, monkeypatch):
    upstream = start_server(BEDROCK_UPSTREAM_SCRIPT, name="bedrock-upstream")
    certificates = tmp_path / "certificates"
    certificates.mkdir()
    # The relay checks SigV4 against the recorder's credentials (it inherits these).
    monkeypatch.setenv("UPSTREAM_AWS_ACCESS_KEY_ID", RECORDER_AWS["AWS_ACCESS_KEY_ID"])
    monkeypatch.setenv("UPSTREAM_AWS_SECRET_ACCESS_KEY", RECORDER_AWS["AWS_SECRET_ACCESS_KEY"])
    monkeypatch.setenv("UPSTREAM_AWS_SESSION_TOKEN", RECORDER_AWS["AWS_SESSION_TOKEN"])
    monkeypatch.setenv("UPSTREAM_AWS_REGION", RECORDER_AWS["AWS_REGION"])
    relay = Relay(certificates, upstream.url)
    for name, value in RECORDER_AWS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    fixtures = tmp_path / "fixtures"
    recorder = MockServer(binary, None, "bedrock-recorder",
                          ["--record", str(fixtures), "--upstream-ca", str(relay.ca), "--upstream", f"bedrock={relay.url}"])
    try:
        recorded = observe_bedrock(recorder.url)
        assert recorded["converse"][0]["message"]["content"] == [{"text": "Hello there, recorded through mockllm."}]
        tool = next(e["contentBlockStart"]["start"]["toolUse"] for e in recorded["converse_stream"] if "contentBlockStart" in e)
        assert tool["name"] == "get_weather"
        assert recorded["invoke_stream"][0]["type"] == "message_start" and recorded["invoke_stream"][-1]["type"] == "message_stop"
        assert recorded["mid_stream_exception"] == (3, {"Code": "throttlingException", "Message": "Slow down mid-stream."})
        fixture_file = fixtures / "sdk_record_bedrock.yml"
        assert recorded["anthropic_bedrock"]["content"][0]["text"] == "Hello there, recorded through mockllm."
        wait_for("every exchange written", lambda: fixture_file.exists() and fixture_file.read_text().count("\n- name: ") == 5)
        text = fixture_file.read_text()
        assert text.count("x-upstream-sigv4: verified") == 5  # every exchange's signature checked upstream
        assert "exception: throttlingException" in text and "event: chunk" in text
        for secret in (RECORDER_AWS["AWS_SECRET_ACCESS_KEY"], RECORDER_AWS["AWS_SESSION_TOKEN"], CLIENT_SESSION_TOKEN, "AKIDSDK"):
            assert secret not in text

        relay.stop()
        upstream.stop()
        wait_for("the recorder replays", lambda: "reloaded" in recorder.output and "5 fixtures" in recorder.output)
        assert observe_bedrock(recorder.url) == recorded
    finally:
        if relay.process.poll() is None:
            relay.stop()
        assert recorder.stop() == 0

    replay = MockServer(binary, fixtures, "bedrock-replay", ["--strict", "--replay-timing", "scaled:0.5"])
    try:
        assert observe_bedrock(replay.url) == recorded
    finally:
        assert replay.stop() == 0


AZURE_KEY = "azure-sdk-record-SECRET-8888"


def observe_azure(url: str) -> dict[str, object]:
    """What openai.AzureOpenAI sees of a chat completion (with a tool call), a stream and an embedding."""
    client = openai.AzureOpenAI(azure_endpoint=url, azure_deployment="gpt-4o-mini", api_version="2024-10-21", api_key=AZURE_KEY,
                                max_retries=0, timeout=30.0, default_headers={"x-mockllm-test": "sdk_record_azure"})
    seen: dict[str, object] = {}
    chat = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "weather in Paris?"}],
                                          tools=[OPENAI_TOOL])
    seen["chat"] = chat.model_dump()
    chunks = list(client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}], stream=True))
    seen["stream"] = [c.model_dump() for c in chunks]
    return seen


def test_azure_recorded_with_its_api_key_forwarded_then_replayed(binary, start_server, tmp_path):
    upstream = start_server(UPSTREAM_SCRIPT, name="azure-upstream")
    certificates = tmp_path / "certificates"
    certificates.mkdir()
    relay = Relay(certificates, upstream.url)
    fixtures = tmp_path / "fixtures"
    recorder = MockServer(binary, None, "azure-recorder",
                          ["--record", str(fixtures), "--upstream-ca", str(relay.ca), "--upstream", f"azure={relay.url}"])
    try:
        recorded = observe_azure(recorder.url)
        assert recorded["chat"]["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "get_weather"
        assert "".join(c["choices"][0]["delta"]["content"] or "" for c in recorded["stream"] if c["choices"]) \
            == "Hello there, recorded through mockllm."
        fixture_file = fixtures / "sdk_record_azure.yml"
        wait_for("every exchange written", lambda: fixture_file.exists() and fixture_file.read_text().count("\n- name: ") == 2)
        text = fixture_file.read_text()
        assert text.count("x-upstream-saw-credentials: api-key") == 2  # forwarded as it came
        assert "api-version=2024-10-21" in text and AZURE_KEY not in text
        relay.stop()
        upstream.stop()
        wait_for("the recorder replays", lambda: "reloaded" in recorder.output and "2 fixtures" in recorder.output)
        assert observe_azure(recorder.url) == recorded
    finally:
        if relay.process.poll() is None:
            relay.stop()
        assert recorder.stop() == 0
