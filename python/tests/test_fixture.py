"""The `mockllm` fixture of this very session (the plugin is installed with the wheel): the
built-in script, one server for the session, base URLs per protocol, the journal, faults."""

import hashlib
import json
import re
import urllib.request

from conftest import chat, post

from mockllm_server import make_test_id

HELLO = "Hello! How can I help you today?"


def test_one_server_for_the_session(mockllm, mockllm_server):
    assert mockllm.server is mockllm_server and mockllm_server.alive
    assert mockllm.url == mockllm_server.url
    with urllib.request.urlopen(mockllm.url + "/health", timeout=10) as reply:
        assert json.loads(reply.read()) == {"status": "ok"}


def test_openai_base_url(mockllm):
    assert mockllm.openai_base_url == f"{mockllm.url}/t/{mockllm.test_id}/v1"
    assert mockllm.server.openai_base_url == mockllm.url + "/v1"
    status, _, body = chat(mockllm.openai_base_url, "hello")
    assert status == 200 and body["choices"][0]["message"]["content"] == HELLO


def test_openai_sdk(mockllm):
    from openai import OpenAI

    client = OpenAI(base_url=mockllm.openai_base_url, api_key="test", max_retries=0,
                    default_headers=mockllm.headers)
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
    assert reply.choices[0].message.content == HELLO
    assert [(e["test"], e["headers"]["user-agent"].split("/")[0]) for e in mockllm.requests()] == [(mockllm.test_id, "OpenAI")]


def test_anthropic_base_url(mockllm):
    status, _, body = post(mockllm.anthropic_base_url + "/v1/messages",
                           {"model": "claude-3-haiku", "max_tokens": 100, "messages": [{"role": "user", "content": "hello"}]},
                           {"anthropic-version": "2023-06-01"})
    assert status == 200 and body["content"][0]["text"] == HELLO


def test_gemini_base_url(mockllm):
    status, _, body = post(mockllm.gemini_base_url + "/v1beta/models/gemini-2.5-flash:generateContent",
                           {"contents": [{"role": "user", "parts": [{"text": "hello"}]}]})
    assert status == 200 and body["candidates"][0]["content"]["parts"][0]["text"] == HELLO


def test_ollama_base_url(mockllm):
    status, _, body = post(mockllm.ollama_base_url + "/api/chat",
                           {"model": "llama3.2", "stream": False, "messages": [{"role": "user", "content": "hello"}]})
    assert status == 200 and body["message"]["content"] == HELLO


def test_test_id_is_a_path_segment_from_the_nodeid(mockllm, request):
    digest = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:8]
    assert mockllm.test_id == make_test_id(request.node.nodeid)
    assert re.fullmatch(r"[A-Za-z0-9._-]+", mockllm.test_id)
    assert mockllm.test_id.endswith("test_fixture.py-test_test_id_is_a_path_segment_from_the_nodeid-" + digest)
    assert mockllm.headers == {"x-mockllm-test": mockllm.test_id}
    assert mockllm.scoped_openai_base_url == f"{mockllm.url}/t/{mockllm.test_id}/v1"
    assert mockllm.scoped_anthropic_base_url == f"{mockllm.url}/t/{mockllm.test_id}"
    assert mockllm.scoped_gemini_base_url == mockllm.scoped_ollama_base_url == mockllm.scoped_url


def test_the_global_journal_since_the_test_began(mockllm):
    chat(mockllm.openai_base_url, "hello")
    chat(mockllm.server.openai_base_url, "ping")
    mine = mockllm.requests_since_start()
    assert [entry["body"]["messages"][0]["content"] for entry in mine] == ["hello", "ping"]
    assert [entry["test"] for entry in mine] == [mockllm.test_id, None]
    assert [entry["status"] for entry in mine] == [200, 200]
    assert mockllm.requests_since_start(path="/v1/chat/completions", limit=1)[0]["body"]["messages"][0]["content"] == "ping"
    assert len(mockllm.server.requests()) >= 2


def test_a_fault_asked_for_by_header(mockllm):
    status, headers, body = chat(mockllm.openai_base_url, "hello", mockllm.fault_headers("429"))
    assert status == 429 and headers["x-mockllm-fault"] == "header"
    assert body["error"]["type"]
    status, headers, _ = chat(mockllm.openai_base_url, "hello", mockllm.headers)
    assert status == 200 and "x-mockllm-fault" not in headers
    assert [entry["status"] for entry in mockllm.requests_since_start()] == [429, 200]


def test_arming_an_unknown_scenario_raises_the_servers_error(mockllm):
    import pytest
    from mockllm_server import MockLLMError

    with pytest.raises(MockLLMError) as raised:
        mockllm.arm_fault("no-such-scenario")
    assert raised.value.status == 404
    assert "no fault belongs to scenario 'no-such-scenario'" in str(raised.value)
    assert mockllm.faults()["scenario"] is None


def test_make_test_id_keeps_ids_apart_and_short():
    a = make_test_id("tests/test_a.py::test_x[a b]")
    b = make_test_id("tests/test_a.py::test_x[a/b]")
    assert a != b and a.startswith("tests-test_a.py-test_x-a-b-") and b.startswith("tests-test_a.py-test_x-a-b-")
    long = make_test_id("t.py::test_" + "x" * 500 + "[é]")
    assert len(long) <= 96 and re.fullmatch(r"[A-Za-z0-9._-]+", long)
    assert re.fullmatch(r"[0-9a-f]{8}", make_test_id("::[]"))
    assert make_test_id("../..::x") not in (".", "..") and "/" not in make_test_id("../..::x")
