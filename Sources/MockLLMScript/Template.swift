import Foundation

/// Reply text with placeholders: `{{prompt}}`, `{{model}}`, `{{count}}` (how many times the rule
/// has answered, from 1), `{{turn}}` (user messages so far), `{{1}}`...`{{9}}` (the prompt
/// regex's capture groups). Text without placeholders is stored with its token count.
package struct Template: Sendable, Equatable {
    package enum Part: Sendable, Equatable {
        case literal(String)
        case prompt, model, count, turn
        case capture(Int)
    }

    package let parts: [Part]
    /// The reply when the template has no placeholders.
    package let fixed: ScriptReply?

    package static let placeholders = ["prompt", "model", "count", "turn", "1...9"]

    /// Fails with the unknown placeholder's name.
    package init(_ text: String) throws(TemplateError) {
        var parts: [Part] = []
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else { break }
            if open.lowerBound > rest.startIndex { parts.append(.literal(String(rest[..<open.lowerBound]))) }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            switch name {
            case "prompt": parts.append(.prompt)
            case "model": parts.append(.model)
            case "count": parts.append(.count)
            case "turn": parts.append(.turn)
            default:
                guard name.count == 1, let n = Int(name), n >= 1 else { throw TemplateError(placeholder: name) }
                parts.append(.capture(n))
            }
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.literal(String(rest))) }
        self.parts = parts
        let isFixed = parts.allSatisfy { if case .literal = $0 { true } else { false } }
        fixed = isFixed ? ScriptReply(text) : nil
    }

    package struct Values: Sendable {
        package var prompt: String
        package var model: String
        package var count: Int
        package var turn: Int
        package var captures: [String]
    }

    package func render(_ values: Values) -> ScriptReply {
        if let fixed { return fixed }
        var text = ""
        for part in parts {
            switch part {
            case .literal(let s): text += s
            case .prompt: text += values.prompt
            case .model: text += values.model
            case .count: text += String(values.count)
            case .turn: text += String(values.turn)
            case .capture(let n): text += n <= values.captures.count ? values.captures[n - 1] : ""
            }
        }
        return ScriptReply(text)
    }
}

package struct TemplateError: Error, Sendable {
    package var placeholder: String
}
