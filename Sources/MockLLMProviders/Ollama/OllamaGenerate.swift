import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// `POST /api/generate`: a prompt (with an optional `system`) answered like a chat with one user
/// message, through `ChatPlan` (rules may test `endpoint: /api/generate`). The final object
/// carries `context`, a deterministic stand-in for the token ids (one per estimated token of
/// the system prompt, the prompt and the reply), unless `raw`.
extension Ollama {
    static func generate(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        let requestID = context.requestID
        guard !http.body.isEmpty else { return errorReply(OllamaErrors.bad("missing request body"), requestID: requestID) }
        let request = try decodeBody(http, requestID: requestID, wording: OllamaGenerateWording.self, OllamaGenerateRequest.init)
        guard !request.model.isEmpty else { return errorReply(OllamaErrors.modelNotFound(""), requestID: requestID) }
        if context.script.strictModels, OllamaCatalog.resolve(request.model, in: context.script.models) == nil {
            return errorReply(OllamaErrors.modelNotFound(request.model), requestID: requestID)
        }
        if request.prompt.isEmpty && request.unload {
            return loadReply(model: request.model, unload: true, kind: .generate(context: nil), context: context)
        }
        if request.raw && (!request.system.isEmpty || !request.template.isEmpty || request.hasContext) {
            return errorReply(OllamaErrors.bad("raw mode does not support template, system, or context"), requestID: requestID)
        }
        try checkModel(request.model, tools: false, think: request.think, endpoint: "generate", context: context)
        if request.prompt.isEmpty {
            return loadReply(model: request.model, unload: false, kind: .generate(context: nil), context: context)
        }
        var messages = [ChatMessage(role: "user", text: request.prompt)]
        if !request.system.isEmpty { messages.insert(ChatMessage(role: "system", text: request.system), at: 0) }
        let input = MatchInput(
            prompt: request.prompt, model: request.model, messages: messages, headers: http.headers,
            endpoint: http.path, provider: metadata.name, responseFormat: request.format)
        let plan = try self.plan(for: input, maxTokens: request.options.maxTokens, stopSequences: request.options.stop, context: &context)
        let calls = OllamaToolCall.calls(of: plan, random: &context.random)
        let tokens = request.raw ? nil : contextTokens([request.system, request.prompt, plan.text])
        return reply(plan, kind: .generate(context: tokens), model: request.model, calls: calls, stream: request.stream, context: &context)
    }

    /// One id per estimated token (see `TokenEstimator`) of each text: FNV-1a of the piece, in
    /// a 128,000-token vocabulary. The same texts give the same ids.
    static func contextTokens(_ texts: [String]) -> [Int] {
        var ids: [Int] = []
        for text in texts where !text.isEmpty {
            let bytes = Array(text.utf8)
            var start = 0
            TokenEstimator.forEachPiece(in: text) { end in
                var hash: UInt64 = 0xcbf2_9ce4_8422_2325
                for byte in bytes[start..<end] { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
                ids.append(Int(hash % 128_000))
                start = end
                return true
            }
        }
        return ids
    }
}

/// A decoded `POST /api/generate` body (`api.GenerateRequest`), refusals in Go's words.
/// `stream` defaults to true; `suffix`, `images` and `context` are checked and not used.
struct OllamaGenerateRequest {
    var model = ""
    var prompt = ""
    var system = ""
    var template = ""
    var hasContext = false
    var stream = true
    var raw = false
    var options = OllamaOptions()
    var format: ResponseFormat?
    var unload = false
    var think = false

    init(_ body: RequestFields) throws(FieldProblem) {
        let s = "GenerateRequest"
        func text(_ value: JSONNode, _ path: String) throws(FieldProblem) -> String {
            try OllamaOptions.typed(value, s, path, "string") { $0.string } ?? ""
        }
        try body.node.forEachMember { (key, value) throws(FieldProblem) in
            switch key {
            case "model": model = try text(value, "model")
            case "prompt": prompt = try text(value, "prompt")
            case "system": system = try text(value, "system")
            case "template": template = try text(value, "template")
            case "suffix": _ = try text(value, "suffix")
            case "stream": stream = try OllamaOptions.typed(value, s, "stream", "bool") { $0.bool } ?? true
            case "raw": raw = try OllamaOptions.typed(value, s, "raw", "bool") { $0.bool } ?? false
            case "options": options = try OllamaOptions(value, in: s)
            case "format": format = try OllamaOptions.format(value)
            case "keep_alive": unload = try OllamaOptions.keepAliveIsZero(value)
            case "think": think = try OllamaOptions.think(value)
            case "top_logprobs": try OllamaOptions.checkTopLogprobs(value, in: s)
            case "context":
                let ids = try OllamaOptions.typed(value, s, "context", "[]int") { $0.isArray ? $0 : nil }
                for id in ids?.elements ?? [] where id.number == nil {
                    throw OllamaErrors.unmarshal(id, s, "context", "int")
                }
                hasContext = (ids?.count ?? 0) > 0
            case "images":
                let images = try OllamaOptions.typed(value, s, "images", "[]api.ImageData") { $0.isArray ? $0 : nil }
                for image in images?.elements ?? [] where image.string == nil && !image.isNull {
                    throw OllamaErrors.unmarshal(image, s, "images", "api.ImageData")
                }
            default: break
            }
        }
    }
}
