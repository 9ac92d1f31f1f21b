"""The journal of this test's scope: what the app sent, in order, and nothing any test running
at the same time sent."""

import pytest


@pytest.mark.parametrize("copy", range(4))
def test_the_draft_then_the_review(mockllm, assistant, copy):
    mockllm.script(f'''
responses:
  "Is 7 prime? ({copy})": "Yes."
rules:
  - match: {{prompt: {{prefix: "Review this answer"}}}}
    reply: "Correct."
''')
    result = assistant.answer_with_review(f"Is 7 prime? ({copy})")
    assert (result.draft, result.review) == ("Yes.", "Correct.")

    journal = mockllm.requests()
    assert [(entry["method"], entry["path"], entry["status"]) for entry in journal] == [
        ("POST", "/v1/chat/completions", 200), ("POST", "/v1/messages", 200)]
    assert journal[0]["body"]["model"] == "gpt-4o-mini"
    assert journal[0]["body"]["messages"] == [{"role": "user", "content": f"Is 7 prime? ({copy})"}]
    assert journal[1]["body"]["model"] == "claude-3-haiku"
    assert journal[1]["body"]["messages"][0]["content"] == f"Review this answer to 'Is 7 prime? ({copy})': Yes."
    assert [entry["test"] for entry in journal] == [mockllm.test_id] * 2
    # The journal's filters apply within the scope.
    assert [entry["path"] for entry in mockllm.requests(path="/v1/messages")] == ["/v1/messages"]


def test_reset_empties_the_scope(mockllm, assistant):
    assistant.answer("hello")
    assert len(mockllm.requests()) == 1
    mockllm.reset()
    assert mockllm.requests() == []
