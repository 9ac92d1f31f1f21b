@testable import MockLLMCore
@testable import MockLLMScript
@testable import MockLLMSimulation
import Testing

/// Argument extraction: `SchemaInstance` filled with `PromptValues` read from a prompt (and tool
/// results), as automatic mode writes tool arguments and structured replies. Deterministic.
@Suite("Prompt values")
struct PromptValuesTests {
    func schema(_ text: String) -> JSONValue {
        try! JSONReader.parse(Array(text.utf8))
    }

    /// The instance of `schema` written from `prompt` (and `context`), as a JSON object.
    func fill(_ schemaText: String, _ prompt: String, context: [String] = [], seed: UInt64 = 7) -> JSONObject {
        var random = SeededRandom(seed: seed)
        let value = SchemaInstance.generate(schema(schemaText), random: &random, values: PromptValues(primary: prompt, context: context))
        return value.objectValue ?? JSONObject()
    }

    static func object(_ properties: String, required: [String] = []) -> String {
        let names = required.map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"type":"object","properties":{\#(properties)},"required":[\#(names)]}"#
    }

    @Test(arguments: [
        ("What is the weather in Paris?", "Paris"),
        ("weather at New York please", "New York"),
        ("Is it raining in Rio de Janeiro today?", "Rio de Janeiro"),
        ("Paris", "Paris"),
    ])
    func aPlaceComesFromThePrompt(prompt: String, city: String) {
        #expect(fill(Self.object(#""city":{"type":"string"}"#), prompt)["city"] == .string(city))
    }

    @Test func aPersonAndANumberByTheWordsAroundIt() {
        let out = fill(Self.object(#""name":{"type":"string"},"age":{"type":"integer"}"#), "Extract: Jason is 25 years old")
        #expect(out["name"] == .string("Jason"))
        #expect(out["age"] == .number(25))
    }

    @Test func originDestinationDateAndCountTakeTheirOwnValues() {
        let out = fill(Self.object(##"""
            "origin":{"type":"string"},"destination":{"type":"string"},"date":{"type":"string","format":"date"},
            "adults":{"type":"integer","minimum":1}
            """##), "Book a flight from Paris to New York on March 5, 2024 for 2 adults")
        #expect(out["origin"] == .string("Paris"))
        #expect(out["destination"] == .string("New York"))
        #expect(out["date"] == .string("2024-03-05"))
        #expect(out["adults"] == .number(2))
    }

    @Test func twoPlacesOfAListAreTwoNames() {
        let out = fill(Self.object(#""cities":{"type":"array","items":{"type":"string"},"minItems":2,"maxItems":2}"#),
                       "Compare Paris and London")
        #expect(out["cities"] == .array([.string("Paris"), .string("London")]))
    }

    @Test(arguments: [
        ("What time is it in CET?", "timezone", "CET"),
        ("Convert 10 USD please", "currency", "USD"),
    ])
    func aCodeIsAnAllCapitalWord(prompt: String, property: String, expected: String) {
        #expect(fill(Self.object(#""\#(property)":{"type":"string"}"#), prompt)[property] == .string(expected))
    }

    @Test func anEnumMemberTheTextNamesWins() {
        let unit = #""unit":{"type":"string","enum":["celsius","fahrenheit"]}"#
        #expect(fill(Self.object(unit), "weather in Paris in Fahrenheit")["unit"] == .string("fahrenheit"))
        let sizes = #""size":{"enum":["small","medium","large"]}"#
        #expect(fill(Self.object(sizes), "a large coffee and a small cake")["size"] == .string("large"), "the first named")
        #expect(fill(Self.object(#""n":{"enum":[1,2,3]}"#), "pick 2 of them")["n"] == .number(2))
        // None named (or only inside a longer word): nothing supplied, the generator picks.
        var random = SeededRandom(seed: 1)
        var values = PromptValues(primary: "a smallish cup in Paris")
        let slot = SchemaSlot(name: "size", schema: schema(#"{"enum":["small","medium","large"]}"#).objectValue!)
        #expect(values.value(for: slot, random: &random) == nil)
    }

    @Test func aQueryIsTheQuotedTextElseThePrompt() {
        let query = Self.object(#""query":{"type":"string"}"#)
        #expect(fill(query, #"Search the docs for "swift testing" now"#)["query"] == .string("swift testing"))
        #expect(fill(query, "latest news about Swift")["query"] == .string("latest news about Swift"))
        #expect(fill(Self.object(#""query":{"type":"string","maxLength":6}"#), "latest news about Swift")["query"] == .string("latest"))
    }

    @Test func emailsURLsDatesAndTimes() {
        let out = fill(Self.object(##"""
            "to":{"type":"string","format":"email"},"link":{"type":"string","format":"uri"},
            "when":{"type":"string","format":"date-time"},"at":{"type":"string","format":"time"}
            """##), "Mail ada@example.com the page https://example.org/a?b=1, on 2024-12-24 at 6:30 pm.")
        #expect(out["to"] == .string("ada@example.com"))
        #expect(out["link"] == .string("https://example.org/a?b=1"))
        #expect(out["when"] == .string("2024-12-24T18:30:00Z"))
        #expect(out["at"] == .string("18:30:00Z"), "a date-time leaves its time free for a time of its own")
    }

    @Test func toolResultsGiveValuesByKeyAndByTheirWords() {
        let report = Self.object(#""city":{"type":"string"},"temperature_c":{"type":"number"},"conditions":{"type":"string"}"#)
        let fromJSON = fill(report, "weather in Paris?", context: [#"{"temp": 15.5, "sky": "Cloudy"}"#])
        #expect(fromJSON["city"] == .string("Paris"))
        #expect(fromJSON["temperature_c"] == .number(15.5))
        #expect(fromJSON["conditions"] == .string("cloudy"))
        let fromText = fill(report, "What is the weather in Paris?", context: ["Sunny, 15 degrees in Paris for the next 3 days"])
        #expect(fromText["temperature_c"] == .number(15))
        #expect(fromText["conditions"] == .string("sunny"))
        let byKey = fill(Self.object(#""name":{"type":"string"}"#), "my name is Ada Lovelace, hi")
        #expect(byKey["name"] == .string("Ada Lovelace"))
    }

    @Test func aNumberThatMeasuresSomethingElseIsNotTaken() {
        let out = fill(Self.object(#""temperature":{"type":"number"},"days":{"type":"integer"}"#), "forecast for 3 days in Oslo")
        #expect(out["days"] == .number(3))
        if case .number(let t) = out["temperature"] { #expect(t != 3 && (-5...32).contains(t)) } else { Issue.record("\(out)") }
    }

    @Test func boundsAndTypesAreKept() {
        let out = fill(Self.object(#""age":{"type":"integer","maximum":20},"count":{"type":"integer"}"#), "She is 25.5 years old")
        if case .number(let age) = out["age"] { #expect(age <= 20 && age == age.rounded()) } else { Issue.record("\(out)") }
        if case .number(let count) = out["count"] { #expect(count != 25.5) } else { Issue.record("\(out)") }
    }

    @Test func firstAndLastNamesArePartsOfAName() {
        let out = fill(Self.object(#""first_name":{"type":"string"},"lastName":{"type":"string"}"#), "Ada Lovelace wrote the first program")
        #expect(out["first_name"] == .string("Ada"))
        #expect(out["lastName"] == .string("Lovelace"))
    }

    @Test func withNothingNamedAValueIsPlausibleForTheName() {
        let out = fill(Self.object(##"""
            "city":{"type":"string"},"country":{"type":"string"},"email":{"type":"string"},"currency":{"type":"string"},
            "age":{"type":"integer"},"temperature":{"type":"number","minimum":100},"first_name":{"type":"string"},"widget":{"type":"string"}
            """##), "hello there")
        #expect(PromptValues.plausibleStrings.first { $0.0.contains("city") }!.1.contains(out["city"]?.stringValue ?? ""))
        #expect(PromptValues.plausibleStrings.first { $0.0.contains("country") }!.1.contains(out["country"]?.stringValue ?? ""))
        #expect(out["email"]?.stringValue?.hasSuffix("@example.com") == true)
        #expect(["USD", "EUR", "GBP", "JPY"].contains(out["currency"]?.stringValue ?? ""))
        if case .number(let age) = out["age"] { #expect((18...80).contains(age) && age == age.rounded()) } else { Issue.record("\(out)") }
        if case .number(let t) = out["temperature"] { #expect(t >= 100, "outside the plausible range: the generator's") }
        #expect(PromptValues.firstNames.contains(out["first_name"]?.stringValue ?? ""))
        #expect(out["widget"]?.stringValue?.hasPrefix("widget ") == true, "no plausible value: the generator's")
    }

    @Test func theSameTextsAndSeedGiveTheSameValues() {
        let schema = Self.object(#""city":{"type":"string"},"age":{"type":"integer"},"note":{"type":"string"}"#)
        #expect(fill(schema, "hi", seed: 3) == fill(schema, "hi", seed: 3))
        #expect(fill(schema, "trip to Rome", seed: 3)["city"] == fill(schema, "trip to Rome", seed: 99)["city"], "named: whatever the seed")
    }

    @Test func capitalisedCommonWordsAreNotNames() {
        let out = fill(Self.object(#""name":{"type":"string"}"#), "Please tell me. What is it? Hello!")
        #expect(PromptValues.plausibleStrings.last!.1.contains(out["name"]?.stringValue ?? ""), "\(out)")
    }

    static let oddTexts: [String] = [
        "", " ", "{", "}{", "{{{{{{{{", String(repeating: "[", count: 5_000), String(repeating: "{\"a\":", count: 300),
        "\"unterminated", "'", "''", "`", "“”", "ÉMILE à Zürich, ça va? 東京の天気は", "🌧️ in 🗼 and 🇫🇷", "- - 5 : : 12:", "Jan 99, 2024",
        "2024-13-45 and 99:99 pm", "1e309 1,000,000.5 -0 .5 5.", "in in in From To to", "Mr. Dr. named called is",
        String(repeating: "Paris and ", count: 3_000), "a@b@c @x x@ http:// https://", "\u{0}\u{7}\r\n\t",
    ]

    @Test func oddTextsNeverBreakAnInstance() throws {
        let schema = Self.object(##"""
            "city":{"type":"string"},"name":{"type":"string","maxLength":4},"age":{"type":"integer","minimum":0},
            "when":{"type":"string","format":"date-time"},"unit":{"enum":["c","f"]},"tags":{"type":"array","items":{"type":"string"}},
            "query":{"type":"string","minLength":3}
            """##, required: ["city", "name", "age", "when", "unit", "tags", "query"])
        for text in Self.oddTexts {
            let out = fill(schema, text, context: [text, "{\"temp\": \(text.count)}"])
            #expect(out.members.map(\.key) == ["city", "name", "age", "when", "unit", "tags", "query"], "\(text.prefix(40))")
            #expect((out["name"]?.stringValue?.count ?? 99) <= 4)
            #expect((out["query"]?.stringValue?.count ?? 0) >= 3)
        }
    }
}
