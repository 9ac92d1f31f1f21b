"""LoRA adapters on a serving engine with the real OpenAI client, httpx and Prometheus' parser.

With one adapter slot (`max_loras: 1`) and two adapters requested alternately, every request
swaps the slot: its first token comes no sooner than the load time after it was sent (a lower
bound the engine guarantees, not a timing race). Requested at once, the second adapter's request
waits while the first runs, and `vllm:lora_requests_info` (its latest series, the one with the
largest timestamp value) says so, then shows the swap. Adapters loaded and unloaded at run time
with vLLM's endpoints are listed with `parent` and `root` and served."""

from __future__ import annotations

import threading
import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from chat_helpers import seconds_to_first_content
from conftest import make_client

LOAD_MS = 200

SCRIPT = f"""
engines:
  gpu:
    max_num_seqs: 8
    max_loras: 1
    lora_load_ms: {LOAD_MS}
    step_time: {{base_ms: 10, per_sequence_ms: 0, per_prefill_token_ms: 0, per_context_token_ms: 0}}
models:
  - {{id: base, provider: openai, engine: gpu}}
  - {{id: lora-a, parent: base, lora_path: /adapters/a}}
  - {{id: lora-b, parent: base, lora_path: /adapters/b}}
responses:
  "hello": "Hello there, friend."
"""

DEADLINE_S = 30.0


def scrape(url: str) -> dict:
    """The latest `vllm:lora_requests_info` labels and the waiting gauge of the base model."""
    text = httpx.get(f"{url}/metrics", timeout=10.0).text
    out: dict = {"lora": None, "waiting": None, "series": set()}
    latest = -1.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "vllm:lora_requests_info":
                out["series"].add((sample.labels["running_lora_adapters"], sample.labels["waiting_lora_adapters"]))
            if sample.name == "vllm:lora_requests_info" and sample.value > latest:
                latest = sample.value
                out["lora"] = (sample.labels["max_lora"], sample.labels["running_lora_adapters"],
                               sample.labels["waiting_lora_adapters"])
                out["stamp"] = sample.value
            if sample.name == "vllm:num_requests_waiting" and sample.labels.get("model_name") == "base":
                out["waiting"] = sample.value
    return out


def poll(url: str, what: str, until) -> dict:
    deadline = time.monotonic() + DEADLINE_S
    seen: dict = {}
    while time.monotonic() < deadline:
        seen = scrape(url)
        if until(seen):
            return seen
        time.sleep(0.02)
    raise AssertionError(f"{what}: last scrape {seen}")


def first_token_after(client, model: str) -> float:
    """Seconds from sending a stream to its first content token, as the client sees them."""
    return seconds_to_first_content(client, model=model, messages=[{"role": "user", "content": "hello"}],
                                    max_tokens=3, extra_body={"ignore_eos": True})


def test_alternating_adapters_swap_the_slot_every_time(start_server) -> None:
    server = start_server(SCRIPT)
    with make_client(server.url) as client:
        for model in ["lora-a", "lora-b", "lora-a", "lora-b"]:
            # Each finds the other adapter in the one slot: it is loaded before the first token.
            assert first_token_after(client, model) >= LOAD_MS / 1000
    # Each adapter ran alone in the slot; once the last request is done, nothing runs.
    seen = poll(server.url, "the engine is idle", lambda s: s["lora"] == ("1", "", ""))
    assert {("lora-a", ""), ("lora-b", "")} <= seen["series"]
    assert seen["stamp"] > 1.7e9, "the value is a timestamp (seconds since the epoch)"
    server.assert_alive()


def test_the_second_adapter_waits_and_the_gauge_shows_the_swap(start_server) -> None:
    server = start_server(SCRIPT)
    stop = threading.Event()
    streaming = threading.Event()

    def long_stream() -> None:
        with make_client(server.url) as client:
            events = client.chat.completions.create(
                model="lora-a", messages=[{"role": "user", "content": "hello"}], stream=True,
                max_tokens=5000, extra_body={"ignore_eos": True})
            for _ in events:
                streaming.set()
                if stop.is_set():
                    break
            events.close()

    first = threading.Thread(target=long_stream, daemon=True)
    first.start()
    assert streaming.wait(DEADLINE_S)
    answers: list[str] = []

    def second() -> None:
        with make_client(server.url) as client:
            reply = client.chat.completions.create(
                model="lora-b", messages=[{"role": "user", "content": "hello"}], max_tokens=3,
                extra_body={"ignore_eos": True})
            answers.append(reply.choices[0].message.content or "")

    waiting = threading.Thread(target=second, daemon=True)
    waiting.start()
    seen = poll(server.url, "lora-b waits for the slot", lambda s: s["lora"] == ("1", "lora-a", "lora-b"))
    assert seen["waiting"] == 1
    stop.set()
    first.join(DEADLINE_S)
    waiting.join(DEADLINE_S)
    assert answers and answers[0]
    poll(server.url, "lora-b ran in the freed slot", lambda s: s["lora"] == ("1", "", "") or s["lora"] == ("1", "lora-b", ""))
    server.assert_alive()


def test_adapters_load_and_unload_at_run_time(start_server) -> None:
    server = start_server(SCRIPT, extra_args=["--allow-runtime-lora"])
    loaded = httpx.post(f"{server.url}/v1/load_lora_adapter",
                        json={"lora_name": "lora-c", "lora_path": "/adapters/c"}, timeout=10.0)
    assert loaded.status_code == 200
    assert loaded.text == "Success: LoRA adapter 'lora-c' added successfully."
    with make_client(server.url) as client:
        models = {m.id: m for m in client.models.list()}
        assert models["lora-c"].model_extra["parent"] == "base"
        assert models["lora-c"].model_extra["root"] == "/adapters/c"
        assert models["base"].model_extra["parent"] is None
        reply = client.chat.completions.create(
            model="lora-c", messages=[{"role": "user", "content": "hello"}], max_tokens=2, extra_body={"ignore_eos": True})
        assert reply.choices[0].message.content
    again = httpx.post(f"{server.url}/v1/load_lora_adapter", json={"lora_name": "lora-c", "lora_path": "/x"}, timeout=10.0)
    assert again.status_code == 400
    assert again.json() == {"object": "error", "message": "The lora adapter 'lora-c' has already been loaded.",
                            "type": "InvalidUserInput", "param": None, "code": 400}
    unloaded = httpx.post(f"{server.url}/v1/unload_lora_adapter", json={"lora_name": "lora-c"}, timeout=10.0)
    assert unloaded.status_code == 200
    gone = httpx.post(f"{server.url}/v1/unload_lora_adapter", json={"lora_name": "lora-c"}, timeout=10.0)
    assert gone.status_code == 404
    assert gone.json()["type"] == "NotFoundError"
    with make_client(server.url) as client:
        assert "lora-c" not in {m.id for m in client.models.list()}
    server.assert_alive()


def test_without_the_switch_the_endpoints_are_missing(start_server) -> None:
    server = start_server(SCRIPT)
    refused = httpx.post(f"{server.url}/v1/load_lora_adapter", json={"lora_name": "c", "lora_path": "/c"}, timeout=10.0)
    assert refused.status_code == 404
    assert refused.json() == {"detail": "Not Found"}
