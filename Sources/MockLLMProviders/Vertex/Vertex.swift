import MockLLMCore
import MockLLMScript

/// Gemini on Google Cloud's Vertex AI, as google-genai speaks it with `vertexai=True`:
/// `POST /{v1,v1beta1}/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent`,
/// `:streamGenerateContent` (`?alt=sse` events, what google-genai asks for; without it one JSON
/// array streamed element by element) and `:countTokens`, and the same under
/// `/{v1,v1beta1}/publishers/google/models/...` (express mode, with an API key).
///
/// The request and the reply are Gemini's messages (`generateReply`, `GeminiStream`) in Vertex
/// AI's dialect: `createTime`, `trafficType`, the usage in a stream's last chunk only. Any
/// project and location are served; the models are Gemini's (`gemini-2.0-flash-001` is an
/// alias). Refusals are Google's envelope in Vertex AI's words (`VertexErrors`). The Live API's
/// WebSocket under Vertex AI's path is `GeminiLive`'s.
package enum Vertex: Provider {
    package static let metadata = ProviderMetadata(
        name: "vertex",
        version: "1.0.0",
        description: "Google Vertex AI provider (Gemini models)",
        endpoints: ["v1", "v1beta1"].flatMap { version in
            ["/\(version)/projects/{project}/locations/{location}", "/\(version)"].flatMap { parent in
                [
                    Endpoint(method: "POST", path: "\(parent)/publishers/google/models/{model}:generateContent",
                             handlerName: "generate_content", handler: generateContent),
                    Endpoint(method: "POST", path: "\(parent)/publishers/google/models/{model}:streamGenerateContent",
                             handlerName: "stream_generate_content", handler: streamGenerateContent),
                    Endpoint(method: "POST", path: "\(parent)/publishers/google/models/{model}:countTokens",
                             handlerName: "count_tokens", handler: countTokens),
                ]
            }
        } + GeminiLive.vertexEndpoints,
        capabilities: Capabilities(streaming: true, functionCalling: true, vision: true),
        servesModelsOf: Gemini.metadata.name)

    /// The Live API's resumable sessions (shared with the Gemini API's: one store per server).
    package static var stateTypes: [any ProviderState.Type] { [GeminiLiveSessionStore.self] }

    /// An OAuth access token as `Authorization: Bearer` (google-genai with credentials); in
    /// express mode an API key as `x-goog-api-key` (google-genai) or `?key=` (REST examples).
    package static var apiKeySources: [APIKeySource] { [.bearer, .header("x-goog-api-key"), .query("key")] }

    package static func keyRefusal(given: Bool) -> APIError {
        VertexErrors.keyRefusal(given: given)
    }

    package static func errorReply(_ error: APIError, requestID: String) -> Reply {
        VertexErrors.reply(error, requestID: requestID)
    }

    package static func contextLengthError(tokens: Int, limit: Int) -> APIError {
        Gemini.contextLengthError(tokens: tokens, limit: limit)
    }

    /// Vertex AI sends no rate-limit headers.
    package static func appendRateLimitHeaders(_ standing: Quota.Standing, now: Int, to headers: inout HTTPFields) {}

    package static func quotaRefusal(_ standing: Quota.Standing, now: Int) -> APIError {
        VertexErrors.quotaRefusal(standing)
    }

    /// Gemini's 503 `UNAVAILABLE`, "The model is overloaded. Please try again later.".
    package static func overloadRefusal(retryAfter: Int) -> APIError {
        Gemini.overloadRefusal(retryAfter: retryAfter)
    }

    static func generateContent(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        try generate(http, &context, stream: false)
    }

    static func streamGenerateContent(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        try generate(http, &context, stream: true)
    }

    private static func generate(_ http: HTTPRequest, _ context: inout ProviderContext, stream: Bool) throws(Refusal) -> Reply {
        let path = VertexPath(http, parameters: context.pathParameters)
        let createTime = VertexPath.createTime(now: context.now, random: &context.random)
        return try generateReply(http, &context, model: path.model, stream: stream, createTime: createTime) {
            (request, context) throws(Refusal) in
            try checkModel(path, maxTokens: request.maxOutputTokens, context: context)
        }
    }

    /// `countTokens`: `{"totalTokens": N,"totalBillableCharacters": C,"promptTokensDetails": [...]}`,
    /// the characters those of the prompt's text without whitespace (how Vertex AI bills Gemini).
    static func countTokens(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        let requestID = context.requestID
        let path = VertexPath(http, parameters: context.pathParameters)
        let messages = try countGeminiTokens(http, requestID: requestID) { () throws(Refusal) in
            try checkModel(path, maxTokens: nil, context: context)
        }
        var characters = 0
        for message in messages {
            characters += message.text.unicodeScalars.count { !$0.properties.isWhitespace }
        }
        return Gemini.countTokensReply(messages, requestID: requestID, billableCharacters: characters)
    }

    /// With `settings.strict_models`: Vertex AI's 404 for a model that is not Gemini's (or the
    /// script's for `vertex`), or
    /// Google's 400 for `maxOutputTokens` above the model's limit.
    static func checkModel(_ path: VertexPath, maxTokens: Int?, context: ProviderContext) throws(Refusal) {
        let error = path.strictModelsError(maxTokens: maxTokens, provider: metadata, script: context.script) { limit in
            Gemini.maxOutputTokensError(maxTokens ?? 0, limit: limit)
        }
        if let error { throw refusal(error, requestID: context.requestID) }
    }
}
