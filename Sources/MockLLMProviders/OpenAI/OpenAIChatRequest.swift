import MockLLMCore
import MockLLMScript

/// A decoded `POST /v1/chat/completions` body: what the mock uses, strictly type-checked.
/// Parameters it does not use (logprobs, seed, ...) are accepted and ignored.
struct OpenAIChatRequest {
    static let roles = ["system", "developer", "user", "assistant", "tool", "function"]

    var model: String
    var messages: [ChatMessage]
    var stream: Bool
    var includeUsage: Bool
    /// `max_completion_tokens`, else the older `max_tokens`.
    var maxTokens: Int?
    /// vLLM's extra parameters, as load tools send them: `ignore_eos` (generate `max_tokens`
    /// whatever the text) and `min_tokens`; an engine model's reply is then exactly that long.
    var exactTokens: (tokens: Int, length: Bool)?
    /// vLLM's `priority` (0 unless sent), for a model on an engine with priority scheduling.
    var priority = 0
    /// `stop`: up to 4 sequences that end the reply before them.
    var stop: [String]
    /// The request offers `tools` (or the legacy `functions`).
    var hasTools: Bool
    /// The function tools offered and `tool_choice` (or `functions` and `function_call`).
    var toolOffer: ToolOffer?
    /// The request used `functions` rather than `tools`: calls are answered as `function_call`.
    var legacyFunctions: Bool
    var responseFormat: ResponseFormat?

    /// - Parameter impliedModel: the model when the body names none (an Azure deployment's path
    ///   names it); the body's wins.
    init(_ body: RequestFields, impliedModel: String? = nil) throws(FieldProblem) {
        // One walk over the members; the checks that relate fields come after it.
        var model: String?
        var rawMessages: JSONNode?
        var stream = false
        var streamOptions: RequestFields?
        var maxCompletionTokens: Int?
        var legacyMaxTokens: Int?
        var stop: [String] = []
        var hasTools = false
        var tools: [ToolOffer.Tool]?, functions: [ToolOffer.Tool]?
        var toolChoice: ToolOffer.Choice?, functionCall: ToolOffer.Choice?
        var responseFormat: ResponseFormat?
        var parallelToolCalls = true
        var ignoreEOS = false
        var minTokens: Int?
        var priority = 0
        try body.node.forEachMember { (key, value) throws(FieldProblem) in
            switch key {
            case "model": model = try body.string(value, "model")
            case "messages": rawMessages = try body.array(value, "messages")
            case "stream": stream = try body.bool(value, "stream") ?? false
            case "stream_options": streamOptions = try body.object(value, "stream_options")
            case "max_completion_tokens": maxCompletionTokens = try Self.positive(body, value, "max_completion_tokens")
            case "max_tokens": legacyMaxTokens = try Self.positive(body, value, "max_tokens")
            case "stop": stop = try Self.stopSequences(body, value)
            case "tools":
                if let list = try body.array(value, "tools") {
                    tools = try Self.tools(body, list)
                    hasTools = hasTools || list.count > 0
                }
            case "functions":
                if let list = try body.array(value, "functions") {
                    functions = try Self.functions(list)
                    hasTools = hasTools || list.count > 0
                }
            case "tool_choice": if !value.isNull { toolChoice = try Self.toolChoice(body, value, legacy: false) }
            case "function_call": if !value.isNull { functionCall = try Self.toolChoice(body, value, legacy: true) }
            case "parallel_tool_calls": parallelToolCalls = try body.bool(value, "parallel_tool_calls") ?? true
            case "response_format": responseFormat = try Self.responseFormat(body, value)
            case "temperature": try Self.checkTemperature(body.number(value, "temperature"))
            case "n": try Self.checkN(body.integer(value, "n"))
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
        guard let rawMessages else {
            throw body.contains("messages") ? .wrongType(path: "messages", expected: "an array", found: "null") : .missing(path: "messages")
        }
        guard rawMessages.count > 0 else {
            throw .invalidValue(
                path: "messages", message: "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
                code: "empty_array")
        }
        var messages: [ChatMessage] = []
        messages.reserveCapacity(rawMessages.count)
        try rawMessages.forEachElement { (i, raw) throws(FieldProblem) in messages.append(try Self.message(raw, index: i)) }
        self.model = model
        self.messages = messages
        self.stream = stream
        includeUsage = try Self.includeUsage(streamOptions, stream: stream)
        maxTokens = maxCompletionTokens ?? legacyMaxTokens
        exactTokens = Self.exactTokens(ignoreEOS: ignoreEOS, maxTokens: maxTokens, minTokens: minTokens)
        self.stop = stop
        self.hasTools = hasTools
        (toolOffer, legacyFunctions) = try Self.offer(tools: tools, functions: functions, toolChoice: toolChoice, functionCall: functionCall)
        toolOffer?.parallel = parallelToolCalls && !legacyFunctions  // the legacy shape carries one call
        self.responseFormat = responseFormat
        self.priority = priority
    }

    /// `stream_options.include_usage`; `stream_options` is refused without `stream`.
    static func includeUsage(_ streamOptions: RequestFields?, stream: Bool) throws(FieldProblem) -> Bool {
        guard let streamOptions else { return false }
        guard stream else {
            throw .invalidValue(
                path: "stream_options", message: "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                code: "invalid_value")
        }
        return try streamOptions.bool("include_usage") ?? false
    }

    static func checkTemperature(_ temperature: Double?) throws(FieldProblem) {
        try checkDecimal(temperature, "temperature", in: 0...2)
    }

    /// A number that must lie in `range`, refused in OpenAI's words (`temperature`, `top_p`).
    static func checkDecimal(_ value: Double?, _ name: String, in range: ClosedRange<Double>) throws(FieldProblem) {
        guard let value, !range.contains(value) else { return }
        let below = value < range.lowerBound
        throw .invalidValue(
            path: name,
            message: "Invalid '\(name)': decimal \(below ? "below minimum" : "above maximum") value. "
                + "Expected a value \(below ? ">= \(range.lowerBound.plainDecimal)" : "<= \(range.upperBound.plainDecimal)"), but got \(value.plainDecimal) instead.",
            code: below ? "decimal_below_min_value" : "decimal_above_max_value")
    }

    static func checkN(_ n: Int?) throws(FieldProblem) {
        guard let n, n != 1 else { return }
        throw .invalidValue(
            path: "n", message: n < 1
                ? "Invalid 'n': integer below minimum value. Expected a value >= 1, but got \(n) instead."
                : "This mock server answers with one choice: 'n' must be 1.",
            code: n < 1 ? "integer_below_min_value" : "unsupported_value")
    }

    /// `stop`: a string or up to 4 strings.
    static func stopSequences(_ body: RequestFields, _ value: JSONNode) throws(FieldProblem) -> [String] {
        if value.isNull { return [] }
        if let single = value.string { return [single] }
        guard let list = try body.array(value, "stop") else { return [] }
        guard list.count <= 4 else {
            throw .invalidValue(path: "stop", message: "Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length \(list.count) instead.", code: "array_above_max_length")
        }
        var stop: [String] = []
        try list.forEachElement { (i, item) throws(FieldProblem) in
            guard let text = item.string else {
                throw .wrongType(path: "stop[\(i)]", expected: "a string", found: item.kindDescription)
            }
            stop.append(text)
        }
        return stop
    }

    static func positive(_ body: RequestFields, _ value: JSONNode, _ key: StaticString) throws(FieldProblem) -> Int? {
        try atLeast(1, body, value, key)
    }

    /// `Invalid value: 'x'. Supported values are: 'a', 'b', and 'c'.` (two: `'a' and 'b'`)
    static func invalidValue(_ text: String, allowed: [String], path: String) -> FieldProblem {
        let quoted = allowed.map { "'\($0)'" }
        let list = quoted.count <= 2 ? quoted.joined(separator: " and ") : quoted.dropLast().joined(separator: ", ") + ", and " + quoted.last!
        return .invalidValue(path: path, message: "Invalid value: '\(text)'. Supported values are: \(list).", code: "invalid_value")
    }

    /// An integer of at least `minimum`, refused in OpenAI's words.
    static func atLeast(_ minimum: Int, _ body: RequestFields, _ value: JSONNode, _ key: StaticString) throws(FieldProblem) -> Int? {
        guard let n = try body.integer(value, key) else { return nil }
        if n < minimum {
            throw .invalidValue(
                path: body.childPath(key),
                message: "Invalid '\(key)': integer below minimum value. Expected a value >= \(minimum), but got \(n) instead.",
                code: "integer_below_min_value")
        }
        return n
    }

    private static func message(_ raw: JSONNode, index: Int) throws(FieldProblem) -> ChatMessage {
        let fields = RequestFields(raw, path: "messages", index: index)
        guard raw.isObject else {
            throw .wrongType(path: fields.path, expected: "an object", found: raw.kindDescription)
        }
        var roleNode: JSONNode?
        var content: JSONNode?
        raw.forEachMember { key, value in
            switch key {
            case "role": roleNode = value
            case "content": content = value
            default: break
            }
        }
        guard let roleNode, !roleNode.isNull else { throw .missing(path: fields.childPath("role")) }
        guard let role = roleNode.string else {
            throw .wrongType(path: fields.childPath("role"), expected: "a string", found: roleNode.kindDescription)
        }
        guard roles.contains(role) else { throw invalidValue(role, allowed: roles, path: fields.childPath("role")) }
        // Assistant messages may carry tool calls instead of content; function results may be empty.
        let contentOptional = role == "assistant" || role == "function"
        var message = ChatMessage(role: role, text: "")
        if let content, !content.isNull {
            message.text = try text(of: content, in: fields)
        } else if !contentOptional {
            throw .missing(path: fields.childPath("content"))
        }
        switch role {
        case "assistant":
            message.toolCalls = try toolCalls(in: fields)
        case "tool":
            message.toolResults = [ChatMessage.ToolResult(callID: try fields.string("tool_call_id", required: true)!, text: message.text)]
        case "function":
            message.toolResults = [ChatMessage.ToolResult(name: try fields.string("name", required: true)!, text: message.text)]
        default:
            break
        }
        return message
    }

    /// A string, or an array of content parts whose text parts are joined with newlines.
    static func text(of content: JSONNode, in message: RequestFields) throws(FieldProblem) -> String {
        if let s = content.string { return s }
        guard content.isArray else {
            throw .wrongType(path: message.childPath("content"), expected: "a string or an array of content parts", found: content.kindDescription)
        }
        let contentPath = message.childPath("content")
        if content.count == 0 {
            throw .invalidValue(
                path: contentPath, message: "Invalid '\(contentPath)': empty array. Expected an array with minimum length 1, but got an empty array instead.",
                code: "empty_array")
        }
        var texts: [String] = []
        try content.forEachElement { (i, part) throws(FieldProblem) in
            let fields = RequestFields(part, path: contentPath, index: i)
            guard part.isObject else {
                throw .wrongType(path: fields.path, expected: "an object", found: part.kindDescription)
            }
            let type = try fields.string("type", required: true)!
            if type == "text" { texts.append(try fields.string("text", required: true)!) }
        }
        return texts.joined(separator: "\n")
    }
}

extension OpenAIChatRequest {
    /// The length a request asks for as vLLM reads `ignore_eos` and `min_tokens`: with
    /// `ignore_eos`, `max_tokens` tokens (cut at the length: `length`); else `min_tokens`.
    static func exactTokens(ignoreEOS: Bool, maxTokens: Int?, minTokens: Int?) -> (tokens: Int, length: Bool)? {
        if ignoreEOS, let maxTokens { return (maxTokens, true) }
        if let minTokens, minTokens > 0 { return (min(minTokens, maxTokens ?? .max), minTokens >= (maxTokens ?? .max)) }
        return nil
    }
}
