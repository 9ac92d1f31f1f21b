/// Standard base64 (RFC 4648 section 4) decoding, strict: the realtime protocols carry audio as
/// base64 text, and a client's bad audio must be refused, not guessed at.
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
