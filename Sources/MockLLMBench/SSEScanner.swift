import MockLLMCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a server-sent event stream as its body arrives in pieces cut anywhere, the way the
/// specification (WHATWG HTML, "Parsing an event stream") reads it, and tallies its events by
/// what the provider says they mean (`BenchProvider+Events.swift`).
///
/// Lines end in CRLF, LF or CR; a leading byte order mark is dropped; a line starting with `:`
/// is a comment; `field: value` loses one space after the colon, and a line without a colon is
/// a field with an empty value. `data` lines are joined with LF into the event's data, `event`
/// names it (the last one counts), other fields are ignored. A blank line dispatches the event
/// when it has data; an event cut off by the end of the body is not dispatched.
///
/// Nothing is allocated per event: lines are read where they lie (a cut line is collected by
/// `LineSplitter`), and the data is gathered in a buffer kept, with its capacity, for the next
/// stream.
struct SSEScanner {
    let provider: BenchProvider
    private(set) var tally = StreamTally()
    private var lines = LineSplitter(endsAtCR: true)
    private var data: [UInt8] = []
    private var hasData = false
    /// What the event's `event:` name decided, if it decides.
    private var named: EventMeaning?
    private var atStart = true

    init(provider: BenchProvider) {
        self.provider = provider
    }

    /// Ready for a new stream (the buffers keep their capacity).
    mutating func reset() {
        tally = StreamTally()
        lines.reset()
        data.removeAll(keepingCapacity: true)
        hasData = false
        named = nil
        atStart = true
    }

    mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        var lines = LineSplitter(endsAtCR: true)
        swap(&lines, &self.lines)  // the splitter calls back into self: hold it apart meanwhile
        lines.split(bytes) { line($0) }
        if lines.overflowed { tally.markMalformed() }
        swap(&lines, &self.lines)
    }

    /// The body ended: an event not yet ended by its blank line is dropped.
    mutating func endOfBody() {}

    private mutating func line(_ raw: UnsafeRawBufferPointer) {
        var line = raw
        if atStart {
            atStart = false
            if line.hasPrefix("\u{FEFF}") { line = UnsafeRawBufferPointer(rebasing: line.dropFirst(3)) }
        }
        guard let first = line.first else { return dispatch() }
        if first == UInt8(ascii: ":") { return }
        var field = line
        var value = UnsafeRawBufferPointer(rebasing: line[line.count...])
        if let colon = memchr(line.baseAddress!, Int32(UInt8(ascii: ":")), line.count) {
            let at = UnsafeRawPointer(colon) - line.baseAddress!
            field = UnsafeRawBufferPointer(rebasing: line[..<at])
            let valueStart = at + 1 < line.count && line[at + 1] == 0x20 ? at + 2 : at + 1
            value = UnsafeRawBufferPointer(rebasing: line[valueStart...])
        }
        if field.equals("data") {
            appendData(value)
        } else if field.equals("event") {
            named = value.isEmpty ? nil : provider.meaning(ofEventNamed: value)
        }
    }

    private mutating func appendData(_ value: UnsafeRawBufferPointer) {
        guard data.count + value.count < LineSplitter.maxLineBytes else { return tally.markMalformed() }
        if hasData { data.append(ByteClass.lf) }
        data.append(contentsOf: value)
        hasData = true
    }

    private mutating func dispatch() {
        if hasData {
            let meaning = data.withUnsafeBytes { provider.meaning(named: named, data: $0) }
            tally.record(meaning)
            data.removeAll(keepingCapacity: true)
            hasData = false
        }
        named = nil
    }
}
