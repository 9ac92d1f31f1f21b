import MockLLMSimulation
import Testing

@Suite("Engine simulation: closed loop in virtual time")
struct EngineSimulationTests {
    let profile = EngineProfile(maxNumSeqs: 16, maxNumBatchedTokens: 512, kvCacheTokens: 20_000,
                                cost: EngineCostModel(baseMs: 6, perSequenceMs: 0.05, perPrefillTokenMs: 0.03,
                                                      perContextTokenMs: 0.00002))

    @Test func percentilesInterpolateLinearlyAsNumpy() {
        // np.percentile([1, 2, 3, 4], [50, 99]) == [2.5, 3.97]
        let summary = LatencySummary([4, 1, 3, 2])
        #expect(summary.mean == 2.5 && summary.p50 == 2.5)
        #expect(abs(summary.p99 - 3.97) < 1e-12)
        #expect(LatencySummary([]) == LatencySummary(mean: 0, p50: 0, p99: 0))
        #expect(LatencySummary([5]).p99 == 5)
    }

    @Test func oneUserSeesTheCostModelAlone() throws {
        let result = try EngineSimulation(profile: profile, concurrency: 1, inputTokens: 100, outputTokens: 11,
                                          requests: 20).run()
        let prefill = profile.cost.stepMilliseconds(sequences: 1, prefillTokens: 100, contextTokens: 100 * 101 / 2)
        #expect(abs(result.ttftMs.mean - prefill) < 1e-6 && abs(result.ttftMs.p99 - prefill) < 1e-6)
        // Decodes at contexts 101...110.
        let decodes = (101...110).map { profile.cost.stepMilliseconds(sequences: 1, prefillTokens: 0, contextTokens: $0) }
        #expect(abs(result.itlMs.mean - decodes.reduce(0, +) / 10) < 1e-5)
        #expect(result.requests == 20)
        #expect(abs(result.requestThroughput - 1000 / (prefill + decodes.reduce(0, +))) < 1e-3)
        #expect(abs(result.outputTokenThroughput - 11 * result.requestThroughput) < 1e-6)
    }

    @Test(arguments: [4, 16, 40])
    func littlesLawHoldsOnTheClosedLoopWhateverTheRequestsMeasured(users: Int) throws {
        var simulation = EngineSimulation(profile: profile, concurrency: users, inputTokens: 200, outputTokens: 50,
                                          requests: 5 * users)
        simulation.staggered = false
        let few = try simulation.run()
        simulation.requests = 100 * users
        let many = try simulation.run()
        // N = X · W: every user always has exactly one request in the system.
        for result in [few, many] {
            let inSystem = result.requestThroughput * result.latencyMs.mean / 1000
            #expect(abs(inSystem - Double(users)) / Double(users) < 0.005, "\(inSystem) in the system")
        }
        // Users started together end their warm-up together: a count over a window opened at
        // the first of them would be high by about users / requests, 20 % with 5 each.
        #expect(abs(few.requestThroughput / many.requestThroughput - 1) < 0.02,
                "\(few.requestThroughput) against \(many.requestThroughput)")
    }

    @Test(arguments: [4, 40])
    func littlesLawCountsTheClientsGap(users: Int) throws {
        var simulation = EngineSimulation(profile: profile, concurrency: users, inputTokens: 200, outputTokens: 50,
                                          requests: 200 * users)
        simulation.clientGapMs = 30
        let result = try simulation.run()
        // N = X · (W + Z): a user is either in the engine (W) or in its gap (Z, mean 30 ms).
        let cycle = (result.latencyMs.mean + 30) / 1000
        let users = Double(users)
        #expect(abs(result.requestThroughput * cycle - users) / users < 0.05, "\(result.requestThroughput * cycle) users")
        // Fewer requests in the engine than users: the throughput is lower than with no gap.
        simulation.clientGapMs = 0
        #expect(try simulation.run().requestThroughput > result.requestThroughput)
    }

    /// `engine simulate --time-scale S`: an engine whose every duration is S times as long,
    /// under the same client gap, is the engine at scale 1 under a gap S times shorter, its
    /// durations multiplied by S and its rates divided by S.
    @Test func aTimeScaleIsTheSameRunWithTheGapDividedAndTheResultScaled() throws {
        let scale = 10.0
        var base = profile
        base.frontEndMs = 0.4
        var slow = base
        slow.cost.baseMs *= scale
        slow.cost.perSequenceMs *= scale
        slow.cost.perPrefillTokenMs *= scale
        slow.cost.perContextTokenMs *= scale
        slow.frontEndMs *= scale
        var measured = EngineSimulation(profile: slow, concurrency: 8, inputTokens: 300, outputTokens: 30, requests: 200)
        measured.clientGapMs = 20
        var predicted = EngineSimulation(profile: base, concurrency: 8, inputTokens: 300, outputTokens: 30, requests: 200)
        predicted.clientGapMs = 20 / scale
        let a = try measured.run()
        let b = try predicted.run().scaled(by: scale)
        func close(_ x: Double, _ y: Double) -> Bool { abs(x - y) <= 1e-6 * max(abs(x), 1) }
        for (x, y) in [(a.ttftMs, b.ttftMs), (a.itlMs, b.itlMs), (a.latencyMs, b.latencyMs)] {
            #expect(close(x.mean, y.mean) && close(x.p50, y.p50) && close(x.p99, y.p99), "\(x) against \(y)")
        }
        #expect(close(a.requestThroughput, b.requestThroughput) && close(a.outputTokenThroughput, b.outputTokenThroughput))
        #expect(a.requests == b.requests && a.steps == b.steps)
        #expect(a.ttftMs.mean > 10 * (try predicted.run().ttftMs.mean) * 0.999)
    }

    /// Eight users started together on a budget that prefills all their prompts in one step,
    /// and what they measure.
    func lockstep() throws -> (simulation: EngineSimulation, together: EngineSimulationResult) {
        var wide = profile
        wide.maxNumBatchedTokens = 8192
        var simulation = EngineSimulation(profile: wide, concurrency: 8, inputTokens: 400, outputTokens: 40, requests: 400)
        simulation.staggered = false
        let together = try simulation.run()
        // Every wave prefills all eight prompts in one step: every TTFT is that step.
        #expect(together.ttftMs.p99 - together.ttftMs.p50 < 1e-6)
        return (simulation, together)
    }

    @Test func aClientGapBreaksTheLockstepOfUsersStartedTogether() throws {
        var (simulation, together) = try lockstep()
        simulation.clientGapMs = 20
        let spread = try simulation.run()
        // Users come back apart and prefill in smaller groups: TTFTs differ, and are shorter.
        #expect(spread.ttftMs.p99 - spread.ttftMs.p50 > 1)
        #expect(spread.ttftMs.mean < together.ttftMs.mean)
        // Seeded: the same gaps every run, others with another seed.
        #expect(try simulation.run() == spread)
        simulation.seed = 7
        #expect(try simulation.run() != spread)
    }

    @Test func theLongestDecodesContextIsPricedOncePerStep() throws {
        var p = profile
        p.cost.perLongestContextTokenMs = 0.001
        // A decode step of 3 sequences at contexts 100, 250 and 400: the longest, 400, once.
        let plain = profile.cost.stepMilliseconds(sequences: 3, prefillTokens: 0, contextTokens: 750, decodes: 3)
        let priced = p.cost.stepMilliseconds(sequences: 3, prefillTokens: 0, contextTokens: 750, decodes: 3, longestContext: 400)
        #expect(abs(priced - plain - 0.4) < 1e-12)
        // One user: each decode step pays for its own context twice over (total and longest).
        let one = try EngineSimulation(profile: p, concurrency: 1, inputTokens: 100, outputTokens: 11, requests: 20).run()
        let decodes = (101...110).map {
            p.cost.stepMilliseconds(sequences: 1, prefillTokens: 0, contextTokens: $0, decodes: 1, longestContext: $0)
        }
        #expect(abs(one.itlMs.mean - decodes.reduce(0, +) / 10) < 1e-5)
        #expect(p.cost.problem == nil)
        p.cost.perLongestContextTokenMs = -1
        #expect(p.cost.problem == "per_longest_context_token_ms must be a finite number >= 0, not -1.0")
    }

    @Test func theFrontEndTakesRequestsOneAtATime() {
        var frontEnd = EngineFrontEnd(milliseconds: 2, timeScale: 0.5)   // 1 ms each
        #expect(frontEnd.nanoseconds == 1_000_000)
        // Three together: handed over 1, 2 and 3 ms later.
        #expect([0, 0, 0].map { frontEnd.handOver(arrival: $0) } == [1_000_000, 2_000_000, 3_000_000])
        // One that arrives while the line is busy waits for it; one after it is idle does not.
        #expect(frontEnd.handOver(arrival: 2_500_000) == 4_000_000)
        #expect(frontEnd.handOver(arrival: 10_000_000) == 11_000_000)
        var none = EngineFrontEnd(milliseconds: 0)
        #expect(none.handOver(arrival: 7) == 7 && none.handOver(arrival: 7) == 7)
        #expect(EngineFrontEnd(milliseconds: .infinity).nanoseconds == 0)
    }

    @Test func theFrontEndAddsItsTimeToOneUsersFirstToken() throws {
        var withFrontEnd = profile
        withFrontEnd.frontEndMs = 2.5
        let plain = try EngineSimulation(profile: profile, concurrency: 1, inputTokens: 100, outputTokens: 11, requests: 20).run()
        let fronted = try EngineSimulation(profile: withFrontEnd, concurrency: 1, inputTokens: 100, outputTokens: 11,
                                           requests: 20).run()
        // One user never queues in the front end: every request is its time later to the engine.
        #expect(abs(fronted.ttftMs.mean - plain.ttftMs.mean - 2.5) < 1e-6)
        #expect(abs(fronted.ttftMs.p99 - plain.ttftMs.p99 - 2.5) < 1e-6)
        #expect(abs(fronted.itlMs.mean - plain.itlMs.mean) < 1e-9)
    }

    @Test func theFrontEndSpreadsAWaveOfPromptsOverTheSteps() throws {
        var (simulation, together) = try lockstep()
        // 6 ms a request: the eight prompts of a wave reach the engine over 48 ms, while a
        // step of one 400-token prefill takes 18 ms, so they prefill in smaller groups, each
        // waiting for less than the whole wave: TTFTs differ, and are shorter on average even
        // with the front end's own time in them.
        simulation.profile.frontEndMs = 6
        let spread = try simulation.run()
        #expect(spread.ttftMs.p99 - spread.ttftMs.p50 > 1)
        #expect(spread.ttftMs.mean < together.ttftMs.mean)
        #expect(spread.steps > together.steps)
        // Deterministic: no randomness in the front end.
        #expect(try simulation.run() == spread)
        // Little's law on the loop: the front end's time is part of each request's latency.
        let inSystem = spread.requestThroughput * spread.latencyMs.mean / 1000
        #expect(abs(inSystem - 8) / 8 < 0.01, "\(inSystem) in the system")
    }

    @Test func aBusyFrontEndIsTheBottleneck() throws {
        // 20 ms a request, one at a time: at most 50 requests a second, whatever the engine does.
        var slow = profile
        slow.frontEndMs = 20
        var simulation = EngineSimulation(profile: slow, concurrency: 16, inputTokens: 50, outputTokens: 2, requests: 800)
        simulation.staggered = false
        let result = try simulation.run()
        #expect(result.requestThroughput <= 50 * 1.001 && result.requestThroughput > 45, "\(result.requestThroughput) req/s")
    }

    @Test func moreUsersMeanMoreThroughputAndLongerLatency() throws {
        let one = try EngineSimulation(profile: profile, concurrency: 1, inputTokens: 200, outputTokens: 50, requests: 50).run()
        let many = try EngineSimulation(profile: profile, concurrency: 16, inputTokens: 200, outputTokens: 50,
                                        requests: 400).run()
        #expect(many.outputTokenThroughput > 5 * one.outputTokenThroughput)
        #expect(many.itlMs.mean > one.itlMs.mean)
        #expect(many.ttftMs.mean > one.ttftMs.mean)
    }

    @Test func queueingBeyondMaxNumSeqsShowsInTTFT() throws {
        let full = try EngineSimulation(profile: profile, concurrency: 16, inputTokens: 100, outputTokens: 100,
                                        requests: 320).run()
        let over = try EngineSimulation(profile: profile, concurrency: 32, inputTokens: 100, outputTokens: 100,
                                        requests: 640).run()
        // Twice the users on 16 sequences: the extra wait about one request's time in the queue.
        #expect(over.ttftMs.mean > full.latencyMs.mean * 0.5)
        #expect(abs(over.requestThroughput - full.requestThroughput) / full.requestThroughput < 0.1)
    }

    /// Running the decode-only steps in one go is an optimization, not a model: every result,
    /// step count included, must be the one of stepping one by one, whatever the modes.
    @Test(arguments: [
        (EngineKVAdmission.onDemand, EnginePrefill.chunked, true, false), (.onDemand, .whole, false, true),
        (.reserveOutput, .chunked, false, true), (.reserveOutput, .whole, true, false),
    ])
    func decodeStepsRunInOneGoGiveTheSameResult(kv: EngineKVAdmission, prefill: EnginePrefill, staggered: Bool,
                                               roofline: Bool) throws {
        var p = profile
        p.kvCacheTokens = 6_000   // tight: requests queue for blocks, on demand preempts
        p.kvAdmission = kv
        p.prefill = prefill
        // A roofline step prices a decode-only stretch by its decodes too.
        if roofline { p.cost.memoryMs = p.cost.baseMs * 0.8 }
        // The longest decode's context grows by one a step in a decode-only stretch; a front
        // end hands requests over between steps.
        p.cost.perLongestContextTokenMs = 0.0004
        p.frontEndMs = staggered ? 0.7 : 0
        for (users, input, output) in [(1, 100, 40), (12, 300, 200), (40, 450, 60)] {
            var simulation = EngineSimulation(profile: p, concurrency: users, inputTokens: input, outputTokens: output,
                                              requests: 3 * users)
            simulation.staggered = staggered
            for gap in [0.0, 15.0] {
                simulation.clientGapMs = gap
                simulation.fastForward = true
                let fast = try simulation.run()
                simulation.fastForward = false
                let slow = try simulation.run()
                #expect(fast == slow, "\(users) users, \(input)/\(output), client gap \(gap) ms")
                #expect(fast.steps > 3 * output)
            }
        }
    }

    @Test func decodeStepsRunInOneGoAreTheStepsOneByOne() {
        var one = Engine(profile: profile)
        for id in 0..<3 { _ = one.submit(EngineRequest(id: id, promptTokens: 40 + id, outputTokens: 30 + 5 * id)) }
        _ = one.nextStep()   // the three prompts
        var many = one
        let afterPrefill = one
        let (steps, nanoseconds) = many.runDecodeSteps(limit: 100)
        // Until the step that gives the first request its last token (30 tokens, the first at
        // the prefill): 28 steps, taking the blocks they cross from the free ones.
        var total: UInt64 = 0
        for _ in 0..<steps {
            let step = one.nextStep()!
            #expect(step.outputs.allSatisfy { !$0.isFirst && !$0.isLast } && step.admitted.isEmpty)
            total += step.durationNanoseconds
        }
        #expect(steps == 28 && nanoseconds == total)
        #expect(many.generationTokens == one.generationTokens && many.steps == one.steps)
        #expect(many.kvBlocksUsed == one.kvBlocksUsed && many.kvBlocksUsed == 3 * 5)   // 68 to 70 tokens computed
        #expect(many.runDecodeSteps(limit: 100).steps == 0)   // the next step finishes a request
        #expect(many.nextStep() == one.nextStep())
        // A deadline stops it: only the steps that start before it (the first always does).
        var timed = afterPrefill
        #expect(timed.runDecodeSteps(limit: 100, deadline: 1).steps == 1)
        timed = afterPrefill
        let two = timed.runDecodeSteps(limit: 2)
        #expect(two.steps == 2 && timed.runDecodeSteps(limit: 100, deadline: two.nanoseconds).steps == 2)
        // No more steps than the free blocks allow (without evicting): 8 free blocks of 16
        // tokens for three sequences at 41 to 43 tokens.
        var tight = EngineProfile(maxNumSeqs: 16, maxNumBatchedTokens: 512, kvCacheTokens: 17 * 16, cost: profile.cost)
        tight.prefixCaching = false
        var small = Engine(profile: tight)
        for id in 0..<3 { _ = small.submit(EngineRequest(id: id, promptTokens: 40 + id, outputTokens: 200)) }
        _ = small.nextStep()
        var stepped = small
        let skipped = small.runDecodeSteps(limit: 1000)
        var stepByStep: UInt64 = 0
        for _ in 0..<skipped.steps { stepByStep += stepped.nextStep()!.durationNanoseconds }
        #expect(skipped.steps > 0 && skipped.nanoseconds == stepByStep && small.kvBlocksUsed == stepped.kvBlocksUsed)
        #expect(small.kvBlocksUsed <= 17 && small.runDecodeSteps(limit: 1000).steps == 0)
        #expect(small.nextStep() == stepped.nextStep())
        // Nothing is skipped while a waiting request could be admitted.
        timed = afterPrefill
        _ = timed.submit(EngineRequest(id: 9, promptTokens: 10, outputTokens: 2))
        #expect(timed.runDecodeSteps(limit: 100).steps == 0)
    }

    @Test func isDeterministic() throws {
        let simulation = EngineSimulation(profile: profile, concurrency: 8, inputTokens: 300, outputTokens: 40, requests: 100)
        #expect(try simulation.run() == simulation.run())
    }

    @Test func badWorkloadsAreRefused() {
        #expect(throws: EngineSimulationError.self) {
            try EngineSimulation(profile: profile, concurrency: 0, inputTokens: 10, outputTokens: 10).run()
        }
        #expect(throws: EngineSimulationError.self) {
            try EngineSimulation(profile: profile, concurrency: 1, inputTokens: 20_000, outputTokens: 10).run()
        }
        // Whole prompts larger than the step's budget could never run (the engine refuses them).
        var whole = profile
        whole.prefill = .whole
        #expect(throws: EngineSimulationError.self) {
            try EngineSimulation(profile: whole, concurrency: 2, inputTokens: 513, outputTokens: 10).run()
        }
        #expect(throws: Never.self) {
            try EngineSimulation(profile: whole, concurrency: 2, inputTokens: 512, outputTokens: 10, requests: 4).run()
        }
        #expect(EngineSimulation.defaultRequests(concurrency: 1) == 200)
        #expect(EngineSimulation.defaultRequests(concurrency: 100) == 2000)
    }

    /// aiperf's run: every user at once on an idle engine, every request measured, `requests`
    /// in all, the throughput those requests over their span.
    @Test func aColdStartMeasuresTheFirstWaveAndStopsAfterTheRequests() throws {
        var simulation = EngineSimulation(profile: profile, concurrency: 16, inputTokens: 1000, outputTokens: 20,
                                          requests: 16)
        simulation.staggered = false
        simulation.coldStart = true
        let wave = try simulation.run()
        // One wave: every request is a first one, its span the whole run, its throughput the
        // sixteen over the last one's end.
        #expect(wave.requests == 16)
        #expect(abs(wave.requestThroughput - 16 / wave.durationSeconds) < 1e-9)
        #expect(abs(wave.durationSeconds - wave.simulatedSeconds) < 1e-9)
        // The first wave prefills 16,000 tokens together: its TTFT is above the steady state's.
        simulation.coldStart = false
        simulation.requests = 160
        let steady = try simulation.run()
        #expect(wave.ttftMs.mean > steady.ttftMs.mean)
        // With more requests the first wave weighs less, and the mean comes down towards it.
        simulation.coldStart = true
        let longer = try simulation.run()
        #expect(longer.requests == 160)
        #expect(longer.ttftMs.mean < wave.ttftMs.mean)
        #expect(longer.ttftMs.mean > steady.ttftMs.mean)
        // Fewer requests than users: only that many users send.
        simulation.requests = 5
        let few = try simulation.run()
        #expect(few.requests == 5)
    }

    @Test func aBoundedQueueRefusesAndTheUsersRetry() throws {
        var bounded = profile
        bounded.maxNumSeqs = 4
        bounded.maxWaiting = 2
        let result = try EngineSimulation(profile: bounded, concurrency: 10, inputTokens: 50, outputTokens: 20,
                                          requests: 100).run()
        #expect(result.refusals > 0)
        #expect(result.requests == 100)
        // A refused user waits outside the engine before it sends again: that wait is part of
        // its cycle, so fewer than the 10 users are in the engine on average (X · W < N).
        let inEngine = result.requestThroughput * result.latencyMs.mean / 1000
        #expect(inEngine < 9.9 && inEngine > 4, "\(inEngine) in the engine")
    }
}
