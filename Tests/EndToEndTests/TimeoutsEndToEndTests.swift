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

/// Idle keep-alive and request (slowloris) timeouts. Short timeouts make the tests quick; the
/// assertions are about what happens, never how fast.
@Suite("Timeouts over real sockets")
struct TimeoutsEndToEndTests {
    func server(idle: UInt64 = 75_000, request: UInt64 = 30_000) throws -> TestServer {
        try TestServer(script: Script(responses: ["go": "a b c d e f g h"])) {
            $0.idleTimeoutMilliseconds = idle
            $0.requestTimeoutMilliseconds = request
        }
    }

    @Test func anIdleKeepAliveConnectionIsClosed() throws {
        let server = try server(idle: 200)
        defer { #expect(server.stop() == 0) }
        let client = try server.client()
        try client.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        #expect(client.waitForClose(), "the idle connection was not closed")
    }

    @Test func aRequestThatNeverCompletesGets408InTheProvidersShape() throws {
        let server = try server(request: 300)
        defer { #expect(server.stop() == 0) }
        let client = try server.client()
        // A slowloris: a head that keeps coming, one line at a time, and never ends. The sleep
        // is the client's pace, the behaviour under test, not a wait: bytes keep arriving, yet
        // the head as a whole outlasts the 300 ms request timeout.
        try client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
        for i in 0..<4 {
            Thread.sleep(forTimeInterval: 0.1)
            try? client.send("x-slow-\(i): 1\r\n")
        }
        let response = try client.readResponse()
        #expect(response.status == 408)
        let error = try #require(response.json()["error"] as? [String: Any])
        #expect((error["message"] as? String)?.hasPrefix("Request timeout") == true)
        #expect(client.waitForClose())
    }

    @Test func aStreamLongerThanTheStreamLimitIsCut() throws {
        let server = try TestServer(script: Script(responses: ["go": "a b c d e f g h"])) { $0.maxStreamMilliseconds = 250 }
        defer { #expect(server.stop() == 0) }
        let client = try server.client(timeout: 10)
        let body = #"{"model":"m","stream":true,"messages":[{"role":"user","content":"go"}]}"#
        try client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-mockllm-itl-ms: 100\r\n"
            + "x-mockllm-chunking: word\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        _ = try client.readHead()
        let events = try client.readChunksUntilEnd().chunks.map { String(decoding: $0, as: UTF8.self) }
        #expect(!events.isEmpty, "the stream was cut before it began")
        #expect(events.count < 8 + 3, "the stream ran past its limit")
        #expect(!events.contains { $0.contains("[DONE]") })
        #expect(client.closedByPeer || client.waitForClose())
    }

    @Test func aStreamLongerThanTheIdleTimeoutIsNotCut() throws {
        let server = try server(idle: 100)
        defer { #expect(server.stop() == 0) }
        let client = try server.client(timeout: 10)
        let body = #"{"model":"m","stream":true,"messages":[{"role":"user","content":"go"}]}"#
        try client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-mockllm-itl-ms: 60\r\n"
            + "x-mockllm-chunking: word\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let response = try client.readResponse()
        #expect(String(decoding: response.chunks.last ?? [], as: UTF8.self).contains("[DONE]"))
        #expect(response.chunks.count == 8 + 3)
    }
}

@Suite("Connection limit over real sockets")
struct ConnectionLimitEndToEndTests {
    @Test(arguments: [Wire.openai, Wire.anthropic])
    func aConnectionBeyondTheLimitGetsA503InItsProvidersShapeAndCloses(wire: Wire) throws {
        let server = try TestServer(script: Script(responses: ["hello": "hi"])) { $0.maxConnections = 3 }
        defer { #expect(server.stop() == 0) }
        let held = try (0..<3).map { _ in try server.client() }
        for client in held {
            try client.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 200)
        }
        do {
            let extra = try server.client()
            try extra.send(Chat("hello").request(Mode(wire: wire, stream: false)))
            let refused = try extra.readResponse()
            #expect(refused.status == 503)
            let json = try refused.json()
            if wire == .anthropic {
                #expect(json["type"] as? String == "error")
                #expect((json["error"] as? [String: Any])?["type"] as? String == "overloaded_error")
            } else {
                #expect((json["error"] as? [String: Any])?["message"] as? String != nil)
            }
            #expect(extra.waitForClose())
        }  // the refused client closes its end here, so the server lets it go
        // Once a slot is free, a new connection is served again.
        withExtendedLifetime(held) {}
        held[0].shutdownWrite()
        #expect(held[0].waitForClose())
        try eventually("a new connection is served once a slot is free") {
            let again = try server.client()
            try again.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            return try again.readResponse().status == 200
        }
    }
}
