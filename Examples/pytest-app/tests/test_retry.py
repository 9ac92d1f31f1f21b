"""'Fail twice, then succeed': the OpenAI client retries a 503 and the third attempt gets the
reply. The rules are the server's (responses.yml: `payments-busy` with `times: 2`, then
`payments-ok`), the same for every test; their counts are per test scope. Eight copies run under
`pytest -n 4` on one server: were the count shared, only the first copy to run would see the
two 503s and every other would fail its journal assertion."""

import openai
import pytest

COPIES = range(8)


@pytest.mark.parametrize("copy", COPIES)
def test_charge_is_retried_until_it_succeeds(mockllm, assistant, copy):
    assert assistant.charge(10 + copy) == "Charged."
    attempts = mockllm.requests()
    assert [(a["rule"], a["status"]) for a in attempts] == [
        ("rule payments-busy", 503), ("rule payments-busy", 503), ("rule payments-ok", 200)]
    assert [a["headers"]["x-stainless-retry-count"] for a in attempts] == ["0", "1", "2"]
    assert {a["test"] for a in attempts} == {mockllm.test_id}
    assert {a["body"]["messages"][0]["content"] for a in attempts} == {f"charge {10 + copy} EUR"}


@pytest.mark.parametrize("copy", COPIES)
def test_a_test_scripts_its_own_outage(mockllm, assistant, copy):
    """The same shape in the test's own script: `times: 2` of a 503, then the reply."""
    mockllm.script(f'''
rules:
  - name: outage
    match: {{prompt: {{contains: "status"}}}}
    error: {{status: 503, message: "down", headers: {{retry-after-ms: "10"}}}}
    times: 2
  - name: recovered
    match: {{prompt: {{contains: "status"}}}}
    reply: "Up again ({copy})."
''')
    assert assistant.answer("status?") == f"Up again ({copy})."
    assert [(a["rule"], a["status"]) for a in mockllm.requests()] == [
        ("rule outage", 503), ("rule outage", 503), ("rule recovered", 200)]


@pytest.mark.parametrize("copy", COPIES[:4])
def test_three_failures_are_one_too_many(mockllm, assistant, copy):
    """With `times: 3` the client's two retries are not enough: it raises the third 503."""
    mockllm.script('''
rules:
  - name: down
    match: {prompt: {contains: "status"}}
    error: {status: 503, message: "still down", headers: {retry-after-ms: "10"}}
    times: 3
''')
    with pytest.raises(openai.InternalServerError) as raised:
        assistant.answer("status?")
    assert raised.value.status_code == 503
    assert [a["status"] for a in mockllm.requests()] == [503, 503, 503]
    # The fourth request, after the rule is used up, gets the server's fallback reply.
    assert assistant.answer("status?")
    assert [a["status"] for a in mockllm.requests()] == [503, 503, 503, 200]
