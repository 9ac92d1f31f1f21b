import MockLLMCore

/// A WebSocket client over a `RawClient` for end-to-end tests: the opening handshake, masked
/// frames out (whole, fragmented or raw bytes), and frames in read with the core's parser in
/// the client role, so what the server sends is checked as strictly as what it reads.
package final class WebSocketClient {
    package let raw: RawClient
    private var parser = WebSocketFrameParser(role: .client)
    private var events: [WebSocketFrameParser.Event] = []
    package private(set) var failure: WebSocketFailure?
    private var mask: UInt32 = 0x1234_5678

    /// The handshake's 101 response.
    package let handshake: TestResponse

    /// Connects and upgrades `path`; throws unless the answer is 101 with the right accept value.
    package init(port: Int, path: String, headers: [String] = [], first: [UInt8] = [], timeout: Double = 5) throws {
        raw = try RawClient(port: port, timeout: timeout)
        let key = "dGhlIHNhbXBsZSBub25jZQ=="
        var request = "GET \(path) HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        for header in headers { request += header + "\r\n" }
        // `first`: frames sent in the same write as the request (read with its head).
        try raw.send(Array((request + "\r\n").utf8) + first)
        handshake = try raw.readHead()
        guard handshake.status == 101 else { throw TestFailure("handshake answered \(handshake.status)") }
        guard handshake.header("sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" else {
            throw TestFailure("wrong accept value \(handshake.header("sec-websocket-accept") ?? "none")")
        }
    }

    /// One masked frame's bytes.
    package func frame(_ opcode: WebSocketFrame.Opcode, _ payload: [UInt8], fin: Bool = true) -> [UInt8] {
        mask = mask &* 1_103_515_245 &+ 12345
        var out = ByteBuffer()
        payload.withUnsafeBytes { WebSocketFrame.append(opcode, fin: fin, payload: $0, maskKey: mask, into: &out) }
        return out.bytes
    }

    package func send(_ opcode: WebSocketFrame.Opcode, _ payload: [UInt8], fin: Bool = true) throws {
        try raw.send(frame(opcode, payload, fin: fin))
    }

    package func sendText(_ text: String) throws { try send(.text, Array(text.utf8)) }

    package func sendClose(code: UInt16, reason: String = "") throws {
        try send(.close, WebSocketFrame.closePayload(code: code, reason: reason).bytes)
    }

    /// The next frame event from the server; nil when the connection ended (EOF) or the
    /// server's frames broke the protocol (`failure`).
    package func next() throws -> WebSocketFrameParser.Event? {
        while events.isEmpty {
            guard failure == nil else { return nil }
            let bytes = try raw.takeSome()
            if bytes.isEmpty { return nil }
            failure = bytes.withUnsafeBytes { chunk in parser.feed(chunk) { events.append($0) } }
        }
        return events.removeFirst()
    }

    /// The next text message, skipping pings and pongs.
    package func nextText() throws -> String? {
        while let event = try next() {
            switch event {
            case .message(.text(let text)): return text.description
            case .message(.binary): throw TestFailure("a binary message where text was expected")
            case .close(let code, let reason): throw TestFailure("closed (\(code.map(String.init) ?? "no code") \(reason)) where text was expected")
            case .ping, .pong: continue
            }
        }
        return nil
    }

    /// Reads until the server's close frame: its code and reason (nil: none came before EOF).
    package func nextClose() throws -> (code: UInt16?, reason: String)? {
        while let event = try next() {
            if case .close(let code, let reason) = event { return (code, reason) }
        }
        return nil
    }
}
