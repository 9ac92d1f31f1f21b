import Foundation
import MockLLMCore

/// A response body with placeholders, for declarative providers: `{"response": {{text}}}`.
///
/// `{{name}}` writes the value as JSON (a string quoted and escaped, a number as digits, a
/// missing value as `null`), so a template is ordinary JSON around its placeholders;
/// `{{name.raw}}` writes a string's text as it is, for bodies that are not JSON. Which names a
/// template may use depends on what it renders (`BodyTemplate.replyNames`, ...).
package struct BodyTemplate: Sendable, Equatable {
    package enum Part: Sendable, Equatable {
        case literal([UInt8])
        case value(String, raw: Bool)
    }

    /// A value a placeholder stands for.
    package enum Value: Sendable, Equatable {
        case string(String)
        case number(Int)
        case null
    }

    package let parts: [Part]

    /// Names every reply template may use.
    package static let replyNames = ["text", "model", "id", "created", "prompt_tokens", "completion_tokens", "total_tokens",
                                     "finish_reason", "prompt"]
    /// Names a stream event may use: the reply's, plus the chunk and its index.
    package static let chunkNames = replyNames + ["chunk", "index"]
    /// Names an error body may use.
    package static let errorNames = ["status", "message", "type", "code", "param"]

    /// Fails with the first unknown placeholder's name or an unclosed `{{`.
    package init(_ text: String, names: [String]) throws(BodyTemplateError) {
        var parts: [Part] = []
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else {
                throw BodyTemplateError(message: "'{{' is not closed with '}}'")
            }
            if open.lowerBound > rest.startIndex { parts.append(.literal(Array(rest[..<open.lowerBound].utf8))) }
            var name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            let raw = name.hasSuffix(".raw")
            if raw { name.removeLast(4) }
            guard names.contains(name) else {
                throw BodyTemplateError(message: "unknown placeholder '{{\(name)}}' (known: \(names.joined(separator: ", ")))")
            }
            parts.append(.value(name, raw: raw))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.literal(Array(rest.utf8))) }
        self.parts = parts
    }

    /// Whether the template uses `name`.
    package func uses(_ name: String) -> Bool {
        parts.contains { if case .value(name, _) = $0 { true } else { false } }
    }

    /// Writes the body, asking `value` for each placeholder's value.
    package func render(into out: inout ByteBuffer, _ value: (String) -> Value) {
        for part in parts {
            switch part {
            case .literal(let bytes):
                out.append(contentsOf: bytes)
            case .value(let name, let raw):
                switch value(name) {
                case .string(let text): if raw { out.append(utf8: text) } else { out.append(jsonString: text) }
                case .number(let n): out.append(decimal: n)
                case .null: if !raw { out.append(ascii: "null") }
                }
            }
        }
    }
}

package struct BodyTemplateError: Error, Sendable {
    package var message: String
}
