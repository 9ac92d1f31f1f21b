@testable import MockLLMBench
@testable import MockLLMCore
import TestSupport
import Testing

@Suite("Bench progress line and timeline")
struct BenchProgressTests {
    func status() -> ProgressStatus {
        var status = ProgressStatus(elapsed: 12_400_000_000)
        status.plannedDuration = 30_000_000_000
        status.started = 1300
        status.inFlight = 100
        status.completed = 1234
        status.failed = 2
        status.eventsPerSecond = 8123.4
        status.ttft = Percentiles(p50: 12_340_000, p99: 45_600_000)
        status.itl = Percentiles(p50: 1_020_000, p99: 2_100_000)
        status.lateness = Percentiles(p50: 52_000, p99: 310_000)
        return status
    }

    @Test func aWideTerminalShowsEveryField() {
        #expect(ProgressLine.render(status(), width: 200)
            == "12/30 s  100 in flight  1234 done  2 failed  8123 ev/s  p50/p99 TTFT 12.3/45.6 ms  ITL 1.02/2.10 ms"
            + "  server late 0.052/0.310 ms")
    }

    @Test(arguments: [1, 2, 8, 20, 40, 61, 80, 100, 120, 200])
    func theLineFitsTheWidthLeavingTheLastColumnFree(width: Int) {
        let line = ProgressLine.render(status(), width: width)
        #expect(line.utf8.count <= max(1, width - 1))
        #expect(!line.contains("\n") && !line.hasSuffix(" "))
        #expect(line.hasPrefix(String("12/30 s".prefix(max(1, width - 1)))), "the time comes first")
    }

    @Test func fieldsThatDoNotFitAreLeftOutWholeFromTheEnd() {
        // "12/30 s  100 in flight  1234 done  2 failed" is 43 characters.
        #expect(ProgressLine.render(status(), width: 44) == "12/30 s  100 in flight  1234 done  2 failed")
        #expect(ProgressLine.render(status(), width: 43) == "12/30 s  100 in flight  1234 done")
        #expect(ProgressLine.render(status(), width: 5) == "12/3", "a first field wider than the terminal is cut")
    }

    @Test func requestsDrainingAndAMissingServerAreShownAsTheyAre() {
        var status = ProgressStatus(elapsed: 3_900_000_000)
        status.plannedRequests = 500
        status.started = 120
        status.draining = true
        let line = ProgressLine.render(status, width: 300)
        #expect(line == "3 s draining  120/500 started  0 in flight  0 done  0 failed  0 ev/s  p50/p99 TTFT -  ITL -")
        status.plannedDuration = 2_500_000_000
        #expect(ProgressLine.render(status, width: 300).hasPrefix("3/2.5 s draining"))
    }

    @Test func ratesAndMillisecondsKeepThreeOrSoSignificantDigits() {
        #expect(ProgressLine.rate(0) == "0")
        #expect(ProgressLine.rate(9999.4) == "9999")
        #expect(ProgressLine.rate(12_345) == "12.3k")
        #expect(ProgressLine.rate(123_456) == "123k")
        #expect(ProgressLine.rate(1_234_567) == "1.23M")
        #expect(ProgressLine.milliseconds(0) == "0.000")
        #expect(ProgressLine.milliseconds(52_000) == "0.052")
        #expect(ProgressLine.milliseconds(1_250_000) == "1.25")
        #expect(ProgressLine.milliseconds(12_340_000) == "12.3")
        #expect(ProgressLine.milliseconds(456_400_000) == "456")
        #expect(ProgressLine.milliseconds(12_345_600_000) == "12346")
    }

    /// A synthetic run: counters and histograms grow, and each sample holds only its own second.
    @Test func eachSampleHoldsWhatArrivedInItsInterval() throws {
        var metrics = BenchMetrics(configuredTTFT: nil, configuredITL: nil)
        var timeline = BenchTimeline()
        metrics.events = 1000
        metrics.tokens = 900
        metrics.completed = 10
        for _ in 0..<10 { metrics.recordTTFT(10_000_000) }
        for _ in 0..<900 { metrics.recordITL(1_000_000) }
        timeline.sample(metrics, inFlight: 4, lateness: nil, at: 1_000_000_000)
        #expect(timeline.nextDue == 2_000_000_000)
        metrics.events = 3000
        metrics.completed = 25
        metrics.recordFailure(.timeout)
        for _ in 0..<5 { metrics.recordTTFT(40_000_000) }
        timeline.sample(metrics, inFlight: 3, lateness: Percentiles(p50: 1, p99: 2), at: 2_010_000_000)
        #expect(timeline.nextDue == 3_000_000_000)
        timeline.finish(metrics, lateness: nil, at: 2_050_000_000)  // 40 ms more: too short to chart
        #expect(timeline.samples.count == 2)
        metrics.events = 3100
        timeline.finish(metrics, lateness: nil, at: 2_510_000_000)

        let samples = timeline.samples
        try #require(samples.count == 3)
        #expect(samples[0].events == 1000 && samples[0].tokens == 900 && samples[0].completed == 10 && samples[0].failed == 0)
        #expect(samples[0].perSecond(samples[0].events) == 1000)
        let first = try #require(samples[0].ttft)
        #expect(first.p50 >= 10_000_000 && first.p50 <= 10_400_000)
        #expect(samples[0].itl != nil)
        #expect(samples[1].events == 2000 && samples[1].length == 1_010_000_000 && samples[1].completed == 15)
        #expect(samples[1].failed == 1 && samples[1].inFlight == 3)
        let second = try #require(samples[1].ttft)
        #expect(second.p50 >= 40_000_000 && second.p50 <= 41_300_000, "only the second's own first tokens")
        #expect(samples[1].itl == nil, "no inter-token interval arrived in it")
        #expect(samples[1].lateness == Percentiles(p50: 1, p99: 2))
        #expect(samples[2].events == 100 && samples[2].length == 500_000_000 && samples[2].perSecond(100) == 200)
        #expect(samples[2].inFlight == 0)
    }
}
