import Foundation
@testable import MockLLMCore
import Testing

/// The opening handshake (RFC 6455 4.2) and the SHA-1 it rests on (FIPS 180-4's examples, as
/// RFC 3174 lists them).
@Suite("WebSocket: handshake and SHA-1")
struct WebSocketHandshakeTests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test("SHA-1 of FIPS 180's examples: abc, the 448-bit message, a million a's, the empty string")
    func sha1Vectors() {
        #expect(Self.hex(SHA1.hash(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(Self.hex(SHA1.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
            == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(Self.hex(SHA1.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
        #expect(Self.hex(SHA1.hash([])) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        // RFC 3174's fourth test: "01234567" repeated 80 times (crosses many block boundaries).
        #expect(Self.hex(SHA1.hash(Array(String(repeating: "0123456701234567012345670123456701234567012345670123456701234567", count: 10).utf8)))
            == "dea356a2cddd90c7a7ecedc5ebb563934f460452")
    }

    @Test("The accept value of RFC 6455's sample key")
    func acceptOfSampleKey() {
        #expect(WebSocketHandshake.accept(key: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    static func request(_ head: String) throws -> HTTPRequest {
        var parser = RequestParser()
        parser.append(Array(head.replacingOccurrences(of: "\n", with: "\r\n").utf8))
        guard case .request(let request) = parser.next() else { throw HandshakeTestError.notParsed }
        return request
    }

    enum HandshakeTestError: Error { case notParsed }

    static let valid = """
        GET /chat HTTP/1.1
        Host: server.example.com
        Upgrade: websocket
        Connection: keep-alive, Upgrade
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
        Sec-WebSocket-Version: 13


        """

    final class NoSession: WebSocketSession {
        func opened(now: UInt64, into out: inout [WebSocketOutput]) {}
        func received(_ message: WebSocketMessage, now: UInt64, into out: inout [WebSocketOutput]) {}
        var nextDeadline: UInt64? { nil }
        func due(now: UInt64, into out: inout [WebSocketOutput]) {}
        func ended(code: UInt16, now: UInt64) {}
    }

    @Test("A valid opening handshake gets 101 with the accept value and the subprotocol")
    func validHandshake() throws {
        let result = WebSocketHandshake.reply(to: try Self.request(Self.valid), subprotocol: "realtime") { NoSession() }
        guard case .success(let reply) = result else { Issue.record("refused: \(result)"); return }
        #expect(reply.status == 101)
        #expect(reply.headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(reply.headers["upgrade"] == "websocket")
        #expect(reply.headers["sec-websocket-protocol"] == "realtime")
        guard case .webSocket = reply.body else { Issue.record("not a WebSocket body"); return }
    }

    @Test("Refusals: a plain GET, a POST, HTTP/1.0, version 8, a missing or malformed key")
    func refusals() throws {
        func check(_ head: String) throws -> WebSocketHandshake.Refusal? {
            if case .failure(let refusal) = WebSocketHandshake.check(try Self.request(head)) { return refusal }
            return nil
        }
        #expect(try check("GET /chat HTTP/1.1\nHost: x\n\n") == .notUpgrade)
        #expect(try check(Self.valid.replacingOccurrences(of: "GET", with: "POST")) == .notUpgrade)
        #expect(try check(Self.valid.replacingOccurrences(of: "HTTP/1.1", with: "HTTP/1.0")) == .httpVersion)
        #expect(try check(Self.valid.replacingOccurrences(of: "Version: 13", with: "Version: 8")) == .version)
        #expect(try check(Self.valid.replacingOccurrences(of: "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n", with: "")) == .key)
        #expect(try check(Self.valid.replacingOccurrences(of: "dGhlIHNhbXBsZSBub25jZQ==", with: "dGhlIHNhbXBsZSBub25jZR==")) == .key)
        #expect(try check(Self.valid.replacingOccurrences(of: "dGhlIHNhbXBsZSBub25jZQ==", with: "short")) == .key)
        #expect(WebSocketHandshake.Refusal.version.status == 426)
        #expect(WebSocketHandshake.Refusal.key.status == 400)
    }

    @Test("Upgrade and Connection tokens are case-insensitive and may share a line with others")
    func tokens() throws {
        let head = Self.valid.replacingOccurrences(of: "Upgrade: websocket", with: "Upgrade: WebSocket")
            .replacingOccurrences(of: "Connection: keep-alive, Upgrade", with: "Connection: keep-alive,upgrade")
        guard case .success = WebSocketHandshake.check(try Self.request(head)) else { Issue.record("refused"); return }
    }
}
