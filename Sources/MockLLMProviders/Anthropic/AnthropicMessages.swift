import MockLLMCore
import MockLLMScript

/// Anthropic Messages, `POST /v1/messages` (JSON and the real event stream), and Anthropic's
/// model listing, `GET /v1/models` and `GET /v1/models/{model}`, for requests carrying
/// `anthropic-version` (which Anthropic's SDKs always send).
package enum AnthropicMessages: Provider {
    package static let metadata = ProviderMetadata(
        name: "anthropic",
        version: "1.0.0",
        description: "Anthropic Messages API provider",
        endpoints: [
            Endpoint(method: "POST", path: "/v1/messages", handlerName: "handle_chat_completion", handler: messages),
            Endpoint(method: "POST", path: "/v1/messages/count_tokens", handlerName: "count_tokens", handler: countTokens),
            Endpoint(method: "GET", path: "/v1/models", handlerName: "list_models", handler: listModels),
            Endpoint(method: "GET", path: "/v1/models/{model}", handlerName: "retrieve_model", handler: retrieveModel),
        ],
        capabilities: Capabilities(streaming: true, functionCalling: true, vision: true),
        models: defaultModels)

    package static func claims(_ request: HTTPRequest) -> Bool {
        request.headers.contains("anthropic-version")
    }

    package static func errorReply(_ error: APIError, requestID: String) -> Reply {
        AnthropicErrors.reply(error, requestID: requestID)
    }

    package static var apiKeySources: [APIKeySource] { [.header("x-api-key")] }

    package static func keyRefusal(given: Bool) -> APIError {
        APIError(status: 401, kind: .authentication, message: given ? "invalid x-api-key" : "x-api-key header is required")
    }

    package static func contextLengthError(tokens: Int, limit: Int) -> APIError {
        .invalidRequest("prompt is too long: \(tokens) tokens > \(limit) maximum")
    }

    package static func appendRateLimitHeaders(_ standing: Quota.Standing, now: Int, to headers: inout HTTPFields) {
        AnthropicErrors.appendRateLimitHeaders(standing, now: now, to: &headers)
    }

    package static func quotaRefusal(_ standing: Quota.Standing, now: Int) -> APIError {
        AnthropicErrors.quotaRefusal(standing, now: now)
    }

    /// 529 `overloaded_error` "Overloaded" (Anthropic's errors page: "529 - overloaded_error:
    /// The API is temporarily overloaded"); the SDKs retry it.
    package static func overloadRefusal(retryAfter: Int) -> APIError {
        APIError(status: 529, kind: .overloaded, message: "Overloaded")
    }

    /// `POST /v1/messages`: the request decoded and checked, the script's plan for it, then the
    /// message as one JSON object or as the event stream.
    static func messages(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        let requestID = context.requestID
        let request = try decodeBody(http, requestID: requestID, wording: AnthropicErrors.self) { (fields) throws(FieldProblem) in
            try AnthropicRequest(fields)
        }
        try checkModel(request, context: context)
        return try messageReply(to: request, http, &context)
    }

    /// With `settings.strict_models`: Anthropic's 404 for a model it does not serve, or its 400
    /// for `max_tokens` above the model's limit.
    static func checkModel(_ request: AnthropicRequest, context: ProviderContext) throws(Refusal) {
        switch ModelCheck.check(model: request.model, maxTokens: request.maxTokens, provider: metadata.name, script: context.script) {
        case .accepted:
            return
        case .unknownModel:
            throw refusal(APIError(status: 404, kind: .notFound, message: "model: \(request.model)"), requestID: context.requestID)
        case .tooManyTokens(let limit):
            throw refusal(maxTokensError(request, limit: limit), requestID: context.requestID)
        }
    }

    /// Anthropic's 400 for `max_tokens` above the model's limit (also on Vertex AI, where the model answers it).
    static func maxTokensError(_ request: AnthropicRequest, limit: Int) -> APIError {
        .invalidRequest("max_tokens: \(request.maxTokens) > \(limit), which is the maximum allowed number of output tokens for \(request.model)")
    }

    /// `stop_reason` and `stop_sequence` for how the reply ends.
    static func stop(_ finish: ChatPlan.Finish) -> (reason: String, sequence: String?) {
        switch finish {
        case .endTurn: ("end_turn", nil)
        case .maxTokens: ("max_tokens", nil)
        case .stopSequence(let s): ("stop_sequence", s)
        case .toolUse: ("tool_use", nil)
        }
    }

    /// `POST /v1/messages/count_tokens`: `{"input_tokens":N}` for the same body `messages.create`
    /// would take (without `max_tokens`), counted as a reply's `input_tokens` would be.
    static func countTokens(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        let requestID = context.requestID
        let request: AnthropicRequest = try decodeBody(http, requestID: requestID, wording: AnthropicErrors.self) { (fields) throws(FieldProblem) in
            try AnthropicRequest(fields, requireMaxTokens: false)
        }
        return countTokensReply(request, requestID: requestID)
    }

    /// `{"input_tokens":N}`.
    static func countTokensReply(_ request: AnthropicRequest, requestID: String) -> Reply {
        var out = ByteBuffer(capacity: 32)
        out.append(ascii: "{\"input_tokens\":")
        out.append(decimal: request.conversation.promptTokens)
        out.append(UInt8(ascii: "}"))
        return Reply.json(200, out).adding(header: AnthropicErrors.requestIDHeader, requestID)
    }

    /// `{"id":..,"type":"message","role":"assistant","model":..,"content":[{"type":"text","text":..}],`
    /// `"stop_reason":..,"stop_sequence":..,"usage":{..}}`; with no content, the empty message of
    /// `message_start`.
    static func writeMessage(
        id: ByteBuffer, model: String, content: [AnthropicBlock], stopReason: String?, stopSequence: String?,
        usage: AnthropicUsage, into out: inout ByteBuffer
    ) {
        out.append(ascii: "{\"id\":\"")
        out.append(id)
        out.append(ascii: "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":")
        out.append(jsonString: model)
        out.append(ascii: ",\"content\":[")
        for (i, block) in content.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            block.write(into: &out)
        }
        out.append(UInt8(ascii: "]"))
        out.append(ascii: ",\"stop_reason\":")
        out.append(jsonStringOrNull: stopReason)
        out.append(ascii: ",\"stop_sequence\":")
        out.append(jsonStringOrNull: stopSequence)
        out.append(ascii: ",\"usage\":")
        usage.write(into: &out)
        out.append(UInt8(ascii: "}"))
    }

}

extension AnthropicRequest {
    /// The messages with `system` as a first system message, as the script's rules see them.
    var conversation: [ChatMessage] {
        guard let system else { return messages }
        return [ChatMessage(role: "system", text: system)] + messages
    }

    /// The request as the script's rules see it, sent to `provider` (Vertex AI's, Bedrock's for its `InvokeModel`).
    func matchInput(prompt: String, _ http: HTTPRequest, provider: String) -> MatchInput {
        MatchInput(
            prompt: prompt, model: model, messages: conversation, hasTools: hasTools, headers: http.headers, endpoint: http.path,
            provider: provider, tools: toolOffer, responseFormat: responseFormat)
    }
}
