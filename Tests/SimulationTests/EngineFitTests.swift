@testable import MockLLMSimulation
import Testing

/// The fitter: its optimizer, its closed-form start, and a fit that recovers a profile from
/// points the engine itself produced.
@Suite("Engine fit")
struct EngineFitTests {
    /// Benchmark points at `concurrencies` users of each (input, output) shape, "measured" by
    /// simulating `truth`: what a fit must recover.
    static func measured(by truth: EngineProfile, shapes: [(Int, Int)], concurrencies: [Int] = [1, 4, 12],
                         options: EngineFitOptions) -> [EngineBenchmarkPoint] {
        var points: [EngineBenchmarkPoint] = []
        for (input, output) in shapes {
            for concurrency in concurrencies {
                points.append(EngineBenchmarkPoint(
                    concurrency: concurrency, inputTokens: input, outputTokens: output, ttftMs: 1, itlMs: 1, requestThroughput: 1))
            }
        }
        for (i, m) in EngineFit.simulate(truth, points, options: options).enumerated() {
            points[i].ttftMs = m.ttftMs
            points[i].itlMs = m.itlMs
            points[i].requestThroughput = m.requestThroughput
        }
        return points
    }

    /// Options of a fit that must recover a profile: its scheduler limits fixed (the budget too),
    /// searches long enough to converge.
    static func recovering(maxNumSeqs: Int, budget: Int) -> EngineFitOptions {
        var options = EngineFitOptions()
        options.maxNumSeqs = maxNumSeqs
        options.maxNumBatchedTokens = budget
        options.maxEvaluations = 400
        options.restarts = 2
        options.fitBatchedTokens = false
        // The terms a test's truth has none of stay out, unless the test fits them.
        options.fitFrontEnd = false
        options.fitLongestContext = false
        // Points simulated exactly, without the client's random gap: what is tested is the
        // search, on a loss without the gaps' jitter.
        options.clientGapMs = 0
        return options
    }

    /// A point from an aiperf export is predicted as aiperf measured it: from a cold start, its
    /// request count; a CSV's in the steady state.
    @Test func aColdStartPointIsSimulatedAsMeasured() throws {
        let profile = EngineProfile(
            maxNumSeqs: 64, maxNumBatchedTokens: 4096, kvCacheTokens: 100_000, prefixCaching: false,
            cost: EngineCostModel(baseMs: 5, perSequenceMs: 0.05, perPrefillTokenMs: 0.02, perContextTokenMs: 0.0002))
        var point = EngineBenchmarkPoint(concurrency: 16, inputTokens: 1000, outputTokens: 20, ttftMs: 1, itlMs: 1,
                                         requestThroughput: 1)
        let steady = EngineFit.simulate(profile, [point], options: EngineFitOptions())[0]
        point.coldStartRequests = 32
        let cold = EngineFit.simulate(profile, [point], options: EngineFitOptions())[0]
        var simulation = EngineSimulation(profile: profile, concurrency: 16, inputTokens: 1000, outputTokens: 20,
                                          requests: 32)
        simulation.staggered = false
        simulation.coldStart = true
        simulation.clientGapMs = EngineSimulation.typicalClientGapMs
        let expected = try simulation.run()
        #expect(cold == EnginePrediction(ttftMs: expected.ttftMs.mean, itlMs: expected.itlMs.mean,
                                         requestThroughput: expected.requestThroughput))
        #expect(cold != steady)
    }

    @Test func nelderMeadFindsTheMinimumOfRosenbrocksValley() {
        let result = NelderMead(maxEvaluations: 2000, valueTolerance: 1e-12, pointTolerance: 1e-8).minimize(
            start: [-1.2, 1], step: [0.5, 0.5]
        ) { x in
            let a = 1 - x[0], b = x[1] - x[0] * x[0]
            return a * a + 100 * b * b
        }
        #expect(abs(result.point[0] - 1) < 1e-3 && abs(result.point[1] - 1) < 1e-3, "\(result.point)")
        #expect(result.evaluations <= 2000)
        // Deterministic: the same start takes the same path.
        let again = NelderMead(maxEvaluations: 2000, valueTolerance: 1e-12, pointTolerance: 1e-8).minimize(
            start: [-1.2, 1], step: [0.5, 0.5]
        ) { x in
            let a = 1 - x[0], b = x[1] - x[0] * x[0]
            return a * a + 100 * b * b
        }
        #expect(again.point == result.point && again.evaluations == result.evaluations)
    }

    @Test func nonNegativeLeastSquaresKeepsCoefficientsAtZeroWhenTheDataPushBelow() {
        // y = 2 + 3·x exactly: both free.
        let rows = (0..<5).map { [1.0, Double($0)] }
        let exact = EngineFit.nonNegativeLeastSquares(rows: rows, target: rows.map { 2 + 3 * $0[1] })
        #expect(abs(exact[0] - 2) < 1e-9 && abs(exact[1] - 3) < 1e-9)
        // y = 5 − x: the slope would be negative, so it is 0 and the intercept the mean.
        let clipped = EngineFit.nonNegativeLeastSquares(rows: rows, target: rows.map { 5 - $0[1] })
        #expect(clipped[1] == 0 && abs(clipped[0] - 3) < 1e-9)
    }

    @Test func theLossIsZeroForPerfectPredictionsAndSymmetricInLogRatio() {
        let point = EngineBenchmarkPoint(concurrency: 1, inputTokens: 10, outputTokens: 10, ttftMs: 10, itlMs: 2, requestThroughput: 5)
        let exact = EnginePrediction(ttftMs: 10, itlMs: 2, requestThroughput: 5)
        #expect(EngineFit.totalLoss([point], [exact], delta: 0.2) == 0)
        let slow = EnginePrediction(ttftMs: 20, itlMs: 2, requestThroughput: 5)
        let fast = EnginePrediction(ttftMs: 5, itlMs: 2, requestThroughput: 5)
        #expect(abs(EngineFit.totalLoss([point], [slow], delta: 0.2) - EngineFit.totalLoss([point], [fast], delta: 0.2)) < 1e-12)
        let broken = EnginePrediction(ttftMs: .infinity, itlMs: 2, requestThroughput: 5)
        #expect(EngineFit.totalLoss([point], [broken], delta: 0.2) == .infinity)
    }

    /// Points simulated from a known profile are fitted back to within a few per cent.
    @Test func aFitReproducesPointsTheEngineProduced() {
        let truth = EngineProfile(
            maxNumSeqs: 64, maxNumBatchedTokens: 1024, kvCacheTokens: 100_000, prefixCaching: false,
            cost: EngineCostModel(baseMs: 5, perSequenceMs: 0.05, perPrefillTokenMs: 0.02, perContextTokenMs: 0.0001))
        var options = Self.recovering(maxNumSeqs: 64, budget: 1024)
        options.fitPrefillContext = false   // the contract's four terms; the split is tested below
        let points = Self.measured(by: truth, shapes: [(64, 16), (512, 8)], options: options)
        let result = EngineFit.fit(points, options: options)
        // The coefficients come back, not only the predictions.
        for (fitted, true_) in zip(result.profile.cost.coefficients, truth.cost.coefficients) {
            #expect(abs(fitted / true_ - 1) < 0.02, "\(result.profile.cost)")
        }
        for point in result.points {
            #expect(abs(point.ttftError) < 0.1 && abs(point.itlError) < 0.05 && abs(point.throughputError) < 0.05,
                    "\(point.measured.shape) × \(point.measured.concurrency): \(point.predicted)")
        }
    }

    /// With whole prompts the fitted budget never drops below the largest prompt (a smaller one
    /// could not run it), and the profile keeps the mode.
    @Test func aWholePrefillFitKeepsTheBudgetAboveTheLargestPrompt() {
        let truth = EngineProfile(
            maxNumSeqs: 16, maxNumBatchedTokens: 600, kvCacheTokens: 100_000, prefixCaching: false, prefill: .whole,
            cost: EngineCostModel(baseMs: 5, perSequenceMs: 0.05, perPrefillTokenMs: 0.02, perContextTokenMs: 0.0001))
        var options = EngineFitOptions()
        options.maxNumSeqs = 16
        options.maxNumBatchedTokens = 16   // the start, below every prompt
        options.maxEvaluations = 60
        options.restarts = 0
        options.prefill = .whole
        let points = Self.measured(by: truth, shapes: [(64, 16), (512, 8)], concurrencies: [1, 6], options: options)
        let result = EngineFit.fit(points, options: options)
        #expect(result.profile.prefill == .whole && result.profile.maxNumBatchedTokens >= 512)
        #expect(result.loss.isFinite && result.points.allSatisfy { $0.predicted.ttftMs.isFinite })
    }

    /// A prefill's attention priced apart from a decode's is fitted back too: the truth prices
    /// a prefill's pairs 20 times cheaper than a decode's context, which one shared price
    /// could not reproduce.
    @Test func aFitFindsThePrefillsOwnAttentionPrice() throws {
        let truth = EngineProfile(
            maxNumSeqs: 64, maxNumBatchedTokens: 1024, kvCacheTokens: 100_000, prefixCaching: false,
            cost: EngineCostModel(baseMs: 5, perSequenceMs: 0.05, perPrefillTokenMs: 0.02, perContextTokenMs: 0.0002,
                                  perPrefillContextTokenMs: 0.00001))
        let options = Self.recovering(maxNumSeqs: 64, budget: 1024)
        let points = Self.measured(by: truth, shapes: [(64, 16), (1000, 8)], options: options)
        let result = EngineFit.fit(points, options: options)
        let fitted = try #require(result.profile.cost.perPrefillContextTokenMs)
        // The prompts' pairs pin the prefill's price (the decodes' short contexts leave theirs loose).
        #expect(abs(fitted / 0.00001 - 1) < 0.5, "\(result.profile.cost)")
        for point in result.points {
            #expect(abs(point.ttftError) < 0.1 && abs(point.itlError) < 0.05 && abs(point.throughputError) < 0.05,
                    "\(point.measured.shape) × \(point.measured.concurrency): \(point.predicted)")
        }
    }

    /// A roofline profile (decodes and short prompts memory-bound, long prompts compute-bound)
    /// is fitted back from points it produced, memory term included; and on those points the
    /// roofline fit beats the contract's sum, which is how `engine fit` chooses between them.
    @Test func aFitRecoversARooflineProfileAndBeatsTheSumOnIt() {
        let truth = EngineProfile(
            maxNumSeqs: 64, maxNumBatchedTokens: 2048, kvCacheTokens: 100_000, prefixCaching: false,
            cost: EngineCostModel(baseMs: 1, perSequenceMs: 0.05, perPrefillTokenMs: 0.02, perContextTokenMs: 0.0001,
                                  memoryMs: 4))
        var options = Self.recovering(maxNumSeqs: 64, budget: 2048)
        options.fitPrefillContext = false
        options.roofline = true
        // 64-token prompts (1.3 ms of compute, under the 4 ms memory floor) and 1000-token ones (20 ms).
        let points = Self.measured(by: truth, shapes: [(64, 16), (1000, 8)], options: options)
        let roofline = EngineFit.fit(points, options: options)
        let memory = roofline.profile.cost.memoryMs ?? 0
        #expect(abs(memory / 4 - 1) < 0.05, "\(roofline.profile.cost)")
        #expect(abs(roofline.profile.cost.perPrefillTokenMs / 0.02 - 1) < 0.05, "\(roofline.profile.cost)")
        for point in roofline.points {
            #expect(abs(point.ttftError) < 0.05 && abs(point.itlError) < 0.05 && abs(point.throughputError) < 0.05,
                    "\(point.measured.shape) × \(point.measured.concurrency): \(point.predicted)")
        }
        options.roofline = false
        let sum = EngineFit.fit(points, options: options)
        #expect(sum.profile.cost.memoryMs == nil)
        #expect(roofline.loss < sum.loss, "roofline \(roofline.loss), sum \(sum.loss)")
    }

    /// The front end's time and the longest decode's context price are fitted back from points
    /// of a profile that has both: the front end shows in TTFT under a wave of users, the
    /// longest context in ITL at one user growing with the context faster than at twelve.
    @Test func aFitRecoversTheFrontEndAndTheLongestContextsPrice() throws {
        var truth = EngineProfile(
            maxNumSeqs: 64, maxNumBatchedTokens: 4096, kvCacheTokens: 100_000, prefixCaching: false,
            cost: EngineCostModel(baseMs: 5, perSequenceMs: 0.05, perPrefillTokenMs: 0.02, perContextTokenMs: 0.0001,
                                  perLongestContextTokenMs: 0.001))
        truth.frontEndMs = 2
        var options = Self.recovering(maxNumSeqs: 64, budget: 4096)
        options.fitPrefillContext = false
        options.fitFrontEnd = true
        options.fitLongestContext = true
        options.maxEvaluations = 1200
        options.restarts = 4
        let points = Self.measured(by: truth, shapes: [(64, 16), (1500, 8)], concurrencies: [1, 4, 12, 32], options: options)
        let result = EngineFit.fit(points, options: options)
        let longest = try #require(result.profile.cost.perLongestContextTokenMs)
        #expect(abs(longest / 0.001 - 1) < 0.1, "\(result.profile.cost)")
        // The front end is looser: at one user it adds to TTFT as `base_ms` does, and only the
        // waves tell them apart, by how a wave's prompts fall on step boundaries (a loss with
        // steps in it, where the search stops near, not at, the truth).
        #expect(abs(result.profile.frontEndMs / 2 - 1) < 0.3, "\(result.profile.frontEndMs)")
        #expect(result.profile.frontEndMs > 1, "without the front end's term the fit finds none")
        for point in result.points {
            #expect(abs(point.ttftError) < 0.15 && abs(point.itlError) < 0.1 && abs(point.throughputError) < 0.1,
                    "\(point.measured.shape) × \(point.measured.concurrency): \(point.predicted) for \(point.measured)")
        }
    }

    @Test func trainingShapesParseAndTheInitialSlopeIsTheTTFTSlope() {
        let points = [(100, 10.0), (1100, 30.0)].map {
            EngineBenchmarkPoint(concurrency: 1, inputTokens: $0.0, outputTokens: 10, ttftMs: $0.1, itlMs: 1, requestThroughput: 1)
        }
        #expect(abs(EngineFit.initialPrefillPerToken(points) - 0.02) < 1e-12)
    }
}
