import MockLLMCore
import MockLLMScript

/// The tool-use members of a Messages request: `tools`, `tool_choice`, `output_config.format`,
/// and the `tool_use` / `tool_result` blocks of messages.
extension AnthropicRequest {
    /// Custom tools (`{"name","description","input_schema"}`); server tools (`web_search_...`,
    /// with a versioned `type`) are accepted and not offered to automatic calls.
    static func tools(_ body: RequestFields) throws(FieldProblem) -> [ToolOffer.Tool]? {
        guard let list = try body.array("tools") else { return nil }
        var tools: [ToolOffer.Tool] = []
        for (i, item) in list.enumerated() {
            let tool = RequestFields(item, path: "tools", index: i)
            guard item.isObject else { throw .wrongType(path: tool.path, expected: "an object", found: item.kindDescription) }
            let type = try tool.string("type") ?? "custom"
            let name = try tool.string("name", required: true)!
            guard type == "custom" else { continue }
            guard let schema = try tool.object("input_schema", required: true) else { continue }
            tools.append(ToolOffer.Tool(name: name, description: try tool.string("description") ?? "", schema: schema.node.materialize()))
        }
        return tools
    }

    /// `tool_choice`: `{"type":"auto"|"any"|"tool"|"none"}`, `name` with `tool`.
    static func toolChoice(_ body: RequestFields, tools: [ToolOffer.Tool]?) throws(FieldProblem) -> ToolOffer.Choice {
        guard let choice = try body.object("tool_choice") else { return .auto }
        let type = try choice.string("type", required: true)!
        _ = try choice.bool("disable_parallel_tool_use")
        switch type {
        case "auto": return .auto
        case "any": return .required
        case "none": return .none
        case "tool":
            let name = try choice.string("name", required: true)!
            guard tools?.contains(where: { $0.name == name }) ?? false else {
                throw .invalidValue(path: "tool_choice.name", message: "Tool '\(name)' not found in provided tools", code: "")
            }
            return .named(name)
        default:
            throw .invalidValue(
                path: "tool_choice.type",
                message: "tool_choice: Input tag '\(type)' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'",
                code: "")
        }
    }

    /// False when `tool_choice.disable_parallel_tool_use` is true: one tool call per reply.
    static func parallelToolUse(_ body: RequestFields) throws(FieldProblem) -> Bool {
        guard let choice = try body.object("tool_choice") else { return true }
        return try choice.bool("disable_parallel_tool_use") != true
    }

    /// `output_config.format`: `{"type":"json_schema","schema":{...}}`; or the same object as the
    /// top-level `output_format` of the structured-outputs beta, which clients such as LiteLLM
    /// still send. Both at once are refused.
    static func outputFormat(_ body: RequestFields) throws(FieldProblem) -> ResponseFormat? {
        let configured = try body.object("output_config").flatMap { (config) throws(FieldProblem) in try config.object("format") }
        let beta = try body.object("output_format")
        if configured != nil && beta != nil {
            throw .invalidValue(
                path: "output_format", message: "output_format: cannot be given together with output_config.format; use output_config.format",
                code: "")
        }
        guard let format = configured ?? beta else { return nil }
        let path = configured != nil ? "output_config.format" : "output_format"
        let type = try format.string("type", required: true)!
        guard type == "json_schema" else {
            throw .invalidValue(path: "\(path).type", message: "\(path).type: Input should be 'json_schema'", code: "")
        }
        return .jsonSchema(try format.object("schema", required: true)?.node.materialize() ?? .object(JSONObject()))
    }

    /// The `tool_use` blocks (id and name) and `tool_result` blocks (id and text) of a message's content.
    static func toolParts(of content: JSONNode, in message: RequestFields)
        throws(FieldProblem) -> (calls: [(id: String, name: String)], results: [ChatMessage.ToolResult]) {
        var calls: [(id: String, name: String)] = []
        var results: [ChatMessage.ToolResult] = []
        guard content.isArray else { return (calls, results) }
        let contentPath = message.childPath("content")
        try content.forEachElement { (i, block) throws(FieldProblem) in
            let fields = RequestFields(block, path: contentPath, index: i)
            switch try fields.string("type") {
            case "tool_use":
                calls.append((try fields.string("id", required: true)!, try fields.string("name", required: true)!))
            case "tool_result":
                let id = try fields.string("tool_use_id", required: true)!
                let text = try fields.value("content").map { (c) throws(FieldProblem) in try Self.text(of: c, path: "content", in: fields) } ?? ""
                results.append(ChatMessage.ToolResult(callID: id, text: text))
            default:
                break
            }
        }
        return (calls, results)
    }
}
