import MockLLMCore
import MockLLMScript

/// The tool-calling and structured-output members of a Responses request: `tools` (function
/// tools in the flat shape, `{"type":"function","name","description","parameters","strict"}`),
/// `tool_choice`, and `text.format`.
extension OpenAIResponsesRequest {
    /// The function tools offered, and every tool as the response echoes it (function tools with
    /// each member filled in, `strict` true unless sent; hosted tools as sent).
    static func tools(_ list: JSONNode) throws(FieldProblem) -> (functions: [ToolOffer.Tool], echo: [JSONValue]) {
        var functions: [ToolOffer.Tool] = []
        var echo: [JSONValue] = []
        try list.forEachElement { (i, raw) throws(FieldProblem) in
            let tool = RequestFields(raw, path: "tools", index: i)
            guard raw.isObject else { throw .wrongType(path: tool.path, expected: "an object", found: raw.kindDescription) }
            guard try tool.string("type", required: true) == "function" else {
                echo.append(raw.materialize())
                return
            }
            let name = try tool.string("name", required: true)!
            guard !name.isEmpty, name.utf8.count <= 64, name.utf8.allSatisfy(isNameByte) else {
                throw .invalidValue(
                    path: tool.childPath("name"),
                    message: "Invalid '\(tool.childPath("name"))': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                    code: "invalid_value")
            }
            let description = try tool.string("description")
            let parameters = try tool.object("parameters")?.node.materialize()
            let strict = try tool.bool("strict") ?? true
            functions.append(ToolOffer.Tool(name: name, description: description ?? "", schema: parameters ?? .object(JSONObject())))
            echo.append(.object(JSONObject([
                .init(key: "type", value: .string("function")),
                .init(key: "description", value: description.map(JSONValue.string) ?? .null),
                .init(key: "name", value: .string(name)),
                .init(key: "parameters", value: parameters ?? .null),
                .init(key: "strict", value: .bool(strict)),
            ])))
        }
        return (functions, echo)
    }

    /// `[a-zA-Z0-9_-]`, the bytes of a function or schema name.
    static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == 0x5F || b == 0x2D
    }

    /// `tool_choice`: `none`, `auto`, `required`, or `{"type":"function","name"}` naming an
    /// offered function; other objects (`allowed_tools`, hosted tools) are accepted as `auto`.
    static func toolChoice(_ value: JSONNode, functions: [ToolOffer.Tool]) throws(FieldProblem) -> (ToolOffer.Choice?, JSONValue) {
        if let text = value.string {
            switch text {
            case "none": return (ToolOffer.Choice.none, .string(text))
            case "auto": return (.auto, .string(text))
            case "required": return (.required, .string(text))
            default: throw OpenAIChatRequest.invalidValue(text, allowed: ["none", "auto", "required"], path: "tool_choice")
            }
        }
        guard value.isObject else {
            throw .wrongType(path: "tool_choice", expected: "a string or an object", found: value.kindDescription)
        }
        let choice = RequestFields(value, path: "tool_choice")
        guard try choice.string("type", required: true) == "function" else { return (.auto, value.materialize()) }
        let name = try choice.string("name", required: true)!
        guard functions.contains(where: { $0.name == name }) else {
            throw .invalidValue(path: "tool_choice", message: "Tool choice 'function' not found in 'tools' parameter.", code: "invalid_value")
        }
        return (.named(name), .object(JSONObject([.init(key: "type", value: .string("function")), .init(key: "name", value: .string(name))])))
    }

    /// `text`: its `format` (`text`, `json_object`, or `json_schema` with `name` and `schema`)
    /// and `verbosity`.
    static func text(_ text: RequestFields) throws(FieldProblem) -> (TextFormat, String) {
        var verbosity = "medium"
        if let value = text.value("verbosity") { verbosity = try oneOf(["low", "medium", "high"], text, value, "verbosity") ?? verbosity }
        guard let format = try text.object("format") else { return (.text, verbosity) }
        let type = try format.string("type", required: true)!
        switch type {
        case "text":
            return (.text, verbosity)
        case "json_object":
            return (.jsonObject, verbosity)
        case "json_schema":
            let name = try format.string("name", required: true)!
            guard !name.isEmpty, name.utf8.count <= 64, name.utf8.allSatisfy(isNameByte) else {
                throw .invalidValue(
                    path: format.childPath("name"),
                    message: "Invalid '\(format.childPath("name"))': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                    code: "invalid_value")
            }
            guard let schema = try format.object("schema", required: true) else { throw .missing(path: format.childPath("schema")) }
            return (.jsonSchema(name: name, schema: schema.node.materialize(), description: try format.string("description"),
                                strict: try format.bool("strict")), verbosity)
        default:
            throw OpenAIChatRequest.invalidValue(type, allowed: ["text", "json_object", "json_schema"], path: format.childPath("type"))
        }
    }
}
