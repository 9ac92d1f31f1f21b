import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// OpenAI's Responses API, `POST /v1/responses` (JSON and server-sent events), and its stored
/// responses (`OpenAIResponses+Stored.swift`). Served by the `openai` provider.
///
/// The conversation (`instructions` as a system message, the turns of `previous_response_id`,
/// then `input`) is answered from the script through `ChatPlan`, like a chat completion: rules
/// (`endpoint: /v1/responses`), pacing, faults, quotas, tool calls (scripted and automatic) and
/// structured output (`text.format`). `max_output_tokens` cuts the reply and makes the response
/// `incomplete`. With `store` (the default) the response is kept for `GET /v1/responses/{id}`
/// and for later `previous_response_id`s.
enum OpenAIResponses {
    static let endpoints = [
        Endpoint(method: "POST", path: "/v1/responses", handlerName: "create_response", handler: create),
        Endpoint(method: "GET", path: "/v1/responses/{response_id}", handlerName: "retrieve_response", handler: retrieve),
        Endpoint(method: "DELETE", path: "/v1/responses/{response_id}", handlerName: "delete_response", handler: delete),
        Endpoint(method: "GET", path: "/v1/responses/{response_id}/input_items", handlerName: "list_input_items", handler: inputItems),
    ]

    /// `POST /v1/responses`: the request decoded and checked, with the turns of its
    /// `previous_response_id`; the script's plan for it; the response object, kept when stored,
    /// then sent as JSON or as its event stream.
    static func create(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        try create(http, &context, as: OpenAIChat.self)
    }

    /// A response behind `door`, which admits the model; stored where OpenAI's are.
    static func create<Door: OpenAIFrontDoor>(
        _ http: HTTPRequest, _ context: inout ProviderContext, as door: Door.Type
    ) throws(Refusal) -> Reply {
        let requestID = context.requestID
        var request = try Door.decodeBody(http, requestID: requestID, wording: OpenAIErrors.self, OpenAIResponsesRequest.init)
        let earlier = try previousTurns(request, context)
        let messages = request.conversation(after: earlier)
        let admission = try Door.admit(model: request.model, maxTokens: request.maxOutputTokens, for: .response,
                                       promptTokens: { messages.promptTokens }, context: &context)
        request.model = admission.model
        // A turn that only sends tool results back has no question of its own: it is still answered.
        guard let prompt = messages.lastUserText ?? (messages.lastToolResults == nil ? nil : "") else {
            throw Door.refusal(.invalidRequest(OpenAIChat.noUserMessage, param: "input"), requestID: requestID)
        }
        let ids = OpenAIResponseIDs(now: context.now, random: &context.random)  // drawn first: a seed fixes the id
        let input = MatchInput(
            prompt: prompt, model: request.model, messages: messages, hasTools: !request.tools.isEmpty, headers: http.headers,
            endpoint: http.path, provider: Door.metadata.name, tools: request.toolOffer,
            responseFormat: request.format.responseFormat)
        var plan = try Door.plan(for: input, maxTokens: request.maxOutputTokens, stopSequences: [], context: &context,
                                 contextLength: inputTooLong)
        let response = OpenAIResponseObject(plan, request, ids: ids, createdAt: context.now, random: &context.random)
        // The object is written once, for the store and for a non-stream reply (a stream's
        // `response.completed` carries the same object, written by the stream).
        let store = request.store ? context.responseStore.flatMap { $0.capacity > 0 ? $0 : nil } : nil
        var body = ByteBuffer()
        if store != nil || !request.stream {
            body = ByteBuffer(capacity: 1024 + plan.text.utf8.count * 2)
            response.write(into: &body)
        }
        if let store {
            save(response, body: body, request: request, earlier: earlier, ids: ids, random: &context.random, in: store)
        }
        context.usage = TokenUsage(prompt: plan.promptTokens, completion: plan.tokens)
        plan.carry(admission)
        let headers = plan.replyHeaders(stream: request.stream, requestIDHeader: OpenAIErrors.requestIDHeader, requestID: requestID)
        if request.stream {
            let stream = OpenAIResponsesStream(response: response, chunking: plan.pacing.chunking, schedule: plan.schedule)
            return plan.streamReply(stream, headers: headers,
                                    errorEvent: OpenAIResponsesStream.errorEvent, malformedEvent: OpenAIResponsesStream.malformedEvent)
        }
        return Reply(status: 200, headers: headers, body: .bytes(body, delay: plan.bodyDelay))
    }

    /// The conversation so far of the response `previous_response_id` names (none without one).
    private static func previousTurns(_ request: OpenAIResponsesRequest, _ context: ProviderContext) throws(Refusal) -> [OpenAIResponseItem] {
        guard let previous = request.previousResponseID else { return [] }
        guard let entry = context.responseStore?.entry(previous) else {
            throw OpenAIChat.refusal(.invalidRequest(
                "Previous response with id '\(previous)' not found.", param: "previous_response_id",
                code: "previous_response_not_found"), requestID: context.requestID)
        }
        return entry.conversation
    }

    /// Keeps the response for `GET`, `input_items` and later turns: its object as finished (a
    /// stream's `response.completed`), its input with ids, and the conversation so far.
    private static func save(_ response: OpenAIResponseObject, body: ByteBuffer, request: OpenAIResponsesRequest,
                             earlier: [OpenAIResponseItem], ids: OpenAIResponseIDs, random: inout SeededRandom,
                             in store: OpenAIResponseStore) {
        let input = request.input.map { item in
            item.identified { ids.next(item.isMessage ? "msg_" : "fc_", &random) }
        }
        let output = response.items.map { item -> OpenAIResponseItem in
            switch item {
            case .message(let id, let text): .message(id: id, role: "assistant", text: text)
            case .functionCall(let id, let callID, let name, let arguments): .functionCall(id: id, callID: callID, name: name, arguments: arguments)
            }
        }
        store.save(response.id, OpenAIResponseStore.Entry(body: body, input: input, conversation: earlier + input + output))
    }

    /// The Responses API's words for an input longer than the model's context window.
    private static func inputTooLong(tokens: Int, limit: Int) -> APIError {
        .invalidRequest(
            "Your input exceeds the context window of this model. Please adjust your input and try again.",
            param: "input", code: "context_length_exceeded")
    }

}

/// The ids of one response and its items, shaped as the real API's: a prefix (`resp_`, `msg_`,
/// `fc_`) and 50 hex digits, the first 18 shared by a response and its items, the next 8 the
/// creation time, the last 24 the item's own.
struct OpenAIResponseIDs {
    private let stem: String
    let response: String

    init(now: Int, random: inout SeededRandom) {
        let time = String(UInt32(truncatingIfNeeded: now), radix: 16)
        stem = random.hexString(prefix: "", digits: 18) + String(repeating: "0", count: 8 - time.count) + time
        response = "resp_" + stem + random.hexString(prefix: "", digits: 24)
    }

    func next(_ prefix: String, _ random: inout SeededRandom) -> String {
        prefix + stem + random.hexString(prefix: "", digits: 24)
    }
}

extension OpenAIResponseObject {
    /// The response a plan makes: a message with its text (also when it has neither text nor
    /// calls), then a function call item per tool call.
    init(_ plan: ChatPlan, _ request: OpenAIResponsesRequest, ids: OpenAIResponseIDs, createdAt: Int, random: inout SeededRandom) {
        var items: [Item] = []
        if !plan.text.isEmpty || plan.toolCalls.isEmpty { items.append(.message(id: ids.next("msg_", &random), text: plan.text)) }
        for call in plan.toolCalls {
            items.append(.functionCall(
                id: ids.next("fc_", &random), callID: call.id ?? random.alphanumericString(prefix: "call_", count: 24),
                name: call.name, arguments: call.arguments))
        }
        self.init(id: ids.response, createdAt: createdAt, items: items, incomplete: plan.finish == .maxTokens,
                  inputTokens: plan.promptTokens, outputTokens: plan.tokens, echo: Echo(request))
    }
}

extension OpenAIResponseItem {
    var isMessage: Bool {
        if case .message = self { return true }
        return false
    }
}
