/// Fast strict UTF-8 to `String` conversion for the request hot path.
///
/// `String(validating:as:)` is generic and not specialised in the standard library: it
/// costs a metadata lookup per call. ASCII (the common case) is recognised eight bytes at a
/// time; other text is validated here (RFC 3629: no overlongs, no surrogates, nothing past
/// U+10FFFF) and then converted without repair.
enum UTF8Text {
    static func string(validating bytes: UnsafeRawBufferPointer) -> String? {
        guard isValid(bytes) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func isValid(_ p: UnsafeRawBufferPointer) -> Bool {
        let n = p.count
        var i = 0
        while i < n {
            if n - i >= 8, p.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            let b = p[i]
            if b < 0x80 {
                i += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch b {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE, 0xEF: length = 3
            case 0xED: length = 3; high = 0x9F  // no UTF-16 surrogates
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F  // nothing past U+10FFFF
            default: return false
            }
            guard n - i >= length, (low...high).contains(p[i + 1]) else { return false }
            for k in 2..<length where p[i + k] & 0xC0 != 0x80 { return false }
            i += length
        }
        return true
    }
}
