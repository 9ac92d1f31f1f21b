@testable import MockLLMCore
@testable import MockLLMScript
@testable import MockLLMSimulation
import Testing

/// Automatic mode's decision table (`AutomaticDecision.decide`) from plain values: tool choice ×
/// tools offered × where the conversation stands × the format asked for, and how it reads a
/// prompt's clauses. No script, no provider.
@Suite("Automatic decision table")
struct AutomaticDecisionTests {
    static let weather = ToolOffer.Tool(name: "get_weather", description: "Get the current weather for a city.")
    static let time = ToolOffer.Tool(name: "get_time", description: "Get the current time in a time zone.")
    static let final = ToolOffer.Tool(name: "final_result", description: "The final response which ends this conversation")
    static let report = ToolOffer.Tool(name: "WeatherReport", description: "A weather report.")
    static let handoff = ToolOffer.Tool(name: "transfer_to_weather_agent", description: "Handoff to the Weather agent agent to handle the request.")
    static let schema: JSONValue = .object(JSONObject([.init(key: "type", value: .string("object"))]))

    static let paris = "What is the weather in Paris?"
    static let both = "What is the time in CET and the weather in Paris?"

    /// One row: the situation and what it must decide.
    struct Row: CustomTestStringConvertible, Sendable {
        var label: String
        var situation: AutomaticDecision.Situation
        var expected: AutomaticDecision
        var testDescription: String { label }
    }

    static func row(
        _ label: String, tools: [ToolOffer.Tool] = [weather, time], choice: ToolOffer.Choice = .auto, parallel: Bool = true,
        prompt: String = paris, results: [String]? = nil, called: [String] = [], format: AutomaticDecision.Format = .none,
        callsTools: Bool = true, _ expected: AutomaticDecision
    ) -> Row {
        Row(label: label, situation: AutomaticDecision.Situation(
            tools: tools, choice: choice, parallel: parallel, prompt: prompt,
            conversation: AutomaticDecision.Conversation(results: results, called: called), format: format, callsTools: callsTools),
            expected: expected)
    }

    static func calls(_ names: String..., source: String = paris) -> AutomaticDecision {
        .call(names.map { AutomaticDecision.PlannedCall(tool: $0, source: source) })
    }

    static let rows: [Row] = [
        // Nothing to call: no tools, tool_choice none, or automatic calls off.
        row("no tools, plain chat", tools: [], .pass),
        row("no tools, a format", tools: [], format: .json(schema: schema), .json(schema: schema)),
        row("no tools, after results", tools: [], results: ["get_weather"], called: ["get_weather"], .report),
        row("no tools, after results, calls off", tools: [], results: ["get_weather"], callsTools: false, .pass),
        row("none, fresh", choice: .none, .pass),
        row("none, fresh, a format", choice: .none, format: .json(schema: schema), .json(schema: schema)),
        row("none, after results", choice: .none, results: ["get_weather"], called: ["get_weather"], .report),
        row("none, after results, a format", choice: .none, results: ["get_weather"], format: .json(schema: nil), .json(schema: nil)),
        row("calls off, fresh", callsTools: false, .pass),
        row("calls off, a format", format: .json(schema: schema), callsTools: false, .json(schema: schema)),
        // A named tool is always called.
        row("named, fresh", choice: .named("get_time"), calls("get_time")),
        row("named, after its own result", choice: .named("get_weather"), results: ["get_weather"], called: ["get_weather"],
            calls("get_weather")),
        row("named, a format", choice: .named("get_time"), format: .json(schema: schema), calls("get_time")),
        // A new question: the tools it asks for.
        row("auto, fresh", calls("get_weather")),
        row("required, fresh", choice: .required, calls("get_weather")),
        row("auto, fresh, a format", format: .json(schema: schema), calls("get_weather")),
        row("auto, two asked, parallel", prompt: both, .call([
            .init(tool: "get_time", source: "What is the time in CET"), .init(tool: "get_weather", source: "the weather in Paris"),
        ])),
        row("required, two asked, parallel", choice: .required, prompt: both, .call([
            .init(tool: "get_time", source: "What is the time in CET"), .init(tool: "get_weather", source: "the weather in Paris"),
        ])),
        row("auto, two asked, one at a time", parallel: false, prompt: both, calls("get_time", source: both)),
        row("auto, two asked, the second after the first", parallel: false, prompt: both, results: ["get_time"],
            called: ["get_time"], calls("get_weather", source: both)),
        row("auto, two asked, both answered", prompt: both, results: ["get_time", "get_weather"],
            called: ["get_time", "get_weather"], .report),
        // Nothing in the prompt fits a tool.
        row("auto, fresh, unrelated", prompt: "hello there", calls("get_weather", source: "hello there")),
        row("auto, fresh, unrelated, a format", prompt: "hello there", format: .json(schema: schema), .json(schema: schema)),
        row("required, fresh, unrelated, a format", choice: .required, prompt: "hello there", format: .json(schema: schema),
            calls("get_weather", source: "hello there")),
        row("auto, fresh, unrelated, an output tool", tools: [weather, final], prompt: "hello there",
            calls("final_result", source: "hello there")),
        row("required, fresh, unrelated, an output tool", tools: [weather, final], choice: .required, prompt: "hello there",
            calls("final_result", source: "hello there")),
        // After the results of offered tools.
        row("auto, after results", results: ["get_weather"], called: ["get_weather"], .report),
        row("auto, after results, a schema", results: ["get_weather"], called: ["get_weather"], format: .json(schema: schema),
            .json(schema: schema)),
        row("auto, after results, json_object", results: ["get_weather"], called: ["get_weather"], format: .json(schema: nil),
            .json(schema: nil)),
        row("auto, after results, an output tool", tools: [weather, final], results: ["get_weather"], called: ["get_weather"],
            calls("final_result")),
        row("auto, after the output tool", tools: [weather, final], results: ["final_result"], called: ["get_weather", "final_result"],
            .report),
        row("required, after results, an output tool", tools: [weather, final], choice: .required, results: ["get_weather"],
            called: ["get_weather"], calls("final_result")),
        row("required, after results, the output tool listed first", tools: [final, weather], choice: .required,
            results: ["get_weather"], called: ["get_weather"], calls("final_result")),
        row("required, after results, an uncalled tool", choice: .required, results: ["get_weather"], called: ["get_weather"],
            calls("get_time")),
        row("required, after results, the uncalled tool closest to the prompt", tools: [weather, time, report], choice: .required,
            results: ["get_weather"], called: ["get_weather"], calls("WeatherReport")),
        row("required, everything called, an output tool", tools: [weather, final], choice: .required, results: ["final_result"],
            called: ["get_weather", "final_result"], calls("final_result")),
        row("required, everything called", choice: .required, results: ["get_time"], called: ["get_weather", "get_time"],
            calls("get_weather")),
        row("required, a result without its call", choice: .required, results: ["get_weather"], calls("get_time")),
        // After a handoff: the results are from a tool this request does not offer.
        row("handoff", tools: [weather], results: ["transfer_to_weather_agent"], calls("get_weather")),
        row("handoff, required", tools: [weather], choice: .required, results: ["transfer_to_weather_agent"], calls("get_weather")),
        row("handoff, unrelated", tools: [time], prompt: "hello there", results: ["transfer_to_weather_agent"],
            calls("get_time", source: "hello there")),
        row("handoff, unrelated, a format", tools: [time], prompt: "hello there", results: ["transfer_to_weather_agent"],
            format: .json(schema: schema), .json(schema: schema)),
        row("handoff offered, asked for", tools: [handoff], calls("transfer_to_weather_agent")),
        row("a result of unknown origin", results: [""], calls("get_weather")),
    ]

    @Test(arguments: rows)
    func theTableDecides(_ row: Row) {
        #expect(AutomaticDecision.decide(row.situation) == row.expected)
    }

    @Test func theSameSituationGetsTheSameDecision() {
        for row in Self.rows {
            #expect(AutomaticDecision.decide(row.situation) == AutomaticDecision.decide(row.situation), "\(row.label)")
        }
    }

    @Test(arguments: [
        ("What is the weather in Paris?", ["What is the weather in Paris"]),
        ("the time in CET and the weather in Paris", ["the time in CET", "the weather in Paris"]),
        ("Weather in Paris, then the time. Also a joke!", ["Weather in Paris", "the time.", "a joke"]),
        ("Andrew and Sandra; plus\nmore", ["Andrew", "Sandra", "more"]),
        ("v1.2 is out", ["v1.2 is out"]),
        ("and", ["and"]),
        ("", [""]),
    ])
    func clausesCutAtPunctuationAndJoiningWords(prompt: String, expected: [String]) {
        #expect(AutomaticDecision.clauses(of: prompt) == expected)
    }

    @Test func aClauseAsksForTheToolSharingTheMostWordsEachToolOnce() {
        let tools = [Self.weather, Self.time, Self.final]
        #expect(AutomaticDecision.askedFor("weather in Paris and weather in Rome", in: tools).map(\.tool) == ["get_weather"])
        #expect(AutomaticDecision.askedFor("the weather, then the time", in: tools).map(\.tool) == ["get_weather", "get_time"])
        #expect(AutomaticDecision.askedFor("what is the final result?", in: tools).isEmpty, "an output tool is never asked for")
        #expect(AutomaticDecision.askedFor("what is the current status?", in: tools).isEmpty, "common words say nothing")
    }

    @Test func anOutputToolSaysFinal() {
        #expect(AutomaticDecision.isOutputTool(Self.final))
        #expect(AutomaticDecision.isOutputTool(ToolOffer.Tool(name: "FinalAnswer")))
        #expect(AutomaticDecision.isOutputTool(ToolOffer.Tool(name: "respond", description: "Give the final answer")))
        #expect(!AutomaticDecision.isOutputTool(Self.weather))
        #expect(!AutomaticDecision.isOutputTool(ToolOffer.Tool(name: "finalize_order")), "a word, not a prefix")
    }
}
