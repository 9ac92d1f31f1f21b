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

/// One complete, validated request: head and de-chunked body.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The request-target exactly as sent.
    public var target: String
    /// The path of the target (absolute-form targets are reduced to their path), without the query.
    public var path: String
    /// The query string without the `?`, if there was one.
    public var query: String?
    public var version: HTTPVersion
    /// Header fields with lower-cased names.
    public var headers: HTTPFields
    public var body: [UInt8]
    /// Whether the connection may carry another request after this one's response.
    public var keepAlive: Bool

    public init(
        method: String, target: String, version: HTTPVersion = .http11,
        headers: HTTPFields = HTTPFields(), body: [UInt8] = [], keepAlive: Bool = true
    ) {
        self.method = method
        self.target = target
        let (path, query) = HTTPRequest.split(target: target)
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
        self.keepAlive = keepAlive
    }

    /// Splits an origin-form or absolute-form target into path and query.
    static func split(target: String) -> (path: String, query: String?) {
        var rest = Substring(target)
        if !rest.hasPrefix("/"), let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") {
            rest = rest[rest.index(colon, offsetBy: 3)...]
            guard let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return ("/", nil) }
            if rest[end] == "?" { return ("/", String(rest[rest.index(after: end)...])) }
            rest = rest[end...]
        }
        if let q = rest.firstIndex(of: "?") {
            return (String(rest[..<q]), String(rest[rest.index(after: q)...]))
        }
        return (String(rest), nil)
    }
}
