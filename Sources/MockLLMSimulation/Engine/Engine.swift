/// A continuous-batching serving engine, simulated step by step as vLLM v1's scheduler runs
/// (`vllm/v1/core/sched/scheduler.py`, `Scheduler.schedule`): every step has one token
/// budget (`maxNumBatchedTokens`) shared by decodes and chunked prefills. Running requests
/// are scheduled first, in admission order, each its remaining tokens (1 for a decode, the
/// rest of its prompt for a prefill, cut to the budget left); one that needs a KV block when
/// none is free preempts the most recently admitted running request (or stalls, `.wait`).
/// Then, if nothing was preempted, waiting requests are admitted first come, first served
/// while the budget, `maxNumSeqs` and the free KV blocks allow; the first that does not fit
/// stops admission (no request overtakes the head of the queue). Under the `priority`
/// scheduling policy the queue is ordered by (`priority`, arrival) and the preempted request
/// is the running one with the highest (`priority`, arrival) (`EngineSchedulingPolicy`). With `prefill: .whole`
/// (TensorRT-LLM without chunked context) a prompt is never cut: it joins a step only if all
/// of it fits the budget left. A sequence whose prefill completes in a step gets its first
/// token at the step's end, a decoding one its next token.
///
///
/// LoRA adapters (`EngineRequest.adapter`), as vLLM's scheduler and worker handle them: the
/// requests of a step use at most `maxLoras` distinct adapters. Admission skips a waiting
/// request whose adapter would be one too many (it keeps its place in the queue) and goes on
/// to the requests behind it, as vLLM's `schedule` does (`skipped_waiting_requests`); any
/// other reason not to admit still stops admission. An adapter takes one of `maxLoras` slots
/// when a step first needs it, evicting the least recently used adapter no running request
/// uses, and that step takes `loraLoadMs` longer (vLLM loads it before the forward pass).
///
/// Single-threaded and deterministic: the same submissions and cancellations between the
/// same steps give the same steps. Time is the caller's: a step says how long it takes.
/// A step costs O(sequences in it), plus the waiting requests admission looks at.
public struct Engine: Sendable {
    public let profile: EngineProfile

    enum Phase: Sendable { case waiting, running, cancelled }

    struct Sequence: Sendable {
        var id: Int
        var prompt: Int
        var target: Int
        var generated = 0
        var computed = 0
        var prefix: [UInt64]
        var adapter = 0
        /// Cached blocks it holds a reference to: the first `shared.count` blocks of its prompt.
        var shared: [UInt64] = []
        /// Blocks only it holds.
        var privateBlocks = 0
        /// A block of its prompt was already cached by another request when it computed
        /// its own: its later blocks stay private.
        var registrationStopped = false
        var phase = Phase.waiting
        var countedPrompt = false
        /// Its place under the priority policy: its `priority`, then its submission order.
        var key: WaitingQueue.Key

        var tokens: Int { prompt + generated }
        var heldBlocks: Int { shared.count + privateBlocks }
    }

    private var slots: [Sequence] = []
    private var freeSlots: [Int] = []
    private var slotOfID: [Int: Int] = [:]
    private var runningSlots: [Int] = []
    private var waitingQueue: WaitingQueue
    /// Submissions so far: each request's arrival order.
    private var arrivals: UInt64 = 0
    private var pool: KVBlockPool
    /// Adapters in a slot, each with the last step that used it (for LRU eviction).
    private var adapterSlots: [Int: Int] = [:]
    /// Running and waiting requests per adapter (adapters with none left out).
    public private(set) var runningAdapters: [Int: Int] = [:]
    public private(set) var waitingAdapters: [Int: Int] = [:]
    /// Adapters loaded into a slot so far, and evicted from one.
    public private(set) var adapterLoads = 0
    public private(set) var adapterEvictions = 0

    /// Requests waiting for admission (cancelled ones excluded).
    public private(set) var waiting = 0
    public var running: Int { runningSlots.count }
    /// The fraction of KV blocks in use (held by a request; free cached blocks are free).
    public var kvUsage: Double { Double(pool.usedBlocks) / Double(pool.totalBlocks) }
    public var kvBlocksUsed: Int { pool.usedBlocks }
    public var kvBlocksTotal: Int { pool.totalBlocks }
    /// The prefix cache's eviction queue, stale entries included (it must stay bounded).
    var evictionQueueLength: Int { pool.evictionOrderCount }
    /// Whether a step would do anything.
    public var isIdle: Bool { runningSlots.isEmpty && waiting == 0 }
    /// The adapters in a slot, in ascending order.
    public var loadedAdapters: [Int] { adapterSlots.keys.sorted() }

    private static func count(_ adapter: Int, _ delta: Int, in counts: inout [Int: Int]) {
        guard adapter > 0 else { return }
        let n = counts[adapter, default: 0] + delta
        counts[adapter] = n > 0 ? n : nil
    }

    // Counters, named after vLLM's metrics (`vllm:num_preemptions`, `vllm:prefix_cache_queries`,
    // `vllm:prefix_cache_hits`, `vllm:prompt_tokens`, `vllm:generation_tokens`).
    public private(set) var preemptions = 0
    /// Prompt tokens looked up in the prefix cache (at each admission, with prefix caching on).
    public private(set) var prefixCacheQueries = 0
    /// Of those, tokens found cached (not computed).
    public private(set) var prefixCacheHits = 0
    /// Prompt tokens of the requests whose prefill completed (counted once per request).
    public private(set) var promptTokens = 0
    public private(set) var generationTokens = 0
    public private(set) var steps = 0
    public private(set) var finishedRequests = 0

    /// Whether steps report the blocks that enter and leave the prefix cache
    /// (`EngineStep.storedBlocks`, `removedBlocks`), for vLLM's KV-cache events.
    public var recordsCacheEvents: Bool {
        get { pool.recordsEvictions }
        set { pool.recordsEvictions = newValue }
    }

    public init(profile: EngineProfile) {
        if let problem = profile.problem { preconditionFailure("Engine: \(problem)") }
        self.profile = profile
        pool = KVBlockPool(blocks: profile.kvCacheBlocks)
        waitingQueue = WaitingQueue(policy: profile.schedulingPolicy)
    }

    private func blocks(_ tokens: Int) -> Int { (tokens + profile.blockSize - 1) / profile.blockSize }

    /// Queues a request. Its id must not be that of a request still in the engine.
    public mutating func submit(_ request: EngineRequest) -> Admission {
        precondition(slotOfID[request.id] == nil, "Engine.submit: request \(request.id) is already in the engine")
        // Its KV at the last step: the prompt and every generated token but the last.
        if blocks(request.promptTokens + request.outputTokens - 1) > pool.totalBlocks { return .exceedsCapacity }
        // A whole prompt larger than the step's budget could never be scheduled (TensorRT-LLM
        // without chunked context refuses an input longer than its maximum, which cannot
        // exceed `max_num_tokens`).
        if profile.prefill == .whole && request.promptTokens > profile.maxNumBatchedTokens { return .exceedsCapacity }
        if let maxWaiting = profile.maxWaiting, waiting >= maxWaiting { return .refused }
        let sequence = Sequence(id: request.id, prompt: request.promptTokens, target: request.outputTokens,
                                prefix: profile.prefixCaching
                                    ? Array(request.prefixBlocks.prefix(request.promptTokens / profile.blockSize)) : [],
                                adapter: request.adapter,
                                key: WaitingQueue.Key(priority: request.priority, arrival: arrivals))
        arrivals += 1
        let slot: Int
        if let reused = freeSlots.popLast() {
            slot = reused
            slots[slot] = sequence
        } else {
            slot = slots.count
            slots.append(sequence)
        }
        slotOfID[request.id] = slot
        waitingQueue.append(slot, key: sequence.key)
        waiting += 1
        Self.count(request.adapter, 1, in: &waitingAdapters)
        return .accepted
    }

    /// Removes a request (the client went away), freeing its KV blocks. False if it is not in
    /// the engine (finished, cancelled or never submitted).
    @discardableResult
    public mutating func cancel(id: Int) -> Bool {
        guard let slot = slotOfID.removeValue(forKey: id) else { return false }
        switch slots[slot].phase {
        case .running:
            freeBlocks(of: slot)
            runningSlots.remove(at: runningSlots.firstIndex(of: slot)!)
            Self.count(slots[slot].adapter, -1, in: &runningAdapters)
            freeSlots.append(slot)
        case .waiting:
            // Left in the queue, skipped when it reaches the front; the slot is reused then.
            freeBlocks(of: slot)
            slots[slot].phase = .cancelled
            waiting -= 1
            Self.count(slots[slot].adapter, -1, in: &waitingAdapters)
        case .cancelled:
            return false
        }
        return true
    }

    private mutating func freeBlocks(of slot: Int) {
        // Last block first, so a prompt's first blocks are the last evicted (vLLM frees a
        // request's blocks in reverse order for the same reason).
        for hash in slots[slot].shared.reversed() { pool.release(hash) }
        pool.free(plain: slots[slot].privateBlocks)
        slots[slot].shared.removeAll(keepingCapacity: true)
        slots[slot].privateBlocks = 0
    }

    /// Preempts a running request: its KV freed, its computed tokens forgotten, back to the
    /// front of the waiting queue (FCFS) or its place in it (priority). The victim is the most
    /// recently admitted (FCFS), or the one with the highest (`priority`, arrival), as vLLM's
    /// `max(self.running, key=lambda r: (r.priority, r.arrival_time))`. Returns its slot and
    /// the index it had in `runningSlots`.
    private mutating func preemptVictim(into step: inout EngineStep) -> (slot: Int, index: Int) {
        var index = runningSlots.count - 1
        if profile.schedulingPolicy == .priority {
            for (i, candidate) in runningSlots.enumerated() where slots[runningSlots[index]].key < slots[candidate].key {
                index = i
            }
        }
        let slot = runningSlots.remove(at: index)
        freeBlocks(of: slot)
        slots[slot].computed = 0
        slots[slot].phase = .waiting
        waitingQueue.prepend(slot, key: slots[slot].key)
        waiting += 1
        Self.count(slots[slot].adapter, -1, in: &runningAdapters)
        Self.count(slots[slot].adapter, 1, in: &waitingAdapters)
        preemptions += 1
        step.preempted.append(slots[slot].id)
        return (slot, index)
    }

    /// Plans and runs one step; nil when there is nothing to run.
    public mutating func nextStep() -> EngineStep? {
        guard !isIdle else { return nil }
        var step = EngineStep(durationNanoseconds: 0, scheduled: [], admitted: [], outputs: [], preempted: [],
                              stalled: 0, sequences: 0, prefillTokens: 0, contextTokens: 0)
        var plan: [(slot: Int, tokens: Int)] = []
        plan.reserveCapacity(runningSlots.count + 8)
        var budget = profile.maxNumBatchedTokens

        // Running requests first, in admission order.
        var stalled = scheduleRunning(budget: &budget, plan: &plan, step: &step)
        while plan.isEmpty && stalled > 0 {
            // Every running sequence stalled (`.wait`): none can finish to free a block, so the
            // newest is preempted as vLLM would, or the engine would never move again.
            _ = preemptVictim(into: &step)
            stalled = scheduleRunning(budget: &budget, plan: &plan, step: &step)
        }
        step.stalled = stalled

        // Then waiting requests, first come first served, unless this step preempted or
        // stalled a running one (vLLM admits none after a preemption). A step whose whole
        // batch was preempted admits again at once (the oldest preempted is first in line).
        if (step.preempted.isEmpty && stalled == 0) || plan.isEmpty {
            // Requests passed over for their adapter, in queue order: back at the front after.
            var skipped: [Int] = []
            while budget > 0, runningSlots.count < profile.maxNumSeqs, let slot = waitingQueue.first {
                if slots[slot].phase == .cancelled {
                    _ = waitingQueue.popFirst()
                    freeSlots.append(slot)
                    continue
                }
                let adapter = slots[slot].adapter
                if adapter > 0 && runningAdapters[adapter] == nil && runningAdapters.count >= profile.maxLoras {
                    _ = waitingQueue.popFirst()
                    skipped.append(slot)
                    continue
                }
                guard admit(slot, budget: &budget, plan: &plan) else { break }
                _ = waitingQueue.popFirst()
                waiting -= 1
                Self.count(adapter, -1, in: &waitingAdapters)
                if adapter > 0 && adapterSlots[adapter] == nil { load(adapter, into: &step) }
                Self.count(adapter, 1, in: &runningAdapters)
                step.admitted.append(slots[slot].id)
            }
            for slot in skipped.reversed() { waitingQueue.prepend(slot, key: slots[slot].key) }
        }
        // Not reached with a valid profile: an empty engine always admits the head of the
        // queue (`submit` refused what could never fit).
        precondition(!plan.isEmpty || isIdle, "Engine: a step with nothing to run")
        if recordsCacheEvents { step.removedBlocks = pool.takeEvicted() }
        run(plan, into: &step)
        steps += 1
        return step
    }

    /// Puts `adapter` in a slot for this step, evicting the least recently used adapter that no
    /// running request uses if every slot is taken (one always is: the running requests use
    /// fewer than `maxLoras` adapters when a new one is admitted).
    private mutating func load(_ adapter: Int, into step: inout EngineStep) {
        if adapterSlots.count >= profile.maxLoras {
            let victim = adapterSlots.filter { runningAdapters[$0.key] == nil }
                .min { ($0.value, $0.key) < ($1.value, $1.key) }!.key
            adapterSlots[victim] = nil
            adapterEvictions += 1
            step.evictedAdapters.append(victim)
        }
        adapterSlots[adapter] = steps
        adapterLoads += 1
        step.loadedAdapters.append(adapter)
    }

    /// Frees `adapter`'s slot (vLLM's runtime unload). False if it is not in a slot or a
    /// running request still uses it (it stays until it is evicted).
    @discardableResult
    public mutating func unload(adapter: Int) -> Bool {
        guard adapterSlots[adapter] != nil, runningAdapters[adapter] == nil else { return false }
        adapterSlots[adapter] = nil
        return true
    }

    /// Runs at once the next steps that would only decode, exactly as `nextStep()` would run
    /// them one by one: every running sequence produces one token that is neither its first nor
    /// its last, the KV blocks they take are free without evicting a cached block (so none
    /// preempts or stalls), and nothing is admitted (the queue is empty, or its head cannot be
    /// admitted, which such steps do not change: they only take free blocks). At most `limit` steps, each
    /// started before `deadline` nanoseconds have elapsed (the first always is). Returns how
    /// many ran and their total duration (each step's rounded as `nextStep()` rounds it); 0
    /// when the next step would do anything else. O(running sequences + steps), where running
    /// the steps one by one is O(running sequences × steps): a closed-loop simulation spends
    /// most of its steps there (`EngineSimulation`).
    public mutating func runDecodeSteps(limit: Int, deadline: UInt64 = .max) -> (steps: Int, nanoseconds: UInt64) {
        guard limit > 0, !runningSlots.isEmpty else { return (0, 0) }
        var steps = limit
        var context = 0
        var longest = 0
        for slot in runningSlots {
            let s = slots[slot]
            guard s.generated > 0, s.tokens - s.computed == 1 else { return (0, 0) }
            // Steps before the one that gives its last token.
            steps = min(steps, s.target - s.generated - 1)
            context += s.tokens
            longest = max(longest, s.tokens)
        }
        // Blocks the running sequences take over `k` steps (each takes one when its next token
        // crosses a block boundary), at most the plain free blocks: the most steps that allows.
        func blocksTaken(_ k: Int) -> Int {
            var total = 0
            for slot in runningSlots { total += max(blocks(slots[slot].computed + k) - slots[slot].heldBlocks, 0) }
            return total
        }
        if steps > 0 && blocksTaken(steps) > pool.plainFree {
            var (fits, over) = (0, steps)   // blocksTaken(fits) <= plainFree < blocksTaken(over)
            while over - fits > 1 {
                let middle = (fits + over) / 2
                if blocksTaken(middle) <= pool.plainFree { fits = middle } else { over = middle }
            }
            steps = fits
        }
        guard steps > 0 else { return (0, 0) }
        let running = runningSlots.count
        if running < profile.maxNumSeqs, let head = waitingQueue.first {
            // A head passed over for its adapter lets admission look further: not decode-only.
            guard slots[head].phase != .cancelled, slots[head].adapter == 0,
                  admission(head, budget: profile.maxNumBatchedTokens - running, planIsEmpty: false) == nil
            else { return (0, 0) }
        }
        var elapsed: UInt64 = 0
        var ran = 0
        while ran < steps && elapsed < deadline {
            elapsed += profile.cost.stepNanoseconds(sequences: running, prefillTokens: 0, contextTokens: context,
                                                     decodes: running, longestContext: longest)
            context += running
            longest += 1
            ran += 1
        }
        var taken = 0
        for slot in runningSlots {
            let needed = max(blocks(slots[slot].computed + ran) - slots[slot].heldBlocks, 0)
            slots[slot].privateBlocks += needed
            taken += needed
            slots[slot].computed += ran
            slots[slot].generated += ran
        }
        pool.allocate(taken)
        generationTokens += ran * running
        self.steps += ran
        return (ran, elapsed)
    }

    /// Schedules the running requests in admission order while the budget lasts; returns how
    /// many stalled (`.wait`).
    private mutating func scheduleRunning(budget: inout Int, plan: inout [(slot: Int, tokens: Int)],
                                          step: inout EngineStep) -> Int {
        var stalled = 0
        var index = 0
        while index < runningSlots.count, budget > 0 {
            let slot = runningSlots[index]
            let tokens = min(slots[slot].tokens - slots[slot].computed, budget)
            let needed = max(blocks(slots[slot].computed + tokens) - slots[slot].heldBlocks, 0)
            if needed > pool.freeBlocks && profile.preemption == .wait {
                stalled += 1
                index += 1
                continue
            }
            var preemptedItself = false
            while needed > pool.freeBlocks {
                let victim = preemptVictim(into: &step)
                if victim.slot == slot {
                    preemptedItself = true
                    break
                }
                if victim.index < index {
                    // Already planned in this step (the priority policy's victim may be): its
                    // tokens go back to the budget, as vLLM gives back a preempted request's.
                    index -= 1
                    if let planned = plan.firstIndex(where: { $0.slot == victim.slot }) {
                        budget += plan.remove(at: planned).tokens
                    }
                }
            }
            if preemptedItself {
                // FCFS's victim is the last running request: none is left after it. The priority
                // policy's may be any: vLLM ends the pass there and schedules the rest in the next
                // step, leaving this one empty; they are scheduled in this one instead (the
                // engine never runs an empty step), which only brings their tokens a step earlier.
                if profile.schedulingPolicy == .priority { continue }
                break
            }
            pool.allocate(needed)
            slots[slot].privateBlocks += needed
            plan.append((slot, tokens))
            budget -= tokens
            index += 1
        }
        return stalled
    }

    /// What admitting the waiting request in `slot` would take now: its prefix hit (with
    /// prefix caching), the tokens it computes in this step and the new blocks it allocates;
    /// nil if the budget or the free KV blocks do not allow it. Changes nothing.
    private func admission(_ slot: Int, budget: Int, planIsEmpty: Bool)
        -> (hitBlocks: Int, hitTokens: Int, tokens: Int, newBlocks: Int)?
    {
        let total = slots[slot].tokens
        var hitBlocks = 0
        var evictable = 0
        if profile.prefixCaching {
            // At least one token is computed, so the last one is never a hit (vLLM: a full hit
            // recomputes the last token to get its logits).
            (hitBlocks, evictable) = pool.cachedPrefixLength(slots[slot].prefix, limit: (total - 1) / profile.blockSize)
        }
        let hitTokens = hitBlocks * profile.blockSize
        let tokens: Int
        switch profile.prefill {
        case .chunked:
            tokens = min(total - hitTokens, budget)
        case .whole:
            // All of it in this step, or not yet: it waits (and so does everyone behind it) for
            // a step with room. A preempted request recomputes its prompt and what it had
            // generated, which can exceed the whole budget: it then runs when the step holds
            // nothing else (else it would never run).
            tokens = total - hitTokens
            if tokens > budget && !planIsEmpty { return nil }
        }
        // Reserving the output (TensorRT-LLM's GUARANTEED_NO_EVICT) takes the blocks of every
        // token it will hold at its last step now: prompt plus output, less the last token.
        let reserved = profile.kvAdmission == .reserveOutput
            ? max(slots[slot].prompt + slots[slot].target - 1, hitTokens + tokens) : hitTokens + tokens
        let newBlocks = blocks(reserved) - hitBlocks
        guard newBlocks + evictable <= pool.freeBlocks else { return nil }
        return (hitBlocks, hitTokens, tokens, newBlocks)
    }

    /// Admits the waiting request in `slot` if the budget and the KV blocks allow: its prefix
    /// hit (with prefix caching) is shared, blocks for the tokens it computes now allocated.
    private mutating func admit(_ slot: Int, budget: inout Int, plan: inout [(slot: Int, tokens: Int)]) -> Bool {
        guard let (hitBlocks, hitTokens, tokens, newBlocks) = admission(slot, budget: budget, planIsEmpty: plan.isEmpty)
        else { return false }
        for hash in slots[slot].prefix[0..<hitBlocks] {
            pool.acquire(hash)
            slots[slot].shared.append(hash)
        }
        pool.allocate(newBlocks)
        slots[slot].privateBlocks = newBlocks
        slots[slot].computed = hitTokens
        slots[slot].registrationStopped = false
        slots[slot].phase = .running
        if profile.prefixCaching {
            prefixCacheQueries += slots[slot].prompt
            prefixCacheHits += min(hitTokens, slots[slot].prompt)
        }
        runningSlots.append(slot)
        plan.append((slot, tokens))
        budget -= tokens
        return true
    }

    /// Runs the planned batch: its cost, then every sequence's tokens at its end.
    private mutating func run(_ plan: [(slot: Int, tokens: Int)], into step: inout EngineStep) {
        step.scheduled.reserveCapacity(plan.count)
        step.outputs.reserveCapacity(plan.count)
        var prefillTokens = 0
        var contextTokens = 0
        var prefillContextTokens = 0
        var decodes = 0
        var longestContext = 0
        var finishedAny = false
        for (slot, tokens) in plan {
            let before = slots[slot].computed
            let isPrefill = !(slots[slot].generated > 0 && slots[slot].tokens - before == 1)
            if isPrefill {
                prefillTokens += tokens
                let pairs = EngineCostModel.prefillContext(chunk: tokens, after: before)
                contextTokens += pairs
                prefillContextTokens += pairs
            } else {
                contextTokens += slots[slot].tokens
                longestContext = max(longestContext, slots[slot].tokens)
                decodes += 1
            }
            step.scheduled.append(EngineScheduled(id: slots[slot].id, tokens: tokens, isPrefill: isPrefill))
            if slots[slot].adapter > 0 {
                step.adapters.insert(slots[slot].adapter)
                adapterSlots[slots[slot].adapter] = steps   // used: the least recently used is evicted first
            }
            slots[slot].computed = before + tokens
            if profile.prefixCaching && !slots[slot].registrationStopped { registerFullBlocks(slot, into: &step) }
            guard slots[slot].computed == slots[slot].tokens else { continue }
            // Its last computed position gives the next token.
            if !slots[slot].countedPrompt {
                slots[slot].countedPrompt = true
                promptTokens += slots[slot].prompt
            }
            slots[slot].generated += 1
            generationTokens += 1
            let generated = slots[slot].generated
            let isLast = generated == slots[slot].target
            step.outputs.append(EngineTokenOutput(id: slots[slot].id, tokens: 1, generated: generated,
                                                  isFirst: generated == 1, isLast: isLast))
            if isLast {
                freeBlocks(of: slot)
                slotOfID[slots[slot].id] = nil
                slots[slot].phase = .cancelled
                Self.count(slots[slot].adapter, -1, in: &runningAdapters)
                freeSlots.append(slot)
                finishedRequests += 1
                finishedAny = true
            }
        }
        if finishedAny { runningSlots.removeAll { slots[$0].phase != .running } }
        step.sequences = plan.count
        step.prefillTokens = prefillTokens
        step.contextTokens = contextTokens
        step.prefillContextTokens = prefillContextTokens
        step.durationNanoseconds = profile.cost.stepNanoseconds(sequences: plan.count, prefillTokens: prefillTokens,
                                                                contextTokens: contextTokens,
                                                                prefillContextTokens: prefillContextTokens,
                                                                decodes: decodes, longestContext: longestContext)
        if !step.loadedAdapters.isEmpty {
            let load = profile.loraLoadMs * Double(step.loadedAdapters.count) * 1_000_000
            if load.isFinite, load > 0, load < 1.8e19 {
                step.durationNanoseconds = step.durationNanoseconds &+ UInt64(load.rounded())
            }
        }
    }

    /// Caches the prompt blocks the sequence has now computed in full (vLLM's
    /// `cache_full_blocks`): each becomes shared under its hash, unless that hash is cached
    /// already (computed by another request meanwhile), which stops caching for this one.
    private mutating func registerFullBlocks(_ slot: Int, into step: inout EngineStep) {
        let full = min(slots[slot].computed / profile.blockSize, slots[slot].prefix.count)
        let first = slots[slot].shared.count
        while slots[slot].shared.count < full {
            let hash = slots[slot].prefix[slots[slot].shared.count]
            guard pool.register(hash) else {
                slots[slot].registrationStopped = true
                break
            }
            slots[slot].shared.append(hash)
            slots[slot].privateBlocks -= 1
        }
        let stored = slots[slot].shared.count
        if recordsCacheEvents && stored > first {
            step.storedBlocks.append(EngineStoredBlocks(
                id: slots[slot].id, firstBlock: first, hashes: Array(slots[slot].shared[first..<stored]),
                parent: first == 0 ? nil : slots[slot].shared[first - 1]))
        }
    }

    /// Forgets every cached prefix block (vLLM's `reset_prefix_cache`, then its
    /// `AllBlocksCleared` event); false, changing nothing, while any request holds a block.
    public mutating func resetPrefixCache() -> Bool {
        pool.reset()
    }
}
