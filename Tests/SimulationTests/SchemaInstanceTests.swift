@testable import MockLLMCore
@testable import MockLLMSimulation
import TestSupport
import Testing

@Suite("Schema instances")
struct SchemaInstanceTests {
    static let weather = ##"{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]}},"required":["city"]}"##

    /// What openai-python sends for `parse()` with a pydantic model.
    static let person = ##"""
        {"$defs":{"Address":{"properties":{"street":{"title":"Street","type":"string"},"zip":{"anyOf":[{"type":"string"},{"type":"null"}],"title":"Zip"}},"required":["street","zip"],"title":"Address","type":"object","additionalProperties":false},"Color":{"enum":["red","green"],"title":"Color","type":"string"}},"properties":{"name":{"description":"Full name","title":"Name","type":"string"},"age":{"title":"Age","type":"integer"},"height":{"title":"Height","type":"number"},"tags":{"items":{"type":"string"},"title":"Tags","type":"array"},"color":{"$ref":"#/$defs/Color"},"kind":{"enum":["a","b"],"title":"Kind","type":"string"},"address":{"$ref":"#/$defs/Address"},"previous":{"default":[],"items":{"$ref":"#/$defs/Address"},"title":"Previous","type":"array"},"nickname":{"anyOf":[{"type":"string"},{"type":"null"}],"title":"Nickname"},"pet":{"anyOf":[{"type":"integer"},{"type":"string"}],"title":"Pet"}},"required":["name","age","height","tags","color","kind","address","previous","nickname","pet"],"title":"Person","type":"object","additionalProperties":false}
        """##

    static let treeByRoot = ##"{"type":"object","properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#"}}},"required":["name","children"],"additionalProperties":false}"##

    static let listByDefs = ##"{"$defs":{"Node":{"type":"object","properties":{"value":{"type":"integer"},"next":{"anyOf":[{"$ref":"#/$defs/Node"},{"type":"null"}]}},"required":["value","next"]}},"$ref":"#/$defs/Node"}"##

    static let numbers = ##"""
        {"type":"object","properties":{
          "open":{"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":3},
          "narrow":{"type":"number","minimum":0.5,"maximum":0.6},
          "quarters":{"type":"number","multipleOf":0.25,"minimum":1,"maximum":2},
          "tenths":{"type":"number","multipleOf":0.1,"exclusiveMinimum":0,"maximum":1},
          "fives":{"type":"integer","multipleOf":5,"minimum":-20,"exclusiveMaximum":-10},
          "halves":{"type":"integer","multipleOf":0.5,"minimum":0,"maximum":3},
          "fixed":{"type":"integer","minimum":5,"maximum":5},
          "draft4":{"type":"number","minimum":0,"exclusiveMinimum":true,"maximum":1,"exclusiveMaximum":true},
          "below":{"type":"integer","maximum":-1000},
          "above":{"type":"number","exclusiveMinimum":1e12},
          "huge":{"type":"number","minimum":-1e308,"maximum":1e308},
          "untyped":{"minimum":7,"maximum":9}}}
        """##

    static let formats = ##"""
        {"type":"object","properties":{"when":{"type":"string","format":"date-time"},"day":{"type":"string","format":"date"},
          "at":{"type":"string","format":"time"},"for":{"type":"string","format":"duration"},"mail":{"type":"string","format":"email"},
          "host":{"type":"string","format":"hostname"},"v4":{"type":"string","format":"ipv4"},"v6":{"type":"string","format":"ipv6"},
          "id":{"type":"string","format":"uuid"},"link":{"type":"string","format":"uri"},"Home Page":{"format":"uri"},
          "odd":{"type":"string","format":"no-such-format","maxLength":5}}}
        """##

    static let typeArrays = ##"{"type":"object","properties":{"s":{"type":["string","null"]},"i":{"type":["null","integer"]},"n":{"type":["null"]},"o":{"type":["object","null"],"properties":{"x":{"type":"boolean"}},"required":["x"]}}}"##

    static let tuples = ##"""
        {"type":"object","properties":{
          "closed":{"type":"array","prefixItems":[{"type":"string"},{"type":"integer"},{"type":"boolean"}],"items":false},
          "open":{"type":"array","prefixItems":[{"const":"head"}],"items":{"type":"number"},"minItems":5},
          "draft4":{"type":"array","items":[{"type":"integer"},{"type":"string"}],"additionalItems":false}}}
        """##

    static let allOf = ##"{"$defs":{"A":{"type":"object","properties":{"a":{"type":"string","minLength":3}},"required":["a"]}},"allOf":[{"$ref":"#/$defs/A"},{"type":"object","properties":{"a":{"maxLength":8},"b":{"type":"integer"}},"required":["b"]}]}"##

    static let nestedArrays = ##"{"type":"object","properties":{"rows":{"type":"array","minItems":2,"maxItems":4,"items":{"type":"object","properties":{"id":{"type":"integer","minimum":1},"cells":{"type":"array","items":{"type":"array","items":{"type":"number"},"minItems":3,"maxItems":3}}},"required":["id","cells"]}}},"required":["rows"]}"##

    static let strings = ##"""
        {"type":"object","properties":{"long":{"type":"string","minLength":50},"short":{"type":"string","maxLength":3},
          "exact":{"type":"string","minLength":10,"maxLength":10},"none":{"type":"string","maxLength":0},
          "a_property_name_that_goes_on_and_on_and_on":{"type":"string"},"unique":{"type":"array","items":{"enum":["a","b","c"]},"uniqueItems":true,"minItems":3},
          "fixed":{"const":{"k":[1,2]}},"chosen":{"type":"integer","default":7},"badDefault":{"type":"integer","default":"x"},
          "example":{"type":"string","examples":["Paris"]},"maybe":{"enum":[null,"yes"]},"oneOf":{"oneOf":[{"type":"null"},{"type":"boolean"}]}}}
        """##

    static let validSchemas: [(String, String)] = [
        ("weather", weather), ("person", person), ("tree via #", treeByRoot), ("list via $defs", listByDefs),
        ("numbers", numbers), ("formats", formats), ("type arrays", typeArrays), ("tuples", tuples),
        ("allOf", allOf), ("nested arrays", nestedArrays), ("strings", strings), ("empty", "{}"), ("true", "true"),
    ]

    func parse(_ text: String) throws -> JSONValue { try JSONReader.parse(Array(text.utf8)) }

    func generate(_ schema: JSONValue, seed: UInt64) -> JSONValue {
        var random = SeededRandom(seed: seed)
        return SchemaInstance.generate(schema, random: &random)
    }

    @Test(arguments: validSchemas)
    func generatesValidValuesForManySeeds(name: String, text: String) throws {
        let schema = try parse(text)
        for seed in 0..<200 as Range<UInt64> {
            let value = generate(schema, seed: seed)
            let errors = Validator(root: schema).errors(value, schema)
            #expect(errors.isEmpty, "\(name), seed \(seed): \(errors) in \(value.jsonText)")
            #expect(value.jsonText.utf8.count < 20_000)
        }
    }

    @Test func weatherArgumentsAreReadable() throws {
        let schema = try parse(Self.weather)
        var units: Set<String> = []
        for seed in 0..<50 as Range<UInt64> {
            let args = generate(schema, seed: seed).objectValue
            #expect(args?["city"]?.stringValue?.hasPrefix("city ") == true)
            #expect((args?["city"]?.stringValue?.count ?? 99) < 40)
            units.insert(args?["unit"]?.stringValue ?? "")
        }
        #expect(units == ["c", "f"])
    }

    @Test func personFillsOptionalsWithValuesNotNulls() throws {
        let schema = try parse(Self.person)
        for seed in 0..<50 as Range<UInt64> {
            let person = generate(schema, seed: seed).objectValue
            #expect(person?.members.map(\.key) == ["name", "age", "height", "tags", "color", "kind", "address", "previous", "nickname", "pet"])
            #expect(person?["nickname"]?.stringValue != nil)
            #expect(person?["address"]?.objectValue?["zip"]?.stringValue != nil)
            #expect(person?["previous"] == .array([]))  // the default
            #expect(person?["pet"].map { Validator.matches($0, type: "integer") } == true)  // the first branch
        }
    }

    @Test func recursionStopsAtABoundedDepth() throws {
        for text in [Self.treeByRoot, Self.listByDefs] {
            let schema = try parse(text)
            for seed in 0..<50 as Range<UInt64> {
                #expect(depth(of: generate(schema, seed: seed)) <= 2 * 7 + 2)
            }
        }
        let list = generate(try parse(Self.listByDefs), seed: 1)
        #expect(list.jsonText.hasSuffix(##""next":null}}}}}}}"##))  // seven nodes: depths 0 to 6
    }

    @Test func formatsLookReal() throws {
        let value = generate(try parse(Self.formats), seed: 3).objectValue
        #expect(value?["mail"]?.stringValue?.hasSuffix("@example.com") == true)
        #expect(value?["Home Page"]?.stringValue?.hasPrefix("https://example.com/home-page/") == true)
        #expect(value?["for"]?.stringValue?.hasPrefix("PT") == true)
        #expect(value?["odd"]?.stringValue?.count == 5)
    }

    @Test func sameSeedSameValueAndSeedsDiffer() throws {
        for (_, text) in Self.validSchemas {
            let schema = try parse(text)
            #expect(generate(schema, seed: 42) == generate(schema, seed: 42))
        }
        for text in [Self.weather, Self.person, Self.nestedArrays, Self.formats] {
            let schema = try parse(text)
            let distinct = Set((0..<20 as Range<UInt64>).map { generate(schema, seed: $0).jsonText })
            #expect(distinct.count >= 15)
        }
    }

    @Test func advancesTheCallersRandomState() throws {
        let schema = try parse(Self.weather)
        var random = SeededRandom(seed: 9)
        let first = SchemaInstance.generate(schema, random: &random)
        let second = SchemaInstance.generate(schema, random: &random)
        #expect(first != second)
    }

    @Test(arguments: [
        "[]", #""string""#, "42", "null", "false", ##"{"type":"strange"}"##, ##"{"type":42}"##, ##"{"type":[]}"##,
        ##"{"$ref":"#/nope"}"##, ##"{"$ref":"http://example.com/x.json"}"##, ##"{"$ref":"#"}"##, ##"{"$ref":42}"##,
        ##"{"allOf":[{"$ref":"#"},{"$ref":"#"}]}"##, ##"{"anyOf":[{"$ref":"#"}]}"##, ##"{"oneOf":[]}"##, ##"{"anyOf":"x"}"##,
        ##"{"enum":[]}"##, ##"{"properties":[]}"##, ##"{"type":"object","properties":{"a":7},"required":[1,"b"]}"##,
        ##"{"type":"object","properties":{"a":{"$ref":"#"}},"required":["a"]}"##,
        ##"{"type":"object","properties":{"a":{"$ref":"#"},"b":{"$ref":"#"},"c":{"$ref":"#"}},"required":["a","b","c"]}"##,
        ##"{"type":"array","minItems":1e9,"items":{"type":"array","minItems":-3,"items":{"$ref":"#"}}}"##,
        ##"{"type":"array","items":{"type":"string","minLength":1e9},"minItems":1e300}"##,
        ##"{"type":"integer","minimum":10,"maximum":1}"##, ##"{"type":"number","multipleOf":-1}"##,
        ##"{"type":"integer","multipleOf":0.3}"##, ##"{"type":"integer","multipleOf":1e-300}"##,
        ##"{"type":"number","exclusiveMinimum":1e300}"##, ##"{"type":"number","maximum":-1e308,"minimum":-1.7e308}"##,
        ##"{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}"##,
        ##"{"type":"string","pattern":"^[0-9]{3}$","format":7,"minLength":"x"}"##,
        ##"{"type":"string","default":"abc","maxLength":1e300}"##, ##"{"type":"array","default":[1],"minItems":1e20}"##,
        ##"{"$ref":"#/properties/a~1b/items/0","properties":{"a/b":{"items":[{"type":"boolean"}]}}}"##,
    ])
    func survivesMalformedAndUnsatisfiableSchemas(text: String) throws {
        let schema = try parse(text)
        for seed in 0..<5 as Range<UInt64> {
            let value = generate(schema, seed: seed)
            #expect(value.jsonText.utf8.count < 200_000)
            #expect(try parse(value.jsonText) == value)
        }
    }

    /// Python's jsonschema checks `multipleOf` by exact division: 0.3 / 0.1 fails there.
    @Test func decimalMultiplesDivideBackExactly() throws {
        let schema = try parse(##"{"type":"number","multipleOf":0.1,"minimum":0,"maximum":5}"##)
        for seed in 0..<200 as Range<UInt64> {
            guard case .number(let v) = generate(schema, seed: seed) else { Issue.record("not a number"); continue }
            #expect(v / 0.1 == (v / 0.1).rounded(), "\(v)")
        }
    }

    @Test func resolvesEscapedPointers() throws {
        let schema = try parse(##"{"$ref":"#/properties/a~1b/items/0","properties":{"a/b":{"items":[{"type":"boolean"}]}}}"##)
        #expect(Validator.matches(generate(schema, seed: 1), type: "boolean"))
    }

    func depth(of value: JSONValue) -> Int {
        switch value {
        case .array(let items): 1 + (items.map(depth).max() ?? 0)
        case .object(let o): 1 + (o.members.map { depth(of: $0.value) }.max() ?? 0)
        default: 0
        }
    }

    // MARK: - Supplied values

    /// Supplies `value` for every leaf named `name`, and records the slots it was asked about.
    struct Supplier: SchemaValueSource {
        var name: String
        var value: JSONValue
        var asked: [SchemaSlot] = []
        mutating func value(for slot: SchemaSlot, random: inout SeededRandom) -> JSONValue? {
            asked.append(slot)
            return slot.name == name ? value : nil
        }
    }

    func supplied(_ schemaText: String, _ name: String, _ value: JSONValue) throws -> JSONValue? {
        var random = SeededRandom(seed: 5)
        return SchemaInstance.generate(try parse(schemaText), random: &random, values: Supplier(name: name, value: value)).objectValue?[name]
    }

    @Test(arguments: [
        (#"{"properties":{"city":{"type":"string"}}}"#, JSONValue.string("Paris"), true),
        (#"{"properties":{"city":{"type":"integer"}}}"#, .string("Paris"), false),
        (#"{"properties":{"city":{"type":"string","maxLength":3}}}"#, .string("Paris"), false),
        (#"{"properties":{"city":{"enum":["Oslo","Rome"]}}}"#, .string("Paris"), false),
        (#"{"properties":{"city":{"enum":["Oslo","Paris"]}}}"#, .string("Paris"), true),
        (#"{"properties":{"city":{"const":"Oslo"}}}"#, .string("Paris"), false),
        (#"{"properties":{"city":{"type":"string","default":"Oslo"}}}"#, .string("Paris"), true),
        (#"{"properties":{"city":{"anyOf":[{"type":"string"},{"type":"null"}]}}}"#, .string("Paris"), true),
        (##"{"properties":{"city":{"$ref":"#/$defs/C"}},"$defs":{"C":{"type":"string"}}}"##, .string("Paris"), true),
        (#"{"properties":{"city":{"type":"number","exclusiveMaximum":3}}}"#, .number(3), false),
        (#"{"properties":{"city":{"type":"integer","minimum":0}}}"#, .number(2.5), false),
        (#"{"properties":{"city":{"type":"integer","minimum":0}}}"#, .number(2), true),
        (#"{"properties":{"city":{"type":"number","maximum":3,"exclusiveMaximum":true}}}"#, .number(3), false),
        (#"{"properties":{"city":{"type":"number","multipleOf":0.1}}}"#, .number(0.25), false),
        (#"{"properties":{"city":{"type":"number","multipleOf":0.1}}}"#, .number(0.3), true),
        (#"{"properties":{"city":{"type":"array","items":{"type":"integer"}}}}"#, .array([.string("a")]), false),
        (#"{"properties":{"city":{}}}"#, .object(JSONObject()), false),
        (#"{"properties":{"city":{"type":"string","format":"date"}}}"#, .string("2024-03-05"), true),
        (#"{"properties":{"city":{"type":"string","format":"date"}}}"#, .string("2024-13-05"), false),
        (#"{"properties":{"city":{"type":"string","format":"date-time"}}}"#, .string("2024-03-05T09:30:00Z"), true),
        (#"{"properties":{"city":{"type":"string","format":"date-time"}}}"#, .string("2024-03-05T09:30:00.5+01:00"), true),
        (#"{"properties":{"city":{"type":"string","format":"date-time"}}}"#, .string("2024-03-05T09:30:00"), false),
        (#"{"properties":{"city":{"type":"string","format":"time"}}}"#, .string("24:00:00Z"), false),
        (#"{"properties":{"city":{"type":"string","format":"email"}}}"#, .string("ada@example.com"), true),
        (#"{"properties":{"city":{"type":"string","format":"email"}}}"#, .string("ada@example"), false),
        (#"{"properties":{"city":{"type":"string","format":"uri"}}}"#, .string("https://example.org/a?b=1"), true),
        (#"{"properties":{"city":{"type":"string","format":"uri"}}}"#, .string("example.org"), false),
        (#"{"properties":{"city":{"type":"string","format":"uuid"}}}"#, .string("Paris"), false),
    ] as [(String, JSONValue, Bool)])
    func aSuppliedValueIsUsedOnlyWhenItFits(schema: String, value: JSONValue, used: Bool) throws {
        let out = try supplied(schema, "city", value)
        #expect((out == value) == used, "\(String(describing: out))")
    }

    /// Records every slot it is asked about (a class, so the record outlives the generation).
    final class Recorder: SchemaValueSource {
        var asked: [SchemaSlot] = []
        func value(for slot: SchemaSlot, random: inout SeededRandom) -> JSONValue? {
            asked.append(slot)
            return nil
        }
    }

    @Test func arrayItemsAreAskedWithTheirPositionAndSingularName() throws {
        var random = SeededRandom(seed: 5)
        let recorder = Recorder()
        let schema = try parse(#"{"properties":{"cities":{"type":"array","items":{"type":"string"},"minItems":2,"maxItems":2}}}"#)
        _ = SchemaInstance.generate(schema, random: &random, values: recorder)
        #expect(recorder.asked.filter { $0.name == "city" }.map(\.index) == [0, 1])
        #expect(recorder.asked.first?.name == nil, "the root is asked too, without a name")
    }

    /// Supplies a value drawn from `junk` for every slot, whatever the slot wants.
    struct Junk: SchemaValueSource {
        static let values: [JSONValue] = [
            .string("Paris"), .string(""), .string(String(repeating: "x", count: 2_000)), .number(2), .number(-3.5), .number(1e12),
            .number(0.25), .bool(true), .null, .array([]), .array([.string("a")]), .object(JSONObject()),
            .string("2024-03-05"), .string("c"), .string("red"), .number(5),
        ]
        mutating func value(for slot: SchemaSlot, random: inout SeededRandom) -> JSONValue? {
            let i = Int(random.next() % UInt64(Self.values.count + 1))
            return i == Self.values.count ? nil : Self.values[i]
        }
    }

    @Test(arguments: validSchemas)
    func suppliedValuesNeverMakeAnInstanceInvalid(name: String, text: String) throws {
        let schema = try parse(text)
        for seed in 0..<200 as Range<UInt64> {
            var random = SeededRandom(seed: seed)
            let value = SchemaInstance.generate(schema, random: &random, values: Junk())
            let errors = Validator(root: schema).errors(value, schema)
            #expect(errors.isEmpty, "\(name), seed \(seed): \(errors) in \(value.jsonText)")
        }
    }
}

/// Just enough JSON Schema to check what `SchemaInstance` claims to support.
private struct Validator {
    let root: JSONValue

    func errors(_ v: JSONValue, _ schema: JSONValue, at path: String = "$") -> [String] {
        guard case .object(let s) = schema else { return schema == .bool(false) ? ["\(path): false schema"] : [] }
        var found: [String] = []
        func fail(_ why: String) { found.append("\(path): \(why)") }
        if let ref = s["$ref"]?.stringValue {
            if let target = resolve(ref) { found += errors(v, target, at: path) } else { fail("dangling \(ref)") }
        }
        if let types = s["type"] {
            let names = types.arrayValue?.compactMap(\.stringValue) ?? [types.stringValue ?? ""]
            if !names.contains(where: { Self.matches(v, type: $0) }) { fail("not \(names)") }
        }
        if let c = s["const"], c != v { fail("not the const") }
        if let e = s["enum"]?.arrayValue, !e.contains(v) { fail("not in enum") }
        for branch in s["allOf"]?.arrayValue ?? [] { found += errors(v, branch, at: path) }
        if let any = s["anyOf"]?.arrayValue, !any.contains(where: { errors(v, $0, at: path).isEmpty }) { fail("no anyOf branch") }
        if let one = s["oneOf"]?.arrayValue, one.filter({ errors(v, $0, at: path).isEmpty }).count != 1 { fail("not exactly one oneOf branch") }
        switch v {
        case .string(let text): found += stringErrors(text, s, at: path)
        case .number(let d): found += numberErrors(d, s, at: path)
        case .array(let items):
            if items.count < Int(s.number("minItems") ?? 0) { fail("too few items") }
            if Double(items.count) > s.number("maxItems") ?? .infinity { fail("too many items") }
            if s["uniqueItems"] == .bool(true) && Set(items.map(\.jsonText)).count != items.count { fail("repeated items") }
            let prefix = s["prefixItems"]?.arrayValue ?? s["items"]?.arrayValue ?? []
            let rest = s["items"]?.arrayValue == nil ? s["items"] : s["additionalItems"]
            for (i, item) in items.enumerated() {
                if let itemSchema = i < prefix.count ? prefix[i] : rest { found += errors(item, itemSchema, at: "\(path)[\(i)]") }
            }
        case .object(let o):
            let properties = s["properties"]?.objectValue
            for name in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where o[name] == nil { fail("missing \(name)") }
            for member in o.members {
                if let p = properties?[member.key] {
                    found += errors(member.value, p, at: "\(path).\(member.key)")
                } else if let extra = s["additionalProperties"] {
                    found += errors(member.value, extra, at: "\(path).\(member.key)")
                }
            }
        default: break
        }
        return found
    }

    func stringErrors(_ text: String, _ s: JSONObject, at path: String) -> [String] {
        var found: [String] = []
        let length = Double(text.unicodeScalars.count)
        if length < s.number("minLength") ?? 0 { found.append("\(path): shorter than minLength") }
        if length > s.number("maxLength") ?? .infinity { found.append("\(path): longer than maxLength") }
        let patterns = [
            "date-time": #"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"#,
            "date": #"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"#,
            "time": #"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"#,
            "duration": #"^P(\d+Y)?(\d+M)?(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$"#,
            "email": #"^[^@\s]+@[a-z0-9-]+(\.[a-z0-9-]+)+$"#,
            "hostname": #"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"#,
            "ipv4": #"^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$"#,
            "ipv6": #"^[0-9a-f]{1,4}(:[0-9a-f]{1,4}){0,6}::([0-9a-f]{1,4}(:[0-9a-f]{1,4}){0,6})?$"#,
            "uuid": #"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"#,
            "uri": #"^https?://[a-z0-9.-]+(/[A-Za-z0-9._~/-]*)?$"#,
        ]
        if let format = s["format"]?.stringValue, let pattern = patterns[format],
            let regex = try? Regex(pattern), text.wholeMatch(of: regex) == nil || text == "P"
        {
            found.append("\(path): not a \(format)")
        }
        return found
    }

    func numberErrors(_ d: Double, _ s: JSONObject, at path: String) -> [String] {
        var found: [String] = []
        if d < s.number("minimum") ?? -.infinity { found.append("\(path): below minimum") }
        if d > s.number("maximum") ?? .infinity { found.append("\(path): above maximum") }
        switch s["exclusiveMinimum"] {
        case .number(let m) where d <= m: found.append("\(path): not above exclusiveMinimum")
        case .bool(true) where d <= s.number("minimum") ?? -.infinity: found.append("\(path): not above minimum")
        default: break
        }
        switch s["exclusiveMaximum"] {
        case .number(let m) where d >= m: found.append("\(path): not below exclusiveMaximum")
        case .bool(true) where d >= s.number("maximum") ?? .infinity: found.append("\(path): not below maximum")
        default: break
        }
        if let m = s.number("multipleOf") {
            let q = d / m
            if (q - q.rounded()).magnitude > 1e-9 * max(1, q.magnitude) { found.append("\(path): not a multiple of \(m)") }
        }
        return found
    }

    func resolve(_ ref: String) -> JSONValue? {
        guard ref.hasPrefix("#") else { return nil }
        var node = root
        for token in ref.dropFirst().split(separator: "/") {
            let key = String(token).replacing("~1", with: "/").replacing("~0", with: "~")
            if let next = node.objectValue?[key] { node = next } else if let i = Int(key), let a = node.arrayValue, a.indices.contains(i) { node = a[i] } else { return nil }
        }
        return node
    }

    static func matches(_ v: JSONValue, type: String) -> Bool {
        switch (type, v) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .number(let d)): d == d.rounded()
        default: false
        }
    }
}

extension JSONObject {
    fileprivate func number(_ key: String) -> Double? {
        if case .number(let d) = self[key] { return d }
        return nil
    }
}

