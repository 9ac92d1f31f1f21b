/// Checks UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF) in pieces
/// cut anywhere, failing at the first byte that cannot belong to valid text: a WebSocket text
/// message is failed as soon as its bad byte arrives (RFC 6455 8.1), not at its end.
public struct UTF8Validator: Sendable, Equatable {
    /// Continuation bytes still expected by the sequence in progress.
    private var needed: UInt8 = 0
    /// The range the next continuation byte must fall in (narrower than 80...BF only for the
    /// second byte after E0, ED, F0 and F4).
    private var low: UInt8 = 0x80
    private var high: UInt8 = 0xBF

    public init() {}

    /// Whether the bytes so far end between characters (a message may end here).
    public var isComplete: Bool { needed == 0 }

    /// Reads `bytes`; false at the first byte that makes the text invalid (the validator then
    /// stays in an unspecified state: start again with a new one).
    public mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let n = bytes.count
        var i = 0
        while i < n {
            if needed == 0, n - i >= 8, bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            let b = bytes[i]
            i += 1
            if needed > 0 {
                guard b >= low && b <= high else { return false }
                needed -= 1
                low = 0x80
                high = 0xBF
                continue
            }
            switch b {
            case 0x00...0x7F: continue
            case 0xC2...0xDF: needed = 1
            case 0xE0: needed = 2; low = 0xA0
            case 0xE1...0xEC, 0xEE, 0xEF: needed = 2
            case 0xED: needed = 2; high = 0x9F  // no UTF-16 surrogates
            case 0xF0: needed = 3; low = 0x90
            case 0xF1...0xF3: needed = 3
            case 0xF4: needed = 3; high = 0x8F  // nothing past U+10FFFF
            default: return false
            }
        }
        return true
    }
}
