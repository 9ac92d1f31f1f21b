"""Per-test scopes through the fixture (docs/SCOPES.md): its base URLs and header name the test's
scope, `script()` puts rules there, `requests()` reads its journal, `faults()` its fault counts,
`reset()` drops it. Against the installed wheel's server, which has scopes."""

import textwrap

import pytest

from conftest import chat
from mockllm_server import MockLLMError, MockLLMTest, ScopesUnavailable

HELLO = "Hello! How can I help you today?"
SCRIPT = textwrap.dedent('''
    responses:
      "hello": "Hello from a scoped script"
''')


def content(reply):
    return reply[2]["choices"][0]["message"]["content"]


def test_the_server_has_scopes(mockllm_server):
    assert mockllm_server.supports_scopes() is True


def test_a_scoped_script_answers_by_path_and_by_header(mockllm):
    mockllm.script(SCRIPT)
    assert content(chat(mockllm.openai_base_url, "hello")) == "Hello from a scoped script"
    assert content(chat(mockllm.server.openai_base_url, "hello", mockllm.headers)) == "Hello from a scoped script"
    # Neither the header nor the prefix: the session's script.
    assert content(chat(mockllm.server.openai_base_url, "hello")) == HELLO


def test_the_scoped_journal_lists_this_tests_requests_only(mockllm):
    mockllm.script(SCRIPT)
    chat(mockllm.server.openai_base_url, "hello", mockllm.headers)
    chat(mockllm.server.openai_base_url, "not mine")
    chat(mockllm.openai_base_url, "ping")
    mine = mockllm.requests()
    assert [entry["body"]["messages"][0]["content"] for entry in mine] == ["hello", "ping"]
    assert {entry["test"] for entry in mine} == {mockllm.test_id}
    assert [entry["path"] for entry in mine] == ["/v1/chat/completions"] * 2


def test_times_are_counted_per_scope(mockllm):
    """Two scopes with the same script: each sees the rule's `times: 1` once."""
    script = textwrap.dedent('''
        rules:
          - name: once
            match: {prompt: {contains: "hi"}}
            reply: "first"
            times: 1
          - name: then
            match: {prompt: {contains: "hi"}}
            reply: "after"
    ''')
    other = MockLLMTest(mockllm.server, mockllm.test_id + "-other")
    try:
        mockllm.script(script)
        other.script(script)
        assert content(chat(mockllm.openai_base_url, "hi")) == "first"
        assert content(chat(other.openai_base_url, "hi")) == "first"
        assert content(chat(mockllm.openai_base_url, "hi")) == "after"
        assert [e["rule"] for e in mockllm.requests()] == ["rule once", "rule then"]
        assert [e["rule"] for e in other.requests()] == ["rule once"]
    finally:
        other.finish()


def test_a_fault_of_the_scope_is_counted_in_the_scope(mockllm):
    mockllm.script(textwrap.dedent('''
        responses: {"hello": "Hi"}
        faults:
          - name: first-fails
            status: 503
            when: {first: 1}
    '''))
    assert chat(mockllm.openai_base_url, "hello")[0] == 503
    assert chat(mockllm.openai_base_url, "hello")[0] == 200
    faults = {f["name"]: f for f in mockllm.faults()["faults"]}
    assert faults["first-fails"]["injected"] == 1
    mockllm.reset_faults()
    assert chat(mockllm.openai_base_url, "hello")[0] == 503
    # Unscoped requests never see the scope's fault.
    assert chat(mockllm.server.openai_base_url, "hello")[0] == 200


def test_a_refused_script_raises_with_the_servers_error(mockllm):
    with pytest.raises(MockLLMError) as raised:
        mockllm.script("responses: [not, a, map\n")
    assert not isinstance(raised.value, ScopesUnavailable)
    assert raised.value.status == 400
    assert "refused the script" in str(raised.value) and raised.value.message


def test_reset_drops_the_scope(mockllm):
    mockllm.script(SCRIPT)
    chat(mockllm.openai_base_url, "hello")
    mockllm.reset()
    assert mockllm.requests() == []
    assert content(chat(mockllm.openai_base_url, "hello")) == HELLO


def test_finish_drops_the_scope_the_fixture_made(mockllm_server):
    """What the fixture does at teardown: even a test that set no script leaves no scope."""
    test = MockLLMTest(mockllm_server, "finish-drops-it")
    test.drop_scope_on_finish = True
    chat(test.openai_base_url, "hello")
    assert "finish-drops-it" in [t["id"] for t in mockllm_server.call_json("GET", "/_mockllm/tests")["tests"]]
    test.finish()
    assert "finish-drops-it" not in [t["id"] for t in mockllm_server.call_json("GET", "/_mockllm/tests")["tests"]]
