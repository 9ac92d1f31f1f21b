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
        ] + OpenAIResponses.endpoints + OpenAIRealtime.endpoints,
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
            throw refusal(OpenAIErrors.tooManyTokens(maxTokens ?? 0, limit: limit, field: field, tokens: tokens), requestID: context.requestID)
        }
    }

    /// The original's message for a conversation without a user message.
    static let noUserMessage = "No user message found in request"

    /// `POST /v1/chat/completions`.
    static func chatCompletion(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        try chatCompletion(http, &context, as: OpenAIChat.self)
    }

    /// A chat completion behind `door`: the request decoded, admitted by the door, the script's
    /// plan for it, then the completion as one JSON object or as a stream of chunks.
    static func chatCompletion<Door: OpenAIFrontDoor>(
        _ http: HTTPRequest, _ context: inout ProviderContext, as door: Door.Type
    ) throws(Refusal) -> Reply {
        let implied = Door.impliedModel(context)
        var request = try Door.decodeBody(http, requestID: context.requestID, wording: OpenAIErrors.self) {
            (body) throws(FieldProblem) in try OpenAIChatRequest(body, impliedModel: implied)
        }
        let messages = request.messages
        let admission = try Door.admit(model: request.model, maxTokens: request.maxTokens, for: .chatCompletion,
                                       promptTokens: { messages.promptTokens }, context: &context)
        request.model = admission.model
        guard let prompt = request.messages.lastUserText else {
            throw Door.refusal(.invalidRequest(noUserMessage, param: "messages"), requestID: context.requestID)
        }
        let uuid = context.random.nextUUID()  // drawn first: a seed fixes the id whatever the pacing draws
        context.priority = request.priority
        var plan = try Door.plan(for: request.matchInput(prompt: prompt, http, provider: Door.metadata.name), maxTokens: request.maxTokens,
                                 stopSequences: request.stop, context: &context, exactTokens: request.exactTokens)
        plan.carry(admission)
        let completion = OpenAIChatCompletion(plan, request, random: &context.random)
        context.usage = TokenUsage(prompt: completion.usage.promptTokens, completion: completion.usage.completionTokens)
        let headers = plan.replyHeaders(stream: request.stream, requestIDHeader: OpenAIErrors.requestIDHeader, requestID: context.requestID)
        if request.stream {
            let filter = plan.contentFilterCut.map { OpenAIContentFilterCut(after: $0.after, choice: Door.filteredChoice(category: $0.category)) }
            let events = completion.stream(id: uuid, created: context.now, plan, request, annotations: Door.annotations, contentFilter: filter)
            return plan.streamReply(events, headers: headers, errorEvent: OpenAIErrors.streamErrorEvent, malformedEvent: OpenAIErrors.malformedEvent,
                                    filtersContent: true)
        }
        let body = completion.json(id: uuid, created: context.now, plan, request, annotations: Door.annotations)
        return Reply(status: 200, headers: headers, body: .bytes(body, delay: plan.bodyDelay))
    }
}

extension OpenAIChatRequest {
    /// The request as the script's rules see it.
    func matchInput(prompt: String, _ http: HTTPRequest, provider: String = OpenAIChat.metadata.name) -> MatchInput {
        MatchInput(
            prompt: prompt, model: model, messages: messages, hasTools: hasTools, headers: http.headers, endpoint: http.path,
            provider: provider, tools: toolOffer, responseFormat: responseFormat)
    }
}
