import MockLLMCore

/// A script's fixtures, indexed for lookup: one dictionary probe per request once its body is
/// made identifying. Built once per loaded script; nil in a script without fixtures, so other
/// requests never pay for it.
package struct FixtureSet: Sendable {
    package let fixtures: [Fixture]
    package let settings: RecordSettings
    /// The identifying request of each fixture (nil: any body), by index.
    private let identifying: [JSONValue?]
    /// `METHOD path?query\n` + canonical body → fixtures in file order.
    private let byKey: [String: [Int]]
    /// `METHOD path` of every fixture, so a request to another endpoint is passed at once.
    private let endpoints: Set<String>

    package init(_ fixtures: [Fixture], settings: RecordSettings) {
        self.fixtures = fixtures
        self.settings = settings
        var identifying: [JSONValue?] = []
        var byKey: [String: [Int]] = [:]
        var endpoints: Set<String> = []
        for (i, fixture) in fixtures.enumerated() {
            let request = fixture.request.map { Self.identifying($0, settings) }
            identifying.append(request)
            byKey[Self.key(fixture.method, fixture.path, fixture.query, request), default: []].append(i)
            endpoints.insert(fixture.method + " " + fixture.path)
        }
        self.identifying = identifying
        self.byKey = byKey
        self.endpoints = endpoints
    }

    /// The outcome of looking a request up.
    package enum Lookup: Sendable {
        /// No fixture is for this method and path: the request goes on as if there were none.
        case notHere
        case hit(Fixture)
        /// Fixtures are for this endpoint, none for this request: the closest and what differs.
        case miss(String)
    }

    /// The fixture that answers a request, in file order.
    /// - Parameter body: the request's body, parsed (nil: empty or not JSON).
    package func lookup(method: String, path: String, query: String?, headers: RequestHeaders, body: JSONValue?) -> Lookup {
        guard endpoints.contains(method + " " + path) else { return .notHere }
        let items = Self.identifyingQuery(QueryItem.parse(query), settings)
        let request = body.map { Self.identifying($0, settings) }
        for key in [Self.key(method, path, items, request), Self.key(method, path, items, nil)] {
            for i in byKey[key] ?? [] where headersMatch(fixtures[i], headers) { return .hit(fixtures[i]) }
        }
        return .miss(explainMiss(method: method, path: path, query: items, headers: headers, request: request))
    }

    /// The diagnostic of a request no fixture answers: the closest fixture and the first difference.
    package func explainMiss(method: String, path: String, query: [QueryItem], headers: RequestHeaders, request: JSONValue?) -> String {
        var best: (index: Int, score: Double, reason: String)?
        for (i, fixture) in fixtures.enumerated() {
            var score = 0.0
            var reason: String?
            if fixture.method != method || fixture.path != path {
                reason = "endpoint \(method) \(path) is not \(fixture.method) \(fixture.path)"
            } else {
                score += 1
                if fixture.query != query {
                    reason = "query '\(query.map(\.description).joined(separator: "&"))' is not '\(fixture.query.map(\.description).joined(separator: "&"))'"
                } else {
                    score += 1
                }
                if let wanted = identifying[i] {
                    let (same, difference) = Self.compare(wanted, request ?? .null, at: "request")
                    score += same
                    if reason == nil { reason = difference }
                }
                if reason == nil, let (name, match) = fixture.headers.first(where: { !(headers[$0.name].map($0.match.match)?.matched ?? false) }) {
                    reason = headers[name].map { "header \(name) \"\($0)\" is not \(match)" } ?? "header \(name) is missing"
                }
            }
            if score > (best?.score ?? -1) { best = (i, score, reason ?? "it is used up") }
        }
        guard let best else { return "no fixture is recorded" }
        return "closest fixture \(fixtures[best.index].located): \(best.reason)"
    }

    private func headersMatch(_ fixture: Fixture, _ headers: RequestHeaders) -> Bool {
        fixture.headers.allSatisfy { wanted in headers[wanted.name].map { wanted.match.match($0).matched } ?? false }
    }

    // MARK: - What identifies a request

    /// The body without its ignored paths, secret fields masked, every string normalised.
    package static func identifying(_ body: JSONValue, _ settings: RecordSettings) -> JSONValue {
        var value = Redaction.masked(body, settings)
        for path in settings.ignore { remove(path[...], from: &value) }
        return settings.normalizers.isEmpty ? value : normalized(value, settings.normalizers)
    }

    /// The query without the key parameter and the redacted ones.
    package static func identifyingQuery(_ items: [QueryItem], _ settings: RecordSettings) -> [QueryItem] {
        items.filter { !Redaction.isSecretQueryParameter($0.name, settings) }.sorted()
    }

    private static func remove(_ path: ArraySlice<String>, from value: inout JSONValue) {
        guard let first = path.first, case .object(var object) = value else { return }
        if path.count == 1 {
            object.members.removeAll { $0.key == first }
        } else {
            for i in object.members.indices where object.members[i].key == first {
                remove(path.dropFirst(), from: &object.members[i].value)
            }
        }
        value = .object(object)
    }

    private static func normalized(_ value: JSONValue, _ normalizers: [Normalizer]) -> JSONValue {
        switch value {
        case .string(let text): .string(normalizers.reduce(text) { $1.apply($0) })
        case .array(let items): .array(items.map { normalized($0, normalizers) })
        case .object(let object):
            .object(JSONObject(object.members.map { JSONObject.Member(key: $0.key, value: normalized($0.value, normalizers)) }))
        case .null, .bool, .number: value
        }
    }

    static func key(_ method: String, _ path: String, _ query: [QueryItem], _ request: JSONValue?) -> String {
        var key = method + " " + path
        if !query.isEmpty { key += "?" + query.map(\.description).joined(separator: "&") }
        key += "\n"
        if let request { key += canonical(request).jsonText } else { key += "*" }
        return key
    }

    /// Objects with their members sorted by key (a repeated key: its last value), so key order
    /// does not matter.
    package static func canonical(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let items): return .array(items.map(canonical))
        case .object(let object):
            var last: [String: JSONValue] = [:]
            for member in object.members { last[member.key] = canonical(member.value) }
            return .object(JSONObject(last.keys.sorted().map { JSONObject.Member(key: $0, value: last[$0]!) }))
        case .null, .bool, .number, .string: return value
        }
    }

    /// How much of `wanted` `actual` shares (0...1 per level), and the first difference, located.
    static func compare(_ wanted: JSONValue, _ actual: JSONValue, at path: String) -> (Double, String?) {
        switch (wanted, actual) {
        case (.object(let w), .object(let a)):
            let keys = Set(w.members.map(\.key)).union(a.members.map(\.key)).sorted()
            var same = 0.0
            var first: String?
            for key in keys {
                let at = path + "." + key
                switch (w[key], a[key]) {
                case (let x?, let y?):
                    let (s, d) = compare(x, y, at: at)
                    same += s
                    if first == nil { first = d }
                case (_?, nil): if first == nil { first = "\(at) is missing" }
                case (nil, _?): if first == nil { first = "\(at) is not in the fixture" }
                case (nil, nil): break
                }
            }
            return (keys.isEmpty ? 1 : same / Double(keys.count), first)
        case (.array(let w), .array(let a)):
            var same = 0.0
            var first: String? = w.count == a.count ? nil : "\(path) has \(a.count) items, the fixture \(w.count)"
            for i in 0..<min(w.count, a.count) {
                let (s, d) = compare(w[i], a[i], at: "\(path)[\(i)]")
                same += s
                if first == nil { first = d }
            }
            return (max(w.count, a.count) == 0 ? 1 : same / Double(max(w.count, a.count)), first)
        default:
            if wanted == actual { return (1, nil) }
            return (0, "\(path) is \(describe(actual)), the fixture has \(describe(wanted))")
        }
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text.count > 60 ? "\"\(text.prefix(57))...\"" : "\"\(text)\""
        case .object, .array: value.kindDescription
        default: value.jsonText
        }
    }
}
