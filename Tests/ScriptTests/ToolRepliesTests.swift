@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Tool calls in scripts: loading every reply form (`text`, `tool_calls`, `json`, `blocks`) and
/// `match.tool_result` with their diagnostics, matching tool results in OpenAI- and
/// Anthropic-shaped conversations, automatic tool calls and structured output, all through
/// `Script.answer(for:)` without a server.
@Suite("Tool replies")
struct ToolRepliesTests: ScriptLoading {
    static let scriptFile = "tools.yml"

    /// The single reply template of a script whose only rule is `rules: [{reply: <reply>}]`.
    func replyTemplate(_ reply: String) throws -> ReplyTemplate? {
        let script = try script("rules:\n  - reply: \(reply)")
        guard script.rules.count == 1, case .reply(let template) = script.rules[0].reply else { return nil }
        return template
    }

    // MARK: - Conversations

    /// The user asks, the assistant calls `call_1` (named `tool`), then the OpenAI `tool` message answers it.
    static func openAIConversation(tool: String = "get_weather", result: String = "15 degrees") -> [ChatMessage] {
        [
            ChatMessage(role: "system", text: "Be brief."),
            ChatMessage(role: "user", text: "weather in Paris?"),
            ChatMessage(role: "assistant", text: "", toolCalls: [(id: "call_1", name: tool)]),
            ChatMessage(role: "tool", text: result, toolResults: [.init(callID: "call_1", text: result)]),
        ]
    }

    /// The same conversation as Anthropic has it: the result is a `tool_result` block of a user message.
    static func anthropicConversation(tool: String = "get_weather", result: String = "15 degrees") -> [ChatMessage] {
        [
            ChatMessage(role: "user", text: "weather in Paris?"),
            ChatMessage(role: "assistant", text: "Let me look.", toolCalls: [(id: "toolu_1", name: tool)]),
            ChatMessage(role: "user", text: "", toolResults: [.init(callID: "toolu_1", text: result)]),
        ]
    }

    static func conversation(_ shape: String, tool: String = "get_weather", result: String = "15 degrees") -> [ChatMessage] {
        shape == "openai" ? openAIConversation(tool: tool, result: result) : anthropicConversation(tool: tool, result: result)
    }

    static let tools = [
        ToolOffer.Tool(name: "get_time", description: "Current time in a time zone"),
        ToolOffer.Tool(name: "get_weather", description: "Weather forecast for a city", schema: weatherSchema),
        ToolOffer.Tool(name: "send_email", description: "Send an email"),
    ]

    static let weatherSchema: JSONValue = try! JSONReader.parse(Array(#"""
        {"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city","days"]}
        """#.utf8))

    /// A request as a provider describes it: the prompt is the conversation's last user text.
    func input(
        _ messages: [ChatMessage], tools: ToolOffer? = nil, headers: HTTPFields = HTTPFields(), format: ResponseFormat? = nil
    ) -> MatchInput {
        MatchInput(prompt: messages.lastUserText ?? "", model: "gpt-4o", messages: messages, headers: RequestHeaders(headers),
                   endpoint: "/v1/chat/completions", provider: "openai", tools: tools, responseFormat: format)
    }

    func input(_ prompt: String, tools: ToolOffer? = nil, headers: HTTPFields = HTTPFields(), format: ResponseFormat? = nil) -> MatchInput {
        input([ChatMessage(role: "user", text: prompt)], tools: tools, headers: headers, format: format)
    }

    func reply(_ script: Script, _ input: MatchInput) -> (reply: ScriptReply?, source: String) {
        let answer = script.answer(for: input)
        guard case .reply(let reply) = answer.outcome else { return (nil, answer.source) }
        return (reply, answer.source)
    }

    // MARK: - Loading reply forms

    static let replyForms: [(String, ReplyTemplate)] = [
        ("plain text", .text(try! Template("plain text"))),
        (#"{text: "Let me check.", tool_calls: [{name: get_weather, arguments: {city: Paris}}]}"#,
         .rich(blocks: [.text(try! Template("Let me check.")), .toolCall(ToolCall(name: "get_weather", arguments: #"{"city": "Paris"}"#))],
               autoTools: false)),
        ("{tool_calls: [{name: get_weather, id: call_abc}, {name: get_time, arguments: {}}]}",
         .rich(blocks: [.toolCall(ToolCall(id: "call_abc", name: "get_weather")), .toolCall(ToolCall(name: "get_time"))], autoTools: false)),
        ("{tool_calls: [{name: get_time, arguments: ~}]}", .rich(blocks: [.toolCall(ToolCall(name: "get_time", arguments: "{}"))], autoTools: false)),
        ("{tool_calls: auto}", .rich(blocks: [], autoTools: true)),
        (#"{tool_calls: "auto"}"#, .rich(blocks: [], autoTools: true)),
        ("{text: Sure., tool_calls: auto}", .rich(blocks: [.text(try! Template("Sure."))], autoTools: true)),
        ("{text: '{{prompt}}!'}", .rich(blocks: [.text(try! Template("{{prompt}}!"))], autoTools: false)),
        ("{json: {ok: true, items: [1, 2]}}", .rich(blocks: [.json(#"{"ok":true,"items":[1,2]}"#)], autoTools: false)),
        ("{json: [a, 1]}", .rich(blocks: [.json(#"["a",1]"#)], autoTools: false)),
        // Whatever the key order, the text (or json) comes before the calls.
        ("{tool_calls: [{name: f}], json: {a: 1}}", .rich(blocks: [.json(#"{"a":1}"#), .toolCall(ToolCall(name: "f"))], autoTools: false)),
        ("{tool_calls: [{name: f}], text: after}", .rich(blocks: [.text(try! Template("after")), .toolCall(ToolCall(name: "f"))], autoTools: false)),
        ("{blocks: [{text: a}, {tool_call: {name: f, id: call_1, arguments: {x: 1}}}, {json: 5}, {text: b}]}",
         .rich(blocks: [.text(try! Template("a")), .toolCall(ToolCall(id: "call_1", name: "f", arguments: #"{"x": 1}"#)), .json("5"),
                        .text(try! Template("b"))], autoTools: false)),
    ]

    @Test(arguments: replyForms)
    func eachReplyFormLoads(yaml: String, expected: ReplyTemplate) throws {
        #expect(try replyTemplate(yaml) == expected)
    }

    @Test func repliesMixForms() throws {
        let script = try script("""
            rules:
              - replies:
                  - first
                  - tool_calls:
                      - name: get_weather
                        arguments:
                          city: Paris
                  - blocks:
                      - tool_call: {name: get_time}
                sequence: cycle
            """)
        guard case .sequence(let templates, let cycle) = script.rules[0].reply else { Issue.record("not a sequence"); return }
        #expect(cycle)
        #expect(templates == [
            .text(try Template("first")),
            .rich(blocks: [.toolCall(ToolCall(name: "get_weather", arguments: #"{"city": "Paris"}"#))], autoTools: false),
            .rich(blocks: [.toolCall(ToolCall(name: "get_time"))], autoTools: false),
        ])
        let calls = (1...4).map { _ in reply(script, input("x")).reply?.toolCalls.map(\.name) ?? ["?"] }
        #expect(calls == [[], ["get_weather"], ["get_time"], []])
    }

    @Test(arguments: [
        "{city: Paris, days: 3, units: [c, f]}",
        #"'{"city": "Paris", "days": 3, "units": ["c", "f"]}'"#,
        #""{\"city\":\"Paris\",\"days\":3.0,\"units\":[\"c\",\"f\"]}""#,
        "\n            city: Paris\n            days: 3\n            units:\n              - c\n              - f",
        "|\n            {\n              \"city\": \"Paris\",\n              \"days\": 3,\n              \"units\": [\"c\", \"f\"]\n            }",
    ])
    func argumentsAsAMappingOrAJSONStringGiveTheSameText(arguments: String) throws {
        let yaml = "rules:\n  - reply:\n      tool_calls:\n        - name: get_weather\n          arguments: \(arguments)"
        let script = try script(yaml)
        guard case .reply(.rich(let blocks, _)) = script.rules.first?.reply else { Issue.record("\(script.rules)"); return }
        // Written as Python's json.dumps writes them (docs/CONFIG.md), whatever the spelling.
        #expect(blocks == [.toolCall(ToolCall(name: "get_weather", arguments: #"{"city": "Paris", "days": 3, "units": ["c", "f"]}"#))])
    }

    @Test(arguments: [
        ("3", "3"), ("-2", "-2"), ("0", "0"), ("1.5", "1.5"), ("-0.25", "-0.25"), ("1e3", "1000"), ("3.0", "3"),
        ("true", "true"), ("false", "false"), ("~", "null"), ("null", "null"),
        (#""42""#, #""42""#), ("'true'", #""true""#), (#""null""#, #""null""#), ("''", #""""#),
        ("hello world", #""hello world""#), (#""say \"hi\"\n""#, #""say \"hi\"\n""#), ("é ✓", #""é ✓""#),
        ("[1, [a, ~], []]", #"[1,["a",null],[]]"#), ("{}", "{}"), ("[]", "[]"),
        ("{b: 2, a: {c: [true]}}", #"{"b":2,"a":{"c":[true]}}"#),
    ])
    func yamlValuesBecomeJSON(yaml: String, json: String) throws {
        let value = try replyTemplate("{json: \(yaml)}")
        #expect(value == .rich(blocks: [.json(json)], autoTools: false))
        let arguments = try replyTemplate("{tool_calls: [{name: f, arguments: {v: \(yaml)}}]}")
        let spaced = try JSONReader.parse(Array(json.utf8)).spacedJSONText
        #expect(arguments == .rich(blocks: [.toolCall(ToolCall(name: "f", arguments: #"{"v": \#(spaced)}"#))], autoTools: false))
    }

    @Test func aJSONReplyIsTheReplysText() throws {
        let script = try script("rules:\n  - reply: {json: {answer: 42, tags: [a]}}")
        let answer = reply(script, input("x")).reply
        #expect(answer?.text == #"{"answer":42,"tags":["a"]}"#)
        #expect(answer?.blocks == [], "no call: a plain text reply")
        #expect(answer?.tokenCount == TokenEstimator.count(#"{"answer":42,"tags":["a"]}"#))
    }

    @Test(arguments: [
        // Tool calls.
        ("rules:\n  - reply:\n      tool_calls:\n        - arguments: {a: 1}", 4, "'rules[0].reply.tool_calls[0]' needs a name"),
        ("rules:\n  - reply:\n      tool_calls:\n        - {name: f}\n        - {id: x}", 5, "'rules[0].reply.tool_calls[1]' needs a name"),
        ("rules:\n  - reply:\n      tool_calls:\n        - name: [f]", 4, "'rules[0].reply.tool_calls[0].name' must be text, found a list"),
        ("rules:\n  - reply:\n      tool_calls:\n        - f", 4, "'rules[0].reply.tool_calls[0]' must be a mapping, found 'f'"),
        ("rules:\n  - reply:\n      tool_calls:\n        - name: f\n          arguments: [1, 2]", 5,
         "'rules[0].reply.tool_calls[0].arguments' must be a mapping or a JSON object as text, found a list"),
        ("rules:\n  - reply:\n      tool_calls:\n        - name: f\n          arguments: \"{city: Paris}\"", 5,
         "'rules[0].reply.tool_calls[0].arguments' must be a mapping or a JSON object as text, found '{city: Paris}'"),
        ("rules:\n  - reply:\n      tool_calls:\n        - name: f\n          arguments: '[1]'", 5,
         "'rules[0].reply.tool_calls[0].arguments' must be a mapping or a JSON object as text, found '[1]'"),
        ("rules:\n  - reply:\n      tool_calls:\n        - name: f\n          arguments: 5", 5,
         "'rules[0].reply.tool_calls[0].arguments' must be a mapping or a JSON object as text, found '5'"),
        ("rules:\n  - reply:\n      tool_calls: []", 3, "'rules[0].reply.tool_calls' must be a non-empty list of tool calls, or auto"),
        ("rules:\n  - reply:\n      tool_calls: manual", 3, "'rules[0].reply.tool_calls' must be a non-empty list of tool calls, or auto"),
        ("rules:\n  - reply:\n      tool_calls: {name: f}", 3, "'rules[0].reply.tool_calls' must be a non-empty list of tool calls, or auto"),
        ("rules:\n  - reply:\n      tool_calls: ~", 3, "'rules[0].reply.tool_calls' must be a non-empty list of tool calls, or auto"),
        ("rules:\n  - replies:\n      - a\n      - tool_calls:\n          - {arguments: {}}", 5, "'rules[0].replies[1].tool_calls[0]' needs a name"),
        // The reply mapping.
        ("rules:\n  - reply: {}", 2, "'rules[0].reply' needs text, tool_calls, json or blocks"),
        ("rules:\n  - reply:\n      text: a\n      blocks: [{text: b}]", 3, "'rules[0].reply' has both blocks and text; put the text in blocks"),
        ("rules:\n  - reply:\n      blocks: [{text: b}]\n      tool_calls: auto", 3,
         "'rules[0].reply' has both blocks and tool_calls; put the tool_calls in blocks"),
        ("rules:\n  - reply:\n      json: 1\n      blocks: [{text: b}]", 3, "'rules[0].reply' has both blocks and json; put the json in blocks"),
        ("rules:\n  - reply:\n      text: a\n      json:\n        b: 1", 5, "'rules[0].reply' has both text and json; the json is the reply's text"),
        ("rules:\n  - reply:\n      text: [a]", 3, "'rules[0].reply.text' must be text, found a list"),
        ("rules:\n  - reply:\n      text: '{{nope}}'", 3, "unknown placeholder {{nope}} in 'rules[0].reply.text' (known: prompt, model, count, turn, 1...9)"),
        // Blocks.
        ("rules:\n  - reply:\n      blocks: []", 3, "'rules[0].reply.blocks' must be a non-empty list of blocks"),
        ("rules:\n  - reply:\n      blocks: text", 3, "'rules[0].reply.blocks' must be a non-empty list of blocks"),
        ("rules:\n  - reply:\n      blocks:\n        - hello", 4, "'rules[0].reply.blocks[0]' must be a mapping, found 'hello'"),
        ("rules:\n  - reply:\n      blocks:\n        - {text: a}\n        - {text: b, json: 1}", 5,
         "'rules[0].reply.blocks[1]' needs exactly one of text, tool_call or json"),
        ("rules:\n  - reply:\n      blocks:\n        - {}", 4, "'rules[0].reply.blocks[0]' needs exactly one of text, tool_call or json"),
        ("rules:\n  - reply:\n      blocks:\n        - tool_call: {id: x}", 4, "'rules[0].reply.blocks[0].tool_call' needs a name"),
        ("rules:\n  - reply:\n      blocks:\n        - tool_call:\n            name: f\n            arguments: nope", 6,
         "'rules[0].reply.blocks[0].tool_call.arguments' must be a mapping or a JSON object as text, found 'nope'"),
        // match.tool_result.
        ("rules:\n  - reply: y\n    match:\n      tool_result: {}", 4, "'rules[0].match.tool_result' needs a name, a content, or both"),
        ("rules:\n  - reply: y\n    match:\n      tool_result: [a]", 4, "'rules[0].match.tool_result' must be text, found a list"),
        ("rules:\n  - reply: y\n    match:\n      tool_result:\n        content: {regex: '('}", 5,
         "invalid regular expression '(' in 'rules[0].match.tool_result.content'"),
        ("rules:\n  - reply: y\n    match:\n      tool_result:\n        name: [a]", 5, "'rules[0].match.tool_result.name' must be text, found a list"),
        // settings.auto_tools.
        ("rules: []\nsettings:\n  auto_tools: maybe", 3, "'settings.auto_tools' must be true or false, found 'maybe'"),
    ])
    func everyMistakeIsReportedOnItsLine(yaml: String, line: Int, message: String) {
        let found = diagnostics(yaml).filter { $0.severity == .error }
        #expect(found.map(\.message) == [message])
        #expect(found.first?.line == line, "\(found)")
        #expect(found.first?.file == "tools.yml")
    }

    @Test(arguments: [
        ("rules:\n  - reply: {text: hi, tool_cals: auto}", 2, "unknown key 'tool_cals' in 'rules[0].reply' (did you mean 'tool_calls'?)"),
        ("rules:\n  - reply:\n      tool_calls:\n        - name: f\n          argumens: {a: 1}", 5,
         "unknown key 'argumens' in 'rules[0].reply.tool_calls[0]' (did you mean 'arguments'?)"),
        ("rules:\n  - reply:\n      blocks:\n        - tool_call: {name: f, idd: x}", 4,
         "unknown key 'idd' in 'rules[0].reply.blocks[0].tool_call' (did you mean 'id'?)"),
        ("rules:\n  - reply: y\n    match:\n      tool_result: {name: f, contnet: x}", 4,
         "unknown key 'contnet' in 'rules[0].match.tool_result' (did you mean 'content'?)"),
        ("rules:\n  - reply: y\nsettings:\n  auto_tool: true", 4, "unknown key 'auto_tool' in 'settings' (did you mean 'auto_tools'?)"),
    ])
    func misspeltKeysAreWarnings(yaml: String, line: Int, message: String) throws {
        let loaded = try load(yaml)
        #expect(loaded.warnings.map(\.message) == [message])
        #expect(loaded.warnings.first?.line == line)
        #expect(loaded.warnings.first?.severity == .warning)
        #expect(loaded.script.rules.count == 1)
    }

    @Test func aMisspeltBlockKeyIsAWarningAndTheEmptyBlockAnError() {
        let found = diagnostics("rules:\n  - reply:\n      blocks:\n        - tool_cals: {name: f}")
        #expect(found.map(\.severity) == [.warning, .error])
        #expect(found.map(\.message) == [
            "unknown key 'tool_cals' in 'rules[0].reply.blocks[0]' (did you mean 'tool_call'?)",
            "'rules[0].reply.blocks[0]' needs exactly one of text, tool_call or json",
        ])
        #expect(found.map(\.line) == [4, 4])
    }

    @Test(arguments: [
        "rules:\n  - reply:\n      tool_calls:\n        - name: \"\"",
        "rules:\n  - reply:\n      tool_calls:\n        - {name: f, id: ''}",
        "rules:\n  - reply:\n      blocks:\n        - tool_call: {name: ''}",
    ])
    func anEmptyToolNameOrIdIsAnError(yaml: String) {
        let errors = diagnostics(yaml).filter { $0.severity == .error }
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.line == 4)
        #expect(errors.first?.message.hasSuffix("must not be empty") == true, "\(errors)")
    }

    @Test func settingsAutoToolsLoads() throws {
        let on = try script("responses: {}\nsettings: {auto_tools: true}")
        #expect(on.autoTools)
        #expect(on.summary.hasSuffix("automatic tool calls"))
        #expect(try !script("responses: {}").autoTools)
        #expect(try !script("responses: {}\nsettings: {auto_tools: false}").autoTools)
    }

    @Test func toolResultConditionsLoad() throws {
        let script = try script("""
            rules:
              - match: {tool_result: true}
                reply: a
              - match: {tool_result: false}
                reply: b
              - match: {tool_result: get_weather}
                reply: c
              - match: {tool_result: {name: get_weather, content: "15"}}
                reply: d
              - match: {tool_result: {content: {regex: '^\\d+$'}}}
                reply: e
            """)
        let described = script.rules.map { rule in
            rule.conditions.map { condition -> String in
                guard case .toolResult(let m) = condition else { return "other" }
                switch m {
                case .any(let b): return "any \(b)"
                case .tool(let name, let content): return "tool \(name ?? "-") \(content.map { "\($0)" } ?? "-")"
                }
            }
        }
        #expect(described == [["any true"], ["any false"], ["tool get_weather -"], [#"tool get_weather containing "15""#],
                              [#"tool - matching /^\d+$/"#]])
    }

    // MARK: - Matching tool results

    static let matchingScript = """
        rules:
          - name: weather-15
            match: {tool_result: {name: get_weather, content: "15"}}
            reply: It is 15.
          - name: weather-any
            match: {tool_result: get_weather}
            reply: Weather came back.
          - name: digits
            match: {tool_result: {content: {regex: '^\\d+$'}}}
            reply: A number came back.
          - name: any-result
            match: {tool_result: true}
            reply: Some tool answered.
          - name: fresh
            match: {tool_result: false, prompt: {contains: weather}}
            reply: Let me look.
        responses: {}
        defaults: {unknown_response: nothing}
        """

    @Test(arguments: ["openai", "anthropic"], [
        ("get_weather", "15 degrees", "It is 15."),
        ("get_weather", "rain", "Weather came back."),
        ("get_time", "1200", "A number came back."),
        ("get_time", "noon", "Some tool answered."),
    ])
    func toolResultsMatchByNameLookedUpFromTheCall(shape: String, result: (String, String, String)) throws {
        let (tool, text, expected) = result
        let script = try script(Self.matchingScript)
        let answer = reply(script, input(Self.conversation(shape, tool: tool, result: text)))
        #expect(answer.reply?.text == expected)
    }

    @Test func withoutAToolResultOnlyFalseMatches() throws {
        let script = try script(Self.matchingScript)
        #expect(reply(script, input("weather in Paris?")).reply?.text == "Let me look.")
        #expect(reply(script, input("hello")).reply?.text == "nothing")
        // A user message after the result: the conversation no longer ends with one.
        var later = Self.openAIConversation()
        later.append(ChatMessage(role: "assistant", text: "It is 15."))
        later.append(ChatMessage(role: "user", text: "and the weather tomorrow?"))
        #expect(reply(script, input(later)).reply?.text == "Let me look.")
    }

    @Test func parallelResultsMatchAnyOfThem() throws {
        let script = try script("rules:\n  - match: {tool_result: {name: get_time, content: noon}}\n    reply: yes\nresponses: {}")
        let openAI = [
            ChatMessage(role: "user", text: "time and weather?"),
            ChatMessage(role: "assistant", text: "", toolCalls: [(id: "c1", name: "get_weather"), (id: "c2", name: "get_time")]),
            ChatMessage(role: "tool", text: "15", toolResults: [.init(callID: "c1", text: "15")]),
            ChatMessage(role: "tool", text: "noon", toolResults: [.init(callID: "c2", text: "noon")]),
        ]
        #expect(openAI.lastToolResults?.map { "\($0.name)=\($0.text)" } == ["get_weather=15", "get_time=noon"])
        #expect(reply(script, input(openAI)).reply?.text == "yes")
        let anthropic = [
            ChatMessage(role: "user", text: "time and weather?"),
            ChatMessage(role: "assistant", text: "", toolCalls: [(id: "t1", name: "get_time"), (id: "t2", name: "get_weather")]),
            ChatMessage(role: "user", text: "", toolResults: [.init(callID: "t1", text: "noon"), .init(callID: "t2", text: "15")]),
        ]
        #expect(anthropic.lastToolResults?.map { "\($0.name)=\($0.text)" } == ["get_time=noon", "get_weather=15"])
        #expect(reply(script, input(anthropic)).reply?.text == "yes")
    }

    @Test func legacyFunctionMessagesNameTheirTool() throws {
        let messages = [
            ChatMessage(role: "user", text: "weather?"),
            ChatMessage(role: "assistant", text: "", toolCalls: [(id: "", name: "get_weather")]),
            ChatMessage(role: "function", text: "15 degrees", toolResults: [.init(name: "get_weather", text: "15 degrees")]),
        ]
        #expect(messages.lastToolResults?.map { "\($0.name)=\($0.text)" } == ["get_weather=15 degrees"])
        #expect(reply(try script(Self.matchingScript), input(messages)).reply?.text == "It is 15.")
    }

    @Test func aResultForAnUnknownCallHasNoName() throws {
        let messages = [
            ChatMessage(role: "user", text: "weather?"),
            ChatMessage(role: "tool", text: "15", toolResults: [.init(callID: "call_missing", text: "15")]),
        ]
        #expect(messages.lastToolResults?.map { "\($0.name)=\($0.text)" } == ["=15"])
        #expect(reply(try script(Self.matchingScript), input(messages)).reply?.text == "A number came back.")
    }

    @Test func aMissNamesTheToolThatAnswered() throws {
        let script = try script("rules:\n  - name: weather\n    match: {tool_result: get_weather}\n    reply: y\nresponses: {}")
        let miss = script.answer(for: input(Self.openAIConversation(tool: "get_time"))).miss ?? ""
        #expect(miss.contains("closest rule 'weather' (line 2, 0 of 1 conditions met): the last tool result is from get_time, not get_weather"),
                "\(miss)")
        let none = script.answer(for: input("hi")).miss ?? ""
        #expect(none.contains("the last message is not a tool result"), "\(none)")
    }

    @Test func lastUserTextSkipsAPureToolResultMessage() {
        #expect(Self.openAIConversation().lastUserText == "weather in Paris?")
        #expect(Self.anthropicConversation().lastUserText == "weather in Paris?")
        var withText = Self.anthropicConversation()
        withText[2].text = "and what time is it?"
        #expect(withText.lastUserText == "and what time is it?", "a tool result with text is the prompt")
        let onlyResult = [ChatMessage(role: "user", text: "", toolResults: [.init(callID: "x", text: "15")])]
        #expect(onlyResult.lastUserText == "", "with no other user message, the tool result message is the prompt")
        #expect([ChatMessage(role: "assistant", text: "a")].lastUserText == nil)
    }

    @Test func lastToolResultsIsNilUnlessTheConversationEndsWithOne() {
        #expect([ChatMessage(role: "user", text: "a")].lastToolResults == nil)
        var answered = Self.anthropicConversation()
        answered.append(ChatMessage(role: "assistant", text: "It is 15."))
        #expect(answered.lastToolResults == nil)
        #expect(Self.anthropicConversation().lastToolResults?.map(\.name) == ["get_weather"])
    }

    // MARK: - Automatic tool calls

    static let autoScript = "responses: {}\nsettings: {auto_tools: true}"

    @Test(arguments: [
        ("weather in Paris?", ["get_time", "get_weather", "send_email"], "get_weather"),
        ("please send an email to Bob", ["get_time", "get_weather", "send_email"], "send_email"),
        ("what TIME is it", ["get_time", "get_weather", "send_email"], "get_time"),
        ("hello there", ["get_time", "get_weather", "send_email"], "get_time"),
        ("hello there", ["send_email", "get_time"], "send_email"),
        ("the time for the weather", ["get_time", "get_weather"], "get_time"),
        ("the time for the weather", ["get_weather", "get_time"], "get_weather"),
        ("weather?", ["lookup", "getWeather"], "getWeather"),
    ])
    func automaticModePicksTheToolSharingTheMostWords(prompt: String, offered: [String], expected: String) throws {
        let tools = offered.map { name in Self.tools.first { $0.name == name } ?? ToolOffer.Tool(name: name) }
        let answer = reply(try script(Self.autoScript), input(prompt, tools: ToolOffer(tools: tools)))
        #expect(answer.source == "auto tools")
        #expect(answer.reply?.toolCalls.map(\.name) == [expected])
    }

    @Test func anAutomaticCallIsOneCallWithObjectArgumentsAndNoID() throws {
        let answer = reply(try script(Self.autoScript), input("weather in Paris?", tools: ToolOffer(tools: Self.tools)))
        let reply = try #require(answer.reply)
        #expect(reply.text == "")
        #expect(reply.blocks.count == 1)
        let call = try #require(reply.toolCalls.first)
        #expect(call.id == nil, "the provider makes the id")
        guard case .object = try JSONReader.parse(Array(call.arguments.utf8)) else { Issue.record("\(call.arguments)"); return }
        #expect(reply.tokenCount == TokenEstimator.count("get_weather") + TokenEstimator.count(call.arguments))
    }

    @Test(arguments: [
        (ToolOffer.Choice.named("send_email"), "send_email"),
        (.named("get_time"), "get_time"),
        (.required, "get_weather"),
        (.auto, "get_weather"),
    ])
    func toolChoiceDecidesTheTool(choice: ToolOffer.Choice, expected: String) throws {
        let answer = reply(try script(Self.autoScript), input("weather in Paris?", tools: ToolOffer(tools: Self.tools, choice: choice)))
        #expect(answer.reply?.toolCalls.map(\.name) == [expected])
    }

    @Test func toolChoiceNoneFallsThroughToTheDefault() throws {
        let script = try script(Self.autoScript + "\ndefaults: {unknown_response: no tools today}")
        let answer = reply(script, input("weather in Paris?", tools: ToolOffer(tools: Self.tools, choice: .none)))
        #expect(answer.source == "default")
        #expect(answer.reply?.text == "no tools today")
        #expect(answer.reply?.blocks == [])
        #expect(reply(script, input("weather in Paris?", tools: ToolOffer(tools: []))).reply?.text == "no tools today", "no tool offered")
        #expect(reply(script, input("weather in Paris?")).reply?.text == "no tools today", "no tools at all")
    }

    @Test(arguments: ["openai", "anthropic"])
    func afterAToolResultAutoReportsItRequiredMovesOnNamedCallsItsTool(shape: String) throws {
        let script = try script(Self.autoScript)
        let conversation = Self.conversation(shape)
        let auto = reply(script, input(conversation, tools: ToolOffer(tools: Self.tools)))
        #expect(auto.source == "auto tools")
        #expect(auto.reply?.text == "The get_weather tool returned: 15 degrees")
        #expect(auto.reply?.blocks == [])
        // required must call: a tool not called yet, never the one that just answered.
        let required = reply(script, input(conversation, tools: ToolOffer(tools: Self.tools, choice: .required)))
        #expect(required.reply?.toolCalls.map(\.name) == ["get_time"])
        let output = Self.tools + [ToolOffer.Tool(name: "final_result", description: "The final response which ends this conversation")]
        let finished = reply(script, input(conversation, tools: ToolOffer(tools: output, choice: .required)))
        #expect(finished.reply?.toolCalls.map(\.name) == ["final_result"], "the output tool finishes the task")
        let named = reply(script, input(conversation, tools: ToolOffer(tools: Self.tools, choice: .named("get_time"))))
        #expect(named.reply?.toolCalls.map(\.name) == ["get_time"])
    }

    @Test func aPromptAskingForSeveralToolsCallsThemAllUnlessParallelCallsAreOff() throws {
        let script = try script(Self.autoScript)
        let prompt = "What is the time in Tokyo and the weather in Paris?"
        let both = try #require(reply(script, input(prompt, tools: ToolOffer(tools: Self.tools))).reply)
        #expect(both.toolCalls.map(\.name) == ["get_time", "get_weather"])
        let weather = try JSONReader.parse(Array(both.toolCalls[1].arguments.utf8))
        #expect(weather.objectValue?["city"] == .string("Paris"), "each call's arguments from its own clause")
        let one = reply(script, input(prompt, tools: ToolOffer(tools: Self.tools, parallel: false))).reply
        #expect(one?.toolCalls.map(\.name) == ["get_time"])
        // The next turn calls the other.
        let next = [
            ChatMessage(role: "user", text: prompt),
            ChatMessage(role: "assistant", text: "", toolCalls: [(id: "call_1", name: "get_time")]),
            ChatMessage(role: "tool", text: "09:00", toolResults: [.init(callID: "call_1", text: "09:00")]),
        ]
        #expect(reply(script, input(next, tools: ToolOffer(tools: Self.tools, parallel: false))).reply?.toolCalls.map(\.name) == ["get_weather"])
    }

    @Test func argumentsComeFromThePrompt() throws {
        let call = try #require(reply(try script(Self.autoScript), input("weather in Paris for 3 days?", tools: ToolOffer(tools: Self.tools)))
            .reply?.toolCalls.first)
        #expect(call.arguments == #"{"city": "Paris", "days": 3}"#)
    }

    @Test(arguments: ["openai", "anthropic"])
    func afterAToolResultTheRequestedFormatAnswers(shape: String) throws {
        let script = try script(Self.autoScript)
        let answer = reply(script, input(Self.conversation(shape), tools: ToolOffer(tools: Self.tools), format: .jsonSchema(Self.weatherSchema)))
        #expect(answer.source == "response_format")
        let object = try JSONReader.parse(Array((answer.reply?.text ?? "").utf8)).objectValue
        #expect(object?["city"] == .string("Paris"))
        #expect(answer.reply?.blocks == [])
        // Without automatic calls the format answers too.
        let off = reply(try self.script("responses: {}"), input(Self.conversation(shape), tools: ToolOffer(tools: Self.tools),
                                                                  format: .jsonSchema(Self.weatherSchema)))
        #expect(off.source == "response_format")
    }

    @Test func afterAHandoffTheNewAgentCallsItsOwnTool() throws {
        let conversation = Self.openAIConversation(tool: "transfer_to_weather_agent", result: #"{"assistant": "Weather agent"}"#)
        let weatherOnly = ToolOffer(tools: [Self.tools[1]])
        let answer = reply(try script(Self.autoScript), input(conversation, tools: weatherOnly))
        #expect(answer.reply?.toolCalls.map(\.name) == ["get_weather"])
    }

    static let userSchemaPrompt = """
        As a genius expert, provide the parsed objects in json that match the following json_schema:
        {"properties": {"name": {"title": "Name", "type": "string"}, "age": {"title": "Age", "type": "integer"}}, \
        "required": ["name", "age"], "title": "User", "type": "object"}
        """

    @Test func aSchemaInThePromptAnswersJSONObjectAndJSONAskedInWords() throws {
        let conversation = [ChatMessage(role: "system", text: Self.userSchemaPrompt), ChatMessage(role: "user", text: "Extract: Jason is 25 years old")]
        let expected = #"{"name":"Jason","age":25}"#
        let jsonObject = reply(try script("responses: {}"), input(conversation, format: .jsonObject))
        #expect(jsonObject.reply?.text == expected)
        #expect(jsonObject.source == "response_format")
        let inWords = reply(try script(Self.autoScript), input(conversation))
        #expect(inWords.reply?.text == expected)
        #expect(inWords.source == "auto tools")
        #expect(reply(try script("responses: {}"), input(conversation)).source == "default", "asked in words: automatic mode only")
        let noMention = [ChatMessage(role: "system", text: "Schema: {\"properties\": {\"a\": {}}}"), ChatMessage(role: "user", text: "hi")]
        #expect(reply(try script(Self.autoScript), input(noMention)).source == "default", "a schema without asking for JSON")
        // tool_choice none and one tool: its schema is the shape asked for.
        let shaped = reply(try script("responses: {}"), input("weather in Paris?", tools: ToolOffer(tools: [Self.tools[1]], choice: .none),
                                                                format: .jsonObject))
        #expect(try JSONReader.parse(Array((shaped.reply?.text ?? "").utf8)).objectValue?["city"] == .string("Paris"))
    }

    @Test func theReportJoinsResultsAndShortensLongOnes() {
        #expect(Script.reportText([(name: "get_weather", text: "15"), (name: "get_time", text: "noon")])
            == "The get_weather tool returned: 15; The get_time tool returned: noon")
        #expect(Script.reportText([(name: "", text: "x")]) == "The tool returned: x")
        let long = String(repeating: "a", count: 501)
        #expect(Script.reportText([(name: "t", text: long)]) == "The t tool returned: " + String(repeating: "a", count: 500) + "...")
        #expect(Script.reportText([(name: "t", text: String(long.dropLast()))]) == "The t tool returned: " + String(long.dropLast()))
    }

    static func headers(_ value: String?) -> HTTPFields {
        var fields = HTTPFields()
        if let value { fields.append(name: "x-mockllm-auto-tools", value: value) }
        return fields
    }

    @Test(arguments: [
        ("responses: {}", nil, false),
        ("responses: {}\nsettings: {auto_tools: false}", nil, false),
        ("responses: {}\nsettings: {auto_tools: true}", nil, true),
        ("responses: {}", "true", true),
        ("responses: {}", "1", true),
        ("responses: {}", "false", false),
        ("responses: {}\nsettings: {auto_tools: true}", "false", false),
        ("responses: {}\nsettings: {auto_tools: true}", "0", false),
        ("rules:\n  - match: {tools: true}\n    reply: {tool_calls: auto}", nil, true),
        ("rules:\n  - match: {tools: true}\n    reply: {tool_calls: auto}", "false", true),
    ] as [(String, String?, Bool)])
    func automaticCallsOnlyWhenAskedFor(yaml: String, header: String?, calls: Bool) throws {
        let answer = reply(try script(yaml), input("weather in Paris?", tools: ToolOffer(tools: Self.tools), headers: Self.headers(header)))
        #expect(answer.reply?.toolCalls.map(\.name) == (calls ? ["get_weather"] : []))
        if !calls { #expect(answer.reply?.text == Script.builtInDefaultReply) }
    }

    @Test func aRulesTextComesBeforeItsAutomaticCall() throws {
        let script = try script("""
            rules:
              - name: checker
                match: {prompt: {contains: weather}}
                reply: {text: "Checking {{prompt}}", tool_calls: auto}
            """)
        let tools = ToolOffer(tools: Self.tools)
        let answer = reply(script, input("weather in Paris?", tools: tools))
        #expect(answer.source == "rule checker")
        let call = try #require(answer.reply?.toolCalls.first)
        #expect(answer.reply?.blocks == [.text("Checking weather in Paris?"), .toolCall(call)])
        #expect(call.name == "get_weather")
        #expect(answer.reply?.text == "Checking weather in Paris?")
        // No tools offered: the text alone.
        let bare = reply(script, input("weather in Paris?")).reply
        #expect(bare?.text == "Checking weather in Paris?")
        #expect(bare?.blocks == [])
        // tool_choice none: the text alone.
        #expect(reply(script, input("weather in Paris?", tools: ToolOffer(tools: Self.tools, choice: .none))).reply?.blocks == [])
        // After a tool result: only the report.
        let report = reply(script, input(Self.openAIConversation(), tools: tools)).reply
        #expect(report?.text == "The get_weather tool returned: 15 degrees")
        #expect(report?.blocks == [])
    }

    @Test func theSameRequestGetsTheSameArguments() throws {
        let first = try script(Self.autoScript)
        let second = try script(Self.autoScript)
        let tools = ToolOffer(tools: Self.tools)
        let a = reply(first, input("weather in Paris?", tools: tools)).reply
        let b = reply(first, input("weather in Paris?", tools: tools)).reply
        let c = reply(second, input("weather in Paris?", tools: tools)).reply
        #expect(a != nil)
        #expect(a == b)
        #expect(a == c, "whatever the script instance")
        #expect(Script.seed("weather in Paris?", "get_weather", 1) == Script.seed("weather in Paris?", "get_weather", 1))
        #expect(Script.seed("weather in Paris?", "get_weather", 1) != Script.seed("weather in Paris?", "get_weather", 3))
        #expect(Script.seed("weather in Paris?", "get_weather", 1) != Script.seed("weather in Rome?", "get_weather", 1))
        #expect(Script.seed("ab", "c", 1) != Script.seed("a", "bc", 1), "the parts are separated")
    }

    @Test func responsesAndRulesWinOverAutomaticCalls() throws {
        let script = try script("""
            rules:
              - match: {prompt: {contains: Rome}}
                reply: From the rule.
            responses: {"weather in Paris?": Sunny}
            settings: {auto_tools: true}
            """)
        let tools = ToolOffer(tools: Self.tools)
        let fromResponses = reply(script, input("weather in Paris?", tools: tools))
        #expect(fromResponses.source == "responses")
        #expect(fromResponses.reply?.text == "Sunny")
        #expect(fromResponses.reply?.blocks == [])
        let fromRule = reply(script, input("weather in Rome?", tools: tools))
        #expect(fromRule.reply?.text == "From the rule.")
        #expect(fromRule.reply?.blocks == [])
        #expect(reply(script, input("weather in Oslo?", tools: tools)).reply?.toolCalls.map(\.name) == ["get_weather"])
    }

    @Test func wordsSplitOnCaseAndPunctuation() {
        #expect(Script.words("getWeather") == ["get", "weather"])
        #expect(Script.words("get_weather") == ["get", "weather"])
        #expect(Script.words("What is the WEATHER in Paris?") == ["what", "the", "weather", "paris"])
        #expect(Script.words("send-email2 v1") == ["send", "email2"])
    }

    // MARK: - Structured output

    @Test func jsonObjectWithoutARuleWrapsTheDefaultReply() throws {
        let answer = reply(try script("responses: {}\ndefaults: {unknown_response: 'Say \"hi\"'}"), input("x", format: .jsonObject))
        #expect(answer.source == "response_format")
        #expect(answer.reply?.text == #"{"text":"Say \"hi\""}"#)
        #expect(reply(try script("responses: {}"), input("x", format: .jsonObject)).reply?.text
            == #"{"text":"I don't know the answer to that."}"#)
    }

    @Test func jsonSchemaWithoutARuleIsAJSONObject() throws {
        let script = try script("responses: {}")
        let text = try #require(reply(script, input("x", format: .jsonSchema(Self.weatherSchema))).reply?.text)
        guard case .object = try JSONReader.parse(Array(text.utf8)) else { Issue.record("\(text)"); return }
        #expect(reply(script, input("x", format: .jsonSchema(Self.weatherSchema))).reply?.text == text, "deterministic")
        #expect(reply(script, input("x", format: .jsonSchema(Self.weatherSchema))).source == "response_format")
    }

    @Test
    func jsonSchemaReplyHasTheRequiredKeys() throws {
        let text = try #require(reply(try script("responses: {}"), input("x", format: .jsonSchema(Self.weatherSchema))).reply?.text)
        let object = try #require(try JSONReader.parse(Array(text.utf8)).objectValue)
        #expect(object["city"] != nil && object["days"] != nil, "\(text)")
    }

    @Test func aRuleOrAResponseWinsOverTheResponseFormat() throws {
        let script = try script("""
            rules:
              - match: {prompt: rule}
                reply: not json at all
            responses: {listed: also not json}
            """)
        for format in [ResponseFormat.jsonObject, .jsonSchema(Self.weatherSchema)] {
            #expect(reply(script, input("rule", format: format)).reply?.text == "not json at all")
            #expect(reply(script, input("listed", format: format)).reply?.text == "also not json")
        }
    }

    @Test func theResponseFormatAnswersBeforeTheMissPolicy() throws {
        let script = try script("responses: {}\nsettings: {on_miss: error}")
        #expect(reply(script, input("x", format: .jsonObject)).reply?.text == #"{"text":"I don't know the answer to that."}"#)
        #expect(reply(script, input("x")).reply == nil, "without a format the miss is an error")
    }
}
