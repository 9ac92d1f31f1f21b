@testable import MockLLMSimulation
import Testing

/// A cost model whose step time is easy to compute by hand.
let unitCost = EngineCostModel(baseMs: 10, perSequenceMs: 1, perPrefillTokenMs: 0.1, perContextTokenMs: 0.001)

func profile(
    seqs: Int = 256, budget: Int = 8192, kv: Int = 100_000, block: Int = 16, maxWaiting: Int? = nil,
    preemption: EnginePreemption = .recompute, prefixCaching: Bool = true
) -> EngineProfile {
    EngineProfile(maxNumSeqs: seqs, maxNumBatchedTokens: budget, kvCacheTokens: kv, blockSize: block,
                  maxWaiting: maxWaiting, preemption: preemption, prefixCaching: prefixCaching, cost: unitCost)
}

/// Runs the engine until idle, returning every step.
func drain(_ engine: inout Engine, limit: Int = 1_000_000) -> [EngineStep] {
    var steps: [EngineStep] = []
    while let step = engine.nextStep() {
        steps.append(step)
        if steps.count >= limit { break }
    }
    return steps
}

@Suite("Engine: one request")
struct EngineBasicsTests {
    @Test func costModelIsTheContractsFormula() {
        #expect(unitCost.stepMilliseconds(sequences: 2, prefillTokens: 100, contextTokens: 5000) == 10 + 2 + 10 + 5)
        #expect(unitCost.stepNanoseconds(sequences: 2, prefillTokens: 100, contextTokens: 5000) == 27_000_000)
        #expect(EngineCostModel.prefillContext(chunk: 4, after: 10) == 4 * 10 + 10)
        #expect(EngineCostModel(baseMs: -1, perSequenceMs: 0, perPrefillTokenMs: 0, perContextTokenMs: 0).problem != nil)
    }

    /// With `memory_ms` the step is the longer of its memory-bound and compute-bound terms, plus
    /// the overheads: decodes below the ridge cost the memory term, prompts above it their compute.
    @Test func aRooflineStepIsTheLongerOfMemoryAndCompute() {
        let roofline = EngineCostModel(baseMs: 1, perSequenceMs: 0.5, perPrefillTokenMs: 0.01, perContextTokenMs: 0.001,
                                       perPrefillContextTokenMs: 0.0001, memoryMs: 4)
        // 3 decodes over 1000 context tokens: memory 4 + 1 = 5 against compute 0.03.
        #expect(abs(roofline.stepMilliseconds(sequences: 3, prefillTokens: 0, contextTokens: 1000, decodes: 3)
            - (1 + 1.5 + 5)) < 1e-9)
        // A 100-token prompt joining them is free: compute 0.01·103 + 0.0001·5050 = 1.535 < 5.
        #expect(abs(roofline.stepMilliseconds(sequences: 4, prefillTokens: 100, contextTokens: 6050,
                                              prefillContextTokens: 5050, decodes: 3) - (1 + 2 + 5)) < 1e-9)
        // A 1000-token prompt is compute-bound: 0.01·1003 + 0.0001·500500 = 60.08 > 5.
        #expect(abs(roofline.stepMilliseconds(sequences: 4, prefillTokens: 1000, contextTokens: 501_500,
                                              prefillContextTokens: 500_500, decodes: 3) - (1 + 2 + 60.08)) < 1e-9)
        // Without a prefill's own attention price its pairs cost per_context_token_ms, on the compute side.
        var shared = roofline
        shared.perPrefillContextTokenMs = nil
        #expect(abs(shared.stepMilliseconds(sequences: 1, prefillTokens: 1000, contextTokens: 500_500,
                                            prefillContextTokens: 500_500) - (1 + 0.5 + 10 + 500.5)) < 1e-9)
        // Unset, the contract's sum; decodes change nothing there.
        #expect(unitCost.memoryMs == nil)
        #expect(unitCost.stepMilliseconds(sequences: 2, prefillTokens: 100, contextTokens: 5000, decodes: 2) == 27)
        var bad = roofline
        bad.memoryMs = -.infinity
        #expect(bad.problem == "memory_ms must be a finite number >= 0, not -inf")

        // The engine tells the cost model its decodes: a 100-token prompt, then decodes of one.
        var p = profile()
        p.cost = roofline
        var engine = Engine(profile: p)
        #expect(engine.submit(EngineRequest(id: 0, promptTokens: 100, outputTokens: 3)) == .accepted)
        let steps = drain(&engine)
        #expect(steps.count == 3)
        // Prefill: compute 0.01·100 + 0.0001·5050 = 1.505 < memory 4: 1 + 0.5 + 4.
        #expect(steps[0].durationNanoseconds == 5_500_000)
        // Decode at context 101: memory 4 + 0.101.
        #expect(steps[1].durationNanoseconds == 5_601_000)
    }

    @Test func aPrefillsContextCanBePricedApart() {
        var split = unitCost
        split.perPrefillContextTokenMs = 0.0001
        // 5000 context tokens, 4000 of them a prefill's: 1000 at 0.001, 4000 at 0.0001.
        #expect(abs(split.stepMilliseconds(sequences: 2, prefillTokens: 100, contextTokens: 5000, prefillContextTokens: 4000)
            - (10 + 2 + 10 + 1 + 0.4)) < 1e-9)
        // Unset, every context token costs per_context_token_ms, whatever the split.
        #expect(abs(unitCost.stepMilliseconds(sequences: 2, prefillTokens: 100, contextTokens: 5000, prefillContextTokens: 4000)
            - 27) < 1e-9)
        split.perPrefillContextTokenMs = -1
        #expect(split.problem != nil)

        // The engine passes the prefill's pairs: one 100-token prompt, then its decodes.
        var p = profile()
        p.cost = EngineCostModel(baseMs: 10, perSequenceMs: 1, perPrefillTokenMs: 0.1, perContextTokenMs: 0.001,
                                 perPrefillContextTokenMs: 0)
        var engine = Engine(profile: p)
        _ = engine.submit(EngineRequest(id: 1, promptTokens: 100, outputTokens: 2))
        let steps = drain(&engine)
        #expect(steps[0].prefillContextTokens == 5050 && steps[0].contextTokens == 5050)
        #expect(abs(steps[0].durationMilliseconds - (10 + 1 + 10)) < 1e-6)
        #expect(steps[1].prefillContextTokens == 0 && abs(steps[1].durationMilliseconds - (10 + 1 + 0.101)) < 1e-6)
    }

    @Test func prefillThenOneTokenPerStep() throws {
        var engine = Engine(profile: profile())
        let admission = engine.submit(EngineRequest(id: 7, promptTokens: 100, outputTokens: 3))
        #expect(admission == .accepted)
        #expect(engine.waiting == 1 && engine.running == 0)
        let steps = drain(&engine)
        #expect(steps.count == 3)
        // Step 1: the whole prompt, first token at its end.
        #expect(steps[0].scheduled == [EngineScheduled(id: 7, tokens: 100, isPrefill: true)])
        #expect(steps[0].admitted == [7])
        #expect(steps[0].firstTokens == [7])
        #expect(steps[0].prefillTokens == 100 && steps[0].contextTokens == 100 * 101 / 2)
        #expect(steps[0].durationNanoseconds == unitCost.stepNanoseconds(sequences: 1, prefillTokens: 100, contextTokens: 5050))
        // Decodes: one token each, the context its current length.
        #expect(steps[1].scheduled == [EngineScheduled(id: 7, tokens: 1, isPrefill: false)])
        #expect(steps[1].contextTokens == 101)
        #expect(steps[2].contextTokens == 102)
        #expect(steps[2].finished == [7])
        #expect(steps.flatMap(\.outputs).map(\.generated) == [1, 2, 3])
        #expect(engine.isIdle && engine.kvUsage == 0)
        #expect(engine.promptTokens == 100 && engine.generationTokens == 3 && engine.finishedRequests == 1)
    }

    @Test func longPromptIsChunkedByTheTokenBudget() {
        var engine = Engine(profile: profile(budget: 256))
        _ = engine.submit(EngineRequest(id: 1, promptTokens: 600, outputTokens: 2))
        let steps = drain(&engine)
        #expect(steps.map { $0.scheduled.map(\.tokens) } == [[256], [256], [88], [1]])
        #expect(steps[0].outputs.isEmpty && steps[1].outputs.isEmpty)
        #expect(steps[2].firstTokens == [1])
        #expect(steps[1].contextTokens == EngineCostModel.prefillContext(chunk: 256, after: 256))
    }

    @Test func wholePromptsJoinOnlyWhenAllOfThemFitTheBudgetLeft() {
        var whole = profile(seqs: 8, budget: 1000)
        whole.prefill = .whole
        var engine = Engine(profile: whole)
        // Two decoding requests, then three prompts of 400 arrive together.
        _ = engine.submit(EngineRequest(id: 1, promptTokens: 10, outputTokens: 50))
        _ = engine.submit(EngineRequest(id: 2, promptTokens: 10, outputTokens: 50))
        _ = engine.nextStep()
        for id in 3...5 { _ = engine.submit(EngineRequest(id: id, promptTokens: 400, outputTokens: 5)) }
        // 2 decodes + 400 + 400 = 802; the third prompt would make 1202: it waits whole
        // (chunked prefill would give it the 198 tokens left).
        let step = engine.nextStep()!
        #expect(step.scheduled.map(\.tokens) == [1, 1, 400, 400])
        #expect(step.admitted == [3, 4] && engine.waiting == 1)
        #expect(Set(step.firstTokens) == [3, 4])
        let next = engine.nextStep()!
        #expect(next.scheduled.map(\.tokens) == [1, 1, 1, 1, 400])
        #expect(next.admitted == [5] && next.firstTokens == [5])

        var chunked = whole
        chunked.prefill = .chunked
        engine = Engine(profile: chunked)
        _ = engine.submit(EngineRequest(id: 1, promptTokens: 10, outputTokens: 50))
        _ = engine.submit(EngineRequest(id: 2, promptTokens: 10, outputTokens: 50))
        _ = engine.nextStep()
        for id in 3...5 { _ = engine.submit(EngineRequest(id: id, promptTokens: 400, outputTokens: 5)) }
        #expect(engine.nextStep()!.scheduled.map(\.tokens) == [1, 1, 400, 400, 198])
    }

    @Test func aWholePromptLargerThanTheBudgetIsRefused() {
        var whole = profile(budget: 512)
        whole.prefill = .whole
        var engine = Engine(profile: whole)
        #expect(engine.submit(EngineRequest(id: 1, promptTokens: 513, outputTokens: 2)) == .exceedsCapacity)
        #expect(engine.submit(EngineRequest(id: 2, promptTokens: 512, outputTokens: 2)) == .accepted)
        let steps = drain(&engine)
        #expect(steps.map { $0.scheduled.map(\.tokens) } == [[512], [1]])
    }

    @Test func kvUsageCountsBlocks() {
        var engine = Engine(profile: profile(kv: 1600, block: 16))
        _ = engine.submit(EngineRequest(id: 1, promptTokens: 17, outputTokens: 10))
        _ = engine.nextStep()
        // 17 tokens computed: 2 blocks of 100.
        #expect(engine.kvBlocksUsed == 2 && engine.kvUsage == 0.02)
    }

    @Test func boundedQueueRefuses() {
        var engine = Engine(profile: profile(maxWaiting: 2))
        let first = (1...3).map { engine.submit(EngineRequest(id: $0, promptTokens: 10, outputTokens: 5)) }
        #expect(first == [.accepted, .accepted, .refused])
        _ = engine.nextStep()   // both admitted: the queue has room again
        #expect(engine.waiting == 0 && engine.running == 2)
        let again = engine.submit(EngineRequest(id: 3, promptTokens: 10, outputTokens: 5))
        #expect(again == .accepted)
    }

    @Test func requestLargerThanTheCacheIsRefused() {
        var engine = Engine(profile: profile(kv: 160, block: 16))
        let fits = engine.submit(EngineRequest(id: 1, promptTokens: 150, outputTokens: 11))
        let tooLong = engine.submit(EngineRequest(id: 2, promptTokens: 150, outputTokens: 12))
        #expect(fits == .accepted && tooLong == .exceedsCapacity)
    }

    @Test func cancelFreesTheRequestAndItsBlocks() {
        var engine = Engine(profile: profile())
        _ = engine.submit(EngineRequest(id: 1, promptTokens: 100, outputTokens: 50))
        _ = engine.submit(EngineRequest(id: 2, promptTokens: 100, outputTokens: 50))
        _ = engine.nextStep()
        _ = engine.submit(EngineRequest(id: 3, promptTokens: 100, outputTokens: 50))
        let cancels = [engine.cancel(id: 1), engine.cancel(id: 3), engine.cancel(id: 3)]
        #expect(cancels == [true, true, false])
        #expect(engine.running == 1 && engine.waiting == 0)
        let steps = drain(&engine)
        #expect(Set(steps.flatMap(\.scheduled).map(\.id)) == [2])
        #expect(engine.kvBlocksUsed == 0)
    }

    @Test func maxNumSeqsLimitsTheBatch() {
        var engine = Engine(profile: profile(seqs: 2))
        for id in 0..<5 { _ = engine.submit(EngineRequest(id: id, promptTokens: 10, outputTokens: 3)) }
        let first = engine.nextStep()!
        #expect(first.admitted == [0, 1])
        #expect(engine.running == 2 && engine.waiting == 3)
    }
}

@Suite("Engine: KV cache, preemption and prefix caching")
struct EngineKVTests {
    @Test func preemptionWhenTheCacheIsTightAndThePreemptedStillCompletes() {
        // 8 blocks of 16: two requests of 48 prompt tokens (3 blocks each) fit, growing to
        // 48 + 40 tokens (6 blocks each) they do not.
        var engine = Engine(profile: profile(kv: 128, block: 16, preemption: .recompute, prefixCaching: false))
        _ = engine.submit(EngineRequest(id: 1, promptTokens: 48, outputTokens: 41))
        _ = engine.submit(EngineRequest(id: 2, promptTokens: 48, outputTokens: 41))
        let steps = drain(&engine)
        let preempted = steps.flatMap(\.preempted)
        #expect(preempted.first == 2)   // the newest
        #expect(engine.preemptions == preempted.count && engine.preemptions > 0)
        let outputs = steps.flatMap(\.outputs)
        #expect(outputs.filter { $0.id == 1 }.count == 41)
        #expect(outputs.filter { $0.id == 2 }.count == 41)
        #expect(outputs.filter(\.isFirst).map(\.id) == [1, 2])
        // Recomputed: request 2's prompt and generated tokens prefilled again.
        let recompute = steps.flatMap(\.scheduled).filter { $0.id == 2 && $0.isPrefill }
        #expect(recompute.count >= 2 && recompute[1].tokens > 48)
        #expect(engine.kvBlocksUsed == 0)
    }

    @Test func reservingTheOutputNeverPreemptsAndNeverOverfillsTheCache() {
        // The cache of the preemption test above (8 blocks of 16): two requests of 48 + 41
        // tokens need 6 blocks each to the end, so with the output reserved only one runs at a
        // time; the second is admitted when the first ends, and nothing is preempted.
        var tight = profile(kv: 128, block: 16, preemption: .recompute, prefixCaching: false)
        tight.kvAdmission = .reserveOutput
        var engine = Engine(profile: tight)
        _ = engine.submit(EngineRequest(id: 1, promptTokens: 48, outputTokens: 41))
        _ = engine.submit(EngineRequest(id: 2, promptTokens: 48, outputTokens: 41))
        var steps: [EngineStep] = []
        while let step = engine.nextStep() {
            steps.append(step)
            #expect(engine.kvBlocksUsed <= engine.kvBlocksTotal)
            // Request 1 holds its whole reservation (blocks of 48 + 40 tokens) from admission.
            if engine.running == 1 { #expect(engine.kvBlocksUsed == 6) }
        }
        #expect(engine.preemptions == 0 && steps.allSatisfy { $0.preempted.isEmpty })
        #expect(steps.allSatisfy { $0.sequences == 1 })
        let outputs = steps.flatMap(\.outputs)
        #expect(outputs.filter(\.isFirst).map(\.id) == [1, 2])
        #expect(outputs.filter { $0.id == 1 }.count == 41 && outputs.filter { $0.id == 2 }.count == 41)
        #expect(engine.kvBlocksUsed == 0)
    }

    @Test func reservingTheOutputUnderLoadKeepsEveryReservationWithinTheCache() {
        // Many requests of mixed lengths through a small cache: never a preemption, the blocks
        // used never over capacity, and every running request holds blocks for its prompt plus
        // output (so running × tokens per request stays within the cache).
        var small = profile(budget: 512, kv: 4096, block: 16, prefixCaching: false)
        small.kvAdmission = .reserveOutput
        var engine = Engine(profile: small)
        var lengths: [Int: Int] = [:]
        for id in 0..<60 {
            let prompt = 50 + (id * 37) % 400, output = 10 + (id * 53) % 300
            lengths[id] = prompt + output
            #expect(engine.submit(EngineRequest(id: id, promptTokens: prompt, outputTokens: output)) == .accepted)
        }
        var finished = 0
        var running: Set<Int> = []
        while let step = engine.nextStep() {
            // The blocks of those that finished are freed at the step's end.
            running.formUnion(step.admitted)
            running.subtract(step.finished)
            let reserved = running.reduce(0) { $0 + (lengths[$1]! - 1 + 15) / 16 }
            #expect(engine.kvBlocksUsed == reserved)
            #expect(engine.kvBlocksUsed <= engine.kvBlocksTotal)
            #expect(step.preempted.isEmpty)
            finished += step.finished.count
        }
        #expect(finished == 60 && engine.preemptions == 0 && engine.kvBlocksUsed == 0)
    }

    @Test func waitPreemptionStallsInsteadOfPreempting() {
        // Prompts of different lengths, so the two need their next block in different steps.
        var engine = Engine(profile: profile(kv: 128, block: 16, preemption: .wait, prefixCaching: false))
        _ = engine.submit(EngineRequest(id: 1, promptTokens: 48, outputTokens: 41))
        _ = engine.submit(EngineRequest(id: 2, promptTokens: 40, outputTokens: 41))
        let steps = drain(&engine)
        #expect(steps.contains { $0.stalled > 0 })
        let outputs = steps.flatMap(\.outputs)
        #expect(outputs.filter { $0.id == 1 }.count == 41 && outputs.filter { $0.id == 2 }.count == 41)
        #expect(outputs.filter(\.isLast).count == 2)
    }

    @Test func prefixCacheHitsSkipPrefill() {
        var engine = Engine(profile: profile(block: 16, prefixCaching: true))
        let prefix: [UInt64] = [11, 12, 13, 14]   // 64 tokens of shared prompt
        _ = engine.submit(EngineRequest(id: 1, promptTokens: 80, outputTokens: 2, prefixBlocks: prefix + [15]))
        _ = drain(&engine)
        _ = engine.submit(EngineRequest(id: 2, promptTokens: 80, outputTokens: 2, prefixBlocks: prefix + [25]))
        let steps = drain(&engine)
        // The 64 shared tokens are not computed again.
        #expect(steps[0].scheduled == [EngineScheduled(id: 2, tokens: 16, isPrefill: true)])
        #expect(steps[0].contextTokens == EngineCostModel.prefillContext(chunk: 16, after: 64))
        #expect(engine.prefixCacheQueries == 160 && engine.prefixCacheHits == 64)
        // A full hit still computes the prompt's last token.
        _ = engine.submit(EngineRequest(id: 3, promptTokens: 80, outputTokens: 1, prefixBlocks: prefix + [25]))
        let hit = engine.nextStep()
        #expect(hit?.scheduled == [EngineScheduled(id: 3, tokens: 16, isPrefill: true)])
    }

    @Test func withoutPrefixCachingEveryPromptIsComputed() {
        var engine = Engine(profile: profile(prefixCaching: false))
        _ = engine.submit(EngineRequest(id: 1, promptTokens: 80, outputTokens: 1, prefixBlocks: [1, 2, 3, 4, 5]))
        _ = drain(&engine)
        _ = engine.submit(EngineRequest(id: 2, promptTokens: 80, outputTokens: 1, prefixBlocks: [1, 2, 3, 4, 5]))
        let miss = engine.nextStep()
        #expect(miss?.scheduled.first?.tokens == 80)
        #expect(engine.prefixCacheQueries == 0)
    }

    @Test func cachedBlocksAreEvictedWhenNeeded() {
        // 10 blocks: a cached prefix of 4 blocks is evicted to make room for a long prompt.
        var engine = Engine(profile: profile(kv: 160, block: 16))
        _ = engine.submit(EngineRequest(id: 1, promptTokens: 64, outputTokens: 1, prefixBlocks: [1, 2, 3, 4]))
        _ = drain(&engine)
        #expect(engine.kvBlocksUsed == 0)
        // 8 blocks: the 6 never cached, then the 2 least recently freed (the prefix's last two,
        // freed last block first).
        _ = engine.submit(EngineRequest(id: 2, promptTokens: 128, outputTokens: 1, prefixBlocks: [9]))
        _ = drain(&engine)
        _ = engine.submit(EngineRequest(id: 3, promptTokens: 64, outputTokens: 1, prefixBlocks: [1, 2, 3, 4]))
        let step = engine.nextStep()!
        #expect(step.scheduled[0].tokens == 32)
    }

    @Test func aPrefixSharedByEveryRequestDoesNotGrowTheEvictionQueue() {
        var engine = Engine(profile: profile(kv: 100_000, block: 16))
        for id in 0..<5_000 {
            _ = engine.submit(EngineRequest(id: id, promptTokens: 80, outputTokens: 1, prefixBlocks: [1, 2, 3, 4, 5]))
            _ = drain(&engine)
        }
        #expect(engine.evictionQueueLength < 200)
        #expect(engine.prefixCacheHits == 4 * 16 * 4_999)
    }
}
