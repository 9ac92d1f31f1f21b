import Foundation
@testable import MockLLM
@testable import MockLLMBench
@testable import MockLLMCore
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Faults over real sockets: a stream cut by FIN or RST after K events, a stall cut at the
/// stream time limit, a stalled whole reply, a sequence across requests, and the server
/// serving on after each. Timing checks are lower bounds only.
@Suite("Faults over real sockets")
struct FaultsEndToEndTests {
    static let reply = "one two three four five six seven eight"
    static let script = Script(responses: ["go": reply])

    /// The events of the normal stream (OpenAI: role, 39 characters, finish, [DONE]; Anthropic:
    /// message_start, content_block_start, ping, 39 deltas, content_block_stop, message_delta,
    /// message_stop).
    static func eventCount(_ wire: Wire) -> Int { wire == .openai ? 42 : 45 }

    /// A normal streamed reply on a new connection: the server is still serving.
    func servesNormally(_ server: TestServer, _ wire: Wire) throws {
        let client = try server.client()
        let result = try client.chat("go", Mode(wire: wire, stream: true))
        #expect(result.status == 200)
        #expect(result.text == Self.reply)
        #expect(result.response.header("x-mockllm-fault") == nil)
    }

    /// The response to `request`, sent on a connection of its own and read to its end however
    /// it ends: its head, its whole chunks, how the body ended, and whether by a reset.
    func readToTheEnd(_ server: TestServer, _ request: String) throws
        -> (head: TestResponse, chunks: [String], end: RawClient.BodyEnd, reset: Bool) {
        let client = try server.client(timeout: 10)
        try client.send(request)
        let head = try client.readHead()
        let (chunks, end) = try client.readChunksUntilEnd()
        return (head, chunks.map { String(decoding: $0, as: UTF8.self) }, end, client.resetByPeer)
    }

    /// The events of the same request without a fault, to compare with.
    func normalEvents(_ server: TestServer, _ wire: Wire) throws -> [String] {
        let read = try readToTheEnd(server, Chat("go", headers: [("Connection", "close")]).request(Mode(wire: wire, stream: true)))
        #expect(read.end == .lastChunk)
        #expect(read.chunks.count == Self.eventCount(wire))
        return read.chunks
    }

    /// Events without their ids and timestamps, to compare two replies.
    static func shape(_ event: String) -> String {
        event.replacingOccurrences(of: #"mock-[0-9a-f-]{36}"#, with: "ID", options: .regularExpression)
            .replacingOccurrences(of: #""created":\d+"#, with: #""created":T"#, options: .regularExpression)
    }

    @Test(arguments: [Wire.openai, Wire.anthropic])
    func aDisconnectIsAFINAfterKEventsWithoutTheLastChunk(wire: Wire) throws {
        let server = try TestServer(script: Self.script)
        defer { #expect(server.stop() == 0) }
        let normal = try normalEvents(server, wire).map(Self.shape)
        for k in [0, 1, 3, 10] {
            let read = try readToTheEnd(server, Chat("go", headers: [("x-mockllm-fault", "disconnect:\(k)")]).request(Mode(wire: wire, stream: true)))
            #expect(!read.reset, "a FIN, not a reset")
            #expect(read.head.status == 200)
            #expect(read.head.header("x-mockllm-fault") == "header")
            #expect(read.head.header("transfer-encoding") == "chunked")
            #expect(read.end == .closedBetweenChunks, "no last chunk after disconnect:\(k), and no chunk cut")
            #expect(read.chunks.map(Self.shape) == Array(normal.prefix(k)))
        }
        try server.connectionsSettle()
        try servesNormally(server, wire)
    }

    @Test(arguments: [Wire.openai, Wire.anthropic])
    func aResetIsAnRSTAfterKEvents(wire: Wire) throws {
        let server = try TestServer(script: Self.script)
        defer { #expect(server.stop() == 0) }
        let normal = try normalEvents(server, wire).map(Self.shape)
        var resets = 0
        for k in [1, 2, 5] {
            let read = try readToTheEnd(server, Chat("go", headers: [("x-mockllm-fault", "reset:\(k)")]).request(Mode(wire: wire, stream: true)))
            if read.reset { resets += 1 }
            #expect(read.head.header("x-mockllm-fault") == "header")
            #expect(read.end != .lastChunk)
            // Bytes the client had not read when the reset came may be lost: a prefix, never more.
            #expect(read.chunks.map(Self.shape) == Array(normal.prefix(read.chunks.count)))
            #expect(read.chunks.count <= k)
        }
        #expect(resets > 0, "no read ended with ECONNRESET")
        try server.connectionsSettle()
        try servesNormally(server, wire)
    }

    @Test func aScriptedDisconnectReadWithRawClient() throws {
        let script = try ScriptLoader.parse(yaml: """
            responses: {go: "\(Self.reply)"}
            faults:
              - {name: cut, match: {prompt: go}, stream: {after: 4, disconnect: fin}}
            """, file: "f.yml", providers: providerCatalog).script
        let server = try TestServer(script: script)
        defer { #expect(server.stop() == 0) }
        let client = try server.client()
        try client.send(Chat("go").request(Mode(wire: .openai, stream: true)))
        let head = try client.readHead()
        #expect(head.header("x-mockllm-fault") == "cut")
        let (chunks, end) = try client.readChunksUntilEnd()
        #expect(end == .closedBetweenChunks)
        #expect(chunks.count == 4)
        #expect(!chunks.contains { String(decoding: $0, as: UTF8.self).contains("[DONE]") })
    }

    @Test func aStallForeverIsCutAtTheStreamLimit() throws {
        let server = try TestServer(script: Self.script) { $0.maxStreamMilliseconds = 300 }
        defer { #expect(server.stop() == 0) }
        let abortedBefore = try #require(try server.stats()["streams", "aborted"])
        let started = Date()
        let read = try readToTheEnd(server, Chat("go", headers: [("x-mockllm-fault", "stall")]).request(Mode(wire: .openai, stream: true)))
        let elapsed = Date().timeIntervalSince(started)
        #expect(read.head.header("x-mockllm-fault") == "header")
        #expect(read.chunks.count == 1, "the role chunk, then the stall")
        #expect(read.end != .lastChunk)
        #expect(elapsed >= 0.29, "cut after \(elapsed) s, before the 300 ms limit")
        try server.connectionsSettle()  // the stalled connection among them
        let stats = try server.stats()
        #expect(stats["streams", "aborted"] == abortedBefore + 1)
        #expect(stats["streams", "open"] == 0)
        try servesNormally(server, .openai)
    }

    @Test func aStallOfSomeMillisecondsDelaysTheStreamThenItEnds() throws {
        let server = try TestServer(script: Self.script)
        defer { #expect(server.stop() == 0) }
        let client = try server.client()
        let started = Date()
        let result = try client.chat("go", Mode(wire: .anthropic, stream: true), headers: [("x-mockllm-fault", "stall:300")])
        #expect(Date().timeIntervalSince(started) >= 0.3)
        #expect(result.text == Self.reply)
        #expect(result.response.header("x-mockllm-fault") == "header")
    }

    @Test(arguments: [Wire.openai, Wire.anthropic])
    func aNonStreamRequestWithAStallIsDelayed(wire: Wire) throws {
        let server = try TestServer(script: Self.script)
        defer { #expect(server.stop() == 0) }
        let client = try server.client()
        for header in ["stall:300", "slow_first_token:300"] {
            let started = Date()
            let result = try client.chat("go", Mode(wire: wire, stream: false), headers: [("x-mockllm-fault", header)])
            #expect(Date().timeIntervalSince(started) >= 0.3, "\(header)")
            #expect(result.status == 200)
            #expect(result.text == Self.reply)
        }
    }

    @Test func aSlowFirstTokenDelaysTheFirstContentEvent() throws {
        let server = try TestServer(script: Self.script)
        defer { #expect(server.stop() == 0) }
        let client = try server.client()
        let started = Date()
        try client.send(Chat("go", headers: [("x-mockllm-fault", "slow_first_token:300")]).request(Mode(wire: .openai, stream: true)))
        _ = try client.readHead()
        let role = try #require(try client.readChunk())
        #expect(!isContentEvent(role, .openai))
        let first = try #require(try client.readChunk())
        #expect(isContentEvent(first, .openai))
        #expect(Date().timeIntervalSince(started) >= 0.3)
        let (rest, end) = try client.readChunksUntilEnd()
        #expect(end == .lastChunk)
        #expect(String(decoding: rest.last ?? [], as: UTF8.self) == "data: [DONE]\n\n")
    }

    @Test(arguments: [Wire.openai, Wire.anthropic])
    func aSequenceRunsAcrossRequestsAndConnections(wire: Wire) throws {
        let script = try ScriptLoader.parse(yaml: """
            responses: {go: "\(Self.reply)"}
            faults:
              - {name: retry, sequence: [429, 503, ok, 500]}
            """, file: "f.yml", providers: providerCatalog).script
        let server = try TestServer(script: script)
        defer { #expect(server.stop() == 0) }
        let client = try server.client()
        var seen: [String] = []
        for i in 0..<3 {  // one keep-alive connection
            let result = try client.chat("go", Mode(wire: wire, stream: i == 2))
            seen.append("\(result.status) \(result.response.header("x-mockllm-fault") ?? "-")")
        }
        for _ in 0..<2 {  // then new connections
            let result = try server.client().chat("go", Mode(wire: wire, stream: false))
            seen.append("\(result.status) \(result.response.header("x-mockllm-fault") ?? "-")")
        }
        #expect(seen == ["429 retry", "503 retry", "200 -", "500 retry", "200 -"])
        #expect(script.faults[0].injected == 3)
    }

    @Test func aRateLimitFaultKeepsTheConnectionAlive() throws {
        let server = try TestServer(script: Self.script)
        defer { #expect(server.stop() == 0) }
        let client = try server.client()
        let limited = try client.chat("go", Mode(wire: .openai, stream: true), headers: [("x-mockllm-fault", "429")])
        #expect(limited.status == 429)
        #expect(limited.errorType == "rate_limit_exceeded")
        #expect(limited.response.header("x-mockllm-fault") == "header")
        let next = try client.chat("go", Mode(wire: .openai, stream: false))
        #expect(next.status == 200)
    }

    @Test func aMidStreamErrorEndsTheBodyProperly() throws {
        let server = try TestServer(script: Self.script)
        defer { #expect(server.stop() == 0) }
        let client = try server.client()
        try client.send(Chat("go", headers: [("x-mockllm-fault", "error:2")]).request(Mode(wire: .anthropic, stream: true)))
        _ = try client.readHead()
        let (chunks, end) = try client.readChunksUntilEnd()
        #expect(end == .lastChunk)
        #expect(chunks.count == 3)
        #expect(String(decoding: chunks[2], as: UTF8.self).hasPrefix("event: error\ndata: {\"type\":\"error\""))
        // The connection stays usable after a stream that ended properly.
        #expect(try client.chat("go", Mode(wire: .anthropic, stream: false)).status == 200)
    }
}
