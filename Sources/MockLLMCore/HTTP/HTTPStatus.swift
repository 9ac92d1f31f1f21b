/// Reason phrases for the status codes this server sends.
public enum HTTPStatus {
    public static func reason(_ code: Int) -> String {
        switch code {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        case 529: "Site Overloaded"
        default: "Status \(code)"
        }
    }
}

/// A request the parser refused: the status to answer with and a human-readable reason.
/// The connection is always closed after the answer.
public struct HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var status: Int
    public var reason: String
    /// The request-target, when the request line was read before the error: it lets the error
    /// take the shape of the protocol the client was speaking.
    public var target: String?

    public init(_ status: Int, _ reason: String, target: String? = nil) {
        self.status = status
        self.reason = reason
        self.target = target
    }

    public var description: String { "\(status) \(reason)" }
}
