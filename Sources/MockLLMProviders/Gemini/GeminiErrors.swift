import MockLLMCore
import MockLLMScript

/// Google's error envelope and wording for the Gemini API:
/// `{"error": {"code": 400,"message": "...","status": "INVALID_ARGUMENT"}}`, with `details` where
/// the real API sends them (an `ErrorInfo` with the error's `code` as its reason, a `RetryInfo`
/// on a 429 with `retry-after`). google-genai raises `ClientError` / `ServerError` from it.
package enum GeminiErrors: ProblemWording {
    /// Google sends no request id; the mock's own, for matching a reply to the journal and logs.
    static let requestIDHeader = "x-mockllm-request-id"

    /// - Parameter service: the API answering, named in an `ErrorInfo` (Vertex AI's is
    ///   `aiplatform.googleapis.com`), whose words a status-only fault gets.
    static func reply(_ error: APIError, requestID: String, service: GoogleService = .generativeLanguage) -> Reply {
        let status = statusName(for: error)
        let message = error.statusOnly ? service.defaultMessage(error.status) : error.message
        var out = ByteBuffer(capacity: 160 + message.utf8.count)
        write(code: error.status, message: message, status: status, into: &out) { out in
            writeDetails(error, message: message, service: service, into: &out)
        }
        return Reply.json(error.status, out, headers: error.headers).adding(header: requestIDHeader, requestID)
    }

    /// `{"error": {"code": N,"message": "...","status": "..."` and the details, then `}}`.
    static func write(code: Int, message: String, status: String, into out: inout ByteBuffer,
                      details: (inout ByteBuffer) -> Void = { _ in }) {
        out.append(ascii: "{\"error\": {\"code\": ")
        out.append(decimal: code)
        out.append(ascii: ",\"message\": ")
        out.append(jsonString: message)
        out.append(ascii: ",\"status\": ")
        out.append(jsonString: status)
        details(&out)
        out.append(ascii: "}}")
    }

    /// `ErrorInfo` (and for a bad key Google's `LocalizedMessage`) when the error has a code;
    /// `RetryInfo` when a 429 says when to retry.
    private static func writeDetails(_ error: APIError, message: String, service: GoogleService, into out: inout ByteBuffer) {
        let retry = error.status == 429 ? error.headers["retry-after"] : nil
        guard error.code != nil || retry != nil else { return }
        out.append(ascii: ",\"details\": [")
        if let reason = error.code {
            out.append(ascii: "{\"@type\": \"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\": ")
            out.append(jsonString: reason)
            out.append(ascii: ",\"domain\": \"googleapis.com\",\"metadata\": {\"service\": ")
            out.append(jsonString: service.rawValue)
            out.append(ascii: "}}")
            if reason == keyInvalidReason {
                out.append(ascii: ",{\"@type\": \"type.googleapis.com/google.rpc.LocalizedMessage\",\"locale\": \"en-US\",\"message\": ")
                out.append(jsonString: message)
                out.append(UInt8(ascii: "}"))
            }
        }
        if let retry {
            if error.code != nil { out.append(UInt8(ascii: ",")) }
            out.append(ascii: "{\"@type\": \"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\": ")
            out.append(jsonString: retry + "s")
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
    }

    /// The canonical status: a scripted `type` written as one (`UNAVAILABLE`), else the HTTP
    /// status's (Google's mapping of gRPC codes to HTTP).
    static func statusName(for error: APIError) -> String {
        if let type = error.typeOverride, isStatusName(type) { return type }
        return statusName(forHTTP: error.status)
    }

    static func statusName(forHTTP status: Int) -> String {
        switch status {
        case 400, 413: "INVALID_ARGUMENT"
        case 401: "UNAUTHENTICATED"
        case 403: "PERMISSION_DENIED"
        case 404: "NOT_FOUND"
        case 409: "ABORTED"
        case 412: "FAILED_PRECONDITION"
        case 429: "RESOURCE_EXHAUSTED"
        case 499: "CANCELLED"
        case 501: "NOT_IMPLEMENTED"
        case 502, 503, 529: "UNAVAILABLE"
        case 408, 504: "DEADLINE_EXCEEDED"
        case 500...: "INTERNAL"
        default: "INVALID_ARGUMENT"
        }
    }

    /// `RESOURCE_EXHAUSTED`-like: capitals and underscores only.
    static func isStatusName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || $0 == UInt8(ascii: "_") }
    }

    /// The Google API a reply comes from: its name in `ErrorInfo` and its words for a status.
    enum GoogleService: String {
        case generativeLanguage = "generativelanguage.googleapis.com"
        case aiPlatform = "aiplatform.googleapis.com"

        /// What the API says with a status, for faults that give only the status: Vertex AI's
        /// own words for a 429 and a 500 (its "error code 429" page), the front end's otherwise.
        func defaultMessage(_ status: Int) -> String {
            switch (self, status) {
            case (.aiPlatform, 429): VertexErrors.quotaMessage
            case (.aiPlatform, 500): "Internal error encountered."
            default: GeminiErrors.defaultMessage(status)
            }
        }
    }

    /// What Google's front end says with a status, for faults that give only the status.
    static func defaultMessage(_ status: Int) -> String {
        switch status {
        case 400: "Request contains an invalid argument."
        case 401: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
        case 403: "The caller does not have permission"
        case 404: "Requested entity was not found."
        case 429: quotaMessage
        case 500: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
        case 502, 503, 529: "The model is overloaded. Please try again later."
        case 408, 504: "Deadline expired before operation could complete."
        default: FaultsSection.defaultMessage(status)
        }
    }

    static let quotaMessage = "You exceeded your current quota, please check your plan and billing details. "
        + "For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."

    /// The `ErrorInfo` reason of a bad API key.
    static let keyInvalidReason = "API_KEY_INVALID"

    /// `--api-key`: a wrong key is a 400 `API_KEY_INVALID`; none at all a 403.
    static func keyRefusal(given: Bool) -> APIError {
        given
            ? APIError(status: 400, kind: .authentication, message: "API key not valid. Please pass a valid API key.", code: keyInvalidReason)
            : APIError(status: 403, kind: .permission, message: "Method doesn't allow unregistered callers (callers without established identity). "
                + "Please use API Key or other form of API consumer identity to call this API.")
    }

    /// The 429 of a request over its `quotas:` limit (Google's words; `retry-after` becomes
    /// the `RetryInfo`).
    static func quotaRefusal(_ standing: Quota.Standing) -> APIError {
        var error = APIError(status: 429, kind: .rateLimit, message: quotaMessage)
        RateLimitHeaders.appendRetryAfter(standing, to: &error.headers)
        return error
    }
}

extension GeminiErrors {
    /// A field problem in the API's words. Paths are the proto's (`generation_config.max_output_tokens`):
    /// Google's JSON parser takes both the camelCase JSON names and the snake_case field names.
    static func error(for problem: FieldProblem) -> APIError { error(for: problem, request: "GenerateContentRequest") }

    static func error(for problem: FieldProblem, request: String) -> APIError {
        switch problem {
        case .missing(let path):
            let field = protoPath(path)
            let last = field.split(separator: ".").last ?? Substring(field)
            let name = last.split(separator: "[").first.map(String.init) ?? field
            return .invalidRequest("* \(request).\(field): \(name) is not specified\n", param: field)
        case .wrongType(let path, let expected, let found):
            return .invalidRequest("Invalid value at '\(protoPath(path))' (\(protoType(expected))), \(found)", param: protoPath(path))
        case .invalidValue(let path, let message, _):
            return .invalidRequest(message, param: protoPath(path))
        }
    }

    static func error(for problem: BodyProblem) -> APIError {
        switch problem {
        case .invalidJSON(let parseError):
            .invalidRequest("Invalid JSON payload received. \(parseError.reason.prefix(1).uppercased())\(parseError.reason.dropFirst()) "
                + "at line \(parseError.line), column \(parseError.column).")
        case .notAnObject:
            .invalidRequest("Invalid JSON payload received. Root element must be a message.")
        }
    }

    /// `generationConfig.maxOutputTokens` → `generation_config.max_output_tokens`.
    static func protoPath(_ path: String) -> String {
        var out = ""
        out.reserveCapacity(path.utf8.count + 8)
        for c in path {
            if c.isUppercase, c.isASCII {
                out.append("_")
                out.append(contentsOf: c.lowercased())
            } else {
                out.append(c)
            }
        }
        return out
    }

    private static func protoType(_ expected: String) -> String {
        switch expected {
        case "a string": "TYPE_STRING"
        case "an integer": "TYPE_INT32"
        case "a number": "TYPE_FLOAT"
        case "a boolean": "TYPE_BOOL"
        default: "TYPE_MESSAGE"
        }
    }

    /// `countTokens` words its problems after its own request message.
    enum CountTokens: ProblemWording {
        static func error(for problem: FieldProblem) -> APIError { GeminiErrors.error(for: problem, request: "CountTokensRequest") }
        static func error(for problem: BodyProblem) -> APIError { GeminiErrors.error(for: problem) }
    }
}
