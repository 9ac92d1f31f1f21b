"""The endpoint picker's scrape (the Gateway API Inference Extension's, llm-d's scheduler's):
`GET /metrics` parsed with prometheus_client's `text_string_to_metric_families`, scraped again and
again while the load changes. Every family a picker reads is there with vLLM's type, labels and
help, and between scrapes the running and waiting counts, the KV-cache usage and the LoRA info
gauge follow what the engine does: idle, two adapters' streams running and waiting for the one
slot, the slot swapped once the first adapter's streams end, idle again. No timing is asserted:
each state is polled for until a deadline."""

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
    max_loras: 1
    kv_cache_tokens: 65536
    block_size: 16
    step_time: {base_ms: 10, per_sequence_ms: 0, per_prefill_token_ms: 0, per_context_token_ms: 0}
models:
  - {id: base, provider: openai, engine: gpu}
  - {id: lora-a, parent: base, lora_path: /adapters/a}
  - {id: lora-b, parent: base, lora_path: /adapters/b}
responses:
  "hello": "Hello there, friend."
"""

DEADLINE_S = 30.0
# What a picker reads, with the type prometheus_client gives the family (counters lose `_total`).
PICKER_FAMILIES = {
    "vllm:num_requests_running": "gauge",
    "vllm:num_requests_waiting": "gauge",
    "vllm:kv_cache_usage_perc": "gauge",
    "vllm:gpu_cache_usage_perc": "gauge",
    "vllm:lora_requests_info": "gauge",
    "vllm:prefix_cache_queries": "counter",
    "vllm:prefix_cache_hits": "counter",
    "vllm:cache_config_info": "gauge",
}


def scrape(url: str) -> dict:
    text = httpx.get(f"{url}/metrics", timeout=10.0).text
    families = {family.name: family for family in text_string_to_metric_families(text)}
    for name, kind in PICKER_FAMILIES.items():
        assert name in families, f"{name} missing from /metrics"
        assert families[name].type == kind, f"{name} is a {families[name].type}"
    out: dict = {}
    for name in ("vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc",
                 "vllm:gpu_cache_usage_perc"):
        samples = [s for s in families[name].samples if s.labels.get("model_name") == "base"]
        assert len(samples) == 1, f"{name}: {samples}"
        assert set(samples[0].labels) == {"model_name"}, samples[0].labels
        out[name.split(":")[1]] = samples[0].value
    # Its latest series (the value is the time of the update); none before the first request.
    out["lora"] = None
    if families["vllm:lora_requests_info"].samples:
        latest = max(families["vllm:lora_requests_info"].samples, key=lambda s: s.value)
        assert set(latest.labels) == {"max_lora", "running_lora_adapters", "waiting_lora_adapters"}
        out["lora"] = (latest.labels["max_lora"], latest.labels["running_lora_adapters"], latest.labels["waiting_lora_adapters"])
    cache = families["vllm:cache_config_info"].samples[0].labels
    out["block_size"] = cache.get("block_size")
    return out


def poll(url: str, what: str, until, seen_states: list) -> dict:
    deadline = time.monotonic() + DEADLINE_S
    seen: dict = {}
    while time.monotonic() < deadline:
        seen = scrape(url)
        seen_states.append(seen)
        if until(seen):
            return seen
        time.sleep(0.02)
    raise AssertionError(f"{what}: last scrape {seen}")


def test_the_pickers_scrape_follows_the_load(start_server) -> None:
    server = start_server(SCRIPT)
    states: list = []
    idle = poll(server.url, "idle", lambda s: s["num_requests_running"] == 0, states)
    assert idle["num_requests_waiting"] == 0 and idle["kv_cache_usage_perc"] == 0 and idle["lora"] in (None, ("1", "", ""))
    assert idle["block_size"] == "16"

    stops = {model: threading.Event() for model in ("lora-a", "lora-b")}
    started = threading.Semaphore(0)

    def stream(model: str) -> None:
        with make_client(server.url) as client:
            events = client.chat.completions.create(
                model=model, messages=[{"role": "user", "content": "hello " * 200}], stream=True,
                max_tokens=3000, extra_body={"ignore_eos": True})
            for _ in events:
                started.release()
                if stops[model].is_set():
                    break
            events.close()

    threads = [threading.Thread(target=stream, args=("lora-a",), daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    # Both lora-a streams run before lora-b's are sent: lora-a has the slot.
    running_a = poll(server.url, "lora-a runs", lambda s: s["num_requests_running"] == 2, states)
    assert running_a["lora"] == ("1", "lora-a", "")
    b_threads = [threading.Thread(target=stream, args=("lora-b",), daemon=True) for _ in range(2)]
    for thread in b_threads:
        thread.start()
    busy = poll(server.url, "lora-b waits for the slot",
                lambda s: s["num_requests_waiting"] == 2 and s["lora"] == ("1", "lora-a", "lora-b"), states)
    assert busy["num_requests_running"] == 2
    assert 0 < busy["kv_cache_usage_perc"] < 1 and busy["gpu_cache_usage_perc"] == busy["kv_cache_usage_perc"]

    # The lora-a clients go away: the engine drops their requests and lora-b takes the slot.
    stops["lora-a"].set()
    swapped = poll(server.url, "lora-b runs",
                   lambda s: s["lora"] == ("1", "lora-b", "") and s["num_requests_running"] == 2, states)
    assert swapped["num_requests_waiting"] == 0 and swapped["kv_cache_usage_perc"] > 0

    stops["lora-b"].set()
    done = poll(server.url, "idle again",
                lambda s: s["num_requests_running"] == 0 and s["lora"] == ("1", "", ""), states)
    assert done["num_requests_waiting"] == 0 and done["kv_cache_usage_perc"] == 0
    for thread in threads + b_threads:
        thread.join(DEADLINE_S)
    # The KV usage went up and back down across the scrapes, not only at the polled points.
    usages = [s["kv_cache_usage_perc"] for s in states]
    assert max(usages) > 0 and usages[0] == 0 and usages[-1] == 0
    server.assert_alive()
