@testable import MockLLMCore
import Testing

/// The frame codec against RFC 6455's examples (5.7) and each way a peer's frames can fail the
/// connection, read whole and byte by byte.
@Suite("WebSocket: frame parser and writer")
struct WebSocketFrameParserTests {
    enum Seen: Equatable {
        case text(String)
        case binary([UInt8])
        case ping([UInt8])
        case pong([UInt8])
        case close(UInt16?, String)
    }

    /// Reads `bytes` in pieces of `piece` bytes (0: whole).
    static func read(_ bytes: [UInt8], role: WebSocketFrame.Role, piece: Int = 0, maxMessageBytes: Int = 1 << 20)
        -> (seen: [Seen], failure: WebSocketFailure?) {
        var parser = WebSocketFrameParser(role: role, maxMessageBytes: maxMessageBytes)
        var seen: [Seen] = []
        let step = piece == 0 ? max(bytes.count, 1) : piece
        var start = 0
        repeat {
            let end = min(bytes.count, start + step)
            let failure = bytes[start..<end].withUnsafeBytes { chunk in
                parser.feed(chunk) { event in
                    switch event {
                    case .message(.text(let text)): seen.append(.text(text.description))
                    case .message(.binary(let data)): seen.append(.binary(data.bytes))
                    case .ping(let data): seen.append(.ping(data.bytes))
                    case .pong(let data): seen.append(.pong(data.bytes))
                    case .close(let code, let reason): seen.append(.close(code, reason))
                    }
                }
            }
            if let failure { return (seen, failure) }
            start = end
        } while start < bytes.count
        return (seen, nil)
    }

    /// Both ways of reading give `expected`.
    static func expect(_ bytes: [UInt8], role: WebSocketFrame.Role, _ expected: [Seen], failure: UInt16? = nil,
                       maxMessageBytes: Int = 1 << 20, sourceLocation: SourceLocation = #_sourceLocation) {
        for piece in [0, 1, 3] {
            let (seen, failed) = read(bytes, role: role, piece: piece, maxMessageBytes: maxMessageBytes)
            #expect(seen == expected, "in pieces of \(piece)", sourceLocation: sourceLocation)
            #expect(failed?.code == failure, "in pieces of \(piece): \(String(describing: failed))", sourceLocation: sourceLocation)
        }
    }

    static let hello = Array("Hello".utf8)
    static let maskedHello: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]

    @Test("RFC 6455 5.7: a single-frame unmasked text message (client role)")
    func unmaskedText() {
        Self.expect([0x81, 0x05] + Self.hello, role: .client, [.text("Hello")])
    }

    @Test("RFC 6455 5.7: a single-frame masked text message (server role)")
    func maskedText() {
        Self.expect(Self.maskedHello, role: .server, [.text("Hello")])
    }

    @Test("RFC 6455 5.7: a fragmented unmasked text message")
    func fragmented() {
        Self.expect([0x01, 0x03, 0x48, 0x65, 0x6C, 0x80, 0x02, 0x6C, 0x6F], role: .client, [.text("Hello")])
    }

    @Test("RFC 6455 5.7: an unmasked ping and a masked pong")
    func pingPong() {
        Self.expect([0x89, 0x05] + Self.hello, role: .client, [.ping(Self.hello)])
        Self.expect([0x8A, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58], role: .server, [.pong(Self.hello)])
    }

    @Test("RFC 6455 5.7: 256 bytes and 64 KiB binary messages in one unmasked frame")
    func longLengths() {
        let small = (0..<256).map { UInt8(truncatingIfNeeded: $0) }
        Self.expect([0x82, 0x7E, 0x01, 0x00] + small, role: .client, [.binary(small)])
        let large = (0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(Self.read([0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0] + large, role: .client).seen == [.binary(large)])
    }

    @Test("Control frames between the fragments of a message come out at once")
    func interleavedControl() {
        let bytes: [UInt8] = [0x01, 0x03, 0x48, 0x65, 0x6C, 0x89, 0x00, 0x80, 0x02, 0x6C, 0x6F]
        Self.expect(bytes, role: .client, [.ping([]), .text("Hello")])
    }

    @Test("The writer: shortest lengths, the RFC's masked frame, round trips of every length class")
    func writer() {
        var out = ByteBuffer()
        Self.hello.withUnsafeBytes { WebSocketFrame.append(.text, payload: $0, maskKey: 0x37FA_213D, into: &out) }
        #expect(out.bytes == Self.maskedHello)
        for count in [0, 1, 125, 126, 65535, 65536] {
            let payload = (0..<count).map { UInt8(truncatingIfNeeded: $0) }
            var frame = ByteBuffer()
            payload.withUnsafeBytes { WebSocketFrame.append(.binary, payload: $0, into: &frame) }
            #expect(frame.count == count + (count < 126 ? 2 : count <= 65535 ? 4 : 10))
            #expect(Self.read(frame.bytes, role: .client).seen == [.binary(payload)])
            var masked = ByteBuffer()
            payload.withUnsafeBytes { WebSocketFrame.append(.binary, payload: $0, maskKey: 0xA1B2_C3D4, into: &masked) }
            #expect(Self.read(masked.bytes, role: .server).seen == [.binary(payload)])
        }
    }

    @Test("Close frames: none, a code, a code and reason; nothing is read after one")
    func close() {
        Self.expect([0x88, 0x00, 0x81, 0x00], role: .client, [.close(nil, "")])
        var out = ByteBuffer()
        WebSocketFrame.append(.close, payload: WebSocketFrame.closePayload(code: 1000, reason: "bye"), into: &out)
        Self.expect(out.bytes + [0x81, 0x00], role: .client, [.close(1000, "bye")])
        #expect(WebSocketFrame.closePayload(code: 1001, reason: String(repeating: "é", count: 100)).count == 124)  // 61 two-byte characters fit in 123
        #expect(WebSocketFrame.closePayload(code: 1005, reason: "x").isEmpty)
    }

    @Test("Protocol errors (1002): RSV bits, reserved opcodes, masking by role, long or fragmented control frames")
    func protocolErrors() {
        Self.expect([0xC1, 0x00], role: .client, [], failure: 1002)  // RSV1
        Self.expect([0x83, 0x00], role: .client, [], failure: 1002)  // opcode 3
        Self.expect([0x8B, 0x00], role: .client, [], failure: 1002)  // opcode B
        Self.expect([0x81, 0x05] + Self.hello, role: .server, [], failure: 1002)  // unmasked from a client
        Self.expect(Self.maskedHello, role: .client, [], failure: 1002)  // masked from a server
        Self.expect([0x89, 0x7E, 0x00, 0x7E] + [UInt8](repeating: 0, count: 126), role: .client, [], failure: 1002)
        Self.expect([0x09, 0x00], role: .client, [], failure: 1002)  // a fragmented ping
    }

    @Test("Protocol errors (1002): continuation without a message, a new message inside one, lengths")
    func sequenceErrors() {
        Self.expect([0x80, 0x00], role: .client, [], failure: 1002)
        Self.expect([0x01, 0x01, 0x41, 0x81, 0x00], role: .client, [], failure: 1002)
        Self.expect([0x82, 0x7E, 0x00, 0x05] + Self.hello, role: .client, [], failure: 1002)  // not the shortest form
        Self.expect([0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0], role: .client, [], failure: 1002)  // top bit set
    }

    @Test("Close payloads: one byte, codes that may not be sent, a reason that is not UTF-8")
    func badClose() {
        Self.expect([0x88, 0x01, 0x03], role: .client, [], failure: 1002)
        for code: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
            Self.expect([0x88, 0x02, UInt8(code >> 8), UInt8(code & 0xFF)], role: .client, [], failure: 1002)
        }
        for code: UInt16 in [1000, 1003, 1007, 1014, 3000, 4999] {
            Self.expect([0x88, 0x02, UInt8(code >> 8), UInt8(code & 0xFF)], role: .client, [.close(code, "")])
        }
        Self.expect([0x88, 0x04, 0x03, 0xE8, 0xCE, 0xBA], role: .client, [.close(1000, "κ")])
        Self.expect([0x88, 0x03, 0x03, 0xE8, 0xFF], role: .client, [], failure: 1007)
    }

    @Test("Text that is not UTF-8 fails (1007) as its bad byte arrives, before the message ends")
    func invalidUTF8() {
        // 5.7's fragmented message with a bad byte in its first fragment: failed before the second.
        let (seen, failure) = Self.read([0x01, 0x02, 0x48, 0xFF], role: .client)
        #expect(seen.isEmpty && failure?.code == 1007)
        // A surrogate (ED A0 80), an overlong form (C0 AF), past U+10FFFF (F4 90 80 80).
        Self.expect([0x81, 0x03, 0xED, 0xA0, 0x80], role: .client, [], failure: 1007)
        Self.expect([0x81, 0x02, 0xC0, 0xAF], role: .client, [], failure: 1007)
        Self.expect([0x81, 0x04, 0xF4, 0x90, 0x80, 0x80], role: .client, [], failure: 1007)
        // A character cut at the message's end; one split across fragments is fine.
        Self.expect([0x81, 0x02, 0xCE, 0xBA, 0x81, 0x01, 0xCE], role: .client, [.text("κ")], failure: 1007)
        Self.expect([0x01, 0x01, 0xCE, 0x80, 0x01, 0xBA], role: .client, [.text("κ")])
        // Binary messages are not text.
        Self.expect([0x82, 0x01, 0xFF], role: .client, [.binary([0xFF])])
    }

    @Test("A message over the limit fails with 1009 at the frame header that passes it")
    func tooBig() {
        Self.expect([0x82, 0x05] + Self.hello, role: .client, [.binary(Self.hello)], maxMessageBytes: 5)
        Self.expect([0x82, 0x06] + Self.hello + [0], role: .client, [], failure: 1009, maxMessageBytes: 5)
        Self.expect([0x02, 0x03, 1, 2, 3, 0x80, 0x03], role: .client, [], failure: 1009, maxMessageBytes: 5)
    }

    @Test("After a failure nothing more is read")
    func staysFailed() {
        var parser = WebSocketFrameParser(role: .client)
        let first = [UInt8]([0xC1, 0x00]).withUnsafeBytes { parser.feed($0) { _ in } }
        #expect(first?.code == 1002)
        var events = 0
        let again = [UInt8]([0x81, 0x00]).withUnsafeBytes { parser.feed($0) { _ in events += 1 } }
        #expect(again?.code == 1002 && events == 0)
    }

    @Test("UTF-8 validation across pieces cut at every byte")
    func utf8Pieces() {
        let text = Array("aé€😀z".utf8)
        for cut in 0...text.count {
            var validator = UTF8Validator()
            let ok = text[..<cut].withUnsafeBytes { validator.validate($0) } && text[cut...].withUnsafeBytes { validator.validate($0) }
            #expect(ok && validator.isComplete)
        }
        var validator = UTF8Validator()
        #expect([UInt8]([0xF0, 0x9F]).withUnsafeBytes { validator.validate($0) } && !validator.isComplete)
    }
}
