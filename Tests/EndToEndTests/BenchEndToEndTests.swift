@testable import MockLLM
@testable import MockLLMBench
@testable import MockLLMCore
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// `mockllm bench` against the real server on loopback, in process. Counts and correctness only:
/// the machine is shared, so nothing here depends on speed.
@Suite("Bench against the real server")
struct BenchEndToEndTests {
    static let reply = "Streams of tokens, paced."  // 25 characters: 25 token events per stream
    static let script = Script(responses: ["bench": reply])

    func options(_ port: Int, _ provider: BenchProvider, requests: Int, concurrency: Int) -> BenchOptions {
        var options = BenchOptions(url: "http://127.0.0.1:\(port)")
        options.provider = provider
        options.prompt = "bench"
        options.requests = requests
        options.concurrency = concurrency
        options.timeout = 30
        return options
    }

    /// Events per stream besides its token events: OpenAI role, finish and `[DONE]`; Anthropic
    /// (also on Vertex AI) 3 opening and 3 closing events; Responses created, in_progress, item and part added, text
    /// done, part done, item done, completed; Gemini (also on Vertex AI) none (the last chunk carries text and
    /// `finishReason`); Ollama the done line; Azure OpenAI's as OpenAI's plus its content-filter chunk;
    /// Bedrock messageStart, contentBlockStop, messageStop and metadata.
    static func framingEvents(_ provider: BenchProvider) -> Int {
        switch provider {
        case .openai: 3
        case .azure: 4
        case .anthropic, .vertexAnthropic: 6
        case .responses: 8
        case .gemini, .vertex: 0
        case .ollama: 1
        case .bedrock: 4
        case .realtime: 0  // a WebSocket session: RealtimeBenchEndToEndTests
        }
    }

    @Test(arguments: BenchProvider.allCases.filter { $0 != .realtime })
    func everyStreamCompletesWithEveryTokenTimed(provider: BenchProvider) throws {
        let tokens = Self.reply.count, streams = 50
        let report = try withServer(script: Self.script) { server in
            var options = options(server.port, provider, requests: streams, concurrency: 20)
            options.ttftMilliseconds = 2
            options.itlMilliseconds = 1
            return try BenchLauncher.run(options)
        }
        #expect(report.started == streams)
        #expect(report.completed == streams)
        #expect(report.failures.isEmpty)
        #expect(report.exitCode == 0)
        #expect(report.tokens == streams * tokens)
        #expect(report.events == streams * (tokens + Self.framingEvents(provider)))
        #expect(report.ttft.count == UInt64(streams))
        #expect(report.itl.count == UInt64(streams * (tokens - 1)))
        #expect(report.ttftError.count == report.ttft.count)
        #expect(report.itlError.count == report.itl.count)
        let lateness = try #require(report.serverLateness, "mockllm's stats are read when it is the target")
        #expect(lateness.histogram.count > 0)
    }

    /// A fault asked for by header: each stream ends after 3 events of its own, with the
    /// protocol's error event (`error:3`) or without its end (`truncate:3`), and fails as such.
    @Test(arguments: BenchProvider.allCases.filter { $0 != .realtime }, ["error:3", "truncate:3"])
    func aFaultyStreamIsCountedAsTheFailureItIs(provider: BenchProvider, fault: String) throws {
        let streams = 6
        let report = try withServer(script: Self.script) { server in
            var options = options(server.port, provider, requests: streams, concurrency: 3)
            options.headers = ["x-mockllm-fault: \(fault)"]
            return try BenchLauncher.run(options)
        }
        let isError = fault.hasPrefix("error")
        #expect(report.started == streams)
        #expect(report.completed == 0)
        #expect(report.failures == [isError ? .errorEvent : .malformed: streams])
        #expect(report.exitCode == 1)
        // The events before the fault carry text in Gemini and Ollama (3), after OpenAI's role chunk
        // (2), after Azure's content-filter and role chunks (1), and Bedrock's messageStart (2).
        let tokens = [.gemini, .vertex, .ollama].contains(provider) ? 3 : [.openai, .bedrock].contains(provider) ? 2 : provider == .azure ? 1 : 0
        #expect(report.events == streams * (isError ? 4 : 3))
        #expect(report.tokens == streams * tokens)
        #expect(report.serverLateness != nil, "the stats are read whatever the protocol")
    }

    @Test func theServersLatenessNeedsItsAdminTokenWhenItHasOne() throws {
        let server = try TestServer(script: Self.script) { $0.adminToken = "admin-secret" }
        defer { #expect(server.stop() == 0) }
        var options = options(server.port, .openai, requests: 4, concurrency: 2)
        let without = try BenchLauncher.run(options)
        #expect(without.completed == 4)
        #expect(without.serverLateness == nil, "the stats are refused without the token")
        options.adminToken = "admin-secret"
        let with = try BenchLauncher.run(options)
        #expect(with.completed == 4)
        let lateness = try #require(with.serverLateness, "the stats are read with the token")
        #expect(lateness.histogram.count > 0)
    }

    @Test func aClosedLoopReusesItsConnections() throws {
        let (report, accepted) = try withServer(script: Self.script) { server in
            let report = try BenchLauncher.run(options(server.port, .openai, requests: 30, concurrency: 3))
            let client = try server.client()
            try client.send("GET /_mockllm/stats HTTP/1.1\r\nHost: x\r\n\r\n")
            let stats = try JSONReader.parse(client.readResponse().body).objectValue
            let connections = stats?["connections"]?.objectValue?["accepted"]
            guard case .number(let accepted) = connections else { throw TestFailure("no connections.accepted in the stats") }
            return (report, Int(accepted))
        }
        #expect(report.completed == 30 && report.failed == 0)
        #expect(report.ttft.count == 30)
        // 3 stream connections, the 2 stats readings of the run, and this test's reading.
        #expect(accepted == 3 + 2 + 1)
    }

    @Test func anErrorStatusIsCountedPerStatusAndTheRunGoesOn() throws {
        let report = try withServer(script: Self.script) { server in
            var options = options(server.port, .openai, requests: 7, concurrency: 2)
            options.url += "/v1/nothing-here"
            return try BenchLauncher.run(options)
        }
        #expect(report.started == 7)
        #expect(report.failures == [.status(404): 7])
        #expect(report.serverLateness == nil)  // no x-mockllm-rule on a 404: stats not read
        #expect(report.exitCode == 1)
    }

    @Test func streamsStillRunningAfterTheDrainAreCut() throws {
        let report = try withServer(script: Self.script) { server in
            var options = options(server.port, .anthropic, requests: 1, concurrency: 4)
            options.requests = nil
            options.duration = 0.2
            options.drain = 0
            options.itlMilliseconds = 200  // a stream takes 5 s: far past duration + drain
            return try BenchLauncher.run(options)
        }
        #expect(report.started == 4)
        #expect(report.completed == 0)
        #expect(report.failures == [.cutAtEnd: 4])
        #expect(report.exitCode == 1)
    }

    @Test func aStreamPastItsTimeoutIsCut() throws {
        let report = try withServer(script: Self.script) { server in
            var options = options(server.port, .openai, requests: 2, concurrency: 2)
            options.itlMilliseconds = 200
            options.timeout = 0.2
            return try BenchLauncher.run(options)
        }
        #expect(report.failures == [.timeout: 2])
    }

    @Test func aTargetThatRefusesConnectionsFailsEveryStreamAndStops() throws {
        // Port 1 (tcpmux): nothing listens there, and only root could bind it.
        let report = try BenchLauncher.run(options(1, .openai, requests: 3, concurrency: 1))
        #expect(report.started == 3)
        #expect(report.failures == [.connect: 3])
        #expect(report.exitCode == 1)
    }

    /// Watching the server (as `--svg` does): the run is cut into seconds that add up to no more
    /// than its totals, and mockllm's lateness, read during and after the run, lands in them.
    @Test func aWatchedRunIsCutIntoSecondsWithTheServersLateness() throws {
        let report = try withServer(script: Self.script) { server in
            var options = options(server.port, .openai, requests: 1, concurrency: 4)
            options.requests = nil
            options.duration = 1.5
            options.itlMilliseconds = 10
            return try BenchLauncher.run(options, watchServer: true)
        }
        #expect(report.failed == 0 && report.completed > 0)
        let samples = report.timeline
        try #require(samples.count >= 1, "a sample at 1 s at least: the run lasts 1.5 s")
        #expect(samples.first?.end ?? 0 >= 1_000_000_000)
        #expect(zip(samples, samples.dropFirst()).allSatisfy { $0.end < $1.end && $1.length == $1.end - $0.end })
        #expect(samples.map(\.events).reduce(0, +) <= report.events)
        #expect(samples.map(\.tokens).reduce(0, +) <= report.tokens)
        #expect(samples[0].events > 0 && samples[0].ttft != nil && samples[0].itl != nil)
        #expect(samples.contains { $0.lateness != nil }, "the stats read after the run at least")
        #expect(report.serverLateness != nil)
    }

    @Test func refusesHTTPS() {
        #expect(throws: BenchUsageError.self) { try BenchLauncher.run(BenchOptions(url: "https://127.0.0.1:8000")) }
    }
}
