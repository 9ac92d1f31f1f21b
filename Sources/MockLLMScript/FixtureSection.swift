import MockLLMCore
import MockLLMSimulation
import Yams

/// Reading a rule whose reply is `recorded:` (a fixture), and `settings.record`.
enum FixtureSection {
    static let matchKeys = ["endpoint", "method", "request", "headers"]
    static let recordedKeys = ["status", "headers", "body", "events", "at_ms"]

    static func read(_ mapping: Node.Mapping, entry: Node, name: String, what: String, file: String,
                     reader: inout ScriptReader) -> Fixture? {
        reader.checkKeys(mapping, known: ["name", "match", "recorded", "pacing"] + RulesSection.ruleKeys, in: "'\(what)' (a recorded reply)")
        for key in ["reply", "replies", "error", "fault", "times", "sequence"] where mapping[key] != nil {
            reader.error("'\(what)' has a recorded reply: '\(key)' cannot be used with it", at: mapping[key])
        }
        guard let matchNode = mapping["match"], let match = reader.mapping(matchNode, "'\(what).match'") else {
            reader.error("'\(what)' has a recorded reply and needs a match with an endpoint", at: entry)
            return nil
        }
        for (keyNode, value) in match {
            guard let key = keyNode.string, !matchKeys.contains(key) else { continue }
            if RulesSection.matchKeys.contains(key) {
                reader.error("'\(what).match.\(key)' cannot be used with a recorded reply, which is matched before the request is "
                             + "decoded: match the body with 'request'", at: keyNode)
            } else {
                var message = "unknown key '\(key)' in '\(what).match'"
                if let suggestion = ScriptReader.closest(to: key, in: matchKeys) { message += " (did you mean '\(suggestion)'?)" }
                reader.warning(message, at: keyNode)
            }
            _ = value
        }
        guard let endpointNode = match["endpoint"], let endpoint = reader.text(endpointNode, "'\(what).match.endpoint'") else {
            if match["endpoint"] == nil { reader.error("'\(what).match' needs an endpoint (the request's path)", at: matchNode) }
            return nil
        }
        guard endpoint.hasPrefix("/") else {
            reader.error("'\(what).match.endpoint' must be a path starting with /", at: endpointNode)
            return nil
        }
        let (path, query) = FixtureWriter.split(endpoint)
        var method = "POST"
        if let node = match["method"], let text = reader.text(node, "'\(what).match.method'") {
            if ["GET", "POST", "PUT", "DELETE", "PATCH"].contains(text.uppercased()) { method = text.uppercased() } else {
                reader.error("'\(what).match.method' must be GET, POST, PUT, DELETE or PATCH, found '\(text)'", at: node)
            }
        }
        var headers: [(name: String, match: TextMatch)] = []
        if let node = match["headers"], let mapping = reader.mapping(node, "'\(what).match.headers'") {
            for (h, v) in mapping {
                guard let name = reader.text(h, "a header name in '\(what).match.headers'") else { continue }
                if let m = RulesSection.textMatch(v, "'\(what).match.headers.\(name)'", &reader) { headers.append((name.lowercased(), m)) }
            }
        }
        let request = match["request"].map { json($0) }
        guard let recordedNode = mapping["recorded"], let reply = recorded(recordedNode, "'\(what).recorded'", &reader) else { return nil }
        let pacing = mapping["pacing"].flatMap { PacingSection.read($0, "'\(what).pacing'", reader: &reader) }
        return Fixture(name: name, file: file, line: entry.mark?.line ?? 0, method: method, path: path,
                       query: QueryItem.parse(query), request: request, headers: headers, reply: reply, pacing: pacing)
    }

    static func recorded(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> RecordedReply? {
        guard let mapping = reader.mapping(node, what) else { return nil }
        reader.checkKeys(mapping, known: recordedKeys, in: what)
        var status = 200
        if let s = mapping["status"], let value = reader.number(s, ScriptReader.path(what, "status")) {
            if value == value.rounded(), (100...599).contains(value) { status = Int(value) } else {
                reader.error("\(ScriptReader.path(what, "status")) must be an HTTP status (100-599), found \(value.plainDecimal)", at: s)
            }
        }
        var headers = HTTPFields()
        if let node = mapping["headers"], let fields = reader.mapping(node, ScriptReader.path(what, "headers")) {
            for (k, v) in fields {
                guard let name = reader.text(k, "a header name in \(ScriptReader.path(what, "headers"))") else { continue }
                guard !name.isEmpty, name.utf8.allSatisfy(ByteClass.isTokenChar) else {
                    reader.error("'\(name)' in \(ScriptReader.path(what, "headers")) is not a valid header name", at: k)
                    continue
                }
                let lower = name.lowercased()
                if ["content-length", "transfer-encoding", "connection"].contains(lower) {
                    reader.error("\(ScriptReader.path(what, "headers")) cannot set \(lower); the server writes it", at: k)
                    continue
                }
                if let value = reader.text(v, ScriptReader.path(what, "headers.\(name)")) { headers.append(name: lower, value: value.headerSafe) }
            }
        }
        let given = ["body", "events"].filter { mapping[$0] != nil }
        guard given.count == 1 else {
            reader.error("\(what) needs exactly one of body or events\(given.count > 1 ? " (found both)" : "")", at: node)
            return nil
        }
        if given[0] == "body" {
            let atMs = mapping["at_ms"].flatMap { milliseconds($0, ScriptReader.path(what, "at_ms"), &reader) }
            guard let bytes = bytes(mapping["body"]!, ScriptReader.path(what, "body"), &reader) else { return nil }
            return RecordedReply(status: status, headers: headers, body: .bytes(bytes, atMs: atMs))
        }
        if mapping["at_ms"] != nil { reader.warning("\(ScriptReader.path(what, "at_ms")) applies to a body; each event has its own", at: mapping["at_ms"]) }
        let eventsNode = mapping["events"]!
        guard case .sequence(let items) = eventsNode else {
            reader.error("\(ScriptReader.path(what, "events")) must be a list of {at_ms, data}", at: eventsNode)
            return nil
        }
        var events: [RecordedEvent] = []
        var previous = 0.0
        for (i, item) in items.enumerated() {
            let at = ScriptReader.path(what, "events[\(i)]")
            guard let event = reader.mapping(item, at) else { continue }
            reader.checkKeys(event, known: ["at_ms", "data"] + RecordedEvent.EventStreamKind.allCases.map(\.rawValue) + ["headers"], in: at)
            var ms = previous
            if let node = event["at_ms"], let value = milliseconds(node, ScriptReader.path(at, "at_ms"), &reader) {
                if value < previous { reader.error("\(ScriptReader.path(at, "at_ms")) is \(value.plainDecimal), before the event above (\(previous.plainDecimal))", at: node) }
                ms = value
            }
            previous = ms
            guard let dataNode = event["data"] else {
                reader.error("\(at) needs data", at: item)
                continue
            }
            guard let data = bytes(dataNode, ScriptReader.path(at, "data"), &reader) else { continue }
            events.append(RecordedEvent(atMs: ms, data: data, eventStreamHeaders: eventStreamHeaders(event, at, &reader)))
        }
        return RecordedReply(status: status, headers: headers, body: .events(events))
    }

    /// An event stream message's headers: `event: NAME`, `exception: NAME`, or `headers: {name:
    /// value}` (string headers, in order); nil for an event of bytes.
    private static func eventStreamHeaders(_ event: Node.Mapping, _ at: String, _ reader: inout ScriptReader) -> [EventStreamHeader]? {
        let given = (RecordedEvent.EventStreamKind.allCases.map(\.rawValue) + ["headers"]).filter { event[$0] != nil }
        guard let key = given.first else { return nil }
        if given.count > 1 {
            reader.error("\(at) has \(given.joined(separator: " and ")): an event stream message is one of event, exception or headers",
                         at: event[given[1]])
            return nil
        }
        let node = event[key]!
        if let kind = RecordedEvent.EventStreamKind(rawValue: key) {
            guard let name = reader.text(node, ScriptReader.path(at, key)) else { return nil }
            return kind.headers(name)
        }
        guard let mapping = reader.mapping(node, ScriptReader.path(at, "headers")) else { return nil }
        var headers: [EventStreamHeader] = []
        for (k, v) in mapping {
            guard let name = reader.text(k, "a header name in \(ScriptReader.path(at, "headers"))"),
                  let value = reader.text(v, ScriptReader.path(at, "headers.\(name)")) else { continue }
            guard !name.isEmpty, name.utf8.count <= 255, value.utf8.count <= 65_535 else {
                reader.error("\(ScriptReader.path(at, "headers.\(name)")): an event stream header's name is 1 to 255 bytes, its value at most 65535",
                             at: k)
                continue
            }
            headers.append(EventStreamHeader(name: name, value: .string(value)))
        }
        return headers
    }

    private static func milliseconds(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> Double? {
        guard let value = reader.number(node, what) else { return nil }
        guard value >= 0, value <= 86_400_000 else {
            reader.error("\(what) must be from 0 to 86400000 milliseconds, found \(value.plainDecimal)", at: node)
            return nil
        }
        return value
    }

    /// Text (its UTF-8 bytes), or `{base64: ...}` for bytes that are not text.
    private static func bytes(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> [UInt8]? {
        if case .mapping(let mapping) = node {
            reader.checkKeys(mapping, known: ["base64"], in: what)
            guard let b = mapping["base64"], let text = reader.text(b, ScriptReader.path(what, "base64")) else {
                reader.error("\(what) must be text or {base64: ...}", at: node)
                return nil
            }
            guard let bytes = Base64.decode(text) else {
                reader.error("\(ScriptReader.path(what, "base64")) is not base64", at: b)
                return nil
            }
            return bytes
        }
        guard case .scalar(let scalar) = node else {
            reader.error("\(what) must be text, found \(reader.describe(node))", at: node)
            return nil
        }
        return Array(scalar.string.utf8)
    }

    /// A YAML node as JSON: plain scalars typed as JSON reads them (null, true, false,
    /// numbers), quoted and block scalars as strings.
    static func json(_ node: Node) -> JSONValue {
        switch node {
        case .mapping(let mapping):
            return .object(JSONObject(mapping.map { JSONObject.Member(key: $0.key.string ?? "", value: json($0.value)) }))
        case .sequence(let items):
            return .array(items.map(json))
        case .alias:
            return .null
        case .scalar(let scalar):
            guard scalar.style == .plain else { return .string(scalar.string) }
            switch scalar.string {
            case "null", "~", "": return .null
            case "true": return .bool(true)
            case "false": return .bool(false)
            default:
                if let number = jsonNumber(scalar.string) { return .number(number) }
                return .string(scalar.string)
            }
        }
    }

    /// A JSON number's text (`-1.5e3`), as a Double.
    private static func jsonNumber(_ text: String) -> Double? {
        guard let first = text.utf8.first, first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first),
              text.utf8.allSatisfy({ "0123456789-+.eE".utf8.contains($0) }) else { return nil }
        return Double(text)
    }

    /// `settings.record`: `ignore` (paths added to the built-in list, or `{replace: [...]}`),
    /// `normalize` (`[{regex, replace}]`), `redact` (names).
    static func settings(_ node: Node, reader: inout ScriptReader) -> RecordSettings {
        var settings = RecordSettings()
        guard let mapping = reader.mapping(node, "'settings.record'") else { return settings }
        reader.checkKeys(mapping, known: ["ignore", "keep", "normalize", "redact"], in: "'settings.record'")
        func names(_ key: String) -> [String] {
            guard let node = mapping[key] else { return [] }
            guard case .sequence(let items) = node else {
                reader.error("'settings.record.\(key)' must be a list", at: node)
                return []
            }
            return items.compactMap { reader.text($0, "an item of 'settings.record.\(key)'") }
        }
        settings.ignore += names("ignore").map { $0.split(separator: ".").map(String.init) }
        let keep = Set(names("keep"))
        settings.ignore.removeAll { keep.contains($0.joined(separator: ".")) }
        settings.redact = Set(names("redact").map { $0.lowercased() })
        if let node = mapping["normalize"] {
            guard case .sequence(let items) = node else {
                reader.error("'settings.record.normalize' must be a list of {regex, replace}", at: node)
                return settings
            }
            for (i, item) in items.enumerated() {
                let what = "'settings.record.normalize[\(i)]'"
                guard let m = reader.mapping(item, what) else { continue }
                reader.checkKeys(m, known: ["regex", "replace"], in: what)
                guard let r = m["regex"], let pattern = reader.text(r, ScriptReader.path(what, "regex")) else {
                    if m["regex"] == nil { reader.error("\(what) needs a regex", at: item) }
                    continue
                }
                let replacement = m["replace"].flatMap { reader.text($0, ScriptReader.path(what, "replace")) } ?? ""
                do {
                    settings.normalizers.append(try Normalizer(regex: pattern, replacement: replacement))
                } catch {
                    reader.error("\(error.reason) in \(ScriptReader.path(what, "regex"))", at: r)
                }
            }
        }
        return settings
    }
}
