/// The KV cache as vLLM v1's block pool keeps it (`vllm/v1/core/block_pool.py`,
/// `kv_cache_manager.py`): a fixed number of blocks of `blockSize` tokens; a request holds
/// ceil(tokens / blockSize) of them. With prefix caching, a full prompt block is known by its
/// hash once computed; a later request whose prompt starts with the same chain of hashes
/// shares those blocks instead of computing them (reference counts). A block whose last
/// holder finished stays cached while free and is evicted, least recently freed first, only
/// when a block is needed and no never-cached block is free.
///
/// Counts, not block ids: the engine needs how many blocks are free and which hashes are
/// cached, not where a block lives. Simplification (docs/LOAD-SIMULATION.md): a free block
/// that never held a cached prefix is always used before a cached one is evicted (vLLM takes
/// the head of one free queue, where such blocks usually are, but not always).
struct KVBlockPool: Sendable {
    struct Cached: Sendable {
        var references: Int
        /// The eviction order stamp of its entry in `evictionOrder` while free.
        var stamp: UInt64
    }

    let totalBlocks: Int
    /// Free blocks that hold no cached prefix.
    private(set) var plainFree: Int
    /// Free blocks that hold a cached prefix (reference count 0), evictable.
    private(set) var cachedFree = 0
    private var cached: [UInt64: Cached] = [:]
    /// Free cached blocks, least recently freed first; entries whose stamp no longer matches
    /// (the block was taken again or evicted) are skipped, so both operations stay O(1).
    private var evictionOrder = RingQueue<(hash: UInt64, stamp: UInt64)>()
    private var nextStamp: UInt64 = 0
    /// Whether evicted hashes are kept in `evicted` (for KV-cache events).
    var recordsEvictions = false
    /// The hashes evicted since `takeEvicted()` last ran, in order.
    private var evicted: [UInt64] = []

    init(blocks: Int) {
        totalBlocks = blocks
        plainFree = blocks
    }

    var freeBlocks: Int { plainFree + cachedFree }
    var usedBlocks: Int { totalBlocks - freeBlocks }

    /// How many of `hashes`, from the first, are cached (at most `limit`): the prefix hit.
    func cachedPrefixLength(_ hashes: [UInt64], limit: Int) -> (blocks: Int, evictable: Int) {
        var blocks = 0
        var evictable = 0
        while blocks < min(limit, hashes.count), let entry = cached[hashes[blocks]] {
            if entry.references == 0 { evictable += 1 }
            blocks += 1
        }
        return (blocks, evictable)
    }

    /// Takes a reference to a cached block (a prefix hit).
    mutating func acquire(_ hash: UInt64) {
        guard var entry = cached[hash] else { preconditionFailure("KVBlockPool: acquiring a block that is not cached") }
        if entry.references == 0 { cachedFree -= 1 }
        entry.references += 1
        cached[hash] = entry
    }

    /// Takes `count` free blocks, evicting cached ones when no plain block is left; the caller
    /// has checked `count <= freeBlocks`.
    mutating func allocate(_ count: Int) {
        precondition(count <= freeBlocks, "KVBlockPool: allocating more blocks than are free")
        let plain = min(count, plainFree)
        plainFree -= plain
        var rest = count - plain
        while rest > 0, let (hash, stamp) = evictionOrder.popFirst() {
            guard let entry = cached[hash], entry.references == 0, entry.stamp == stamp else { continue }
            cached[hash] = nil
            cachedFree -= 1
            rest -= 1
            if recordsEvictions { evicted.append(hash) }
        }
        precondition(rest == 0, "KVBlockPool: free cached blocks out of step with the eviction order")
    }

    /// Registers a computed private block as the cached block of `hash`; false (the block
    /// stays private) when another request already cached that hash.
    mutating func register(_ hash: UInt64) -> Bool {
        guard cached[hash] == nil else { return false }
        cached[hash] = Cached(references: 1, stamp: 0)
        return true
    }

    /// Frees private blocks.
    mutating func free(plain count: Int) {
        plainFree += count
    }

    /// Drops a reference to a cached block; the last one makes it free but still cached,
    /// the most recently freed (evicted last).
    mutating func release(_ hash: UInt64) {
        guard var entry = cached[hash] else { preconditionFailure("KVBlockPool: releasing a block that is not cached") }
        entry.references -= 1
        if entry.references == 0 {
            nextStamp &+= 1
            entry.stamp = nextStamp
            evictionOrder.append((hash, nextStamp))
            cachedFree += 1
        }
        cached[hash] = entry
        // A prefix every request shares is taken and freed again and again without ever being
        // evicted: drop the stale entries before they outgrow the live ones (amortized O(1)).
        if evictionOrder.count > 2 * cachedFree + 64 { compactEvictionOrder() }
    }

    /// The eviction order without its stale entries, in the same order.
    private mutating func compactEvictionOrder() {
        var live = RingQueue<(hash: UInt64, stamp: UInt64)>()
        while let (hash, stamp) = evictionOrder.popFirst() {
            if let entry = cached[hash], entry.references == 0, entry.stamp == stamp { live.append((hash, stamp)) }
        }
        evictionOrder = live
    }

    /// The hashes evicted since the last call, in order (vLLM's `BlockRemoved` events).
    mutating func takeEvicted() -> [UInt64] {
        defer { evicted.removeAll(keepingCapacity: true) }
        return evicted
    }

    /// Forgets every cached hash (vLLM's `reset_prefix_cache`); false, changing nothing, while
    /// a request holds any block, as vLLM refuses a reset then.
    mutating func reset() -> Bool {
        guard usedBlocks == 0 else { return false }
        cached.removeAll()
        evictionOrder = RingQueue()
        evicted.removeAll()
        plainFree = totalBlocks
        cachedFree = 0
        return true
    }

    /// Entries in the eviction order, stale ones included (for tests: it stays bounded).
    var evictionOrderCount: Int { evictionOrder.count }
}

/// A FIFO on a ring buffer that can also push at the front (a preempted request goes back
/// first in line): amortized O(1) at both ends.
struct RingQueue<Element> {
    private var storage: [Element?] = []
    private var head = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    var first: Element? { count == 0 ? nil : storage[head] }

    mutating func append(_ element: Element) {
        growIfFull()
        storage[(head + count) % storage.count] = element
        count += 1
    }

    mutating func prepend(_ element: Element) {
        growIfFull()
        head = (head - 1 + storage.count) % storage.count
        storage[head] = element
        count += 1
    }

    mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head]
        storage[head] = nil
        head = (head + 1) % storage.count
        count -= 1
        return element
    }

    private mutating func growIfFull() {
        guard count == storage.count else { return }
        var grown = [Element?](repeating: nil, count: max(16, storage.count * 2))
        for index in 0..<count { grown[index] = storage[(head + index) % storage.count] }
        storage = grown
        head = 0
    }
}
extension RingQueue: Sendable where Element: Sendable {}
