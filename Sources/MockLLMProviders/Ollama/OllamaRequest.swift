import MockLLMCore
import MockLLMScript

/// A decoded `POST /api/chat` body, type-checked as Ollama's Go server decodes it (`api.ChatRequest`),
/// its refusals in Go's words. `stream` defaults to true. Members the mock does not use
/// (`logprobs`, `truncate`, `shift`, images' bytes) are checked for type and ignored.
struct OllamaChatRequest {
    var model: String
    var messages: [ChatMessage]
    var stream: Bool
    var options: OllamaOptions
    var format: ResponseFormat?
    var tools: [ToolOffer.Tool]
    var unload: Bool
    var think: Bool

    init(_ body: RequestFields) throws(FieldProblem) {
        let s = "ChatRequest"
        var model = ""
        var rawMessages: JSONNode?
        var stream = true
        var options = OllamaOptions()
        var format: ResponseFormat?
        var tools: [ToolOffer.Tool] = []
        var unload = false
        var think = false
        try body.node.forEachMember { (key, value) throws(FieldProblem) in
            switch key {
            case "model": model = try OllamaOptions.typed(value, s, "model", "string") { $0.string } ?? ""
            case "messages": rawMessages = try OllamaOptions.typed(value, s, "messages", "[]api.Message") { $0.isArray ? $0 : nil }
            case "stream": stream = try OllamaOptions.typed(value, s, "stream", "bool") { $0.bool } ?? true
            case "options": options = try OllamaOptions(value, in: s)
            case "format": format = try OllamaOptions.format(value)
            case "keep_alive": unload = try OllamaOptions.keepAliveIsZero(value)
            case "think": think = try OllamaOptions.think(value)
            case "tools": tools = try Self.tools(value)
            case "top_logprobs": try OllamaOptions.checkTopLogprobs(value, in: s)
            case "logprobs": _ = try OllamaOptions.typed(value, s, "logprobs", "bool") { $0.bool }
            case "truncate": _ = try OllamaOptions.typed(value, s, "truncate", "bool") { $0.bool }
            case "shift": _ = try OllamaOptions.typed(value, s, "shift", "bool") { $0.bool }
            default: break
            }
        }
        var messages: [ChatMessage] = []
        try rawMessages?.forEachElement { (_, raw) throws(FieldProblem) in messages.append(try Self.message(raw)) }
        Self.nameToolResults(&messages)
        self.model = model
        self.messages = messages
        self.stream = stream
        self.options = options
        self.format = format
        self.tools = tools
        self.unload = unload
        self.think = think
    }

    /// `{role, content, thinking, images, tool_calls, tool_name, tool_call_id}`; the role is
    /// lower-cased, as the server does, and any role is accepted.
    private static func message(_ raw: JSONNode) throws(FieldProblem) -> ChatMessage {
        let s = "Message"
        guard raw.isObject else { throw OllamaErrors.unmarshal(raw, "ChatRequest", "messages", "api.Message") }
        var message = ChatMessage(role: "", text: "")
        var toolName: String?
        var toolCallID: String?
        for (key, value) in raw.members {
            switch key {
            case "role": message.role = try OllamaOptions.typed(value, s, "messages.role", "string") { $0.string }?.lowercased() ?? ""
            case "content": message.text = try OllamaOptions.typed(value, s, "messages.content", "string") { $0.string } ?? ""
            case "thinking": _ = try OllamaOptions.typed(value, s, "messages.thinking", "string") { $0.string }
            case "tool_name": toolName = try OllamaOptions.typed(value, s, "messages.tool_name", "string") { $0.string }
            case "tool_call_id": toolCallID = try OllamaOptions.typed(value, s, "messages.tool_call_id", "string") { $0.string }
            case "images":
                let images = try OllamaOptions.typed(value, s, "messages.images", "[]api.ImageData") { $0.isArray ? $0 : nil }
                for image in images?.elements ?? [] where image.string == nil && !image.isNull {
                    throw OllamaErrors.unmarshal(image, s, "messages.images", "api.ImageData")
                }
            case "tool_calls":
                let calls = try OllamaOptions.typed(value, s, "messages.tool_calls", "[]api.ToolCall") { $0.isArray ? $0 : nil }
                for call in calls?.elements ?? [] { message.toolCalls.append(try Self.toolCall(call)) }
            default: break
            }
        }
        if message.role == "tool" {
            message.toolResults = [ChatMessage.ToolResult(callID: toolCallID, name: toolName, text: message.text)]
        }
        return message
    }

    /// An assistant message's call: `{"id"?, "function": {"index"?, "name", "arguments": {...}}}`.
    private static func toolCall(_ raw: JSONNode) throws(FieldProblem) -> (id: String, name: String) {
        guard raw.isObject else { throw OllamaErrors.unmarshal(raw, "Message", "messages.tool_calls", "api.ToolCall") }
        let id = try raw["id"].flatMap { (v) throws(FieldProblem) in try OllamaOptions.typed(v, "ToolCall", "messages.tool_calls.id", "string") { $0.string } }
        guard let function = raw["function"], !function.isNull else { return (id ?? "", "") }
        guard function.isObject else { throw OllamaErrors.unmarshal(function, "ToolCall", "messages.tool_calls.function", "api.ToolCallFunction") }
        let path = "messages.tool_calls.function"
        let name = try function["name"].flatMap { (v) throws(FieldProblem) in try OllamaOptions.typed(v, "ToolCallFunction", path + ".name", "string") { $0.string } }
        if let arguments = function["arguments"], !arguments.isNull, !arguments.isObject {
            throw .invalidValue(
                path: path + ".arguments",
                message: "json: cannot unmarshal \(OllamaErrors.goKind(arguments.kindDescription)) into Go value of type map[string]interface {}", code: "")
        }
        return (id ?? "", name ?? "")
    }

    /// A tool result that names neither its tool nor its call (clients before `tool_name`) is
    /// the result of the call at its position among the results after the last assistant call.
    private static func nameToolResults(_ messages: inout [ChatMessage]) {
        var calls: [(id: String, name: String)] = []
        var position = 0
        for i in messages.indices {
            if !messages[i].toolCalls.isEmpty {
                calls = messages[i].toolCalls
                position = 0
            }
            guard messages[i].role == "tool", var result = messages[i].toolResults.first else { continue }
            if result.name == nil, position < calls.count {
                if let id = result.callID, let call = calls.first(where: { $0.id == id }) {
                    result.name = call.name
                } else if result.callID == nil {
                    result.name = calls[position].name
                }
                messages[i].toolResults = [result]
            }
            position += 1
        }
    }

    /// `tools`: `[{"type":"function","function":{"name","description","parameters"}}]`; tools of
    /// another type are accepted and not offered to automatic calls.
    static func tools(_ value: JSONNode) throws(FieldProblem) -> [ToolOffer.Tool] {
        let list = try OllamaOptions.typed(value, "ChatRequest", "tools", "api.Tools") { $0.isArray ? $0 : nil }
        var tools: [ToolOffer.Tool] = []
        for item in list?.elements ?? [] {
            guard item.isObject else { throw OllamaErrors.unmarshal(item, "ChatRequest", "tools", "api.Tool") }
            let type = try item["type"].flatMap { (v) throws(FieldProblem) in try OllamaOptions.typed(v, "Tool", "tools.type", "string") { $0.string } }
            guard let function = item["function"], !function.isNull else { continue }
            guard function.isObject else { throw OllamaErrors.unmarshal(function, "Tool", "tools.function", "api.ToolFunction") }
            let path = "tools.function"
            let name = try function["name"].flatMap { (v) throws(FieldProblem) in try OllamaOptions.typed(v, "ToolFunction", path + ".name", "string") { $0.string } }
            let description = try function["description"].flatMap { (v) throws(FieldProblem) in
                try OllamaOptions.typed(v, "ToolFunction", path + ".description", "string") { $0.string }
            }
            let parameters = try function["parameters"].flatMap { (v) throws(FieldProblem) in
                try OllamaOptions.typed(v, "ToolFunction", path + ".parameters", "api.ToolFunctionParameters") { $0.isObject ? $0 : nil }
            }
            guard type == "function" || type == nil, let name, !name.isEmpty else { continue }
            tools.append(ToolOffer.Tool(name: name, description: description ?? "", schema: parameters?.materialize() ?? .object(JSONObject())))
        }
        return tools
    }
}
