"""`GET /metrics`: after requests made with the real OpenAI and Anthropic SDKs (JSON and streamed),
Prometheus' own Python parser reads the exposition, and its counters and histogram counts match
what was sent and what the SDKs report."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import make_anthropic_client, make_client

SCRIPT = 'responses:\n  "hello": "Hello there, friend."\n  "ping": "pong"\n'
PACED = {"x-mockllm-ttft-ms": "30", "x-mockllm-itl-ms": "1"}
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

FAMILIES = {
    "mockllm_requests": "counter",
    "mockllm_connections_open": "gauge",
    "mockllm_connections_accepted": "counter",
    "mockllm_streams_open": "gauge",
    "mockllm_streams": "counter",
    "mockllm_stream_events": "counter",
    "mockllm_tokens": "counter",
    "mockllm_time_to_first_token_seconds": "histogram",
    "mockllm_stream_duration_seconds": "histogram",
    "mockllm_inter_token_seconds": "histogram",
    "mockllm_emission_lateness_seconds": "histogram",
    "mockllm_faults_injected": "counter",
    "mockllm_backpressure_pauses": "counter",
    "mockllm_websocket_sessions_open": "gauge",
    "mockllm_websocket_sessions": "counter",
    "mockllm_websocket_messages_received": "counter",
    "mockllm_websocket_messages_sent": "counter",
}


def scrape(url: str) -> dict:
    response = httpx.get(f"{url}/metrics", timeout=10.0)
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def value(families: dict, sample_name: str, **labels: str) -> float:
    family = next(f for f in families.values() if any(s.name == sample_name for s in f.samples))
    matches = [s.value for s in family.samples if s.name == sample_name and s.labels == labels]
    assert len(matches) == 1, f"{sample_name}{labels}: {[(s.name, s.labels) for s in family.samples]}"
    return matches[0]


def histogram(families: dict, name: str) -> tuple[list[tuple[float, float]], float, float]:
    """(le, cumulative count) in order, sum, count; checks the buckets are cumulative and end at +Inf."""
    samples = families[name].samples
    buckets = [(float(s.labels["le"]), s.value) for s in samples if s.name == f"{name}_bucket"]
    assert buckets == sorted(buckets), "buckets in increasing le order"
    assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), "cumulative counts"
    assert buckets[-1][0] == float("inf")
    count = value(families, f"{name}_count")
    assert buckets[-1][1] == count
    return buckets, value(families, f"{name}_sum"), count


@pytest.fixture
def server(start_server):
    return start_server(SCRIPT, name="metrics")


def test_metrics_count_what_the_sdks_sent(server):
    prompt = completion = 0
    with make_client(server.url) as client:
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
        assert reply.choices[0].message.content == "Hello there, friend."
        prompt += reply.usage.prompt_tokens
        completion += reply.usage.completion_tokens
        chunks = list(client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "ping"}], stream=True,
            stream_options={"include_usage": True}, extra_headers=PACED))
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "pong"
        prompt += chunks[-1].usage.prompt_tokens
        completion += chunks[-1].usage.completion_tokens
        unknown = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "what?"}])
        prompt += unknown.usage.prompt_tokens
        completion += unknown.usage.completion_tokens
        assert client.models.retrieve("gpt-4o-mini").id == "gpt-4o-mini"
    with make_anthropic_client(server.url) as client:
        message = client.messages.create(model="claude-3-haiku-20240307", max_tokens=100,
                                         messages=[{"role": "user", "content": "hello"}])
        assert message.content[0].text == "Hello there, friend."
        prompt += message.usage.input_tokens
        completion += message.usage.output_tokens
        with client.messages.stream(model="claude-3-haiku-20240307", max_tokens=100, extra_headers=PACED,
                                    messages=[{"role": "user", "content": "hello"}]) as stream:
            streamed = stream.get_final_message()
        assert streamed.content[0].text == "Hello there, friend."
        prompt += streamed.usage.input_tokens
        completion += streamed.usage.output_tokens
    bad = httpx.post(f"{server.url}/v1/chat/completions", content=b"{", timeout=10.0)
    assert bad.status_code == 400

    families = scrape(server.url)
    again = scrape(server.url)

    for name, kind in FAMILIES.items():
        assert families[name].type == kind, name
        assert families[name].documentation, f"{name} has no HELP"
    # vLLM's families are always there too (docs/LOAD-SIMULATION.md, "vLLM's metrics"; test_vllm.py).
    assert not [n for n in families if n not in FAMILIES and not n.startswith("vllm:")], "only mockllm_ and vLLM's families"

    requests = {tuple(sorted(s.labels.items())): s.value for s in families["mockllm_requests"].samples
                if s.name == "mockllm_requests_total"}
    chat, messages = "/v1/chat/completions", "/v1/messages"
    assert requests == {
        (("endpoint", chat), ("provider", "openai"), ("rule", "responses"), ("status", "200")): 2,
        (("endpoint", chat), ("provider", "openai"), ("rule", "default"), ("status", "200")): 1,
        (("endpoint", "/v1/models/{model}"), ("provider", "openai"), ("rule", ""), ("status", "200")): 1,
        (("endpoint", messages), ("provider", "anthropic"), ("rule", "responses"), ("status", "200")): 2,
        (("endpoint", chat), ("provider", "openai"), ("rule", ""), ("status", "400")): 1,
    }
    assert again["mockllm_requests"].samples == families["mockllm_requests"].samples, "/metrics does not count itself"

    assert value(families, "mockllm_tokens_total", direction="prompt") == prompt
    assert value(families, "mockllm_tokens_total", direction="completion") == completion
    assert value(families, "mockllm_streams_total", outcome="completed") == 2
    assert value(families, "mockllm_streams_total", outcome="aborted") == 0
    assert value(families, "mockllm_streams_open") == 0
    assert families["mockllm_faults_injected"].samples == []  # no fault: HELP and TYPE alone
    assert value(families, "mockllm_connections_accepted_total") >= 3
    assert value(families, "mockllm_connections_open") >= 1  # this scrape's

    # Both streams were asked for a 30 ms time to first token.
    buckets, total, count = histogram(families, "mockllm_time_to_first_token_seconds")
    assert count == 2 and total >= 0.06
    assert dict(buckets)[0.025] == 0 and dict(buckets)[10.0] == 2
    _, duration, count = histogram(families, "mockllm_stream_duration_seconds")
    assert count == 2 and duration >= total
    events = value(families, "mockllm_stream_events_total")
    # OpenAI with usage: role, 4 content chunks ("pong"), finish, usage, [DONE]; Anthropic: message_start,
    # content_block_start, ping, 20 text deltas, content_block_stop, message_delta, message_stop.
    assert events == (1 + 4 + 3) + (3 + 20 + 3)
    _, gaps, intervals = histogram(families, "mockllm_inter_token_seconds")
    # From each stream's first token on: one interval fewer than its events from there.
    assert intervals == (4 + 3 - 1) + (20 + 3 - 1)
    # No timing bound: a first token written late makes the emitted gaps after it shorter than
    # the pacing asked (the machine is shared); only that they were measured.
    assert gaps > 0
    _, _, timed = histogram(families, "mockllm_emission_lateness_seconds")
    assert timed == events  # no delayed JSON reply: lag is off
    assert value(families, "mockllm_backpressure_pauses_total") == 0
