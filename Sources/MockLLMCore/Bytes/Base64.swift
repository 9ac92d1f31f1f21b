/// Standard base64 (RFC 4648 section 4) decoding, strict: the realtime protocols carry audio as
/// base64 text, and a client's bad audio must be refused, not guessed at. Encoding is
/// `ByteBuffer.append(base64Of:)`.
public enum Base64 {
    /// The bytes `text` encodes, or nil when it is not base64: a character outside the
    /// alphabet, a length that is not a multiple of 4, or padding anywhere but the end.
    public static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3)
        var quad: UInt32 = 0
        var filled = 0
        var padding = 0
        for byte in text {
            let value: UInt32
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="):
                padding += 1
                value = 0
            default: return nil
            }
            // Nothing but padding may follow padding, and a quad holds at most two.
            if padding > 0 && byte != UInt8(ascii: "=") { return nil }
            quad = quad << 6 | value
            filled += 1
            if filled == 4 {
                guard padding <= 2 else { return nil }
                out.append(UInt8(truncatingIfNeeded: quad >> 16))
                if padding < 2 { out.append(UInt8(truncatingIfNeeded: quad >> 8)) }
                if padding < 1 { out.append(UInt8(truncatingIfNeeded: quad)) }
                quad = 0
                filled = 0
                if padding > 0 { padding = 3 }  // the quad with padding was the last
            }
        }
        return out
    }
}

extension ByteBuffer {
    /// Appends `bytes` in standard base64, with `=` padding: AWS's binary fields in JSON, an
    /// audio delta (thousands of characters), a WebSocket accept key, an embedding. Written in
    /// place, four characters per three bytes.
    public mutating func append(base64Of bytes: UnsafeRawBufferPointer) {
        let length = (bytes.count + 2) / 3 * 4
        guard length > 0 else { return }
        makeRoom(length)
        let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        let table = UnsafeRawBufferPointer(start: alphabet.utf8Start, count: 64)
        let text = (base.unsafelyUnwrapped + _count).assumingMemoryBound(to: UInt8.self)
        var i = 0
        var at = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            text[at] = table[Int(n >> 18 & 63)]
            text[at + 1] = table[Int(n >> 12 & 63)]
            text[at + 2] = table[Int(n >> 6 & 63)]
            text[at + 3] = table[Int(n & 63)]
            i += 3
            at += 4
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            text[at] = table[Int(n >> 18 & 63)]
            text[at + 1] = table[Int(n >> 12 & 63)]
            text[at + 2] = rest == 2 ? table[Int(n >> 6 & 63)] : UInt8(ascii: "=")
            text[at + 3] = UInt8(ascii: "=")
        }
        _count += length
    }
}
