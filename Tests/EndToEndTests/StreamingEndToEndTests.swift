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

@Suite("Streams over real sockets")
struct StreamingEndToEndTests {
    func streamRequest(_ prompt: String) -> String {
        let body = #"{"model":"m","stream":true,"messages":[{"role":"user","content":"\#(prompt)"}]}"#
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// The concatenated `delta.content` of a stream's events.
    func text(of response: TestResponse) throws -> String {
        var text = ""
        for chunk in response.chunks {
            let event = String(decoding: chunk, as: UTF8.self)
            guard event.hasPrefix("data: {") else { continue }
            let object = try JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8)) as! [String: Any]
            let delta = (object["choices"] as! [[String: Any]]).first?["delta"] as? [String: Any]
            text += delta?["content"] as? String ?? ""
        }
        return text
    }

    @Test func aLongStreamWithoutLagArrivesWhole() throws {
        // Far more than the write queue's high-water mark in events due at once.
        let reply = String(repeating: "abcdefghij", count: 3_000)
        try withServer(script: Script(responses: ["long": reply])) { server in
            let client = try server.client()
            try client.send(streamRequest("long"))
            let response = try client.readResponse()
            #expect(response.chunks.count == reply.count + 3)
            #expect(try text(of: response) == reply)
        }
    }

    /// A client that reads only once the server has paused its stream at the write high-water
    /// mark gets every byte, in order: the stream resumes as the client reads.
    @Test func aClientThatReadsLateStillGetsEveryByteInOrder() throws {
        // 50,000 events of about 200 bytes: far more than the socket buffers (the client's kept
        // small) and the server's write queue hold, so the server must pause, not drop.
        let reply = String(repeating: "0123456789", count: 5_000)
        try withServer(script: Script(responses: ["long": reply])) { server in
            let client = try server.client(timeout: 10, receiveBuffer: 16 << 10)
            try client.send(streamRequest("long"))
            try eventually("the server pauses the stream its client does not read") { try server.stats() } until: {
                $0["streams", "backpressure_pauses"] ?? 0 >= 1
            }
            let response = try client.readResponse()
            #expect(try text(of: response) == reply)
            try client.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 200)
        }
    }

    @Test func manyConcurrentStreamsAreEachCompleteAndInOrder() throws {
        let replies = (0..<50).map { i in "stream \(i): " + String(repeating: "\(i % 10)", count: 200) }
        var responses: [String: String] = [:]
        for (i, reply) in replies.enumerated() { responses["p\(i)"] = reply }
        try withServer(script: Script(responses: responses, pacing: .seedLag(factor: 1000))) { server in
            let clients = try replies.indices.map { i -> RawClient in
                let client = try server.client(timeout: 20)
                try client.send(streamRequest("p\(i)"))
                return client
            }
            for (i, client) in clients.enumerated() {
                #expect(try text(of: client.readResponse()) == replies[i])
            }
        }
    }

    @Test func http10StreamsEndByClosingTheConnection() throws {
        try withServer(script: Script(responses: ["ping": "pong"])) { server in
            let client = try server.client()
            let body = #"{"model":"m","stream":true,"messages":[{"role":"user","content":"ping"}]}"#
            try client.send("POST /v1/chat/completions HTTP/1.0\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            let response = try client.readResponse()
            #expect(response.header("transfer-encoding") == nil)
            #expect(response.header("connection") == "close")
            #expect(response.text.hasSuffix("data: [DONE]\n\n"))
            #expect(client.closedByPeer)
        }
    }
}

@Suite("Anthropic over real sockets")
struct AnthropicEndToEndTests {
    @Test func streamsTheEventSequenceAsChunks() throws {
        try withServer(script: Script(responses: ["ping": "pong"])) { server in
            let client = try server.client()
            let body = #"{"model":"claude-3-haiku","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"ping"}]}"#
            try client.send("POST /v1/messages HTTP/1.1\r\nHost: x\r\nanthropic-version: 2023-06-01\r\nx-api-key: k\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("request-id")?.hasPrefix("req_") == true)
            let names = response.chunks.map { String(decoding: $0, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "" }
            #expect(names == ["event: message_start", "event: content_block_start", "event: ping"]
                + Array(repeating: "event: content_block_delta", count: 4)
                + ["event: content_block_stop", "event: message_delta", "event: message_stop"])
            #expect(!response.text.contains("[DONE]"))
        }
    }

    @Test func aBrowserPreflightIsAnswered() throws {
        try withServer { server in
            let client = try server.client()
            try client.send("OPTIONS /v1/messages HTTP/1.1\r\nHost: x\r\nOrigin: http://localhost:5173\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: x-api-key, anthropic-version, content-type\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 204)
            #expect(response.header("content-length") == nil)
            #expect(response.header("access-control-allow-origin") == "http://localhost:5173")
            #expect(response.header("access-control-allow-headers") == "x-api-key, anthropic-version, content-type")
            try client.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 200, "the connection stays usable after a 204")
        }
    }
}
