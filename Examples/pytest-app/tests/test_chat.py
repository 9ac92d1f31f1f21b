"""Scripted replies per test: every copy of the test scripts the SAME prompt with a different
reply; under `pytest -n 4` they run at the same time on one server and each gets its own."""

import pytest

CITIES = ["Paris", "Rome", "Lima", "Oslo", "Cairo", "Quito", "Hanoi", "Bern"]


@pytest.mark.parametrize("city", CITIES)
def test_each_test_gets_the_reply_it_scripted(mockllm, assistant, city):
    mockllm.script(f'responses:\n  "Where shall we meet?": "In {city}."\n')
    assert assistant.answer("Where shall we meet?") == f"In {city}."
    assert assistant.answer("Where shall we meet?") == f"In {city}."


def test_without_a_script_of_its_own_the_servers_answers(assistant):
    assert assistant.answer("hello") == "Hello from the example's script."


@pytest.mark.parametrize("city", CITIES[:4])
def test_claude_gets_the_scripted_summary(mockllm, assistant, city):
    mockllm.script(f'''
rules:
  - match: {{prompt: {{prefix: "Summarize:"}}}}
    reply: "A trip to {city}."
''')
    assert assistant.summarize("We flew out on Monday and came back on Friday.") == f"A trip to {city}."


def test_a_sequence_moves_on_per_test(mockllm, assistant):
    mockllm.script('''
rules:
  - match: {prompt: {contains: "next"}}
    replies: ["one", "two", "three"]
''')
    assert [assistant.answer("next please") for _ in range(4)] == ["one", "two", "three", "three"]
