/// Incremental reader of the HTTP/1.x responses arriving on a client connection, in pieces cut
/// anywhere.
///
/// It returns each response's head, then its body in pieces as they arrive (ranges of the
/// caller's bytes: nothing but the head is copied, so a long stream is never accumulated), then
/// its end. Bodies are framed by chunked transfer coding, by content-length, or by the end of
/// the connection (`endOfInput()`). Interim 1xx responses are skipped. Lenient where servers
/// differ harmlessly (a bare LF ends a line), strict where framing would be ambiguous.
package struct ResponseReader {
    package enum Part: Equatable {
        case needMoreData
        case head(ResponseHead)
        /// Body bytes: a range of the buffer passed to `next`.
        case body(Range<Int>)
        /// The response is complete; the connection can carry another request if `keepAlive`.
        case end(keepAlive: Bool)
    }

    /// What the end of the connection meant for the response in progress.
    package enum EndOfInput: Equatable {
        /// No response was in progress.
        case idle
        /// It completed a body framed by the end of the connection.
        case complete
        /// The response was cut short.
        case truncated
    }

    private enum State {
        case head
        case length(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd(sawCR: Bool)
        case trailer(lineLength: Int)
        case untilClose
        case noBody
    }

    static let maxHeadBytes = 64 * 1024
    static let maxChunkLine = 4096

    private var state = State.head
    private var keepAlive = true
    private var headBytes: [UInt8] = []
    private var headLines = 0
    private var headLineLength = 0
    private var chunkSize = 0
    private var chunkDigits = 0
    private var chunkLineLength = 0
    private var inChunkExtension = false

    package init() {}

    /// Reads what it can from `p[i...]`, advancing `i`; call again until `.needMoreData`.
    package mutating func next(_ p: UnsafeRawBufferPointer, from i: inout Int) throws(ResponseReadError) -> Part {
        while true {
            switch state {
            case .head:
                guard let head = try readHead(p, &i) else { return .needMoreData }
                if (100..<200).contains(head.status) && head.status != 101 { continue }  // interim response
                keepAlive = head.keepAlive
                state = Self.framing(of: head)
                if case .untilClose = state { keepAlive = false }
                return .head(head)
            case .length(let remaining):
                if remaining == 0 { return finish() }
                let n = min(remaining, p.count - i)
                if n == 0 { return .needMoreData }
                state = .length(remaining: remaining - n)
                i += n
                return .body(i - n..<i)
            case .chunkSize:
                guard try readChunkSize(p, &i) else { return .needMoreData }
            case .chunkData(let remaining):
                let n = min(remaining, p.count - i)
                if n == 0 { return .needMoreData }
                state = n == remaining ? .chunkDataEnd(sawCR: false) : .chunkData(remaining: remaining - n)
                i += n
                return .body(i - n..<i)
            case .chunkDataEnd(let sawCR):
                guard i < p.count else { return .needMoreData }
                let b = p[i]
                i += 1
                if b == ByteClass.cr && !sawCR {
                    state = .chunkDataEnd(sawCR: true)
                } else if b == ByteClass.lf {
                    state = .chunkSize
                } else {
                    throw ResponseReadError("chunk data not followed by CRLF")
                }
            case .trailer(var lineLength):
                while i < p.count {
                    let b = p[i]
                    i += 1
                    if b == ByteClass.lf {
                        if lineLength == 0 { return finish() }
                        lineLength = 0
                    } else if b != ByteClass.cr {
                        lineLength += 1
                        if lineLength > Self.maxHeadBytes { throw ResponseReadError("trailer line too long") }
                    }
                }
                state = .trailer(lineLength: lineLength)
                return .needMoreData
            case .untilClose:
                if i == p.count { return .needMoreData }
                defer { i = p.count }
                return .body(i..<p.count)
            case .noBody:
                return finish()
            }
        }
    }

    /// The connection ended (EOF): says whether that completed the response in progress.
    package mutating func endOfInput() -> EndOfInput {
        switch state {
        case .head:
            return headLines == 0 && headLineLength == 0 ? .idle : .truncated
        case .untilClose:
            state = .head
            return .complete
        default:
            return .truncated
        }
    }

    private mutating func finish() -> Part {
        state = .head
        return .end(keepAlive: keepAlive)
    }

    private static func framing(of head: ResponseHead) -> State {
        if head.status < 200 || head.status == 204 || head.status == 304 { return .noBody }
        if head.isChunked { return .chunkSize }
        if head.hasTransferEncoding { return .untilClose }
        if let length = head.contentLength { return length == 0 ? .noBody : .length(remaining: length) }
        return .untilClose
    }

    /// Collects the head up to its blank line; returns it once complete.
    private mutating func readHead(_ p: UnsafeRawBufferPointer, _ i: inout Int) throws(ResponseReadError) -> ResponseHead? {
        var j = i
        var end: Int?
        while j < p.count {
            let b = p[j]
            if b == ByteClass.lf {
                if headLineLength == 0 && headLines > 0 {
                    end = j + 1
                    break
                }
                headLines += 1
                headLineLength = 0
            } else if b != ByteClass.cr {
                headLineLength += 1
            }
            j += 1
        }
        let stop = end ?? p.count
        guard headBytes.count + stop - i <= Self.maxHeadBytes else { throw ResponseReadError("response head larger than 64 KiB") }
        headBytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[i..<stop]))
        i = stop
        guard end != nil else { return nil }
        defer {
            headBytes.removeAll(keepingCapacity: true)
            headLines = 0
        }
        return try headBytes.withUnsafeBufferPointer { (bytes) throws(ResponseReadError) in try ResponseHead(parsing: bytes) }
    }

    /// Reads `size [; extension] CRLF`; true once the line is complete.
    private mutating func readChunkSize(_ p: UnsafeRawBufferPointer, _ i: inout Int) throws(ResponseReadError) -> Bool {
        while i < p.count {
            let b = p[i]
            i += 1
            chunkLineLength += 1
            if chunkLineLength > Self.maxChunkLine { throw ResponseReadError("chunk size line too long") }
            if b == ByteClass.lf {
                guard chunkDigits > 0 else { throw ResponseReadError("invalid chunk size") }
                state = chunkSize == 0 ? .trailer(lineLength: 0) : .chunkData(remaining: chunkSize)
                chunkSize = 0
                chunkDigits = 0
                chunkLineLength = 0
                inChunkExtension = false
                return true
            }
            if inChunkExtension || b == ByteClass.cr { continue }
            if let digit = Self.hexValue(b) {
                guard chunkDigits < 15 else { throw ResponseReadError("chunk size too large") }
                chunkSize = chunkSize << 4 | digit
                chunkDigits += 1
            } else if chunkDigits > 0 && (b == UInt8(ascii: ";") || ByteClass.isWhitespace(b)) {
                inChunkExtension = true
            } else {
                throw ResponseReadError("invalid chunk size")
            }
        }
        return false
    }

    private static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(b - 48)
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(b - 87)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(b - 55)
        default: nil
        }
    }
}

/// Why a response could not be read.
package struct ResponseReadError: Error, Equatable, Sendable, CustomStringConvertible {
    package var reason: String
    package init(_ reason: String) { self.reason = reason }
    package var description: String { reason }
}
