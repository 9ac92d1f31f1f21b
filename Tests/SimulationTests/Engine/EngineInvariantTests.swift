import MockLLMSimulation
import Testing

/// The scheduler's invariants over randomized (seeded) workloads: arrivals between steps,
/// prompts sharing prefixes, cancellations, a KV cache small enough to preempt.
@Suite("Engine: invariants over random workloads")
struct EngineInvariantTests {
    struct Workload {
        var random: SeededRandom
        var nextID = 0
        /// A few "documents" prompts start with, so prefix caching has something to hit.
        let documents: [[UInt64]] = (0..<4).map { doc in (0..<12).map { UInt64(doc * 1000 + $0) } }

        mutating func int(_ range: ClosedRange<Int>) -> Int {
            range.lowerBound + Int(random.next() % UInt64(range.count))
        }

        mutating func request() -> EngineRequest {
            defer { nextID += 1 }
            let prompt = int(1...300)
            var blocks: [UInt64] = []
            if int(0...2) > 0 {
                let document = documents[int(0...3)]
                let shared = min(prompt / 16, int(0...12))
                blocks = Array(document.prefix(shared))
                while blocks.count < prompt / 16 { blocks.append(UInt64(nextID) << 20 | UInt64(blocks.count)) }
            }
            return EngineRequest(id: nextID, promptTokens: prompt, outputTokens: int(1...120), prefixBlocks: blocks)
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var seed: UInt64
        var preemption: EnginePreemption
        var prefixCaching: Bool
        var prefill: EnginePrefill = .chunked
        var kvAdmission: EngineKVAdmission = .onDemand
        var testDescription: String {
            "seed \(seed), \(preemption), prefix caching \(prefixCaching), \(prefill), \(kvAdmission.rawValue)"
        }
    }

    static let cases: [Case] = [
        Case(seed: 1, preemption: .recompute, prefixCaching: true), Case(seed: 2, preemption: .recompute, prefixCaching: false),
        Case(seed: 3, preemption: .wait, prefixCaching: true), Case(seed: 4, preemption: .wait, prefixCaching: false),
        Case(seed: 5, preemption: .recompute, prefixCaching: true),
        // Whole prompts (TensorRT-LLM without chunked context), with either KV admission.
        Case(seed: 6, preemption: .recompute, prefixCaching: true, prefill: .whole),
        Case(seed: 7, preemption: .wait, prefixCaching: false, prefill: .whole),
        Case(seed: 8, preemption: .recompute, prefixCaching: false, prefill: .whole, kvAdmission: .reserveOutput),
        Case(seed: 9, preemption: .recompute, prefixCaching: true, prefill: .whole, kvAdmission: .reserveOutput),
    ]

    @Test(arguments: cases)
    func invariantsHold(_ c: Case) {
        let (seed, preemption, prefixCaching) = (c.seed, c.preemption, c.prefixCaching)
        var workload = Workload(random: SeededRandom(seed: seed))
        let profile = EngineProfile(
            maxNumSeqs: workload.int(4...24), maxNumBatchedTokens: workload.int(64...512),
            kvCacheTokens: workload.int(28...50) * 16, blockSize: 16,
            maxWaiting: seed == 5 ? 6 : nil, preemption: preemption, prefixCaching: prefixCaching,
            kvAdmission: c.kvAdmission, prefill: c.prefill, cost: unitCost)
        var refusedAsTooLong = 0
        var engine = Engine(profile: profile)
        var submitted: [Int: EngineRequest] = [:]
        var submissionOrder: [Int] = []
        var cancelled: Set<Int> = []
        var outputs: [Int: [EngineTokenOutput]] = [:]
        var firstAdmission: [Int] = []
        var admittedOnce: Set<Int> = []
        var finished: [Int] = []
        var stepsRun = 0
        var refused = 0
        while stepsRun < 200_000 {
            if workload.nextID < 400 {
                for _ in 0..<workload.int(0...3) {
                    let request = workload.request()
                    switch engine.submit(request) {
                    case .accepted:
                        submitted[request.id] = request
                        submissionOrder.append(request.id)
                    case .refused: refused += 1
                    case .exceedsCapacity:
                        // Whole prompts: one larger than the step's budget can never run.
                        if c.prefill == .whole && request.promptTokens > profile.maxNumBatchedTokens {
                            refusedAsTooLong += 1
                        }
                    }
                }
            }
            if workload.int(0...40) == 0, let victim = submissionOrder.last, !cancelled.contains(victim),
               !finished.contains(victim) {
                let removed = engine.cancel(id: victim)
                #expect(removed)
                cancelled.insert(victim)
            }
            guard let step = engine.nextStep() else {
                if workload.nextID >= 400 { break }
                continue
            }
            stepsRun += 1
            let (running, used, total) = (engine.running, engine.kvBlocksUsed, engine.kvBlocksTotal)
            #expect(running <= profile.maxNumSeqs)
            #expect(step.sequences <= profile.maxNumSeqs)
            #expect(used <= total)
            // The budget holds, except for a whole recomputation (a preempted request's prompt
            // and generated tokens) larger than it, which runs alone.
            #expect(step.scheduledTokens <= profile.maxNumBatchedTokens
                || (c.prefill == .whole && step.sequences == 1 && c.kvAdmission == .onDemand))
            if c.prefill == .whole {
                // A prompt is never split: every prefill scheduled completes in its step.
                let firstTokens = Set(step.outputs.map(\.id))
                for s in step.scheduled where s.isPrefill { #expect(firstTokens.contains(s.id)) }
            }
            if c.kvAdmission == .reserveOutput { #expect(step.preempted.isEmpty && step.stalled == 0) }
            #expect(step.sequences == step.scheduled.count)
            #expect(Set(step.scheduled.map(\.id)).count == step.scheduled.count)
            #expect(step.durationNanoseconds == unitCost.stepNanoseconds(
                sequences: step.sequences, prefillTokens: step.prefillTokens, contextTokens: step.contextTokens))
            if preemption == .recompute { #expect(step.stalled == 0) }
            for id in step.admitted where !admittedOnce.contains(id) {
                admittedOnce.insert(id)
                firstAdmission.append(id)
            }
            for output in step.outputs {
                #expect(!cancelled.contains(output.id))
                outputs[output.id, default: []].append(output)
                if output.isLast { finished.append(output.id) }
            }
        }
        let (idle, used) = (engine.isIdle, engine.kvBlocksUsed)
        #expect(idle && used == 0)
        // First come, first served: requests are first admitted in the order they arrived.
        let arrived = submissionOrder.filter { admittedOnce.contains($0) }
        #expect(firstAdmission == arrived)
        // Every request not cancelled finished exactly once, with exactly its tokens, in order.
        #expect(finished.count == Set(finished).count)
        for (id, request) in submitted where !cancelled.contains(id) {
            let tokens = outputs[id] ?? []
            #expect(tokens.map(\.generated) == Array(1...request.outputTokens))
            #expect(tokens.filter(\.isFirst).count == 1 && tokens.last?.isLast == true)
            #expect(finished.contains(id))
        }
        let (generated, hits, preemptions) = (engine.generationTokens, engine.prefixCacheHits, engine.preemptions)
        #expect(generated == outputs.values.reduce(0) { $0 + $1.count })
        if seed == 5 { #expect(refused > 0) }
        if prefixCaching { #expect(hits > 0) }
        #expect(preemptions > 0 || preemption == .wait || c.kvAdmission == .reserveOutput)
        if c.kvAdmission == .reserveOutput { #expect(preemptions == 0) }
        if c.prefill == .whole { #expect(refusedAsTooLong > 0 || profile.maxNumBatchedTokens >= 300) }
    }

    @Test func sameSubmissionsGiveTheSameSteps() {
        func run() -> [EngineStep] {
            var workload = Workload(random: SeededRandom(seed: 9))
            var engine = Engine(profile: EngineProfile(maxNumSeqs: 8, maxNumBatchedTokens: 256, kvCacheTokens: 1024,
                                                       cost: unitCost))
            var steps: [EngineStep] = []
            for _ in 0..<60 { _ = engine.submit(workload.request()) }
            while let step = engine.nextStep() { steps.append(step) }
            return steps
        }
        let first = run()
        #expect(first.count > 60)
        #expect(first == run())
    }
}
