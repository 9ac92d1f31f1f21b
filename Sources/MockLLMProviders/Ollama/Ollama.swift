import MockLLMCore
import MockLLMScript

/// Ollama's native API: `POST /api/chat` and `POST /api/generate` (NDJSON streams by default,
/// JSON with `"stream": false`), and the model endpoints (`/api/tags`, `/api/show`, `/api/ps`,
/// `/api/version`, `/`) and embeddings (`/api/embed`, the legacy `/api/embeddings`). Errors are
/// `{"error":"..."}`.
package enum Ollama: Provider {
    package static let metadata = ProviderMetadata(
        name: "ollama",
        version: "1.0.0",
        description: "Ollama native API provider",
        endpoints: [
            Endpoint(method: "POST", path: "/api/chat", handlerName: "handle_chat", handler: chat),
            Endpoint(method: "POST", path: "/api/generate", handlerName: "handle_generate", handler: generate),
            Endpoint(method: "POST", path: "/api/embed", handlerName: "embed", handler: embed),
            Endpoint(method: "POST", path: "/api/embeddings", handlerName: "embeddings", handler: embeddings),
            Endpoint(method: "GET", path: "/api/tags", handlerName: "list_models", handler: tags),
            Endpoint(method: "POST", path: "/api/show", handlerName: "show_model", handler: show),
            Endpoint(method: "GET", path: "/api/ps", handlerName: "running_models", handler: ps),
            Endpoint(method: "GET", path: "/api/version", handlerName: "version", handler: version),
            Endpoint(method: "GET", path: "/", handlerName: "root", handler: root),
        ],
        capabilities: Capabilities(streaming: true, functionCalling: true, vision: true),
        models: defaultModels)

    package static func errorReply(_ error: APIError, requestID: String) -> Reply {
        OllamaErrors.reply(error, requestID: requestID)
    }

    /// Ollama's clients name themselves (`ollama-python/0.6.3`, `ollama-js/...`, the Go client
    /// `ollama/0.x`): their requests to paths no provider serves get Ollama's error shape.
    package static func claims(_ request: HTTPRequest) -> Bool {
        request.headers["user-agent"]?.hasPrefix("ollama") ?? false
    }

    package static func contextLengthError(tokens: Int, limit: Int) -> APIError {
        OllamaErrors.bad(
            "the prompt is longer than the context length currently available to the model; shorten the prompt, "
                + "adjust the context length in settings, or use a model with a longer context length")
    }

    /// 503 with Ollama's `ErrMaxQueue` (server/sched.go, two spaces included), what it answers
    /// when more than `OLLAMA_MAX_QUEUE` requests wait.
    package static func overloadRefusal(retryAfter: Int) -> APIError {
        APIError(status: 503, kind: .overloaded, message: "server busy, please try again.  maximum pending requests exceeded")
    }

    static func chat(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        let requestID = context.requestID
        guard !http.body.isEmpty else { return errorReply(OllamaErrors.bad("missing request body"), requestID: requestID) }
        let request = try decodeBody(http, requestID: requestID, wording: OllamaErrors.self, OllamaChatRequest.init)
        guard !request.model.isEmpty else { return errorReply(OllamaErrors.bad("model is required"), requestID: requestID) }
        try checkModel(request.model, tools: !request.tools.isEmpty, think: request.think, endpoint: "chat", context: context)
        if request.messages.isEmpty {
            return loadReply(model: request.model, unload: request.unload, kind: .chat, context: context)
        }
        let input = MatchInput(
            prompt: request.messages.lastUserText ?? "", model: request.model, messages: request.messages,
            headers: http.headers, endpoint: http.path, provider: metadata.name,
            tools: request.tools.isEmpty ? nil : ToolOffer(tools: request.tools), responseFormat: request.format)
        let plan = try self.plan(for: input, maxTokens: request.options.maxTokens, stopSequences: request.options.stop, context: &context)
        let calls = OllamaToolCall.calls(of: plan, random: &context.random)
        return reply(plan, kind: .chat, model: request.model, calls: calls, stream: request.stream, context: &context)
    }

    /// The reply to a planned chat or generate request: the NDJSON stream, or its final object
    /// with the whole text, sent when the stream would have ended.
    static func reply(_ plan: ChatPlan, kind: OllamaStream.Kind, model: String, calls: [OllamaToolCall], stream: Bool,
                      context: inout ProviderContext) -> Reply {
        let headers = plan.replyHeaders(contentType: stream ? "application/x-ndjson" : OllamaErrors.contentType,
                                        requestIDHeader: OllamaErrors.requestIDHeader, requestID: context.requestID)
        let doneReason = plan.finish == .maxTokens ? "length" : "stop"
        let source = OllamaStream(
            kind: kind, model: model, created: context.now, text: plan.text, calls: calls, chunking: plan.pacing.chunking,
            doneReason: doneReason, promptTokens: plan.promptTokens, evalTokens: plan.tokens, schedule: plan.schedule)
        context.usage = TokenUsage(prompt: plan.promptTokens, completion: plan.tokens)
        if stream {
            return plan.streamReply(source, headers: headers,
                                    errorEvent: OllamaErrors.streamErrorLine, malformedEvent: OllamaErrors.malformedLine)
        }
        let timing = source.totalTiming
        var out = ByteBuffer(capacity: 320 + model.utf8.count + plan.text.utf8.count * 2)
        OllamaStream.writeHead(model: model, created: context.now, elapsed: timing.elapsed, into: &out)
        OllamaStream.writeFinal(kind: kind, content: plan.text, calls: calls, trailingCalls: calls, doneReason: doneReason,
                                metrics: timing.metrics(promptTokens: plan.promptTokens, evalTokens: plan.tokens), into: &out)
        out.append(UInt8(ascii: "}"))
        return Reply(status: 200, headers: headers, body: .bytes(out, delay: plan.bodyDelay))
    }

    /// With `settings.strict_models`: a model that is not "pulled" (404, `model 'x' not found`),
    /// or one asked for what it cannot do (thinking, text for an embedding model, tools), in
    /// Ollama's words.
    /// - Parameter endpoint: `chat` or `generate`, for `"x" does not support chat`.
    static func checkModel(_ name: String, tools: Bool, think: Bool, endpoint: String, context: ProviderContext) throws(Refusal) {
        guard context.script.strictModels else { return }
        guard let model = OllamaCatalog.resolve(name, in: context.script.models) else {
            throw refusal(OllamaErrors.modelNotFound(name), requestID: context.requestID)
        }
        let capabilities = OllamaCatalog.entry(for: model).capabilities
        if think && !capabilities.contains("thinking") {
            throw refusal(OllamaErrors.bad("\"\(name)\" does not support thinking"), requestID: context.requestID)
        }
        if !capabilities.contains("completion") {
            throw refusal(OllamaErrors.bad("\"\(name)\" does not support \(endpoint)"), requestID: context.requestID)
        }
        if tools && !capabilities.contains("tools") {
            let full = model.id.contains("/") ? model.id : "registry.ollama.ai/library/\(model.id)"
            throw refusal(OllamaErrors.bad("\(full) does not support tools"), requestID: context.requestID)
        }
    }

    /// A request with nothing to answer loads the model (`done_reason: "load"`), or with
    /// `keep_alive: 0` unloads it (`"unload"`): one JSON object whatever `stream` says.
    static func loadReply(model: String, unload: Bool, kind: OllamaStream.Kind, context: ProviderContext) -> Reply {
        var out = ByteBuffer(capacity: 160)
        OllamaStream.writeHead(model: model, created: context.now, elapsed: 0, into: &out)
        switch kind {
        case .chat: out.append(ascii: "\"message\":{\"role\":\"assistant\",\"content\":\"\"}")
        case .generate: out.append(ascii: "\"response\":\"\"")
        }
        out.append(ascii: unload ? ",\"done\":true,\"done_reason\":\"unload\"}" : ",\"done\":true,\"done_reason\":\"load\"}")
        return json(out, context)
    }
}
