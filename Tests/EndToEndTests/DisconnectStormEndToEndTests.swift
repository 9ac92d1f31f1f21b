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

/// Clients that vanish mid-stream (FIN and RST) and clients that never read: the server stays
/// up, frees every connection, and counts each stream as aborted. Counts only, no timing.
@Suite("Disconnect storms over real sockets")
struct DisconnectStormEndToEndTests {
    static let slowReply = (1...200).map { "w\($0)" }.joined(separator: " ")
    static let bigReply = String(repeating: "0123456789", count: 50_000)

    func stream(_ prompt: String, headers: String = "") -> String {
        let body = #"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"\#(prompt)"}]}"#
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n\(headers)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    @Test func vanishingAndNonReadingClientsLeaveNothingBehind() throws {
        let script = Script(responses: ["slow": Self.slowReply, "big": Self.bigReply])
        try withServer(script: script) { server in
            var finClients: [RawClient] = [], rstClients: [RawClient] = [], stuck: [RawClient] = []
            for i in 0..<300 {
                let client = try server.client(timeout: 10)
                try client.send(stream("slow", headers: "x-mockllm-itl-ms: 50\r\nx-mockllm-chunking: word\r\n"))
                _ = try client.readHead()
                if i % 2 == 0 { finClients.append(client) } else { rstClients.append(client) }
            }
            for _ in 0..<50 {
                // A 110 MB stream with no pacing to a client that never reads: the server must
                // pause at its high-water mark, not buffer the rest.
                let client = try server.client(timeout: 10, receiveBuffer: 4096)
                try client.send(stream("big"))
                stuck.append(client)
            }
            // Every stream under way and each stuck one filled up to its pause, so the clients
            // vanish mid-stream. The server (a debug build) writes some 4 MB into each stuck
            // socket first: on a busy machine that takes seconds, hence the long deadline.
            try eventually("350 streams started and the 50 unread ones paused", timeout: 60) { try server.stats() } until: {
                $0["streams", "started"] ?? 0 >= 350 && $0["streams", "backpressure_pauses"] ?? 0 >= 50
            }
            for client in rstClients { client.reset() }
            finClients.removeAll()  // deinit closes: a FIN mid-stream
            for client in stuck { client.reset() }
            stuck.removeAll()
            rstClients.removeAll()

            let settled = try eventually("every stream aborted and its connection closed", timeout: 20) { try server.stats() } until: {
                $0["connections", "open"] == 1 && $0["streams", "aborted"] ?? 0 >= 350
            }
            #expect(settled["streams", "aborted"] == 350)
            #expect(settled["streams", "started"] == 350)
            let client = try server.client()
            try client.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 200)
        }
    }

    /// Clients that read a little at a time, in turn: every byte arrives, in order, and nothing
    /// is left open afterwards. (A stream of 3,000 events, about 650 KB, fits in the socket
    /// buffers the kernel grows for it, so these are not paused: pausing and resuming is
    /// `StreamingEndToEndTests.aClientThatReadsLateStillGetsEveryByteInOrder`'s to check.)
    @Test func slowReadersGetEveryEventInOrder() throws {
        let words = (1...3000).map { "w\($0)" }
        let script = Script(responses: ["long": words.joined(separator: " ")])
        try withServer(script: script) { server in
            var clients: [RawClient] = []
            for _ in 0..<60 {
                let client = try server.client(timeout: 20, receiveBuffer: 4096)
                try client.send(stream("long", headers: "x-mockllm-chunking: word\r\n"))
                _ = try client.readHead()
                clients.append(client)
            }
            // Round robin, one event per client per round: each stream is read far slower than
            // the server can write it.
            var received = Array(repeating: [String](), count: clients.count)
            var done = Array(repeating: false, count: clients.count)
            while done.contains(false) {
                for (i, client) in clients.enumerated() where !done[i] {
                    guard let chunk = try client.readChunk() else {
                        done[i] = true
                        continue
                    }
                    received[i].append(String(decoding: chunk, as: UTF8.self))
                }
            }
            for (i, events) in received.enumerated() {
                let deltas = events.compactMap { event -> String? in
                    guard let start = event.range(of: #""content":""#)?.upperBound,
                          let end = event[start...].firstIndex(of: "\"") else { return nil }
                    return String(event[start..<end]).trimmingCharacters(in: .whitespaces)
                }
                #expect(deltas.filter { !$0.isEmpty } == words, "stream \(i) lost or reordered events")
                #expect(events.last?.contains("[DONE]") == true, "stream \(i) has no terminator")
            }
            clients.removeAll()
            try server.connectionsSettle()
        }
    }
}
