import MockLLMCore

/// The `input` of a Responses request: a string (one user message) or a list of items. The
/// mock reads messages (`{"role","content"}`, with or without `"type":"message"`), `function_call`
/// items sent back from an earlier output and `function_call_output` items; other item types
/// (`reasoning`, `item_reference`, hosted tool calls, ...) are accepted and not used.
extension OpenAIResponsesRequest {
    static let roles = ["user", "assistant", "system", "developer"]

    static func input(_ value: JSONNode) throws(FieldProblem) -> [OpenAIResponseItem]? {
        if value.isNull { return nil }
        if let text = value.string { return [.message(id: nil, role: "user", text: text)] }
        guard value.isArray else {
            throw .wrongType(path: "input", expected: "a string or an array", found: value.kindDescription)
        }
        var items: [OpenAIResponseItem] = []
        items.reserveCapacity(value.count)
        try value.forEachElement { (i, raw) throws(FieldProblem) in
            if let item = try Self.item(raw, index: i) { items.append(item) }
        }
        return items
    }

    private static func item(_ raw: JSONNode, index: Int) throws(FieldProblem) -> OpenAIResponseItem? {
        let item = RequestFields(raw, path: "input", index: index)
        guard raw.isObject else { throw .wrongType(path: item.path, expected: "an object", found: raw.kindDescription) }
        let id = try item.string("id")
        switch try item.string("type") {
        case nil, "message":
            let role = try item.string("role", required: true)!
            guard roles.contains(role) else { throw OpenAIChatRequest.invalidValue(role, allowed: roles, path: item.childPath("role")) }
            guard let content = item.value("content") else { throw .missing(path: item.childPath("content")) }
            return .message(id: id, role: role, text: try text(of: content, at: item.childPath("content")))
        case "function_call":
            return .functionCall(
                id: id, callID: try item.string("call_id", required: true)!, name: try item.string("name", required: true)!,
                arguments: try item.string("arguments", required: true)!)
        case "function_call_output":
            let callID = try item.string("call_id", required: true)!
            guard let output = item.value("output") else { throw .missing(path: item.childPath("output")) }
            return .functionCallOutput(id: id, callID: callID, output: try text(of: output, at: item.childPath("output")))
        default:
            return nil
        }
    }

    /// A string, or content parts whose text (`input_text`, `output_text`, `refusal`) is joined
    /// with newlines; images, files and audio are accepted and carry no text.
    private static func text(of content: JSONNode, at path: String) throws(FieldProblem) -> String {
        if let s = content.string { return s }
        guard content.isArray else {
            throw .wrongType(path: path, expected: "a string or an array of content parts", found: content.kindDescription)
        }
        var texts: [String] = []
        try content.forEachElement { (i, raw) throws(FieldProblem) in
            let part = RequestFields(raw, path: path, index: i)
            guard raw.isObject else { throw .wrongType(path: part.path, expected: "an object", found: raw.kindDescription) }
            switch try part.string("type", required: true)! {
            case "input_text", "output_text": texts.append(try part.string("text", required: true)!)
            case "refusal": texts.append(try part.string("refusal", required: true)!)
            default: break
            }
        }
        return texts.joined(separator: "\n")
    }
}
