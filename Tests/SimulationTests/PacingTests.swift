@testable import MockLLMCore
@testable import MockLLMSimulation
import TestSupport
import Testing

@Suite("Pacing, chunking and randomness")
struct PacingTests {
    let ms: UInt64 = 1_000_000

    func delays(_ pacing: Pacing, _ text: String, promptTokens: Int = 0, seed: UInt64 = 1) -> [UInt64] {
        var schedule = StreamSchedule(pacing: pacing, promptTokens: promptTokens, random: SeededRandom(seed: seed))
        var chunks = TextChunks(text, chunking: pacing.chunking)
        var result: [UInt64] = []
        while let chunk = chunks.next() { result.append(schedule.delay(before: chunk)) }
        return result
    }

    @Test func nonStreamDelayIsTheOriginalsFormula() {
        let random = SeededRandom(seed: 1)
        let twenty = "12345678901234567890"
        #expect(Pacing.seedLag(factor: 10).replyDelay(text: twenty, promptTokens: 0, random: random) == 200 * ms)
        #expect(Pacing.seedLag(factor: 20).replyDelay(text: twenty, promptTokens: 0, random: random) == 100 * ms)
        #expect(Pacing.immediate.replyDelay(text: twenty, promptTokens: 0, random: random) == 0)
    }

    @Test func streamDelaysStayWithinHalfToOneAndAHalfBase() {
        let all = delays(.seedLag(factor: 10), String(repeating: "x", count: 10_000))
        #expect(all.allSatisfy { (5 * ms...15 * ms).contains($0) })
        let mean = Double(all.reduce(0, +)) / Double(all.count)
        #expect(abs(mean - 10_000_000) < 200_000)
    }

    @Test func aProfileWaitsTTFTPlusPrefillThenTheInterval() {
        let pacing = Pacing.profile(.init(timeToFirstToken: 300 * ms, prefillPerThousandTokens: 40 * ms, interval: .perChunk(25 * ms)))
        #expect(delays(pacing, "abcd", promptTokens: 2000) == [380 * ms, 25 * ms, 25 * ms, 25 * ms])
        #expect(pacing.replyDelay(text: "abcd", promptTokens: 2000, random: SeededRandom(seed: 1)) == 455 * ms)
    }

    @Test func tokensPerSecondSpacesChunksByTheirTokens() {
        let pacing = Pacing.profile(.init(interval: .tokensPerSecond(10)), chunking: .word)
        #expect(delays(pacing, "Hello capital phenomenon") == [0, 100 * ms, 200 * ms])
    }

    @Test func aSeedFixesTheJitteredSchedule() {
        for jitter in [Jitter.uniform(spread: 10 * ms), .normal(stddev: 5 * ms), .lognormal(sigma: 0.5)] {
            let pacing = Pacing.profile(.init(timeToFirstToken: 100 * ms, interval: .perChunk(20 * ms), jitter: jitter), seed: 7)
            let a = delays(pacing, String(repeating: "y", count: 200), seed: 1)
            let b = delays(pacing, String(repeating: "y", count: 200), seed: 1)
            let c = delays(pacing, String(repeating: "y", count: 200), seed: 2)
            #expect(a == b)
            #expect(a != c)
            #expect(Set(a).count > 50, "\(jitter) varies")
        }
    }

    @Test func jitterDistributionsHaveTheirShape() {
        var random = SeededRandom(seed: 3)
        let n = 20_000
        let uniform = (0..<n).map { _ in Jitter.uniform(spread: 10 * ms).apply(to: 20 * ms, using: &random) }
        #expect(uniform.allSatisfy { (10 * ms...30 * ms).contains($0) })
        let normal = (0..<n).map { _ in Double(Jitter.normal(stddev: 5 * ms).apply(to: 50 * ms, using: &random)) }
        let mean = normal.reduce(0, +) / Double(n)
        let sd = (normal.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)).squareRoot()
        #expect(abs(mean - 50e6) < 0.2e6 && abs(sd - 5e6) < 0.2e6)
        let lognormal = (0..<n).map { _ in Double(Jitter.lognormal(sigma: 0.5).apply(to: 40 * ms, using: &random)) }
        let logMean = lognormal.reduce(0, +) / Double(n)
        #expect(abs(logMean - 40e6) < 1.5e6, "mean preserved")
        #expect(lognormal.filter { $0 > 40e6 }.count < n / 2, "skewed right: the median is below the mean")
        #expect(Jitter.normal(stddev: 100 * ms).apply(to: 0, using: &random) < 1_000 * ms, "never negative (clamped to 0)")
    }

    @Test func hugeJitterSamplesAreHeldAtTheLongestDelay() {
        var random = SeededRandom(seed: 11)
        let samples = (0..<20_000).map { _ in Jitter.lognormal(sigma: 5).apply(to: Pacing.maximumDelay, using: &random) }
        #expect(samples.max() == Pacing.maximumDelay, "a sample past one day is held there rather than overflowing")
        #expect(Jitter.uniform(spread: .max).apply(to: .max, using: &random) <= Pacing.maximumDelay)
    }

    @Test(arguments: [
        (Chunking.character, ["H", "é", "!", " ", "a"]),
        (.characters(2), ["Hé", "! ", "a"]),
        (.word, ["Hé!", " a"]),
        (.token, ["Hé", "!", " a"]),
    ])
    func chunkingCutsAndConcatenatesBack(_ chunking: Chunking, _ expected: [String]) {
        var chunks = TextChunks("Hé! a", chunking: chunking)
        var all: [String] = []
        while let chunk = chunks.next() { all.append(String(chunk)) }
        #expect(all == expected)
    }

    @Test func chunkingNeverLosesText() {
        let text = "  Leading spaces, e\u{301}mojis 😀😀, numbers 12345 and\nnew lines.  "
        for chunking in [Chunking.character, .characters(3), .word, .token] {
            var chunks = TextChunks(text, chunking: chunking)
            var joined = ""
            while let chunk = chunks.next() { joined += chunk }
            #expect(joined == text, "\(chunking)")
        }
    }

    @Test func specsLayerOnlyWhatTheySet() {
        let base = Pacing.seedLag(factor: 10)
        #expect(PacingSpec(chunking: .word).applied(to: base) == Pacing(model: .seedLag(factor: 10), chunking: .word))
        let profiled = PacingSpec(timeToFirstToken: 5 * ms).applied(to: base)
        #expect(profiled.model == .profile(.init(timeToFirstToken: 5 * ms)))
        let layered = PacingSpec(interChunk: 7 * ms).applied(to: profiled)
        #expect(layered.model == .profile(.init(timeToFirstToken: 5 * ms, interval: .perChunk(7 * ms))))
    }

    @Test func extremeSettingsWaitAtMostADayInsteadOfOverflowing() {
        let day = 86_400_000 * ms
        #expect(delays(.profile(.init(interval: .tokensPerSecond(1e-12))), "ab") == [0, day])
        #expect(delays(.profile(.init(interval: .tokensPerSecond(.leastNonzeroMagnitude))), "ab") == [0, day], "not 0 for an infinite wait")
        #expect(delays(.profile(.init(prefillPerThousandTokens: day)), "a", promptTokens: 300_000) == [day])
        #expect(Pacing.seedLag(factor: 1e-30).replyDelay(text: "abc", promptTokens: 0, random: SeededRandom(seed: 1)) == day)
        #expect(Pacing.profile(.init(interval: .tokensPerSecond(1e-12))).replyDelay(text: "abc", promptTokens: 0,
                                                                                    random: SeededRandom(seed: 1)) == 2 * day)
    }

    @Test func aSeedFixesTheSequence() {
        var a = SeededRandom(seed: 99)
        var b = SeededRandom(seed: 99)
        #expect((0..<100).map { _ in a.next() } == (0..<100).map { _ in b.next() })
    }

    @Test func uuidsAreVersion4InCanonicalForm() {
        var random = SeededRandom(seed: 1)
        for _ in 0..<100 {
            let id = random.uuidString()
            let parts = id.split(separator: "-")
            #expect(parts.map(\.count) == [8, 4, 4, 4, 12])
            #expect(parts[2].first == "4")
            #expect("89ab".contains(parts[3].first!))
            #expect(id.allSatisfy { "0123456789abcdef-".contains($0) })
        }
    }
}
