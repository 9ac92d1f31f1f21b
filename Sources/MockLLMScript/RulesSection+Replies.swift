import MockLLMCore
import Yams

/// A rule's reply: text (a string with placeholders), or a mapping with `text`, `tool_calls`
/// (a list of calls, or `auto`) and `json`, or `blocks` (text, tool calls and JSON in order).
extension RulesSection {
    static let replyKeys = ["text", "tool_calls", "json", "blocks"]
    static let toolCallKeys = ["name", "arguments", "id"]

    static func replyTemplate(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> ReplyTemplate? {
        guard case .mapping(let mapping) = node else {
            return template(node, what, &reader).map { .text($0) }
        }
        reader.checkKeys(mapping, known: replyKeys, in: what)
        if let blocksNode = mapping["blocks"] {
            if let other = ["text", "tool_calls", "json"].first(where: { mapping[$0] != nil }) {
                reader.error("\(what) has both blocks and \(other); put the \(other) in blocks", at: node)
                return nil
            }
            return blocks(blocksNode, ScriptReader.path(what, "blocks"), &reader).map { .rich(blocks: $0, autoTools: false) }
        }
        var blocks: [ReplyTemplate.Block] = []
        var autoTools = false
        var failed = false
        if let n = mapping["text"] {
            if let t = template(n, ScriptReader.path(what, "text"), &reader) { blocks.append(.text(t)) } else { failed = true }
        }
        if let n = mapping["json"] {
            if mapping["text"] != nil {
                reader.error("\(what) has both text and json; the json is the reply's text", at: n)
                failed = true
            } else if let value = jsonValue(n, ScriptReader.path(what, "json"), &reader) {
                blocks.append(.json(value.jsonText))
            } else {
                failed = true
            }
        }
        if let n = mapping["tool_calls"] {
            let at = ScriptReader.path(what, "tool_calls")
            if case .scalar = n, n.string == "auto" {
                autoTools = true
            } else if case .sequence(let items) = n, !items.isEmpty {
                for (i, item) in items.enumerated() {
                    if let call = toolCall(item, "\(at.dropLast())[\(i)]'", &reader) { blocks.append(.toolCall(call)) } else { failed = true }
                }
            } else {
                reader.error("\(at) must be a non-empty list of tool calls, or auto", at: n)
                failed = true
            }
        }
        if failed { return nil }
        if blocks.isEmpty && !autoTools {
            reader.error("\(what) needs text, tool_calls, json or blocks", at: node)
            return nil
        }
        return .rich(blocks: blocks, autoTools: autoTools)
    }

    private static func blocks(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> [ReplyTemplate.Block]? {
        guard case .sequence(let items) = node, !items.isEmpty else {
            reader.error("\(what) must be a non-empty list of blocks", at: node)
            return nil
        }
        var blocks: [ReplyTemplate.Block] = []
        for (i, item) in items.enumerated() {
            let at = "\(what.dropLast())[\(i)]'"
            guard let mapping = reader.mapping(item, at) else { return nil }
            reader.checkKeys(mapping, known: ["text", "tool_call", "json"], in: at)
            let given = ["text", "tool_call", "json"].filter { mapping[$0] != nil }
            guard given.count == 1 else {
                reader.error("\(at) needs exactly one of text, tool_call or json", at: item)
                return nil
            }
            let value = mapping[given[0]]!
            let path = ScriptReader.path(at, given[0])
            switch given[0] {
            case "text":
                guard let t = template(value, path, &reader) else { return nil }
                blocks.append(.text(t))
            case "json":
                guard let v = jsonValue(value, path, &reader) else { return nil }
                blocks.append(.json(v.jsonText))
            default:
                guard let call = toolCall(value, path, &reader) else { return nil }
                blocks.append(.toolCall(call))
            }
        }
        return blocks
    }

    /// `{name, arguments, id}`: arguments a mapping, or a JSON object as a string.
    private static func toolCall(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> ToolCall? {
        guard let mapping = reader.mapping(node, what) else { return nil }
        reader.checkKeys(mapping, known: toolCallKeys, in: what)
        guard let nameNode = mapping["name"] else {
            reader.error("\(what) needs a name", at: node)
            return nil
        }
        guard let name = nonEmptyText(nameNode, ScriptReader.path(what, "name"), &reader) else { return nil }
        var call = ToolCall(name: name)
        if let n = mapping["id"] {
            guard let id = nonEmptyText(n, ScriptReader.path(what, "id"), &reader) else { return nil }
            call.id = id
        }
        if let n = mapping["arguments"] {
            let at = ScriptReader.path(what, "arguments")
            if case .mapping = n {
                guard let value = jsonValue(n, at, &reader) else { return nil }
                call.arguments = value.spacedJSONText
            } else if case .scalar(let scalar) = n, n.null == nil {
                guard let parsed = try? JSONReader.parse(Array(scalar.string.utf8)), case .object = parsed else {
                    reader.error("\(at) must be a mapping or a JSON object as text, found '\(scalar.string)'", at: n)
                    return nil
                }
                call.arguments = parsed.spacedJSONText
            } else if n.null == nil {
                reader.error("\(at) must be a mapping or a JSON object as text, found \(reader.describe(n))", at: n)
                return nil
            }
        }
        return call
    }

    private static func nonEmptyText(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> String? {
        guard let text = reader.text(node, what) else { return nil }
        if text.isEmpty { reader.error("\(what) must not be empty", at: node) }
        return text.isEmpty ? nil : text
    }

    /// A YAML value as JSON: mappings (text keys) as objects, lists as arrays, plain scalars
    /// typed as YAML types them (null, booleans, numbers), everything else as strings.
    static func jsonValue(_ node: Node, _ what: String, _ reader: inout ScriptReader, depth: Int = 0) -> JSONValue? {
        guard depth < 64 else {
            reader.error("\(what) is nested too deeply", at: node)
            return nil
        }
        switch node {
        case .mapping(let mapping):
            var members: [JSONObject.Member] = []
            for (k, v) in mapping {
                guard let key = reader.text(k, "a key in \(what)") else { return nil }
                guard let value = jsonValue(v, ScriptReader.path(what, key), &reader, depth: depth + 1) else { return nil }
                members.append(JSONObject.Member(key: key, value: value))
            }
            return .object(JSONObject(members))
        case .sequence(let items):
            var values: [JSONValue] = []
            for (i, item) in items.enumerated() {
                guard let value = jsonValue(item, "\(what)[\(i)]", &reader, depth: depth + 1) else { return nil }
                values.append(value)
            }
            return .array(values)
        case .scalar(let scalar):
            if scalar.style != .plain { return .string(scalar.string) }
            if node.null != nil { return .null }
            if let b = node.bool { return .bool(b) }
            if let i = node.int { return .number(Double(i)) }
            if let d = node.float, d.isFinite { return .number(d) }
            return .string(scalar.string)
        case .alias:
            reader.error("\(what) cannot use a YAML alias", at: node)
            return nil
        }
    }
}
