@testable import MockLLMBench
@testable import MockLLMCore
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

@Suite("Bench report, metrics and options")
struct BenchReportTests {
    func report() -> BenchReport {
        var report = BenchReport(url: "http://127.0.0.1:8000/v1/chat/completions", provider: .openai, model: "m",
                                 concurrency: 4, rate: nil, configuredTTFT: nil, configuredITL: 20_000_000,
                                 elapsed: 2_000_000_000)
        report.started = 10
        report.completed = 8
        report.failures = [.status(429): 1, .cutAtEnd: 1]
        report.events = 350
        report.tokens = 320
        for ms in 1...1000 { report.itl.record(UInt64(ms) * 1_000_000) }
        return report
    }

    @Test func percentilesAreWithinTheHistogramsResolution() {
        let itl = report().itl
        for (q, exact) in [(0.5, 500.0), (0.9, 900.0), (0.99, 990.0), (0.999, 999.0)] {
            let ms = Double(itl.percentile(q)) / 1e6
            #expect(ms >= exact && ms <= exact * 1.04, "p\(q * 100) = \(ms)")
        }
        #expect(itl.max == 1_000_000_000)
    }

    @Test func ratesAreOverTheElapsedTime() {
        let report = report()
        #expect(report.perSecond(report.events) == 175)
        #expect(report.failed == 2)
        #expect(report.exitCode == 1)
    }

    @Test func theTableShowsCountsFailuresAndLatency() {
        let table = report().table
        #expect(table.contains("10 started, 8 completed, 2 failed; 4.0 completed/s"))
        #expect(table.contains("failures  http 429: 1, cut at end: 1"))
        #expect(table.contains("ITL error"))
        #expect(!table.contains("TTFT error"))  // no --ttft-ms
        #expect(table.contains("1000.000       1000"))
    }

    @Test func theJSONIsOneParsableObject() throws {
        let json = report().json
        let root = try #require(try JSONReader.parse(Array(json.utf8)).objectValue)
        #expect(root["streams"]?.objectValue?["failed"] == .number(2))
        #expect(root["failures"]?.objectValue?["http_status"]?.objectValue?["429"] == .number(1))
        #expect(root["latency_ms"]?.objectValue?["itl"]?.objectValue?["count"] == .number(1000))
        #expect(root["latency_ms"]?.objectValue?["ttft_error"] == .null)
        #expect(root["exit_code"] == .number(1))
    }

    @Test func errorEventsAreAFailureKindOfTheirOwn() throws {
        var report = report()
        report.failures = [.errorEvent: 2, .malformed: 1]
        #expect(report.table.contains("failures  malformed stream: 1, error event: 2"))
        let failures = try #require(try JSONReader.parse(Array(report.json.utf8)).objectValue?["failures"]?.objectValue)
        #expect(failures["error_event"] == .number(2))
        #expect(failures["malformed"] == .number(1))
    }

    @Test func tokenEventsInOneReadAreZeroIntervals() {
        var metrics = BenchMetrics(configuredTTFT: 100, configuredITL: 20)
        metrics.recordITL(25)
        metrics.recordITL(0, count: 3)
        #expect(metrics.itl.count == 4 && metrics.itl.sum == 25)
        #expect(metrics.itlError.count == 4 && metrics.itlError.sum == 5 + 3 * 20)
        metrics.recordTTFT(90)
        #expect(metrics.ttftError.max == 10)
    }

    @Test func serverLatenessIsTheDifferenceOfTwoSnapshots() throws {
        let before = try #require(ServerStats.parse(Array("""
            {"workers":2,"events":5,"lateness_ns":{"count":5,"sum":0,"min":1,"max":40,"buckets":[[1,1,3],[40,41,2]]}}
            """.utf8)))
        let after = try #require(ServerStats.parse(Array("""
            {"workers":2,"events":12,"lateness_ns":{"count":12,"sum":0,"min":1,"max":1000,"buckets":[[1,1,4],[40,41,2],[992,1023,6]]}}
            """.utf8)))
        let lateness = ServerStats.lateness(from: before, to: after)
        #expect(lateness.histogram.count == 7)
        #expect(lateness.histogram.percentile(0.1) == 1)
        #expect(lateness.histogram.percentile(0.5) == 1000)  // the bucket's top, capped by the server's maximum
        #expect(lateness.max == 1000)
        #expect(lateness.workers == 2)
        #expect(ServerStats.parse(Array("{\"requests\":3}".utf8)) == nil)
        #expect(ServerStats.parse(Array("{\"lateness_ns\":{\"buckets\":[[1,1]]}}".utf8)) == nil, "a row of two")
        #expect(ServerStats.parse(Array("{\"lateness_ns\":{\"buckets\":[[1,1,\"3\"]]}}".utf8)) == nil, "a count that is text")
        #expect(ServerStats.parse(Array("{\"lateness_ns\":{\"buckets\":[]}}".utf8))?.workers == 1)
        // A bucket the earlier reading has and the later one lacks (it cannot shrink) is skipped in the walk.
        let skipped = ServerStats.lateness(from: after, to: ServerStats(workers: 1, lateness: .init(buckets: [.init(lower: 2000, upper: 2047, count: 1)], max: 2000)))
        #expect(skipped.histogram.count == 1)
        #expect(lateness.steps == nil, "a server without engine steps")
    }

    @Test func stepLatenessIsReadWhenTheServerHasIt() throws {
        let before = try #require(ServerStats.parse(Array("""
            {"workers":1,"lateness_ns":{"max":40,"buckets":[[40,41,2]]},"step_lateness_ns":{"count":2,"max":300,"buckets":[[288,303,2]]}}
            """.utf8)))
        let after = try #require(ServerStats.parse(Array("""
            {"workers":1,"lateness_ns":{"max":40,"buckets":[[40,41,5]]},"step_lateness_ns":{"count":5,"max":900000,"buckets":[[288,303,2],[884736,901119,3]]}}
            """.utf8)))
        let lateness = ServerStats.lateness(from: before, to: after)
        let steps = try #require(lateness.steps)
        #expect(steps.count == 3)
        #expect(lateness.stepsMax == 900_000)
        #expect(lateness.histogram.count == 3)
        // No step in the run: no row, as from a server without engines.
        #expect(ServerStats.lateness(from: after, to: after).steps == nil)
        #expect(ServerStats.parse(Array("{\"lateness_ns\":{\"buckets\":[]},\"step_lateness_ns\":{\"buckets\":[[1]]}}".utf8)) == nil,
                "a malformed step histogram")
        var withSteps = report()
        withSteps.serverLateness = lateness
        #expect(withSteps.table.contains("step lateness"))
        #expect(withSteps.json.contains("\"step_lateness\":{\"count\":3"))
    }

    @Test func parsesTargetURLs() throws {
        #expect(try BenchTarget.parse("http://127.0.0.1:8000") == BenchTarget(host: "127.0.0.1", port: 8000, path: nil))
        #expect(try BenchTarget.parse("http://localhost/") == BenchTarget(host: "localhost", port: 80, path: nil))
        #expect(try BenchTarget.parse("HTTP://[::1]:9000/proxy/v1/chat?x=1")
                == BenchTarget(host: "::1", port: 9000, path: "/proxy/v1/chat?x=1"))
        #expect(try BenchTarget.parse("http://[::1]:9000").authority == "[::1]:9000")
        #expect(throws: BenchUsageError.self) { try BenchTarget.parse("https://api.openai.com") }
        #expect(throws: BenchUsageError.self) { try BenchTarget.parse("127.0.0.1:8000") }
        #expect(throws: BenchUsageError.self) { try BenchTarget.parse("http://h:99999") }
    }

    @Test func buildsTheRequestOnceWithPacingAndUserHeaders() throws {
        var options = BenchOptions(url: "http://127.0.0.1:8000")
        options.provider = .anthropic
        options.ttftMilliseconds = 100
        options.itlMilliseconds = 2.5
        options.headers = ["Authorization:Bearer x"]
        let plan = try options.validated()
        let text = String(decoding: plan.request, as: UTF8.self)
        #expect(text.hasPrefix("POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"))
        #expect(text.contains("anthropic-version: 2023-06-01\r\n"))
        #expect(text.contains("x-mockllm-ttft-ms: 100\r\nx-mockllm-itl-ms: 2.5\r\n"))
        #expect(text.contains("Authorization: Bearer x\r\n"))
        #expect(text.hasSuffix("\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}"))
        #expect(plan.duration == 10_000_000_000)
        options.headers = ["bad header"]
        #expect(throws: BenchUsageError.self) { try options.validated() }
    }
}
