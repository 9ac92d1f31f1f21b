/// WebSocket framing (RFC 6455 section 5): opcodes, close codes and the frame writer.
public enum WebSocketFrame {
    /// RFC 6455 5.2; 3-7 and B-F are reserved (a frame with one fails the connection).
    public enum Opcode: UInt8, Sendable {
        case continuation = 0x0
        case text = 0x1
        case binary = 0x2
        case close = 0x8
        case ping = 0x9
        case pong = 0xA

        /// Close, ping and pong: at most 125 bytes, never fragmented, allowed between the
        /// fragments of a message (5.5).
        public var isControl: Bool { rawValue & 0x8 != 0 }
    }

    /// Which end of the connection reads or writes: a client masks every frame it sends, a
    /// server masks none (5.1, 5.3).
    public enum Role: Sendable {
        case server
        case client
    }

    /// The longest payload of a control frame (5.5).
    public static let maxControlPayload = 125

    /// Close codes (RFC 6455 7.4.1) this server sends.
    public enum CloseCode {
        public static let normal: UInt16 = 1000
        public static let goingAway: UInt16 = 1001
        public static let protocolError: UInt16 = 1002
        /// No code in the close frame (never sent on the wire).
        public static let noStatus: UInt16 = 1005
        /// The connection went away without a close frame (never sent on the wire).
        public static let abnormal: UInt16 = 1006
        public static let invalidPayload: UInt16 = 1007
        public static let tooBig: UInt16 = 1009
        public static let internalError: UInt16 = 1011

        /// Whether `code` may appear in a close frame (7.4): the codes of 7.4.1 and IANA's
        /// registry that an endpoint sends (1000-1003, 1007-1014), and 3000-4999 (libraries
        /// and applications). 1004-1006 and 1015 are reserved or never sent.
        public static func isValidOnWire(_ code: UInt16) -> Bool {
            switch code {
            case 1000...1003, 1007...1014, 3000...4999: true
            default: false
            }
        }
    }

    /// Appends one frame: the header with the payload length in its shortest form (5.2) and,
    /// in the client role, a mask (`maskKey`, which a client picks at random per frame) applied
    /// to the payload as it is copied.
    public static func append(
        _ opcode: Opcode, fin: Bool = true, payload: UnsafeRawBufferPointer, maskKey: UInt32? = nil, into out: inout ByteBuffer
    ) {
        let count = payload.count
        out.append((fin ? 0x80 : 0) | opcode.rawValue)
        let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
        if count < 126 {
            out.append(maskBit | UInt8(count))
        } else if count <= 0xFFFF {
            out.append(maskBit | 126)
            out.append(UInt8(count >> 8))
            out.append(UInt8(truncatingIfNeeded: count))
        } else {
            out.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: UInt64(count) >> UInt64(shift))) }
        }
        guard let maskKey else { return out.append(bytes: payload) }
        let key = (UInt8(maskKey >> 24), UInt8(truncatingIfNeeded: maskKey >> 16), UInt8(truncatingIfNeeded: maskKey >> 8),
                   UInt8(truncatingIfNeeded: maskKey))
        out.append(key.0)
        out.append(key.1)
        out.append(key.2)
        out.append(key.3)
        let start = out.count
        out.append(bytes: payload)
        if count > 0 { mask(out.base.unsafelyUnwrapped + start, count: count, key: key, offset: 0) }
    }

    /// XORs `count` bytes at `bytes` with the masking key (5.3), starting at byte `offset` of
    /// the key: masking and unmasking are the same operation.
    static func mask(_ bytes: UnsafeMutableRawPointer, count: Int, key: (UInt8, UInt8, UInt8, UInt8), offset: Int) {
        var key = key
        withUnsafeBytes(of: &key) { k in
            for i in 0..<count {
                let byte = bytes.load(fromByteOffset: i, as: UInt8.self) ^ k[(offset &+ i) & 3]
                bytes.storeBytes(of: byte, toByteOffset: i, as: UInt8.self)
            }
        }
    }

    /// Appends a frame of `payload`.
    public static func append(_ opcode: Opcode, fin: Bool = true, payload: ByteBuffer, maskKey: UInt32? = nil, into out: inout ByteBuffer) {
        payload.withUnsafeReadableBytes { append(opcode, fin: fin, payload: $0, maskKey: maskKey, into: &out) }
    }

    /// A close frame's payload (5.5.1): the code in network order, then the reason, cut to
    /// fit the control frame's 125 bytes at a character boundary. No code at all for 1005.
    public static func closePayload(code: UInt16, reason: String) -> ByteBuffer {
        var payload = ByteBuffer(capacity: 2 + reason.utf8.count)
        guard code != CloseCode.noStatus else { return payload }
        payload.append(UInt8(code >> 8))
        payload.append(UInt8(truncatingIfNeeded: code))
        var kept = 0
        for scalar in reason.unicodeScalars {
            let length = String(scalar).utf8.count
            if kept + length > maxControlPayload - 2 { break }
            kept += length
            payload.append(contentsOf: Array(String(scalar).utf8))
        }
        return payload
    }
}
