"""Per-test scopes: the client side of issue 21's server API.

The tests that need scopes run only against a server that has them (one where
`PUT /_mockllm/tests/x/script` answers something other than 404) and are skipped with that
reason otherwise; the last test runs only against a server without them and checks the plugin
says so clearly."""

import textwrap

import pytest

from conftest import chat
from mockllm_server import MockLLMError, ScopesUnavailable


@pytest.fixture(scope="session")
def has_scopes(mockllm_server):
    return mockllm_server.supports_scopes()


@pytest.fixture
def scoped(mockllm, has_scopes):
    if not has_scopes:
        pytest.skip("this mockllm server has no per-test scopes yet: PUT /_mockllm/tests/x/script answered 404 "
                    "(issue 21's server side); these tests run once it has them")
    return mockllm


SCRIPT = textwrap.dedent('''
    responses:
      "hello": "Hello from a scoped script"
''')


def test_a_scoped_script_answers_by_header_and_by_path(scoped):
    scoped.script(SCRIPT)
    status, body = chat(scoped.openai_base_url, "hello", scoped.headers)[::2]
    assert status == 200 and body["choices"][0]["message"]["content"] == "Hello from a scoped script"
    status, body = chat(scoped.scoped_openai_base_url, "hello")[::2]
    assert status == 200 and body["choices"][0]["message"]["content"] == "Hello from a scoped script"
    # Without the header or the prefix: the session's script.
    status, body = chat(scoped.openai_base_url, "hello")[::2]
    assert body["choices"][0]["message"]["content"] == "Hello! How can I help you today?"


def test_the_scoped_journal_lists_this_tests_requests_only(scoped):
    scoped.script(SCRIPT)
    chat(scoped.openai_base_url, "hello", scoped.headers)
    chat(scoped.openai_base_url, "not mine")
    chat(scoped.scoped_openai_base_url, "ping")
    mine = scoped.requests()
    assert [entry["body"]["messages"][0]["content"] for entry in mine] == ["hello", "ping"]


def test_a_refused_script_raises_with_the_servers_error(scoped):
    with pytest.raises(MockLLMError) as raised:
        scoped.script("responses: [not, a, map\n")
    assert not isinstance(raised.value, ScopesUnavailable)
    assert raised.value.status == 400
    assert "refused the script" in str(raised.value) and raised.value.message


def test_reset_drops_the_scope(scoped):
    scoped.script(SCRIPT)
    scoped.reset()
    status, body = chat(scoped.openai_base_url, "hello", scoped.headers)[::2]
    assert body["choices"][0]["message"]["content"] == "Hello! How can I help you today?"


def test_without_scopes_the_scope_calls_say_so(mockllm, has_scopes):
    if has_scopes:
        pytest.skip("this server has per-test scopes")
    with pytest.raises(ScopesUnavailable, match=r"no per-test scopes: PUT /_mockllm/tests/.+/script answered 404"):
        mockllm.script(SCRIPT)
    with pytest.raises(ScopesUnavailable, match=r"no per-test journal"):
        mockllm.requests()
    with pytest.raises(ScopesUnavailable):
        mockllm.reset()
    # The header is harmless meanwhile: the session's script answers.
    status, _, body = chat(mockllm.openai_base_url, "hello", mockllm.headers)
    assert status == 200 and body["choices"][0]["message"]["content"] == "Hello! How can I help you today?"
