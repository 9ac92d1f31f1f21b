@testable import MockLLM
@testable import MockLLMBench
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
import TestSupport
import Testing

/// `mockllm bench --provider realtime` against a real server whose `/test/realtime` speaks
/// Realtime's event flow (`FakeRealtime`): sessions over WebSocket, audio deltas counted and
/// timed, the server's lateness read. Counts and correctness only, nothing about speed.
@Suite("Bench: realtime sessions over WebSocket")
struct RealtimeBenchEndToEndTests {
    static func server() throws -> TestServer {
        try TestServer { $0.providers = servedProviders + [ServedProvider(custom: FakeRealtime.self)] }
    }

    @Test func everySessionCompletesWithEveryAudioDeltaTimed() throws {
        let server = try Self.server()
        defer { #expect(server.stop() == 0) }
        var options = BenchOptions(url: "http://127.0.0.1:\(server.port)/test/realtime?model=gpt-realtime&deltas=10")
        options.provider = .realtime
        options.requests = 20
        options.concurrency = 5
        options.timeout = 30
        let report = try BenchLauncher.run(options)
        #expect(report.started == 20)
        #expect(report.completed == 20)
        #expect(report.failures.isEmpty)
        #expect(report.tokens == 20 * 10)
        // session.created, response.created, 10 deltas, response.done
        #expect(report.events == 20 * 13)
        #expect(report.ttft.count == 20)
        #expect(report.itl.count == 20 * 9)
        let lateness = try #require(report.serverLateness, "mockllm's stats are read after a 101")
        #expect(lateness.histogram.count > 0)
        let stats = try server.stats()
        #expect(stats["websockets", "opened"] == 20)
        try eventually("every session ended") { try server.stats()["websockets", "open"] == 0 }
    }

    @Test func aPathThatDoesNotUpgradeFailsWithItsStatus() throws {
        let server = try Self.server()
        defer { #expect(server.stop() == 0) }
        var options = BenchOptions(url: "http://127.0.0.1:\(server.port)/v1/chat/completions?model=x")
        options.provider = .realtime
        options.requests = 3
        options.concurrency = 1
        let report = try BenchLauncher.run(options)
        #expect(report.completed == 0)
        #expect(report.failures == [.status(405): 3])
    }

    @Test func theSessionSendsRealtimesGAEvents() {
        let events = BenchRequest.realtimeEvents(prompt: "say \"hi\"").map(\.description)
        #expect(events.count == 3)
        #expect(events[0].hasPrefix(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["audio"]"#))
        #expect(events[1].contains(#""type":"input_text","text":"say \"hi\"""#))
        #expect(events[2] == #"{"type":"response.create"}"#)
        #expect(WebSocketHandshake.isNonceKey(BenchRequest.webSocketKey), "the handshake's key is 16 bytes in base64")
        for event in events { #expect((try? JSONReader.parse(Array(event.utf8))) != nil) }
    }

    @Test func realtimeEventMeanings() {
        func meaning(_ json: String) -> EventMeaning { Array(json.utf8).withUnsafeBytes { BenchProvider.realtimeEvent($0) } }
        #expect(meaning(#"{"type":"response.output_audio.delta","delta":"AAAA"}"#) == .token)
        #expect(meaning(#"{"type":"response.output_audio.delta","delta":""}"#) == [])
        #expect(meaning(#"{"type":"response.output_audio_transcript.delta","delta":"hi"}"#) == [])
        #expect(meaning(#"{"type":"response.done","response":{"status":"completed"}}"#) == .end)
        #expect(meaning(#"{"type":"response.done","response":{"status":"failed"}}"#) == [.end, .error])
        #expect(meaning(#"{"type":"error","error":{"message":"x"}}"#) == .error)
        #expect(meaning(#"{"type":"#) == .malformed)
    }
}
