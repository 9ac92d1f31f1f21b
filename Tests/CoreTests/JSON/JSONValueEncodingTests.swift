@testable import MockLLMCore
@testable import MockLLMSimulation
import TestSupport
import Testing

@Suite("JSON value encoding")
struct JSONValueEncodingTests {
    func object(_ members: [(String, JSONValue)]) -> JSONValue {
        .object(JSONObject(members.map { JSONObject.Member(key: $0.0, value: $0.1) }))
    }

    func roundTrip(_ value: JSONValue) throws -> JSONValue {
        try JSONReader.parse(Array(value.jsonText.utf8))
    }

    @Test func writesCompactTextWithMembersInOrder() {
        let value = object([
            ("z", .number(1)), ("a", .array([.bool(true), .bool(false), .null])),
            ("m", object([])), ("s", .string("x")), ("e", .array([])),
        ])
        #expect(value.jsonText == #"{"z":1,"a":[true,false,null],"m":{},"s":"x","e":[]}"#)
    }

    @Test(arguments: [
        (3.0, "3"), (-3.0, "-3"), (0.0, "0"), (-0.0, "0"), (0.1, "0.1"), (-2.5, "-2.5"),
        (1e-7, "1e-07"), (1.5e300, "1.5e+300"), (9007199254740991.0, "9007199254740991"),
        (9007199254740992.0, "9007199254740992.0"), (1e16, "1e+16"), (Double.leastNonzeroMagnitude, "5e-324"),
        (Double.infinity, "null"), (-Double.infinity, "null"), (Double.nan, "null"),
    ])
    func writesNumbers(value: Double, text: String) {
        #expect(JSONValue.number(value).jsonText == text)
    }

    @Test func escapesStrings() {
        #expect(JSONValue.string("a\"b\\c\n\t\r\u{8}\u{c}\u{1}é😀/").jsonText == #""a\"b\\c\n\t\r\b\f\u0001é😀/""#)
    }

    @Test(arguments: [
        "", "plain", "quote \" and backslash \\", "lines\nand\ttabs\r", "\u{0}\u{1f}\u{7f}",
        "héllo 世界", "emoji 😀👍🏽", "combining e\u{301}", "\u{2028}\u{2029}", "{\"not\":\"json\"}",
    ])
    func roundTripsStrings(text: String) throws {
        #expect(try roundTrip(.string(text)) == .string(text))
        #expect(try roundTrip(object([(text, .string(text))])) == object([(text, .string(text))]))
    }

    @Test(arguments: [
        0.0, 1, -1, 42, 1e15, -1e15, 9007199254740991, 9007199254740994, 1e16, 1e300, -1e-300,
        0.1, 0.2, 1.0 / 3, 3.141592653589793, 2.5e-8, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude,
        -Double.leastNormalMagnitude, 123456.789,
    ])
    func roundTripsNumbers(value: Double) throws {
        #expect(try roundTrip(.number(value)) == .number(value))
    }

    @Test func roundTripsDeepNesting() throws {
        var value = JSONValue.string("leaf")
        for depth in 0..<100 {
            value = depth.isMultiple(of: 2) ? .array([value, .number(Double(depth))]) : object([("k\(depth)", value)])
        }
        #expect(try roundTrip(value) == value)
    }

    @Test func roundTripsRandomValues() throws {
        for seed in 0..<300 {
            var random = SeededRandom(seed: UInt64(seed))
            let value = randomValue(depth: 0, &random)
            #expect(try roundTrip(value) == value, "seed \(seed): \(value.jsonText)")
        }
    }

    @Test func appendsToExistingBytes() {
        var out = ByteBuffer("x=")
        out.append(json: .array([.number(1.5), .string("y")]))
        #expect(out.description == #"x=[1.5,"y"]"#)
    }

    /// A random value: any kind at any depth up to 4, numbers from raw bit patterns (finite only).
    func randomValue(depth: Int, _ random: inout SeededRandom) -> JSONValue {
        let kind = random.next() % (depth >= 4 ? 4 : 6)
        switch kind {
        case 0: return .null
        case 1: return .bool(random.next() & 1 == 0)
        case 2:
            let d = random.next() & 1 == 0 ? Double(bitPattern: random.next()) : Double(Int64(bitPattern: random.next()) >> 20)
            return d.isFinite ? .number(d) : .number(0)
        case 3: return .string(randomString(&random))
        case 4: return .array((0..<random.next() % 4).map { _ in randomValue(depth: depth + 1, &random) })
        default:
            return object((0..<random.next() % 4).map { _ in (randomString(&random), randomValue(depth: depth + 1, &random)) })
        }
    }

    func randomString(_ random: inout SeededRandom) -> String {
        let alphabet: [Unicode.Scalar] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\u{0}", "\u{1f}", "é", "世", "😀", "\u{2028}"]
        var s = String.UnicodeScalarView()
        for _ in 0..<random.next() % 8 { s.append(alphabet[Int(random.next() % UInt64(alphabet.count))]) }
        return String(s)
    }
}
