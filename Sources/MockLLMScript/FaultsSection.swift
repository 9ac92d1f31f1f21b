import MockLLMCore
import Yams

/// `faults:` (a list, tried in order for every chat request) and a rule's `fault:`: what goes
/// wrong, and when. docs/FAULTS.md has the reference.
package enum FaultsSection {
    static let keys = ["error", "status", "context_length", "stream", "slow_first_token_ms", "sequence", "when", "per"]
    static let globalKeys = keys + ["name", "match", "scenario"]
    static let streamKeys = ["after", "stall_ms", "stall", "disconnect", "truncate", "malformed", "error", "content_filter"]

    static func read(_ node: Node, providers: [String]?, reader: inout ScriptReader) -> [Fault] {
        guard case .sequence(let entries) = node else {
            reader.error("'faults' must be a list of faults, found \(reader.describe(node))", at: node)
            return []
        }
        var faults: [Fault] = []
        var names: Set<String> = []
        for (i, entry) in entries.enumerated() {
            let what = "'faults[\(i)]'"
            guard let mapping = reader.mapping(entry, what) else { continue }
            var name = "faults[\(i)]"
            if let n = mapping["name"], let text = reader.text(n, ScriptReader.path(what, "name")) {
                if names.contains(text) { reader.error("two faults are named '\(text)'", at: n) }
                names.insert(text)
                name = text
            }
            if let fault = fault(entry, what, name: name, global: true, providers: providers, reader: &reader) { faults.append(fault) }
        }
        return faults
    }

    /// One fault: its action (`error`, `status`, `context_length`, `stream`, `slow_first_token_ms`,
    /// or a `sequence` of statuses and `ok`), its schedule (`when`, `per`), and for a global one
    /// its `name`, `match` and `scenario`.
    static func fault(_ node: Node, _ what: String, name: String, global: Bool, providers: [String]?,
                      reader: inout ScriptReader) -> Fault? {
        guard let mapping = reader.mapping(node, what) else { return nil }
        reader.checkKeys(mapping, known: global ? globalKeys : keys, in: what)
        let conditions = global ? mapping["match"].map { RulesSection.readMatch($0, what: ScriptReader.path(what, "match"), providers: providers, reader: &reader) } ?? [] : []
        let scenario = global ? mapping["scenario"].flatMap { reader.text($0, ScriptReader.path(what, "scenario")) } : nil
        let perKey: Bool
        if let n = mapping["per"], let text = reader.text(n, ScriptReader.path(what, "per")) {
            if text != "key" { reader.error("\(ScriptReader.path(what, "per")) must be key (count per API key)", at: n) }
            perKey = text == "key"
        } else {
            perKey = false
        }
        if let n = mapping["sequence"] {
            if let other = ["error", "status", "context_length", "stream", "slow_first_token_ms", "when"].first(where: { mapping[$0] != nil }) {
                reader.error("\(what) has both sequence and \(other); a sequence lists each request's fault", at: n)
                return nil
            }
            guard let steps = sequence(n, ScriptReader.path(what, "sequence"), &reader) else { return nil }
            return Fault(name: name, conditions: conditions, action: nil, schedule: .sequence(steps), perKey: perKey, scenario: scenario)
        }
        guard let action = action(mapping, node, what, &reader) else { return nil }
        let schedule = mapping["when"].map { self.schedule($0, ScriptReader.path(what, "when"), &reader) } ?? .always
        guard let schedule else { return nil }
        return Fault(name: name, conditions: conditions, action: action, schedule: schedule, perKey: perKey, scenario: scenario)
    }

    private static func action(_ mapping: Node.Mapping, _ node: Node, _ what: String, _ reader: inout ScriptReader) -> Fault.Action? {
        let given = ["error", "status", "context_length", "stream", "slow_first_token_ms"].filter { mapping[$0] != nil }
        let streamish = Set(given).isSubset(of: ["stream", "slow_first_token_ms"])
        guard given.count == 1 || (given.count == 2 && streamish) else {
            reader.error("\(what) needs one of error, status, context_length, stream (with slow_first_token_ms), or a sequence"
                         + (given.isEmpty ? "" : " (found \(given.joined(separator: ", ")))"), at: node)
            return nil
        }
        switch given[0] {
        case "error":
            return RulesSection.ruleError(mapping["error"]!, ScriptReader.path(what, "error"), &reader).map { .error($0) }
        case "status":
            return status(mapping["status"]!, ScriptReader.path(what, "status"), &reader).map { .error(.statusOnly($0)) }
        case "context_length":
            guard let on = reader.bool(mapping["context_length"]!, ScriptReader.path(what, "context_length")) else { return nil }
            if !on { reader.error("\(ScriptReader.path(what, "context_length")) can only be true", at: mapping["context_length"]!) }
            return on ? .contextLength : nil
        default:
            var fault = StreamFault()
            if let n = mapping["slow_first_token_ms"] {
                guard let ms = milliseconds(n, ScriptReader.path(what, "slow_first_token_ms"), &reader) else { return nil }
                fault.firstTokenDelay = ms * 1_000_000
            }
            if let n = mapping["stream"] {
                guard let (after, cut) = streamCut(n, ScriptReader.path(what, "stream"), &reader) else { return nil }
                fault.after = after
                fault.cut = cut
            }
            return .stream(fault)
        }
    }

    /// `{after: K, <one of> stall_ms: N | stall: forever | disconnect: fin|rst | truncate: true |
    /// malformed: true | error: {type, message} | content_filter: CATEGORY}`.
    private static func streamCut(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> (Int, StreamFault.Cut)? {
        guard let mapping = reader.mapping(node, what) else { return nil }
        reader.checkKeys(mapping, known: streamKeys, in: what)
        var after = 1
        if let n = mapping["after"] {
            guard let value = plainNumber(n), value >= 0, value == value.rounded(), value < 1e9 else {
                reader.error("\(ScriptReader.path(what, "after")) must be a whole number of events, 0 or more", at: n)
                return nil
            }
            after = Int(value)
        }
        let given = streamKeys.dropFirst().filter { mapping[$0] != nil }
        guard given.count == 1, let key = given.first, let value = mapping[key] else {
            reader.error("\(what) needs exactly one of stall_ms, stall, disconnect, truncate, malformed, error or content_filter", at: node)
            return nil
        }
        let at = ScriptReader.path(what, key)
        switch key {
        case "stall_ms":
            return milliseconds(value, at, &reader).map { (after, .stall(nanoseconds: $0 * 1_000_000)) }
        case "stall":
            guard value.string == "forever" else {
                reader.error("\(at) must be forever (or use stall_ms)", at: value)
                return nil
            }
            return (after, .stall(nanoseconds: nil))
        case "disconnect":
            switch value.string {
            case "fin": return (after, .disconnect)
            case "rst", "reset": return (after, .reset)
            default:
                reader.error("\(at) must be fin or rst", at: value)
                return nil
            }
        case "truncate", "malformed":
            guard let on = reader.bool(value, at) else { return nil }
            guard on else {
                reader.error("\(at) can only be true", at: value)
                return nil
            }
            return (after, key == "truncate" ? .truncate : .malformed)
        case "content_filter":
            let categories = StreamFault.Cut.filterCategories
            guard let category = value.string, categories.contains(category) else {
                reader.error("\(at) must be one of \(categories.joined(separator: ", "))", at: value)
                return nil
            }
            return (after, .contentFilter(category: category))
        default:
            guard let error = reader.mapping(value, at) else { return nil }
            reader.checkKeys(error, known: ["type", "message"], in: at)
            let type = error["type"].flatMap { reader.text($0, ScriptReader.path(at, "type")) }
            let message = error["message"].flatMap { reader.text($0, ScriptReader.path(at, "message")) }
                ?? "The server had an error while processing your request."
            return (after, .error(type: type, message: message))
        }
    }

    /// `[429, 429, ok]`: a status, or `ok`, per matching request.
    private static func sequence(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> [Fault.Action?]? {
        guard case .sequence(let items) = node, !items.isEmpty else {
            reader.error("\(what) must be a non-empty list of statuses and ok", at: node)
            return nil
        }
        var steps: [Fault.Action?] = []
        for (i, item) in items.enumerated() {
            if item.string == "ok" {
                steps.append(nil)
            } else if let status = status(item, "\(what.dropLast())[\(i)]'", orOK: true, &reader) {
                steps.append(.error(.statusOnly(status)))
            } else {
                return nil
            }
        }
        return steps
    }

    /// `{first: N}`, `{every: N}`, or `{rate: 0.25, seed: 7}`.
    private static func schedule(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> Fault.Schedule? {
        guard let mapping = reader.mapping(node, what) else { return nil }
        reader.checkKeys(mapping, known: ["first", "every", "rate", "seed"], in: what)
        let given = ["first", "every", "rate"].filter { mapping[$0] != nil }
        guard given.count == 1, let key = given.first, let value = mapping[key] else {
            reader.error("\(what) needs exactly one of first, every or rate", at: node)
            return nil
        }
        let at = ScriptReader.path(what, key)
        guard let number = reader.number(value, at) else { return nil }
        if key == "rate" {
            guard (0...1).contains(number) else {
                reader.error("\(at) must be between 0 and 1", at: value)
                return nil
            }
            var seed: UInt64 = 0
            if let s = mapping["seed"] {
                guard let v = plainNumber(s), v >= 0, v == v.rounded(), v < 1e18 else {
                    reader.error("\(ScriptReader.path(what, "seed")) must be a whole number, 0 or more", at: s)
                    return nil
                }
                seed = UInt64(v)
            }
            return .rate(number, seed: seed)
        }
        guard number >= 1, number == number.rounded(), number < 1e9 else {
            reader.error("\(at) must be a whole number, 1 or more", at: value)
            return nil
        }
        return key == "first" ? .first(Int(number)) : .every(Int(number))
    }

    /// A status 400-599 (in a sequence, `ok` is the other choice, and the message says so).
    private static func status(_ node: Node, _ what: String, orOK: Bool = false, _ reader: inout ScriptReader) -> Int? {
        guard let value = plainNumber(node), value == value.rounded(), (400...599).contains(value) else {
            reader.error("\(what) must be an HTTP error status (400-599)\(orOK ? " or ok" : ""), found \(reader.describe(node))", at: node)
            return nil
        }
        return Int(value)
    }

    /// The number in a scalar, without reporting anything: the caller's message covers a
    /// value that is not a number too (one diagnostic per mistake).
    private static func plainNumber(_ node: Node) -> Double? {
        guard case .scalar = node, node.bool == nil, let value = node.float, value.isFinite else { return nil }
        return value
    }

    private static func milliseconds(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> UInt64? {
        guard let value = plainNumber(node), value >= 0, value < 1e10 else {
            reader.error("\(what) must be milliseconds, 0 or more", at: node)
            return nil
        }
        return UInt64(value)
    }

    /// The message a fault that gives only a status carries (OpenAI's API's words for it); a
    /// provider whose API words it otherwise rewords it (`RuleError.statusOnly`).
    package static func defaultMessage(_ status: Int) -> String {
        switch status {
        case 400: "Bad request."
        case 401: "Incorrect API key provided."
        case 403: "You are not allowed to sample from this model."
        case 404: "The model does not exist or you do not have access to it."
        case 408: "Request timed out."
        case 409: "Conflict."
        case 413: "Request too large."
        case 422: "Unprocessable entity."
        case 429: "Rate limit reached for requests. Please try again later."
        case 500: "The server had an error while processing your request. Sorry about that!"
        case 502: "Bad gateway."
        case 503: "The engine is currently overloaded, please try again later."
        case 504: "Gateway timeout."
        case 529: "Overloaded"
        default: HTTPStatus.reason(status)
        }
    }
}
