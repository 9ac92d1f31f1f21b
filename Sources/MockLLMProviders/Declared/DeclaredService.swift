import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// Serves a provider the script declares (`providers:`): its endpoints read the request's prompt,
/// model, stream flag and `max_tokens` by JSON path, plan the reply like every chat endpoint
/// (rules, `responses:`, pacing, faults, quotas, context windows), and write it from the
/// script's templates. Where the declaration says nothing, OpenAI's behaviour is the default:
/// its error envelope, its key presentation (`Authorization: Bearer`, or `x-api-key`), its
/// rate-limit headers and wording.
///
/// The reply is text: a rule's tool calls are not rendered (a declared protocol has no shape
/// for them); their text blocks are.
package enum DeclaredService {
    /// The provider as the router and the server glue hold it.
    package static func served(_ provider: DeclaredProvider) -> ServedProvider {
        let endpoints = provider.endpoints.map { endpoint in
            Endpoint(method: endpoint.method, path: endpoint.path, handlerName: "declared") { (http, context) throws(Refusal) in
                try answer(http, &context, endpoint: endpoint, provider: provider)
            }
        }
        let metadata = ProviderMetadata(
            name: provider.name, version: provider.version, description: provider.description, endpoints: endpoints,
            capabilities: Capabilities(streaming: provider.endpoints.contains { $0.streamChunk != nil }, functionCalling: false,
                                       vision: false))
        return ServedProvider(
            metadata: metadata, apiKeySources: [.bearer, .header("x-api-key")], stateTypes: [],
            claims: { _ in false },
            errorReply: { error, requestID in errorReply(error, requestID: requestID, provider: provider) },
            keyRefusal: { given in
                APIError(status: 401, kind: .authentication,
                         message: given ? "Incorrect API key provided." : "No API key provided: send it as 'Authorization: Bearer KEY'.",
                         code: given ? "invalid_api_key" : nil)
            })
    }

    /// `error` in the provider's error body (its `error:` template, else OpenAI's envelope).
    package static func errorReply(_ error: APIError, requestID: String, provider: DeclaredProvider) -> Reply {
        var out = ByteBuffer()
        provider.error.render(into: &out) { name in
            switch name {
            case "status": .number(error.status)
            case "message": .string(error.message)
            case "type": .string(error.typeOverride ?? OpenAIErrors.typeName(for: error.kind))
            case "code": error.code.map { .string($0) } ?? .null
            case "param": error.param.map { .string($0) } ?? .null
            default: .null
            }
        }
        return Reply.json(error.status, out, headers: error.headers).adding(header: provider.requestIDHeader, requestID)
    }

    static func answer(_ http: HTTPRequest, _ context: inout ProviderContext, endpoint: DeclaredEndpoint,
                       provider: DeclaredProvider) throws(Refusal) -> Reply {
        let requestID = context.requestID
        let refuse = { (error: APIError) in Refusal(errorReply(error, requestID: requestID, provider: provider)) }
        let fields: RequestFields
        do {
            fields = try RequestFields.parseBody(http.body.isEmpty && http.method == "GET" ? Array("{}".utf8) : http.body)
        } catch {
            throw refuse(OpenAIErrors.error(for: error))
        }
        let request = try withExtendedLifetime(fields) { () throws(Refusal) in
            try DeclaredRequest(fields.node, endpoint: endpoint, refuse: refuse)
        }
        let input = MatchInput(prompt: request.prompt, model: request.model, messages: request.messages, headers: http.headers,
                               endpoint: endpoint.path, provider: provider.name)
        var plan: ChatPlan
        do {
            plan = try ChatPlan.make(for: input, maxTokens: request.maxTokens, stopSequences: [], context: &context)
        } catch {
            throw refuse(error.apiError(quotaRefusal: RateLimitHeaders.refusal,
                                        contextLength: { OpenAIChat.contextLengthError(tokens: $0, limit: $1) }))
        }
        if let quota = plan.quota { RateLimitHeaders.append(quota, to: &plan.rateLimitHeaders) }
        context.usage = TokenUsage(prompt: plan.promptTokens, completion: plan.tokens)
        var id = ByteBuffer(capacity: 41)
        id.append(ascii: "mock-")
        context.random.nextUUID().append(to: &id)
        let values = DeclaredValues(plan: plan, model: request.model, prompt: request.prompt, id: id.description, created: context.now)
        if request.stream, let chunk = endpoint.streamChunk {
            var headers = plan.replyHeaders(contentType: endpoint.streamContentType, cacheControl: "no-cache",
                                            requestIDHeader: provider.requestIDHeader, requestID: context.requestID)
            for field in plan.rateLimitHeaders { headers.append(name: field.name, value: field.value) }
            let stream = FramedTextStream(
                text: values.text, chunking: plan.pacing.chunking, schedule: plan.schedule,
                start: frame(endpoint.streamStart, values), event: { (piece: Substring, index: Int, out: inout ByteBuffer) in
                    chunk.render(into: &out) { name in
                        switch name {
                        case "chunk": .string(String(piece))
                        case "index": .number(index)
                        default: values[name]
                        }
                    }
                },
                end: frame(endpoint.streamEnd, values))
            let sse = endpoint.streamContentType.hasPrefix("text/event-stream")
            return plan.streamReply(
                stream, headers: headers,
                errorEvent: { fault in streamError(fault, sse: sse, provider: provider, requestID: requestID) },
                malformedEvent: malformed(chunk, values: values))
        }
        var headers = plan.replyHeaders(contentType: endpoint.contentType, requestIDHeader: provider.requestIDHeader,
                                        requestID: context.requestID)
        for field in plan.rateLimitHeaders { headers.append(name: field.name, value: field.value) }
        var out = ByteBuffer(capacity: 128 + plan.text.utf8.count * 2)
        endpoint.reply.render(into: &out) { values[$0] }
        return Reply(status: 200, headers: headers, body: .bytes(out, delay: plan.bodyDelay))
    }

    /// A stream's opening or closing event, written from `template`.
    static func frame(_ template: BodyTemplate?, _ values: DeclaredValues) -> FramedTextStream.Frame? {
        guard let template else { return nil }
        return { (out: inout ByteBuffer) in template.render(into: &out) { values[$0] } }
    }

    /// A mid-stream error event: the error body, framed as a server-sent event when the stream is one.
    static func streamError(_ fault: StreamFault, sse: Bool, provider: DeclaredProvider, requestID: String) -> ByteBuffer {
        guard case .error(let type, let message)? = fault.cut else { return ByteBuffer() }
        var error = APIError(status: 500, kind: .server, message: message)
        error.typeOverride = type
        var out = ByteBuffer()
        if sse { out.append(ascii: "data: ") }
        out.append(errorReply(error, requestID: requestID, provider: provider).bodyBytes)
        out.append(ascii: sse ? "\n\n" : "\n")
        return out
    }

    /// A stream event cut off in its middle: the first half of a chunk.
    static func malformed(_ chunk: BodyTemplate, values: DeclaredValues) -> ByteBuffer {
        var whole = ByteBuffer()
        chunk.render(into: &whole) { name in name == "chunk" ? .string("unterminated") : name == "index" ? .number(0) : values[name] }
        var out = ByteBuffer()
        whole.withUnsafeReadableBytes { out.append(bytes: UnsafeRawBufferPointer(rebasing: $0.prefix(max(1, $0.count / 2)))) }
        return out
    }
}

/// What a declared endpoint reads from a request body.
struct DeclaredRequest {
    var prompt: String
    var messages: [ChatMessage]
    var model: String
    var stream: Bool
    var maxTokens: Int?

    /// The prompt is a string, a list of strings (the last), or a list of messages with `role`
    /// and `content` (the last user message's; the others are the conversation rules see).
    init(_ body: JSONNode, endpoint: DeclaredEndpoint, refuse: (APIError) -> Refusal) throws(Refusal) {
        let where_ = endpoint.prompt.description
        guard let node = endpoint.prompt.value(in: body) else {
            throw refuse(.invalidRequest("Missing required parameter: '\(where_)'.", param: where_, code: "missing_required_parameter"))
        }
        if let text = node.string {
            prompt = text
            messages = [ChatMessage(role: "user", text: text)]
        } else if node.isArray {
            var messages: [ChatMessage] = []
            var problem = false
            node.forEachElement { _, element in
                if let text = element.string {
                    messages.append(ChatMessage(role: "user", text: text))
                } else if let content = element["content"], let text = content.string {
                    messages.append(ChatMessage(role: element["role"]?.string ?? "user", text: text))
                } else {
                    problem = true
                }
            }
            guard !problem, let last = messages.lastUserText else {
                throw refuse(.invalidRequest(
                    "Invalid '\(where_)': expected a string, a list of strings or a list of messages with 'role' and 'content' (a string), and a user message.",
                    param: where_, code: "invalid_value"))
            }
            prompt = last
            self.messages = messages
        } else {
            throw refuse(.invalidRequest("Invalid type for '\(where_)': expected a string or an array, but got \(node.kindDescription) instead.",
                                         param: where_, code: "invalid_type"))
        }
        model = ""
        if let path = endpoint.model, let node = path.value(in: body), !node.isNull {
            guard let text = node.string else {
                throw refuse(.invalidRequest("Invalid type for '\(path)': expected a string, but got \(node.kindDescription) instead.",
                                             param: path.description, code: "invalid_type"))
            }
            model = text
        }
        stream = false
        if let path = endpoint.stream, let node = path.value(in: body), !node.isNull {
            guard let flag = node.bool else {
                throw refuse(.invalidRequest("Invalid type for '\(path)': expected a boolean, but got \(node.kindDescription) instead.",
                                             param: path.description, code: "invalid_type"))
            }
            stream = flag
        }
        if let path = endpoint.maxTokens, let node = path.value(in: body), !node.isNull {
            guard let n = node.integer, n >= 1 else {
                throw refuse(.invalidRequest("Invalid '\(path)': expected an integer of 1 or more.", param: path.description,
                                             code: "invalid_value"))
            }
            maxTokens = n
        }
    }
}

/// The values a declared provider's templates use, for one reply.
struct DeclaredValues: Sendable {
    let plan: ChatPlan
    let model: String
    let prompt: String
    let id: String
    let created: Int

    /// The reply's text (a rule's tool calls have no shape here; their text blocks are kept).
    var text: String { plan.blocks.isEmpty ? plan.text : plan.blocks.compactMap { if case .text(let t) = $0 { t } else { nil } }.joined() }

    subscript(name: String) -> BodyTemplate.Value {
        switch name {
        case "text": .string(text)
        case "model": .string(model)
        case "prompt": .string(prompt)
        case "id": .string(id)
        case "created": .number(created)
        case "prompt_tokens": .number(plan.promptTokens)
        case "completion_tokens": .number(plan.tokens)
        case "total_tokens": .number(plan.promptTokens + plan.tokens)
        case "finish_reason": .string(plan.finish == .maxTokens ? "length" : "stop")
        default: .null
        }
    }
}
