import MockLLMCore

/// A provider as the server holds it: what the router, the `--api-key` check, the introspection
/// endpoints and the per-server state need of it, as one value. Made from a `Provider` type;
/// a provider described by data rather than by a type would make one with the memberwise
/// initialiser.
package final class ServedProvider: Sendable {
    package let metadata: ProviderMetadata
    package let apiKeySources: [APIKeySource]
    package let stateTypes: [any ProviderState.Type]
    private let claim: @Sendable (HTTPRequest) -> Bool
    private let renderError: @Sendable (APIError, String) -> Reply
    private let refuseKey: @Sendable (Bool) -> APIError
    private let refuseOverload: @Sendable (Int) -> APIError
    private let tooLong: @Sendable (Int, Int) -> APIError

    package init(
        metadata: ProviderMetadata, apiKeySources: [APIKeySource], stateTypes: [any ProviderState.Type],
        claims: @escaping @Sendable (HTTPRequest) -> Bool,
        errorReply: @escaping @Sendable (APIError, _ requestID: String) -> Reply,
        keyRefusal: @escaping @Sendable (_ given: Bool) -> APIError,
        overloadRefusal: @escaping @Sendable (_ retryAfter: Int) -> APIError = { OpenAIChat.overloadRefusal(retryAfter: $0) },
        contextLengthError: @escaping @Sendable (_ tokens: Int, _ limit: Int) -> APIError = {
            OpenAIChat.contextLengthError(tokens: $0, limit: $1)
        }
    ) {
        refuseOverload = overloadRefusal
        tooLong = contextLengthError
        self.metadata = metadata
        self.apiKeySources = apiKeySources
        self.stateTypes = stateTypes
        claim = claims
        renderError = errorReply
        refuseKey = keyRefusal
    }

    /// The provider `type` describes.
    package convenience init(_ type: any Provider.Type) {
        self.init(
            metadata: type.metadata, apiKeySources: type.apiKeySources, stateTypes: type.stateTypes,
            claims: { type.claims($0) }, errorReply: { type.errorReply($0, requestID: $1) },
            keyRefusal: { type.keyRefusal(given: $0) }, overloadRefusal: { type.overloadRefusal(retryAfter: $0) },
            contextLengthError: { type.contextLengthError(tokens: $0, limit: $1) })
    }

    package var name: String { metadata.name }

    /// `Provider.claims(_:)`.
    package func claims(_ request: HTTPRequest) -> Bool { claim(request) }

    /// `Provider.errorReply(_:requestID:)`.
    package func errorReply(_ error: APIError, requestID: String) -> Reply { renderError(error, requestID) }

    /// `Provider.keyRefusal(given:)`.
    package func keyRefusal(given: Bool) -> APIError { refuseKey(given) }

    /// `Provider.overloadRefusal(retryAfter:)`.
    package func overloadRefusal(retryAfter: Int) -> APIError { refuseOverload(retryAfter) }

    /// `Provider.contextLengthError(tokens:limit:)`.
    package func contextLengthError(tokens: Int, limit: Int) -> APIError { tooLong(tokens, limit) }
}

/// The providers of the table, as the server serves them.
package let servedProviders: [ServedProvider] = providerTable.map(ServedProvider.init)
