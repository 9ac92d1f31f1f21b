import MockLLMCore

/// One way a client sends its API key: OpenAI's SDKs as `Authorization: Bearer KEY`, Anthropic's
/// as `x-api-key`, Google's as `x-goog-api-key` or `?key=`. A provider lists its clients' ways
/// (`Provider.apiKeySources`); `--api-key` accepts the key sent any way a served provider lists,
/// and quotas and fault schedules counted per key tell clients apart by it.
package enum APIKeySource: Sendable, Equatable {
    /// `Authorization: Bearer KEY`.
    case bearer
    /// A header of its own, named in lower case.
    case header(String)
    /// A query parameter.
    case query(String)

    /// The key the request sends this way, if it does (of an `Authorization` with another
    /// scheme, the whole value).
    package func key(in request: HTTPRequest) -> String? {
        switch self {
        case .bearer:
            guard let value = request.headers["authorization"] else { return nil }
            return value.hasPrefix("Bearer ") ? String(value.dropFirst(7)) : value
        case .header(let name):
            return request.headers[name]
        case .query(let name):
            guard let query = request.query else { return nil }
            return QueryParameters(query)[name]
        }
    }

    /// Every way the providers' clients send a key, each once, in table order.
    package static func all(of providers: [ServedProvider]) -> [APIKeySource] {
        var sources: [APIKeySource] = []
        for provider in providers {
            for source in provider.apiKeySources where !sources.contains(source) { sources.append(source) }
        }
        return sources
    }
}

extension [APIKeySource] {
    /// The key the request sends by the first of these ways it uses; "" when it sends none.
    package func clientKey(in request: HTTPRequest) -> String {
        for source in self {
            if let key = source.key(in: request) { return key }
        }
        return ""
    }
}
