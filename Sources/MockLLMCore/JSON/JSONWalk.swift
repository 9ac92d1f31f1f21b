#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Walks one JSON text where it lies, building nothing: it checks the structure (objects of
/// `"key": value` members, arrays, terminated strings, literals, numbers) and lets
/// the caller look at the few members it needs on the way, so `mockllm bench` recognises an
/// event by the member itself rather than by bytes that could also sit in a nested object.
///
/// The cost is one pass over the bytes, about 1 ns a byte in a release build: strings are
/// skipped with `memchr`, never decoded (keys compare as written, escapes and UTF-8 are not
/// checked); literals and numbers are checked for their form. Nesting deeper than `maxDepth`
/// counts as malformed, so a hostile server cannot exhaust the stack.
package struct JSONWalk {
    static let maxDepth = 64

    let bytes: UnsafeRawBufferPointer
    private(set) var index = 0
    /// Set at the first structural error; the walk then stops where it is.
    private(set) var failed = false
    private var depth = 0

    package init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Whether `bytes` is one well-formed JSON value, with nothing but whitespace around it.
    package static func isWellFormed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var walk = JSONWalk(bytes)
        walk.skipValue()
        return walk.finish()
    }

    /// After the top-level value: whether the walk found it well-formed with only whitespace after it.
    package mutating func finish() -> Bool {
        skipSpace()
        return !failed && index == bytes.count
    }

    /// Consumes one value of any kind, in one pass over its bytes with the nesting kept as bits
    /// (no recursion, no closures: most of an event's bytes go through here).
    package mutating func skipValue() {
        var objects: UInt64 = 0  // bit 0: the innermost open level is an object (else an array)
        var levels = 0
        while true {
            skipSpace()  // at a value
            guard index < bytes.count else { return fail() }
            let first = bytes[index]
            if first == Self.quote {
                skipString()
            } else if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
                let isObject = first == UInt8(ascii: "{")
                guard depth + levels < Self.maxDepth else { return fail() }
                index += 1
                skipSpace()
                if index < bytes.count && bytes[index] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    index += 1
                } else {
                    objects = objects << 1 | (isObject ? 1 : 0)
                    levels += 1
                    if isObject { memberKey() }
                    continue
                }
            } else {
                skipLiteral()
            }
            guard !failed else { return }
            while levels > 0 {  // after a value: the next member or element, or the end of a level
                skipSpace()
                guard index < bytes.count else { return fail() }
                let b = bytes[index]
                index += 1
                let inObject = objects & 1 == 1
                if b == UInt8(ascii: ",") {
                    if inObject { memberKey() }
                    break
                }
                guard b == (inObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return fail() }
                objects >>= 1
                levels -= 1
            }
            if levels == 0 || failed { return }
        }
    }

    /// Consumes a value; for an object, hands each member's key (its bytes as written) to `body`
    /// with the walk at the member's value, which `body` must consume (skip it, or walk into it).
    /// Another kind of value is skipped.
    package mutating func members(_ body: (inout JSONWalk, UnsafeRawBufferPointer) -> Void) {
        guard open(UInt8(ascii: "{"), close: UInt8(ascii: "}")) else { return }
        defer { depth -= 1 }
        while !failed {
            skipSpace()
            guard index < bytes.count, bytes[index] == Self.quote else { return fail() }
            let keyStart = index + 1
            skipString()
            guard !failed else { return }
            let key = UnsafeRawBufferPointer(rebasing: bytes[keyStart..<index - 1])
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return fail() }
            index += 1
            body(&self, key)
            guard separator(close: UInt8(ascii: "}")) else { return }
        }
    }

    /// Consumes a value; for an array, hands each element's position (0, 1, ...) to `body` with
    /// the walk at the element, which `body` must consume. Another kind of value is skipped.
    package mutating func elements(_ body: (inout JSONWalk, Int) -> Void) {
        guard open(UInt8(ascii: "["), close: UInt8(ascii: "]")) else { return }
        defer { depth -= 1 }
        var position = 0
        while !failed {
            body(&self, position)
            position += 1
            guard separator(close: UInt8(ascii: "]")) else { return }
        }
    }

    /// Consumes a value: a string's bytes as written (without its quotes), nil for another kind.
    package mutating func string() -> UnsafeRawBufferPointer? {
        skipSpace()
        guard index < bytes.count, bytes[index] == Self.quote else {
            skipValue()
            return nil
        }
        let start = index + 1
        skipString()
        return failed ? nil : UnsafeRawBufferPointer(rebasing: bytes[start..<index - 1])
    }

    /// Consumes a value: whether it is a string of at least one character.
    package mutating func nonEmptyString() -> Bool {
        string().map { !$0.isEmpty } ?? false
    }

    /// Consumes a value: `true` or `false`, nil for another kind.
    package mutating func boolean() -> Bool? {
        skipSpace()
        guard index < bytes.count else {
            fail()
            return nil
        }
        let first = bytes[index]
        skipValue()
        guard !failed, first == UInt8(ascii: "t") || first == UInt8(ascii: "f") else { return nil }
        return first == UInt8(ascii: "t")
    }

    // MARK: - Steps

    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")

    private mutating func fail() {
        failed = true
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// At a value: enters it if it opens with `open` (true), else skips it (false). An empty
    /// object or array is consumed whole (false).
    private mutating func open(_ open: UInt8, close: UInt8) -> Bool {
        skipSpace()
        guard index < bytes.count, bytes[index] == open else {
            skipValue()
            return false
        }
        guard depth < Self.maxDepth else {
            fail()
            return false
        }
        index += 1
        skipSpace()
        if index < bytes.count && bytes[index] == close {
            index += 1
            return false
        }
        depth += 1
        return true
    }

    /// After a member or element: true at a comma (more follow), false at the closing bracket
    /// (consumed) or an error.
    private mutating func separator(close: UInt8) -> Bool {
        guard !failed else { return false }
        skipSpace()
        guard index < bytes.count else {
            fail()
            return false
        }
        let b = bytes[index]
        index += 1
        if b == UInt8(ascii: ",") { return true }
        if b != close { fail() }
        return false
    }

    /// In an object, at a member: past its key and colon, at its value.
    private mutating func memberKey() {
        skipSpace()
        guard index < bytes.count, bytes[index] == Self.quote else { return fail() }
        skipString()
        skipSpace()
        guard !failed, index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return fail() }
        index += 1
    }

    /// At an opening quote: past the closing one (a quote after an odd run of backslashes is
    /// escaped). `memchr` finds the quotes: faster here than a byte loop, even for short strings
    /// (measured).
    private mutating func skipString() {
        let base = bytes.baseAddress!
        let contentStart = index + 1
        var from = contentStart
        while from < bytes.count {
            guard let found = memchr(base + from, Int32(Self.quote), bytes.count - from) else { break }
            let at = UnsafeRawPointer(found) - base
            var backslashes = 0
            while at - backslashes > contentStart && bytes[at - backslashes - 1] == Self.backslash { backslashes += 1 }
            if backslashes % 2 == 0 {
                index = at + 1
                return
            }
            from = at + 1
        }
        fail()
    }

    /// `true`, `false`, `null` or a number.
    private mutating func skipLiteral() {
        let start = index
        while index < bytes.count, JSONLiteral.isLiteralByte(bytes[index]) { index += 1 }
        if !JSONLiteral.isValid(UnsafeRawBufferPointer(rebasing: bytes[start..<index])) { fail() }
    }
}

extension UnsafeRawBufferPointer {
    /// Whether these bytes start with `prefix`.
    package func hasPrefix(_ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        return count >= n && (n == 0 || memcmp(baseAddress!, prefix.utf8Start, n) == 0)
    }

    /// Whether these bytes are exactly `text`.
    package func equals(_ text: StaticString) -> Bool {
        count == text.utf8CodeUnitCount && hasPrefix(text)
    }
}
