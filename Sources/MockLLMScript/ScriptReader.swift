import MockLLMCore
import Yams

/// Reads typed values out of YAML nodes, collecting located diagnostics instead of stopping
/// at the first problem, so `validate` can report every mistake in one run.
struct ScriptReader {
    let file: String
    private(set) var diagnostics: [ScriptDiagnostic] = []

    init(file: String) {
        self.file = file
    }

    var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    mutating func error(_ message: String, at node: Node?) {
        report(.error, message, at: node?.mark)
    }

    mutating func warning(_ message: String, at node: Node?) {
        report(.warning, message, at: node?.mark)
    }

    mutating func report(_ severity: ScriptDiagnostic.Severity, _ message: String, at mark: Mark?) {
        diagnostics.append(ScriptDiagnostic(severity, file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, message: message))
    }

    /// Takes the diagnostics of another file read for this one (a profile file an `engines:`
    /// entry names), located in that file.
    mutating func absorb(_ other: [ScriptDiagnostic]) {
        diagnostics += other
    }

    /// The mapping in `node`, or an error naming `what` was expected.
    mutating func mapping(_ node: Node, _ what: String) -> Node.Mapping? {
        if case .mapping(let m) = node { return m }
        error("\(what) must be a mapping, found \(describe(node))", at: node)
        return nil
    }

    /// Text of a scalar (numbers and booleans as written); null and collections are errors.
    mutating func text(_ node: Node, _ what: String) -> String? {
        guard case .scalar(let scalar) = node, node.null == nil else {
            error("\(what) must be text, found \(describe(node))", at: node)
            return nil
        }
        return scalar.string
    }

    mutating func bool(_ node: Node, _ what: String) -> Bool? {
        if let b = node.bool { return b }
        error("\(what) must be true or false, found \(describe(node))", at: node)
        return nil
    }

    mutating func number(_ node: Node, _ what: String) -> Double? {
        if case .scalar = node, node.bool == nil, let d = node.float, d.isFinite { return d }
        error("\(what) must be a number, found \(describe(node))", at: node)
        return nil
    }

    /// Warns about keys of `mapping` not in `known`, suggesting the closest known key; with
    /// `refuse`, they are errors with the reason given (where ignoring a key would change what
    /// the script means, e.g. a rule's `match:` that would then match more than was written).
    mutating func checkKeys(_ mapping: Node.Mapping, known: [String], in context: String,
                            refuse reason: String? = nil, hint: (String) -> String? = { _ in nil }) {
        for (key, _) in mapping {
            guard let name = key.string else {
                error("keys in \(context) must be text", at: key)
                continue
            }
            if known.contains(name) { continue }
            var message = "unknown key '\(name)' in \(context)"
            if let hinted = hint(name) {
                message += " (\(hinted))"
            } else if let suggestion = Self.closest(to: name, in: known) {
                message += " (did you mean '\(suggestion)'?)"
            }
            if let reason {
                error(message + ": " + reason, at: key)
            } else {
                warning(message, at: key)
            }
        }
    }

    func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let s):
            if node.null != nil { return "nothing (null)" }
            if node.bool != nil, s.style == .plain { return "a boolean (\(s.string))" }
            return "'\(s.string)'"
        }
    }

    /// The location of `key` inside `what`: `'rules[0].match'` and `prompt` give
    /// `'rules[0].match.prompt'`.
    static func path(_ what: String, _ key: String) -> String {
        what.hasSuffix("'") ? "\(what.dropLast()).\(key)'" : "\(what).\(key)"
    }

    /// The candidate within edit distance 2 (or a third of the word) of `word`, if any.
    static func closest(to word: String, in candidates: [String]) -> String? {
        let limit = max(2, word.count / 3)
        let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= limit else { return nil }
        return best.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
