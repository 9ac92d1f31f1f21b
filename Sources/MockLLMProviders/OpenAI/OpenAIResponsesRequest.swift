import MockLLMCore
import MockLLMScript

/// A decoded `POST /v1/responses` body: what the mock uses, strictly type-checked, plus the
/// fields the response object echoes. Parameters it neither uses nor echoes (`include`,
/// `prompt`, `conversation`, ...) are accepted and ignored.
struct OpenAIResponsesRequest {
    var model = ""
    /// `input`: a string is one user message.
    var input: [OpenAIResponseItem] = []
    var instructions: String?
    /// The function tools offered, for automatic calls; `tools` echoes every tool.
    var functions: [ToolOffer.Tool] = []
    var tools: [JSONValue] = []
    /// nil: `auto`. `toolChoiceEcho` is the value as the response shows it.
    var toolChoice: ToolOffer.Choice?
    var toolChoiceEcho: JSONValue = .string("auto")
    var format: TextFormat = .text
    var verbosity = "medium"
    var maxOutputTokens: Int?
    var stream = false
    var store = true
    var previousResponseID: String?
    /// Echoed only: their values as the response object shows them.
    var echo = Echo()

    /// `text.format`.
    enum TextFormat: Equatable {
        case text
        case jsonObject
        case jsonSchema(name: String, schema: JSONValue, description: String?, strict: Bool?)

        var responseFormat: ResponseFormat? {
            switch self {
            case .text: nil
            case .jsonObject: .jsonObject
            case .jsonSchema(_, let schema, _, _): .jsonSchema(schema)
            }
        }
    }

    /// Request fields the response object repeats and the mock does not otherwise use.
    struct Echo {
        var background = false
        var maxToolCalls: Int?
        var parallelToolCalls = true
        var temperature = 1.0
        var topP = 1.0
        var topLogprobs = 0
        var truncation = "disabled"
        var serviceTier = "default"
        var metadata = JSONValue.object(JSONObject())
        var reasoningEffort: String?
        var reasoningSummary: String?
        var user: String?
        var safetyIdentifier: String?
        var promptCacheKey: String?
        var promptCacheRetention: String?
    }

    init(_ body: RequestFields) throws(FieldProblem) {
        var model: String?
        var input: [OpenAIResponseItem]?
        var functions: [ToolOffer.Tool] = []
        var choice: JSONNode?
        try body.node.forEachMember { (key, value) throws(FieldProblem) in
            switch key {
            case "model": model = try body.string(value, "model")
            case "input": input = try Self.input(value)
            case "instructions": instructions = try body.string(value, "instructions")
            case "tools":
                if let list = try body.array(value, "tools") { (functions, tools) = try Self.tools(list) }
            case "tool_choice": if !value.isNull { choice = value }
            case "text": if let text = try body.object(value, "text") { (format, verbosity) = try Self.text(text) }
            case "max_output_tokens": maxOutputTokens = try OpenAIChatRequest.atLeast(16, body, value, "max_output_tokens")
            case "stream": stream = try body.bool(value, "stream") ?? false
            case "store": store = try body.bool(value, "store") ?? true
            case "previous_response_id": previousResponseID = try body.string(value, "previous_response_id")
            case "metadata": echo.metadata = try Self.metadata(body, value)
            case "parallel_tool_calls": echo.parallelToolCalls = try body.bool(value, "parallel_tool_calls") ?? true
            case "temperature":
                let t = try body.number(value, "temperature")
                try OpenAIChatRequest.checkTemperature(t)
                echo.temperature = t ?? 1
            case "top_p":
                let p = try body.number(value, "top_p")
                try OpenAIChatRequest.checkDecimal(p, "top_p", in: 0...1)
                echo.topP = p ?? 1
            case "top_logprobs": echo.topLogprobs = try body.integer(value, "top_logprobs") ?? 0
            case "max_tool_calls": echo.maxToolCalls = try body.integer(value, "max_tool_calls")
            case "background": echo.background = try body.bool(value, "background") ?? false
            case "truncation": echo.truncation = try Self.oneOf(["auto", "disabled"], body, value, "truncation") ?? "disabled"
            case "service_tier": _ = try body.string(value, "service_tier")
            case "reasoning":
                if let reasoning = try body.object(value, "reasoning") {
                    echo.reasoningEffort = try reasoning.string("effort")
                    echo.reasoningSummary = try reasoning.string("summary")
                }
            case "user": echo.user = try body.string(value, "user")
            case "safety_identifier": echo.safetyIdentifier = try body.string(value, "safety_identifier")
            case "prompt_cache_key": echo.promptCacheKey = try body.string(value, "prompt_cache_key")
            case "prompt_cache_retention": echo.promptCacheRetention = try body.string(value, "prompt_cache_retention")
            default: break
            }
        }
        guard let model else {
            throw body.contains("model") ? .wrongType(path: "model", expected: "a string", found: "null") : .missing(path: "model")
        }
        guard let input else {
            throw body.contains("input") ? .wrongType(path: "input", expected: "a string or an array", found: "null") : .missing(path: "input")
        }
        self.model = model
        self.input = input
        self.functions = functions
        if let choice { (toolChoice, toolChoiceEcho) = try Self.toolChoice(choice, functions: functions) }
    }

    /// Everything the script matches on: the instructions (as a system message), then the
    /// earlier turns (`previous_response_id`), then this input.
    func conversation(after earlier: [OpenAIResponseItem]) -> [ChatMessage] {
        var messages = instructions.map { [ChatMessage(role: "system", text: $0)] } ?? []
        messages += (earlier + input).chatMessages
        return messages
    }

    /// The offer automatic calls choose from (nil without function tools).
    var toolOffer: ToolOffer? {
        functions.isEmpty ? nil : ToolOffer(tools: functions, choice: toolChoice ?? .auto, parallel: echo.parallelToolCalls)
    }

    /// A string that must be one of `allowed`, with OpenAI's wording when it is not.
    static func oneOf(_ allowed: [String], _ fields: RequestFields, _ value: JSONNode, _ key: StaticString) throws(FieldProblem) -> String? {
        guard let text = try fields.string(value, key) else { return nil }
        guard allowed.contains(text) else { throw OpenAIChatRequest.invalidValue(text, allowed: allowed, path: fields.childPath(key)) }
        return text
    }

    /// `metadata`: at most 16 string values, keys of at most 64 characters, values of at most 512.
    private static func metadata(_ body: RequestFields, _ value: JSONNode) throws(FieldProblem) -> JSONValue {
        guard let object = try body.object(value, "metadata") else { return .object(JSONObject()) }
        if object.node.count > 16 {
            throw .invalidValue(
                path: "metadata",
                message: "Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got an object with \(object.node.count) properties instead.",
                code: "object_above_max_properties")
        }
        var members: [JSONObject.Member] = []
        for (key, item) in object.node.members {
            guard let text = item.string else {
                throw .wrongType(path: "metadata.\(key)", expected: "a string", found: item.kindDescription)
            }
            if key.count > 64 || text.count > 512 {
                let what = key.count > 64 ? "key" : "value"
                throw .invalidValue(
                    path: "metadata.\(key)",
                    message: "Invalid 'metadata': \(what) too long. Keys may have at most 64 characters and values at most 512.",
                    code: "invalid_value")
            }
            members.append(JSONObject.Member(key: key, value: .string(text)))
        }
        return .object(JSONObject(members))
    }
}
