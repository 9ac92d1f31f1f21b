import MockLLMCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cuts a response body that arrives in pieces cut anywhere into lines, for the stream scanners.
///
/// Server-sent events end a line with CRLF, LF or CR alone (`endsAtCR`), so a CR that ends one
/// piece may have its LF at the start of the next; NDJSON ends lines with LF only (a CR before
/// it is JSON whitespace, left in the line). Lines are handed over where they lie in the
/// caller's bytes; only a line cut by a piece boundary is copied, into a buffer that keeps its
/// capacity for the next stream.
struct LineSplitter {
    /// A line longer than this (a cut line being collected) makes the stream malformed.
    static let maxLineBytes = 4 << 20

    let endsAtCR: Bool
    private var carry: [UInt8] = []
    /// The last piece ended with a CR that ended a line: an LF first in the next piece belongs to it.
    private var afterCR = false
    /// A cut line grew past `maxLineBytes` (and was cut short).
    private(set) var overflowed = false

    init(endsAtCR: Bool) {
        self.endsAtCR = endsAtCR
    }

    /// Ready for a new stream (the cut-line buffer keeps its capacity).
    mutating func reset() {
        carry.removeAll(keepingCapacity: true)
        afterCR = false
        overflowed = false
    }

    /// Hands each line that `bytes` completes to `line`, in order and without its line end, and
    /// keeps an unfinished last line for the next piece.
    mutating func split(_ bytes: UnsafeRawBufferPointer, _ line: (UnsafeRawBufferPointer) -> Void) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let count = bytes.count
        var start = 0
        if afterCR {
            afterCR = false
            if bytes[0] == ByteClass.lf { start = 1 }
        }
        var lf = -1  // the next LF at or after `start`, or `count` when there is none
        while start < count {
            if lf < start {
                lf = memchr(base + start, Int32(ByteClass.lf), count - start).map { UnsafeRawPointer($0) - base } ?? count
            }
            var end = lf
            var next = lf + 1
            if endsAtCR, lf > start, let found = memchr(base + start, Int32(ByteClass.cr), lf - start) {
                end = UnsafeRawPointer(found) - base
                if end + 1 == count {
                    afterCR = true
                    next = count
                } else {
                    next = end + 1 == lf ? lf + 1 : end + 1  // CRLF, or a CR alone
                }
            }
            if end == count {
                keep(UnsafeRawBufferPointer(rebasing: bytes[start...]))
                return
            }
            let piece = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            if carry.isEmpty {
                line(piece)
            } else {
                keep(piece)
                carry.withUnsafeBytes { line($0) }
                carry.removeAll(keepingCapacity: true)
            }
            start = next
        }
    }

    /// At the end of the body: hands an unfinished last line to `line` (NDJSON's last line may
    /// lack its LF; an SSE event it belonged to is dropped without it).
    mutating func finish(_ line: (UnsafeRawBufferPointer) -> Void) {
        guard !carry.isEmpty else { return }
        carry.withUnsafeBytes { line($0) }
        carry.removeAll(keepingCapacity: true)
    }

    private mutating func keep(_ piece: UnsafeRawBufferPointer) {
        guard carry.count + piece.count <= Self.maxLineBytes else {
            overflowed = true
            return
        }
        carry.append(contentsOf: piece)
    }
}
