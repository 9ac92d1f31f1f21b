// What goes into the engine (a request) and what comes out of it (an admission, a step).

/// One request for the engine: its prompt and how many tokens it will generate (the
/// benchmark's fixed output length, or the scripted reply's), and for prefix caching the
/// hashes of its prompt's full blocks, in order, each covering everything before it (as vLLM
/// chains them: the same hash means the same tokens from the start of the prompt).
public struct EngineRequest: Sendable, Equatable, Hashable {
    public var id: Int
    public var promptTokens: Int
    public var outputTokens: Int
    public var prefixBlocks: [UInt64]
    /// The LoRA adapter it runs with (vLLM's `lora_int_id`): 0 for the base model alone, else
    /// an id > 0 the caller gives each adapter (`EngineProfile.maxLoras`).
    public var adapter: Int
    /// vLLM's `priority`: with the `priority` scheduling policy, lower values are admitted
    /// first and preempted last (`EngineSchedulingPolicy`).
    public var priority: Int

    /// Fewer than one prompt or output token is taken as one: a step computes at least one
    /// token for a request and every request generates at least one.
    public init(id: Int, promptTokens: Int, outputTokens: Int, prefixBlocks: [UInt64] = [], adapter: Int = 0, priority: Int = 0) {
        self.id = id
        self.promptTokens = max(promptTokens, 1)
        self.outputTokens = max(outputTokens, 1)
        self.prefixBlocks = prefixBlocks
        self.adapter = max(adapter, 0)
        self.priority = priority
    }
}

/// What `Engine.submit` decided.
public enum Admission: Sendable, Equatable, Hashable {
    /// Queued; it runs when the scheduler admits it.
    case accepted
    /// The bounded waiting queue (`maxWaiting`) is full.
    case refused
    /// The request can never fit: prompt plus output needs more KV blocks than the cache has
    /// (vLLM refuses a request longer than the model's maximum length, which it bounds by the
    /// KV cache's size).
    case exceedsCapacity
}

/// One sequence's token at the end of a step.
public struct EngineTokenOutput: Sendable, Equatable, Hashable {
    public var id: Int
    /// Tokens produced by this step for the sequence: 1 (no speculative decoding).
    public var tokens: Int
    /// Tokens the request has generated so far, this step's included.
    public var generated: Int
    /// The request's first token (its prefill completed in this step).
    public var isFirst: Bool
    /// The request's last token: it has finished and left the engine.
    public var isLast: Bool

    public init(id: Int, tokens: Int, generated: Int, isFirst: Bool, isLast: Bool) {
        self.id = id
        self.tokens = tokens
        self.generated = generated
        self.isFirst = isFirst
        self.isLast = isLast
    }
}

/// Full prompt blocks of one request that entered the prefix cache in one step.
public struct EngineStoredBlocks: Sendable, Equatable, Hashable {
    public var id: Int
    /// The index of the first block in the request's prompt (its tokens start at
    /// `firstBlock * blockSize`).
    public var firstBlock: Int
    /// Their hashes, in order.
    public var hashes: [UInt64]
    /// The hash of the block before the first; nil for a prompt's first block.
    public var parent: UInt64?

    public init(id: Int, firstBlock: Int, hashes: [UInt64], parent: UInt64?) {
        self.id = id
        self.firstBlock = firstBlock
        self.hashes = hashes
        self.parent = parent
    }
}

/// One sequence's share of a step.
public struct EngineScheduled: Sendable, Equatable, Hashable {
    public var id: Int
    /// Tokens computed for it: 1 for a decode, the chunk's size for a prefill.
    public var tokens: Int
    /// A prefill chunk (a prompt, or a preempted request's recomputation), not a decode.
    public var isPrefill: Bool

    public init(id: Int, tokens: Int, isPrefill: Bool) {
        self.id = id
        self.tokens = tokens
        self.isPrefill = isPrefill
    }
}

/// One step the engine ran: what was in the batch, how long it took, what came out at its end.
public struct EngineStep: Sendable, Equatable {
    /// The step's duration (the cost model's), in nanoseconds of the caller's time.
    public var durationNanoseconds: UInt64
    /// Every sequence in the step, running ones first in admission order, then the ones
    /// admitted from the waiting queue in this step.
    public var scheduled: [EngineScheduled]
    /// Ids admitted from the waiting queue in this step, in order (first come, first served).
    public var admitted: [Int]
    /// The tokens produced at the step's end, one entry per sequence that produced one.
    public var outputs: [EngineTokenOutput]
    /// Ids of the requests preempted while planning this step (their KV freed; back to the
    /// front of the waiting queue).
    public var preempted: [Int]
    /// Running sequences skipped because no KV block was free (`.wait` preemption).
    public var stalled: Int
    /// S, P and C of the cost model.
    public var sequences: Int
    public var prefillTokens: Int
    public var contextTokens: Int
    /// The part of `contextTokens` that prefill chunks attended (`EngineCostModel.perPrefillContextTokenMs`).
    public var prefillContextTokens = 0
    /// LoRA adapters loaded into a free (or evicted) slot for this step, in order: each adds
    /// `EngineProfile.loraLoadMs` to the step's duration.
    public var loadedAdapters: [Int] = []
    /// Adapters evicted from their slot to make room, in order.
    public var evictedAdapters: [Int] = []
    /// The distinct adapters of the sequences in the step (never more than `maxLoras`).
    public var adapters: Set<Int> = []
    /// With `Engine.recordsCacheEvents`: hashes of the cached blocks evicted while planning the
    /// step, in order (vLLM's `BlockRemoved`), then the blocks that entered the prefix cache
    /// when the step computed them (vLLM's `BlockStored`). Evictions come first: a block is
    /// evicted while the step is planned, and cached once computed.
    public var removedBlocks: [UInt64] = []
    public var storedBlocks: [EngineStoredBlocks] = []

    public var durationMilliseconds: Double { Double(durationNanoseconds) / 1_000_000 }
    /// Tokens computed in the step (decodes plus prefill chunks): never over the token budget.
    public var scheduledTokens: Int { scheduled.reduce(0) { $0 + $1.tokens } }
    public var decodingSequences: Int { scheduled.reduce(0) { $0 + ($1.isPrefill ? 0 : 1) } }
    public var prefillingSequences: Int { sequences - decodingSequences }
    /// Requests that got their first token at the step's end.
    public var firstTokens: [Int] { outputs.filter(\.isFirst).map(\.id) }
    /// Requests that finished at the step's end.
    public var finished: [Int] { outputs.filter(\.isLast).map(\.id) }
}
