import MockLLMCore
import MockLLMScript

/// The tool-calling and structured-output members of a chat completion request: `tools`,
/// `tool_choice`, the legacy `functions` and `function_call`, `response_format`, and the tool
/// parts of messages (an assistant's `tool_calls`, a `tool` message's `tool_call_id`).
extension OpenAIChatRequest {
    /// `tools`: `{"type":"function","function":{"name","description","parameters","strict"}}`.
    /// Other tool types (`custom`) are accepted and not offered to automatic calls.
    static func tools(_ body: RequestFields, _ list: JSONNode) throws(FieldProblem) -> [ToolOffer.Tool] {
        var tools: [ToolOffer.Tool] = []
        try list.forEachElement { (i, item) throws(FieldProblem) in
            let tool = RequestFields(item, path: "tools", index: i)
            guard item.isObject else { throw .wrongType(path: tool.path, expected: "an object", found: item.kindDescription) }
            let type = try tool.string("type", required: true)!
            guard type == "function" else {
                if type == "custom" { return }
                throw .invalidValue(
                    path: tool.childPath("type"), message: "Invalid value: '\(type)'. Supported values are: 'function' and 'custom'.",
                    code: "invalid_value")
            }
            guard let function = try tool.object("function", required: true) else { return }
            tools.append(try Self.function(function))
        }
        return tools
    }

    /// `functions` (legacy): `{"name","description","parameters"}`.
    static func functions(_ list: JSONNode) throws(FieldProblem) -> [ToolOffer.Tool] {
        var tools: [ToolOffer.Tool] = []
        try list.forEachElement { (i, item) throws(FieldProblem) in
            let function = RequestFields(item, path: "functions", index: i)
            guard item.isObject else { throw .wrongType(path: function.path, expected: "an object", found: item.kindDescription) }
            tools.append(try Self.function(function))
        }
        return tools
    }

    private static func function(_ function: RequestFields) throws(FieldProblem) -> ToolOffer.Tool {
        let name = try function.string("name", required: true)!
        guard !name.isEmpty, name.utf8.count <= 64,
              name.utf8.allSatisfy(Self.isNameByte) else {
            throw .invalidValue(
                path: function.childPath("name"),
                message: "Invalid '\(function.childPath("name"))': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                code: "invalid_value")
        }
        let description = try function.string("description") ?? ""
        let parameters = try function.object("parameters")
        _ = try function.bool("strict")
        return ToolOffer.Tool(name: name, description: description, schema: parameters?.node.materialize() ?? .object(JSONObject()))
    }

    /// `[a-zA-Z0-9_-]`, the bytes of a function name.
    private static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == 0x5F || b == 0x2D
    }

    /// `tool_choice`: `none`, `auto`, `required`, or `{"type":"function","function":{"name"}}`;
    /// the legacy `function_call`: `none`, `auto`, or `{"name"}`.
    static func toolChoice(_ body: RequestFields, _ value: JSONNode, legacy: Bool) throws(FieldProblem) -> ToolOffer.Choice {
        let key = legacy ? "function_call" : "tool_choice"
        if let text = value.string {
            switch text {
            case "none": return .none
            case "auto": return .auto
            case "required" where !legacy: return .required
            default:
                throw invalidValue(text, allowed: legacy ? ["none", "auto"] : ["none", "auto", "required"], path: key)
            }
        }
        guard value.isObject else {
            throw .wrongType(path: key, expected: "a string or an object", found: value.kindDescription)
        }
        let choice = RequestFields(value, path: key)
        if legacy { return .named(try choice.string("name", required: true)!) }
        let type = try choice.string("type", required: true)!
        guard type == "function" else {
            throw .invalidValue(path: choice.childPath("type"), message: "Invalid value: '\(type)'. Supported values are: 'function'.", code: "invalid_value")
        }
        guard let function = try choice.object("function", required: true) else { return .auto }
        return .named(try function.string("name", required: true)!)
    }

    /// `response_format`: `text`, `json_object`, or `json_schema` with `json_schema.name` and `.schema`.
    static func responseFormat(_ body: RequestFields, _ value: JSONNode) throws(FieldProblem) -> ResponseFormat? {
        guard let format = try body.object(value, "response_format") else { return nil }
        let type = try format.string("type", required: true)!
        switch type {
        case "text":
            return nil
        case "json_object":
            return .jsonObject
        case "json_schema":
            guard let spec = try format.object("json_schema", required: true) else { return nil }
            _ = try spec.string("name", required: true)
            return .jsonSchema(try spec.object("schema")?.node.materialize() ?? .object(JSONObject()))
        default:
            throw .invalidValue(
                path: format.childPath("type"),
                message: "Invalid value: '\(type)'. Supported values are: 'text', 'json_object', and 'json_schema'.", code: "invalid_value")
        }
    }

    /// The offer automatic calls choose from, checked against `tool_choice` as the API checks it.
    static func offer(tools: [ToolOffer.Tool]?, functions: [ToolOffer.Tool]?, toolChoice: ToolOffer.Choice?,
                      functionCall: ToolOffer.Choice?) throws(FieldProblem) -> (offer: ToolOffer?, legacy: Bool) {
        let legacy = tools == nil && functions != nil
        let offered = tools ?? functions
        let choice = legacy ? functionCall : toolChoice
        let key = legacy ? "function_call" : "tool_choice"
        guard let offered else {
            if toolChoice != nil {
                throw .invalidValue(
                    path: "tool_choice", message: "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
                    code: "invalid_value")
            }
            return (nil, false)
        }
        if case .named(let name) = choice, !offered.contains(where: { $0.name == name }) {
            throw .invalidValue(
                path: key, message: "Invalid value for '\(key)': no function named '\(name)' was specified in the '\(legacy ? "functions" : "tools")' parameter.",
                code: "invalid_value")
        }
        return (ToolOffer(tools: offered, choice: choice ?? .auto), legacy)
    }

    /// An assistant message's `tool_calls` (or legacy `function_call`), as id and name.
    static func toolCalls(in message: RequestFields) throws(FieldProblem) -> [(id: String, name: String)] {
        var calls: [(id: String, name: String)] = []
        if let list = try message.array("tool_calls") {
            for (i, item) in list.enumerated() {
                let call = RequestFields(item, path: message.childPath("tool_calls"), index: i)
                guard item.isObject else { throw .wrongType(path: call.path, expected: "an object", found: item.kindDescription) }
                let id = try call.string("id", required: true)!
                let name = try call.object("function", required: true)?.string("name", required: true) ?? ""
                calls.append((id, name))
            }
        }
        if let function = try message.object("function_call"), let name = try function.string("name", required: true) {
            calls.append(("", name))
        }
        return calls
    }
}
