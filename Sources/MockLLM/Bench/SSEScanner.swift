#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counts the events of a server-sent event stream as its body arrives in pieces cut anywhere,
/// and tells which events carry generated text ("token events") and whether the end came.
///
/// - Token events: OpenAI chunks whose `delta.content` is a non-empty string (found by the bytes
///   `"content":"` followed by anything but `"`), Anthropic `content_block_delta` events.
/// - End: `data: [DONE]` (OpenAI), `message_stop` (Anthropic).
/// - Errors: Anthropic `error` events, OpenAI `data: {"error"...`.
///
/// Lines end in LF or CRLF; an event ends at a blank line (an event cut off by the end of the
/// body is not dispatched, as the SSE specification says). Nothing is allocated per event:
/// lines are scanned where they lie, and only a line cut by a read boundary is copied, into a
/// buffer kept for the next stream.
struct SSEScanner {
    private enum Kind {
        case other, token, end, error
    }

    /// A line longer than this (a cut line being collected) makes the stream malformed.
    static let maxLineBytes = 4 << 20

    let provider: BenchProvider
    private(set) var events = 0
    private(set) var tokenEvents = 0
    private(set) var sawEnd = false
    private(set) var sawError = false
    private(set) var lineTooLong = false
    private var carry: [UInt8] = []
    private var eventHasData = false
    private var eventKind = Kind.other
    /// The event's type came from an `event:` line (Anthropic); its data need not be read.
    private var eventNamed = false

    init(provider: BenchProvider) {
        self.provider = provider
    }

    /// Ready for a new stream (the cut-line buffer keeps its capacity).
    mutating func reset() {
        events = 0
        tokenEvents = 0
        sawEnd = false
        sawError = false
        lineTooLong = false
        carry.removeAll(keepingCapacity: true)
        eventHasData = false
        eventKind = .other
        eventNamed = false
    }

    /// Whether the stream ended properly: its end marker came and no error event.
    var isComplete: Bool { sawEnd && !sawError && !lineTooLong }

    mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        var start = 0
        while start < bytes.count {
            guard let lf = memchr(base + start, 0x0A, bytes.count - start) else {
                keep(UnsafeRawBufferPointer(rebasing: bytes[start...]))
                return
            }
            let end = UnsafeRawPointer(lf) - base
            if carry.isEmpty {
                line(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            } else {
                keep(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                var whole: [UInt8] = []
                swap(&whole, &carry)
                whole.withUnsafeBytes { line($0) }
                whole.removeAll(keepingCapacity: true)
                swap(&whole, &carry)
            }
            start = end + 1
        }
    }

    private mutating func keep(_ piece: UnsafeRawBufferPointer) {
        guard carry.count + piece.count <= Self.maxLineBytes else {
            lineTooLong = true
            return
        }
        carry.append(contentsOf: piece)
    }

    private mutating func line(_ raw: UnsafeRawBufferPointer) {
        var line = raw
        if let last = line.last, last == 0x0D { line = UnsafeRawBufferPointer(rebasing: line.dropLast()) }
        if line.isEmpty { return dispatch() }
        if let value = Self.value(of: line, field: "data:") {
            eventHasData = true
            if !eventNamed { classify(data: value) }
        } else if let value = Self.value(of: line, field: "event:") {
            eventNamed = true
            if Self.equals(value, "content_block_delta") {
                eventKind = .token
            } else if Self.equals(value, "message_stop") {
                eventKind = .end
            } else if Self.equals(value, "error") {
                eventKind = .error
            }
        }
    }

    private mutating func classify(data: UnsafeRawBufferPointer) {
        switch provider {
        case .openai:
            if Self.equals(data, "[DONE]") {
                eventKind = .end
            } else if Self.hasNonEmptyContent(data) {
                eventKind = .token
            } else if Self.hasPrefix(data, "{\"error\"") {
                eventKind = .error
            }
        case .anthropic:
            if Self.hasPrefix(data, "{\"type\":\"content_block_delta\"") {
                eventKind = .token
            } else if Self.hasPrefix(data, "{\"type\":\"message_stop\"") {
                eventKind = .end
            } else if Self.hasPrefix(data, "{\"type\":\"error\"") {
                eventKind = .error
            }
        }
    }

    private mutating func dispatch() {
        if eventHasData {
            events += 1
            switch eventKind {
            case .token: tokenEvents += 1
            case .end: sawEnd = true
            case .error: sawError = true
            case .other: break
            }
        }
        eventHasData = false
        eventKind = .other
        eventNamed = false
    }

    /// The value of a `field:` line, without the one optional space after the colon.
    private static func value(of line: UnsafeRawBufferPointer, field: StaticString) -> UnsafeRawBufferPointer? {
        guard hasPrefix(line, field) else { return nil }
        var start = field.utf8CodeUnitCount
        if start < line.count && line[start] == 0x20 { start += 1 }
        return UnsafeRawBufferPointer(rebasing: line[start...])
    }

    /// `"content":"` followed by a byte that does not close the string.
    private static func hasNonEmptyContent(_ data: UnsafeRawBufferPointer) -> Bool {
        let needle: StaticString = "\"content\":\""
        let n = needle.utf8CodeUnitCount
        let base = data.baseAddress!
        var from = 0
        while data.count - from > n {
            guard let quote = memchr(base + from, Int32(UInt8(ascii: "\"")), data.count - from - n) else { return false }
            let at = UnsafeRawPointer(quote) - base
            if memcmp(base + at, needle.utf8Start, n) == 0 && data[at + n] != UInt8(ascii: "\"") { return true }
            from = at + 1
        }
        return false
    }

    private static func hasPrefix(_ bytes: UnsafeRawBufferPointer, _ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        return bytes.count >= n && memcmp(bytes.baseAddress!, prefix.utf8Start, n) == 0
    }

    private static func equals(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        bytes.count == text.utf8CodeUnitCount && hasPrefix(bytes, text)
    }
}
