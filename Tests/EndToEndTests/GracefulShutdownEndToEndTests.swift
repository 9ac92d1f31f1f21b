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

#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM's drain: stop accepting, finish what is in progress, close the rest at the deadline.
/// Nothing timed: every wait has a generous bound only so a bug fails instead of hanging.
@Suite("Graceful shutdown over real sockets")
struct GracefulShutdownEndToEndTests {
    static let reply = (1...20).map { "w\($0)" }.joined(separator: " ")

    func streamRequest(itlMilliseconds: Int) -> String {
        let body = #"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"go"}]}"#
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-mockllm-chunking: word\r\n"
            + "x-mockllm-itl-ms: \(itlMilliseconds)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// The content deltas of a stream's events, joined.
    func text(_ chunks: [[UInt8]]) throws -> String {
        var text = ""
        for chunk in chunks {
            let event = String(decoding: chunk, as: UTF8.self)
            guard event.hasPrefix("data: {") else { continue }
            let object = try JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8)) as? [String: Any]
            let delta = (object?["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any]
            text += delta?["content"] as? String ?? ""
        }
        return text
    }

    @Test(arguments: [1, 2])
    func streamsInProgressFinishWhileIdleConnectionsCloseAndNewOnesAreRefused(workers: Int) throws {
        let server = try TestServer(script: Script(responses: ["go": Self.reply]), workers: workers)
        var streams: [RawClient] = []
        for _ in 0..<40 {
            let client = try server.client(timeout: 10)
            try client.send(streamRequest(itlMilliseconds: 15))  // about 300 ms per stream
            _ = try client.readHead()
            streams.append(client)
        }
        var idle: [RawClient] = []
        for _ in 0..<10 {
            let client = try server.client()
            try client.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            idle.append(client)
        }
        let done = DispatchSemaphore(value: 0)
        let leftover = LockedBox(-1)
        Thread {
            leftover.value = server.drainAndWait()
            done.signal()
        }.start()
        for client in idle { #expect(client.waitForClose(), "an idle keep-alive connection stays open") }
        for (i, client) in streams.enumerated() {
            let (chunks, end) = try client.readChunksUntilEnd()
            #expect(end == .lastChunk, "stream \(i) was cut")
            #expect(try text(chunks) == Self.reply, "stream \(i) was cut")
            #expect(String(decoding: chunks.last ?? [], as: UTF8.self).contains("[DONE]"), "stream \(i) has no terminator")
            #expect(client.waitForClose(), "stream \(i)'s connection stays open after its stream")
        }
        #expect(done.wait(timeout: .now() + 20) == .success, "the server did not stop after draining")
        #expect(leftover.value == 0)
        #expect(throws: (any Error).self, "a new connection was accepted while draining") {
            let late = try RawClient(port: server.port, timeout: 1)
            try late.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try late.readResponse()
        }
    }

    @Test func whatOutlastsTheDrainTimeIsClosed() throws {
        let server = try TestServer(script: Script(responses: ["go": Self.reply]), drainMilliseconds: 200)
        let client = try server.client(timeout: 10)
        try client.send(streamRequest(itlMilliseconds: 5_000))  // would take 100 s
        _ = try client.readHead()
        #expect(server.drainAndWait() == 0)
        let events = try client.readChunksUntilEnd().chunks.count
        #expect(events < 5, "the stream went on after the drain deadline")
        #expect(client.closedByPeer || client.waitForClose())
    }
}

/// A value shared with one helper thread, read after it signals.
private final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
