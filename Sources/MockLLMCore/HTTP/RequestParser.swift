#if canImport(Glibc)
import Glibc
#endif

/// A strict, incremental HTTP/1.1 request parser: bytes in, requests out, no I/O.
///
/// Feed it whatever arrived with `append`, then call `next()` until it answers
/// `.needMoreData`. Several pipelined requests in one read come out one by one, in order.
/// The rules are those of docs/ARCHITECTURE.md, "Strict HTTP/1.1" (CRLF only, token names with no space before the colon,
/// no obs-fold, no control characters in values, one digits-only Content-Length, only
/// `chunked` as Transfer-Encoding and never with Content-Length, one Host on HTTP/1.1, limits).
/// After an error the parser stays failed: the connection answers once and closes.
public struct RequestParser {
    public struct Limits: Sendable, Equatable {
        /// Request line plus header fields, including the blank line (larger: 431).
        public var maxHeadBytes: Int
        /// Number of header fields (more: 431).
        public var maxHeaderCount: Int
        /// Decoded body size (larger: 413).
        public var maxBodyBytes: Int

        /// Targets the server expects (its literal routes): a request for one shares this
        /// string instead of allocating its own. Not a limit on what may be requested.
        public var knownTargets: [String] {
            didSet { knownTargetsByLength = Self.byLength(knownTargets) }
        }
        /// `knownTargets` by their length in bytes: a target is looked up among those as long
        /// as it (a Bedrock path, which no literal route is, was compared with every one's length).
        private(set) var knownTargetsByLength: [[String]]

        public init(
            maxHeadBytes: Int = 16 * 1024, maxHeaderCount: Int = 100, maxBodyBytes: Int = 8 * 1024 * 1024,
            knownTargets: [String] = []
        ) {
            self.maxHeadBytes = maxHeadBytes
            self.maxHeaderCount = maxHeaderCount
            self.maxBodyBytes = maxBodyBytes
            self.knownTargets = knownTargets
            knownTargetsByLength = Self.byLength(knownTargets)
        }

        static func byLength(_ targets: [String]) -> [[String]] {
            var byLength: [[String]] = Array(repeating: [], count: (targets.map(\.utf8.count).max() ?? -1) + 1)
            for target in targets { byLength[target.utf8.count].append(target) }
            return byLength
        }
    }

    public enum Event: Sendable {
        /// A complete request.
        case request(HTTPRequest)
        /// The request asked for `Expect: 100-continue` and its body has not arrived yet:
        /// send `HTTP/1.1 100 Continue` now, then keep feeding.
        case continueExpected
        case needMoreData
        case error(HTTPParseError)
    }

    public let limits: Limits
    private var buffer: [UInt8] = []
    /// A read's bytes parsed where they lie (see `lend`); `start` indexes these while set.
    private var lent: UnsafeBufferPointer<UInt8>?
    /// Index of the first byte not yet consumed.
    private var start = 0
    /// How far past `start` the search for the end of the head has already looked.
    private var scanned = 0
    private var pending: PendingBody?
    private var failure: HTTPParseError?

    private struct PendingBody {
        var request: RequestHead
        var framing: BodyFraming
        var expectContinue: Bool
    }

    enum BodyFraming {
        case length(Int)
        case chunked(ChunkedBodyDecoder)
    }

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Bytes received but not yet consumed by a complete request.
    public var bufferedByteCount: Int { (lent?.count ?? buffer.count) - start }

    /// Whether a request has begun (some of it arrived) but is not complete.
    public var hasPartialRequest: Bool { pending != nil || bufferedByteCount > 0 }

    /// Like `append`, without the copy: the parser reads `bytes` where they lie until
    /// `keepUnconsumed()`, which must be called before that memory is reused. The usual read
    /// holds whole requests, so nothing is copied at all.
    public mutating func lend(_ bytes: UnsafeRawBufferPointer) {
        guard lent == nil, bufferedByteCount == 0, !bytes.isEmpty else { return append(bytes) }
        buffer = []
        start = 0
        lent = bytes.assumingMemoryBound(to: UInt8.self)
    }

    /// Copies what is left of lent bytes into the parser's own buffer.
    public mutating func keepUnconsumed() {
        guard let bytes = lent else { return }
        lent = nil
        buffer = Array(bytes[start...])
        start = 0
    }

    /// Hands over the bytes received after the last complete request and forgets them: once a
    /// request upgrades the connection (WebSocket), what follows it is another protocol's.
    public mutating func takeUnconsumed() -> [UInt8] {
        let rest: [UInt8]
        if let bytes = lent {
            rest = Array(bytes[start...])
            lent = nil
        } else {
            rest = Array(buffer[start...])
        }
        buffer = []
        start = 0
        scanned = 0
        return rest
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        keepUnconsumed()
        if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    public mutating func next() -> Event {
        if let failure { return .error(failure) }
        do {
            if let bytes = lent {
                let event = try step(bytes)
                if start == bytes.count {
                    lent = nil
                    start = 0
                }
                return event
            }
            let event = try buffer.withUnsafeBufferPointer { (p) throws(HTTPParseError) -> Event in
                try step(p)
            }
            if case .request = event, start == buffer.count {
                // Everything consumed: give the memory back, an idle connection should hold none.
                buffer = []
                start = 0
            }
            return event
        } catch {
            failure = error
            return .error(error)
        }
    }

    private mutating func step(_ p: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Event {
        if pending == nil {
            guard let headEnd = try findHeadEnd(p) else { return .needMoreData }
            let head = try HeadParser.parse(UnsafeBufferPointer(rebasing: p[start..<headEnd]), limits: limits)
            start = headEnd
            scanned = 0
            pending = PendingBody(request: head.request, framing: head.framing, expectContinue: head.expectContinue)
        }
        guard var body = pending.take() else { return .needMoreData }
        let available = p.count - start
        switch body.framing {
        case .length(let length):
            if available < length {
                return continueOrWait(&body, bodyStarted: available > 0)
            }
            let bytes = [UInt8](copying: UnsafeBufferPointer(rebasing: p[start..<start + length]))
            start += length
            return .request(HTTPRequest(body.request, body: bytes))
        case .chunked(var decoder):
            // Leave the decoder the only owner of its body so that the body grows in place: a
            // copy left in `body.framing` made every read copy the whole body so far.
            body.framing = .length(0)
            let before = start
            let done: Bool
            do {
                done = try decoder.decode(p, from: &start, limits: limits)
            } catch {
                var located = error
                located.target = body.request.target
                throw located
            }
            body.framing = .chunked(decoder)
            if !done {
                return continueOrWait(&body, bodyStarted: start > before || decoder.hasStarted)
            }
            return .request(HTTPRequest(body.request, body: decoder.body))
        }
    }

    private mutating func continueOrWait(_ body: inout PendingBody, bodyStarted: Bool) -> Event {
        let expect = body.expectContinue && !bodyStarted
        body.expectContinue = false
        pending = body
        return expect ? .continueExpected : .needMoreData
    }

    /// Finds the end of the head (one past its blank line), rejecting bare LF as soon as it is
    /// seen and an over-long head as soon as it passes the limit.
    private mutating func findHeadEnd(_ p: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Int? {
        // RFC 9112 2.2: ignore empty lines before the request line.
        while p.count - start >= 2, p[start] == ByteClass.cr, p[start + 1] == ByteClass.lf {
            start += 2
            scanned = 0
        }
        // No byte past the limit is looked at, so the answer is the same however the head was
        // split into reads (else a bare LF beyond the limit gave 400 or 431 by chance).
        let end = min(p.count, start + limits.maxHeadBytes)
        var j = start + scanned
        while j < end, let found = memchr(p.baseAddress! + j, Int32(ByteClass.lf), end - j) {
            let lf = p.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
            guard lf > start, p[lf - 1] == ByteClass.cr else { throw HTTPParseError(400, "bare LF in the request head") }
            if lf - start >= 3, p[lf - 2] == ByteClass.lf { return lf + 1 }
            j = lf + 1
        }
        if p.count > start + limits.maxHeadBytes { throw tooLarge(p) }
        scanned = p.count - start
        return nil
    }

    /// RFC 9112 3: a request-target longer than the server will parse MUST be answered 414, so
    /// a request line that alone passes the limit is a 414; a head that passes it is a 431.
    private func tooLarge(_ p: UnsafeBufferPointer<UInt8>) -> HTTPParseError {
        if !p[start..<start + limits.maxHeadBytes].contains(ByteClass.lf) {
            return HTTPParseError(414, "request line longer than \(limits.maxHeadBytes) bytes")
        }
        return HTTPParseError(431, "request head larger than \(limits.maxHeadBytes) bytes")
    }
}
