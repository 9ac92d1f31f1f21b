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

/// The conformance table (`MalformedRequest`, Tests/TestSupport/MalformedRequests.swift), every
/// row of it, sent to a real server: each is answered once, with its status in OpenAI's error
/// shape, and the connection closes; nothing pipelined behind it is answered.
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

    @Test(arguments: MalformedRequest.all)
    func isAnsweredInOpenAIShapeThenClosed(_ malformed: MalformedRequest) throws {
        try withServer { server in
            let client = try server.client()
            try client.send(malformed.wire)
            try expectOneErrorThenClose(client, status: malformed.status)
            #expect(client.closedByPeer)
            // The server is unharmed: a new connection is served.
            let next = try server.client()
            try next.send(Self.health)
            #expect(try next.readResponse().status == 200)
        }
    }

    @Test(arguments: MalformedRequest.all)
    func aValidRequestPipelinedBehindItIsNeverAnswered(_ malformed: MalformedRequest) throws {
        try withServer { server in
            let client = try server.client()
            try client.send(malformed.wire + Array(Self.health.utf8))
            try expectOneErrorThenClose(client, status: malformed.status)
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
            for malformed in MalformedRequest.all.prefix(10) {
                let client = try server.client()
                try client.send(malformed.wire)
                _ = try client.readUntilClose()
            }
            let client = try server.client()
            try client.send(Self.health + Self.health)
            #expect(try client.readResponse().status == 200)
            #expect(try client.readResponse().status == 200)
        }
    }
}
