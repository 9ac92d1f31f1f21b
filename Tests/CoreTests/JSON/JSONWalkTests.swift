@testable import MockLLMCore
import TestSupport
import Testing

@Suite("JSON walk")
struct JSONWalkTests {
    func wellFormed(_ text: String) -> Bool {
        Array(text.utf8).withUnsafeBytes { JSONWalk.isWellFormed($0) }
    }

    @Test func acceptsWellFormedJSON() {
        for text in [#"{}"#, #"[]"#, #" {"a": [1, -2.5e+3, true, false, null, "x\"y\\", {"b": {}}], "c": ""} "#,
                     #""\\""#, "0", #"{"k":"\u00e9 é"}"#, "[[[]]]", "\r\n\t{\"a\":1}\n"] {
            #expect(wellFormed(text), "\(text)")
        }
    }

    @Test func refusesBrokenJSON() {
        for text in ["", " ", #"{"a":"unterminated"#, #"{"a":"x\"}"#, #"{"a" 1}"#, #"{"a":1,}"#, "[1,]", "[1 2]", #"{"a":1}}"#,
                     #"{"a":1} x"#, "{a:1}", "tru", "nul", "[DONE]", "{", #"{"a":"#, "--", "1x", "1.", "-", "1e", ".5", "+1"] {
            #expect(!wellFormed(text), "\(text)")
        }
    }

    @Test func refusesNestingDeeperThanTheLimit() {
        let limit = JSONWalk.maxDepth
        #expect(wellFormed(String(repeating: "[", count: limit) + String(repeating: "]", count: limit)))
        #expect(!wellFormed(String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)))
        #expect(!wellFormed(String(repeating: "{\"a\":", count: limit) + "[]" + String(repeating: "}", count: limit)))
        #expect(!wellFormed(String(repeating: "[", count: 100_000)), "no recursion to exhaust the stack")
    }

    @Test func walksIntoTheMembersAndElementsItIsAskedFor() {
        let text = #"{"a": {"x": "skip"}, "list": [{"t": "one"}, "two", {"t": ""}], "flag": true, "n": null}"#
        var seen: [String] = []
        var flag: Bool?
        let finished = Array(text.utf8).withUnsafeBytes { bytes in
            var walk = JSONWalk(bytes)
            walk.members { walk, key in
                if key.equals("list") {
                    walk.elements { walk, position in
                        walk.members { walk, key in
                            let value = walk.string().map { String(decoding: $0, as: UTF8.self) } ?? "-"
                            seen.append("\(position).\(String(decoding: key, as: UTF8.self))=\(value)")
                        }
                    }
                } else if key.equals("flag") {
                    flag = walk.boolean()
                } else if key.equals("n") {
                    seen.append(walk.nonEmptyString() ? "n: text" : "n: no text")
                } else {
                    walk.skipValue()
                }
            }
            return walk.finish()
        }
        #expect(finished)
        #expect(seen == ["0.t=one", "2.t=", "n: no text"])
        #expect(flag == true)
    }
}
