import MockLLMCore
import MockLLMProviders

/// `--api-key`: provider endpoints answer only requests carrying the key, as
/// `Authorization: Bearer KEY` (OpenAI's SDKs), `x-api-key: KEY` (Anthropic's), or
/// `x-goog-api-key: KEY` / `?key=KEY` (Google's). The server's own endpoints (`/health`,
/// introspection, `/_mockllm/`) and CORS preflights stay open, so health checks need no secret.
struct APIKeyCheck: Sendable {
    let key: Secret

    init(_ key: String) { self.key = Secret(key) }

    func allows(_ request: HTTPRequest) -> Bool {
        if let header = request.headers["authorization"], key.matchesBearer(header) { return true }
        if let header = request.headers["x-api-key"], key.matches(header) { return true }
        if let header = request.headers["x-goog-api-key"], key.matches(header) { return true }
        if let given = Gemini.queryKey(request), key.matches(given) { return true }
        return false
    }

    /// Whether the request carries a key at all (a wrong key and none are refused differently).
    static func presented(in request: HTTPRequest) -> Bool {
        request.headers.contains("authorization") || request.headers.contains("x-api-key") || request.headers.contains("x-goog-api-key")
            || Gemini.queryKey(request) != nil
    }

    /// The request target for logs: a `key` in the query (Google's way to pass the API key) masked.
    static func loggable(_ request: HTTPRequest) -> String {
        guard let query = request.query, query.contains("key=") else { return request.target }
        let masked = query.split(separator: "&", omittingEmptySubsequences: false).map { $0.hasPrefix("key=") ? "key=REDACTED" : String($0) }
        return request.path + "?" + masked.joined(separator: "&")
    }

    /// The refusal each provider sends for a missing or wrong key, in its own words.
    static func refusal(for provider: String, given: Bool) -> APIError {
        var error: APIError
        if provider == Gemini.metadata.name {
            error = GeminiErrors.keyRefusal(given: given)
        } else if provider == "anthropic" {
            error = APIError(status: 401, kind: .authentication, message: given ? "invalid x-api-key" : "x-api-key header is required")
        } else {
            let message = given
                ? "Incorrect API key provided. You can set the key mockllm expects with --api-key or MOCKLLM_API_KEY."
                : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            error = APIError(status: 401, kind: .authentication, message: message, code: given ? "invalid_api_key" : nil)
            error.typeOverride = "invalid_request_error"
        }
        return error
    }
}
