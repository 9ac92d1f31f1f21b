/// The strict RFC 8259 parser behind `JSONDocument`: one value with only whitespace around it,
/// no trailing commas, comments, NaN or leading zeros, no control characters in strings, valid
/// UTF-8, no lone surrogates, and a nesting limit so a hostile body cannot exhaust the stack.
/// It validates everything and records node positions; decoding happens later, on demand,
/// and cannot fail.
struct JSONTapeParser {
    typealias Node = JSONDocument.Node

    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var i = 0
    var nodes: [Node] = []

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        nodes.reserveCapacity(32)
    }

    mutating func parseDocument() throws(JSONParseError) -> [Node] {
        if bytes.count > Int(UInt32.max) { throw error("document too large", at: 0) }
        skipWhitespace()
        if i >= bytes.count { throw error("empty body, expected a JSON value") }
        try readValue(depth: 0)
        skipWhitespace()
        if i < bytes.count { throw error("unexpected data after the JSON value") }
        return nodes
    }

    func error(_ reason: String, at offset: Int? = nil) -> JSONParseError {
        let end = min(offset ?? i, bytes.count)
        var line = 1
        var lineStart = 0
        for k in 0..<end where bytes[k] == 0x0A {
            line += 1
            lineStart = k + 1
        }
        return JSONParseError(reason: reason, offset: end, line: line, column: end - lineStart + 1)
    }

    mutating func skipWhitespace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }

    private mutating func append(_ kind: JSONDocument.Kind, flag: Bool = false, start: Int, end: Int) {
        nodes.append(Node(kind: kind, flag: flag, start: UInt32(start), end: UInt32(end), next: UInt32(nodes.count + 1), count: 0))
    }

    private mutating func readValue(depth: Int) throws(JSONParseError) {
        guard i < bytes.count else { throw error("unexpected end of JSON") }
        let start = i
        switch bytes[i] {
        case UInt8(ascii: "{"): try readContainer(object: true, depth: depth + 1)
        case UInt8(ascii: "["): try readContainer(object: false, depth: depth + 1)
        case UInt8(ascii: "\""): try readString()
        case UInt8(ascii: "t"): try expectLiteral("true"); append(.true, start: start, end: i)
        case UInt8(ascii: "f"): try expectLiteral("false"); append(.false, start: start, end: i)
        case UInt8(ascii: "n"): try expectLiteral("null"); append(.null, start: start, end: i)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try readNumber()
        default: throw error("unexpected character \(describe(bytes[i]))")
        }
    }

    private func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let start = i
        let ok = literal.withUTF8Buffer { lit -> Bool in
            guard bytes.count - i >= lit.count else { return false }
            for k in 0..<lit.count where bytes[i + k] != lit[k] { return false }
            return true
        }
        guard ok else { throw error("invalid literal, expected \(literal)", at: start) }
        i += literal.utf8CodeUnitCount
    }

    private mutating func readContainer(object: Bool, depth: Int) throws(JSONParseError) {
        if depth > maxDepth { throw error("nesting deeper than \(maxDepth) levels") }
        let what = object ? "an object" : "an array"
        let close = object ? UInt8(ascii: "}") : UInt8(ascii: "]")
        let slot = nodes.count
        append(object ? .object : .array, start: i, end: i)
        i += 1
        var count: UInt32 = 0
        skipWhitespace()
        if i < bytes.count, bytes[i] == close {
            i += 1
        } else {
            while true {
                skipWhitespace()
                if object {
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
                        throw error(i >= bytes.count ? "unexpected end of JSON inside an object" : "expected a string key")
                    }
                    try readString()
                    skipWhitespace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw error("expected ':' after an object key") }
                    i += 1
                    skipWhitespace()
                }
                try readValue(depth: depth)
                count += 1
                skipWhitespace()
                guard i < bytes.count else { throw error("unexpected end of JSON inside \(what)") }
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                if bytes[i] == close {
                    i += 1
                    break
                }
                throw error(object ? "expected ',' or '}' in an object" : "expected ',' or ']' in an array")
            }
        }
        nodes[slot].end = UInt32(i)
        nodes[slot].next = UInt32(nodes.count)
        nodes[slot].count = count
    }

    private mutating func readNumber() throws(JSONParseError) {
        let start = i
        var integral = true
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count, isDigit(bytes[i]) else { throw error("invalid number", at: start) }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if i < bytes.count, isDigit(bytes[i]) { throw error("invalid number: leading zero", at: start) }
        } else {
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            integral = false
            i += 1
            guard i < bytes.count, isDigit(bytes[i]) else { throw error("invalid number: expected a digit after '.'", at: start) }
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        }
        if i < bytes.count, bytes[i] | 0x20 == UInt8(ascii: "e") {
            integral = false
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i < bytes.count, isDigit(bytes[i]) else { throw error("invalid number: expected a digit in the exponent", at: start) }
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        }
        if !integral || i - start > 15, Self.decodeNumber(UnsafeBufferPointer(rebasing: bytes[start..<i])) == nil {
            throw error("number out of range", at: start)
        }
        append(.number, flag: integral, start: start, end: i)
    }

    private func isDigit(_ b: UInt8) -> Bool { b &- 48 < 10 }

    private mutating func readString() throws(JSONParseError) {
        let quote = i
        i += 1
        let start = i
        var escaped = false
        var ascii = true
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { break }
            if b < 0x20 { throw error("unescaped control character in a string") }
            if b >= 0x80 { ascii = false }
            if b == UInt8(ascii: "\\") {
                escaped = true
                try validateEscape()
            } else {
                i += 1
            }
        }
        guard i < bytes.count else { throw error("unterminated string", at: quote) }
        if !ascii, !UTF8Text.isValid(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start..<i]))) {
            throw error("invalid UTF-8 in a string", at: quote)
        }
        append(.string, flag: escaped, start: start, end: i)
        i += 1
    }

    /// Checks the escape at `i` (a backslash) and moves past it.
    private mutating func validateEscape() throws(JSONParseError) {
        let at = i
        guard i + 1 < bytes.count else { throw error("unterminated string") }
        switch bytes[i + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
             UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            i += 2
        case UInt8(ascii: "u"):
            i += 2
            let code = try readHex4()
            if (0xD800...0xDBFF).contains(code) {
                guard bytes.count - i >= 2, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                    throw error("lone surrogate in a \\u escape", at: at)
                }
                i += 2
                guard (0xDC00...0xDFFF).contains(try readHex4()) else { throw error("lone surrogate in a \\u escape", at: at) }
            } else if (0xDC00...0xDFFF).contains(code) {
                throw error("lone surrogate in a \\u escape", at: at)
            }
        default:
            throw error("invalid escape '\\\(Character(Unicode.Scalar(bytes[i + 1])))' in a string", at: at)
        }
    }

    private mutating func readHex4() throws(JSONParseError) -> UInt32 {
        guard bytes.count - i >= 4 else { throw error("incomplete \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let d = Self.hexValue(bytes[i]) else { throw error("invalid hex digit in a \\u escape") }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    static func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(c - 48)
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(c - 87)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(c - 55)
        default: nil
        }
    }

    // MARK: Decoding validated values

    /// A validated number's value (nil only if it overflows a Double).
    static func decodeNumber(_ p: UnsafeBufferPointer<UInt8>) -> Double? {
        let negative = p.first == UInt8(ascii: "-")
        let digits = negative ? p.count - 1 : p.count
        if digits <= 15, !p.contains(where: { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }) {
            var v: Int64 = 0
            for b in p where b != UInt8(ascii: "-") { v = v * 10 + Int64(b - 48) }
            return Double(negative ? -v : v)
        }
        guard let value = Double(String(decoding: p, as: UTF8.self)), value.isFinite else { return nil }
        return value
    }

    /// Decodes the escapes of validated string content.
    static func unescape(_ p: UnsafeBufferPointer<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(p.count)
        var k = 0
        while k < p.count {
            let b = p[k]
            guard b == UInt8(ascii: "\\") else {
                out.append(b)
                k += 1
                continue
            }
            let e = p[k + 1]
            k += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = hex4(p, k)
                k += 4
                if (0xD800...0xDBFF).contains(code) {
                    code = 0x10000 + ((code - 0xD800) << 10) + (hex4(p, k + 2) - 0xDC00)
                    k += 6
                }
                out.append(contentsOf: Unicode.UTF8.encode(Unicode.Scalar(code) ?? "\u{FFFD}")!)
            default: out.append(e)  // " \ /
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hex4(_ p: UnsafeBufferPointer<UInt8>, _ k: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 << 4 | (hexValue(p[k + $1]) ?? 0) }
    }
}
