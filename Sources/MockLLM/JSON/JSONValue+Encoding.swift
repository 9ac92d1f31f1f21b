/// Compact JSON text of a `JSONValue`: members in their stored order, no whitespace, strings
/// escaped as `append(jsonString:)` escapes them.
extension ByteBuffer {
    /// Appends `value` as compact JSON text.
    ///
    /// Whole numbers below 2^53 in magnitude are written as integers (`3`, not `3.0`); other
    /// finite numbers in Swift's shortest round-trip form (`0.1`, `1e-07`, `1.5e+300`, all
    /// valid JSON); JSON has no infinity or NaN, so those are written as `null`.
    public mutating func append(json value: JSONValue) {
        switch value {
        case .null: append(ascii: "null")
        case .bool(let b): if b { append(ascii: "true") } else { append(ascii: "false") }
        case .number(let d): append(jsonNumber: d)
        case .string(let s): append(jsonString: s)
        case .array(let items):
            append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { append(UInt8(ascii: ",")) }
                append(json: item)
            }
            append(UInt8(ascii: "]"))
        case .object(let object):
            append(UInt8(ascii: "{"))
            for (i, member) in object.members.enumerated() {
                if i > 0 { append(UInt8(ascii: ",")) }
                append(jsonString: member.key)
                append(UInt8(ascii: ":"))
                append(json: member.value)
            }
            append(UInt8(ascii: "}"))
        }
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
    public var jsonText: String {
        var out = ByteBuffer()
        out.append(json: self)
        return out.description
    }
}
