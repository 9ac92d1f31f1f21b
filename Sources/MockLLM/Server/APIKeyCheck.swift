/// `--api-key`: provider endpoints answer only requests carrying the key, as
/// `Authorization: Bearer KEY` (OpenAI's SDKs) or `x-api-key: KEY` (Anthropic's). The server's
/// own endpoints (`/health`, introspection, `/_mockllm/`) and CORS preflights stay open, so
/// health checks need no secret.
struct APIKeyCheck: Sendable {
    let key: [UInt8]

    init(_ key: String) { self.key = Array(key.utf8) }

    func allows(_ request: HTTPRequest) -> Bool {
        if let header = request.headers["authorization"] {
            let bytes = Array(header.utf8)
            if bytes.count > 7, Self.equalFolded(bytes[0..<7], "bearer "), matches(bytes[7...]) { return true }
        }
        if let header = request.headers["x-api-key"], matches(Array(header.utf8)[...]) { return true }
        return false
    }

    /// Compares in time independent of where the bytes differ.
    private func matches(_ given: ArraySlice<UInt8>) -> Bool {
        guard given.count == key.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(given, key) { difference |= a ^ b }
        return difference == 0
    }

    private static func equalFolded(_ bytes: ArraySlice<UInt8>, _ ascii: String) -> Bool {
        zip(bytes, ascii.utf8).allSatisfy { a, b in (a | 0x20) == b || a == b }
    }

    /// The 401 each provider sends for a missing or wrong key, in its own words.
    static func refusal(for provider: String, given: Bool) -> APIError {
        var error: APIError
        if provider == "anthropic" {
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
