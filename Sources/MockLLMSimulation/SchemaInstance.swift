import MockLLMCore

/// Invents a JSON value valid against a JSON Schema: tool-call arguments from a tool's
/// `parameters` / `input_schema`, structured replies from `response_format.json_schema.schema`.
///
/// Understands what OpenAI and Anthropic tool definitions and pydantic emit: `type` (also as an
/// array, preferring a non-null type), `properties`, `required`, `additionalProperties`, `items`,
/// `prefixItems`, `minItems`/`maxItems`, `uniqueItems`, `enum`, `const`, `default`, `examples`,
/// `anyOf`/`oneOf` (the first non-null branch), `allOf` (merged), `$ref` into the same document
/// (`#`, `#/$defs/X`, `#/definitions/X`, any `#/...` pointer), string `format`s,
/// `minLength`/`maxLength`, and `minimum`/`maximum`/`exclusiveMinimum`/`exclusiveMaximum`/`multipleOf`.
/// A `true` or `{}` schema gives a short string. Strings are short and named after their property
/// (`"city 42"`).
///
/// Limits: `pattern` is not matched (a plain string is written, which may not match it); `not`,
/// `if`/`then`/`else`, `dependent*`, `patternProperties`, `contains` and `minProperties` are ignored,
/// and `oneOf` branches are not checked for exclusivity. Output is bounded: down to nesting depth 6
/// every property is written, deeper only required ones (null where allowed, arrays at `minItems`);
/// arrays hold 1 to 2 items unless `minItems` asks for more (capped at 50), strings at most 1,000
/// characters. A malformed, dangling or unsatisfiable schema gives a short string, an empty object
/// or a value that may not validate, never a crash or unbounded recursion.
public enum SchemaInstance {
    /// A value valid against `schema`; the same schema and random state give the same value.
    public static func generate(_ schema: JSONValue, random: inout SeededRandom) -> JSONValue {
        generate(schema, random: &random, values: NoValues())
    }

    /// A value valid against `schema` whose leaves `values` may supply (automatic mode's values
    /// taken from the prompt): asked for each leaf before one is invented, and used only when the
    /// value fits the leaf's schema (its `enum`, type, length and bounds).
    public static func generate(_ schema: JSONValue, random: inout SeededRandom, values: some SchemaValueSource) -> JSONValue {
        var generator = Generator(root: schema, random: random, values: values)
        let value = generator.value(schema, name: nil, depth: 0)
        random = generator.random
        return value
    }

    /// No values supplied: everything is invented.
    public struct NoValues: SchemaValueSource {
        public init() {}
        public mutating func value(for slot: SchemaSlot, random: inout SeededRandom) -> JSONValue? { nil }
    }

    /// One generation: the root (for `$ref`), the random state, and how much has been produced.
    struct Generator {
        /// Below this depth every property is written; deeper, only what is required.
        static let fullDepth = 6
        /// Past this depth, or this many values, or this many `$ref`/`allOf` hops in a row, a
        /// placeholder is written whatever the schema says (unsatisfiable recursive schemas).
        static let hardDepth = 24, softBudget = 2_000, hardBudget = 10_000, maxHops = 32

        let root: JSONValue
        var random: SeededRandom
        var values: any SchemaValueSource
        private var produced = 0

        init(root: JSONValue, random: SeededRandom, values: any SchemaValueSource) {
            self.root = root
            self.random = random
            self.values = values
        }

        mutating func value(_ schema: JSONValue, name: String?, depth: Int, hops: Int = 0, index: Int? = nil) -> JSONValue {
            produced += 1
            guard case .object(var s) = schema else {
                return schema == .bool(false) ? .null : .string(text(name))  // `false` admits nothing
            }
            if depth > Self.hardDepth || hops > Self.maxHops || produced > Self.hardBudget { return placeholder(s) }
            if s["$ref"] != nil || s["allOf"] != nil {
                var parts: [JSONObject] = []
                collectParts(schema, into: &parts, hops: hops)
                s = merge(parts)
            }
            let minimal = depth > Self.fullDepth || produced > Self.softBudget
            if let c = s["const"] { return c }
            if s["anyOf"] == nil && s["oneOf"] == nil,
               let supplied = values.value(for: SchemaSlot(name: name, schema: s, index: index), random: &random),
               fits(supplied, s) {
                return supplied
            }
            if let choices = s["enum"]?.arrayValue, !choices.isEmpty { return pick(choices, minimal: minimal) }
            if let d = s["default"], !d.isNull, looksValid(d, s) { return d }
            if let e = s["examples"]?.arrayValue?.first, !e.isNull, looksValid(e, s) { return e }
            if let branches = (s["anyOf"] ?? s["oneOf"])?.arrayValue, !branches.isEmpty {
                let usable = branches.filter { !isNullSchema($0) }
                if minimal && usable.count < branches.count { return .null }
                guard let branch = usable.first else { return .null }
                s.members.removeAll { $0.key == "anyOf" || $0.key == "oneOf" }
                let combined = branch.objectValue.map { JSONValue.object(merge([$0, s])) } ?? branch
                return value(combined, name: name, depth: depth, hops: hops + 1, index: index)
            }
            switch chosenType(s, minimal: minimal) {
            case "object": return object(s, depth: depth, minimal: minimal)
            case "array": return array(s, name: name, depth: depth, minimal: minimal)
            case "string": return string(s, name: name)
            case "integer": return number(s, integer: true)
            case "number": return number(s, integer: false)
            case "boolean": return .bool(random.next() & 1 == 0)
            case "null": return .null
            default: return .string(text(name))
            }
        }

        private mutating func object(_ s: JSONObject, depth: Int, minimal: Bool) -> JSONValue {
            let required = s["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
            var out: [JSONObject.Member] = []
            func has(_ key: String) -> Bool { out.contains { $0.key == key } }
            if let properties = s["properties"]?.objectValue {
                for member in properties.members where !has(member.key) && (!minimal || required.contains(member.key)) {
                    let schema = properties[member.key] ?? member.value  // a repeated key means its last value
                    out.append(.init(key: member.key, value: value(schema, name: member.key, depth: depth + 1)))
                }
            }
            let extra: JSONValue = s["additionalProperties"].flatMap { $0.objectValue != nil ? $0 : nil } ?? .bool(true)
            for key in required where !has(key) {
                out.append(.init(key: key, value: value(extra, name: key, depth: depth + 1)))
            }
            return .object(JSONObject(out))
        }

        private mutating func array(_ s: JSONObject, name: String?, depth: Int, minimal: Bool) -> JSONValue {
            let minItems = s.schemaCount("minItems", cap: 50) ?? 0
            let maxItems = max(s.schemaCount("maxItems", cap: 1_000_000) ?? .max, minItems)
            var prefix = s["prefixItems"]?.arrayValue ?? []
            var rest = s["items"] ?? .bool(true)
            if case .array(let tuple) = rest {  // draft 4 tuples
                prefix = tuple
                rest = s["additionalItems"] ?? .bool(true)
            }
            var count = minItems
            if !minimal {
                let low = max(minItems, 1)
                count = prefix.isEmpty ? low + below(max(low, 2) - low + 1) : max(minItems, prefix.count)
            }
            count = min(count, maxItems)
            if rest == .bool(false) { count = min(count, max(prefix.count, minItems)) }
            let unique = s["uniqueItems"] == .bool(true)
            let itemName = name.map(Self.singular)
            var items: [JSONValue] = []
            var attempts = 0
            while items.count < count && attempts < count * 10 + 10 {
                attempts += 1
                let i = items.count
                let item = value(i < prefix.count ? prefix[i] : rest, name: itemName, depth: depth + 1, index: attempts - 1)
                if unique && items.contains(item) { continue }
                items.append(item)
            }
            return .array(items)
        }

        /// The schema's own members first, then what its `$ref` and `allOf` stand for, flattened.
        private func collectParts(_ schema: JSONValue, into parts: inout [JSONObject], hops: Int) {
            guard hops <= Self.maxHops, parts.count < 64, case .object(var s) = schema else { return }
            let ref = s["$ref"]?.stringValue
            let all = s["allOf"]?.arrayValue ?? []
            s.members.removeAll { $0.key == "$ref" || $0.key == "allOf" }
            parts.append(s)
            if let ref, let target = resolve(ref) { collectParts(target, into: &parts, hops: hops + 1) }
            for branch in all { collectParts(branch, into: &parts, hops: hops + 1) }
        }

        /// One schema from several: properties and required names united (a property defined
        /// twice must satisfy both), any other keyword from the first part that has it.
        private func merge(_ parts: [JSONObject]) -> JSONObject {
            var out = JSONObject()
            var properties: [JSONObject.Member] = []
            var required: [JSONValue] = []
            for part in parts {
                for member in part.members {
                    switch member.key {
                    case "properties":
                        for p in member.value.objectValue?.members ?? [] {
                            if let i = properties.firstIndex(where: { $0.key == p.key }) {
                                properties[i].value = .object(JSONObject([.init(key: "allOf", value: .array([properties[i].value, p.value]))]))
                            } else {
                                properties.append(p)
                            }
                        }
                    case "required":
                        for name in member.value.arrayValue ?? [] where !required.contains(name) { required.append(name) }
                    default:
                        if out[member.key] == nil { out.members.append(member) }
                    }
                }
            }
            if !properties.isEmpty { out.members.append(.init(key: "properties", value: .object(JSONObject(properties)))) }
            if !required.isEmpty { out.members.append(.init(key: "required", value: .array(required))) }
            return out
        }

        /// `#`, or a JSON pointer from the root (`#/$defs/Address`); nil for anything else.
        private func resolve(_ ref: String) -> JSONValue? {
            guard ref.hasPrefix("#") else { return nil }
            let pointer = ref.dropFirst()
            if pointer.isEmpty { return root }
            guard pointer.hasPrefix("/") else { return nil }
            var node = root
            for raw in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
                let token = String(raw).replacing("~1", with: "/").replacing("~0", with: "~")
                switch node {
                case .object(let o): guard let next = o[token] else { return nil }; node = next
                case .array(let a): guard let i = Int(token), a.indices.contains(i) else { return nil }; node = a[i]
                default: return nil
                }
            }
            return node
        }

        private func isNullSchema(_ schema: JSONValue) -> Bool {
            guard var s = schema.objectValue else { return false }
            if let ref = s["$ref"]?.stringValue, let target = resolve(ref)?.objectValue { s = target }
            return s["type"] == .string("null") || s["const"] == .null || s["enum"] == .array([.null])
        }

        /// The type to write: the declared one (a non-null one from a list), else inferred from keywords.
        func chosenType(_ s: JSONObject, minimal: Bool) -> String? {
            switch s["type"] {
            case .string(let t): return t
            case .array(let list):
                let names = list.compactMap(\.stringValue)
                if minimal && names.contains("null") { return "null" }
                return names.first { $0 != "null" } ?? names.first
            default:
                func any(_ keys: String...) -> Bool { keys.contains { s[$0] != nil } }
                if any("properties", "required", "additionalProperties") { return "object" }
                if any("items", "prefixItems", "minItems", "maxItems") { return "array" }
                if any("minLength", "maxLength", "pattern", "format") { return "string" }
                if any("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf") { return "number" }
                return nil
            }
        }

        /// A shallow check of a `default` or example: type, length, bounds, item count, required keys.
        private func looksValid(_ v: JSONValue, _ s: JSONObject) -> Bool {
            let declared = s["type"].map { $0.arrayValue?.compactMap(\.stringValue) ?? [$0.stringValue ?? ""] }
            if let declared, !declared.contains(where: { Self.matches(v, type: $0) }) { return false }
            func within(_ count: Int, _ minKey: String, _ maxKey: String) -> Bool {
                count >= s.schemaCount(minKey, cap: 1 << 40) ?? 0 && count <= s.schemaCount(maxKey, cap: 1 << 40) ?? .max
            }
            switch v {
            case .string(let text): return within(text.unicodeScalars.count, "minLength", "maxLength")
            case .array(let items): return within(items.count, "minItems", "maxItems")
            case .number(let d): return d >= s.schemaNumber("minimum") ?? -.infinity && d <= s.schemaNumber("maximum") ?? .infinity
            case .object(let o):
                return (s["required"]?.arrayValue ?? []).allSatisfy { $0.stringValue.map { o[$0] != nil } ?? true }
            default: return true
            }
        }

        /// Whether a supplied value may stand for `s`: a leaf (an array or object is not checked
        /// deeply enough: the generator writes those and asks for their leaves), one of its `enum`
        /// values, else a value that passes the shallow check and the exclusive bounds.
        private func fits(_ v: JSONValue, _ s: JSONObject) -> Bool {
            switch v {
            case .array, .object: return false
            default: break
            }
            if let choices = s["enum"]?.arrayValue { return choices.contains(v) }
            guard looksValid(v, s) else { return false }
            switch v {
            case .number(let d):
                if let m = s.schemaNumber("exclusiveMinimum"), d <= m { return false }
                if let m = s.schemaNumber("exclusiveMaximum"), d >= m { return false }
                if s["exclusiveMinimum"] == .bool(true), let m = s.schemaNumber("minimum"), d <= m { return false }  // draft 4
                if s["exclusiveMaximum"] == .bool(true), let m = s.schemaNumber("maximum"), d >= m { return false }
                if let step = s.schemaNumber("multipleOf"), step > 0 {
                    let q = d / step
                    if (q - q.rounded()).magnitude > 1e-9 * max(1, q.magnitude) { return false }
                }
            case .string(let text):
                if let format = s["format"]?.stringValue { return Self.isFormatted(text, format) }
            default:
                break
            }
            return true
        }

        /// Whether `text` is written in `format`, for the formats a supplied value may have (dates,
        /// times, e-mail addresses, URIs); any other format is the generator's to write.
        static func isFormatted(_ text: String, _ format: String) -> Bool {
            let b = Array(text.utf8)
            func digits(_ at: Int, _ n: Int) -> Int? {
                guard at + n <= b.count, b[at..<(at + n)].allSatisfy({ (48...57).contains($0) }) else { return nil }
                return b[at..<(at + n)].reduce(0) { $0 * 10 + Int($1 - 48) }
            }
            func date(_ at: Int) -> Bool {
                guard digits(at, 4) != nil, at + 10 <= b.count, b[at + 4] == 45, b[at + 7] == 45,
                      let m = digits(at + 5, 2), let d = digits(at + 8, 2) else { return false }
                return (1...12).contains(m) && (1...31).contains(d)
            }
            func time(_ at: Int) -> Bool {  // HH:MM:SS, fraction, then Z or an offset, to the end
                guard let h = digits(at, 2), at + 8 <= b.count, b[at + 2] == 58, b[at + 5] == 58, let m = digits(at + 3, 2),
                      let s = digits(at + 6, 2), h < 24, m < 60, s < 60 else { return false }
                var i = at + 8
                if i < b.count, b[i] == 46 {
                    i += 1
                    let start = i
                    while i < b.count, (48...57).contains(b[i]) { i += 1 }
                    if i == start { return false }
                }
                if i + 1 == b.count, b[i] == 90 || b[i] == 122 { return true }
                guard i + 6 == b.count, b[i] == 43 || b[i] == 45, let oh = digits(i + 1, 2), b[i + 3] == 58, let om = digits(i + 4, 2) else {
                    return false
                }
                return oh < 24 && om < 60
            }
            switch format {
            case "date": return b.count == 10 && date(0)
            case "time": return time(0)
            case "date-time": return b.count > 11 && date(0) && (b[10] == 84 || b[10] == 116) && time(11)
            case "email", "idn-email":
                let parts = text.split(separator: "@", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !text.contains(where: \.isWhitespace) else { return false }
                let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
                return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } }
            case "uri", "iri", "url", "uri-reference", "iri-reference":
                guard let colon = text.firstIndex(of: ":"), colon != text.startIndex, !text.contains(where: \.isWhitespace) else { return false }
                let scheme = text[..<colon]
                return scheme.first!.isLetter && scheme.allSatisfy { $0.isLetter || $0.isNumber || "+-.".contains($0) }
                    && text[colon...].count > 1
            default:
                return false
            }
        }

        static func matches(_ v: JSONValue, type: String) -> Bool {
            switch (type, v) {
            case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string),
                ("array", .array), ("object", .object): true
            case ("integer", .number(let d)): d == d.rounded()
            default: false
            }
        }

        /// Cheapest value of the schema's type, when limits forbid going deeper.
        private func placeholder(_ s: JSONObject) -> JSONValue {
            switch chosenType(s, minimal: true) {
            case "object": .object(JSONObject())
            case "array": .array([])
            case "integer", "number": .number(0)
            case "boolean": .bool(false)
            case "null": .null
            default: .string("x")
            }
        }

        private mutating func pick(_ choices: [JSONValue], minimal: Bool) -> JSONValue {
            if minimal && choices.contains(.null) { return .null }
            let usable = choices.filter { !$0.isNull }
            return usable.isEmpty ? .null : usable[below(usable.count)]
        }

        /// A uniform integer in 0..<n (n > 0).
        mutating func below(_ n: Int) -> Int {
            Int(truncatingIfNeeded: random.next() % UInt64(n))
        }

        /// `tags` names its items `tag`, `cities` `city`.
        static func singular(_ name: String) -> String {
            if name.count > 4 && name.hasSuffix("ies") { return name.dropLast(3) + "y" }
            return name.count > 3 && name.hasSuffix("s") && !name.hasSuffix("ss") ? String(name.dropLast()) : name
        }
    }
}

extension JSONObject {
    /// A finite number under `key`.
    public func schemaNumber(_ key: String) -> Double? {
        if case .number(let d) = self[key], d.isFinite { return d }
        return nil
    }

    /// A count (`minItems`, `minLength`, ...) under `key`, clamped to 0...cap.
    public func schemaCount(_ key: String, cap: Int) -> Int? {
        schemaNumber(key).map { Int(min(max($0.rounded(.up), 0), Double(cap))) }
    }
}

/// One leaf the generator is about to fill: the property's name (an array's items take its
/// singular), its schema (with `$ref` and `allOf` resolved), and for an array item its position.
public struct SchemaSlot: Sendable {
    public var name: String?
    public var schema: JSONObject
    public var index: Int?

    public init(name: String?, schema: JSONObject, index: Int? = nil) {
        self.name = name
        self.schema = schema
        self.index = index
    }
}

/// Supplies values for `SchemaInstance` before it invents them.
public protocol SchemaValueSource {
    /// A value for `slot`, or nil to let the generator invent one. A value that does not fit the
    /// slot's schema is not used, nor is an array or an object (their items and members are asked
    /// for one by one).
    mutating func value(for slot: SchemaSlot, random: inout SeededRandom) -> JSONValue?
}
