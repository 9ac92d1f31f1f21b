import MockLLMCore
import MockLLMScript

/// Google's Gemini API (the Developer API google-genai speaks with an API key), under `/v1beta/`
/// and `/v1/` (google-genai's `api_version`): `models/{model}:generateContent`,
/// `:streamGenerateContent` (`?alt=sse` events, else a streamed JSON array), `:countTokens`,
/// `:embedContent` and `:batchEmbedContents`, and the model listing `GET models` /
/// `GET models/{model}`. The listing paths under `/v1/` are OpenAI's and Anthropic's too: a
/// request with `x-goog-api-key` (or `?key=`) is Gemini's. The Live API's WebSocket is
/// `GeminiLive`'s.
package enum Gemini: Provider {
    package static let metadata = ProviderMetadata(
        name: "gemini",
        version: "1.0.0",
        description: "Google Gemini API provider",
        endpoints: ["v1beta", "v1"].flatMap { version in
            [
                Endpoint(method: "POST", path: "/\(version)/models/{model}:generateContent", handlerName: "generate_content",
                         handler: generateContent),
                Endpoint(method: "POST", path: "/\(version)/models/{model}:streamGenerateContent", handlerName: "stream_generate_content",
                         handler: streamGenerateContent),
                Endpoint(method: "POST", path: "/\(version)/models/{model}:countTokens", handlerName: "count_tokens", handler: countTokens),
                Endpoint(method: "POST", path: "/\(version)/models/{model}:embedContent", handlerName: "embed_content", handler: embedContent),
                Endpoint(method: "POST", path: "/\(version)/models/{model}:batchEmbedContents", handlerName: "batch_embed_contents",
                         handler: batchEmbedContents),
                Endpoint(method: "GET", path: "/\(version)/models", handlerName: "list_models", handler: listModels),
                Endpoint(method: "GET", path: "/\(version)/models/{model}", handlerName: "get_model", handler: getModel),
            ]
        } + GeminiLive.endpoints,
        capabilities: Capabilities(streaming: true, functionCalling: true, vision: true),
        models: defaultModels)

    /// google-genai always sends `x-goog-api-key`; REST examples put the key in `?key=`.
    package static var apiKeySources: [APIKeySource] { [.header("x-goog-api-key"), .query("key")] }

    /// A request sending its key Google's way is Gemini's.
    package static func claims(_ request: HTTPRequest) -> Bool {
        apiKeySources.contains { $0.key(in: request) != nil }
    }

    /// A wrong key is Google's 400 `API_KEY_INVALID`; none at all its 403.
    package static func keyRefusal(given: Bool) -> APIError {
        GeminiErrors.keyRefusal(given: given)
    }

    package static func errorReply(_ error: APIError, requestID: String) -> Reply {
        GeminiErrors.reply(error, requestID: requestID)
    }

    package static func contextLengthError(tokens: Int, limit: Int) -> APIError {
        .invalidRequest("The input token count (\(tokens)) exceeds the maximum number of tokens allowed (\(limit)).")
    }

    /// The Live API's resumable sessions.
    package static var stateTypes: [any ProviderState.Type] { [GeminiLiveSessionStore.self] }

    /// Google's API sends no rate-limit headers.
    package static func appendRateLimitHeaders(_ standing: Quota.Standing, now: Int, to headers: inout HTTPFields) {}

    package static func quotaRefusal(_ standing: Quota.Standing, now: Int) -> APIError {
        GeminiErrors.quotaRefusal(standing)
    }

    /// 503 `UNAVAILABLE` "The model is overloaded. Please try again later." (the Gemini API's
    /// troubleshooting page, "503 UNAVAILABLE: The service may be temporarily overloaded").
    package static func overloadRefusal(retryAfter: Int) -> APIError {
        APIError(status: 503, kind: .overloaded, message: "The model is overloaded. Please try again later.")
    }

    static func generateContent(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        try generate(http, &context, stream: false)
    }

    static func streamGenerateContent(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        try generate(http, &context, stream: true)
    }

    private static func generate(_ http: HTTPRequest, _ context: inout ProviderContext, stream: Bool) throws(Refusal) -> Reply {
        let model = context.pathParameters["model"] ?? ""
        let method = stream ? "streamGenerateContent" : "generateContent"
        return try generateReply(http, &context, model: model, stream: stream, createTime: nil) { (request, context) throws(Refusal) in
            try checkModel(model, maxTokens: request.maxOutputTokens, method: method, http: http, context: context)
        }
    }

    /// `v1beta` or `v1`, as the request's path says.
    static func apiVersion(_ http: HTTPRequest) -> String {
        http.path.hasPrefix("/v1beta/") || http.path == "/v1beta" ? "v1beta" : "v1"
    }

    /// Google's 404 for a model it does not serve, or that does not serve `method`.
    static func notFound(_ model: String, method: String, http: HTTPRequest) -> APIError {
        APIError(
            status: 404, kind: .notFound,
            message: "models/\(model) is not found for API version \(apiVersion(http)), or is not supported for \(method). "
                + "Call ListModels to see the list of available models and their supported methods.")
    }

    /// With `settings.strict_models`: Google's 404 for a model it does not serve, or its 400 for
    /// `maxOutputTokens` above the model's limit.
    static func checkModel(_ model: String, maxTokens: Int?, method: String, http: HTTPRequest, context: ProviderContext) throws(Refusal) {
        switch ModelCheck.check(model: model, maxTokens: maxTokens, provider: metadata.name, script: context.script) {
        case .accepted:
            return
        case .unknownModel:
            throw refusal(notFound(model, method: method, http: http), requestID: context.requestID)
        case .tooManyTokens(let limit):
            throw refusal(maxOutputTokensError(maxTokens ?? 0, limit: limit), requestID: context.requestID)
        }
    }

    /// Google's 400 for `maxOutputTokens` above the model's limit (the Developer API's and Vertex AI's words).
    static func maxOutputTokensError(_ maxTokens: Int, limit: Int) -> APIError {
        .invalidRequest(
            "Unable to submit request because it has a maxOutputTokens value of \(maxTokens) but the supported range is "
                + "from 1 (inclusive) to \(limit + 1) (exclusive). Update the value and try again.")
    }
}
