import MockLLMCore
import MockLLMScript

/// Azure OpenAI: OpenAI's protocol behind Azure's front door. The deployment paths
/// (`/openai/deployments/{deployment}/chat/completions`, `/completions`, `/embeddings`) and the
/// Responses API at `/openai/responses` require `?api-version=`; the newer `/openai/v1/...` paths
/// take none (or `preview`, `latest`). Clients send their key as `api-key` or a bearer token
/// (Microsoft Entra ID). A request is served by OpenAI's handlers (`OpenAIFrontDoor`); this
/// provider decides which model a deployment serves (`deployments:`, else the model of the
/// deployment's name), counts a deployment's tokens-per-minute and requests-per-minute the way
/// Azure counts them, adds Azure's content-filter results, and words errors as Azure does.
package enum AzureOpenAI: Provider {
    package static let metadata = ProviderMetadata(
        name: "azure",
        version: "1.0.0",
        description: "Azure OpenAI provider (deployment and v1 paths)",
        endpoints: [
            deployment("chat/completions", "handle_chat_completion", handler: chatCompletion),
            deployment("completions", "handle_completion", handler: completion),
            deployment("embeddings", "create_embeddings", handler: embeddings),
            Endpoint(method: "POST", path: "/openai/responses", handlerName: "create_response", handler: versioned(.dated, createResponse)),
            v1("chat/completions", "handle_chat_completion", handler: chatCompletion),
            v1("completions", "handle_completion", handler: completion),
            v1("embeddings", "create_embeddings", handler: embeddings),
            v1("responses", "create_response", handler: createResponse),
            Endpoint(method: "GET", path: "/openai/v1/responses/{response_id}", handlerName: "retrieve_response",
                     handler: versioned(.v1, OpenAIResponses.retrieve)),
            Endpoint(method: "DELETE", path: "/openai/v1/responses/{response_id}", handlerName: "delete_response",
                     handler: versioned(.v1, OpenAIResponses.delete)),
        ],
        capabilities: Capabilities(streaming: true, functionCalling: true, vision: true),
        models: models)

    /// Azure's own names for models it hosts besides OpenAI's (`gpt-35-turbo`: Azure has no dot),
    /// and its embedding models; every OpenAI model is served too.
    static let models: [ModelInfo] = [
        ModelInfo(id: "gpt-35-turbo", aliases: ["gpt-35-turbo-0125"], displayName: "GPT-3.5 Turbo (Azure)",
                  contextWindow: 16_385, maxOutputTokens: 4_096, created: 1_706_140_800),
        ModelInfo(id: "gpt-35-turbo-instruct", displayName: "GPT-3.5 Turbo Instruct (Azure)",
                  contextWindow: 4_097, maxOutputTokens: 4_096, created: 1_695_081_600),
        ModelInfo(id: "text-embedding-ada-002", displayName: "Text Embedding Ada 002",
                  contextWindow: 8_191, maxOutputTokens: 1, created: 1_671_217_299),
        ModelInfo(id: "text-embedding-3-small", displayName: "Text Embedding 3 Small",
                  contextWindow: 8_191, maxOutputTokens: 1, created: 1_705_948_997),
        ModelInfo(id: "text-embedding-3-large", displayName: "Text Embedding 3 Large",
                  contextWindow: 8_191, maxOutputTokens: 1, created: 1_705_953_180),
    ]

    /// On `/openai/deployments/{deployment}/...` the deployment names the model: Azure takes a
    /// body without `model` there (the SDK sends one, which it ignores).
    static func impliedModel(_ context: ProviderContext) -> String? { context.pathParameters["deployment"] }

    // OpenAI's handlers, behind this door.
    static func chatCompletion(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        try OpenAIChat.chatCompletion(http, &context, as: AzureOpenAI.self)
    }

    static func completion(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        try OpenAICompletions.completion(http, &context, as: AzureOpenAI.self)
    }

    static func embeddings(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        try OpenAIChat.embeddings(http, &context, as: AzureOpenAI.self)
    }

    static func createResponse(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        try OpenAIResponses.create(http, &context, as: AzureOpenAI.self)
    }

    /// `POST /openai/deployments/{deployment}/<operation>?api-version=...`.
    private static func deployment(_ operation: String, _ name: String, handler: @escaping Endpoint.Handler) -> Endpoint {
        Endpoint(method: "POST", path: "/openai/deployments/{deployment}/" + operation, handlerName: name,
                 handler: versioned(.dated, handler))
    }

    /// `POST /openai/v1/<operation>`, the model (a deployment's name) in the body.
    private static func v1(_ operation: String, _ name: String, handler: @escaping Endpoint.Handler) -> Endpoint {
        Endpoint(method: "POST", path: "/openai/v1/" + operation, handlerName: name, handler: versioned(.v1, handler))
    }

    /// `handler` after the `api-version` check of `family`. The version it accepted is kept
    /// beside the path's parameters (`api-version`), for the words of a 429.
    private static func versioned(_ family: AzureAPIVersion.Family, _ handler: @escaping Endpoint.Handler) -> Endpoint.Handler {
        { (http, context) throws(Refusal) in
            let version = try AzureAPIVersion.check(http, family, requestID: context.requestID)
            context.pathParameters[AzureAPIVersion.parameter] = version
            return try handler(http, &context)
        }
    }

    package static func errorReply(_ error: APIError, requestID: String) -> Reply {
        AzureErrors.reply(error, requestID: requestID)
    }

    /// Azure's paths are all under `/openai/`: a request there is Azure's, and so is the shape
    /// of the error for one of them no endpoint serves.
    package static func claims(_ request: HTTPRequest) -> Bool {
        request.path.hasPrefix("/openai/")
    }

    /// `api-key: KEY` (the SDK's `api_key`), else `Authorization: Bearer TOKEN` (Entra ID).
    package static var apiKeySources: [APIKeySource] { [.header("api-key"), .bearer] }

    /// Azure's gateway 401s.
    package static func keyRefusal(given: Bool) -> APIError {
        AzureErrors.accessDenied(given: given)
    }

    /// Stored responses, shared with OpenAI's (`/openai/v1/responses/{id}`).
    package static var stateTypes: [any ProviderState.Type] { [OpenAIResponseStore.self] }

    /// Azure's `x-ratelimit-remaining-{requests,tokens}`.
    package static func appendRateLimitHeaders(_ standing: Quota.Standing, now: Int, to headers: inout HTTPFields) {
        AzureRateLimit.appendRemaining(standing, to: &headers)
    }

    /// Azure's 429 for the script's `quotas:`, worded as a deployment's.
    package static func quotaRefusal(_ standing: Quota.Standing, now: Int) -> APIError {
        AzureRateLimit.refusal(standing, operation: .chatCompletion, version: nil)
    }

    /// Azure answers a deployment over its capacity with its 429 and `retry-after`.
    package static func overloadRefusal(retryAfter: Int) -> APIError {
        AzureErrors.gateway(status: 429, code: "429",
                            message: "The server is currently overloaded with other requests. Please retry after \(retryAfter) seconds.",
                            headers: HTTPFields([HTTPFields.Field(name: "retry-after", value: String(retryAfter))]))
    }
}
