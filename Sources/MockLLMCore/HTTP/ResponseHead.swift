/// The head of an HTTP/1.x response, reduced to what a client needs: the status, how the body
/// is framed, whether the connection can carry another request, and whether mockllm answered.
public struct ResponseHead: Sendable, Equatable {
    public var status: Int
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int
    public var contentLength: Int?
    /// `transfer-encoding` ends in `chunked`.
    public var isChunked = false
    /// Any `transfer-encoding` at all (one not ending in `chunked` means: until close).
    public var hasTransferEncoding = false
    /// HTTP/1.1 without `connection: close`, or HTTP/1.0 with `connection: keep-alive`.
    public var keepAlive: Bool
    /// `x-mockllm-rule`: which rule of the script answered; only mockllm sends it.
    public var mockllmRule: String?

    public init(status: Int, minorVersion: Int = 1, contentLength: Int? = nil, isChunked: Bool = false,
                keepAlive: Bool = true, mockllmRule: String? = nil) {
        self.status = status
        self.minorVersion = minorVersion
        self.contentLength = contentLength
        self.isChunked = isChunked
        self.hasTransferEncoding = isChunked
        self.keepAlive = keepAlive
        self.mockllmRule = mockllmRule
    }

    /// Parses a complete head (status line, fields, blank line; CRLF or bare LF line ends).
    public init(parsing bytes: UnsafeBufferPointer<UInt8>) throws(ResponseReadError) {
        var lines = HeadLines(bytes: bytes)
        guard let statusLine = lines.next() else { throw ResponseReadError("empty response head") }
        // HTTP/1.x SP 3DIGIT [SP reason]
        let prefix: [UInt8] = Array("HTTP/1.".utf8)
        guard statusLine.count >= 12, statusLine[0..<7].elementsEqual(prefix),
              let minor = Self.digit(statusLine[7]), statusLine[8] == ByteClass.sp,
              let s0 = Self.digit(statusLine[9]), let s1 = Self.digit(statusLine[10]), let s2 = Self.digit(statusLine[11]),
              statusLine.count == 12 || statusLine[12] == ByteClass.sp
        else { throw ResponseReadError("malformed status line") }
        status = s0 * 100 + s1 * 10 + s2
        minorVersion = minor
        keepAlive = minor >= 1
        var connectionClose = false
        while let line = lines.next(), !line.isEmpty {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else {
                throw ResponseReadError("malformed header line")
            }
            let name = UnsafeBufferPointer(rebasing: line[0..<colon])
            var start = colon + 1, end = line.count
            while start < end, ByteClass.isWhitespace(line[start]) { start += 1 }
            while end > start, ByteClass.isWhitespace(line[end - 1]) { end -= 1 }
            let value = UnsafeBufferPointer(rebasing: line[start..<end])
            if ByteClass.equalsLowercase(name, "content-length") {
                guard let length = Self.decimal(value), contentLength == nil || contentLength == length else {
                    throw ResponseReadError("invalid content-length")
                }
                contentLength = length
            } else if ByteClass.equalsLowercase(name, "transfer-encoding") {
                hasTransferEncoding = true
                isChunked = Self.lowercased(value).split(separator: ",").last?.trimmingSpaces == "chunked"
            } else if ByteClass.equalsLowercase(name, "connection") {
                for token in Self.lowercased(value).split(separator: ",") {
                    if token.trimmingSpaces == "close" { connectionClose = true }
                    if token.trimmingSpaces == "keep-alive" { keepAlive = true }
                }
            } else if ByteClass.equalsLowercase(name, "x-mockllm-rule") {
                mockllmRule = String(decoding: value, as: UTF8.self)
            }
        }
        if connectionClose { keepAlive = false }
    }

    private static func digit(_ b: UInt8) -> Int? {
        b >= 0x30 && b <= 0x39 ? Int(b - 0x30) : nil
    }

    private static func decimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var n = 0
        for b in bytes {
            guard let d = digit(b) else { return nil }
            n = n * 10 + d
        }
        return n
    }

    private static func lowercased(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: bytes.map(ByteClass.lower), as: UTF8.self)
    }
}

/// The lines of a head, without their CR LF (or bare LF).
private struct HeadLines {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    mutating func next() -> UnsafeBufferPointer<UInt8>? {
        guard position < bytes.count else { return nil }
        var end = position
        while end < bytes.count, bytes[end] != ByteClass.lf { end += 1 }
        var lineEnd = end
        if lineEnd > position, bytes[lineEnd - 1] == ByteClass.cr { lineEnd -= 1 }
        defer { position = end + 1 }
        return UnsafeBufferPointer(rebasing: bytes[position..<lineEnd])
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return s
    }
}
