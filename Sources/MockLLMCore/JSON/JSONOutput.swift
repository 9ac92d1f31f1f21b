/// Appending JSON and ASCII text directly to a byte buffer.
///
/// Replies and stream events are small and fixed in shape, so they are written straight into
/// bytes, keys in a stable order, instead of going through an encoder (docs/ARCHITECTURE.md, "JSON").
/// Strings are escaped as Python's `json.dumps(ensure_ascii=False)` escapes them: `"`, `\` and
/// control characters; everything else, non-ASCII included, is written as raw UTF-8.
extension ByteBuffer {
    @inlinable
    package mutating func append(ascii text: StaticString) {
        text.withUTF8Buffer { append(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Appends the UTF-8 bytes of `text` without any escaping.
    package mutating func append(utf8 text: String) {
        var text = text
        text.withUTF8 { append(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Appends `value` in decimal.
    package mutating func append(decimal value: Int) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            append(decimal: UInt64(value.magnitude))
        } else {
            append(decimal: UInt64(value))
        }
    }

    package mutating func append(decimal value: UInt64) {
        if value < 10 {
            append(UInt8(truncatingIfNeeded: value) &+ 48)
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch; UInt64 has at most 20 digits
        Swift.withUnsafeMutableBytes(of: &digits) { raw in
            var v = value
            var i = raw.count
            while v > 0 {
                i -= 1
                raw[i] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
            }
            append(bytes: UnsafeRawBufferPointer(rebasing: raw[i...]))
        }
    }

    /// Appends `value` in lower-case hexadecimal (chunk sizes).
    package mutating func append(hex value: Int) {
        precondition(value >= 0)
        var digits: (UInt64, UInt64) = (0, 0)
        Swift.withUnsafeMutableBytes(of: &digits) { raw in
            var v = value
            var i = raw.count
            repeat {
                i -= 1
                let nibble = UInt8(truncatingIfNeeded: v & 0xF)
                raw[i] = nibble < 10 ? nibble &+ 48 : nibble &+ 87
                v >>= 4
            } while v > 0
            append(bytes: UnsafeRawBufferPointer(rebasing: raw[i...]))
        }
    }

    /// Appends `text` as a quoted, escaped JSON string.
    package mutating func append(jsonString text: String) {
        append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { appendJSONEscaped($0) }
        append(UInt8(ascii: "\""))
    }

    /// Appends `text` as a JSON string, or `null`.
    package mutating func append(jsonStringOrNull text: String?) {
        if let text { append(jsonString: text) } else { append(ascii: "null") }
    }

    /// Appends `text` as a quoted, escaped JSON string.
    package mutating func append(jsonString text: Substring) {
        append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { appendJSONEscaped($0) }
        append(UInt8(ascii: "\""))
    }

    /// Appends `strings` as a JSON array of strings.
    package mutating func append(jsonStrings strings: [String]) {
        append(UInt8(ascii: "["))
        for (i, s) in strings.enumerated() {
            if i > 0 { append(UInt8(ascii: ",")) }
            append(jsonString: s)
        }
        append(UInt8(ascii: "]"))
    }

    /// Appends `true` or `false`.
    package mutating func append(jsonBool value: Bool) {
        if value { append(ascii: "true") } else { append(ascii: "false") }
    }

    /// Appends the escaped contents of a JSON string (no quotes).
    package mutating func appendJSONEscaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b >= 0x20 && b != 0x22 && b != 0x5C {
                i += 1
                continue
            }
            if runStart < i { append(bytes: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
            appendEscape(for: b)
            i += 1
            runStart = i
        }
        if runStart < n { append(bytes: UnsafeBufferPointer(rebasing: bytes[runStart..<n])) }
    }

    private mutating func appendEscape(for byte: UInt8) {
        append(UInt8(ascii: "\\"))
        switch byte {
        case 0x22: append(UInt8(ascii: "\""))
        case 0x5C: append(UInt8(ascii: "\\"))
        case 0x0A: append(UInt8(ascii: "n"))
        case 0x0D: append(UInt8(ascii: "r"))
        case 0x09: append(UInt8(ascii: "t"))
        case 0x08: append(UInt8(ascii: "b"))
        case 0x0C: append(UInt8(ascii: "f"))
        default:
            append(ascii: "u00")
            let hex: StaticString = "0123456789abcdef"
            hex.withUTF8Buffer { table in
                self.append(table[Int(byte >> 4)])
                self.append(table[Int(byte & 0xF)])
            }
        }
    }
}
