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

/// A malformed request and the status the server answers it with.
///
/// A representative subset of the unit tests' table (`Tests/MockLLMTests/HTTP/MalformedRequests.swift`,
/// which holds every rule with its RFC section): the two test targets cannot share a file
/// without a support module, and over a socket what matters is the connection's behaviour, so
/// here is at least one case per status and per place a request can fail (request line,
/// fields, Host, framing decision, chunked body, trailers, limits, Expect).
struct Refusal: Sendable, CustomTestStringConvertible {
    let name: String
    let wire: String
    let status: Int

    init(_ name: String, _ wire: String, _ status: Int) {
        self.name = name
        self.wire = wire
        self.status = status
    }

    var testDescription: String { "\(status) \(name)" }

    static func post(_ fields: String, body: String = "") -> String {
        "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n\(fields)\r\n\(body)"
    }

    static func chunked(_ body: String) -> String { post("Transfer-Encoding: chunked\r\n", body: body) }

    static let cases: [Refusal] = [
        // Request line
        .init("separator in the method", "GE(T / HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("target without a leading slash", "GET v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("CTL inside the target", "GET /a\u{1}b HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("no version", "GET /\r\n\r\n", 400),
        .init("lower-case http/1.1", "GET / http/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("version HTTP/1", "GET / HTTP/1\r\nHost: localhost\r\n\r\n", 400),
        .init("version HTTP/2.0", "GET / HTTP/2.0\r\nHost: localhost\r\n\r\n", 505),
        .init("version HTTP/1.2", "GET / HTTP/1.2\r\nHost: localhost\r\n\r\n", 505),
        // Fields
        .init("obs-fold", post("X-A: a\r\n b\r\n"), 400),
        .init("bare LF ending the request line", "GET / HTTP/1.1\nHost: localhost\r\n\r\n", 400),
        .init("bare LF ending a field", "GET / HTTP/1.1\r\nHost: localhost\n\r\n", 400),
        .init("bare CR inside a field value", post("X-A: a\rb\r\n"), 400),
        .init("NUL in a field value", post("X-A: a\u{0}b\r\n"), 400),
        .init("CTL in a field name", post("X-\u{1}A: b\r\n"), 400),
        .init("space before the colon", post("Content-Length : 2\r\n", body: "{}"), 400),
        .init("empty field name", post(": b\r\n"), 400),
        // Host
        .init("no Host on HTTP/1.1", "GET /health HTTP/1.1\r\n\r\n", 400),
        .init("two Host", "GET /health HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400),
        .init("Host with a space", "GET /health HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
        // Framing
        .init("Content-Length and Transfer-Encoding", post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", body: "0\r\n\r\n"), 400),
        .init("two Content-Length, same value", post("Content-Length: 2\r\nContent-Length: 2\r\n", body: "{}"), 400),
        .init("two Content-Length, different values", post("Content-Length: 2\r\nContent-Length: 3\r\n", body: "{}x"), 400),
        .init("signed Content-Length", post("Content-Length: +2\r\n", body: "{}"), 400),
        .init("empty Content-Length", post("Content-Length: \r\n"), 400),
        .init("Content-Length overflowing 64 bits", post("Content-Length: 99999999999999999999999\r\n"), 400),
        .init("Transfer-Encoding gzip", post("Transfer-Encoding: gzip\r\n"), 400),
        .init("Transfer-Encoding chunked, identity", post("Transfer-Encoding: chunked, identity\r\n", body: "0\r\n\r\n"), 400),
        .init("Transfer-Encoding xchunked", post("Transfer-Encoding: xchunked\r\n", body: "0\r\n\r\n"), 400),
        .init("Transfer-Encoding gzip, chunked", post("Transfer-Encoding: gzip, chunked\r\n", body: "0\r\n\r\n"), 501),
        .init("two Transfer-Encoding fields", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", body: "0\r\n\r\n"), 400),
        .init("Transfer-Encoding on HTTP/1.0", "POST /v1/chat/completions HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        // Chunked body and trailers
        .init("chunk size of 17 hex digits", chunked("00000000000000005\r\nhello\r\n0\r\n\r\n"), 400),
        .init("non-hex chunk size", chunked("g\r\nhello\r\n0\r\n\r\n"), 400),
        .init("chunk data not followed by CRLF", chunked("5\r\nhelloXX\r\n0\r\n\r\n"), 400),
        .init("bare LF ending a chunk size", chunked("5\nhello\r\n0\r\n\r\n"), 400),
        .init("CTL in a chunk extension", chunked("5;a=\u{1}\r\nhello\r\n0\r\n\r\n"), 400),
        .init("chunk line over 4 KiB", chunked("5;" + String(repeating: "a", count: 5000) + "\r\nhello\r\n0\r\n\r\n"), 400),
        .init("trailer with space before the colon", chunked("0\r\nX-T : v\r\n\r\n"), 400),
        // Limits
        .init("head over 16 KiB", post("X-Big: " + String(repeating: "a", count: 16 * 1024) + "\r\n"), 431),
        .init("request line over 16 KiB", "GET /" + String(repeating: "a", count: 16 * 1024) + " HTTP/1.1\r\nHost: localhost\r\n\r\n", 414),
        .init("more than 100 fields", post(String(repeating: "X-A: b\r\n", count: 100)), 431),
        .init("Content-Length over the body limit", post("Content-Length: 8388609\r\n"), 413),
        .init("chunk over the body limit", chunked("800001\r\n"), 413),
        .init("trailer section over 16 KiB", chunked("0\r\n" + String(repeating: "X-T: " + String(repeating: "v", count: 93) + "\r\n", count: 200) + "\r\n"), 431),
        // Expect
        .init("Expect other than 100-continue", post("Expect: 200-ok\r\nContent-Length: 2\r\n", body: "{}"), 417),
    ]
}

@Suite("HTTP/1.1 conformance over real sockets")
struct HTTPConformanceTests {
    static let health = "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"

    /// Everything the server sends until it closes: exactly one error response.
    func expectOneErrorThenClose(_ client: RawClient, status: Int) throws {
        let bytes = try client.readUntilClose()  // returns only once the server has closed
        guard let headEnd = RawClient.find([13, 10, 13, 10], in: bytes) else {
            Issue.record("no complete response head in \(String(decoding: bytes, as: UTF8.self).debugDescription)")
            return
        }
        let head = String(decoding: bytes[..<(headEnd + 4)], as: UTF8.self)
        let body = Array(bytes[(headEnd + 4)...])
        #expect(head.hasPrefix("HTTP/1.1 \(status) \(HTTPStatus.reason(status))\r\n"))
        let response = try TestResponse(head: head)
        #expect(response.header("connection") == "close")
        #expect(response.header("content-type") == "application/json")
        // Exactly the announced body and nothing after it: no second response.
        #expect(response.header("content-length") == String(body.count))
        let json = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        let error = json?["error"] as? [String: Any]
        #expect(json?.keys.sorted() == ["error"])
        #expect(error?.keys.sorted() == ["code", "message", "param", "type"])
        let message = error?["message"] as? String ?? ""
        #expect(!message.isEmpty)
        if status == 400 { #expect(message.hasPrefix("Malformed HTTP request: "), "\(message)") }
        #expect(error?["type"] as? String == (status >= 500 ? "server_error" : "invalid_request_error"))
    }

    @Test(arguments: Refusal.cases)
    func isAnsweredInOpenAIShapeThenClosed(_ refusal: Refusal) throws {
        try withServer { server in
            let client = try server.client()
            try client.send(refusal.wire)
            try expectOneErrorThenClose(client, status: refusal.status)
            #expect(client.closedByPeer)
            // The server is unharmed: a new connection is served.
            let next = try server.client()
            try next.send(Self.health)
            #expect(try next.readResponse().status == 200)
        }
    }

    @Test(arguments: Refusal.cases)
    func aValidRequestPipelinedBehindItIsNeverAnswered(_ refusal: Refusal) throws {
        try withServer { server in
            let client = try server.client()
            try client.send(refusal.wire + Self.health)
            try expectOneErrorThenClose(client, status: refusal.status)
        }
    }

    @Test func validRequestsBeforeAMalformedOneAreAnsweredInOrderThenTheConnectionCloses() throws {
        try withServer { server in
            let client = try server.client()
            try client.send(Self.health + "GET /models HTTP/1.1\r\nHost: localhost\r\n\r\n"
                            + "GET / HTTP/1.1\r\nHost: localhost\r\nX : y\r\n\r\n" + Self.health)
            #expect(try client.readResponse().text == #"{"status":"ok"}"#)
            #expect(try client.readResponse().text.hasPrefix(#"{"models":"#))
            try expectOneErrorThenClose(client, status: 400)
        }
    }

    @Test func aMalformedRequestArrivingInPiecesIsRefusedWhenTheFaultArrives() throws {
        try withServer { server in
            let client = try server.client()
            for piece in ["POST /v1/chat/completions HTTP/1.1\r\n", "Host: localhost\r\n", "Content-Length: 1\r\n", "Content-Length: 1\r\n"] {
                try client.send(piece)
            }
            // Fields are judged once the head is complete.
            try client.send("\r\n")
            try expectOneErrorThenClose(client, status: 400)
        }
    }

    @Test func anOverLongHeadIsRefusedBeforeItEnds() throws {
        try withServer { server in
            let client = try server.client()
            try client.send("GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + String(repeating: "a", count: 20_000))
            try expectOneErrorThenClose(client, status: 431)
        }
    }

    @Test func manyRefusedConnectionsLeaveTheServerServing() throws {
        try withServer { server in
            for refusal in Refusal.cases.prefix(10) {
                let client = try server.client()
                try client.send(refusal.wire)
                _ = try client.readUntilClose()
            }
            let client = try server.client()
            try client.send(Self.health + Self.health)
            #expect(try client.readResponse().status == 200)
            #expect(try client.readResponse().status == 200)
        }
    }
}
