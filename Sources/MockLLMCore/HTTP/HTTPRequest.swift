/// The HTTP version of a request: this server speaks 1.0 and 1.1.
public enum HTTPVersion: Sendable, Equatable {
    case http10
    case http11

    public var text: StaticString {
        switch self {
        case .http10: "HTTP/1.0"
        case .http11: "HTTP/1.1"
        }
    }
}

/// A request head, parsed, waiting for its body.
struct RequestHead: Sendable {
    var method: String
    var target: String
    var path: String
    var query: String?
    var version: HTTPVersion
    var headers: RequestHeaders
    var keepAlive: Bool
    /// An `x-mockllm-test` field or a path under `/t/` (`HTTPRequest.mayNameTestScope`).
    var mayNameTestScope: Bool
}

/// One complete, validated request: head and de-chunked body. Immutable, and a class: it is
/// handed from parser to connection to application to provider, and a struct of six
/// reference-counted fields cost six retains and releases per copy.
public final class HTTPRequest: Sendable {
    public let method: String
    /// The request-target exactly as sent.
    public let target: String
    /// The path of the target (absolute-form targets are reduced to their path), without the query.
    public let path: String
    /// The query string without the `?`, if there was one.
    public let query: String?
    public let version: HTTPVersion
    /// Header fields, looked up by lower-case name.
    public let headers: RequestHeaders
    public let body: [UInt8]
    /// Whether the connection may carry another request after this one's response.
    public let keepAlive: Bool
    /// Whether the request may name one of mockllm's test scopes: it has an `x-mockllm-test`
    /// field or its path starts with `/t/`. The parser works it out from bytes it reads anyway,
    /// so that a request without a scope costs its server one load.
    public let mayNameTestScope: Bool

    public convenience init(
        method: String, target: String, version: HTTPVersion = .http11,
        headers: HTTPFields = HTTPFields(), body: [UInt8] = [], keepAlive: Bool = true
    ) {
        var target = target
        let (path, query) = target.withUTF8 { Self.split(target: $0) }
        self.init(method: method, target: target, path: path, query: query, version: version,
                  headers: RequestHeaders(headers), body: body, keepAlive: keepAlive)
    }

    /// A parsed head with its body.
    convenience init(_ head: RequestHead, body: [UInt8]) {
        self.init(method: head.method, target: head.target, path: head.path, query: head.query, version: head.version,
                  headers: head.headers, body: body, keepAlive: head.keepAlive, mayNameTestScope: head.mayNameTestScope)
    }

    init(
        method: String, target: String, path: String, query: String?, version: HTTPVersion,
        headers: RequestHeaders, body: [UInt8], keepAlive: Bool, mayNameTestScope: Bool? = nil
    ) {
        self.mayNameTestScope = mayNameTestScope ?? (headers.namesTestScope || Self.isScopePath(path))
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
        self.keepAlive = keepAlive
    }

    /// The same request at another path, with the same query (a test scope's `/t/ID` prefix
    /// taken off its path).
    public func with(path: String) -> HTTPRequest {
        HTTPRequest(method: method, target: query.map { path + "?" + $0 } ?? path, path: path, query: query, version: version,
                    headers: headers, body: body, keepAlive: keepAlive)
    }

    /// The same request with one more header field.
    public func adding(header name: String, _ value: String) -> HTTPRequest {
        HTTPRequest(method: method, target: target, path: path, query: query, version: version,
                    headers: headers.adding(name: name, value: value), body: body, keepAlive: keepAlive)
    }

    /// Whether `path` starts with `/t/` (a test scope's prefix).
    public static func isScopePath(_ path: String) -> Bool {
        let utf8 = path.utf8
        guard utf8.count > 2 else { return false }
        var i = utf8.startIndex
        guard utf8[i] == UInt8(ascii: "/") else { return false }
        i = utf8.index(after: i)
        guard utf8[i] == UInt8(ascii: "t") else { return false }
        return utf8[utf8.index(after: i)] == UInt8(ascii: "/")
    }

    /// Splits an origin-form or absolute-form target into path and query (an absolute-form
    /// target's path starts after its authority; an empty one is `/`).
    static func split(target t: UnsafeBufferPointer<UInt8>) -> (path: String, query: String?) {
        if t.count == 1, t[0] == UInt8(ascii: "*") { return ("*", nil) }  // OPTIONS *
        var start = 0
        if t.first != UInt8(ascii: "/") {
            // scheme "://" authority: skip to the first "/" or "?" after the authority.
            var k = 0
            while k + 2 < t.count, !(t[k] == UInt8(ascii: ":") && t[k + 1] == UInt8(ascii: "/") && t[k + 2] == UInt8(ascii: "/")) { k += 1 }
            start = k + 3 <= t.count ? k + 3 : t.count
            while start < t.count, t[start] != UInt8(ascii: "/"), t[start] != UInt8(ascii: "?") { start += 1 }
        }
        var q = start
        while q < t.count, t[q] != UInt8(ascii: "?") { q += 1 }
        let path = q > start ? String(decoding: UnsafeBufferPointer(rebasing: t[start..<q]), as: UTF8.self) : "/"
        let query = q < t.count ? String(decoding: UnsafeBufferPointer(rebasing: t[(q + 1)...]), as: UTF8.self) : nil
        return (path, query)
    }
}
