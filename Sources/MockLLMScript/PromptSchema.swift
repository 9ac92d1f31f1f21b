import MockLLMCore
import MockLLMSimulation

/// JSON written inside a conversation's text: the JSON Schema that instructor's JSON modes (and
/// similar tools) put into the system or user message when they ask for JSON, and the JSON objects
/// tool results carry. Pure; bounded however long or odd the text.
package enum EmbeddedJSON {
    /// At most this many bytes of a text are looked at, this many `{` tried and objects kept.
    static let maxBytes = 256 * 1024, maxStarts = 64, maxObjects = 16
    /// A schema is looked for in the last this many messages that have a `{`.
    static let maxMessages = 16

    /// The JSON objects written in `text`, in order (an object inside another is not listed apart).
    package static func objects(in text: String) -> [JSONValue] {
        var objects: [JSONValue] = []
        let utf8 = Array(text.utf8.prefix(maxBytes))
        var i = 0
        var starts = 0
        while i < utf8.count, objects.count < maxObjects, starts < maxStarts {
            guard utf8[i] == UInt8(ascii: "{") else {
                i += 1
                continue
            }
            starts += 1
            if let end = balancedEnd(utf8, from: i), let value = try? JSONReader.parse(Array(utf8[i...end])), case .object = value {
                objects.append(value)
                i = end + 1
            } else {
                i += 1
            }
        }
        return objects
    }

    /// The index of the `}` closing the `{` at `start`, skipping strings; nil when it is not closed.
    static func balancedEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var depth = 0
        var inString = false
        var escaped = false
        var i = start
        while i < bytes.count {
            let b = bytes[i]
            if inString {
                if escaped {
                    escaped = false
                } else if b == UInt8(ascii: "\\") {
                    escaped = true
                } else if b == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if b == UInt8(ascii: "\"") {
                inString = true
            } else if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") {
                depth += 1
            } else if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") {
                depth -= 1
                if depth == 0 { return b == UInt8(ascii: "}") ? i : nil }
                if depth < 0 { return nil }
            }
            i += 1
        }
        return nil
    }

    /// Whether `value` reads as a JSON Schema of a value to write: an object schema with
    /// `properties`, an array schema with `items`, or a `$ref` into its own `$defs`/`definitions`.
    package static func isSchema(_ value: JSONValue) -> Bool {
        guard let s = value.objectValue else { return false }
        if s["properties"]?.objectValue != nil { return true }
        if s["items"] != nil, s["type"] == .string("array") { return true }
        if s["$ref"]?.stringValue != nil, s["$defs"] != nil || s["definitions"] != nil { return true }
        return false
    }

    /// The JSON Schema the conversation carries, for a request that wants JSON but gives no
    /// schema of its own: the last one written in a system, developer or user message (tool
    /// results and the model's own turns are not read). With `mentionRequired`, only when those
    /// messages also say "JSON" (a request that asks for JSON in words, not by a format).
    package static func promptSchema(in messages: [ChatMessage], mentionRequired: Bool) -> JSONValue? {
        func readable(_ m: ChatMessage) -> Bool {
            (m.role == "system" || m.role == "developer" || m.role == "user") && m.toolResults.isEmpty
        }
        func braced(_ m: ChatMessage) -> Bool { readable(m) && m.text.utf8.contains(UInt8(ascii: "{")) }
        // A plain chat (no brace anywhere) is settled by one byte scan, without allocating.
        guard messages.contains(where: braced) else { return nil }
        if mentionRequired && !messages.contains(where: { readable($0) && mentionsJSON($0.text) }) { return nil }
        for message in messages.reversed().lazy.filter(braced).prefix(maxMessages) {
            if let schema = objects(in: message.text).last(where: isSchema) { return schema }
        }
        return nil
    }

    /// Whether `text` says "json" in any case.
    static func mentionsJSON(_ text: String) -> Bool {
        let bytes = Array(text.utf8.prefix(maxBytes))
        guard bytes.count >= 4 else { return false }
        for i in 0...(bytes.count - 4) {
            if bytes[i] | 0x20 == UInt8(ascii: "j"), bytes[i + 1] | 0x20 == UInt8(ascii: "s"),
               bytes[i + 2] | 0x20 == UInt8(ascii: "o"), bytes[i + 3] | 0x20 == UInt8(ascii: "n") {
                return true
            }
        }
        return false
    }
}
