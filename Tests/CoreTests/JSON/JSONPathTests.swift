@testable import MockLLMCore
import Testing

@Suite("JSON path")
struct JSONPathTests {
    static let body = #"{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"user","content":"last"}],"a b":{"x":[1,[2,3]]}}"#

    func value(_ path: String) throws -> JSONValue? {
        let document = try JSONDocument.parse(Array(Self.body.utf8))
        return try withExtendedLifetime(document) { try JSONPath(path).value(in: document.root)?.materialize() }
    }

    @Test(arguments: [
        ("$", nil),
        ("$.model", JSONValue.string("m")),
        ("$.messages[0].content", .string("hi")),
        ("$.messages[-1].content", .string("last")),
        ("$.messages[1]['role']", .string("user")),
        (#"$["a b"].x[1][-1]"#, .number(3)),
        ("$.messages[2]", nil),
        ("$.messages[-3]", nil),
        ("$.model.name", nil),
        ("$.missing", nil),
        ("$.model[0]", nil),
    ] as [(String, JSONValue?)])
    func findsTheValueAtAPath(path: String, expected: JSONValue?) throws {
        if path == "$" {
            #expect(try value(path)?.objectValue != nil, "the root is the body")
        } else {
            #expect(try value(path) == expected)
        }
    }

    @Test(arguments: [
        ("model", 0), ("$.", 2), ("$..a", 2), ("$[", 1), ("$[x]", 2), ("$['a]", 1), ("$ .a", 1), ("$.a[1", 3),
    ])
    func refusesWhatIsNotAPath(text: String, offset: Int) {
        #expect(throws: JSONPath.ParseError.self) { try JSONPath(text) }
        do { _ = try JSONPath(text) } catch { #expect(error.offset == offset, "\(error.message)") }
    }
}
