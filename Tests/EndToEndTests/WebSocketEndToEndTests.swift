import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMHTTPServer
@testable import MockLLMProviders
@testable import MockLLMScript
import TestSupport
import Testing

/// The WebSocket connection mode over real sockets (RFC 6455), with a session served through
/// the custom-provider API (`WebSocketEcho`): the handshake, frames both ways, pings, the close
/// handshake both ways, failures with their close codes, timeouts, draining, the journal and
/// the counters.
@Suite("WebSocket over real sockets")
struct WebSocketEndToEndTests {
    static func server(tune: (inout ServerConfiguration) -> Void = { _ in }) throws -> TestServer {
        try TestServer(script: Script(responses: ["go": "a b c"])) {
            $0.providers = servedProviders + [ServedProvider(custom: WebSocketEcho.self)]
            tune(&$0)
        }
    }

    static func connect(_ server: TestServer, id: String, first: [UInt8] = []) throws -> WebSocketClient {
        try WebSocketClient(port: server.port, path: "/ws/echo?id=\(id)", first: first)
    }

    @Test func theHandshakeUpgradesAndTheSessionSpeaksFirst() throws {
        let server = try Self.server()
        defer { #expect(server.stop() == 0) }
        let ws = try Self.connect(server, id: "hello")
        #expect(ws.handshake.header("upgrade") == "websocket")
        #expect(ws.handshake.header("x-echo") == "1")
        #expect(ws.handshake.header("content-length") == nil && ws.handshake.header("transfer-encoding") == nil)
        #expect(try ws.nextText() == #"{"type":"ready"}"#)
        try ws.sendText("echo:hi")
        #expect(try ws.nextText() == "hi")
        try ws.send(.binary, [0, 1, 2, 255])
        guard case .message(.binary(let data))? = try ws.next() else { Issue.record("no binary echo"); return }
        #expect(data.bytes == [0, 1, 2, 255])
    }

    @Test func framesSentWithTheRequestAreReadAfterTheHandshake() throws {
        let server = try Self.server()
        defer { #expect(server.stop() == 0) }
        // RFC 6455 5.7's masked "Hello", in the same write as the upgrade request.
        let hello: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        let ws = try Self.connect(server, id: "early", first: hello)
        #expect(try ws.nextText() == #"{"type":"ready"}"#)
        #expect(try ws.nextText() == "?")
    }

    @Test func aFragmentedMessageWithAPingBetweenItsFragments() throws {
        let server = try Self.server()
        defer { #expect(server.stop() == 0) }
        let ws = try Self.connect(server, id: "fragments")
        _ = try ws.nextText()
        try ws.raw.send(ws.frame(.text, Array("echo:".utf8), fin: false) + ws.frame(.ping, Array("p1".utf8))
                        + ws.frame(.continuation, Array("wh".utf8), fin: false) + ws.frame(.continuation, Array("ole".utf8)))
        guard case .pong(let data)? = try ws.next() else { Issue.record("no pong first"); return }
        #expect(data.bytes == Array("p1".utf8))
        #expect(try ws.nextText() == "whole")
    }

    @Test func theSessionsDeadlinesSendItsMessagesInOrder() throws {
        let server = try Self.server()
        defer { #expect(server.stop() == 0) }
        let ws = try Self.connect(server, id: "later")
        _ = try ws.nextText()
        try ws.sendText("later:5")
        var got: [String] = []
        for _ in 0..<5 { got.append(try ws.nextText() ?? "") }
        #expect(got == ["n:1", "n:2", "n:3", "n:4", "n:5"])
        let stats = try server.stats()
        #expect((stats.json["lateness_ns"] as? [String: Any])?["count"] as? Int ?? 0 >= 5)
    }

    @Test func theClientClosesAndTheServerEchoesItsCodeThenCloses() throws {
        let server = try Self.server()
        defer { #expect(server.stop() == 0) }
        let ws = try Self.connect(server, id: "client-close")
        _ = try ws.nextText()
        try ws.sendClose(code: 1000, reason: "bye")
        let close = try #require(try ws.nextClose())
        #expect(close.code == 1000 && close.reason == "bye")
        #expect(ws.raw.waitForClose(), "the server did not close the TCP connection")
        try eventually("the session ended with 1000") { WebSocketEcho.ending("client-close") == 1000 }
    }

    @Test func theSessionClosesAndTheServerWaitsForTheClientsClose() throws {
        let server = try Self.server()
        defer { #expect(server.stop() == 0) }
        let ws = try Self.connect(server, id: "server-close")
        _ = try ws.nextText()
        try ws.sendText("close")
        let close = try #require(try ws.nextClose())
        #expect(close.code == 1000 && close.reason == "done")
        try ws.sendClose(code: 1000)
        #expect(ws.raw.waitForClose())
        try eventually("the session ended with the client's 1000") { WebSocketEcho.ending("server-close") == 1000 }
    }

    @Test(arguments: [
        ("unmasked", [0x81, 0x01, 0x41] as [UInt8], UInt16(1002)),
        ("rsv", [0xC1, 0x80, 0, 0, 0, 0], 1002),
        ("opcode", [0x83, 0x80, 0, 0, 0, 0], 1002),
        ("long-ping", [0x89, 0xFE, 0x00, 0x7E, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 126), 1002),
        ("continuation", [0x80, 0x80, 0, 0, 0, 0], 1002),
        ("utf8", [0x81, 0x82, 0, 0, 0, 0, 0xCE, 0x41], 1007),
        ("close-code", [0x88, 0x82, 0, 0, 0, 0, 0x03, 0xED], 1002),
    ])
    func aProtocolViolationFailsTheConnectionWithItsCode(name: String, frame: [UInt8], code: UInt16) throws {
        let server = try Self.server()
        defer { #expect(server.stop() == 0) }
        let ws = try Self.connect(server, id: "violation-\(name)")
        _ = try ws.nextText()
        try ws.raw.send(frame)
        let close = try #require(try ws.nextClose(), "no close frame for \(name)")
        #expect(close.code == code)
        #expect(ws.raw.waitForClose())
        try eventually("the session ended with \(code)") { WebSocketEcho.ending("violation-\(name)") == code }
    }

    @Test func aMessageOverTheLimitIsClosedWith1009() throws {
        let server = try Self.server { $0.webSocket.maxMessageBytes = 1000 }
        defer { #expect(server.stop() == 0) }
        let ws = try Self.connect(server, id: "too-big")
        _ = try ws.nextText()
        try ws.send(.binary, [UInt8](repeating: 7, count: 1001))
        #expect(try ws.nextClose()?.code == 1009)
    }

    @Test func aClientThatGoesAwayEndsTheSessionWith1006() throws {
        let server = try Self.server()
        defer { #expect(server.stop() == 0) }
        let ws = try Self.connect(server, id: "gone")
        _ = try ws.nextText()
        ws.raw.shutdownWrite()
        #expect(ws.raw.waitForClose())
        try eventually("the session ended with 1006") { WebSocketEcho.ending("gone") == 1006 }
    }

    @Test func aQuietClientIsPingedThenClosedWhenItStaysSilent() throws {
        let server = try Self.server {
            $0.webSocket.pingMilliseconds = 50
            $0.webSocket.idleTimeoutMilliseconds = 400
            $0.webSocket.closeTimeoutMilliseconds = 200
        }
        defer { #expect(server.stop() == 0) }
        let ws = try Self.connect(server, id: "quiet")
        _ = try ws.nextText()
        guard case .ping(let data)? = try ws.next() else { Issue.record("no ping"); return }
        #expect(!data.isEmpty)
        // No pong: the idle timeout closes with 1001, and no close answer closes the socket.
        let close = try #require(try ws.nextClose())
        #expect(close.code == 1001 && close.reason == "idle timeout")
        #expect(ws.raw.waitForClose())
        #expect(WebSocketEcho.ending("quiet") == 1001)
    }

    @Test func drainingClosesSessionsWith1001() throws {
        let server = try Self.server()
        let ws = try Self.connect(server, id: "drain")
        _ = try ws.nextText()
        let drained = Thread { _ = server.drainAndWait() }
        drained.start()
        #expect(try ws.nextClose()?.code == 1001)
        try ws.sendClose(code: 1001)
        #expect(ws.raw.waitForClose())
        try eventually("the server drained") { server.server.openHandleCount == 0 }
    }

    @Test func aPlainGetToTheWebSocketPathIsRefusedWith426() throws {
        let server = try Self.server()
        defer { #expect(server.stop() == 0) }
        let client = try server.client()
        try client.send("GET /ws/echo HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 426)
        let error = try #require(response.json()["error"] as? [String: Any])
        #expect((error["message"] as? String)?.contains("WebSocket") == true)
    }

    @Test func theJournalAndTheCountersShowTheSession() throws {
        let server = try Self.server()
        defer { #expect(server.stop() == 0) }
        let ws = try Self.connect(server, id: "journal")
        _ = try ws.nextText()
        try ws.sendText(#"echo:{"k":1}"#)
        #expect(try ws.nextText() == #"{"k":1}"#)
        let open = try server.stats()
        #expect(open["websockets", "open"] == 1 && open["websockets", "messages_in"] == 1 && open["websockets", "messages_out"] == 2)
        try ws.sendClose(code: 1000)
        _ = try ws.nextClose()
        #expect(ws.raw.waitForClose())
        let requests = try eventually("the journal has the finished session") {
            (try server.request("GET", "/_mockllm/requests").json()["requests"] as? [[String: Any]]) ?? []
        } until: { ($0.first?["websocket"] as? [String: Any])?["close_code"] as? Int == 1000 }
        let entry = try #require(requests.first)
        #expect(entry["status"] as? Int == 101)
        let transcript = try #require(entry["websocket"] as? [String: Any])
        let messages = try #require(transcript["messages"] as? [[String: Any]])
        #expect(messages.map { $0["dir"] as? String } == ["out", "in", "out"])
        #expect((messages[0]["data"] as? [String: Any])?["type"] as? String == "ready")
        #expect(messages[1]["data"] as? String == #"echo:{"k":1}"#)
        #expect((messages[2]["data"] as? [String: Any])?["k"] as? Int == 1)
        let metrics = try server.request("GET", "/metrics").text
        #expect(metrics.contains("mockllm_websocket_sessions_total 1"))
        #expect(metrics.contains("mockllm_websocket_messages_received_total 1"))
        #expect(metrics.contains("mockllm_websocket_sessions_open 0"))
    }

    /// Autobahn's framing, ping and fragmentation cases that a client library would not send
    /// (its 1.x, 2.x and 5.x): payloads at the length-encoding edges echoed, a ping of 125 bytes
    /// answered with the same bytes, a text message in one-byte fragments with pings between.
    @Test func lengthEdgesPingsAndManyFragments() throws {
        let server = try Self.server()
        defer { #expect(server.stop() == 0) }
        let ws = try Self.connect(server, id: "edges")
        _ = try ws.nextText()
        for count in [0, 125, 126, 127, 65535, 65536, 1 << 20] {
            let payload = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try ws.send(.binary, payload)
            guard case .message(.binary(let echoed))? = try ws.next() else { Issue.record("no echo of \(count) bytes"); return }
            #expect(echoed.bytes == payload, "\(count) bytes")
        }
        let ping = [UInt8](repeating: 0x2A, count: 125)
        try ws.send(.ping, ping)
        guard case .pong(let pong)? = try ws.next() else { Issue.record("no pong"); return }
        #expect(pong.bytes == ping)
        let text = Array("echo:fragmented κόσμε".utf8)
        var frames: [UInt8] = []
        for (i, byte) in text.enumerated() {
            if i % 5 == 0 { frames += ws.frame(.ping, [UInt8(i)]) }  // each before a fragment: all before the end
            frames += ws.frame(i == 0 ? .text : .continuation, [byte], fin: i == text.count - 1)
        }
        try ws.raw.send(frames)
        var pongs = 0
        while let event = try ws.next() {
            if case .pong = event { pongs += 1; continue }
            guard case .message(.text(let echoed)) = event else { Issue.record("unexpected \(event)"); return }
            #expect(echoed.description == "fragmented κόσμε")
            break
        }
        #expect(pongs == (text.count + 4) / 5)
    }

    /// Autobahn's 7.x: a close with the longest reason is echoed whole; an empty close is
    /// answered with an empty close and ends the session with 1005.
    @Test func closeFramesWithTheLongestReasonAndWithNone() throws {
        let server = try Self.server()
        defer { #expect(server.stop() == 0) }
        let long = try Self.connect(server, id: "long-reason")
        _ = try long.nextText()
        let reason = String(repeating: "r", count: 123)
        try long.sendClose(code: 3000, reason: reason)
        let echoed = try #require(try long.nextClose())
        #expect(echoed.code == 3000 && echoed.reason == reason)
        let empty = try Self.connect(server, id: "no-code")
        _ = try empty.nextText()
        try empty.send(.close, [])
        let answer = try #require(try empty.nextClose())
        #expect(answer.code == nil)
        #expect(empty.raw.waitForClose())
        try eventually("the session ended with 1005") { WebSocketEcho.ending("no-code") == 1005 }
    }
}
