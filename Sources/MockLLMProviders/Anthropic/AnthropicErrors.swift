import MockLLMCore
import MockLLMScript

/// Anthropic's error envelope and wording:
/// `{"type":"error","error":{"type":"invalid_request_error","message":"..."},"request_id":"req_..."}`
/// with the request id also in the `request-id` header.
enum AnthropicErrors: ProblemWording {
    static let requestIDHeader = "request-id"

    static func reply(_ error: APIError, requestID: String) -> Reply {
        var out = ByteBuffer(capacity: 160 + error.message.utf8.count)
        out.append(ascii: "{\"type\":\"error\",\"error\":{\"type\":")
        out.append(jsonString: error.typeOverride ?? typeName(for: error.kind))
        out.append(ascii: ",\"message\":")
        out.append(jsonString: error.statusOnly ? statusMessage(error.status) : error.message)
        out.append(ascii: "},\"request_id\":")
        out.append(jsonString: requestID)
        out.append(UInt8(ascii: "}"))
        return Reply.json(error.status, out, headers: error.headers).adding(header: requestIDHeader, requestID)
    }

    static func typeName(for kind: APIError.Kind) -> String {
        switch kind {
        case .invalidRequest, .methodNotAllowed: "invalid_request_error"
        case .authentication: "authentication_error"
        case .permission: "permission_error"
        case .notFound: "not_found_error"
        case .requestTooLarge: "request_too_large"
        case .rateLimit: "rate_limit_error"
        case .server: "api_error"
        case .overloaded: "overloaded_error"
        }
    }

    /// Anthropic's message for a status, for faults that give only the status.
    static func statusMessage(_ status: Int) -> String {
        switch status {
        case 401: "invalid x-api-key"
        case 403: "Your API key does not have permission to use the specified resource."
        case 404: "The requested resource could not be found."
        case 413: "Request exceeds the maximum allowed number of bytes."
        case 429: "Number of request tokens has exceeded your per-minute rate limit."
        case 500: "Internal server error"
        case 529, 503: "Overloaded"
        default: FaultsSection.defaultMessage(status)
        }
    }

    /// A field problem in the API's (pydantic-style) words: `messages.0.role: Field required`.
    static func error(for problem: FieldProblem) -> APIError {
        switch problem {
        case .missing(let path):
            .invalidRequest("\(dotted(path)): Field required")
        case .wrongType(let path, let expected, _):
            .invalidRequest("\(dotted(path)): Input should be a valid \(validName(expected))")
        case .invalidValue(_, let message, _):
            .invalidRequest(message)
        }
    }

    static func error(for problem: BodyProblem) -> APIError {
        switch problem {
        case .invalidJSON(let parseError):
            .invalidRequest("There was an issue with the formatting of your request: invalid JSON (\(parseError)).")
        case .notAnObject:
            .invalidRequest("Input should be a valid dictionary")
        }
    }

    /// `messages[0].content` is `messages.0.content` in Anthropic's messages.
    static func dotted(_ path: String) -> String {
        String(path.compactMap { $0 == "]" ? nil : $0 == "[" ? "." : $0 })
    }

    private static func validName(_ expected: String) -> String {
        switch expected {
        case "a string": "string"
        case "an integer": "integer"
        case "a number": "number"
        case "a boolean": "boolean"
        case "an array": "list"
        case "an object": "dictionary"
        default: expected
        }
    }
}

extension AnthropicErrors {
    /// `anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}`, the reset as an RFC 3339 time.
    static func appendRateLimitHeaders(_ standing: Quota.Standing, now: Int, to headers: inout HTTPFields) {
        let reset = RFC3339.format(unixSeconds: now + RateLimitHeaders.secondsToReset(standing))
        for (kind, limit, remaining) in RateLimitHeaders.counts(standing) {
            headers.append(name: "anthropic-ratelimit-\(kind)-limit", value: String(limit))
            headers.append(name: "anthropic-ratelimit-\(kind)-remaining", value: String(remaining))
            headers.append(name: "anthropic-ratelimit-\(kind)-reset", value: reset)
        }
    }

    /// Anthropic's 429 for a request over its quota, with its headers and `retry-after`.
    static func quotaRefusal(_ standing: Quota.Standing, now: Int) -> APIError {
        let message = RateLimitHeaders.exhaustedRequests(standing)
            ? "This request would exceed the rate limit for your organization of \(standing.requestLimit!) requests per minute. Please try again later."
            : "This request would exceed the rate limit for your organization of \(standing.tokenLimit ?? 0) input tokens per minute. Please try again later."
        var error = APIError(status: 429, kind: .rateLimit, message: message)
        appendRateLimitHeaders(standing, now: now, to: &error.headers)
        RateLimitHeaders.appendRetryAfter(standing, to: &error.headers)
        return error
    }

    /// The Messages stream's `event: error` (Anthropic's SDKs raise it with its type).
    static func streamErrorEvent(_ fault: StreamFault) -> ByteBuffer {
        var out = ByteBuffer()
        guard case .error(let type, let message)? = fault.cut else { return out }
        out.append(ascii: "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":")
        out.append(jsonString: type ?? "api_error")
        out.append(ascii: ",\"message\":")
        out.append(jsonString: message)
        out.append(ascii: "}}\n\n")
        return out
    }

    /// A content delta cut off inside its JSON.
    static let malformedEvent: ByteBuffer = {
        var out = ByteBuffer()
        out.append(ascii: "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"unterminated\n\n")
        return out
    }()
}
