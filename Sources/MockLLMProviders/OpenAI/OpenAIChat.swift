import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// OpenAI Chat Completions, `POST /v1/chat/completions` (JSON and server-sent events), and
/// OpenAI's model listing, `GET /v1/models` and `GET /v1/models/{model}`. The provider also
/// serves OpenAI's other endpoints: embeddings, legacy completions and the Responses API.
package enum OpenAIChat: Provider {
    package static let metadata = ProviderMetadata(
        name: "openai",
        version: "1.0.0",
        description: "OpenAI Chat Completions API provider",
        endpoints: [
            Endpoint(method: "POST", path: "/v1/chat/completions", handlerName: "handle_chat_completion", handler: chatCompletion),
            Endpoint(method: "GET", path: "/v1/models", handlerName: "list_models", handler: listModels),
            Endpoint(method: "GET", path: "/v1/models/{model}", handlerName: "retrieve_model", handler: retrieveModel),
            Endpoint(method: "POST", path: "/v1/embeddings", handlerName: "create_embeddings", handler: embeddings),
            Endpoint(method: "POST", path: "/v1/completions", handlerName: "handle_completion", handler: OpenAICompletions.completion),
        ] + OpenAIResponses.endpoints,
        capabilities: Capabilities(streaming: true, functionCalling: true, vision: true),
        models: defaultModels)

    package static func errorReply(_ error: APIError, requestID: String) -> Reply {
        OpenAIErrors.reply(error, requestID: requestID)
    }

    /// The Responses API's stored responses.
    package static var stateTypes: [any ProviderState.Type] { [OpenAIResponseStore.self] }

    /// With `settings.strict_models`: refuses an unknown model or `max_tokens` above the model's
    /// limit, in OpenAI's words (chat and legacy completions; the Responses API names its
    /// `max_output_tokens` "output tokens").
    static func checkModel(model: String, maxTokens: Int?, field: String = "max_tokens", tokens: String = "completion",
                           context: ProviderContext) throws(Refusal) {
        switch ModelCheck.check(model: model, maxTokens: maxTokens, provider: metadata.name, script: context.script) {
        case .accepted:
            return
        case .unknownModel:
            throw refusal(OpenAIErrors.modelNotFound(model), requestID: context.requestID)
        case .tooManyTokens(let limit):
            let n = maxTokens ?? 0
            throw refusal(.invalidRequest(
                "\(field) is too large: \(n). This model supports at most \(limit) \(tokens) tokens, whereas you provided \(n).",
                param: field, code: "invalid_value"), requestID: context.requestID)
        }
    }

    /// The original's message for a conversation without a user message.
    static let noUserMessage = "No user message found in request"

    static func chatCompletion(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        let requestID = context.requestID
        let request = try decodeBody(http, requestID: requestID, wording: OpenAIErrors.self, OpenAIChatRequest.init)
        try checkModel(model: request.model, maxTokens: request.maxTokens, context: context)
        guard let prompt = request.messages.lastUserText else {
            return errorReply(.invalidRequest(noUserMessage, param: "messages"), requestID: requestID)
        }
        let uuid = context.random.nextUUID()  // drawn first: a seed fixes the id whatever the pacing draws
        let input = MatchInput(
            prompt: prompt, model: request.model, messages: request.messages, hasTools: request.hasTools,
            headers: http.headers, endpoint: http.path, provider: metadata.name, tools: request.toolOffer,
            responseFormat: request.responseFormat)
        let plan = try self.plan(for: input, maxTokens: request.maxTokens, stopSequences: request.stop, context: &context)
        var calls = plan.toolCalls
        var completionTokens = plan.tokens
        if request.legacyFunctions && calls.count > 1 {
            // The legacy shape carries one call: the others are not sent, nor counted.
            for dropped in calls.dropFirst() {
                completionTokens -= TokenEstimator.count(dropped.name) + TokenEstimator.count(dropped.arguments)
            }
            calls = Array(calls.prefix(1))
        }
        for i in calls.indices where calls[i].id == nil {
            calls[i].id = context.random.alphanumericString(prefix: "call_", count: 24)
        }
        let finishReason = switch plan.finish {
        case .maxTokens: "length"
        // A call forced by name ends with "stop", as the real API ends it.
        case .toolUse: request.legacyFunctions ? "function_call" : (request.toolOffer?.choice.isNamed == true ? "stop" : "tool_calls")
        default: "stop"
        }
        let usage = OpenAIUsage(promptTokens: plan.promptTokens, completionTokens: completionTokens)
        context.usage = TokenUsage(prompt: usage.promptTokens, completion: usage.completionTokens)
        let headers = plan.replyHeaders(stream: request.stream, requestIDHeader: OpenAIErrors.requestIDHeader, requestID: requestID)
        if request.stream {
            var id = ByteBuffer(capacity: 41)
            id.append(ascii: "mock-")
            uuid.append(to: &id)
            let stream = OpenAIChatStream(
                id: id, created: context.now, model: request.model, text: plan.text, calls: calls,
                legacyFunctions: request.legacyFunctions, chunking: plan.pacing.chunking,
                finishReason: finishReason, usage: usage, includeUsage: request.includeUsage, schedule: plan.schedule)
            return plan.streamReply(stream, headers: headers,
                                    errorEvent: OpenAIErrors.streamErrorEvent, malformedEvent: OpenAIErrors.malformedEvent)
        }
        var out = ByteBuffer(capacity: 320 + request.model.utf8.count + plan.text.utf8.count * 2)
        out.append(ascii: "{\"id\":\"mock-")
        uuid.append(to: &out)
        out.append(ascii: "\",\"object\":\"chat.completion\",\"created\":")
        out.append(decimal: context.now)
        out.append(ascii: ",\"model\":")
        out.append(jsonString: request.model)
        out.append(ascii: ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":")
        if calls.isEmpty {
            out.append(jsonString: plan.text)
        } else {
            out.append(jsonStringOrNull: plan.text.isEmpty ? nil : plan.text)
            OpenAIToolCalls.write(calls, legacy: request.legacyFunctions, into: &out)
            out.append(ascii: ",\"refusal\":null")
        }
        out.append(ascii: "},\"finish_reason\":")
        out.append(jsonString: finishReason)
        out.append(ascii: "}],\"usage\":")
        usage.write(into: &out)
        out.append(UInt8(ascii: "}"))
        return Reply(status: 200, headers: headers, body: .bytes(out, delay: plan.bodyDelay))
    }
}
