import Foundation

/// How a rule compares a piece of text (the prompt, the system prompt, a header).
package struct TextMatch: Sendable, CustomStringConvertible {
    package enum Kind: String, Sendable {
        case exact, contains, prefix, regex
    }

    package let kind: Kind
    package let pattern: String
    package let ignoreCase: Bool
    private let regex: NSRegularExpression?

    /// Fails (with the reason) only for a regex that does not compile.
    package init(_ kind: Kind, _ pattern: String, ignoreCase: Bool = false) throws(TextMatchError) {
        self.kind = kind
        self.pattern = pattern
        self.ignoreCase = ignoreCase
        if kind == .regex {
            do {
                regex = try NSRegularExpression(pattern: pattern, options: ignoreCase ? [.caseInsensitive] : [])
            } catch {
                throw TextMatchError(reason: "invalid regular expression '\(pattern)'")
            }
        } else {
            regex = nil
        }
    }

    /// Whether `text` matches; for a regex, its capture groups (1...) as well.
    package func match(_ text: String) -> (matched: Bool, captures: [String]) {
        switch kind {
        case .exact:
            return (ignoreCase ? text.caseInsensitiveCompare(pattern) == .orderedSame : text == pattern, [])
        case .contains:
            return (ignoreCase ? text.range(of: pattern, options: .caseInsensitive) != nil : text.contains(pattern), [])
        case .prefix:
            return (ignoreCase ? text.lowercased().hasPrefix(pattern.lowercased()) : text.hasPrefix(pattern), [])
        case .regex:
            guard let regex, let m = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else {
                return (false, [])
            }
            let captures = (0..<m.numberOfRanges).dropFirst().map { i in
                Range(m.range(at: i), in: text).map { String(text[$0]) } ?? ""
            }
            return (true, captures)
        }
    }

    package var description: String {
        let what: String = switch kind {
        case .exact: "exactly"
        case .contains: "containing"
        case .prefix: "starting with"
        case .regex: "matching /\(pattern)/"
        }
        let quoted = kind == .regex ? "" : " \"\(pattern)\""
        return "\(what)\(quoted)\(ignoreCase ? " (ignoring case)" : "")"
    }
}

package struct TextMatchError: Error, Sendable {
    package var reason: String
}
