/// The prefix cache's block hashes, chained as vLLM v1 chains them (`hash_block_tokens` in
/// `vllm/v1/core/kv_cache_utils.py`): a full block of `blockSize` token ids is known by the hash
/// of (its parent block's hash, its token ids, its extra keys), the first block's parent being a
/// fixed root (vLLM's `NONE_HASH`). So a hash stands for every token from the start of the
/// prompt, and two prompts share a block only if they share everything before it. The extra
/// key is the LoRA adapter's name, as vLLM adds it (`_gen_lora_extra_hash_keys`): the same
/// prompt under another adapter shares no block. Only full blocks get a hash; a prompt's last
/// partial block is never cached, as in vLLM.
///
/// vLLM hashes with SHA-256 over a serialized tuple and publishes the low 64 bits of it; these
/// are 64-bit hashes of their own (FNV-1a over the same fields, then a finalizer that spreads
/// the bits), the same in every process and every run, so two mockllm servers agree on a
/// prefix's hashes as vLLM servers with the same `PYTHONHASHSEED` do.
public enum BlockHashes {
    /// The parent of a prompt's first block.
    public static let root: UInt64 = 0x6d6f_636b_6c6c_6d00

    /// The hashes of `tokens`' successive full blocks, in order.
    public static func chain(_ tokens: [Int], blockSize: Int, extraKey: String? = nil) -> [UInt64] {
        guard blockSize > 0 else { return [] }
        let blocks = tokens.count / blockSize
        var hashes: [UInt64] = []
        hashes.reserveCapacity(blocks)
        var parent = root
        for block in 0..<blocks {
            parent = hash(parent: parent, tokens: tokens[block * blockSize..<(block + 1) * blockSize], extraKey: extraKey)
            hashes.append(parent)
        }
        return hashes
    }

    /// One block's hash: its parent's, its token ids and its extra key.
    public static func hash(parent: UInt64, tokens: ArraySlice<Int>, extraKey: String?) -> UInt64 {
        var state: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ word: UInt64) {
            var word = word
            for _ in 0..<8 {
                state = (state ^ (word & 0xFF)) &* 0x0000_0100_0000_01b3
                word >>= 8
            }
        }
        mix(parent)
        mix(UInt64(tokens.count))
        for token in tokens { mix(UInt64(bitPattern: Int64(token))) }
        if let extraKey {
            // Marked and length-prefixed: no token sequence can spell an extra key.
            mix(0xFFFF_FFFF_FFFF_FFFF)
            mix(UInt64(extraKey.utf8.count))
            for byte in extraKey.utf8 { state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        }
        // splitmix64's finalizer: FNV leaves the high bits poorly mixed.
        state = (state ^ (state >> 30)) &* 0xbf58_476d_1ce4_e5b9
        state = (state ^ (state >> 27)) &* 0x94d0_49bb_1331_11eb
        return state ^ (state >> 31)
    }
}
