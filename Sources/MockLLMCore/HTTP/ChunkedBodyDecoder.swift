/// Incremental decoder for a `Transfer-Encoding: chunked` request body (RFC 9112 section 7.1).
///
/// Strict: chunk sizes are hex digits only (at most 16), extensions may not contain control
/// characters, every line ends in CRLF, data is followed by exactly CRLF, and trailer fields are
/// validated like header fields and then discarded.
struct ChunkedBodyDecoder {
    private enum State {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailer
    }

    /// Longest chunk-size line accepted, extensions included.
    static let maxChunkLine = 4096

    private var state = State.size
    private var trailerBytes = 0
    private(set) var body: [UInt8] = []
    private(set) var hasStarted = false

    /// Consumes what it can from `p[i...]`; returns true once the last chunk and trailers are in.
    mutating func decode(_ p: UnsafeBufferPointer<UInt8>, from i: inout Int, limits: RequestParser.Limits) throws(HTTPParseError) -> Bool {
        if i < p.count { hasStarted = true }
        while true {
            switch state {
            case .size:
                guard let lineEnd = try findLineEnd(p, from: i, maxLength: Self.maxChunkLine, what: "chunk size line") else { return false }
                let size = try parseSizeLine(UnsafeBufferPointer(rebasing: p[i..<lineEnd - 1]))
                if size > limits.maxBodyBytes - body.count {
                    throw HTTPParseError(413, "request body larger than \(limits.maxBodyBytes) bytes")
                }
                i = lineEnd + 1
                state = size == 0 ? .trailer : .data(remaining: size)
            case .data(let remaining):
                let n = min(remaining, p.count - i)
                if n == 0 { return false }
                body.append(contentsOf: UnsafeBufferPointer(rebasing: p[i..<i + n]))
                i += n
                state = n == remaining ? .dataEnd : .data(remaining: remaining - n)
            case .dataEnd:
                if p.count - i < 2 { return false }
                guard p[i] == ByteClass.cr, p[i + 1] == ByteClass.lf else {
                    throw HTTPParseError(400, "chunk data not followed by CRLF")
                }
                i += 2
                state = .size
            case .trailer:
                let remainingAllowance = limits.maxHeadBytes - trailerBytes
                guard let lineEnd = try findLineEnd(p, from: i, maxLength: remainingAllowance, what: "trailer section") else { return false }
                let line = UnsafeBufferPointer(rebasing: p[i..<lineEnd - 1])
                trailerBytes += lineEnd + 1 - i
                i = lineEnd + 1
                if line.isEmpty { return true }
                try validateTrailerField(line)
            }
        }
    }

    /// Index of the LF ending the line that starts at `from`, after checking the CR before it.
    private func findLineEnd(_ p: UnsafeBufferPointer<UInt8>, from: Int, maxLength: Int, what: String) throws(HTTPParseError) -> Int? {
        var j = from
        while j < p.count {
            if p[j] == ByteClass.lf {
                guard j > from, p[j - 1] == ByteClass.cr else { throw HTTPParseError(400, "bare LF in the \(what)") }
                return j
            }
            if j - from >= maxLength {
                throw HTTPParseError(what == "trailer section" ? 431 : 400, "\(what) too long")
            }
            j += 1
        }
        return nil
    }

    /// chunk-size [ BWS ";" chunk-ext ], without the CRLF.
    private func parseSizeLine(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Int {
        var k = 0
        var size = 0
        while k < line.count, let digit = hexValue(line[k]) {
            if k == 16 { throw HTTPParseError(400, "chunk size too large") }
            size = size << 4 | digit
            k += 1
        }
        if k == 0 { throw HTTPParseError(400, "invalid chunk size") }
        if size < 0 { throw HTTPParseError(400, "chunk size too large") }
        while k < line.count, ByteClass.isWhitespace(line[k]) { k += 1 }
        if k == line.count { return size }
        guard line[k] == UInt8(ascii: ";") else { throw HTTPParseError(400, "invalid chunk size") }
        while k < line.count {
            guard ByteClass.isFieldValueChar(line[k]) else { throw HTTPParseError(400, "control character in a chunk extension") }
            k += 1
        }
        return size
    }

    private func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(b - 48)
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(b - 87)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(b - 55)
        default: nil
        }
    }

    private func validateTrailerField(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) {
        var k = 0
        while k < line.count, ByteClass.isTokenChar(line[k]) { k += 1 }
        guard k > 0, k < line.count, line[k] == UInt8(ascii: ":") else { throw HTTPParseError(400, "malformed trailer field") }
        for b in line[(k + 1)...] where !ByteClass.isFieldValueChar(b) {
            throw HTTPParseError(400, "control character in a trailer field")
        }
    }
}
