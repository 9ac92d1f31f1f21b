import MockLLMCore
import MockLLMScript

/// A decoded `Converse` / `ConverseStream` body: `messages` (content blocks: `text`, `toolUse`,
/// `toolResult`; images, documents and the rest accepted and not matched on), `system` (text
/// blocks), `inferenceConfig` (`maxTokens`, `temperature`, `topP`, `stopSequences`) and
/// `toolConfig` (`tools` of `toolSpec`s with an `inputSchema.json`, `toolChoice`). Problems are
/// worded as Bedrock's validation words them.
struct BedrockConverseRequest {
    var model: String
    var messages: [ChatMessage]
    var system: String?
    var maxTokens: Int?
    var stopSequences: [String]
    var toolOffer: ToolOffer?

    init(_ body: RequestFields, model: String) throws(FieldProblem) {
        self.model = model
        guard let raw = try body.array("messages", required: true) else { throw .missing(path: "messages") }
        var messages: [ChatMessage] = []
        for (i, item) in raw.enumerated() {
            messages.append(try Self.message(RequestFields(item, path: "messages", index: i), index: i))
        }
        self.messages = messages
        if let system = try body.array("system") {
            var texts: [String] = []
            for (i, block) in system.enumerated() {
                if let text = try RequestFields(block, path: "system", index: i).string("text") { texts.append(text) }
            }
            self.system = texts.joined(separator: "\n")
        }
        stopSequences = []
        if let config = try body.object("inferenceConfig") {
            if let tokens = try config.integer("maxTokens") {
                guard tokens >= 1 else { throw Self.constraint("inferenceConfig.maxTokens", "\(tokens)", "Member must have value greater than or equal to 1") }
                maxTokens = tokens
            }
            if let temperature = try config.number("temperature"), !(0...1).contains(temperature) {
                throw Self.constraint("inferenceConfig.temperature", "\(temperature)", "Member must have value \(temperature < 0 ? "greater" : "less") than or equal to \(temperature < 0 ? 0 : 1)")
            }
            _ = try config.number("topP")
            for (i, stop) in (try config.array("stopSequences") ?? []).enumerated() {
                guard let text = stop.string else {
                    throw .wrongType(path: "inferenceConfig.stopSequences[\(i)]", expected: "a string", found: stop.kindDescription)
                }
                stopSequences.append(text)
            }
        }
        toolOffer = try Self.toolOffer(body)
    }

    /// Bedrock's constraint wording: `1 validation error detected: Value 'X' at 'PATH' failed to satisfy constraint: WHY`.
    static func constraint(_ path: String, _ value: String, _ why: String) -> FieldProblem {
        .invalidValue(path: path, message: "1 validation error detected: Value '\(value)' at '\(path)' failed to satisfy constraint: \(why)", code: "")
    }

    private static func message(_ fields: RequestFields, index: Int) throws(FieldProblem) -> ChatMessage {
        guard fields.node.isObject else { throw .wrongType(path: fields.path, expected: "an object", found: fields.node.kindDescription) }
        let role = try fields.string("role", required: true)!
        guard role == "user" || role == "assistant" else {
            throw constraint("messages.\(index + 1).member.role", role, "Member must satisfy enum value set: [user, assistant]")
        }
        guard let content = try fields.array("content", required: true) else { throw .missing(path: fields.childPath("content")) }
        var texts: [String] = []
        var calls: [(id: String, name: String)] = []
        var results: [ChatMessage.ToolResult] = []
        for (i, item) in content.enumerated() {
            let block = RequestFields(item, in: fields, key: "content", index: i)
            guard item.isObject else { throw .wrongType(path: block.path, expected: "an object", found: item.kindDescription) }
            if let text = try block.string("text") { texts.append(text) }
            if let use = try block.object("toolUse") {
                calls.append((try use.string("toolUseId", required: true)!, try use.string("name", required: true)!))
            }
            if let result = try block.object("toolResult") {
                let id = try result.string("toolUseId", required: true)!
                var parts: [String] = []
                for (j, part) in (try result.array("content") ?? []).enumerated() {
                    let piece = RequestFields(part, path: result.childPath("content"), index: j)
                    if let text = try piece.string("text") { parts.append(text) }
                    if let json = piece.value("json") {
                        var out = ByteBuffer()
                        out.append(json: json.materialize())
                        parts.append(out.description)
                    }
                }
                results.append(ChatMessage.ToolResult(callID: id, text: parts.joined(separator: "\n")))
            }
        }
        return ChatMessage(role: role, text: texts.joined(separator: "\n"), toolCalls: calls, toolResults: results)
    }

    /// `toolConfig`: `{"tools":[{"toolSpec":{"name","description","inputSchema":{"json":{...}}}}],
    /// "toolChoice":{"auto":{}}|{"any":{}}|{"tool":{"name":...}}}`.
    private static func toolOffer(_ body: RequestFields) throws(FieldProblem) -> ToolOffer? {
        guard let config = try body.object("toolConfig") else { return nil }
        var tools: [ToolOffer.Tool] = []
        for (i, item) in (try config.array("tools", required: true) ?? []).enumerated() {
            let entry = RequestFields(item, path: config.childPath("tools"), index: i)
            guard let spec = try entry.object("toolSpec") else { continue }  // cachePoint entries
            let name = try spec.string("name", required: true)!
            let schema = try spec.object("inputSchema", required: true)?.value("json")?.materialize() ?? .object(JSONObject())
            tools.append(ToolOffer.Tool(name: name, description: try spec.string("description") ?? "", schema: schema))
        }
        var choice = ToolOffer.Choice.auto
        if let raw = try config.object("toolChoice") {
            if raw.contains("any") {
                choice = .required
            } else if let tool = try raw.object("tool") {
                let name = try tool.string("name", required: true)!
                guard tools.contains(where: { $0.name == name }) else {
                    throw .invalidValue(path: "toolConfig.toolChoice.tool.name",
                                        message: "The provided toolChoice name \(name) is not among the tools provided.", code: "")
                }
                choice = .named(name)
            }
        }
        return ToolOffer(tools: tools, choice: choice, parallel: true)
    }

    /// The conversation with `system` first, as the script's rules see it.
    var conversation: [ChatMessage] {
        guard let system else { return messages }
        return [ChatMessage(role: "system", text: system)] + messages
    }

    func matchInput(prompt: String, _ http: HTTPRequest) -> MatchInput {
        MatchInput(prompt: prompt, model: model, messages: conversation, hasTools: toolOffer != nil, headers: http.headers,
                   endpoint: http.path, provider: Bedrock.metadata.name, tools: toolOffer)
    }
}
