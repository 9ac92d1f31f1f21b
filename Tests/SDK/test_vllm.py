"""vLLM's own surface with real clients: /tokenize, /detokenize, /version and /ping with httpx,
`priority` through the openai client's `extra_body`, and vLLM's (or SGLang's) metric families
read by Prometheus' parser on a server whose models have no engine."""

from __future__ import annotations

import threading
import time

import httpx
import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import make_client

PLAIN = """
responses:
  "hello": "Hello there, friend."
"""

PRIORITY = """
engines:
  one:
    max_num_seqs: 1
    kv_cache_tokens: 1000000
    scheduling_policy: priority
    step_time: {base_ms: 20, per_sequence_ms: 0, per_prefill_token_ms: 0, per_context_token_ms: 0}
  fifo:
    kv_cache_tokens: 1000000
models:
  - {id: first, provider: openai, engine: one}
  - {id: low, provider: openai, engine: one}
  - {id: high, provider: openai, engine: one}
  - {id: plain-engine, provider: openai, engine: fifo}
responses:
  "hello": "Hello there, friend."
"""

DEADLINE_S = 30.0


def samples(url: str) -> dict[tuple[str, str], float]:
    """(sample name, model_name) -> value, parsed by prometheus_client."""
    text = httpx.get(f"{url}/metrics", timeout=10.0).text
    return {
        (sample.name, sample.labels.get("model_name", "")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_tokenize_counts_what_usage_reports_and_detokenize_round_trips(start_server) -> None:
    server = start_server(PLAIN)
    text = "The capital of France is Paris, 2026!"
    with httpx.Client(base_url=server.url, timeout=10.0) as http:
        tokenized = http.post("/tokenize", json={"model": "gpt-4o", "prompt": text, "return_token_strs": True})
        assert tokenized.status_code == 200
        body = tokenized.json()
        assert body["count"] == len(body["tokens"]) > 0
        assert body["max_model_len"] == 128000
        assert "".join(body["token_strs"]) == text
        again = http.post("/tokenize", json={"model": "gpt-4o", "prompt": text}).json()
        assert again["tokens"] == body["tokens"] and again["token_strs"] is None
        detokenized = http.post("/detokenize", json={"model": "gpt-4o", "tokens": body["tokens"]})
        assert detokenized.json() == {"prompt": text}
        chat = http.post("/tokenize", json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]}).json()
    with make_client(server.url) as client:
        completion = client.completions.create(model="gpt-4o", prompt=text)
        assert completion.usage.prompt_tokens == body["count"]
        reply = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hello"}])
        assert reply.usage.prompt_tokens == chat["count"]


def test_vllm_endpoints_and_error_shape(start_server) -> None:
    server = start_server(PLAIN)
    with httpx.Client(base_url=server.url, timeout=10.0) as http:
        assert http.get("/version").json() == {"version": http.get("/version").json()["version"]}
        for method in ("GET", "POST"):
            ping = http.request(method, "/ping")
            assert ping.status_code == 200 and ping.content == b""
        assert http.get("/health").status_code == 200
        missing = http.post("/tokenize", json={"model": "no-such-model", "prompt": "x"})
        assert missing.status_code == 404
        assert missing.json() == {"object": "error", "message": "The model `no-such-model` does not exist.",
                                  "type": "NotFoundError", "param": None, "code": 404}
        unknown = http.post("/detokenize", json={"tokens": [3]})
        assert unknown.status_code == 400 and unknown.json()["type"] == "BadRequestError"


def test_vllm_families_are_scrapeable_without_any_engine(start_server) -> None:
    server = start_server(PLAIN)
    seen = samples(server.url)
    for name in ("vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc",
                 "vllm:gpu_cache_usage_perc", "vllm:prompt_tokens_total", "vllm:generation_tokens_total"):
        assert seen[(name, "gpt-4o")] == 0, name
    with make_client(server.url) as client:
        events = client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hello"}], stream=True,
            extra_headers={"x-mockllm-ttft-ms": "60000"},
        )
        deadline = time.monotonic() + DEADLINE_S
        while samples(server.url)[("vllm:num_requests_running", "gpt-4o")] != 1:
            assert time.monotonic() < deadline, "the stream never counted as running"
            time.sleep(0.05)
        events.close()
    deadline = time.monotonic() + DEADLINE_S
    while samples(server.url)[("vllm:num_requests_running", "gpt-4o")] != 0:
        assert time.monotonic() < deadline, "the closed stream still counts as running"
        time.sleep(0.05)
    assert samples(server.url)[("vllm:prompt_tokens_total", "gpt-4o")] > 0


def test_sglang_style_names(start_server) -> None:
    server = start_server(PLAIN, extra_args=["--metrics-style", "sglang"])
    seen = samples(server.url)
    for name in ("sglang:num_running_reqs", "sglang:num_queue_reqs", "sglang:token_usage", "sglang:cache_hit_rate"):
        assert seen[(name, "gpt-4o")] == 0, name
    assert not any(name.startswith("vllm:") for name, _ in seen)


def test_priority_through_extra_body(start_server) -> None:
    server = start_server(PRIORITY)
    results: dict[str, openai.types.chat.ChatCompletion] = {}

    def ask(model: str, priority: int) -> None:
        with make_client(server.url) as client:
            # `first` holds the engine's one sequence for 4 s of 20 ms steps while the others queue.
            results[model] = client.chat.completions.create(
                model=model, messages=[{"role": "user", "content": "hello"}], max_tokens=200 if model == "first" else 5,
                extra_body={"priority": priority, "ignore_eos": True},
            )

    def wait_for(waiting: int) -> None:
        deadline = time.monotonic() + DEADLINE_S
        while samples(server.url)[("vllm:num_requests_waiting", "first")] != waiting:
            assert time.monotonic() < deadline, f"never {waiting} waiting"
            time.sleep(0.01)

    threads = []
    for model, priority, waiting in (("first", 0, 0), ("low", 10, 1), ("high", -10, 2)):
        threads.append(threading.Thread(target=ask, args=(model, priority), daemon=True))
        threads[-1].start()
        if model == "first":
            deadline = time.monotonic() + DEADLINE_S
            while samples(server.url)[("vllm:num_requests_running", "first")] != 1:
                assert time.monotonic() < deadline
                time.sleep(0.01)
        else:
            wait_for(waiting)
    for thread in threads:
        thread.join(DEADLINE_S)
    assert set(results) == {"first", "low", "high"}
    seen = samples(server.url)
    # Queue times in the engine's own time: the urgent one waited for `first` only.
    assert seen[("vllm:request_queue_time_seconds_sum", "high")] < seen[("vllm:request_queue_time_seconds_sum", "low")]
    with make_client(server.url) as client:
        with pytest.raises(openai.BadRequestError, match="Priority scheduling is not enabled"):
            client.chat.completions.create(model="plain-engine", messages=[{"role": "user", "content": "hello"}],
                                           extra_body={"priority": 1})
