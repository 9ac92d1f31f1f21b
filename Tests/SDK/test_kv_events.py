"""vLLM's KV-cache events (`--kv-events-config`) read as a KV-aware router reads them: pyzmq SUB
sockets on the engines' publishers, msgpack decoding, and a tiny router that sends a request to
the data-parallel rank holding the longest cached prefix of its prompt.

What vLLM publishes (vllm/distributed/kv_events.py, v0.2x): per engine step with events, one
multipart message [topic, 8-byte big-endian sequence number, msgpack KVEventBatch]; the batch is
positional, [ts, events, data_parallel_rank], each event a map tagged under "type". The token ids
in BlockStored are the prompt's as /tokenize gives them, so a router can follow the chain of
parent hashes with token ids alone; the hashes themselves are reproduced here from the documented
function (docs/LOAD-SIMULATION.md, "KV-cache events")."""

from __future__ import annotations

import re
import socket
import threading
import time
from typing import Optional

import httpx
import msgpack
import zmq
from prometheus_client.parser import text_string_to_metric_families

from conftest import make_client

BLOCK = 16
DEADLINE_S = 30.0

SCRIPT = """
engines:
  gpu:
    max_num_seqs: 8
    kv_cache_tokens: {kv}
    block_size: 16
    step_time: {{base_ms: 2, per_sequence_ms: 0, per_prefill_token_ms: {prefill_ms}, per_context_token_ms: 0}}
models:
  - {{id: llama, provider: openai, engine: gpu}}
  - {{id: sql-lora, parent: llama}}
responses:
  "hello": "Hello there, friend."
"""

ENDPOINT = re.compile(r"KV-cache events of engine gpu(?: \(rank (\d+)\))? on tcp://[^:]+:(\d+)(?:, replay on tcp://[^:]+:(\d+))?")

# ---- the documented block hash: FNV-1a 64 over parent, count, token ids, the adapter's name;
# ---- then splitmix64's finalizer.
MASK = (1 << 64) - 1
ROOT = 0x6D6F636B6C6C6D00
PRIME = 0x100000001B3


def _mix(state: int, word: int) -> int:
    for _ in range(8):
        state = ((state ^ (word & 0xFF)) * PRIME) & MASK
        word >>= 8
    return state


def block_hash(parent: int, tokens: list[int], extra: Optional[str] = None) -> int:
    s = 0xCBF29CE484222325
    s = _mix(s, parent)
    s = _mix(s, len(tokens))
    for token in tokens:
        s = _mix(s, token & MASK)
    if extra is not None:
        data = extra.encode()
        s = _mix(s, MASK)
        s = _mix(s, len(data))
        for byte in data:
            s = ((s ^ byte) * PRIME) & MASK
    s = ((s ^ (s >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    s = ((s ^ (s >> 27)) * 0x94D049BB133111EB) & MASK
    return s ^ (s >> 31)


def chain(tokens: list[int], extra: Optional[str] = None) -> list[int]:
    hashes, parent = [], ROOT
    for start in range(0, len(tokens) - len(tokens) % BLOCK, BLOCK):
        parent = block_hash(parent, tokens[start:start + BLOCK], extra)
        hashes.append(parent)
    return hashes


# ---- helpers

def endpoints(server) -> dict[int, tuple[int, Optional[int]]]:
    """rank -> (publisher port, replay port) from the server's startup lines."""
    found = {}
    for match in ENDPOINT.finditer(server.output):
        found[int(match.group(1) or 0)] = (int(match.group(2)), int(match.group(3)) if match.group(3) else None)
    return found


def subscriber(ctx: zmq.Context, port: int, topic: bytes = b"kv-events") -> zmq.Socket:
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, topic)
    sub.setsockopt(zmq.RCVTIMEO, int(DEADLINE_S * 1000))
    sub.connect(f"tcp://127.0.0.1:{port}")
    return sub


def connected(sub: zmq.Socket, http: httpx.Client, url: str) -> None:
    """A SUB socket joins asynchronously: wait until a batch reaches it (a reset publishes
    AllBlocksCleared when nothing holds blocks), discarding what arrived before."""
    poller = zmq.Poller()
    poller.register(sub, zmq.POLLIN)
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        assert http.post(f"{url}/reset_prefix_cache").status_code == 200
        if poller.poll(50):
            while poller.poll(200):
                sub.recv_multipart()
            return
    raise AssertionError("the subscriber never received a batch")


def receive(sub: zmq.Socket) -> tuple[bytes, int, list]:
    topic, seq, payload = sub.recv_multipart()
    assert len(seq) == 8
    return topic, int.from_bytes(seq, "big"), msgpack.unpackb(payload)


def tokens_of(http: httpx.Client, url: str, messages: list[dict]) -> list[int]:
    reply = http.post(f"{url}/tokenize", json={"model": "llama", "messages": messages})
    assert reply.status_code == 200, reply.text
    return reply.json()["tokens"]


def chat(http: httpx.Client, url: str, model: str, messages: list[dict]) -> None:
    reply = http.post(f"{url}/v1/chat/completions", json={"model": model, "messages": messages, "max_tokens": 4})
    assert reply.status_code == 200, reply.text


def long_prompt(words: int, seed: str) -> str:
    return " ".join(f"{seed}{i % 97}" for i in range(words))


# ---- the wire

def test_block_stored_as_vllm_writes_it_with_tokenize_ids(start_server):
    server = start_server(SCRIPT.format(kv=100_000, prefill_ms=0),
                          extra_args=["--kv-events-config", '{"enable_kv_cache_events":true,"endpoint":"tcp://*:0",'
                                      '"topic":"kv-events"}'])
    port, replay = endpoints(server)[0]
    assert replay is None
    ctx = zmq.Context()
    sub = subscriber(ctx, port)
    try:
        with httpx.Client(timeout=10.0) as http:
            connected(sub, http, server.url)
            messages = [{"role": "user", "content": long_prompt(60, "w") + " hello"}]
            ids = tokens_of(http, server.url, messages)
            full = len(ids) // BLOCK
            chat(http, server.url, "llama", messages)
            topic, seq, batch = receive(sub)
            assert topic == b"kv-events"
            ts, events, rank = batch
            assert isinstance(ts, float) and abs(ts - time.time()) < 60 and rank == 0
            stored = [e for e in events if e["type"] == "BlockStored"]
            hashes = [h for e in stored for h in e["block_hashes"]]
            token_ids = [t for e in stored for t in e["token_ids"]]
            # Several steps (chunked prefill) may split the prompt's blocks across batches.
            while len(hashes) < full:
                _, later, (_, more, _) = receive(sub)
                assert later > seq
                seq = later
                for e in more:
                    if e["type"] == "BlockStored":
                        stored.append(e)
                        hashes += e["block_hashes"]
                        token_ids += e["token_ids"]
            first = stored[0]
            assert list(first.keys()) == ["type", "block_hashes", "parent_block_hash", "token_ids", "block_size", "lora_id",
                                          "medium", "lora_name", "extra_keys", "group_idx", "kv_cache_spec_kind"]
            assert first["parent_block_hash"] is None and first["block_size"] == BLOCK and first["medium"] == "GPU"
            assert first["lora_id"] is None and first["lora_name"] is None and first["group_idx"] == 0
            assert first["extra_keys"] == [None] * len(first["block_hashes"])
            assert token_ids == ids[:full * BLOCK], "the ids /tokenize gives, full blocks only"
            assert hashes == chain(ids), "the documented hash of the token ids, chained"
            for before, after in zip(stored, stored[1:]):
                assert after["parent_block_hash"] == before["block_hashes"][-1]

            # The same prompt under an adapter: its own blocks, the adapter's name among the keys.
            chat(http, server.url, "sql-lora", messages)
            lora_hashes, lora_events = [], []
            while len(lora_hashes) < full:
                _, _, (_, more, _) = receive(sub)
                lora_events += [e for e in more if e["type"] == "BlockStored"]
                lora_hashes = [h for e in lora_events for h in e["block_hashes"]]
            assert lora_hashes == chain(ids, "sql-lora") and not set(lora_hashes) & set(hashes)
            assert lora_events[0]["lora_name"] == "sql-lora" and lora_events[0]["lora_id"] == 1
            assert lora_events[0]["extra_keys"][0] == ["sql-lora"]

            # A reset clears everything: AllBlocksCleared alone.
            assert http.post(f"{server.url}/reset_prefix_cache").status_code == 200
            _, _, (_, cleared, _) = receive(sub)
            assert cleared == [{"type": "AllBlocksCleared"}]
    finally:
        sub.close(0)
        ctx.term()


def test_evictions_are_block_removed_and_replay_serves_missed_batches(start_server):
    # 20 blocks of KV: three prompts of 8 blocks cannot all stay cached.
    server = start_server(SCRIPT.format(kv=320, prefill_ms=0),
                          extra_args=["--kv-events-config", '{"enable_kv_cache_events":true,"endpoint":"tcp://*:0",'
                                      '"replay_endpoint":"tcp://*:0","topic":"kv-events"}'])
    port, replay_port = endpoints(server)[0]
    assert replay_port is not None
    ctx = zmq.Context()
    sub = subscriber(ctx, port)
    try:
        with httpx.Client(timeout=10.0) as http:
            connected(sub, http, server.url)
            cached: set[int] = set()
            removed: list[int] = []
            last = -1
            for seed in ("a", "b", "c"):
                messages = [{"role": "user", "content": long_prompt(120, seed)}]
                ids = tokens_of(http, server.url, messages)
                chat(http, server.url, "llama", messages)
                want = set(chain(ids))
                deadline = time.monotonic() + DEADLINE_S
                while not want <= cached and time.monotonic() < deadline:
                    _, seq, (_, events, _) = receive(sub)
                    assert seq == last + 1 or last == -1, "sequence numbers without a gap"
                    last = seq
                    for e in events:
                        if e["type"] == "BlockStored":
                            cached |= set(e["block_hashes"])
                        elif e["type"] == "BlockRemoved":
                            assert e["medium"] == "GPU" and len(e["block_hashes"]) == 1
                            assert e["block_hashes"][0] in cached, "only what was stored is removed"
                            cached -= set(e["block_hashes"])
                            removed += e["block_hashes"]
                assert want <= cached
            assert removed, "the third prompt evicted cached blocks"

            # Replay from 0: every batch buffered, each [seq, payload], then [-1, b""]. A DEALER
            # reads the whole answer (a REQ socket, as vLLM's example uses, takes its first part);
            # it sends the empty delimiter a REQ would add.
            dealer = ctx.socket(zmq.DEALER)
            dealer.setsockopt(zmq.RCVTIMEO, int(DEADLINE_S * 1000))
            dealer.connect(f"tcp://127.0.0.1:{replay_port}")
            dealer.send_multipart([b"", (0).to_bytes(8, "big")])
            numbers = []
            while True:
                empty, seq, payload = dealer.recv_multipart()
                assert empty == b""
                number = int.from_bytes(seq, "big", signed=True)
                if number == -1:
                    assert payload == b""
                    break
                assert msgpack.unpackb(payload)[2] == 0
                numbers.append(number)
            dealer.close(0)
            assert numbers == list(range(0, last + 1)), "from the first batch published"
    finally:
        sub.close(0)
        ctx.term()
