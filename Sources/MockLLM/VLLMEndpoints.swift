import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// vLLM's own endpoints beside its OpenAI ones (vllm/entrypoints/openai/api_server.py), so a
/// gateway or a client written for a vLLM server finds them on mockllm: `/tokenize` and
/// `/detokenize` with the project's deterministic `Tokenizer`, `/version`, and `/ping` (the
/// SageMaker health check vLLM answers on GET and POST with an empty 200).
/// Their errors are vLLM's: `{"object":"error","message","type","param","code"}`.
enum VLLMEndpoints {
    static let endpoints: [BuiltinEndpoint] = [
        BuiltinEndpoint(method: "POST", path: "/tokenize") { request, app in tokenize(request, app.script.models) },
        BuiltinEndpoint(method: "POST", path: "/detokenize") { request, app in detokenize(request, app.script.models) },
        BuiltinEndpoint(method: "GET", path: "/version") { _, _ in Reply.json(200, version) },
        BuiltinEndpoint(method: "GET", path: "/ping") { _, _ in ping },
        BuiltinEndpoint(method: "POST", path: "/ping") { _, _ in ping },
        BuiltinEndpoint(method: "POST", path: "/reset_prefix_cache") { _, app in resetPrefixCache(app) },
    ]

    /// `POST /reset_prefix_cache` (vLLM's `vllm/entrypoints/serve/cache/api_router.py`): every
    /// engine of this rank forgets its cached prefix blocks and, publishing KV-cache events,
    /// sends `AllBlocksCleared`; an empty 200. While a request holds blocks an engine refuses, as
    /// vLLM's does, and the answer is vLLM's 409 `{"detail":"Prefix cache reset failed."}`.
    /// vLLM serves it only with `VLLM_SERVER_DEV_MODE=1`; mockllm always does.
    static func resetPrefixCache(_ app: Application) -> Reply {
        var reset = true
        for host in app.engines.values where host.profile.prefixCaching {
            if !host.resetPrefixCache() { reset = false }
        }
        return reset ? ping : Reply.json(409, ByteBuffer(#"{"detail":"Prefix cache reset failed."}"#))
    }

    static let version: ByteBuffer = {
        var out = ByteBuffer()
        out.append(ascii: "{\"version\":")
        out.append(jsonString: Launcher.version)
        out.append(UInt8(ascii: "}"))
        return out
    }()

    static var ping: Reply { Reply(status: 200, headers: HTTPFields(), body: .bytes(ByteBuffer(), delay: 0)) }

    /// `max_model_len` when the request names no model: vLLM's serves one model; mockllm answers
    /// with the largest context of all it serves.
    static func maxModelLen(_ model: ModelInfo?, _ registry: ModelRegistry) -> Int {
        model?.contextWindow ?? registry.models.map(\.contextWindow).max() ?? 0
    }

    /// `POST /tokenize`: `{"prompt": ...}` (`TokenizeCompletionRequest`) or `{"messages": [...]}`
    /// (`TokenizeChatRequest`, rendered with the ChatML template, `add_generation_prompt` true by
    /// default) to `{"count","max_model_len","tokens","token_strs"}`. `add_special_tokens` is
    /// accepted: this tokenizer, like Qwen's, adds no BOS.
    static func tokenize(_ request: HTTPRequest, _ registry: ModelRegistry) -> Reply {
        let body: JSONObject
        switch parseBody(request) {
        case .refused(let reply): return reply
        case .ok(let object): body = object
        }
        let model: ModelInfo?
        switch requestedModel(body, registry) {
        case .refused(let reply): return reply
        case .ok(let found): model = found
        }
        for flag in ["add_special_tokens", "return_token_strs", "add_generation_prompt", "continue_final_message"] {
            if let value = body[flag], !value.isNull, !isBool(value) {
                return error(400, "BadRequestError", "\(flag): Input should be a valid boolean")
            }
        }
        let ids: [Int]
        if let prompt = body["prompt"], !prompt.isNull {
            guard let text = prompt.stringValue else {
                return error(400, "BadRequestError", "prompt: Input should be a valid string")
            }
            ids = Tokenizer.encode(text)
        } else if let messages = body["messages"], !messages.isNull {
            switch chat(messages) {
            case .refused(let reply): return reply
            case .ok(let turns):
                let continueFinal = bool(body["continue_final_message"]) ?? false
                let generation = bool(body["add_generation_prompt"]) ?? true
                if continueFinal && generation {
                    return error(400, "BadRequestError", "Cannot set both `continue_final_message` and `add_generation_prompt` to True.")
                }
                var all = Tokenizer.encodeChat(turns, addGenerationPrompt: generation)
                // The last message left open for the model to continue: no `<|im_end|>`.
                if continueFinal, all.last == Tokenizer.imEnd { all.removeLast() }
                ids = all
            }
        } else {
            return error(400, "BadRequestError", "Either `prompt` or `messages` must be given.")
        }
        var out = ByteBuffer()
        out.append(ascii: "{\"count\":")
        out.append(decimal: ids.count)
        out.append(ascii: ",\"max_model_len\":")
        out.append(decimal: maxModelLen(model, registry))
        out.append(ascii: ",\"tokens\":")
        appendIDs(ids, to: &out)
        out.append(ascii: ",\"token_strs\":")
        if bool(body["return_token_strs"]) == true {
            out.append(jsonStrings: ids.map { Tokenizer.tokenString($0) ?? "" })
        } else {
            out.append(ascii: "null")
        }
        out.append(UInt8(ascii: "}"))
        return Reply.json(200, out)
    }

    /// `POST /detokenize`: `{"tokens": [...]}` to `{"prompt": "..."}`; an id no piece has is a
    /// 400, as vLLM refuses an id out of its vocabulary.
    static func detokenize(_ request: HTTPRequest, _ registry: ModelRegistry) -> Reply {
        let body: JSONObject
        switch parseBody(request) {
        case .refused(let reply): return reply
        case .ok(let object): body = object
        }
        if case .refused(let reply) = requestedModel(body, registry) { return reply }
        guard let list = body["tokens"]?.arrayValue else {
            return error(400, "BadRequestError", "tokens: Field required (a list of token ids)")
        }
        var ids: [Int] = []
        for (i, value) in list.enumerated() {
            guard case .number(let number) = value, number == number.rounded(), abs(number) < 9e15 else {
                return error(400, "BadRequestError", "tokens.\(i): Input should be a valid integer")
            }
            ids.append(Int(number))
        }
        switch Tokenizer.decode(ids) {
        case .failure(let unknown):
            return error(400, "BadRequestError", "Token id \(unknown.id) is out of vocabulary")
        case .success(let text):
            var out = ByteBuffer()
            out.append(ascii: "{\"prompt\":")
            out.append(jsonString: text)
            out.append(UInt8(ascii: "}"))
            return Reply.json(200, out)
        }
    }

    private static func parseBody(_ request: HTTPRequest) -> Parsed<JSONObject> {
        guard let value = try? JSONReader.parse(request.body) else {
            return .refused(error(400, "BadRequestError", "The request body is not valid JSON"))
        }
        guard let object = value.objectValue else {
            return .refused(error(400, "BadRequestError", "The request body must be a JSON object"))
        }
        return .ok(object)
    }

    /// The model the body names (nil when it names none); one not served is vLLM's 404.
    private static func requestedModel(_ body: JSONObject, _ registry: ModelRegistry) -> Parsed<ModelInfo?> {
        guard let value = body["model"], !value.isNull else { return .ok(nil) }
        guard let name = value.stringValue else {
            return .refused(error(400, "BadRequestError", "model: Input should be a valid string"))
        }
        guard let model = registry.resolve(name) else {
            return .refused(error(404, "NotFoundError", "The model `\(name)` does not exist."))
        }
        return .ok(model)
    }

    /// Messages as `(role, text)`: content a string or a list of parts whose texts are joined.
    private static func chat(_ value: JSONValue) -> Parsed<[(role: String, content: String)]> {
        guard let list = value.arrayValue else {
            return .refused(error(400, "BadRequestError", "messages: Input should be a valid list"))
        }
        var turns: [(role: String, content: String)] = []
        for (i, item) in list.enumerated() {
            guard let message = item.objectValue, let role = message["role"]?.stringValue else {
                return .refused(error(400, "BadRequestError", "messages.\(i): each message needs a string `role`"))
            }
            var text = ""
            switch message["content"] {
            case .none, .null?: break
            case .string(let s)?: text = s
            case .array(let parts)?:
                for part in parts {
                    if let t = part.objectValue?["text"]?.stringValue { text += t }
                }
            case let other?:
                return .refused(error(400, "BadRequestError", "messages.\(i).content: Input should be a string or a list of parts, not \(other.kindDescription)"))
            }
            turns.append((role, text))
        }
        return .ok(turns)
    }

    private static func bool(_ value: JSONValue?) -> Bool? {
        if case .bool(let b)? = value { return b }
        return nil
    }

    private static func isBool(_ value: JSONValue) -> Bool {
        if case .bool = value { return true }
        return false
    }

    private static func appendIDs(_ ids: [Int], to out: inout ByteBuffer) {
        out.append(UInt8(ascii: "["))
        for (i, id) in ids.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(decimal: id)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// A request's part, or the error reply that refuses the request.
    enum Parsed<Value> {
        case ok(Value)
        case refused(Reply)
    }

    /// vLLM's `ErrorResponse`: `{"object":"error","message","type","param","code"}`, `code` the
    /// HTTP status, `type` the status's name (`BadRequestError`, `NotFoundError`).
    static func error(_ status: Int, _ type: String, _ message: String) -> Reply {
        Reply.json(status, errorBody(status, type, message))
    }

    static func errorBody(_ status: Int, _ type: String, _ message: String, param: String? = nil) -> ByteBuffer {
        var out = ByteBuffer()
        out.append(ascii: "{\"object\":\"error\",\"message\":")
        out.append(jsonString: message)
        out.append(ascii: ",\"type\":")
        out.append(jsonString: type)
        out.append(ascii: ",\"param\":")
        out.append(jsonStringOrNull: param)
        out.append(ascii: ",\"code\":")
        out.append(decimal: status)
        out.append(UInt8(ascii: "}"))
        return out
    }
}
