import MockLLMCore

/// An error a client sees, independent of wire shape. Each provider renders it in its own
/// envelope (OpenAI `{"error":{...}}`, Anthropic `{"type":"error",...}`) with its own type names.
package struct APIError: Error, Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        case invalidRequest
        case authentication
        case permission
        case notFound
        case methodNotAllowed
        case requestTooLarge
        case rateLimit
        case server
        case overloaded
    }

    package var status: Int
    package var kind: Kind
    package var message: String
    /// The request field at fault (`messages[0].content`), where there is one.
    package var param: String?
    /// A machine-readable code (`missing_required_parameter`, `invalid_type`, ...).
    package var code: String?
    /// Extra response headers (`allow` for 405, `retry-after` for 429).
    package var headers: HTTPFields
    /// The provider's error type to use instead of the one for `kind` (scripted errors).
    package var typeOverride: String?
    /// A fault gave only the status (`RuleError.statusOnly`): `message` is the generic wording,
    /// which a provider's `errorReply` may replace with its API's own words for the status.
    package var statusOnly = false

    package init(
        status: Int, kind: Kind, message: String, param: String? = nil, code: String? = nil,
        headers: HTTPFields = HTTPFields()
    ) {
        self.status = status
        self.kind = kind
        self.message = message
        self.param = param
        self.code = code
        self.headers = headers
    }

    package static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: 400, kind: .invalidRequest, message: message, param: param, code: code)
    }

    /// The error for an HTTP-level refusal by the request parser.
    package init(_ parseError: HTTPParseError) {
        let kind: Kind = switch parseError.status {
        case 413: .requestTooLarge
        case 503: .overloaded
        case 500...: .server
        default: .invalidRequest
        }
        let what = switch parseError.status {
        case 413: "Request too large"
        case 408: "Request timeout"
        case 503: "Server busy"
        case 431: "Request header fields too large"
        case 505: "HTTP version not supported"
        default: "Malformed HTTP request"
        }
        self.init(status: parseError.status, kind: kind, message: "\(what): \(parseError.reason).")
    }
}
