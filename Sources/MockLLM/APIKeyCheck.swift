import MockLLMCore
import MockLLMProviders

/// `--api-key`: provider endpoints answer only requests carrying the key, sent any way a served
/// provider's clients send one (`Provider.apiKeySources`: `Authorization: Bearer KEY`,
/// `x-api-key: KEY`, `x-goog-api-key: KEY` or `?key=KEY` for the built-in ones); a refusal is
/// worded by the addressed provider (`Provider.keyRefusal`). The server's own endpoints
/// (`/health`, introspection, `/_mockllm/`) and CORS preflights stay open, so health checks need
/// no secret.
struct APIKeyCheck: Sendable {
    let key: Secret

    init(_ key: String) { self.key = Secret(key) }

    func allows(_ request: HTTPRequest, sources: [APIKeySource]) -> Bool {
        sources.contains { source in
            switch source {
            case .bearer: request.headers["authorization"].map(key.matchesBearer) ?? false
            case .header, .query: source.key(in: request).map(key.matches) ?? false
            }
        }
    }

    /// Whether the request carries a key at all (a wrong key and none are refused differently).
    static func presented(in request: HTTPRequest, sources: [APIKeySource]) -> Bool {
        sources.contains { $0.key(in: request) != nil }
    }

    /// The request target for logs: a `key` in the query (Google's way to pass the API key) masked.
    static func loggable(_ request: HTTPRequest) -> String {
        guard let query = request.query, query.contains("key=") else { return request.target }
        let masked = query.split(separator: "&", omittingEmptySubsequences: false).map { $0.hasPrefix("key=") ? "key=REDACTED" : String($0) }
        return request.path + "?" + masked.joined(separator: "&")
    }
}
