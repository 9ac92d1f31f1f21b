"""Test scopes through the real clients: a base URL ending in `/t/ID` is all a test needs for
rule counts, sequences, fault schedules, quotas and stored responses of its own (no header
plumbing), for the openai, anthropic, google-genai and ollama clients alike; the journal's
`?test=ID` shows that test's requests only, and `DELETE /_mockllm/tests/ID` starts it again."""

from __future__ import annotations

import anthropic
import httpx
import ollama
import openai
import pytest
from google import genai
from google.genai import errors, types

SCOPES_SCRIPT = """rules:
  - name: attempts
    match: {prompt: attempt}
    replies: ["attempt {{count}} failed once", "attempt {{count}} succeeded"]
faults:
  - name: cold-start
    match: {prompt: cold}
    status: 503
    when: {first: 1}
responses:
  hi: "hello there"
quotas:
  requests_per_minute: 3
  per: global
"""


def openai_client(url: str, test: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/t/{test}/v1", api_key="test", max_retries=0, timeout=30.0)


def anthropic_client(url: str, test: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=f"{url}/t/{test}", api_key="test", max_retries=0, timeout=30.0)


def ask_openai(client: openai.OpenAI, prompt: str) -> str:
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}])
    return reply.choices[0].message.content


def ask_anthropic(client: anthropic.Anthropic, prompt: str) -> str:
    reply = client.messages.create(model="claude-3-5-haiku-latest", max_tokens=100,
                                   messages=[{"role": "user", "content": prompt}])
    return reply.content[0].text


def test_each_base_url_scope_counts_its_own_sequence(start_server):
    server = start_server(SCOPES_SCRIPT)
    with openai_client(server.url, "test_a") as a, openai_client(server.url, "test_b") as b:
        assert ask_openai(a, "attempt") == "attempt 1 failed once"
        assert ask_openai(b, "attempt") == "attempt 1 failed once"
        assert ask_openai(a, "attempt") == "attempt 2 succeeded"
    with anthropic_client(server.url, "test_a") as a:
        assert ask_anthropic(a, "attempt") == "attempt 3 succeeded", "the same scope over another protocol"
    with anthropic_client(server.url, "test_c") as c:
        assert ask_anthropic(c, "attempt") == "attempt 1 failed once"


def test_faults_and_quotas_are_armed_per_scope(start_server):
    server = start_server(SCOPES_SCRIPT)
    for test in ("cold_a", "cold_b"):
        with openai_client(server.url, test) as client:
            with pytest.raises(openai.InternalServerError) as raised:
                ask_openai(client, "cold")
            assert raised.value.status_code == 503
            assert raised.value.response.headers["x-mockllm-fault"] == "cold-start"
            assert ask_openai(client, "cold") == "I don't know the answer to that."  # spent in this scope
            assert ask_openai(client, "hi") == "hello there"
            with pytest.raises(openai.RateLimitError):
                ask_openai(client, "hi")  # the scope's fourth request: over its quota of 3


def test_gemini_and_ollama_clients_take_the_prefix_too(start_server):
    server = start_server(SCOPES_SCRIPT)
    gemini = genai.Client(api_key="test", http_options=types.HttpOptions(base_url=f"{server.url}/t/g1", timeout=30_000))
    assert gemini.models.generate_content(model="gemini-2.0-flash", contents="attempt").text == "attempt 1 failed once"
    assert gemini.models.generate_content(model="gemini-2.0-flash", contents="attempt").text == "attempt 2 succeeded"
    local = ollama.Client(host=f"{server.url}/t/o1")
    reply = local.chat(model="llama3.2", messages=[{"role": "user", "content": "attempt"}])
    assert reply.message.content == "attempt 1 failed once"
    assert gemini.models.generate_content(model="gemini-2.0-flash", contents="hi").text == "hello there"
    with pytest.raises(errors.ClientError) as raised:
        gemini.models.generate_content(model="gemini-2.0-flash", contents="hi")
    assert raised.value.code == 429, "the scope's quota of 3 is spent"


def test_stored_responses_journal_and_reset_belong_to_the_scope(start_server):
    server = start_server(SCOPES_SCRIPT)
    with openai_client(server.url, "store_a") as a, openai_client(server.url, "store_b") as b:
        created = a.responses.create(model="gpt-4o-mini", input="hi")
        assert a.responses.retrieve(created.id).id == created.id
        with pytest.raises(openai.NotFoundError):
            b.responses.retrieve(created.id)
    journal = httpx.get(f"{server.url}/_mockllm/requests", params={"test": "store_a"}).json()["requests"]
    assert [(entry["method"], entry["path"], entry["test"]) for entry in journal] == [
        ("POST", "/v1/responses", "store_a"), ("GET", f"/v1/responses/{created.id}", "store_a")]
    assert httpx.delete(f"{server.url}/_mockllm/tests/store_a").status_code == 204
    assert httpx.get(f"{server.url}/_mockllm/requests", params={"test": "store_a"}).json()["requests"] == []
    with openai_client(server.url, "store_a") as a, pytest.raises(openai.NotFoundError):
        a.responses.retrieve(created.id)


def test_a_scope_script_is_put_over_http_and_its_errors_are_located(start_server):
    server = start_server(SCOPES_SCRIPT)
    bad = httpx.put(f"{server.url}/_mockllm/tests/scripted/script", content="rules:\n  - reply: x\nsettings: {}\n")
    assert bad.status_code == 400
    assert bad.json()["errors"][0].startswith("<test scripted>:3:1: error: 'settings' is the server's")
    good = httpx.put(f"{server.url}/_mockllm/tests/scripted/script",
                     content='rules:\n  - match: {prompt: hi}\n    reply: "hi from this test"\n')
    assert good.status_code == 200, good.text
    with openai_client(server.url, "scripted") as scoped, openai_client(server.url, "other") as other:
        assert ask_openai(scoped, "hi") == "hi from this test"
        assert ask_openai(other, "hi") == "hello there"
