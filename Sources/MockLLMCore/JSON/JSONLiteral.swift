/// The JSON values that are neither strings nor containers, checked for their form by
/// `JSONWalk`: `true`, `false`, `null`, and numbers.
enum JSONLiteral {
    /// A byte that may belong to a literal: the run of these after a value's start is the literal.
    static func isLiteralByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."): true
        default: false
        }
    }

    /// Whether `literal` is `true`, `false`, `null` or a number.
    static func isValid(_ literal: UnsafeRawBufferPointer) -> Bool {
        guard let first = literal.first else { return false }
        switch first {
        case UInt8(ascii: "t"): return literal.equals("true")
        case UInt8(ascii: "f"): return literal.equals("false")
        case UInt8(ascii: "n"): return literal.equals("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return isNumber(literal)
        default: return false
        }
    }

    /// `-? digits (. digits)? ([eE] [+-]? digits)?` (leading zeros let through).
    static func isNumber(_ literal: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        func skip(_ a: UInt8, or b: UInt8 = 0) {
            if i < literal.count && (literal[i] == a || literal[i] == b) { i += 1 }
        }
        func digits() -> Bool {
            let start = i
            while i < literal.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(literal[i]) { i += 1 }
            return i > start
        }
        skip(UInt8(ascii: "-"))
        guard digits() else { return false }
        if i < literal.count && literal[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() else { return false }
        }
        if i < literal.count && (literal[i] == UInt8(ascii: "e") || literal[i] == UInt8(ascii: "E")) {
            i += 1
            skip(UInt8(ascii: "+"), or: UInt8(ascii: "-"))
            guard digits() else { return false }
        }
        return i == literal.count
    }
}
