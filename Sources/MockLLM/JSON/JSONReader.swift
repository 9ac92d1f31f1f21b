/// Why a JSON body was rejected, and where (1-based line and column).
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var reason: String
    public var offset: Int
    public var line: Int
    public var column: Int

    public var description: String { "\(reason) at line \(line), column \(column)" }
}

/// A strict RFC 8259 JSON reader.
///
/// Strict means: one value and only whitespace around it, no trailing commas, no comments, no
/// NaN/Infinity, no leading zeros, no control characters in strings, valid UTF-8, no lone
/// surrogates in `\u` escapes, and a nesting limit so a hostile body cannot exhaust the stack.
/// Hand-written because Foundation's decoder alone would cap one core near 110k requests/s
/// (DESIGN.md, "JSON").
public enum JSONReader {
    public static let defaultMaxDepth = 128

    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(JSONParseError) -> JSONValue in try parse(raw, maxDepth: maxDepth) }
        }
        return try result.get()
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        var cursor = Cursor(bytes: bytes, maxDepth: maxDepth)
        cursor.skipWhitespace()
        if cursor.atEnd { throw cursor.error("empty body, expected a JSON value") }
        let value = try cursor.readValue(depth: 0)
        cursor.skipWhitespace()
        if !cursor.atEnd { throw cursor.error("unexpected data after the JSON value") }
        return value
    }
}

private struct Cursor {
    let bytes: UnsafeRawBufferPointer
    let maxDepth: Int
    var i = 0

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    var atEnd: Bool { i >= bytes.count }

    func error(_ reason: String, at offset: Int? = nil) -> JSONParseError {
        let end = min(offset ?? i, bytes.count)
        var line = 1
        var lineStart = 0
        var k = 0
        while k < end {
            if bytes[k] == 0x0A {
                line += 1
                lineStart = k + 1
            }
            k += 1
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

    mutating func readValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard i < bytes.count else { throw error("unexpected end of JSON") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return .object(try readObject(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try readArray(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try readNumber())
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

    private mutating func readObject(depth: Int) throws(JSONParseError) -> JSONObject {
        if depth > maxDepth { throw error("nesting deeper than \(maxDepth) levels") }
        i += 1  // {
        var members: [JSONObject.Member] = []
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
            i += 1
            return JSONObject(members)
        }
        while true {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
                throw error(atEnd ? "unexpected end of JSON inside an object" : "expected a string key")
            }
            let key = try readString()
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw error("expected ':' after an object key") }
            i += 1
            skipWhitespace()
            let value = try readValue(depth: depth)
            members.append(JSONObject.Member(key: key, value: value))
            skipWhitespace()
            guard i < bytes.count else { throw error("unexpected end of JSON inside an object") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return JSONObject(members) }
            throw error("expected ',' or '}' in an object")
        }
    }

    private mutating func readArray(depth: Int) throws(JSONParseError) -> [JSONValue] {
        if depth > maxDepth { throw error("nesting deeper than \(maxDepth) levels") }
        i += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
            i += 1
            return elements
        }
        while true {
            skipWhitespace()
            elements.append(try readValue(depth: depth))
            skipWhitespace()
            guard i < bytes.count else { throw error("unexpected end of JSON inside an array") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return elements }
            throw error("expected ',' or ']' in an array")
        }
    }

    private mutating func readNumber() throws(JSONParseError) -> Double {
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
        let negative = bytes[start] == UInt8(ascii: "-")
        let digitCount = i - start - (negative ? 1 : 0)
        if integral, digitCount <= 15 {
            var v: Int64 = 0
            for k in (negative ? start + 1 : start)..<i { v = v * 10 + Int64(bytes[k] - 48) }
            return Double(negative ? -v : v)
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw error("number out of range", at: start) }
        return value
    }

    private func isDigit(_ b: UInt8) -> Bool { b &- 48 < 10 }

    private mutating func readString() throws(JSONParseError) -> String {
        let start = i
        i += 1  // opening quote
        let contentStart = i
        // Fast path: no escapes.
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                let slice = UnsafeRawBufferPointer(rebasing: bytes[contentStart..<i])
                i += 1
                guard let s = String(validating: slice, as: UTF8.self) else {
                    throw error("invalid UTF-8 in a string", at: start)
                }
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error("unescaped control character in a string") }
            i += 1
        }
        if i >= bytes.count { throw error("unterminated string", at: start) }
        var buffer = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[contentStart..<i]))
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                guard let s = String(validating: buffer, as: UTF8.self) else {
                    throw error("invalid UTF-8 in a string", at: start)
                }
                return s
            }
            if b < 0x20 { throw error("unescaped control character in a string") }
            if b != UInt8(ascii: "\\") {
                buffer.append(b)
                i += 1
                continue
            }
            i += 1
            guard i < bytes.count else { break }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): buffer.append(0x22)
            case UInt8(ascii: "\\"): buffer.append(0x5C)
            case UInt8(ascii: "/"): buffer.append(0x2F)
            case UInt8(ascii: "b"): buffer.append(0x08)
            case UInt8(ascii: "f"): buffer.append(0x0C)
            case UInt8(ascii: "n"): buffer.append(0x0A)
            case UInt8(ascii: "r"): buffer.append(0x0D)
            case UInt8(ascii: "t"): buffer.append(0x09)
            case UInt8(ascii: "u"): try appendUnicodeEscape(to: &buffer)
            default: throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))' in a string", at: i - 2)
            }
        }
        throw error("unterminated string", at: start)
    }

    private mutating func readHex4() throws(JSONParseError) -> UInt32 {
        guard bytes.count - i >= 4 else { throw error("incomplete \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - 48)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - 87)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - 55)
            default: throw error("invalid hex digit in a \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    private mutating func appendUnicodeEscape(to buffer: inout [UInt8]) throws(JSONParseError) {
        let escapeStart = i - 2
        var code = try readHex4()
        if (0xD800...0xDBFF).contains(code) {
            guard bytes.count - i >= 2, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                throw error("lone surrogate in a \\u escape", at: escapeStart)
            }
            i += 2
            let low = try readHex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw error("lone surrogate in a \\u escape", at: escapeStart) }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(code) {
            throw error("lone surrogate in a \\u escape", at: escapeStart)
        }
        buffer.append(contentsOf: Unicode.UTF8.encode(Unicode.Scalar(code)!)!)
    }
}
