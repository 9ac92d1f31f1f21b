"""Engine models (`engines:`, a model's `engine:`) with the real OpenAI client: the issue's check.
An engine of 4 sequences given 16 concurrent streams runs 4 and queues 12, as vLLM's own gauges
say in `GET /metrics`, read by Prometheus' parser; the streams then end as the clients close."""

from __future__ import annotations

import threading
import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from conftest import make_client

SCRIPT = """
engines:
  gpu:
    max_num_seqs: 4
    kv_cache_tokens: 1000000
    step_time: {base_ms: 20, per_sequence_ms: 0, per_prefill_token_ms: 0, per_context_token_ms: 0}
models:
  - {id: engine-gpt, provider: openai, engine: gpu}
responses:
  "hello": "Hello there, friend."
"""

DEADLINE_S = 30.0


def gauges(url: str) -> dict[str, float]:
    text = httpx.get(f"{url}/metrics", timeout=10.0).text
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("model_name") == "engine-gpt" and sample.name in (
                "vllm:num_requests_running",
                "vllm:num_requests_waiting",
            ):
                out[sample.name] = sample.value
    return out


def test_four_sequences_run_and_twelve_wait(start_server) -> None:
    server = start_server(SCRIPT)
    stop = threading.Event()
    started = threading.Barrier(17)

    def stream() -> None:
        with make_client(server.url) as client:
            events = client.chat.completions.create(
                model="engine-gpt",
                messages=[{"role": "user", "content": "hello"}],
                stream=True,
                max_tokens=2000,
                extra_body={"ignore_eos": True},
            )
            started.wait()
            for _ in events:
                if stop.is_set():
                    break
            events.close()

    threads = [threading.Thread(target=stream, daemon=True) for _ in range(16)]
    for thread in threads:
        thread.start()
    started.wait(timeout=DEADLINE_S)
    deadline = time.monotonic() + DEADLINE_S
    seen: dict[str, float] = {}
    while time.monotonic() < deadline:
        seen = gauges(server.url)
        if seen.get("vllm:num_requests_running", 0) + seen.get("vllm:num_requests_waiting", 0) >= 16:
            break
        time.sleep(0.05)
    assert seen == {"vllm:num_requests_running": 4, "vllm:num_requests_waiting": 12}
    stop.set()
    for thread in threads:
        thread.join(DEADLINE_S)
    server.assert_alive()
