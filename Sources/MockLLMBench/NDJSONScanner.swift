/// Reads a newline-delimited JSON stream (Ollama's `application/x-ndjson`) as its body arrives
/// in pieces cut anywhere, and tallies its lines by what the provider says they mean
/// (`BenchProvider+Events.swift`).
///
/// One JSON value per line, lines ending in LF (a CR before it is JSON whitespace); a blank
/// line is not an event; the last line counts even without its LF, as NDJSON readers (Go's
/// `bufio.Scanner`, httpx's `iter_lines`) read it. Lines are read where they lie; only a line
/// cut by a read is copied (`LineSplitter`).
struct NDJSONScanner {
    let provider: BenchProvider
    private(set) var tally = StreamTally()
    private var lines = LineSplitter(endsAtCR: false)

    init(provider: BenchProvider) {
        self.provider = provider
    }

    /// Ready for a new stream (the cut-line buffer keeps its capacity).
    mutating func reset() {
        tally = StreamTally()
        lines.reset()
    }

    mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        var lines = LineSplitter(endsAtCR: false)
        swap(&lines, &self.lines)  // the splitter calls back into self: hold it apart meanwhile
        lines.split(bytes) { line($0) }
        if lines.overflowed { tally.markMalformed() }
        swap(&lines, &self.lines)
    }

    /// The body ended: a last line without its LF is still a line.
    mutating func endOfBody() {
        var lines = LineSplitter(endsAtCR: false)
        swap(&lines, &self.lines)
        lines.finish { line($0) }
        swap(&lines, &self.lines)
    }

    private mutating func line(_ line: UnsafeRawBufferPointer) {
        guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { return }
        tally.record(provider.meaning(ofLine: line))
    }
}
