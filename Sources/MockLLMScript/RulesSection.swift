import MockLLMCore
import Yams

/// The script's `rules:` list. Each rule has a `match:` (all conditions must hold; none means
/// always) and exactly one of `reply:`, `replies:` (a sequence) or `error:`; optional `name:`
/// and `pacing:`. docs/CONFIG.md has the reference.
enum RulesSection {
    static let ruleKeys = ["name", "match", "reply", "replies", "sequence", "error", "pacing", "times", "fault", "transcript"]
    static let matchKeys = ["prompt", "model", "system", "tools", "turn", "headers", "endpoint", "provider", "tool_result", "audio_ms"]
    static let textMatchKeys = ["exact", "contains", "prefix", "regex", "ignore_case"]

    /// The rules, in order; those whose reply is `recorded:` go to `fixtures` instead.
    static func read(_ node: Node, providers: [String]?, fixtures: inout [Fixture], reader: inout ScriptReader) -> [Rule] {
        guard case .sequence(let entries) = node else {
            reader.error("'rules' must be a list of rules, found \(reader.describe(node))", at: node)
            return []
        }
        var rules: [Rule] = []
        var names: Set<String> = []
        for (i, entry) in entries.enumerated() {
            let what = "rules[\(i)]"
            guard let mapping = reader.mapping(entry, "'\(what)'") else { continue }
            var name = what
            if let n = mapping["name"], let text = reader.text(n, "'\(what).name'") {
                if names.contains(text) { reader.error("two rules are named '\(text)'", at: n) }
                names.insert(text)
                name = text
            }
            if mapping["recorded"] != nil {
                if let fixture = FixtureSection.read(mapping, entry: entry, name: name, what: what, file: reader.file, reader: &reader) {
                    fixtures.append(fixture)
                }
                continue
            }
            reader.checkKeys(mapping, known: ruleKeys + ["recorded"], in: "'\(what)'")
            let conditions = mapping["match"].map { readMatch($0, what: "'\(what).match'", providers: providers, reader: &reader) } ?? []
            let reply = readReply(mapping, entry: entry, what: what, reader: &reader)
            let pacing = mapping["pacing"].flatMap { PacingSection.read($0, "'\(what).pacing'", reader: &reader) }
            let times = mapping["times"].flatMap { readTimes($0, "'\(what).times'", &reader) }
            let fault = mapping["fault"].flatMap {
                FaultsSection.fault($0, "'\(what).fault'", name: name, global: false, providers: providers, reader: &reader)
            }
            let transcript = mapping["transcript"].flatMap { reader.text($0, "'\(what).transcript'") }
            guard let reply else { continue }
            rules.append(Rule(name: name, line: entry.mark?.line ?? 0, conditions: conditions, reply: reply, pacing: pacing,
                              times: times, fault: fault, transcript: transcript))
        }
        return rules
    }

    static func readMatch(_ node: Node, what: String, providers: [String]?, reader: inout ScriptReader) -> [Condition] {
        guard let mapping = reader.mapping(node, what) else { return [] }
        // An ignored condition would widen the rule to requests it was not written for, so an
        // unknown key here is an error, not the warning it is elsewhere.
        reader.checkKeys(mapping, known: matchKeys + ["request"], in: what,
                         refuse: "the rule would match requests that condition was meant to exclude") { name in
            textMatchKeys.contains(name) ? "a text test goes under a field: 'prompt: {\(name): ...}'" : nil
        }
        if let request = mapping["request"] {
            reader.error("\(ScriptReader.path(what, "request")) needs a recorded reply ('recorded:'); other rules match the decoded request", at: request)
        }
        var conditions: [Condition] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { continue }
            let at = ScriptReader.path(what, key)
            switch key {
            case "prompt":
                if let m = textMatch(value, at, &reader) { conditions.append(.prompt(m)) }
            case "system":
                if let m = textMatch(value, at, &reader, defaultKind: .contains) { conditions.append(.system(m)) }
            case "model":
                let names = names(value, at, &reader)
                if !names.isEmpty { conditions.append(.model(names)) }
            case "tools":
                if let b = reader.bool(value, at) { conditions.append(.tools(b)) }
            case "turn":
                if let range = turns(value, at, &reader) { conditions.append(.turn(range)) }
            case "headers":
                guard let headers = reader.mapping(value, at) else { continue }
                for (h, v) in headers {
                    guard let name = reader.text(h, "a header name in \(at)") else { continue }
                    if let m = textMatch(v, ScriptReader.path(at, name), &reader) { conditions.append(.header(name.lowercased(), m)) }
                }
            case "endpoint":
                if let path = reader.text(value, at) {
                    if path.hasPrefix("/") { conditions.append(.endpoint(path)) } else { reader.error("\(at) must be a path starting with /", at: value) }
                }
            case "tool_result":
                if let m = toolResultMatch(value, at, &reader) { conditions.append(.toolResult(m)) }
            case "audio_ms":
                if let range = audioRange(value, at, &reader) { conditions.append(.audio(range)) }
            case "provider":
                if let name = reader.text(value, at) {
                    if let providers, !providers.contains(name) {
                        reader.error("unknown provider '\(name)' in \(at) (known: \(providers.joined(separator: ", ")))", at: value)
                    } else {
                        conditions.append(.provider(name))
                    }
                }
            default:
                break
            }
        }
        return conditions
    }

    /// A string (matched exactly, or as `defaultKind`) or `{exact|contains|prefix|regex: text, ignore_case: bool}`.
    static func textMatch(_ node: Node, _ what: String, _ reader: inout ScriptReader, defaultKind: TextMatch.Kind = .exact) -> TextMatch? {
        var kind = defaultKind
        var pattern: String?
        var ignoreCase = false
        if case .mapping(let mapping) = node {
            reader.checkKeys(mapping, known: textMatchKeys, in: what)
            let given = TextMatch.Kind.allCasesForYAML.filter { mapping[$0.rawValue] != nil }
            guard given.count == 1, let only = given.first else {
                reader.error("\(what) needs exactly one of exact, contains, prefix, regex", at: node)
                return nil
            }
            kind = only
            pattern = reader.text(mapping[only.rawValue]!, ScriptReader.path(what, only.rawValue))
            if let n = mapping["ignore_case"], let b = reader.bool(n, ScriptReader.path(what, "ignore_case")) { ignoreCase = b }
        } else {
            pattern = reader.text(node, what)
        }
        guard let pattern else { return nil }
        do {
            return try TextMatch(kind, pattern, ignoreCase: ignoreCase)
        } catch {
            reader.error("\(error.reason) in \(what)", at: node)
            return nil
        }
    }

    private static func names(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> [String] {
        if case .sequence(let items) = node {
            if items.isEmpty { reader.error("\(what) is an empty list; list at least one model or leave it out", at: node) }
            return items.compactMap { reader.text($0, "a model in \(what)") }
        }
        return reader.text(node, what).map { [$0] } ?? []
    }

    /// `true`/`false`, a tool name, or `{name, content}` (content a text match).
    private static func toolResultMatch(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> ToolResultMatch? {
        if let b = node.bool { return .any(b) }
        guard case .mapping(let mapping) = node else {
            return reader.text(node, what).map { .tool(name: $0, content: nil) }
        }
        reader.checkKeys(mapping, known: ["name", "content"], in: what)
        let name = mapping["name"].flatMap { reader.text($0, ScriptReader.path(what, "name")) }
        let content = mapping["content"].flatMap { textMatch($0, ScriptReader.path(what, "content"), &reader, defaultKind: .contains) }
        if mapping["name"] == nil && mapping["content"] == nil {
            reader.error("\(what) needs a name, a content, or both", at: node)
            return nil
        }
        return .tool(name: name, content: content)
    }

    private static func readTimes(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> Int? {
        guard let value = reader.number(node, what) else { return nil }
        guard value >= 1, value == value.rounded(), value < 1e15 else {
            reader.error("\(what) must be a whole number, 1 or more", at: node)
            return nil
        }
        return Int(value)
    }

    /// `audio_ms: {min, max}` (either may be left out) or one number (at least that long).
    private static func audioRange(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> ClosedRange<Int>? {
        func whole(_ n: Node, _ label: String) -> Int? {
            guard let v = reader.number(n, label) else { return nil }
            guard v >= 0, v == v.rounded(), v < 1e12 else {
                reader.error("\(label) must be a whole number of milliseconds, 0 or more", at: n)
                return nil
            }
            return Int(v)
        }
        if case .mapping(let mapping) = node {
            reader.checkKeys(mapping, known: ["min", "max"], in: what)
            if mapping["min"] == nil && mapping["max"] == nil {
                reader.error("\(what) needs a min, a max, or both", at: node)
                return nil
            }
            let low = mapping["min"].flatMap { whole($0, ScriptReader.path(what, "min")) } ?? 0
            let high = mapping["max"].flatMap { whole($0, ScriptReader.path(what, "max")) } ?? Int.max
            guard low <= high else {
                reader.error("\(what) has min greater than max", at: node)
                return nil
            }
            return low...high
        }
        return whole(node, what).map { $0...Int.max }
    }

    private static func turns(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> ClosedRange<Int>? {
        func whole(_ n: Node, _ label: String) -> Int? {
            guard let v = reader.number(n, label) else { return nil }
            guard v >= 1, v == v.rounded(), v < 1e9 else {
                reader.error("\(label) must be a whole number, 1 or more", at: n)
                return nil
            }
            return Int(v)
        }
        if case .mapping(let mapping) = node {
            reader.checkKeys(mapping, known: ["min", "max"], in: what)
            let low = mapping["min"].flatMap { whole($0, ScriptReader.path(what, "min")) } ?? 1
            let high = mapping["max"].flatMap { whole($0, ScriptReader.path(what, "max")) } ?? Int.max
            guard low <= high else {
                reader.error("\(what) has min greater than max", at: node)
                return nil
            }
            return low...high
        }
        return whole(node, what).map { $0...$0 }
    }

    private static func readReply(_ mapping: Node.Mapping, entry: Node, what: String, reader: inout ScriptReader) -> RuleReply? {
        let given = ["reply", "replies", "error"].filter { mapping[$0] != nil }
        guard given.count == 1 else {
            reader.error("'\(what)' needs exactly one of reply, replies or error\(given.isEmpty ? "" : " (found \(given.joined(separator: ", ")))")", at: entry)
            return nil
        }
        if mapping["sequence"] != nil && given[0] != "replies" {
            reader.warning("'\(what).sequence' only applies to replies", at: mapping["sequence"])
        }
        switch given[0] {
        case "reply":
            return replyTemplate(mapping["reply"]!, "'\(what).reply'", &reader).map { .reply($0) }
        case "replies":
            let node = mapping["replies"]!
            guard case .sequence(let items) = node, !items.isEmpty else {
                reader.error("'\(what).replies' must be a non-empty list of replies", at: node)
                return nil
            }
            let templates = items.enumerated().compactMap { replyTemplate($1, "'\(what).replies[\($0)]'", &reader) }
            guard templates.count == items.count else { return nil }
            var cycle = false
            if let n = mapping["sequence"], let mode = reader.text(n, "'\(what).sequence'") {
                switch mode {
                case "cycle": cycle = true
                case "stick": cycle = false
                default: reader.error("'\(what).sequence' must be cycle or stick, found '\(mode)'", at: n)
                }
            }
            return .sequence(templates, cycle: cycle)
        default:
            return ruleError(mapping["error"]!, "'\(what).error'", &reader).map { .error($0) }
        }
    }

    static func template(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> Template? {
        guard let text = reader.text(node, what) else { return nil }
        do {
            return try Template(text)
        } catch {
            reader.error("unknown placeholder {{\(error.placeholder)}} in \(what) (known: \(Template.placeholders.joined(separator: ", ")))", at: node)
            return nil
        }
    }

    static func ruleError(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> RuleError? {
        guard let mapping = reader.mapping(node, what) else { return nil }
        reader.checkKeys(mapping, known: ["status", "message", "type", "code", "retry_after", "headers"], in: what)
        guard let s = mapping["status"], let status = reader.number(s, ScriptReader.path(what, "status")) else {
            if mapping["status"] == nil { reader.error("\(what) needs a status", at: node) }
            return nil
        }
        guard status == status.rounded(), (400...599).contains(status) else {
            reader.error("\(what.dropLast()).status' must be an HTTP error status (400-599), found \(status.plainDecimal)", at: s)
            return nil
        }
        let message = mapping["message"].flatMap { reader.text($0, ScriptReader.path(what, "message")) }
            ?? HTTPStatus.reason(Int(status))
        var headers = mapping["headers"].map { errorHeaders($0, ScriptReader.path(what, "headers"), &reader) } ?? HTTPFields()
        if let n = mapping["retry_after"], let seconds = reader.number(n, ScriptReader.path(what, "retry_after")) {
            if seconds >= 0, seconds == seconds.rounded(), seconds < 1e9 {
                headers.append(name: "retry-after", value: seconds.plainDecimal)
            } else {
                reader.error("\(ScriptReader.path(what, "retry_after")) must be a whole number of seconds, 0 or more", at: n)
            }
        }
        return RuleError(
            status: Int(status), message: message,
            type: mapping["type"].flatMap { reader.text($0, ScriptReader.path(what, "type")) },
            code: mapping["code"].flatMap { reader.text($0, ScriptReader.path(what, "code")) },
            headers: headers)
    }

    /// Headers that frame the message belong to the server.
    static let reservedHeaders: Set<String> = ["content-length", "transfer-encoding", "connection", "content-type"]

    private static func errorHeaders(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> HTTPFields {
        guard let mapping = reader.mapping(node, what) else { return HTTPFields() }
        var fields = HTTPFields()
        for (k, v) in mapping {
            guard let name = reader.text(k, "a header name in \(what)") else { continue }
            guard !name.isEmpty, name.utf8.allSatisfy(ByteClass.isTokenChar) else {
                reader.error("'\(name)' in \(what) is not a valid header name", at: k)
                continue
            }
            guard !reservedHeaders.contains(name.lowercased()) else {
                reader.error("\(what) cannot set \(name.lowercased()); the server writes it", at: k)
                continue
            }
            let value: String? = if case .scalar(let scalar) = v { scalar.string } else { reader.text(v, ScriptReader.path(what, name)) }
            if let value { fields.append(name: name.lowercased(), value: value.headerSafe) }
        }
        return fields
    }
}

extension TextMatch.Kind {
    static let allCasesForYAML: [TextMatch.Kind] = [.exact, .contains, .prefix, .regex]
}
