#if canImport(Glibc)
import Glibc
#endif

/// Parses one complete request head (request line, fields, blank line) and decides how the
/// body is framed. Every rule here is a smuggling or robustness rule: when in doubt, refuse.
enum HeadParser {
    struct Head {
        var request: RequestHead
        var framing: RequestParser.BodyFraming
        var expectContinue: Bool
    }

    /// `p` runs from the first byte of the request line to the end of the blank line.
    /// Every LF in it is already known to follow a CR.
    static func parse(_ p: UnsafeBufferPointer<UInt8>, limits: RequestParser.Limits) throws(HTTPParseError) -> Head {
        var i = 0
        let line = try parseRequestLine(p, &i, knownTargets: limits.knownTargetsByLength)
        do {
            return try parseFields(p, &i, line: line, limits: limits)
        } catch {
            var located = error
            located.target = line.target
            throw located
        }
    }

    private struct RequestLine {
        var method: String
        var target: String
        var path: String
        var query: String?
        var version: HTTPVersion
        /// The path starts with `/t/` (a test scope's prefix).
        var scopePath: Bool
    }

    private static func parseFields(
        _ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, line: RequestLine, limits: RequestParser.Limits
    ) throws(HTTPParseError) -> Head {
        let version = line.version
        var spans: [RequestHeaders.Span] = []
        spans.reserveCapacity(8)
        var contentLength: Int?
        var chunked = false
        var transferEncodingSeen = false
        var hostCount = 0
        var wantsClose = false
        var wantsKeepAlive = false
        var expectContinue = false
        var namesTestScope = false

        while true {
            if p[i] == ByteClass.cr {
                guard p[i + 1] == ByteClass.lf else { throw HTTPParseError(400, "bare CR in the request head") }
                break  // the blank line: the head ends here by construction
            }
            if ByteClass.isWhitespace(p[i]) { throw HTTPParseError(400, "obsolete line folding in a header field") }
            let span = try parseField(p, &i)
            spans.append(span)
            if spans.count > limits.maxHeaderCount {
                throw HTTPParseError(431, "more than \(limits.maxHeaderCount) header fields")
            }
            let value = UnsafeBufferPointer(rebasing: p[Int(span.valueStart)..<Int(span.valueEnd)])
            switch FieldName(UnsafeBufferPointer(rebasing: p[Int(span.nameStart)..<Int(span.nameEnd)])) {
            case .contentLength:
                if contentLength != nil { throw HTTPParseError(400, "more than one Content-Length") }
                contentLength = try parseContentLength(value)
            case .transferEncoding:
                if transferEncodingSeen { throw HTTPParseError(400, "more than one Transfer-Encoding") }
                transferEncodingSeen = true
                if !ByteClass.equalsLowercase(value, "chunked") {
                    throw refusal(transferEncoding: String(decoding: value, as: UTF8.self))
                }
                chunked = true
            case .testScope:
                namesTestScope = true
            case .host:
                hostCount += 1
                // RFC 9112 3.2: a Host with an invalid value MUST be answered 400.
                guard value.allSatisfy(ByteClass.isHostChar) else { throw HTTPParseError(400, "invalid Host header") }
            case .connection:
                for token in value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true) {
                    let t = UnsafeBufferPointer(rebasing: token).trimmingWhitespace()
                    if ByteClass.equalsLowercase(t, "close") { wantsClose = true }
                    if ByteClass.equalsLowercase(t, "keep-alive") { wantsKeepAlive = true }
                }
            case .expect:
                guard ByteClass.equalsLowercase(value, "100-continue") else {
                    throw HTTPParseError(417, "only Expect: 100-continue is supported")
                }
                expectContinue = version == .http11
            default:
                break
            }
        }

        if transferEncodingSeen && contentLength != nil {
            throw HTTPParseError(400, "both Transfer-Encoding and Content-Length")
        }
        if transferEncodingSeen && version == .http10 {
            throw HTTPParseError(400, "Transfer-Encoding in an HTTP/1.0 request")
        }
        if version == .http11 && hostCount != 1 {
            throw HTTPParseError(400, hostCount == 0 ? "missing Host header" : "more than one Host header")
        }
        if hostCount > 1 { throw HTTPParseError(400, "more than one Host header") }
        // Judged after the framing: a 413 would claim that the framing was understood.
        if let contentLength, contentLength > limits.maxBodyBytes {
            throw HTTPParseError(413, "request body larger than \(limits.maxBodyBytes) bytes")
        }

        let keepAlive = !wantsClose && (version == .http11 || wantsKeepAlive)
        let request = RequestHead(
            method: line.method, target: line.target, path: line.path, query: line.query, version: version,
            headers: RequestHeaders(bytes: [UInt8](copying: p), spans: spans, namesTestScope: namesTestScope), keepAlive: keepAlive,
            mayNameTestScope: namesTestScope || line.scopePath)
        let framing: RequestParser.BodyFraming = chunked ? .chunked(ChunkedBodyDecoder()) : .length(contentLength ?? 0)
        return Head(request: request, framing: framing, expectContinue: expectContinue && (chunked || (contentLength ?? 0) > 0))
    }

    private static func parseRequestLine(
        _ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, knownTargets: [[String]]
    ) throws(HTTPParseError) -> RequestLine {
        let methodStart = i
        while ByteClass.isTokenChar(p[i]) { i += 1 }
        guard i > methodStart, p[i] == ByteClass.sp else { throw HTTPParseError(400, "malformed request line: method") }
        let methodBytes = UnsafeBufferPointer(rebasing: p[methodStart..<i])
        let method = known(methodBytes, in: commonMethods) ?? String(decoding: methodBytes, as: UTF8.self)
        i += 1
        let targetStart = i
        while p[i] > 0x20 && p[i] < 0x7F { i += 1 }
        guard i > targetStart, p[i] == ByteClass.sp else { throw HTTPParseError(400, "malformed request line: target") }
        let targetBytes = UnsafeBufferPointer(rebasing: p[targetStart..<i])
        i += 1
        let version = try parseVersion(p, &i)
        guard p[i] == ByteClass.cr, p[i + 1] == ByteClass.lf else { throw HTTPParseError(400, "malformed request line: version") }
        i += 2
        try checkTargetForm(targetBytes, method: method)
        let sameLength = targetBytes.count < knownTargets.count ? knownTargets[targetBytes.count] : []
        let target = known(targetBytes, in: sameLength) ?? String(decoding: targetBytes, as: UTF8.self)
        // The usual origin-form target without a query is its own path: share the string.
        let plain = targetBytes[0] == UInt8(ascii: "/") && !targetBytes.contains(UInt8(ascii: "?"))
        let (path, query) = plain ? (target, nil) : HTTPRequest.split(target: targetBytes)
        let scopePath = plain ? targetBytes.count > 2 && targetBytes[1] == UInt8(ascii: "t") && targetBytes[2] == UInt8(ascii: "/")
            : HTTPRequest.isScopePath(path)
        return RequestLine(method: method, target: target, path: path, query: query, version: version, scopePath: scopePath)
    }

    private static let commonMethods = ["GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"]

    /// The entry of `targets` with exactly these bytes, if any.
    private static func known(_ bytes: UnsafeBufferPointer<UInt8>, in targets: [String]) -> String? {
        for target in targets where target.utf8.count == bytes.count {
            let same = target.utf8.withContiguousStorageIfAvailable { memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }
            if same == true { return target }
        }
        return nil
    }

    private static func parseVersion(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int) throws(HTTPParseError) -> HTTPVersion {
        guard p.count - i >= 10 else { throw HTTPParseError(400, "malformed request line: version") }
        let prefix: StaticString = "HTTP/"
        let prefixMatches = prefix.withUTF8Buffer { lit in (0..<5).allSatisfy { p[i + $0] == lit[$0] } }
        let major = p[i + 5] &- 48, dot = p[i + 6], minor = p[i + 7] &- 48
        guard prefixMatches, major < 10, dot == UInt8(ascii: "."), minor < 10 else {
            throw HTTPParseError(400, "malformed request line: version")
        }
        i += 8
        switch (major, minor) {
        case (1, 1): return .http11
        case (1, 0): return .http10
        default: throw HTTPParseError(505, "HTTP/\(major).\(minor) is not supported")
        }
    }

    /// origin-form (`/path`), absolute-form (`http://host/path`, which servers must accept) or
    /// asterisk-form for OPTIONS. Authority-form (CONNECT) is not served.
    private static func checkTargetForm(_ t: UnsafeBufferPointer<UInt8>, method: String) throws(HTTPParseError) {
        if t[0] == UInt8(ascii: "/") { return }
        if t.count == 1, t[0] == UInt8(ascii: "*"), method == "OPTIONS" { return }
        for scheme in ["http://", "https://"] where t.count > scheme.utf8.count {
            if zip(t, scheme.utf8).allSatisfy({ ByteClass.lower($0) == $1 }) { return }
        }
        throw HTTPParseError(400, "malformed request target")
    }

    /// Reads one field line starting at `i`; returns where its name and value lie in `p`.
    private static func parseField(_ p: UnsafeBufferPointer<UInt8>, _ index: inout Int) throws(HTTPParseError) -> RequestHeaders.Span {
        // Indexing the base pointer skips per-byte bounds checks: the head ends in CR LF CR LF,
        // and every loop below stops at a CR, so no index can pass the end.
        let b = p.baseAddress!
        var i = index
        let nameStart = i
        while ByteClass.isTokenChar(b[i]) { i += 1 }
        let nameEnd = i
        guard nameEnd > nameStart, b[i] == UInt8(ascii: ":") else {
            throw HTTPParseError(400, nameEnd > nameStart && ByteClass.isWhitespace(b[i])
                ? "whitespace between a header name and its colon" : "malformed header field name")
        }
        i += 1
        while ByteClass.isWhitespace(b[i]) { i += 1 }
        let valueStart = i
        while b[i] != ByteClass.cr {
            guard ByteClass.isFieldValueChar(b[i]) else { throw HTTPParseError(400, "control character in a header value") }
            i += 1
        }
        guard b[i + 1] == ByteClass.lf else { throw HTTPParseError(400, "bare CR in the request head") }
        var valueEnd = i
        while valueEnd > valueStart && ByteClass.isWhitespace(b[valueEnd - 1]) { valueEnd -= 1 }
        index = i + 2
        return RequestHeaders.Span(
            nameStart: UInt32(nameStart), nameEnd: UInt32(nameEnd), valueStart: UInt32(valueStart), valueEnd: UInt32(valueEnd))
    }



    /// At most 18 digits, so the value can never overflow.
    private static func parseContentLength(_ v: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Int {
        guard !v.isEmpty, v.count <= 18 else {
            throw HTTPParseError(400, v.isEmpty ? "empty Content-Length" : "Content-Length out of range")
        }
        var n = 0
        for b in v {
            guard b &- 48 < 10 else { throw HTTPParseError(400, "Content-Length is not a decimal number") }
            n = n * 10 + Int(b - 48)
        }
        return n
    }

    /// Why a Transfer-Encoding other than exactly `chunked` is refused. RFC 9112 6.3: if chunked
    /// is not the final coding the body length cannot be known, MUST 400; 6.1: chunked applied
    /// twice is invalid (400), and a coding under a final chunked is one this server does not
    /// implement (SHOULD 501).
    private static func refusal(transferEncoding value: String) -> HTTPParseError {
        let codings = value.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingWhitespace().lowercased() }
        guard codings.last == "chunked", codings.dropLast().allSatisfy({ $0 != "chunked" }) else {
            return HTTPParseError(400, "Transfer-Encoding does not end in exactly one chunked")
        }
        return HTTPParseError(501, "Transfer-Encoding other than chunked is not supported")
    }
}

/// The header names the parser acts on, recognised from the raw bytes by length first.
private enum FieldName {
    case contentLength, transferEncoding, host, connection, expect, testScope, other

    init(_ name: UnsafeBufferPointer<UInt8>) {
        switch name.count {
        case 4: self = ByteClass.equalsLowercase(name, "host") ? .host : .other
        case 6: self = ByteClass.equalsLowercase(name, "expect") ? .expect : .other
        case 10: self = ByteClass.equalsLowercase(name, "connection") ? .connection : .other
        case 14:
            self = ByteClass.equalsLowercase(name, "content-length") ? .contentLength
                : ByteClass.equalsLowercase(name, RequestHeaders.testScopeName) ? .testScope : .other
        case 17: self = ByteClass.equalsLowercase(name, "transfer-encoding") ? .transferEncoding : .other
        default: self = .other
        }
    }
}

extension UnsafeBufferPointer<UInt8> {
    func trimmingWhitespace() -> UnsafeBufferPointer<UInt8> {
        var start = 0
        var end = count
        while start < end, ByteClass.isWhitespace(self[start]) { start += 1 }
        while end > start, ByteClass.isWhitespace(self[end - 1]) { end -= 1 }
        return UnsafeBufferPointer(rebasing: self[start..<end])
    }
}

extension Substring {
    /// Without the spaces and tabs (HTTP's optional whitespace) at either end.
    public func trimmingWhitespace() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}
