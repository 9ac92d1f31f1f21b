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
    /// Measured requests per second: their count over the time from the first one's
    /// submission to the last one's end (GenAI-Perf's benchmark duration).
    public var requestThroughput: Double
    /// Output tokens of the measured requests per second, over the same duration.
    public var outputTokenThroughput: Double
    /// Requests measured (the warm-up excluded).
    public var requests: Int
    /// The measured duration, seconds of virtual time.
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

/// Why a simulation cannot run.
public struct EngineSimulationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A closed-loop benchmark in virtual time, as GenAI-Perf's and aiperf's concurrency mode
/// runs one: `concurrency` users, each sending a request of `inputTokens` prompt tokens and
/// `outputTokens` generated tokens (fixed lengths, as with `ignore_eos`) and the next as soon
/// as the previous one ends (no think time). All users start at time 0, as those tools
/// start their workers. The first request of every user is warm-up, not measured (it meets
/// an empty engine and a synchronized start); the next `requests` submissions are measured,
/// and users keep sending (unmeasured) requests until the last measured one ends, so the
/// load stays at `concurrency` throughout. Deterministic: no randomness anywhere.
public struct EngineSimulation: Sendable {
    public var profile: EngineProfile
    public var concurrency: Int
    public var inputTokens: Int
    public var outputTokens: Int
    /// Measured requests; nil: `defaultRequests(concurrency:)`.
    public var requests: Int?

    public init(profile: EngineProfile, concurrency: Int, inputTokens: Int, outputTokens: Int, requests: Int? = nil) {
        self.profile = profile
        self.concurrency = concurrency
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.requests = requests
    }

    /// 50 requests per user, at least 200. Throughput is measured from the first measured
    /// submission to the last measured end; at both edges of that window some users are
    /// running requests that are not measured, at most one request latency each, so the bias
    /// is about concurrency / requests: 2 % at 50 per user.
    public static func defaultRequests(concurrency: Int) -> Int {
        max(50 * concurrency, 200)
    }

    public func run() throws(EngineSimulationError) -> EngineSimulationResult {
        if let problem = profile.problem { throw EngineSimulationError("the profile: \(problem)") }
        guard concurrency >= 1 else { throw EngineSimulationError("concurrency must be >= 1, not \(concurrency)") }
        guard inputTokens >= 1 else { throw EngineSimulationError("input tokens must be >= 1, not \(inputTokens)") }
        guard outputTokens >= 1 else { throw EngineSimulationError("output tokens must be >= 1, not \(outputTokens)") }
        let measured = requests ?? Self.defaultRequests(concurrency: concurrency)
        guard measured >= 1 else { throw EngineSimulationError("requests must be >= 1, not \(measured)") }

        var engine = Engine(profile: profile)
        let firstMeasured = concurrency
        let endMeasured = concurrency + measured
        // Per submission id: when it was sent, got its first token, ended (nanoseconds).
        var sent: [UInt64] = []
        var first: [UInt64] = []
        var ended: [UInt64] = []
        sent.reserveCapacity(endMeasured + concurrency)
        first.reserveCapacity(endMeasured + concurrency)
        ended.reserveCapacity(endMeasured + concurrency)
        var now: UInt64 = 0
        var retry: [Int] = []   // users whose submission was refused, in order
        var refusals = 0
        var measuredLeft = measured

        func send(at time: UInt64) -> Bool {
            let id = sent.count
            let request = EngineRequest(id: id, promptTokens: inputTokens, outputTokens: outputTokens)
            switch engine.submit(request) {
            case .accepted:
                sent.append(time)
                first.append(0)
                ended.append(0)
                return true
            case .refused:
                refusals += 1
                return false
            case .exceedsCapacity:
                return false
            }
        }

        let probe = EngineRequest(id: 0, promptTokens: inputTokens, outputTokens: outputTokens)
        if (probe.promptTokens + probe.outputTokens - 1 + profile.blockSize - 1) / profile.blockSize > profile.kvCacheBlocks {
            throw EngineSimulationError(
                "a request of \(inputTokens) + \(outputTokens) tokens does not fit in a KV cache of \(profile.kvCacheTokens) tokens")
        }
        for _ in 0..<concurrency where !send(at: 0) { retry.append(0) }

        while measuredLeft > 0 {
            guard let step = engine.nextStep() else {
                // Idle with users refused: the queue is empty now, send again.
                if retry.isEmpty { break }
                let waitingUsers = retry.count
                retry.removeAll()
                for _ in 0..<waitingUsers where !send(at: now) { retry.append(0) }
                continue
            }
            now += step.durationNanoseconds
            var freed = retry.count
            retry.removeAll(keepingCapacity: true)
            for output in step.outputs {
                if output.isFirst { first[output.id] = now }
                if output.isLast {
                    ended[output.id] = now
                    if output.id >= firstMeasured && output.id < endMeasured { measuredLeft -= 1 }
                    freed += 1
                }
            }
            if measuredLeft == 0 { break }
            for _ in 0..<freed where !send(at: now) { retry.append(0) }
        }

        var ttft: [Double] = []
        var itl: [Double] = []
        var latency: [Double] = []
        ttft.reserveCapacity(measured)
        itl.reserveCapacity(measured)
        latency.reserveCapacity(measured)
        var start = UInt64.max
        var end: UInt64 = 0
        for id in firstMeasured..<min(endMeasured, sent.count) {
            let firstMs = Double(first[id] - sent[id]) / 1_000_000
            let totalMs = Double(ended[id] - sent[id]) / 1_000_000
            ttft.append(firstMs)
            latency.append(totalMs)
            if outputTokens > 1 { itl.append((totalMs - firstMs) / Double(outputTokens - 1)) }
            start = min(start, sent[id])
            end = max(end, ended[id])
        }
        let seconds = end > start ? Double(end - start) / 1e9 : 0
        let count = latency.count
        return EngineSimulationResult(
            ttftMs: LatencySummary(ttft), itlMs: LatencySummary(itl), latencyMs: LatencySummary(latency),
            requestThroughput: seconds > 0 ? Double(count) / seconds : 0,
            outputTokenThroughput: seconds > 0 ? Double(count * outputTokens) / seconds : 0,
            requests: count, durationSeconds: seconds, simulatedSeconds: Double(now) / 1e9,
            steps: engine.steps, preemptions: engine.preemptions, refusals: refusals)
    }
}
