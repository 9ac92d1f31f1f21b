/// The time one engine step takes, in milliseconds, as a linear function of what the step does:
///
///     stepMs = baseMs + perSequenceMs·S + perPrefillTokenMs·P + perContextTokenMs·C
///
/// S is the number of sequences in the step (decoding or prefilling), P the prompt tokens
/// computed in it (prefill, including the recomputation of a preempted request), C the
/// context tokens attended: a decoding sequence counts its current length (prompt plus
/// generated), a prefill chunk of n tokens after p already computed counts n·p + n·(n+1)/2
/// (each new token attends to everything before it and to itself).
///
/// The terms follow where a transformer step spends its time: reading the weights once per
/// step (`baseMs`, memory-bound, independent of the batch), per-sequence work outside the
/// matrices (sampling, detokenizing, scheduling: `perSequenceMs`), the matrix products of the
/// tokens computed (`perPrefillTokenMs`; a decode token's share is inside `baseMs` and
/// `perSequenceMs`, since a decode batch is memory-bound) and attention over the KV cache
/// (`perContextTokenMs`). docs/LOAD-SIMULATION.md, "The cost model".
///
/// With `memoryMs` set the step is a roofline instead of a sum: the GPU reads the weights and
/// the decodes' KV cache while it computes the step's tokens, so the step takes the longer of
/// the two, not both (`stepMilliseconds`).
public struct EngineCostModel: Sendable, Equatable, Hashable {
    public var baseMs: Double
    public var perSequenceMs: Double
    public var perPrefillTokenMs: Double
    public var perContextTokenMs: Double
    /// The price of a prefill's context tokens (its n·p + n·(n+1)/2 token pairs), when it differs
    /// from a decode's: nil (the contract's model) prices both at `perContextTokenMs`. A decode
    /// is memory-bound (it reads its whole KV cache for one token) and a prefill compute-bound
    /// (fused attention kernels such as FlashAttention compute its pairs at the GPU's matrix
    /// rate), so one price per token attended rarely fits both: measured, TTFT at one user is
    /// close to linear in the prompt while ITL grows with the context
    /// (docs/LOAD-SIMULATION.md, "The cost model").
    public var perPrefillContextTokenMs: Double?
    /// The memory-bound floor of a step (reading the weights once), when the step is a roofline:
    /// nil (the contract's model) adds every term. Set, a step's time is
    ///
    ///     baseMs + perSequenceMs·S + max(memoryMs + perContextTokenMs·Cd,
    ///                                     perPrefillTokenMs·(P + D) + perPrefillContextTokenMs·Cp)
    ///
    /// with D the decoding sequences (one token each), Cd their context and Cp the prefill
    /// chunks' (C = Cd + Cp). A GPU streams the weights and the KV cache from memory while its
    /// tensor cores multiply, so a step is bound by the slower of the two (the roofline model:
    /// Williams et al. 2009; LLM-Viewer, Yuan et al. 2024): a decode batch by memory until its
    /// tokens' FLOPs catch up, a prefill by compute. The consequence the sum cannot show: up to
    /// the ridge, prompt tokens joining a decode step cost nothing extra, so prompts that arrive
    /// spread over the steps barely slow the decodes, and the first prompt tokens of a step are
    /// free. `baseMs` is then the overhead outside the GPU's work (launches, scheduling,
    /// sampling) and `perPrefillTokenMs` the compute of any token, decode or prompt.
    public var memoryMs: Double?
    /// The price of each context token of the step's longest decoding sequence, once per step
    /// (L, added to the sum or to the roofline's memory term): nil or 0, none. A decode's
    /// attention kernel spreads each sequence over a bounded number of thread blocks, so one
    /// long sequence cannot use the whole GPU and sets a floor that grows with its length,
    /// which a large batch hides behind its total. Measured, ITL at one user grows about four
    /// times faster with the context than the total context's price at 250 users allows
    /// (docs/LOAD-SIMULATION.md, "The cost model").
    public var perLongestContextTokenMs: Double?

    public init(baseMs: Double, perSequenceMs: Double, perPrefillTokenMs: Double, perContextTokenMs: Double,
                perPrefillContextTokenMs: Double? = nil, memoryMs: Double? = nil, perLongestContextTokenMs: Double? = nil) {
        self.baseMs = baseMs
        self.perSequenceMs = perSequenceMs
        self.perPrefillTokenMs = perPrefillTokenMs
        self.perContextTokenMs = perContextTokenMs
        self.perPrefillContextTokenMs = perPrefillContextTokenMs
        self.memoryMs = memoryMs
        self.perLongestContextTokenMs = perLongestContextTokenMs
    }

    /// The coefficients in the contract's order: base, per sequence, per prefill token, per context token.
    public var coefficients: [Double] { [baseMs, perSequenceMs, perPrefillTokenMs, perContextTokenMs] }

    /// The step's duration in milliseconds. `contextTokens` is C, all the context attended;
    /// `prefillContextTokens` the part of it that prefill chunks attend, priced at
    /// `perPrefillContextTokenMs` when that is set (else it changes nothing). `decodes` (D, the
    /// sequences of the step that decode one token) counts only in a roofline (`memoryMs` set),
    /// whose compute term prices every token computed. `longestContext` is the context of the
    /// step's longest decoding sequence, priced at `perLongestContextTokenMs`.
    @inlinable
    public func stepMilliseconds(sequences: Int, prefillTokens: Int, contextTokens: Int, prefillContextTokens: Int = 0,
                                 decodes: Int = 0, longestContext: Int = 0) -> Double {
        let longest = (perLongestContextTokenMs ?? 0) * Double(longestContext)
        if let memoryMs {
            // Roofline: memory traffic (weights, the decodes' KV) against the tokens' compute.
            let memory = memoryMs + perContextTokenMs * Double(contextTokens - prefillContextTokens) + longest
            let compute = perPrefillTokenMs * Double(prefillTokens + decodes)
                + (perPrefillContextTokenMs ?? perContextTokenMs) * Double(prefillContextTokens)
            return baseMs + perSequenceMs * Double(sequences) + max(memory, compute)
        }
        var ms = baseMs + perSequenceMs * Double(sequences) + perPrefillTokenMs * Double(prefillTokens) + longest
        if let perPrefillContextTokenMs {
            ms += perContextTokenMs * Double(contextTokens - prefillContextTokens)
                + perPrefillContextTokenMs * Double(prefillContextTokens)
        } else {
            ms += perContextTokenMs * Double(contextTokens)
        }
        return ms
    }

    /// The step's duration in nanoseconds, rounded to the nearest.
    @inlinable
    public func stepNanoseconds(sequences: Int, prefillTokens: Int, contextTokens: Int, prefillContextTokens: Int = 0,
                                decodes: Int = 0, longestContext: Int = 0) -> UInt64 {
        let ns = stepMilliseconds(sequences: sequences, prefillTokens: prefillTokens, contextTokens: contextTokens,
                                  prefillContextTokens: prefillContextTokens, decodes: decodes,
                                  longestContext: longestContext) * 1_000_000
        guard ns.isFinite, ns > 0 else { return 0 }
        return ns >= 1.8e19 ? UInt64.max : UInt64(ns.rounded())
    }

    /// The context tokens of a prefill chunk of `chunk` tokens after `computed` already in the
    /// KV cache: n·p + n·(n+1)/2.
    @inlinable
    public static func prefillContext(chunk n: Int, after p: Int) -> Int {
        n * p + n * (n + 1) / 2
    }

    /// Why these coefficients are not a cost model (negative, not finite), or nil.
    public var problem: String? {
        let names = ["base_ms", "per_sequence_ms", "per_prefill_token_ms", "per_context_token_ms"]
        for (name, value) in zip(names, coefficients) where !(value.isFinite && value >= 0) {
            return "\(name) must be a finite number >= 0, not \(value)"
        }
        if let value = perPrefillContextTokenMs, !(value.isFinite && value >= 0) {
            return "per_prefill_context_token_ms must be a finite number >= 0, not \(value)"
        }
        if let value = memoryMs, !(value.isFinite && value >= 0) {
            return "memory_ms must be a finite number >= 0, not \(value)"
        }
        if let value = perLongestContextTokenMs, !(value.isFinite && value >= 0) {
            return "per_longest_context_token_ms must be a finite number >= 0, not \(value)"
        }
        return nil
    }
}

/// What a running sequence that needs a KV block none is free for does.
public enum EnginePreemption: String, Sendable, Equatable, Hashable, CaseIterable {
    /// vLLM v1: the most recently admitted running request is preempted, its KV blocks freed,
    /// and it goes back to the front of the waiting queue to be recomputed (prefilled again,
    /// prompt plus what it had generated) when it is admitted again.
    case recompute
    /// The sequence that cannot grow stalls (skips the step, keeping its blocks) until a block
    /// frees up; nothing is preempted unless every running sequence is stalled (then the
    /// newest is preempted as with `recompute`, or the engine would never move again).
    case wait
}

/// When a request's KV blocks are taken from the cache.
public enum EngineKVAdmission: String, Sendable, Equatable, Hashable, CaseIterable {
    /// vLLM: a request is admitted when the blocks of the tokens it computes now are free, and
    /// takes one more block whenever its generated tokens fill the last (running out preempts,
    /// `EnginePreemption`).
    case onDemand = "on_demand"
    /// TensorRT-LLM's default capacity scheduler (`GUARANTEED_NO_EVICT`): a request is admitted
    /// only if the blocks of its prompt plus its whole output are free, and holds them from
    /// admission to its end, so a running request never runs out and nothing is preempted; in
    /// exchange fewer requests run at once when outputs are long (at saturation, running ×
    /// (input + output) is about the cache's capacity).
    case reserveOutput = "reserve_output"
}

/// How a waiting request's prompt is computed (prefilled) in the steps' token budget.
public enum EnginePrefill: String, Sendable, Equatable, Hashable, CaseIterable {
    /// vLLM (chunked prefill, on by default in v1): a prompt takes the budget left in the step,
    /// cut to it; the rest is computed in the next steps (a 20,000-token prompt with a budget
    /// of 8,192 takes three steps).
    case chunked
    /// TensorRT-LLM without chunked context (`enable_chunked_context` off, the default of its
    /// older releases): a prompt is computed whole in one step, and joins a step only if all
    /// of it fits the budget left after the decodes and the prompts before it
    /// (`MicroBatchScheduler`: `batchNumTokens + reqNumTokens > maxNumTokens` stops the
    /// step's admission). A prompt longer than the whole budget could never run, so it is
    /// refused at submission, as TensorRT-LLM refuses an input longer than its maximum.
    case whole
}

/// The order in which waiting requests are admitted (vLLM's `--scheduling-policy`).
public enum EngineSchedulingPolicy: String, Sendable, Equatable, Hashable, CaseIterable {
    /// First come, first served (vLLM's default); a request's `priority` must be 0.
    case fcfs
    /// vLLM's priority scheduler (`PriorityRequestQueue`): the waiting queue is ordered by
    /// (`priority`, arrival), lower values first, a preempted request going back to its place
    /// in that order; and the running request preempted when KV blocks run out is the one with
    /// the highest (`priority`, arrival), not the newest. A new request never preempts a running
    /// one: priority only decides who is admitted next and who gives up its blocks.
    case priority
}

/// A serving engine's scheduler settings and its cost model: vLLM's names and defaults
/// (`--max-num-seqs`, `--max-num-batched-tokens`, `--block-size`, prefix caching on, as in vLLM
/// v1); `kvCacheTokens` is what vLLM logs as "GPU KV cache size: N tokens".
public struct EngineProfile: Sendable, Equatable, Hashable {
    /// At most this many sequences run (are admitted) at once. vLLM's default: 256.
    public var maxNumSeqs: Int
    /// The token budget of one step, shared by decodes (one token each) and prefill chunks.
    /// vLLM v1's default for the API server: 8192.
    public var maxNumBatchedTokens: Int
    /// The KV cache's capacity in tokens; it holds `kvCacheTokens / blockSize` blocks.
    public var kvCacheTokens: Int
    /// Tokens per KV block. vLLM's default: 16.
    public var blockSize: Int
    /// At most this many requests wait for admission; one more is refused. nil: unbounded
    /// (vLLM's behaviour: its waiting queue has no bound).
    public var maxWaiting: Int?
    public var preemption: EnginePreemption
    /// Reuse the KV blocks of prompt prefixes already computed (vLLM v1: on by default).
    public var prefixCaching: Bool
    /// When a request takes its KV blocks (vLLM: on demand; TensorRT-LLM: all at admission).
    public var kvAdmission: EngineKVAdmission
    /// How a prompt is prefilled (vLLM: chunked; TensorRT-LLM without chunked context: whole).
    public var prefill: EnginePrefill
    /// The waiting queue's order and the preemption victim (vLLM: `fcfs` by default).
    public var schedulingPolicy: EngineSchedulingPolicy
    public var cost: EngineCostModel
    /// LoRA adapter slots (vLLM's `--max-loras`, default 1): a step's batch holds requests of at
    /// most this many distinct adapters; a request for another waits until a slot frees.
    public var maxLoras: Int
    /// Milliseconds a step takes longer for each adapter it loads into a slot (vLLM loads the
    /// adapter's weights into the GPU slot before the step's forward pass, holding up the whole
    /// batch). 0: loading is free.
    public var loraLoadMs: Double
    /// Milliseconds of the server's own work on each request before its engine sees it (HTTP,
    /// the chat template, tokenizing), done one request at a time: the API server in front of
    /// the engine (vLLM's, NIM's, Triton's) is one process on one thread, so requests that
    /// arrive together reach the engine `frontEndMs` apart, and a wave of N prompts is spread
    /// over N × `frontEndMs`. 0 (the default): requests reach the engine as they arrive.
    /// docs/LOAD-SIMULATION.md, "The front end".
    public var frontEndMs: Double = 0

    public init(
        maxNumSeqs: Int = 256, maxNumBatchedTokens: Int = 8192, kvCacheTokens: Int, blockSize: Int = 16,
        maxWaiting: Int? = nil, preemption: EnginePreemption = .recompute, prefixCaching: Bool = true,
        kvAdmission: EngineKVAdmission = .onDemand, prefill: EnginePrefill = .chunked,
        schedulingPolicy: EngineSchedulingPolicy = .fcfs, cost: EngineCostModel,
        maxLoras: Int = 1, loraLoadMs: Double = 0
    ) {
        self.maxLoras = maxLoras
        self.loraLoadMs = loraLoadMs
        self.maxNumSeqs = maxNumSeqs
        self.maxNumBatchedTokens = maxNumBatchedTokens
        self.kvCacheTokens = kvCacheTokens
        self.blockSize = blockSize
        self.maxWaiting = maxWaiting
        self.preemption = preemption
        self.prefixCaching = prefixCaching
        self.kvAdmission = kvAdmission
        self.prefill = prefill
        self.schedulingPolicy = schedulingPolicy
        self.cost = cost
    }

    /// The KV cache's size in blocks.
    public var kvCacheBlocks: Int { kvCacheTokens / max(blockSize, 1) }

    /// What makes this profile unusable, worded with the YAML key and the expected range, or nil.
    public var problem: String? {
        if maxNumSeqs < 1 { return "max_num_seqs must be >= 1, not \(maxNumSeqs)" }
        if maxNumBatchedTokens < 1 { return "max_num_batched_tokens must be >= 1, not \(maxNumBatchedTokens)" }
        if maxNumBatchedTokens < maxNumSeqs {
            // vLLM refuses this too: every running sequence must be able to decode in one step.
            return "max_num_batched_tokens (\(maxNumBatchedTokens)) must be >= max_num_seqs (\(maxNumSeqs))"
        }
        if blockSize < 1 { return "block_size must be >= 1, not \(blockSize)" }
        if kvCacheTokens < blockSize {
            return "kv_cache_tokens must be >= block_size (\(blockSize)), not \(kvCacheTokens)"
        }
        if let maxWaiting, maxWaiting < 1 { return "max_waiting must be >= 1, not \(maxWaiting)" }
        if maxLoras < 1 { return "max_loras must be >= 1, not \(maxLoras)" }
        if !(loraLoadMs.isFinite && loraLoadMs >= 0) { return "lora_load_ms must be a finite number >= 0, not \(loraLoadMs)" }
        if !(frontEndMs.isFinite && frontEndMs >= 0) { return "front_end_ms must be a finite number >= 0, not \(frontEndMs)" }
        return cost.problem
    }
}
