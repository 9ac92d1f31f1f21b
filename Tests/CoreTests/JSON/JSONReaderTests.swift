@testable import MockLLMCore
import TestSupport
import Testing

@Suite("JSON reader")
struct JSONReaderTests {
    func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try JSONReader.parse(Array(text.utf8))
    }

    @Test func readsEveryKindOfValue() throws {
        let value = try parse(#" {"s":"x","n":-12.5e1,"i":42,"t":true,"f":false,"z":null,"a":[1,[]],"o":{}} "#)
        guard case .object(let o) = value else { Issue.record("not an object"); return }
        #expect(o["s"] == .string("x"))
        #expect(o["n"] == .number(-125))
        #expect(o["i"] == .number(42))
        #expect(o["t"] == .bool(true))
        #expect(o["f"] == .bool(false))
        #expect(o["z"] == .null)
        #expect(o["a"] == .array([.number(1), .array([])]))
        #expect(o["o"] == .object(JSONObject()))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#) == .string("a\"b\\c/d\n\té😀"))
    }

    @Test func keepsRawUTF8() throws {
        #expect(try parse("\"héllo 世界\"") == .string("héllo 世界"))
    }

    @Test func aRepeatedKeyResolvesToItsLastValue() throws {
        guard case .object(let o) = try parse(#"{"k":1,"k":2}"#) else { return }
        #expect(o["k"] == .number(2))
    }

    @Test(arguments: [
        "", "   ", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "+1", "NaN", "Infinity", "tru", "nul",
        "'x'", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"a\u{1}b\"", "{1:2}", "[1 2]",
        "{\"a\" 1}", "1 2", "// c\n1", "[1]x",
    ])
    func rejectsMalformedInput(_ text: String) {
        #expect(throws: JSONParseError.self) { try parse(text) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONReader.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func limitsNesting() throws {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: JSONParseError.self) { try parse(deep) }
        let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        _ = try parse(ok)
    }

    @Test func locatesErrors() {
        do {
            _ = try parse("{\n  \"a\": x\n}")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 2)
            #expect(error.column == 8)
        }
    }

    @Test func readsLargeIntegersAndFractionsExactlyEnough() throws {
        #expect(try parse("123456789012345") == .number(123_456_789_012_345))
        #expect(try parse("1234567890123456789") == .number(Double("1234567890123456789")!))
        #expect(try parse("0.1") == .number(0.1))
        #expect(try parse("-0") == .number(0))
        #expect(throws: JSONParseError.self) { try parse("1e400") }
    }
}

@Suite("JSON document")
struct JSONDocumentTests {
    /// Runs `body` on the root of `text`'s document, keeping the document alive (nodes do not).
    func withRoot(_ text: String, _ body: (JSONNode) throws -> Void) throws {
        let document = try JSONDocument.parse(Array(text.utf8))
        try withExtendedLifetime(document) { try body(document.root) }
    }

    @Test func looksUpMembersByKeyIncludingEscapedKeys() throws {
        try withRoot(#"{"model":"m","mo\u0064el2":"x","k":1,"k":2,"":"empty"}"#) { root in
            #expect(root["model"]?.string == "m")
            #expect(root["model2"]?.string == "x")
            #expect(root["k"]?.number == 2)
            #expect(root[""]?.string == "empty")
            #expect(root["missing"] == nil)
            #expect(root.count == 5)
        }
    }

    @Test func walksNestedContainersBySkippingSubtrees() throws {
        try withRoot(#"{"a":[[1,{"x":[]}],2,{"y":null}],"b":"after"}"#) { root in
            let elements = root["a"]?.elements ?? []
            #expect(elements.count == 3)
            #expect(elements[1].number == 2)
            #expect(elements[2]["y"]?.isNull == true)
            #expect(root["b"]?.string == "after")
            #expect(root.members.map(\.key) == ["a", "b"])
        }
    }

    @Test func decodesLazilyButFaithfully() throws {
        try withRoot(#"{"s":"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00","n":-1.5e2,"i":7,"t":true,"f":false}"#) { root in
            #expect(root["s"]?.string == "a\"\\/\u{8}\u{c}\n\r\té😀")
            #expect(root["n"]?.number == -150)
            #expect(root["n"]?.integer == -150)
            #expect(root["i"]?.integer == 7)
            #expect(root["t"]?.bool == true && root["f"]?.bool == false)
            #expect(root["s"]?.number == nil && root["i"]?.string == nil)
        }
    }

    @Test func typeQueriesOnTheWrongKindAreNil() throws {
        try withRoot("[1]") { root in
            #expect(root["x"] == nil)
            #expect(root.members.isEmpty)
            #expect(root.isArray && !root.isObject)
        }
        try withRoot("{}") { root in #expect(root.elements.isEmpty) }
    }
}
