import Foundation
import MockLLMCore
import MockLLMSimulation

/// vLLM's `--kv-events-config` (`vllm/config/kv_events.py`, `KVEventsConfig`): a JSON object
/// with the same fields and defaults. `publisher` defaults to `zmq` when events are enabled,
/// else `null` (nothing is published).
/// Why `--kv-events-config` cannot be served.
package struct KVEventsProblem: Error, Equatable, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}

package struct KVEventsConfig: Sendable, Equatable {
    package var enabled = false
    package var publisher = "null"
    package var endpoint = "tcp://*:5557"
    package var replayEndpoint: String?
    package var bufferSteps = 10_000
    package var hwm = 100_000
    package var maxQueueSize = 100_000
    package var topic = ""

    package init() {}

    /// Whether events are published at all.
    package var publishes: Bool { enabled && publisher == "zmq" }

    /// Reads the flag's JSON; a message naming the problem otherwise (vLLM refuses unknown fields).
    package static func parse(_ text: String) -> Result<KVEventsConfig, KVEventsProblem> {
        let document: JSONDocument
        do {
            document = try JSONDocument.parse(Array(text.utf8))
        } catch {
            return .failure(KVEventsProblem(message: "--kv-events-config is not valid JSON: \(error)"))
        }
        let root = document.root
        guard root.isObject else { return .failure(KVEventsProblem(message: "--kv-events-config must be a JSON object, not \(root.kindDescription)")) }
        var config = KVEventsConfig()
        var publisher: String?
        for (key, value) in root.members {
            func wrong(_ expected: String) -> Result<KVEventsConfig, KVEventsProblem> {
                .failure(KVEventsProblem(message: "--kv-events-config: \(key) must be \(expected), not \(value.kindDescription)"))
            }
            switch key {
            case "enable_kv_cache_events":
                guard let flag = value.bool else { return wrong("a boolean") }
                config.enabled = flag
            case "publisher":
                guard let name = value.string else { return wrong("a string") }
                guard name == "zmq" || name == "null" else {
                    return .failure(KVEventsProblem(message: "--kv-events-config: publisher must be \"zmq\" or \"null\", not \"\(name)\""))
                }
                publisher = name
            case "endpoint":
                guard let endpoint = value.string else { return wrong("a string") }
                config.endpoint = endpoint
            case "replay_endpoint":
                if value.isNull { config.replayEndpoint = nil; continue }
                guard let endpoint = value.string else { return wrong("a string or null") }
                config.replayEndpoint = endpoint
            case "buffer_steps", "hwm", "max_queue_size":
                guard let n = value.integer, n > 0 else { return wrong("a positive integer") }
                if key == "buffer_steps" { config.bufferSteps = n } else if key == "hwm" { config.hwm = n } else { config.maxQueueSize = n }
            case "topic":
                guard let topic = value.string else { return wrong("a string") }
                config.topic = topic
            default:
                return .failure(KVEventsProblem(message: "--kv-events-config: unknown field \(key) (enable_kv_cache_events, publisher, endpoint, replay_endpoint, buffer_steps, hwm, max_queue_size, topic)"))
            }
        }
        config.publisher = publisher ?? (config.enabled ? "zmq" : "null")
        if config.publishes {
            for endpoint in [config.endpoint] + (config.replayEndpoint.map { [$0] } ?? []) {
                if case .failure(let problem) = KVEndpoint.parse(endpoint, rank: 0) { return .failure(KVEventsProblem(message: "--kv-events-config: \(problem)")) }
            }
        }
        return .success(config)
    }
}

/// A TCP endpoint to bind, `tcp://HOST:PORT`, its port offset by the data-parallel rank as
/// vLLM's `ZmqEventPublisher.offset_endpoint_port` does. vLLM binds when the address has `*` or
/// `::` and connects otherwise; mockllm always binds (`*` is every IPv4 address, `::` every
/// IPv6 one, any other host that address), so a subscriber connects to it.
package struct KVEndpoint: Sendable, Equatable {
    package var host: String
    package var port: Int

    package static func parse(_ endpoint: String, rank: Int) -> Result<KVEndpoint, KVEventsProblem> {
        guard endpoint.hasPrefix("tcp://") else {
            return .failure(KVEventsProblem(message: "endpoint \(endpoint): only tcp:// endpoints are served (vLLM also takes ipc:// and inproc://)"))
        }
        let address = endpoint.dropFirst("tcp://".count)
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              (0...65535).contains(port)
        else { return .failure(KVEventsProblem(message: "endpoint \(endpoint) has no port")) }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        switch host {
        case "*": host = "0.0.0.0"
        case "": return .failure(KVEventsProblem(message: "endpoint \(endpoint) has no host (use * for every address)"))
        default: break
        }
        // Port 0 asks for an ephemeral port for every rank.
        return .success(KVEndpoint(host: host, port: port == 0 ? 0 : port + rank))
    }
}

/// One KV-cache event as vLLM's `vllm/distributed/kv_events.py` defines it.
package enum KVCacheEvent: Sendable, Equatable {
    case stored(hashes: [UInt64], parent: UInt64?, tokens: [Int], blockSize: Int, lora: (id: Int, name: String)?)
    case removed(hashes: [UInt64])
    case allCleared

    package static func == (a: KVCacheEvent, b: KVCacheEvent) -> Bool {
        switch (a, b) {
        case let (.stored(h1, p1, t1, s1, l1), .stored(h2, p2, t2, s2, l2)):
            h1 == h2 && p1 == p2 && t1 == t2 && s1 == s2 && l1?.id == l2?.id && l1?.name == l2?.name
        case let (.removed(h1), .removed(h2)): h1 == h2
        case (.allCleared, .allCleared): true
        default: false
        }
    }
}

/// A `KVEventBatch` in msgpack as vLLM v0.2x's msgspec encoder writes it: the batch positional,
/// `[ts, events, data_parallel_rank]`, and each event a map tagged with its class name under
/// `type` (vLLM dropped `array_like` from the events in vllm-project/vllm#42892), its fields in
/// declaration order; fields with a default are left out at their default (`omit_defaults`),
/// fields without one are always written (`lora_id`, `medium`, `lora_name` as nil). Block
/// hashes are 64-bit integers, as vLLM publishes them by default
/// (`VLLM_KV_EVENTS_USE_INT_BLOCK_HASHES`). Every block is in the single full-attention KV
/// cache group (`group_idx` 0) on the GPU.
package func encodeKVEventBatch(timestamp: Double, events: [KVCacheEvent], rank: Int) -> [UInt8] {
    var out = MessagePackWriter()
    out.writeArrayHeader(3)
    out.write(timestamp)
    out.writeArrayHeader(events.count)
    for event in events {
        switch event {
        case let .stored(hashes, parent, tokens, blockSize, lora):
            out.writeMapHeader(11)
            out.write("type"); out.write("BlockStored")
            out.write("block_hashes"); out.writeArrayHeader(hashes.count)
            for hash in hashes { out.write(hash) }
            out.write("parent_block_hash")
            if let parent { out.write(parent) } else { out.writeNil() }
            out.write("token_ids"); out.writeArrayHeader(tokens.count)
            for token in tokens { out.write(token) }
            out.write("block_size"); out.write(blockSize)
            out.write("lora_id")
            if let lora { out.write(lora.id) } else { out.writeNil() }
            out.write("medium"); out.write("GPU")
            out.write("lora_name")
            if let lora { out.write(lora.name) } else { out.writeNil() }
            // One entry per block: the keys hashed beside its tokens (the adapter's name), or nil.
            out.write("extra_keys"); out.writeArrayHeader(hashes.count)
            for _ in hashes {
                if let lora {
                    out.writeArrayHeader(1)
                    out.write(lora.name)
                } else {
                    out.writeNil()
                }
            }
            out.write("group_idx"); out.write(0)
            out.write("kv_cache_spec_kind"); out.write("full_attention")
        case let .removed(hashes):
            out.writeMapHeader(4)
            out.write("type"); out.write("BlockRemoved")
            out.write("block_hashes"); out.writeArrayHeader(hashes.count)
            for hash in hashes { out.write(hash) }
            out.write("medium"); out.write("GPU")
            out.write("group_idx"); out.write(0)
        case .allCleared:
            out.writeMapHeader(1)
            out.write("type"); out.write("AllBlocksCleared")
        }
    }
    out.write(rank)
    return out.bytes
}
