#if canImport(Glibc)
import Glibc
#endif

/// Fits an engine profile to measured benchmark points: the four step-cost coefficients, and
/// the KV cache's capacity when the data show it binding; the scheduler limits that the data
/// cannot show are fixed (options, vLLM's defaults otherwise).
///
/// What is fitted, and why:
/// - The cost model (`base_ms`, `per_sequence_ms`, `per_prefill_token_ms`,
///   `per_context_token_ms`) always: together they set TTFT at low load (prefill), ITL at every
///   load (decode steps and the prefills that interleave with them) and so throughput.
/// - `kv_cache_tokens` only when some point is saturated by it: by Little's law a point keeps
///   `running ≈ request_throughput · (output_tokens − 1) · ITL` requests in the engine; when
///   that is well below the concurrency (and below `max_num_seqs`), requests queue for KV
///   blocks, and the capacity is what the fit must find. When no point saturates, the data say
///   nothing about the capacity beyond "at least what the points used", so it is fixed (option
///   `kvCacheTokens`, or twice the largest the points need) and reported as not identified.
/// - `max_num_batched_tokens` (unless given): benchmark clients start their users together,
///   so with fixed lengths the users' prompts arrive in waves (the tables show it: TTFT at 5
///   users is 3.7 to 3.8 times TTFT at 1 user for 2,000- and 7,000-token prompts), and the
///   step's token budget decides how long a wave waits for its prefill. Fitting it took the
///   held-out share of the 70B table from 22 % to 70 % (docs/LOAD-SIMULATION.md, "Fitting
///   your deployment"). The simulation starts users together accordingly
///   (`EngineFitOptions.staggered`).
/// - `kv_admission` and `prefill` (`EngineFitOptions.kvAdmission`, `.prefill`): one fit per
///   pair of modes; `mockllm engine fit` runs the four (on_demand or reserve_output, chunked or
///   whole) and keeps the lower loss.
/// - `max_num_seqs`, `block_size`, preemption: fixed. Benchmarks rarely exceed `max_num_seqs`
///   (256 in vLLM and TensorRT-LLM), and the block size only rounds the KV cache's use.
///
/// The error is the sum over points of a Huber loss of the log ratios predicted/measured of
/// mean TTFT, mean ITL and request throughput (a log ratio treats 2× too slow and 2× too fast
/// alike, and Huber keeps one wild point from dragging the rest), minimised by Nelder–Mead in
/// log space (coefficients stay positive; a coefficient and ten times it are one step apart)
/// from a start solved in closed form, then restarted until it stops improving.
public enum EngineFit {
    /// Predicts mean TTFT, ITL and request throughput of each point for a profile.
    public typealias Predictor = @Sendable (EngineProfile, [EngineBenchmarkPoint]) -> [EnginePrediction]

    /// Fits `points` (at least two); deterministic.
    public static func fit(
        _ points: [EngineBenchmarkPoint], options: EngineFitOptions = EngineFitOptions(),
        startingFrom known: [EngineProfile] = [], predictor: Predictor? = nil
    ) -> EngineFitResult {
        precondition(!points.isEmpty)
        let predict = predictor ?? { profile, points in simulate(profile, points, options: options) }

        // Little's law: requests in the engine, and whether the KV cache held them back.
        let maxNeed = points.map { $0.concurrency * ($0.inputTokens + $0.outputTokens) }.max()!
        var saturatedUse = 0
        for p in points {
            let running = p.requestThroughput * Double(p.outputTokens - 1) * p.itlMs / 1000
            let limit = Double(min(p.concurrency, options.maxNumSeqs))
            if running < options.saturationShare * limit {
                saturatedUse = max(saturatedUse, Int(running * Double(p.inputTokens + p.outputTokens)))
            }
        }
        let fitKV = options.kvCacheTokens == nil && saturatedUse > 0
        let fixedKV = options.kvCacheTokens ?? max(2 * maxNeed, options.blockSize * 64)

        let start = initialCost(points, maxNumSeqs: options.maxNumSeqs)
        let floors = [1e-3, 1e-6, 1e-7, 1e-9]
        var x0 = zip(start.coefficients, floors).map { log(max($0, $1 * 10)) }
        if fitKV { x0.append(log(Double(max(saturatedUse, options.blockSize * 16)))) }
        // The step's token budget sets how long a wave of prompts queues for its prefill.
        let budgetIndex = x0.count
        // Whole prompts must fit the budget (a larger prompt could never run).
        let largestPrompt = options.prefill == .whole ? points.map(\.inputTokens).max()! : 0
        let minimumBudget = Double(max(options.maxNumSeqs, 256, largestPrompt))
        if options.fitBatchedTokens { x0.append(log(Double(max(options.maxNumBatchedTokens, Int(minimumBudget))))) }
        // A prefill's attention priced apart from a decode's (`perPrefillContextTokenMs`),
        // starting from the shared price.
        let prefillContextIndex = x0.count
        if options.fitPrefillContext { x0.append(x0[3]) }
        // A roofline (`EngineCostModel.memoryMs`): the weights' read leaves the base for the
        // memory term, starting from most of it (the rest, launches and scheduling, stays).
        let memoryIndex = x0.count
        if options.roofline {
            x0.append(log(max(start.baseMs * Self.memoryShare, floors[0] * 10)))
            x0[0] = log(max(start.baseMs * (1 - Self.memoryShare), floors[0] * 10))
        }

        // The longest decode's context (`perLongestContextTokenMs`), from the rise of ITL with
        // the context at each shape's lowest load beyond what the total context's price gives.
        let longestIndex = x0.count
        if options.fitLongestContext {
            x0.append(log(max(initialLongestContext(points) - start.perContextTokenMs, 0) + floors[3] * 10))
        }
        // The front end's time per request (`EngineProfile.frontEndMs`), which spreads a wave
        // of prompts over the steps, from a start of 0.2 ms.
        let frontEndIndex = x0.count
        if options.fitFrontEnd { x0.append(log(0.2 + floors[0])) }

        func profile(_ x: [Double]) -> EngineProfile {
            let c = (0..<4).map { max(exp(x[$0]), floors[$0]) - floors[$0] }
            let kv = fitKV ? Int(exp(min(x[4], 40)).rounded()) : fixedKV
            let budget = options.fitBatchedTokens
                ? Int(min(max(exp(x[budgetIndex]), minimumBudget), 1_048_576).rounded()) : options.maxNumBatchedTokens
            var fitted = EngineProfile(
                maxNumSeqs: options.maxNumSeqs, maxNumBatchedTokens: budget,
                kvCacheTokens: max(kv, options.blockSize), blockSize: options.blockSize,
                preemption: options.preemption, prefixCaching: false, kvAdmission: options.kvAdmission,
                prefill: options.prefill,
                cost: EngineCostModel(
                    baseMs: c[0], perSequenceMs: c[1], perPrefillTokenMs: c[2], perContextTokenMs: c[3],
                    perPrefillContextTokenMs: options.fitPrefillContext
                        ? max(exp(x[prefillContextIndex]), floors[3]) - floors[3] : nil,
                    memoryMs: options.roofline ? max(exp(x[memoryIndex]), floors[0]) - floors[0] : nil,
                    perLongestContextTokenMs: options.fitLongestContext
                        ? max(exp(x[longestIndex]), floors[3]) - floors[3] : nil))
            fitted.frontEndMs = options.fitFrontEnd ? max(exp(x[frontEndIndex]), floors[0]) - floors[0] : options.frontEndMs
            return fitted
        }
        func loss(_ x: [Double]) -> Double {
            let candidate = profile(x)
            return totalLoss(points, predict(candidate, points), delta: options.huberDelta)
        }

        // Two starts: the closed-form one, and the same without attention cost (all of the
        // prompt's cost per token), since the contract's one context coefficient prices a
        // prefill's token pairs and a decode's context alike and the data often want one or
        // the other; the better of the two short searches goes on.
        var starts = [x0]
        var linear = x0
        linear[2] = log(max(initialPrefillPerToken(points), floors[2] * 10))
        // With the prefill's attention priced apart, only it is zeroed: the decodes keep theirs.
        linear[options.fitPrefillContext ? prefillContextIndex : 3] = log(floors[3] * 10)
        starts.append(linear)
        // More starts from profiles already fitted (other modes'): with whole prompts and a
        // budget above every prompt, one user sees what it saw, so its optimum is a good place
        // to begin, where the closed-form start can lead the search far astray; and a roofline
        // starts from the sum's optimum (its base split into overhead and weights' read).
        for known in known {
            let c = known.cost.coefficients
            var x = (0..<4).map { log(c[$0] + floors[$0]) }
            // A roofline's memory term is part of a sum's base.
            if !options.roofline, let memory = known.cost.memoryMs { x[0] = log(c[0] + memory + floors[0]) }
            if fitKV { x.append(log(Double(max(known.kvCacheTokens, options.blockSize)))) }
            if options.fitBatchedTokens { x.append(log(max(Double(known.maxNumBatchedTokens), minimumBudget))) }
            if options.fitPrefillContext { x.append(log((known.cost.perPrefillContextTokenMs ?? c[3]) + floors[3])) }
            if options.roofline {
                // A sum's base holds the weights' read a roofline puts in its memory term.
                let memory = known.cost.memoryMs ?? c[0] * Self.memoryShare
                let base = known.cost.memoryMs == nil ? c[0] * (1 - Self.memoryShare) : c[0]
                x[0] = log(base + floors[0])
                x.append(log(memory + floors[0]))
            }
            if options.fitLongestContext { x.append(log((known.cost.perLongestContextTokenMs ?? 0) + floors[3] * 10)) }
            if options.fitFrontEnd { x.append(log(max(known.frontEndMs, 0.2) + floors[0])) }
            starts.append(x)
        }
        var evaluations = 0
        var best = NelderMead.Result(point: x0, value: .infinity, evaluations: 0)
        for start in starts {
            let run = NelderMead(maxEvaluations: options.maxEvaluations / 2).minimize(
                start: start, step: [Double](repeating: 0.7, count: x0.count), loss)
            evaluations += run.evaluations
            if run.value < best.value { best = run }
        }
        let first = NelderMead(maxEvaluations: options.maxEvaluations / 2).minimize(
            start: best.point, step: [Double](repeating: 0.5, count: x0.count), loss)
        evaluations += first.evaluations
        if first.value < best.value { best = first }
        // Restart from the best point with a fresh, smaller simplex: a collapsed simplex can
        // stop short of the minimum.
        for round in 0..<options.restarts {
            let step = 0.35 / Double(round + 1)
            let next = NelderMead(maxEvaluations: options.maxEvaluations / 2).minimize(
                start: best.point, step: [Double](repeating: step, count: x0.count), loss)
            evaluations += next.evaluations
            let improved = next.value < best.value - 1e-6
            if next.value < best.value { best = next }
            if !improved { break }
        }

        let fitted = profile(best.point)
        let predictions = predict(fitted, points)
        let results = zip(points, predictions).map { EngineFitPointResult(measured: $0, predicted: $1) }
        return EngineFitResult(
            profile: fitted, points: results, loss: best.value, kvCacheFitted: fitKV,
            batchedTokensFitted: options.fitBatchedTokens, frontEndFitted: options.fitFrontEnd, evaluations: evaluations)
    }

    /// The share of a sum's `baseMs` a roofline fit starts its `memoryMs` from: a decode step
    /// at one user is mostly the weights' read (an 8B model in FP8 on an H100: about 2.4 of the
    /// 5.1 ms of Tests/Engine/data's ITL at one user; the rest is launches and scheduling, which
    /// the search apportions).
    static let memoryShare = 0.6

    /// Predicts every point by simulating it: `EngineSimulation` with `requestsPerUser` measured
    /// requests per user (at least `minimumRequests`). The throughput predicted is the
    /// simulation's, Little's law over the measured requests' cycles: in a closed loop that is
    /// the steady state, and the tables fitted agree (GenAI-Perf's request throughput × mean
    /// latency / concurrency is 0.99–1.00 of the concurrency below saturation in
    /// Tests/Engine/data). A profile that cannot run a point (a request larger than the KV
    /// cache) predicts infinities, an infinite error.
    public static func simulate(
        _ profile: EngineProfile, _ points: [EngineBenchmarkPoint], options: EngineFitOptions
    ) -> [EnginePrediction] {
        points.map { p in
            var simulation = EngineSimulation(
                profile: profile, concurrency: p.concurrency, inputTokens: p.inputTokens, outputTokens: p.outputTokens,
                requests: p.coldStartRequests ?? max(options.requestsPerUser * p.concurrency, options.minimumRequests))
            simulation.staggered = options.staggered
            simulation.clientGapMs = options.clientGapMs
            // A point measured from a cold start (aiperf's) is simulated as it was measured.
            simulation.coldStart = p.coldStartRequests != nil
            guard let result = try? simulation.run(), result.latencyMs.mean > 0 else {
                return EnginePrediction(ttftMs: .infinity, itlMs: .infinity, requestThroughput: 0)
            }
            return EnginePrediction(
                ttftMs: result.ttftMs.mean, itlMs: result.itlMs.mean,
                requestThroughput: result.requestThroughput)
        }
    }

    /// How fast ITL grows with the context at each shape's lowest concurrency: the
    /// least-squares slope of ITL against the average context I + O/2 (0 with one context).
    static func initialLongestContext(_ points: [EngineBenchmarkPoint]) -> Double {
        lowLoadSlope(points, x: { Double($0.inputTokens) + Double($0.outputTokens) / 2 }, y: \.itlMs)
    }

    /// The prompt cost per token when TTFT at the lowest concurrency of each shape is linear in
    /// the prompt's length: the least-squares slope over the shapes (0 with one prompt length).
    static func initialPrefillPerToken(_ points: [EngineBenchmarkPoint]) -> Double {
        lowLoadSlope(points, x: { Double($0.inputTokens) }, y: \.ttftMs)
    }

    /// The least-squares slope of `y` against `x` over each shape's lowest-concurrency point,
    /// at least 0 (0 when `x` does not vary).
    static func lowLoadSlope(_ points: [EngineBenchmarkPoint], x: (EngineBenchmarkPoint) -> Double,
                             y: (EngineBenchmarkPoint) -> Double) -> Double {
        let lowest = Dictionary(grouping: points, by: \.shape).values.map { $0.min { $0.concurrency < $1.concurrency }! }
        let n = Double(lowest.count)
        let mx = lowest.reduce(0) { $0 + x($1) } / n
        let my = lowest.reduce(0) { $0 + y($1) } / n
        var sxy = 0.0, sxx = 0.0
        for p in lowest {
            sxy += (x(p) - mx) * (y(p) - my)
            sxx += (x(p) - mx) * (x(p) - mx)
        }
        return sxx > 0 ? max(sxy / sxx, 0) : 0
    }

    /// The sum over points of the Huber losses of the three log ratios.
    public static func totalLoss(_ points: [EngineBenchmarkPoint], _ predictions: [EnginePrediction], delta: Double) -> Double {
        var total = 0.0
        for (m, p) in zip(points, predictions) {
            for r in [p.ttftMs / m.ttftMs, p.itlMs / m.itlMs, p.requestThroughput / m.requestThroughput] {
                guard r > 0, r.isFinite else { return .infinity }
                let e = abs(log(r))
                total += e <= delta ? 0.5 * e * e : delta * (e - 0.5 * delta)
            }
        }
        return total
    }

    /// A start for the search, from a steady-state approximation that is linear in the four
    /// coefficients, solved by non-negative least squares on relative errors. With S requests
    /// running, a prompt of I tokens and O output tokens, an average step holds S decodes at an
    /// average context of I + O/2 and, since each request starts once per O steps, S·I/O
    /// prefill tokens:
    ///
    ///     ITL  ≈ a + b·S + c·S·I/O + d·S·(I + O/2 + I²/(2·O))
    ///     TTFT ≈ a + b + c·I + d·I²/2          (at the lowest concurrency of a shape)
    static func initialCost(_ points: [EngineBenchmarkPoint], maxNumSeqs: Int) -> EngineCostModel {
        var rows: [[Double]] = []
        let lowest = Dictionary(grouping: points, by: \.shape).mapValues { $0.min { $0.concurrency < $1.concurrency }! }
        for p in points {
            let i = Double(p.inputTokens), o = Double(p.outputTokens)
            let running = min(
                Double(min(p.concurrency, maxNumSeqs)), p.requestThroughput * (o - 1) * p.itlMs / 1000)
            let s = max(running, 1)
            rows.append([1, s, s * i / o, s * (i + o / 2 + i * i / (2 * o))].map { $0 / p.itlMs })
            if lowest[p.shape]!.concurrency == p.concurrency {
                rows.append([1, 1, i, i * (i + 1) / 2].map { $0 / p.ttftMs })
            }
        }
        let c = nonNegativeLeastSquares(rows: rows, target: [Double](repeating: 1, count: rows.count))
        return EngineCostModel(baseMs: c[0], perSequenceMs: c[1], perPrefillTokenMs: c[2], perContextTokenMs: c[3])
    }

    /// Minimises |A·x − y|² over x ≥ 0 by trying every set of free variables (2⁴ − 1 for the
    /// four coefficients) and keeping the best feasible one.
    static func nonNegativeLeastSquares(rows: [[Double]], target: [Double]) -> [Double] {
        let n = rows.first?.count ?? 0
        var best = [Double](repeating: 0, count: n)
        var bestResidual = Double.infinity
        for mask in 1..<(1 << n) {
            let free = (0..<n).filter { mask & (1 << $0) != 0 }
            // Normal equations on the free columns, scaled so each column has unit norm.
            var scale = [Double](repeating: 0, count: free.count)
            for (k, j) in free.enumerated() {
                scale[k] = rows.reduce(0) { $0 + $1[j] * $1[j] }.squareRoot()
            }
            if scale.contains(where: { $0 == 0 }) { continue }
            var m = [[Double]](repeating: [Double](repeating: 0, count: free.count + 1), count: free.count)
            for (r, row) in rows.enumerated() {
                for (k, j) in free.enumerated() {
                    for (l, jj) in free.enumerated() { m[k][l] += row[j] / scale[k] * row[jj] / scale[l] }
                    m[k][free.count] += row[j] / scale[k] * target[r]
                }
            }
            guard let solution = solve(m) else { continue }
            var x = [Double](repeating: 0, count: n)
            for (k, j) in free.enumerated() { x[j] = solution[k] / scale[k] }
            if x.contains(where: { $0 < 0 || !$0.isFinite }) { continue }
            var residual = 0.0
            for (r, row) in rows.enumerated() {
                let e = zip(row, x).reduce(0) { $0 + $1.0 * $1.1 } - target[r]
                residual += e * e
            }
            if residual < bestResidual {
                bestResidual = residual
                best = x
            }
        }
        return best
    }

    /// Gaussian elimination with partial pivoting of an augmented n×(n+1) matrix.
    static func solve(_ matrix: [[Double]]) -> [Double]? {
        var a = matrix
        let n = a.count
        for col in 0..<n {
            let pivot = (col..<n).max { abs(a[$0][col]) < abs(a[$1][col]) }!
            if abs(a[pivot][col]) < 1e-12 { return nil }
            a.swapAt(col, pivot)
            for row in 0..<n where row != col {
                let f = a[row][col] / a[col][col]
                if f == 0 { continue }
                for k in col...n { a[row][k] -= f * a[col][k] }
            }
        }
        return (0..<n).map { a[$0][n] / a[$0][$0] }
    }
}

/// What a fit may change and what it keeps.
public struct EngineFitOptions: Sendable, Equatable {
    public var maxNumSeqs = 256
    public var maxNumBatchedTokens = 8192
    /// Fit `max_num_batched_tokens` too (from `maxNumBatchedTokens`): it sets how long the
    /// prompts of a wave of users queue for their prefill, which TTFT under load shows.
    public var fitBatchedTokens = true
    public var blockSize = 16
    public var preemption: EnginePreemption = .recompute
    /// When a request takes its KV blocks. `engine fit` fits once with each and keeps the
    /// better (the data tell: reserving the output lets fewer long requests run at once).
    public var kvAdmission: EngineKVAdmission = .onDemand
    /// How prompts are prefilled (vLLM: chunked; TensorRT-LLM without chunked context: whole).
    /// `engine fit` fits with each and keeps the better.
    public var prefill: EnginePrefill = .chunked
    /// Fit `per_prefill_context_token_ms` apart from `per_context_token_ms` (a prefill's
    /// attention is compute-bound, a decode's memory-bound).
    public var fitPrefillContext = true
    /// Fit a roofline step (`EngineCostModel.memoryMs`: memory-bound and compute-bound terms,
    /// the step the longer of the two) instead of the contract's sum. `engine fit` fits both
    /// and keeps the lower loss on the points it is given.
    public var roofline = false
    /// Fit `per_longest_context_token_ms` (`EngineCostModel.perLongestContextTokenMs`).
    public var fitLongestContext = true
    /// Fit the front end's time per request (`EngineProfile.frontEndMs`), or keep `frontEndMs`.
    public var fitFrontEnd = true
    public var frontEndMs = 0.0
    /// The KV cache's capacity when known (e.g. from vLLM's log "GPU KV cache size: N tokens");
    /// nil: fitted when the data show it, else twice what the points need.
    public var kvCacheTokens: Int?
    /// Function evaluations of the first search (each simulates every point).
    public var maxEvaluations = 160
    /// Searches restarted from the best point, while they improve.
    public var restarts = 1
    /// Huber's threshold on |log ratio| (0.2: about 22 %).
    public var huberDelta = 0.2
    /// A point whose requests in the engine (Little's law) are below this share of its
    /// concurrency is saturated by the KV cache.
    public var saturationShare = 0.8
    /// Requests simulated per point: `requestsPerUser` per user, at least `minimumRequests`.
    public var requestsPerUser = 1
    /// Simulate with users started staggered (`EngineSimulation.staggered`) or together, as the
    /// benchmark clients start them (the default: the tables show their lockstep).
    public var staggered = false
    /// The client's gap simulated (`EngineSimulation.clientGapMs`): a fast client's, as the
    /// tables' GenAI-Perf (C++ perf_analyzer) was.
    public var clientGapMs = EngineSimulation.typicalClientGapMs
    public var minimumRequests = 16

    public init() {}
}

/// Mean TTFT and ITL (milliseconds) and request throughput (per second) of one point.
public struct EnginePrediction: Sendable, Equatable {
    public var ttftMs: Double
    public var itlMs: Double
    public var requestThroughput: Double

    public init(ttftMs: Double, itlMs: Double, requestThroughput: Double) {
        self.ttftMs = ttftMs
        self.itlMs = itlMs
        self.requestThroughput = requestThroughput
    }
}

/// One point, measured and predicted.
public struct EngineFitPointResult: Sendable {
    public var measured: EngineBenchmarkPoint
    public var predicted: EnginePrediction

    public init(measured: EngineBenchmarkPoint, predicted: EnginePrediction) {
        self.measured = measured
        self.predicted = predicted
    }

    /// Relative errors, predicted / measured − 1.
    public var ttftError: Double { predicted.ttftMs / measured.ttftMs - 1 }
    public var itlError: Double { predicted.itlMs / measured.itlMs - 1 }
    public var throughputError: Double { predicted.requestThroughput / measured.requestThroughput - 1 }

    /// All three within `tolerance` (0.25: the acceptance test's 25 %).
    public func within(_ tolerance: Double) -> Bool {
        abs(ttftError) <= tolerance && abs(itlError) <= tolerance && abs(throughputError) <= tolerance
    }
}

public struct EngineFitResult: Sendable {
    public var profile: EngineProfile
    public var points: [EngineFitPointResult]
    /// The minimised error (sum of Huber losses of log ratios).
    public var loss: Double
    /// Whether the KV cache's capacity was fitted (some point saturated it) or fixed.
    public var kvCacheFitted: Bool
    /// Whether `max_num_batched_tokens` was fitted or fixed.
    public var batchedTokensFitted: Bool
    /// Whether `front_end_ms` was fitted or fixed.
    public var frontEndFitted: Bool = true
    public var evaluations: Int
}
