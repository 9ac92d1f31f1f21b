"""The plugin's options and behaviour, each in an inner pytest session run in a subprocess (so
it loads the installed plugin through its entry point, as a user's run does)."""

import re
import textwrap

import pytest

INNER_HELPERS = '''
import json, urllib.request

def chat(base_url, prompt, headers=None):
    request = urllib.request.Request(base_url + "/chat/completions", method="POST",
        data=json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}]}).encode(),
        headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())

def answer(base_url, prompt="which"):
    return chat(base_url, prompt)[1]["choices"][0]["message"]["content"]
'''


def script(path, answer):
    path.write_text(f'responses:\n  "which": "{answer}"\n', encoding="utf-8")
    return path


def run_inner(pytester, test_source, *args):
    pytester.makepyfile(helpers=INNER_HELPERS, test_inner=textwrap.dedent(test_source))
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=120)


@pytest.mark.parametrize("given", ["option", "ini", "env", "none"])
def test_script_precedence_option_then_ini_then_env_then_built_in(pytester, clean_env, given):
    """Each source names a script answering "which" with its own name; every source given below
    the winning one is present too, so the test proves the order, not just each source alone."""
    order = ["option", "ini", "env"]
    present = order[order.index(given):] if given != "none" else []
    args = []
    if "option" in present:
        args += ["--mockllm-script", str(script(pytester.path / "option.yml", "option"))]
    if "ini" in present:
        script(pytester.path / "ini.yml", "ini")
        pytester.makeini("[pytest]\nmockllm_script = ini.yml\n")
    if "env" in present:
        clean_env.setenv("MOCKLLM_RESPONSES_FILE", str(script(pytester.path / "env.yml", "env")))
    # A stray responses.yml where pytest runs is never read.
    script(pytester.path / "responses.yml", "cwd")
    result = run_inner(pytester, '''
        from helpers import answer

        def test_which(mockllm):
            print("ANSWER=" + answer(mockllm.openai_base_url))
    ''', "-s", *args)
    result.assert_outcomes(passed=1)
    expected = given if given != "none" else "I don't know the answer to that. This is a mock response."
    assert f"ANSWER={expected}" in result.stdout.str()


def test_a_failing_test_shows_the_servers_log(pytester, clean_env):
    result = run_inner(pytester, '''
        from helpers import chat

        def test_fails(mockllm):
            chat(mockllm.openai_base_url, "hello", mockllm.headers)
            assert False, "on purpose"

        def test_passes(mockllm):
            pass
    ''')
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "mockllm log (" in out
    assert "POST /v1/chat/completions" in out  # the access log line of the failing test's request
    assert out.count("mockllm log (") == 1
    # The scope's journal, read before teardown dropped it: one line per request.
    assert out.count("mockllm journal (test id test_inner.py-test_fails-") == 1
    assert re.search(r"^\d+ POST /v1/chat/completions 200 responses$", out, re.M), out


def test_a_server_that_cannot_start_errors_every_test_with_its_log(pytester, clean_env):
    broken = pytester.path / "broken.yml"
    broken.write_text("responses: [not, a, map\n", encoding="utf-8")
    result = run_inner(pytester, '''
        def test_one(mockllm):
            pass

        def test_two(mockllm):
            pass

        def test_without_server():
            pass
    ''', "--mockllm-script", str(broken))
    result.assert_outcomes(passed=1, errors=2)
    out = result.stdout.str()
    assert "mockllm exited with code" in out and "broken.yml" in out


def test_arm_fault_switches_the_scenario_and_the_fixture_puts_it_back(pytester, clean_env):
    (pytester.path / "faults.yml").write_text(textwrap.dedent('''
        responses: {hello: "Hi!"}
        faults:
          - name: outage
            scenario: outage
            status: 503
    '''), encoding="utf-8")
    result = run_inner(pytester, '''
        from helpers import chat

        def test_1_arms(mockllm):
            assert chat(mockllm.openai_base_url, "hello")[0] == 200
            assert mockllm.arm_fault("outage")["scenario"] == "outage"
            assert chat(mockllm.openai_base_url, "hello", mockllm.headers)[0] == 503
            assert [f["injected"] for f in mockllm.faults()["faults"]] == [1]

        def test_2_back_to_normal(mockllm):
            assert mockllm.faults()["scenario"] is None
            assert chat(mockllm.openai_base_url, "hello")[0] == 200
            mockllm.reset_faults()
            assert [f["injected"] for f in mockllm.faults()["faults"]] == [0]
    ''', "--mockllm-script", "faults.yml")
    result.assert_outcomes(passed=2)


def test_mockllm_args_from_the_ini(pytester, clean_env):
    pytester.makeini("[pytest]\nmockllm_args = --journal-size 0\n")
    result = run_inner(pytester, '''
        from helpers import chat

        def test_no_journal(mockllm):
            chat(mockllm.openai_base_url, "hello")
            assert mockllm.server.requests() == []
    ''')
    result.assert_outcomes(passed=1)


def test_one_server_per_xdist_worker_when_asked(pytester, clean_env):
    pytest.importorskip("xdist")
    pytester.makeini("[pytest]\nmockllm_xdist = per-worker\n")
    out = pytester.path / "urls"
    out.mkdir()
    result = run_inner(pytester, f'''
        import os, pathlib, pytest
        from helpers import chat

        @pytest.mark.parametrize("n", range(8))
        def test_record(mockllm, n):
            assert chat(mockllm.server.openai_base_url, "hello")[0] == 200
            worker = os.environ["PYTEST_XDIST_WORKER"]
            pathlib.Path({str(out)!r}, f"{{worker}}-{{n}}").write_text(mockllm.url)
            # Each worker's journal holds its own (unscoped) requests only.
            assert len(mockllm.server.requests()) == len(list(pathlib.Path({str(out)!r}).glob(worker + "-*")))
            assert not mockllm.server.shared
    ''', "-n", "2")
    result.assert_outcomes(passed=8)
    assert "one server per xdist worker" in result.stdout.str()
    by_worker = {}
    for path in out.iterdir():
        by_worker.setdefault(path.name.split("-")[0], set()).add(path.read_text())
    assert len(by_worker) == 2, by_worker
    assert all(len(urls) == 1 for urls in by_worker.values()), by_worker
    assert len(set.union(*by_worker.values())) == 2, by_worker


SHARED_INNER = '''
import os, pathlib, pytest
from helpers import chat
from mockllm_server import MockLLMError

SCRIPT = """
responses: {"which": "reply %d"}
rules:
  - {match: {prompt: {contains: once}}, reply: first, times: 1}
"""

@pytest.mark.parametrize("n", range(8))
def test_record(mockllm, n):
    # The same prompt scripted with another reply by every test, and a rule with times: 1.
    mockllm.script(SCRIPT % n)
    assert chat(mockllm.openai_base_url, "which")[1]["choices"][0]["message"]["content"] == "reply %d" % n
    assert chat(mockllm.openai_base_url, "once")[1]["choices"][0]["message"]["content"] == "first"
    assert [e["body"]["messages"][0]["content"] for e in mockllm.requests()] == ["which", "once"]
    pathlib.Path(OUT, os.environ["PYTEST_XDIST_WORKER"] + "-" + str(n)).write_text(mockllm.url)
    assert mockllm.server.shared and mockllm.server.process is None
    with pytest.raises(MockLLMError, match="arm_fault switches the server's scenario"):
        mockllm.arm_fault(None)
'''


def test_one_shared_server_under_xdist_by_default(pytester, clean_env):
    """The controller starts one server, every worker uses it, each test in its own scope; the
    server is stopped when the run ends."""
    pytest.importorskip("xdist")
    out = pytester.path / "urls"
    out.mkdir()
    result = run_inner(pytester, f"OUT = {str(out)!r}\n" + SHARED_INNER, "-n", "2")
    result.assert_outcomes(passed=8)
    by_worker = {}
    for path in out.iterdir():
        by_worker.setdefault(path.name.split("-")[0], set()).add(path.read_text())
    assert len(by_worker) == 2, by_worker
    urls = set.union(*by_worker.values())
    assert len(urls) == 1, by_worker
    [url] = urls
    assert f"one server for every xdist worker at {url}" in result.stdout.str()
    import urllib.request
    with pytest.raises(OSError):
        urllib.request.urlopen(url + "/health", timeout=5)


def test_a_shared_server_that_cannot_start_errors_the_tests_that_ask(pytester, clean_env):
    pytest.importorskip("xdist")
    broken = pytester.path / "broken.yml"
    broken.write_text("responses: [not, a, map\n", encoding="utf-8")
    result = run_inner(pytester, '''
        import pytest

        @pytest.mark.parametrize("n", range(3))
        def test_asks(mockllm, n):
            pass

        def test_without_server():
            pass
    ''', "-n", "2", "--mockllm-script", str(broken))
    result.assert_outcomes(passed=1, errors=3)
    assert "mockllm exited with code" in result.stdout.str() and "broken.yml" in result.stdout.str()


@pytest.mark.parametrize("how", ["option", "env", "env -n 2"])
def test_an_existing_server_is_used_and_left_running(pytester, clean_env, how):
    """`--mockllm-url URL` / `$MOCKLLM_URL`: the session starts no server, uses that one, and
    leaves it running, with no test scope left behind."""
    from mockllm_server import MockLLMServer

    args = ["-n", "2"] if "-n" in how else []
    if "-n" in how:
        pytest.importorskip("xdist")
    with MockLLMServer() as server:
        if how == "option":
            args += ["--mockllm-url", server.url]
        else:
            clean_env.setenv("MOCKLLM_URL", server.url)
        result = run_inner(pytester, f'''
            import pytest
            from helpers import chat

            @pytest.mark.parametrize("n", range(4))
            def test_uses_it(mockllm, n):
                assert mockllm.url == {server.url!r} and mockllm.server.process is None
                mockllm.script(\'responses: {{"which": "mine"}}\')
                assert chat(mockllm.openai_base_url, "which")[1]["choices"][0]["message"]["content"] == "mine"
                assert chat(mockllm.server.openai_base_url, "unscoped {how} " + str(n))[0] == 200
        ''', *args)
        result.assert_outcomes(passed=4)
        assert f"mockllm: the server at {server.url}" in result.stdout.str()
        assert server.alive
        left = [t["id"] for t in server.call_json("GET", "/_mockllm/tests")["tests"] if t["id"] != "mockllm-scope-probe"]
        assert left == []
        unscoped = sorted(e["body"]["messages"][0]["content"] for e in server.requests() if e["test"] is None)
        assert unscoped == [f"unscoped {how} {n}" for n in range(4)]


def test_an_unknown_xdist_mode_is_a_usage_error(pytester, clean_env):
    pytest.importorskip("xdist")
    pytester.makeini("[pytest]\nmockllm_xdist = everywhere\n")
    result = run_inner(pytester, "def test_x(mockllm):\n    pass\n", "-n", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "mockllm_xdist = 'everywhere': use one of shared, per-worker" in result.stderr.str()


def test_the_retry_example_of_testing_md(pytester, clean_env):
    """docs/TESTING.md's journal example, as written there."""
    (pytester.path / "flaky.yml").write_text(textwrap.dedent('''
        rules:
          - name: flaky
            match: {prompt: {prefix: "pay"}}
            error: {status: 503, message: "try again", headers: {retry-after-ms: "10"}}
            times: 2
          - name: paid
            match: {prompt: {prefix: "pay"}}
            reply: "Paid."
    '''), encoding="utf-8")
    pytest.importorskip("openai")
    result = run_inner(pytester, '''
        from openai import OpenAI

        def test_the_client_retries(mockllm):
            client = OpenAI(base_url=mockllm.openai_base_url, api_key="test", max_retries=2)
            reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "pay 10"}])
            assert reply.choices[0].message.content == "Paid."
            attempts = mockllm.requests()
            assert [(a["rule"], a["status"]) for a in attempts] == [("rule flaky", 503), ("rule flaky", 503), ("rule paid", 200)]
            assert [a["headers"]["x-stainless-retry-count"] for a in attempts] == ["0", "1", "2"]
    ''', "--mockllm-script", "flaky.yml")
    result.assert_outcomes(passed=1)
    result = run_inner(pytester, TEST_RETRY_COPIES, "--mockllm-script", "flaky.yml", *(["-n", "2"] if has_xdist() else []))
    result.assert_outcomes(passed=4)


TEST_RETRY_COPIES = '''
    import pytest
    from openai import OpenAI

    @pytest.mark.parametrize("n", range(4))
    def test_the_client_retries(mockllm, n):
        client = OpenAI(base_url=mockllm.openai_base_url, api_key="test", max_retries=2)
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "pay 10"}])
        assert reply.choices[0].message.content == "Paid."
        assert [a["status"] for a in mockllm.requests()] == [503, 503, 200]
'''


def has_xdist():
    try:
        import xdist  # noqa: F401
    except ImportError:
        return False
    return True


def test_the_unittest_example_of_testing_md(pytester, clean_env):
    """docs/TESTING.md's unittest example (with its elided test body filled in), under unittest."""
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "responses.yml").write_text('responses:\n  "hello": "Hi from unittest"\n', encoding="utf-8")
    pytester.makepyfile(test_chat=textwrap.dedent('''
        import unittest
        from openai import OpenAI
        from mockllm_server import MockLLMServer

        class ChatTest(unittest.TestCase):
            @classmethod
            def setUpClass(cls):
                cls.server = MockLLMServer("tests/responses.yml").start()   # MockLLMServer() for the built-in script
                cls.addClassCleanup(cls.server.stop)

            def test_hello(self):
                client = OpenAI(base_url=self.server.openai_base_url, api_key="test")
                reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
                self.assertEqual(reply.choices[0].message.content, "Hi from unittest")

        if __name__ == "__main__":
            unittest.main()
    '''))
    pytest.importorskip("openai")
    result = pytester.run(__import__("sys").executable, "-m", "unittest", "-v", "test_chat", timeout=120)
    assert result.ret == 0, result.stderr.str()
    assert "test_hello (test_chat.ChatTest" in result.stderr.str() and "OK" in result.stderr.str()


def test_replaying_a_directory_of_fixtures_keyed_by_the_test_id(pytester, clean_env):
    """docs/TESTING.md's record-and-replay note: the fixture file DIR/<test_id>.yml, matched by the
    test id, whether the request names it by the header (`mockllm.headers`) or by the scoped base
    URL alone; --strict refuses the rest."""
    from mockllm_server import make_test_id

    test_id = make_test_id("test_inner.py::test_replay")
    fixtures = pytester.path / "fixtures"
    fixtures.mkdir()
    body = '{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Recorded."},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}'
    (fixtures / f"{test_id}.yml").write_text(textwrap.dedent(f'''
        rules:
        - name: {test_id}-1
          match:
            endpoint: /v1/chat/completions
            headers: {{x-mockllm-test: {test_id}}}
            request:
              model: gpt-4o-mini
              messages:
                - role: user
                  content: hello
          recorded:
            status: 200
            headers: {{content-type: application/json}}
            body: '{body}'
    '''), encoding="utf-8")
    pytester.makeini("[pytest]\nmockllm_args = --strict\n")
    result = run_inner(pytester, '''
        from helpers import chat

        def test_replay(mockllm):
            status, body = chat(mockllm.openai_base_url, "hello", mockllm.headers)
            assert status == 200 and body["choices"][0]["message"]["content"] == "Recorded."
            status, body = chat(mockllm.openai_base_url, "hello")   # the scoped URL alone names the test
            assert status == 200 and body["choices"][0]["message"]["content"] == "Recorded."
            status, body = chat(mockllm.server.url + "/v1", "hello")   # no test id at all
            assert status == 404, body
    ''', "--mockllm-script", "fixtures")
    result.assert_outcomes(passed=1)


def test_the_scope_examples_of_readme_and_testing_md(pytester, clean_env):
    """README's greeting and docs/TESTING.md's refund flow, as written there, run in parallel."""
    pytest.importorskip("openai")
    result = run_inner(pytester, '''
        from openai import OpenAI

        def test_greeting(mockllm):
            mockllm.script('responses: {"hello": "Hi from this test"}')
            client = OpenAI(base_url=mockllm.openai_base_url, api_key="test")
            reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
            assert reply.choices[0].message.content == "Hi from this test"
            assert [r["status"] for r in mockllm.requests()] == [200]

        def test_refund_flow(mockllm):
            mockllm.script('responses: {"refund order 7": "Refunded."}')
            client = OpenAI(base_url=mockllm.openai_base_url, api_key="test")
            reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "refund order 7"}])
            assert reply.choices[0].message.content == "Refunded."
            assert [r["status"] for r in mockllm.requests()] == [200]
    ''', *(["-n", "2"] if has_xdist() else []))
    result.assert_outcomes(passed=2)
