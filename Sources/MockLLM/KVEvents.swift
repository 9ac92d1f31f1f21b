import Foundation
import MockLLMCore
import MockLLMSimulation

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
