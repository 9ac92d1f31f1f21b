import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// OpenAI's legacy Completions, `POST /v1/completions` (JSON and server-sent events).
///
/// Each prompt is answered from the script as a chat with one user message carrying it (so
/// `responses:` and rules answer it; rules may test `endpoint: /v1/completions`), through
/// `ChatPlan`: pacing, faults and quotas apply. A list of prompts gets one choice per prompt,
/// in order. Unlike the real API (16 by default), `max_tokens` cuts only when it is sent.
enum OpenAICompletions {
    /// `POST /v1/completions`: the request decoded and checked, one plan per prompt, then the
    /// completion as one JSON object or as a stream of chunks.
    static func completion(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        try completion(http, &context, as: OpenAIChat.self)
    }

    /// A completion behind `door`, which admits the model.
    static func completion<Door: OpenAIFrontDoor>(
        _ http: HTTPRequest, _ context: inout ProviderContext, as door: Door.Type
    ) throws(Refusal) -> Reply {
        let requestID = context.requestID
        let implied = Door.impliedModel(context)
        var request = try Door.decodeBody(http, requestID: requestID, wording: OpenAIErrors.self) {
            (body) throws(FieldProblem) in try OpenAICompletionsRequest(body, impliedModel: implied)
        }
        let prompts = request.prompts
        let admission = try Door.admit(model: request.model, maxTokens: request.maxTokens, for: .completion,
                                       promptTokens: { prompts.reduce(0) { $0 + TokenEstimator.count($1) } }, context: &context)
        request.model = admission.model
        let uuid = context.random.nextUUID()  // drawn first: a seed fixes the id whatever the pacing draws
        context.priority = request.priority
        var plans: [ChatPlan] = []
        for prompt in request.prompts {
            let message = ChatMessage(role: "user", text: prompt)
            let input = MatchInput(
                prompt: prompt, model: request.model, messages: [message], headers: http.headers,
                endpoint: http.path, provider: Door.metadata.name)
            plans.append(try Door.plan(for: input, maxTokens: request.maxTokens, stopSequences: request.stop, context: &context,
                                             exactTokens: request.exactTokens))
        }
        // A prompt is tokenized as it is, with no chat template (vLLM's completions).
        context.engine?.chatTemplate = false
        let choices = zip(request.prompts, plans).map { prompt, plan in
            OpenAICompletionsStream.Choice(
                text: request.echo ? prompt + plan.text : plan.text,
                finishReason: plan.finish == .maxTokens ? "length" : "stop")
        }
        // A prompt's tokens as `/tokenize` counts them, no chat framing (vLLM's `prompt_tokens`).
        let usage = OpenAIUsage(
            promptTokens: prompts.reduce(0) { $0 + TokenEstimator.count($1) }, completionTokens: plans.reduce(0) { $0 + $1.tokens })
        context.usage = TokenUsage(prompt: usage.promptTokens, completion: usage.completionTokens)
        // The first prompt's plan speaks for the reply: its headers, pacing and fault.
        var plan = plans[0]
        plan.carry(admission)
        let headers = plan.replyHeaders(stream: request.stream, requestIDHeader: OpenAIErrors.requestIDHeader, requestID: requestID)
        var id = ByteBuffer(capacity: 41)
        id.append(ascii: "cmpl-")
        uuid.append(to: &id)
        if request.stream {
            let stream = OpenAICompletionsStream(
                id: id, created: context.now, model: request.model, choices: choices, chunking: plan.pacing.chunking,
                usage: usage, includeUsage: request.includeUsage, schedule: plan.schedule)
            return plan.streamReply(stream, headers: headers,
                                    errorEvent: OpenAIErrors.streamErrorEvent, malformedEvent: OpenAIErrors.malformedEvent)
        }
        let body = json(id: id, created: context.now, model: request.model, choices: choices, usage: usage)
        let delay = plans.map(\.bodyDelay).max() ?? 0
        return Reply(status: 200, headers: headers, body: .bytes(body, delay: delay))
    }

    /// The `text_completion` object: `{"id":"cmpl-..","object":"text_completion","created":..,`
    /// `"model":..,"choices":[{"text","index","logprobs":null,"finish_reason"}],"usage":{..}}`.
    private static func json(
        id: ByteBuffer, created: Int, model: String, choices: [OpenAICompletionsStream.Choice], usage: OpenAIUsage
    ) -> ByteBuffer {
        var out = ByteBuffer(capacity: 256 + model.utf8.count + choices.reduce(0) { $0 + 64 + $1.text.utf8.count * 2 })
        out.append(ascii: "{\"id\":\"")
        out.append(id)
        out.append(ascii: "\",\"object\":\"text_completion\",\"created\":")
        out.append(decimal: created)
        out.append(ascii: ",\"model\":")
        out.append(jsonString: model)
        out.append(ascii: ",\"choices\":[")
        for (i, choice) in choices.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(ascii: "{\"text\":")
            out.append(jsonString: choice.text)
            out.append(ascii: ",\"index\":")
            out.append(decimal: i)
            out.append(ascii: ",\"logprobs\":null,\"finish_reason\":")
            out.append(jsonString: choice.finishReason)
            out.append(UInt8(ascii: "}"))
        }
        out.append(ascii: "],\"usage\":")
        usage.write(into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }
}

/// A decoded `POST /v1/completions` body. `suffix`, `logprobs`, `best_of`, ... are ignored.
struct OpenAICompletionsRequest {
    var model: String
    /// `prompt`: a string, or a list of strings (one choice each).
    var prompts: [String]
    var stream: Bool
    var includeUsage: Bool
    var maxTokens: Int?
    /// `ignore_eos` / `min_tokens` (`OpenAIChatRequest.exactTokens`).
    var exactTokens: (tokens: Int, length: Bool)?
    /// vLLM's `priority` (see `OpenAIChatRequest.priority`).
    var priority = 0
    var stop: [String]
    var echo: Bool

    /// - Parameter impliedModel: the model when the body names none (an Azure deployment's path
    ///   names it); the body's wins.
    init(_ body: RequestFields, impliedModel: String? = nil) throws(FieldProblem) {
        var model: String?
        var prompts: [String]?
        var stream = false
        var streamOptions: RequestFields?
        var maxTokens: Int?
        var stop: [String] = []
        var echo = false
        var ignoreEOS = false
        var minTokens: Int?
        var priority = 0
        try body.node.forEachMember { (key, value) throws(FieldProblem) in
            switch key {
            case "model": model = try body.string(value, "model")
            case "prompt": prompts = try Self.prompts(value)
            case "stream": stream = try body.bool(value, "stream") ?? false
            case "stream_options": streamOptions = try body.object(value, "stream_options")
            case "max_tokens": maxTokens = try OpenAIChatRequest.positive(body, value, "max_tokens")
            case "stop": stop = try OpenAIChatRequest.stopSequences(body, value)
            case "echo": echo = try body.bool(value, "echo") ?? false
            case "suffix": _ = try body.string(value, "suffix")
            case "temperature": try OpenAIChatRequest.checkTemperature(body.number(value, "temperature"))
            case "n": try OpenAIChatRequest.checkN(body.integer(value, "n"))
            // vLLM's, last: the keys every request sends are compared first.
            case "ignore_eos": ignoreEOS = try body.bool(value, "ignore_eos") ?? false
            case "min_tokens": minTokens = try body.integer(value, "min_tokens")
            case "priority": priority = try body.integer(value, "priority") ?? 0
            default: break
            }
        }
        guard let model = model ?? impliedModel else {
            throw body.contains("model") ? .wrongType(path: "model", expected: "a string", found: "null") : .missing(path: "model")
        }
        guard let prompts else {
            throw body.contains("prompt") ? .wrongType(path: "prompt", expected: "a string or an array of strings", found: "null")
                : .missing(path: "prompt")
        }
        self.model = model
        self.prompts = prompts
        self.stream = stream
        includeUsage = try OpenAIChatRequest.includeUsage(streamOptions, stream: stream)
        self.maxTokens = maxTokens
        exactTokens = OpenAIChatRequest.exactTokens(ignoreEOS: ignoreEOS, maxTokens: maxTokens, minTokens: minTokens)
        self.priority = priority
        self.stop = stop
        self.echo = echo
    }

    private static func prompts(_ value: JSONNode) throws(FieldProblem) -> [String]? {
        if value.isNull { return nil }
        if let single = value.string { return [single] }
        guard value.isArray else {
            throw .wrongType(path: "prompt", expected: "a string or an array of strings", found: value.kindDescription)
        }
        guard value.count > 0 else {
            throw .invalidValue(
                path: "prompt", message: "Invalid 'prompt': empty array. Expected an array with minimum length 1, but got an empty array instead.",
                code: "empty_array")
        }
        var prompts: [String] = []
        try value.forEachElement { (i, item) throws(FieldProblem) in
            guard let text = item.string else {
                throw .wrongType(path: "prompt[\(i)]", expected: "a string", found: item.kindDescription)
            }
            prompts.append(text)
        }
        return prompts
    }
}
