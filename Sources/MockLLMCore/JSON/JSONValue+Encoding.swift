/// JSON text of a `JSONValue`: members in their stored order, strings escaped as
/// `append(jsonString:)` escapes them; compact, or spaced as Python's `json.dumps` writes it.
extension ByteBuffer {
    /// Appends `value` as compact JSON text.
    ///
    /// Whole numbers below 2^53 in magnitude are written as integers (`3`, not `3.0`); other
    /// finite numbers in Swift's shortest round-trip form (`0.1`, `1e-07`, `1.5e+300`, all
    /// valid JSON); JSON has no infinity or NaN, so those are written as `null`.
    /// - Parameter spaced: a space after each `:` and `,` (`{"a": 1, "b": [2, 3]}`), as Python's
    ///   `json.dumps` and the real APIs' tool arguments have it.
    package mutating func append(json value: JSONValue, spaced: Bool = false) {
        switch value {
        case .null: append(ascii: "null")
        case .bool(let b): if b { append(ascii: "true") } else { append(ascii: "false") }
        case .number(let d): append(jsonNumber: d)
        case .string(let s): append(jsonString: s)
        case .array(let items):
            append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { appendSeparator(",", spaced) }
                append(json: item, spaced: spaced)
            }
            append(UInt8(ascii: "]"))
        case .object(let object):
            append(UInt8(ascii: "{"))
            for (i, member) in object.members.enumerated() {
                if i > 0 { appendSeparator(",", spaced) }
                append(jsonString: member.key)
                appendSeparator(":", spaced)
                append(json: member.value, spaced: spaced)
            }
            append(UInt8(ascii: "}"))
        }
    }

    private mutating func appendSeparator(_ separator: Unicode.Scalar, _ spaced: Bool) {
        append(UInt8(ascii: separator))
        if spaced { append(UInt8(ascii: " ")) }
    }

    private mutating func append(jsonNumber d: Double) {
        guard d.isFinite else { return append(ascii: "null") }
        if d == d.rounded(.towardZero) && d.magnitude < 0x1p53 {
            append(decimal: Int(d))  // -0.0 becomes 0, which parses back equal
        } else {
            append(utf8: d.description)
        }
    }
}

extension JSONValue {
    /// This value as compact JSON text (see `ByteBuffer.append(json:)`).
    package var jsonText: String {
        var out = ByteBuffer()
        out.append(json: self)
        return out.description
    }

    /// This value as JSON text with a space after each `:` and `,`.
    package var spacedJSONText: String {
        var out = ByteBuffer()
        out.append(json: self, spaced: true)
        return out.description
    }
}
