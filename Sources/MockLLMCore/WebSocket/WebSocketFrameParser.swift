/// Why a peer's frames fail the connection (RFC 6455 7.1.7): the close code to send and why.
public struct WebSocketFailure: Error, Equatable, Sendable {
    /// 1002 (protocol error), 1007 (a text message or close reason that is not UTF-8) or 1009
    /// (a message over the size limit).
    public var code: UInt16
    public var reason: String

    public init(code: UInt16, reason: String) {
        self.code = code
        self.reason = reason
    }

    static func protocolError(_ reason: String) -> WebSocketFailure {
        WebSocketFailure(code: WebSocketFrame.CloseCode.protocolError, reason: reason)
    }
}

/// Reads WebSocket frames (RFC 6455 section 5) as they arrive in pieces cut anywhere, in the
/// server's role (every frame must be masked) or the client's (none may be): messages are
/// joined from their fragments, control frames come out as they arrive (also between the
/// fragments of a message), text is checked to be UTF-8 as its bytes arrive, and the first
/// violation is reported with the close code it calls for. No extension is ever negotiated,
/// so the RSV bits must be 0.
///
/// Pure and incremental: a payload is unmasked into the message being built as its bytes come
/// in, never held twice. After a close frame or a failure nothing more is read.
public struct WebSocketFrameParser {
    /// What a frame or a completed message means to the connection.
    public enum Event {
        case message(WebSocketMessage)
        case ping(ByteBuffer)
        case pong(ByteBuffer)
        /// A close frame: its code (nil: none, which the application sees as 1005) and reason.
        case close(code: UInt16?, reason: String)
    }

    public let role: WebSocketFrame.Role
    /// The longest message (all its fragments) accepted; a longer one fails with 1009.
    public let maxMessageBytes: Int

    // The frame being read: its first two header bytes and the extended length and mask key
    // that follow, then the payload bytes still to come.
    private var header: [UInt8] = []
    private var headerLength = 2
    private var opcode = WebSocketFrame.Opcode.continuation
    private var fin = false
    private var remaining: UInt64 = 0
    private var maskKey: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
    private var masked = false
    private var maskOffset = 0
    private var inPayload = false
    /// The data message being joined (its first frame's opcode) and its bytes.
    private var messageOpcode: WebSocketFrame.Opcode?
    private var message = ByteBuffer()
    private var utf8 = UTF8Validator()
    /// The control frame being read (at most 125 bytes).
    private var control = ByteBuffer()
    public private(set) var failure: WebSocketFailure?
    /// A close frame was read: nothing after it is.
    public private(set) var closed = false

    public init(role: WebSocketFrame.Role, maxMessageBytes: Int = 16 << 20) {
        self.role = role
        self.maxMessageBytes = maxMessageBytes
        header.reserveCapacity(14)
    }

    /// Whether part of a frame or of a fragmented message has been read.
    public var hasPartialMessage: Bool { !header.isEmpty || inPayload || messageOpcode != nil }

    /// Reads `bytes`, handing each event to `each` in order; returns the failure that stopped
    /// the connection, if one did (then and afterwards nothing more is read).
    @discardableResult
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ each: (Event) -> Void) -> WebSocketFailure? {
        if let failure { return failure }
        var i = 0
        let n = bytes.count
        while i < n, !closed {
            if !inPayload {
                while header.count < headerLength, i < n {
                    header.append(bytes[i])
                    i += 1
                    if header.count == 2, let failure = checkFirstBytes() { return fail(failure) }
                }
                guard header.count == headerLength else { return nil }
                if let failure = startPayload() { return fail(failure) }
                if remaining == 0, let failure = endFrame(each) { return fail(failure) }
                continue
            }
            let take = Int(min(remaining, UInt64(n - i)))
            let piece = UnsafeRawBufferPointer(rebasing: bytes[i..<(i + take)])
            i += take
            remaining -= UInt64(take)
            if opcode.isControl {
                maskOffset = Self.unmask(piece, key: masked ? maskKey : nil, offset: maskOffset, into: &control)
            } else {
                let before = message.count
                maskOffset = Self.unmask(piece, key: masked ? maskKey : nil, offset: maskOffset, into: &message)
                if messageOpcode == .text {
                    var validator = utf8
                    let valid = message.withUnsafeReadableBytes { validator.validate(UnsafeRawBufferPointer(rebasing: $0[before...])) }
                    utf8 = validator
                    if !valid { return fail(WebSocketFailure(code: WebSocketFrame.CloseCode.invalidPayload, reason: "a text message is not UTF-8")) }
                }
            }
            if remaining == 0, let failure = endFrame(each) { return fail(failure) }
        }
        return nil
    }

    /// The first two bytes of a header are in: what they allow is checked at once.
    private mutating func checkFirstBytes() -> WebSocketFailure? {
        let b0 = header[0], b1 = header[1]
        guard b0 & 0x70 == 0 else { return .protocolError("RSV bits set without a negotiated extension") }
        guard let code = WebSocketFrame.Opcode(rawValue: b0 & 0x0F) else { return .protocolError("reserved opcode \(b0 & 0x0F)") }
        opcode = code
        fin = b0 & 0x80 != 0
        masked = b1 & 0x80 != 0
        switch role {
        case .server where !masked: return .protocolError("a client frame is not masked")
        case .client where masked: return .protocolError("a server frame is masked")
        default: break
        }
        let length7 = b1 & 0x7F
        if code.isControl {
            guard fin else { return .protocolError("a fragmented control frame") }
            guard length7 <= WebSocketFrame.maxControlPayload else { return .protocolError("a control frame over 125 bytes") }
        } else if code == .continuation {
            guard messageOpcode != nil else { return .protocolError("a continuation frame with no message to continue") }
        } else {
            guard messageOpcode == nil else { return .protocolError("a new message before the last one's final fragment") }
        }
        headerLength = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + (masked ? 4 : 0)
        return nil
    }

    /// The whole header is in: its length and mask key are read and checked.
    private mutating func startPayload() -> WebSocketFailure? {
        let length7 = header[1] & 0x7F
        var length = UInt64(length7)
        var at = 2
        if length7 >= 126 {
            let bytes = length7 == 126 ? 2 : 8
            length = 0
            for k in 0..<bytes { length = length << 8 | UInt64(header[2 + k]) }
            at += bytes
            guard length >> 63 == 0 else { return .protocolError("a payload length with its top bit set") }
            // 5.2: the minimal number of bytes must be used.
            guard length7 == 126 ? length >= 126 : length > 0xFFFF else { return .protocolError("a payload length not in its shortest form") }
        }
        if masked { maskKey = (header[at], header[at + 1], header[at + 2], header[at + 3]) }
        maskOffset = 0
        remaining = length
        if !opcode.isControl {
            if opcode != .continuation {
                messageOpcode = opcode
                utf8 = UTF8Validator()
            }
            guard length <= UInt64(maxMessageBytes - message.count) else {
                return WebSocketFailure(code: WebSocketFrame.CloseCode.tooBig, reason: "a message over \(maxMessageBytes) bytes")
            }
            // Room for what has come, not for what the header claims: a claim costs nothing to send.
            message.reserveCapacity(message.count + Int(min(length, 64 * 1024)))
        }
        header.removeAll(keepingCapacity: true)
        headerLength = 2
        inPayload = true
        return nil
    }

    /// Appends `piece` to `out`, unmasked with `key` from `offset`; the offset to go on from.
    /// Copied at once, then unmasked in place: a client's audio arrives in large masked frames.
    private static func unmask(_ piece: UnsafeRawBufferPointer, key: (UInt8, UInt8, UInt8, UInt8)?, offset: Int, into out: inout ByteBuffer) -> Int {
        let start = out.count
        out.append(bytes: piece)
        guard let key else { return 0 }
        guard !piece.isEmpty else { return offset }
        WebSocketFrame.mask(out.base.unsafelyUnwrapped + start, count: piece.count, key: key, offset: offset)
        return (offset &+ piece.count) & 3
    }

    /// A frame's payload is complete: a control frame or a final fragment comes out.
    private mutating func endFrame(_ each: (Event) -> Void) -> WebSocketFailure? {
        inPayload = false
        switch opcode {
        case .ping:
            each(.ping(control))
        case .pong:
            each(.pong(control))
        case .close:
            let (code, reason, failure) = control.withUnsafeReadableBytes { Self.readClose($0) }
            if let failure { return failure }
            closed = true
            each(.close(code: code, reason: reason))
        case .continuation, .text, .binary:
            guard fin, let kind = messageOpcode else { return nil }
            if kind == .text {
                guard utf8.isComplete else {
                    return WebSocketFailure(code: WebSocketFrame.CloseCode.invalidPayload, reason: "a text message ends inside a character")
                }
            }
            var whole = ByteBuffer()
            swap(&whole, &message)
            messageOpcode = nil
            each(kind == .text ? .message(.text(whole)) : .message(.binary(whole)))
        }
        if opcode.isControl { control = ByteBuffer() }
        return nil
    }

    /// A close frame's payload (5.5.1): empty, or a valid code and a UTF-8 reason.
    static func readClose(_ payload: UnsafeRawBufferPointer) -> (UInt16?, String, WebSocketFailure?) {
        if payload.isEmpty { return (nil, "", nil) }
        guard payload.count >= 2 else { return (nil, "", .protocolError("a close frame with a one-byte payload")) }
        let code = UInt16(payload[0]) << 8 | UInt16(payload[1])
        guard WebSocketFrame.CloseCode.isValidOnWire(code) else { return (nil, "", .protocolError("close code \(code) may not be sent")) }
        let reason = UnsafeRawBufferPointer(rebasing: payload[2...])
        var utf8 = UTF8Validator()
        guard utf8.validate(reason), utf8.isComplete else {
            return (nil, "", WebSocketFailure(code: WebSocketFrame.CloseCode.invalidPayload, reason: "a close reason is not UTF-8"))
        }
        return (code, String(decoding: reason, as: UTF8.self), nil)
    }

    private mutating func fail(_ failure: WebSocketFailure) -> WebSocketFailure {
        self.failure = failure
        message = ByteBuffer()
        control = ByteBuffer()
        header.removeAll()
        return failure
    }
}
