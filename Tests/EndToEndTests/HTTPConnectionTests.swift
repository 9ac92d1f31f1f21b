import Foundation
@testable import MockLLM
@testable import MockLLMBench
@testable import MockLLMCore
@testable import MockLLMHTTPServer
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

@Suite("HTTP/1.1 connections over real sockets")
struct HTTPConnectionTests {
    let script = Script(responses: ["hello": "Hello! How can I help you today?"], defaultReply: "no idea")
    static let chatBody = #"{"model":"gpt-4","messages":[{"role":"user","content":"hello"}]}"#
    static let healthBody = #"{"status":"ok"}"#

    @Test func http10WithoutKeepAliveIsAnsweredThenClosed() throws {
        try withServer { server in
            let client = try server.client()
            try client.send("GET /health HTTP/1.0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("connection") == "close")
            #expect(response.text == Self.healthBody)
            #expect(client.waitForClose())
            #expect(client.unread.isEmpty)
        }
    }

    @Test func http10WithKeepAliveServesSeveralRequestsOnOneConnection() throws {
        try withServer(script: script) { server in
            let client = try server.client()
            try client.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let first = try client.readResponse()
            #expect(first.status == 200)
            #expect(first.header("connection") == "keep-alive")
            try client.send("POST /v1/chat/completions HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: \(Self.chatBody.utf8.count)\r\n\r\n\(Self.chatBody)")
            let second = try client.readResponse()
            #expect(second.status == 200)
            #expect(second.header("connection") == "keep-alive")
            #expect(second.text.contains("Hello! How can I help you today?"))
            // Without keep-alive the third is the last.
            try client.send("GET /health HTTP/1.0\r\n\r\n")
            #expect(try client.readResponse().header("connection") == "close")
            #expect(client.waitForClose())
        }
    }

    @Test func connectionCloseOnHTTP11IsAnsweredThenClosedAndLaterRequestsAreNotAnswered() throws {
        try withServer { server in
            let client = try server.client()
            try client.send("GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\nGET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("connection") == "close")
            #expect(client.waitForClose())
            #expect(client.unread.isEmpty)
        }
    }

    @Test func http11KeepsTheConnectionOpenWithoutAConnectionHeader() throws {
        try withServer { server in
            let client = try server.client()
            for _ in 0..<3 {
                try client.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.header("connection") == nil)
            }
        }
    }

    @Test func expectContinueGetsA100BeforeTheBodyIsSent() throws {
        try withServer(script: script) { server in
            let client = try server.client()
            try client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: \(Self.chatBody.utf8.count)\r\n\r\n")
            let interim = try client.readHead()
            #expect(interim.status == 100 && interim.reason == "Continue" && interim.headers.isEmpty)
            // Nothing else can come yet: the server waits for the body. Anything it sent before
            // the body (a premature answer) would be read below instead of the 200.
            try client.send(Self.chatBody)
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text.contains("Hello! How can I help you today?"))
            #expect(client.unread.isEmpty)
        }
    }

    @Test func expectContinueWithTheBodyAlreadySentGetsNo100() throws {
        try withServer(script: script) { server in
            let client = try server.client()
            try client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nConnection: close\r\nContent-Length: \(Self.chatBody.utf8.count)\r\n\r\n\(Self.chatBody)")
            let everything = String(decoding: try client.readUntilClose(), as: UTF8.self)
            #expect(everything.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(!everything.contains("100 Continue"))
        }
    }

    @Test func aChunkedRequestBodyIsDecoded() throws {
        try withServer(script: script) { server in
            let client = try server.client()
            let body = Array(Self.chatBody.utf8)
            var wire = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            for (n, start) in stride(from: 0, to: body.count, by: 10).enumerated() {
                let piece = body[start..<min(body.count, start + 10)]
                wire += String(piece.count, radix: 16) + (n % 2 == 0 ? ";n=\(n)" : "") + "\r\n" + String(decoding: piece, as: UTF8.self) + "\r\n"
            }
            wire += "0\r\nX-Checksum: none\r\n\r\n"
            try client.send(wire + "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text.contains("Hello! How can I help you today?"))
            #expect(try client.readResponse().text == Self.healthBody)
        }
    }

    @Test func headIsAnsweredWithTheHeadOnly() throws {
        try withServer { server in
            let client = try server.client()
            try client.send("HEAD /health HTTP/1.1\r\nHost: localhost\r\n\r\nGET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let head = try client.readResponse(head: true)
            #expect(head.status == 200)
            #expect(head.header("content-length") == String(Self.healthBody.utf8.count))
            #expect(head.header("content-type") == "application/json")
            // If the HEAD response had carried a body, it would be read as this response.
            let get = try client.readResponse()
            #expect(get.status == 200)
            #expect(get.text == Self.healthBody)
        }
    }

    @Test func headWithConnectionCloseSendsNothingAfterTheHead() throws {
        try withServer { server in
            let client = try server.client()
            try client.send("HEAD /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            let everything = String(decoding: try client.readUntilClose(), as: UTF8.self)
            #expect(everything.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(everything.hasSuffix("\r\n\r\n"))
            #expect(everything.components(separatedBy: "\r\n\r\n").count == 2)
        }
    }

    @Test func aRequestSentInOneByteWritesIsAnswered() throws {
        try withServer(script: script) { server in
            let client = try server.client()
            let wire = "\r\nPOST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(Self.chatBody.utf8.count)\r\n\r\n\(Self.chatBody)"
                + "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
            for byte in Array(wire.utf8) {
                try client.send([byte])
            }
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text.contains("Hello! How can I help you today?"))
            #expect(try client.readResponse().text == Self.healthBody)
        }
    }

    @Test func aChunkedRequestSentInTinyWritesIsAnswered() throws {
        try withServer(script: script) { server in
            let client = try server.client()
            let wire = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                + String(Self.chatBody.utf8.count, radix: 16) + "\r\n" + Self.chatBody + "\r\n0\r\n\r\n"
            let bytes = Array(wire.utf8)
            for start in stride(from: 0, to: bytes.count, by: 3) {
                try client.send(Array(bytes[start..<min(bytes.count, start + 3)]))
            }
            #expect(try client.readResponse().text.contains("Hello! How can I help you today?"))
        }
    }

    // MARK: HEAD on a streamed reply (no built-in route streams to GET, so a test handler does)

    @Test func aStreamedReplyToGetIsChunked() throws {
        try withHandlerServer { port in
            let client = try RawClient(port: port)
            try client.send("GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.header("transfer-encoding") == "chunked")
            #expect(response.chunks.map { String(decoding: $0, as: UTF8.self) } == ["event 3\n", "event 2\n", "event 1\n"])
        }
    }

    @Test func aStreamedReplyToHeadSendsNoChunkAtAll() throws {
        try withHandlerServer { port in
            let client = try RawClient(port: port)
            try client.send("HEAD /stream HTTP/1.1\r\nHost: localhost\r\n\r\nGET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let head = try client.readResponse(head: true)
            #expect(head.status == 200)
            #expect(head.header("transfer-encoding") == "chunked")
            // A last chunk after the head would be taken for the start of this response.
            let next = try client.readResponse()
            #expect(next.status == 200)
            #expect(next.text == Self.healthBody)
        }
    }

    @Test func aStreamedReplyToHeadOnHTTP10EndsWithTheHead() throws {
        try withHandlerServer { port in
            let client = try RawClient(port: port)
            try client.send("HEAD /stream HTTP/1.0\r\n\r\n")
            let everything = String(decoding: try client.readUntilClose(), as: UTF8.self)
            #expect(everything.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(everything.hasSuffix("\r\n\r\n"))
            #expect(everything.components(separatedBy: "\r\n\r\n").count == 2)
        }
    }
}

/// Answers `/stream` with three stream events and anything else like `/health`.
private final class StreamingHandler: HTTPHandler {
    struct Countdown: EventSource {
        var remaining = 3
        mutating func nextDelay() -> UInt64? { remaining > 0 ? 0 : nil }
        mutating func writeNext(into out: inout ByteBuffer) {
            out.append(utf8: "event \(remaining)\n")
            remaining -= 1
        }
    }

    func reply(to request: HTTPRequest) -> Reply {
        if request.path == "/stream" {
            return Reply(status: 200, headers: HTTPFields([HTTPFields.Field(name: "content-type", value: "text/plain")]),
                         body: .stream(Countdown()))
        }
        return Reply.json(200, ByteBuffer(HTTPConnectionTests.healthBody))
    }

    func reply(to error: HTTPParseError) -> Reply {
        Reply.json(error.status, ByteBuffer("{}"))
    }
}

/// A loop serving `StreamingHandler` on an ephemeral port, on its own thread.
private final class HandlerServer: @unchecked Sendable {
    // @unchecked: after `init` only the loop thread touches the loop objects; `stop()` uses
    // `LoopWakeup.send()`, which is thread-safe.
    let port: Int
    private let loop: EventLoop
    private let server: LoopServer
    private var wakeup: LoopWakeup?
    private let finished = DispatchSemaphore(value: 0)

    init() throws {
        loop = try EventLoop()
        server = LoopServer(loop: loop, handler: StreamingHandler())
        port = try server.listen(host: "127.0.0.1", port: 0)
        wakeup = try LoopWakeup(loop: loop) { [unowned self] in
            self.server.shutdown()
            self.wakeup?.close()
        }
        Thread { [self] in
            self.loop.run()
            self.finished.signal()
        }.start()
    }

    /// Stops the loop and returns its open handle count.
    func stop() -> Int {
        wakeup?.send()
        finished.wait()
        return loop.openHandleCount
    }
}

private func withHandlerServer(_ body: (Int) throws -> Void) throws {
    let server = try HandlerServer()
    defer { #expect(server.stop() == 0, "libuv handles left open") }
    try body(server.port)
}
