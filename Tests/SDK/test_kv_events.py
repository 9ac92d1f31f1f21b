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
from typing import Any, Optional, Union

import httpx
import msgpack
import msgspec
import zmq
from prometheus_client.parser import text_string_to_metric_families

from chat_helpers import seconds_to_first_content
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


# ---- vLLM v0.26's event types (vllm/distributed/kv_events.py), as a consumer written against
# ---- them declares them: the batch positional, each event a map tagged with its class name.

class EventBatch(msgspec.Struct, array_like=True, omit_defaults=True, gc=False):
    ts: float
    events: list[Any]
    data_parallel_rank: Optional[int] = None


class KVCacheEvent(msgspec.Struct, omit_defaults=True, gc=False, tag=True, forbid_unknown_fields=True):
    pass


class BlockStored(KVCacheEvent):
    block_hashes: list[int]
    parent_block_hash: Optional[int]
    token_ids: list[int]
    block_size: int
    lora_id: Optional[int]
    medium: Optional[str]
    lora_name: Optional[str]
    extra_keys: Optional[list[Optional[tuple[Any, ...]]]] = None
    group_idx: Optional[int] = None
    kv_cache_spec_kind: Optional[str] = None
    kv_cache_spec_sliding_window: Optional[int] = None


class BlockRemoved(KVCacheEvent):
    block_hashes: list[int]
    medium: Optional[str]
    group_idx: Optional[int] = None


class AllBlocksCleared(KVCacheEvent):
    pass


class KVEventBatch(EventBatch):
    events: list[Union[BlockStored, BlockRemoved, AllBlocksCleared]]


VLLM_DECODER = msgspec.msgpack.Decoder(KVEventBatch)


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
    """One message: its topic, sequence number and payload as msgpack decodes it, after checking
    that vLLM's own types decode the payload to the same values."""
    topic, seq, payload = sub.recv_multipart()
    assert len(seq) == 8
    plain = msgpack.unpackb(payload)
    typed = VLLM_DECODER.decode(payload)
    assert typed.ts == plain[0] and typed.data_parallel_rank == plain[2]
    # The same values (tuples, which vLLM's types give extra keys, compared as lists).
    assert msgspec.json.decode(msgspec.json.encode(typed.events)) == plain[1]
    return topic, int.from_bytes(seq, "big"), plain


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

            # A legacy completion's prompt is tokenized as it is, as /tokenize with "prompt" does.
            prompt = long_prompt(50, "c")
            raw = http.post(f"{server.url}/tokenize", json={"model": "llama", "prompt": prompt}).json()["tokens"]
            reply = http.post(f"{server.url}/v1/completions", json={"model": "llama", "prompt": prompt, "max_tokens": 2})
            assert reply.status_code == 200, reply.text
            completion_events = []
            while sum(len(e["block_hashes"]) for e in completion_events) < len(raw) // BLOCK:
                _, _, (_, more, _) = receive(sub)
                completion_events += [e for e in more if e["type"] == "BlockStored"]
            assert [t for e in completion_events for t in e["token_ids"]] == raw[:len(raw) // BLOCK * BLOCK]

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


# ---- a KV-aware router over two data-parallel ranks

class Router:
    """What a KV-aware router keeps: per rank, the blocks its engine announced, indexed by
    (parent hash, token ids) so a prompt's blocks are found from its token ids alone. A request
    goes to the rank holding the longest cached prefix (the lower rank on a tie)."""

    def __init__(self, ctx: zmq.Context, subs: dict[int, zmq.Socket]) -> None:
        self.subs = subs
        self.lock = threading.Lock()
        self.index: dict[int, dict[tuple, int]] = {rank: {} for rank in subs}
        self.parents: dict[int, dict[int, tuple]] = {rank: {} for rank in subs}
        self.ranks_seen: set[int] = set()
        self.running = True
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.thread.start()

    def _listen(self) -> None:
        poller = zmq.Poller()
        for sub in self.subs.values():
            poller.register(sub, zmq.POLLIN)
        while self.running:
            for sub, _ in poller.poll(50):
                _, _, payload = sub.recv_multipart()
                _, events, rank = msgpack.unpackb(payload)
                with self.lock:
                    self.ranks_seen.add(rank)
                    self._apply(rank, events)

    def _apply(self, rank: int, events: list) -> None:
        index, parents = self.index[rank], self.parents[rank]
        for e in events:
            if e["type"] == "BlockStored":
                parent, size = e["parent_block_hash"], e["block_size"]
                for i, h in enumerate(e["block_hashes"]):
                    key = (parent, tuple(e["token_ids"][i * size:(i + 1) * size]))
                    index[key], parents[h] = h, key
                    parent = h
            elif e["type"] == "BlockRemoved":
                for h in e["block_hashes"]:
                    key = parents.pop(h, None)
                    if key is not None:
                        index.pop(key, None)
            elif e["type"] == "AllBlocksCleared":
                index.clear()
                parents.clear()

    def cached_blocks(self, rank: int, ids: list[int]) -> int:
        with self.lock:
            parent, n = None, 0
            for start in range(0, len(ids) - BLOCK + 1, BLOCK):
                h = self.index[rank].get((parent, tuple(ids[start:start + BLOCK])))
                if h is None:
                    break
                parent, n = h, n + 1
            return n

    def route(self, ids: list[int]) -> int:
        return max(sorted(self.subs), key=lambda rank: self.cached_blocks(rank, ids))

    def stop(self) -> None:
        self.running = False
        self.thread.join(5)


def prefix_hits(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10.0).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "vllm:prefix_cache_hits_total" and sample.labels.get("model_name") == "llama":
                return sample.value
    raise AssertionError("no vllm:prefix_cache_hits_total for llama")


def ttft(url: str, messages: list[dict]) -> float:
    with make_client(url) as client:
        return seconds_to_first_content(client, model="llama", messages=messages, max_tokens=4)


def test_a_kv_aware_router_sends_a_shared_prefix_to_the_rank_that_holds_it(start_server):
    # Prefill costs 2 ms a token: a cold 620-token prompt takes 1.2 s before its first token,
    # a cached one its last few blocks' tens of milliseconds.
    server = start_server(SCRIPT.format(kv=100_000, prefill_ms=2.0),
                          extra_args=["--port", str(free_port_pair()), "--data-parallel-size", "2", "--kv-events-config",
                                      '{"enable_kv_cache_events":true,"endpoint":"tcp://*:0","topic":"kv-events"}'])
    ports = endpoints(server)
    assert sorted(ports) == [0, 1]
    base = int(server.url.rsplit(":", 1)[1])
    urls = {0: server.url, 1: f"http://127.0.0.1:{base + 1}"}
    ctx = zmq.Context()
    subs = {rank: subscriber(ctx, ports[rank][0]) for rank in (0, 1)}
    router = None
    try:
        with httpx.Client(timeout=30.0) as http:
            for rank in (0, 1):
                connected(subs[rank], http, urls[rank])
            router = Router(ctx, subs)
            document = long_prompt(300, "doc")
            system = {"role": "system", "content": "Answer from this document. " + document}

            # The first question warms rank 0 (nothing is cached anywhere: the tie goes to rank 0).
            first = [system, {"role": "user", "content": "What is the first point?"}]
            ids = tokens_of(http, urls[0], first)
            assert router.route(ids) == 0
            chat(http, urls[0], "llama", first)
            shared = tokens_of(http, urls[0], [system])
            # The system message and the user turn's opening are shared: at least these blocks.
            prefix_blocks = (len(shared) - 3) // BLOCK
            assert prefix_blocks >= 30
            deadline = time.monotonic() + DEADLINE_S
            while router.cached_blocks(0, ids) < prefix_blocks and time.monotonic() < deadline:
                time.sleep(0.01)
            assert router.cached_blocks(0, ids) >= prefix_blocks and router.cached_blocks(1, ids) == 0

            # A second question on the same document: routed to rank 0, which holds its prefix.
            second = [system, {"role": "user", "content": "And what is the second point, briefly?"}]
            ids2 = tokens_of(http, urls[0], second)
            assert router.route(ids2) == 0 and router.cached_blocks(0, ids2) >= prefix_blocks
            hits_before = prefix_hits(urls[0])
            routed = ttft(urls[0], second)
            hits_routed = prefix_hits(urls[0]) - hits_before
            other = ttft(urls[1], second)
            hits_other = prefix_hits(urls[1])
            print(f"TTFT on the rank holding the prefix {routed * 1000:.0f} ms, on the other {other * 1000:.0f} ms; "
                  f"prefix-cache hits {hits_routed:.0f} and {hits_other:.0f} tokens")
            assert hits_routed >= prefix_blocks * BLOCK, "the routed request reused the cached prefix"
            assert hits_other == 0, "the other rank computed it all"
            assert routed < other, f"TTFT {routed:.3f} s on the routed rank, {other:.3f} s on the other"
            assert router.ranks_seen == {0, 1}, "each rank's batches carry its data_parallel_rank"
            # Now both hold it: the tie goes to the lower rank again.
            deadline = time.monotonic() + DEADLINE_S
            while router.cached_blocks(1, ids2) < prefix_blocks and time.monotonic() < deadline:
                time.sleep(0.01)
            assert router.cached_blocks(1, ids2) >= prefix_blocks
    finally:
        if router:
            router.stop()
        for sub in subs.values():
            sub.close(0)
        ctx.term()


def free_port_pair() -> int:
    """A port P with P and P + 1 free at the time of asking. The data-parallel tests give it as
    --port: an ephemeral first port says nothing of the next one, which rank 1 needs."""
    for _ in range(50):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            if port >= 65535:
                continue
            with socket.socket() as b:
                try:
                    b.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
        return port
    raise AssertionError("no free pair of ports")


def test_each_rank_publishes_on_the_endpoint_port_plus_its_rank(start_server):
    port = free_port_pair()
    server = start_server(SCRIPT.format(kv=100_000, prefill_ms=0),
                          extra_args=["--port", str(free_port_pair()), "--data-parallel-size", "2", "--kv-events-config",
                                      f'{{"enable_kv_cache_events":true,"endpoint":"tcp://*:{port}"}}'])
    assert endpoints(server) == {0: (port, None), 1: (port + 1, None)}
    base = int(server.url.rsplit(":", 1)[1])
    ctx = zmq.Context()
    try:
        with httpx.Client(timeout=10.0) as http:
            for rank in (0, 1):
                sub = subscriber(ctx, port + rank, topic=b"")
                connected(sub, http, f"http://127.0.0.1:{base + rank}")
                chat(http, f"http://127.0.0.1:{base + rank}", "llama", [{"role": "user", "content": long_prompt(40, "r")}])
                topic, _, (_, events, data_parallel_rank) = receive(sub)
                assert topic == b"" and data_parallel_rank == rank
                assert events[0]["type"] == "BlockStored"
                sub.close(0)
    finally:
        ctx.term()


def test_a_bad_config_or_a_taken_port_stops_the_server(binary, tmp_path):
    import subprocess
    script = tmp_path / "kv.yml"
    script.write_text(SCRIPT.format(kv=100_000, prefill_ms=0))
    bad = subprocess.run([str(binary), "serve", "--port", "0", "--responses", str(script), "--kv-events-config",
                          '{"enable_kv_cache_events":true,"endpoint":"ipc:///tmp/kv"}'], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "only tcp:// endpoints" in bad.stderr
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = subprocess.run([str(binary), "serve", "--port", "0", "--responses", str(script), "--kv-events-config",
                               f'{{"enable_kv_cache_events":true,"endpoint":"tcp://*:{port}"}}'],
                              capture_output=True, text=True, timeout=30)
    assert busy.returncode == 1 and "cannot publish KV-cache events" in busy.stderr, busy.stderr


def test_engines_of_one_script_publish_on_their_own_endpoints(start_server):
    # vLLM serves one model per server; a script with two engines gives each its own endpoint.
    server = start_server("""
engines:
  small:
    block_size: 16
    kv_events: {endpoint: "tcp://127.0.0.1:0", topic: small}
  large:
    block_size: 32
    kv_events: {endpoint: "tcp://127.0.0.1:0", topic: large}
models:
  - {id: small-model, provider: openai, engine: small}
  - {id: large-model, provider: openai, engine: large}
responses:
  "hello": "Hello there, friend."
""")
    found = {m.group(1): int(m.group(2)) for m in re.finditer(r"KV-cache events of engine (\w+) on tcp://[^:]+:(\d+)", server.output)}
    assert sorted(found) == ["large", "small"] and found["large"] != found["small"]
    ctx = zmq.Context()
    try:
        with httpx.Client(timeout=10.0) as http:
            for engine, size in (("small", 16), ("large", 32)):
                sub = subscriber(ctx, found[engine], topic=engine.encode())
                connected(sub, http, server.url)
                reply = http.post(f"{server.url}/v1/chat/completions", json={
                    "model": f"{engine}-model", "messages": [{"role": "user", "content": long_prompt(60, engine)}]})
                assert reply.status_code == 200, reply.text
                topic, _, (_, events, _) = receive(sub)
                assert topic == engine.encode()
                stored = [e for e in events if e["type"] == "BlockStored"]
                assert stored and stored[0]["block_size"] == size
                sub.close(0)
    finally:
        ctx.term()
