#if canImport(Glibc)
import Glibc
#endif

/// Mean, median and 99th percentile of a sample, in milliseconds.
public struct LatencySummary: Sendable, Equatable, Hashable {
    public var mean: Double
    public var p50: Double
    public var p99: Double

    public init(mean: Double, p50: Double, p99: Double) {
        self.mean = mean
        self.p50 = p50
        self.p99 = p99
    }

    /// The summary of `values` (any order); zeros when empty. Percentiles are interpolated
    /// linearly between the two nearest ranks, numpy's default (`np.percentile`), which
    /// GenAI-Perf and aiperf use: rank p/100·(n−1) of the sorted values.
    public init(_ values: [Double]) {
        guard !values.isEmpty else {
            self.init(mean: 0, p50: 0, p99: 0)
            return
        }
        let sorted = values.sorted()
        self.init(mean: sorted.reduce(0, +) / Double(sorted.count),
                  p50: Self.percentile(sorted, 50), p99: Self.percentile(sorted, 99))
    }

    /// The p-th percentile of sorted values, linear interpolation (numpy's "linear" method).
    public static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard sorted.count > 1 else { return sorted.first ?? 0 }
        let rank = p / 100 * Double(sorted.count - 1)
        let low = Int(rank.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - Double(low))
    }
}

/// What a closed-loop run measured, with GenAI-Perf's definitions.
public struct EngineSimulationResult: Sendable, Equatable {
    /// Time to first token: submission to the end of the step that completed the prefill.
    public var ttftMs: LatencySummary
    /// Inter-token latency per request, (latency − TTFT) / (output tokens − 1), summarized
    /// over requests (requests of one output token have none).
    public var itlMs: LatencySummary
    /// Request latency, submission to last token.
    public var latencyMs: LatencySummary
    /// Requests per second in the steady state, by Little's law for a closed loop:
    /// concurrency / the mean cycle of a measured request (its submission to its user's next
    /// accepted submission: latency, the client's gap, and any wait after a refusal). Exact for
    /// any number of requests, where a count over a window of the run is off by up to
    /// concurrency / requests: users that start together finish their warm-up together, so a
    /// window opened at the first of them counts the rest at once (+4 % at 100 users and 20
    /// requests each), and GenAI-Perf's measured requests over their own span come out low by
    /// as much. The same figure `engine fit` fits to a table's.
    public var requestThroughput: Double
    /// Output tokens per second: `requestThroughput` times the output tokens of a request.
    public var outputTokenThroughput: Double
    /// Requests measured (the warm-up excluded).
    public var requests: Int
    /// The measured window, seconds of virtual time.
    public var durationSeconds: Double
    /// The virtual time the whole run took, warm-up included, seconds.
    public var simulatedSeconds: Double
    /// Engine steps in the whole run.
    public var steps: Int
    /// Preemptions in the whole run.
    public var preemptions: Int
    /// Submissions refused by a full waiting queue (each retried after the next step).
    public var refusals: Int
}

extension EngineSimulationResult {
    /// The result as a live server whose durations are all `scale` times as long
    /// (`settings.time_scale`) would measure it: every duration times `scale`, every rate
    /// divided by it. The virtual timeline is linear in its durations, so this is exact for a
    /// run whose client gap was divided by `scale` (the gap is the client's, not scaled).
    public func scaled(by scale: Double) -> EngineSimulationResult {
        func times(_ s: LatencySummary) -> LatencySummary { LatencySummary(mean: s.mean * scale, p50: s.p50 * scale, p99: s.p99 * scale) }
        var out = self
        out.ttftMs = times(ttftMs)
        out.itlMs = times(itlMs)
        out.latencyMs = times(latencyMs)
        out.requestThroughput = requestThroughput / scale
        out.outputTokenThroughput = outputTokenThroughput / scale
        out.durationSeconds = durationSeconds * scale
        out.simulatedSeconds = simulatedSeconds * scale
        return out
    }
}

/// Why a simulation cannot run.
public struct EngineSimulationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A closed-loop benchmark in virtual time, as GenAI-Perf's and aiperf's concurrency mode
/// runs one: `concurrency` users, each sending a request of `inputTokens` prompt tokens and
/// `outputTokens` generated tokens (fixed lengths, as with `ignore_eos`) and the next as soon
/// as the previous one ends, or after the client's gap (`clientGapMs`).
///
/// The users start staggered, evenly over one estimated request latency, not all at time 0:
/// with fixed lengths and a deterministic engine, users that start together stay in lockstep
/// forever (every wave prefills together, so every TTFT is the whole wave's prefill), which
/// no measured benchmark shows: real clients drift apart through network, tokenization and
/// length jitter. Every user's first request is warm-up, not measured; the next `requests`
/// submissions are, and users keep sending (unmeasured) requests until the last measured one
/// ends, so the load stays at `concurrency` throughout (or, with `coldStart`, as aiperf
/// measures: from an idle engine, `requests` in all). Deterministic: the client's gaps are
/// drawn from a seeded generator.
public struct EngineSimulation: Sendable {
    public var profile: EngineProfile
    public var concurrency: Int
    public var inputTokens: Int
    public var outputTokens: Int
    /// Measured requests; nil: `defaultRequests(concurrency:)`.
    public var requests: Int?
    /// Start the users staggered (the default) or all at time 0, as GenAI-Perf (perf_analyzer)
    /// and aiperf start their workers. Tables measured that way do show the lockstep: in
    /// Tests/Engine/data, TTFT at 5 users is 3.7 to 3.8 times TTFT at 1 user for 2,000- and
    /// 7,000-token prompts (every wave's prompts prefill together), which staggered users
    /// cannot reproduce; `engine fit` fits with users started together.
    public var staggered = true
    /// The client's own time between a reply's end and its next request reaching the engine,
    /// mean milliseconds (0: none, exactly at the reply's end: the default here, for runs to
    /// check by hand; `engine simulate` and `engine fit` use `typicalClientGapMs`). Each gap
    /// is drawn from an exponential distribution of that mean (seeded: the same run every
    /// time), so users that finish in the same step come back spread out, as a real client's
    /// do: aiperf's Python client on a busy 2-core machine took 6 to 50 ms (10th to 90th
    /// percentile, from its own records), a C++ client well under one. A request that arrives
    /// while a step runs joins the next one.
    public var clientGapMs: Double = 0
    /// The gap `engine simulate` and `engine fit` assume unless told: 0.2 ms, a fast client's
    /// turnaround over loopback. Not zero: a real request cannot arrive at the instant the
    /// previous one ended, so it joins the step after the one that starts then, never that
    /// one, and users that finish in one step come back untied. Fitted with it, the three
    /// committed tables hold out 105 of 120 points (103 at zero, 94 at 0.5 ms).
    public static let typicalClientGapMs = 0.2
    /// Measure from a cold start, as aiperf does, instead of the steady state. aiperf's
    /// profiling phase begins once its warm-up phase has drained: every user sends at once to
    /// an idle engine, every request from there is measured (the first wave too), the users
    /// send `requests` in all and then stop, and the request throughput is those requests
    /// over the first one's start to the last one's end. The first wave's TTFT is a whole
    /// wave's prefill and the last requests run with fewer users beside them, so means
    /// depend on `requests`: give aiperf's `--request-count`. Off (the default): GenAI-Perf's
    /// steady state, which `engine fit` simulates.
    public var coldStart = false
    /// The seed of the gaps.
    public var seed: UInt64 = 0
    /// Run the steps that only decode in one go (`Engine.runDecodeSteps`): the same result,
    /// step for step, in a fraction of the time. Off only to check that it is the same.
    public var fastForward = true

    public init(profile: EngineProfile, concurrency: Int, inputTokens: Int, outputTokens: Int, requests: Int? = nil) {
        self.profile = profile
        self.concurrency = concurrency
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.requests = requests
    }

    /// 20 requests per user, at least 200: every user's request is measured 20 times over, the
    /// percentiles rest on at least 200 values, and the mean TTFT and ITL move by less than 1 %
    /// from 20 to 100 per user with the default profile (docs/LOAD-SIMULATION.md).
    public static func defaultRequests(concurrency: Int) -> Int {
        max(20 * concurrency, 200)
    }

    /// How far apart the users start, nanoseconds: an estimate of one request's latency at this
    /// load (its prefill alone, then its decodes in a batch of every running user, each with
    /// its share of the others' prefills), divided among the users.
    public var staggerNanoseconds: Double {
        let running = min(concurrency, profile.maxNumSeqs)
        let pairs = EngineCostModel.prefillContext(chunk: inputTokens, after: 0)
        let prefill = profile.cost.stepMilliseconds(
            sequences: 1, prefillTokens: inputTokens, contextTokens: pairs, prefillContextTokens: pairs)
        let shareOfPrefills = running * inputTokens / max(outputTokens, 1)
        let decode = profile.cost.stepMilliseconds(
            sequences: running, prefillTokens: shareOfPrefills,
            contextTokens: running * (inputTokens + outputTokens / 2), decodes: running,
            longestContext: inputTokens + outputTokens / 2)
        var latency = prefill + Double(outputTokens - 1) * decode
        // Users beyond max_num_seqs wait in the queue: the time around the loop grows with them.
        if concurrency > running { latency *= Double(concurrency) / Double(running) }
        return latency * 1_000_000 / Double(concurrency)
    }

    public func run() throws(EngineSimulationError) -> EngineSimulationResult {
        if let problem = profile.problem { throw EngineSimulationError("the profile: \(problem)") }
        guard concurrency >= 1 else { throw EngineSimulationError("concurrency must be >= 1, not \(concurrency)") }
        guard inputTokens >= 1 else { throw EngineSimulationError("input tokens must be >= 1, not \(inputTokens)") }
        guard outputTokens >= 1 else { throw EngineSimulationError("output tokens must be >= 1, not \(outputTokens)") }
        let measured = requests ?? Self.defaultRequests(concurrency: concurrency)
        guard measured >= 1 else { throw EngineSimulationError("requests must be >= 1, not \(measured)") }
        let blocks = (inputTokens + outputTokens - 1 + profile.blockSize - 1) / profile.blockSize
        if blocks > profile.kvCacheBlocks {
            throw EngineSimulationError(
                "a request of \(inputTokens) + \(outputTokens) tokens does not fit in a KV cache of \(profile.kvCacheTokens) tokens")
        }

        if profile.prefill == .whole && inputTokens > profile.maxNumBatchedTokens {
            throw EngineSimulationError(
                "a prompt of \(inputTokens) tokens does not fit a step of \(profile.maxNumBatchedTokens) tokens whole (prefill: whole)")
        }

        var engine = Engine(profile: profile)
        // Per submission id: when it was sent, got its first token, ended (nanoseconds), and
        // whether it is measured.
        var sent: [UInt64] = []
        var first: [UInt64] = []
        var ended: [UInt64] = []
        var isMeasured: [Bool] = []
        var userOf: [Int] = []
        let capacity = measured + 2 * concurrency
        sent.reserveCapacity(capacity)
        first.reserveCapacity(capacity)
        ended.reserveCapacity(capacity)
        isMeasured.reserveCapacity(capacity)
        userOf.reserveCapacity(capacity)
        // Per submission id, when its user's next accepted submission was (0: none yet): the
        // end of its cycle. Per user, its latest submission id (-1: none yet).
        var cycleEnd: [UInt64] = []
        cycleEnd.reserveCapacity(capacity)
        var latestOfUser = [Int](repeating: -1, count: concurrency)
        var now: UInt64 = 0
        var retry: [Int] = []  // users whose submission was refused, to send again after the next step
        var refusals = 0
        var measuredSent = 0
        var measuredLeft = measured
        // Requests the users have issued, for a cold start's stop after `measured` (a refused
        // one sent again is not issued again).
        var issued = 0
        // The measured window: from the first measured submission to the last measured end.
        var windowStart: UInt64?

        // The server's front end (`EngineProfile.frontEndMs`): requests pass it one at a time,
        // in the order they arrive, and reach the engine when it is done with them. Each entry:
        // when the request was sent, when the engine sees it (never decreasing), warm-up or not,
        // whose it is.
        var server = EngineFrontEnd(milliseconds: profile.frontEndMs)
        var frontEnd: [(sent: UInt64, ready: UInt64, warmUp: Bool, user: Int)] = []
        var frontEndHead = 0

        /// A request of `user` sent at `time`: to the engine now, or through the front end.
        /// False: refused, the user is to send again after the next step.
        func arrive(at time: UInt64, warmUp: Bool, user: Int) -> Bool {
            guard server.nanoseconds > 0 else { return send(at: time, warmUp: warmUp, user: user) }
            frontEnd.append((time, server.handOver(arrival: time), warmUp, user))
            return true
        }

        func send(at time: UInt64, warmUp: Bool, user: Int) -> Bool {
            let id = sent.count
            guard engine.submit(EngineRequest(id: id, promptTokens: inputTokens, outputTokens: outputTokens)) == .accepted else {
                refusals += 1
                return false
            }
            let counts = !warmUp && measuredSent < measured
            if counts {
                measuredSent += 1
                if windowStart == nil { windowStart = time }
            }
            if latestOfUser[user] >= 0 { cycleEnd[latestOfUser[user]] = time }
            latestOfUser[user] = id
            sent.append(time)
            first.append(0)
            ended.append(0)
            cycleEnd.append(0)
            isMeasured.append(counts)
            userOf.append(user)
            return true
        }

        let stagger = staggered ? staggerNanoseconds : 0
        let starts = (0..<concurrency).map { UInt64((Double($0) * stagger).rounded()) }
        var started = 0
        // Users between a reply's end and their next request (with a client gap), by the time
        // the request reaches the engine, latest first: the earliest is `returning.last`.
        var returning: [(time: UInt64, user: Int)] = []
        var gaps = SeededRandom(seed: seed)
        let gapMean = max(clientGapMs, 0) * 1_000_000
        while measuredLeft > 0 {
            while started < concurrency && starts[started] <= now {
                defer { started += 1 }
                if coldStart {
                    guard issued < measured else { continue }
                    issued += 1
                }
                if !arrive(at: starts[started], warmUp: !coldStart, user: started) { retry.append(started) }
            }
            while let back = returning.last, back.time <= now {
                returning.removeLast()
                if !arrive(at: back.time, warmUp: false, user: back.user) { retry.append(back.user) }
            }
            while frontEndHead < frontEnd.count && frontEnd[frontEndHead].ready <= now {
                let request = frontEnd[frontEndHead]
                frontEndHead += 1
                if !send(at: request.sent, warmUp: request.warmUp, user: request.user) { retry.append(request.user) }
            }
            if frontEndHead > 4096 && frontEndHead * 2 > frontEnd.count {
                frontEnd.removeFirst(frontEndHead)
                frontEndHead = 0
            }
            // The next time a request reaches the engine (a user's start or return, or the
            // front end handing one over).
            let next = min(started < concurrency ? starts[started] : .max, returning.last?.time ?? .max,
                           frontEndHead < frontEnd.count ? frontEnd[frontEndHead].ready : .max)
            if fastForward && retry.isEmpty {
                // Steps that only decode, up to the next request's arrival.
                let (steps, nanoseconds) = engine.runDecodeSteps(limit: Int.max, deadline: next == .max ? .max : next - now)
                if steps > 0 {
                    now += nanoseconds
                    continue
                }
            }
            guard let step = engine.nextStep() else {
                if !retry.isEmpty {
                    // Idle with users refused: the queue is empty now, send again.
                    let users = retry
                    retry = []
                    for user in users where !send(at: now, warmUp: false, user: user) { retry.append(user) }
                } else if next != .max {
                    now = next
                } else {
                    break
                }
                continue
            }
            now += step.durationNanoseconds
            // Refused users send again after the step; the others come back after their gap,
            // or at once without one.
            let refused = retry
            retry = []
            for user in refused where !send(at: now, warmUp: false, user: user) { retry.append(user) }
            for output in step.outputs {
                if output.isFirst { first[output.id] = now }
                guard output.isLast else { continue }
                ended[output.id] = now
                if isMeasured[output.id] { measuredLeft -= 1 }
                let user = userOf[output.id]
                if coldStart {
                    guard issued < measured else { continue }
                    issued += 1
                }
                if gapMean > 0 {
                    let time = now + UInt64((-gapMean * log(1 - gaps.nextUnit())).rounded())
                    returning.insert((time, user), at: returning.firstIndex { $0.time <= time } ?? returning.endIndex)
                } else if !arrive(at: now, warmUp: false, user: user) {
                    retry.append(user)
                }
            }
            if measuredLeft == 0 { break }
        }

        var ttft: [Double] = []
        var itl: [Double] = []
        var latency: [Double] = []
        ttft.reserveCapacity(measured)
        itl.reserveCapacity(measured)
        latency.reserveCapacity(measured)
        var cycles = 0.0
        for id in sent.indices where isMeasured[id] {
            let firstMs = Double(first[id] - sent[id]) / 1_000_000
            let totalMs = Double(ended[id] - sent[id]) / 1_000_000
            ttft.append(firstMs)
            latency.append(totalMs)
            if outputTokens > 1 { itl.append((totalMs - firstMs) / Double(outputTokens - 1)) }
            // A user whose next request is not in yet (the run ends with the last measured
            // request): its latency and the mean gap.
            cycles += cycleEnd[id] > 0 ? Double(cycleEnd[id] - sent[id]) / 1e9 : totalMs / 1000 + gapMean / 1e9
        }
        let seconds = Double(now - (windowStart ?? now)) / 1e9
        // From a cold start, aiperf's figure: the requests over their span.
        let throughput = coldStart ? (seconds > 0 ? Double(latency.count) / seconds : 0)
            : cycles > 0 ? Double(concurrency) * Double(latency.count) / cycles : 0
        return EngineSimulationResult(
            ttftMs: LatencySummary(ttft), itlMs: LatencySummary(itl), latencyMs: LatencySummary(latency),
            requestThroughput: throughput, outputTokenThroughput: throughput * Double(outputTokens),
            requests: latency.count, durationSeconds: seconds, simulatedSeconds: Double(now) / 1e9,
            steps: engine.steps, preemptions: engine.preemptions, refusals: refusals)
    }
}
