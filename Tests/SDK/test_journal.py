"""The request journal (`GET /_mockllm/requests`) seen through the official SDKs' retries: every
attempt is journaled with the SDK's own `x-stainless-retry-count`, and the gaps between attempts
show the SDK waiting out `retry-after`. Timing checks are lower bounds only (the journal's times
have millisecond resolution, hence the 2 ms allowance)."""

from __future__ import annotations

from datetime import datetime

import anthropic
import httpx
import openai
import pytest

from anthropic_helpers import CLAUDE, MAX_TOKENS
from chat_helpers import MODEL, ask

RETRY_AFTER_S = 1
JOURNAL_SCRIPT = f"""
rules:
  - name: throttled
    match: {{prompt: {{prefix: "pay"}}}}
    error: {{status: 429, message: "Rate limit reached, slow down.", retry_after: {RETRY_AFTER_S}}}
    times: 2
  - name: paid
    match: {{prompt: {{prefix: "pay"}}}}
    reply: "Paid."
  - name: overloaded
    match: {{prompt: busy}}
    error: {{status: 529, message: "Overloaded", type: overloaded_error, headers: {{retry-after-ms: "10"}}}}
responses:
  hello: "Hello! How can I help you today?"
"""
ADMIN_TOKEN = "admin-0123456789"


@pytest.fixture
def journal_server(start_server):
    return start_server(JOURNAL_SCRIPT, name="journal")


def journal(url: str, headers: dict[str, str] | None = None, **filters) -> dict:
    response = httpx.get(f"{url}/_mockllm/requests", params=filters, headers=headers or {}, timeout=10.0)
    assert response.status_code == 200, response.text
    return response.json()


def seconds(entry: dict) -> float:
    return datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).timestamp()


def test_openai_retries_are_journaled_with_their_retry_count_and_wait(journal_server):
    # Default retries (2): two scripted 429s with retry-after, each waited out, then "Paid.".
    with openai.OpenAI(base_url=f"{journal_server.url}/v1", api_key="sk-secret", timeout=30.0) as retrying:
        completion = retrying.chat.completions.with_raw_response.create(
            model=MODEL, messages=[{"role": "user", "content": "pay the invoice"}])
    assert completion.parse().choices[0].message.content == "Paid."
    assert completion.retries_taken == 2

    report = journal(journal_server.url)
    attempts = report["requests"]
    assert report["total"] == 3 and report["dropped"] == 0
    assert [a["status"] for a in attempts] == [429, 429, 200]
    assert [a["rule"] for a in attempts] == ["rule throttled", "rule throttled", "rule paid"]
    assert [a["headers"]["x-stainless-retry-count"] for a in attempts] == ["0", "1", "2"]
    for attempt in attempts:
        assert attempt["provider"] == "openai" and attempt["model"] == MODEL
        assert attempt["path"] == "/v1/chat/completions"
        assert attempt["headers"]["user-agent"].startswith("OpenAI/Python")
        assert attempt["api_key"] is True and "sk-secret" not in str(attempt)
        assert attempt["body"]["messages"] == [{"role": "user", "content": "pay the invoice"}]
        assert attempt["state"] == "complete" and attempt["aborted"] is False
    # The SDK waits the Retry-After it was given before each retry.
    for before, after in zip(attempts, attempts[1:]):
        assert seconds(after) - seconds(before) >= RETRY_AFTER_S - 0.002, (before["time"], after["time"])
    # Filters see the same attempts.
    assert [a["seq"] for a in journal(journal_server.url, rule="throttled")["requests"]] == [a["seq"] for a in attempts[:2]]
    assert journal(journal_server.url, status=200, limit=1)["requests"][0]["seq"] == attempts[2]["seq"]


def test_anthropic_gives_up_on_overloaded_after_its_retries(journal_server):
    with anthropic.Anthropic(base_url=journal_server.url, api_key="test", timeout=30.0) as retrying:
        with pytest.raises(anthropic.InternalServerError) as raised:
            retrying.messages.create(model=CLAUDE, max_tokens=MAX_TOKENS, messages=[{"role": "user", "content": "busy"}])
    assert isinstance(raised.value, anthropic.APIStatusError)
    assert raised.value.status_code == 529
    assert raised.value.body["error"]["type"] == "overloaded_error"

    attempts = journal(journal_server.url, path="/v1/messages")["requests"]
    assert [a["status"] for a in attempts] == [529, 529, 529]
    assert [a["headers"]["x-stainless-retry-count"] for a in attempts] == ["0", "1", "2"]
    assert {a["rule"] for a in attempts} == {"rule overloaded"}
    assert {a["provider"] for a in attempts} == {"anthropic"}
    assert all(a["headers"]["anthropic-version"] for a in attempts)


def test_a_stream_is_journaled_with_its_events_and_the_journal_clears(journal_server):
    client = openai.OpenAI(base_url=f"{journal_server.url}/v1", api_key="test", max_retries=0, timeout=30.0)
    with client.chat.completions.create(model=MODEL, stream=True,
                                        messages=[{"role": "user", "content": "hello"}]) as chunks:
        received = list(chunks)
    entry = journal(journal_server.url)["requests"][-1]
    assert entry["stream"] is True and entry["body"]["stream"] is True
    assert entry["state"] == "complete" and entry["aborted"] is False
    assert entry["events"] == len(received) + 1  # and `data: [DONE]`
    assert 0 <= entry["first_byte_ms"] <= entry["duration_ms"]

    assert httpx.delete(f"{journal_server.url}/_mockllm/requests").status_code == 204
    assert journal(journal_server.url) == {"requests": [], "total": 0, "dropped": 0}
    assert ask(client, "hello").choices[0].message.content == "Hello! How can I help you today?"
    assert journal(journal_server.url, since=entry["seq"])["requests"][0]["seq"] == entry["seq"] + 1


def test_the_admin_token_guards_the_journal_and_not_the_providers(start_server):
    server = start_server(JOURNAL_SCRIPT, name="admin-token", extra_args=["--admin-token", ADMIN_TOKEN])
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="test", max_retries=0, timeout=30.0)
    assert ask(client, "hello").choices[0].message.content == "Hello! How can I help you today?"

    refused = httpx.get(f"{server.url}/_mockllm/requests", headers={"Authorization": "Bearer test"})
    assert refused.status_code == 401
    assert refused.json()["error"]["type"] == "unauthorized"
    assert httpx.get(f"{server.url}/_mockllm/stats").status_code == 401
    report = journal(server.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert [a["status"] for a in report["requests"]] == [200]
    assert journal(server.url, headers={"x-mockllm-admin-token": ADMIN_TOKEN})["total"] == 1


def test_reload_on_request_reads_the_edited_script(start_server):
    server = start_server(JOURNAL_SCRIPT, name="reload", extra_args=["--no-reload"])
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="test", max_retries=0, timeout=30.0)
    server.responses.write_text('responses:\n  hello: "Reloaded."\n', encoding="utf-8")
    assert ask(client, "hello").choices[0].message.content == "Hello! How can I help you today?"

    reloaded = httpx.post(f"{server.url}/_mockllm/reload")
    assert reloaded.status_code == 200
    assert reloaded.json() == {"reloaded": True, "script": "1 response, no latency"}
    assert ask(client, "hello").choices[0].message.content == "Reloaded."

    server.responses.write_text("responses: [unclosed\n", encoding="utf-8")
    broken = httpx.post(f"{server.url}/_mockllm/reload")
    assert broken.status_code == 400
    assert broken.json()["reloaded"] is False
    assert broken.json()["errors"][0].startswith(f"{server.responses}:")
    assert ask(client, "hello").choices[0].message.content == "Reloaded."
