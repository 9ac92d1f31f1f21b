@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Tool calls, legacy function calls and structured output through the OpenAI chat provider,
/// byte for byte, without a server.
@Suite("OpenAI tool calls")
struct OpenAIToolCallsTests {
    static let yaml = """
        rules:
          - name: weather
            match: {prompt: {contains: weather}}
            reply:
              tool_calls:
                - name: get_weather
                  arguments: {city: Paris, days: 3, units: [c, f], note: "a \\"quoted\\" word"}
          - name: two
            match: {prompt: {contains: two}}
            reply:
              text: Checking both.
              tool_calls:
                - {name: get_weather, arguments: '{"city":"Oslo"}', id: call_fixed}
                - {name: get_time, arguments: {zone: Europe/Oslo}}
          - name: after
            match: {tool_result: {name: get_weather, content: "15"}}
            reply: It is 15 degrees.
        responses: {}
        """

    /// Arguments are written with a space after `:` and `,`, as Python's json.dumps writes them (docs/CONFIG.md).
    static let weatherArguments = #"{"city": "Paris", "days": 3, "units": ["c", "f"], "note": "a \"quoted\" word"}"#
    static let osloArguments = #"{"city": "Oslo"}"#
    static let timeArguments = #"{"zone": "Europe/Oslo"}"#

    static let tools = #"""
        "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather forecast for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},{"type":"function","function":{"name":"get_time","description":"Current time","parameters":{"type":"object","properties":{}}}}]
        """#

    static let functions = #"""
        "functions":[{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}},{"name":"get_time"}]
        """#

    let script: Script

    init() throws {
        script = try ScriptLoader.parse(yaml: Self.yaml, file: "t", providers: providerCatalog).script
    }

    func body(_ prompt: String, _ extra: String = "", offer: String = OpenAIToolCallsTests.tools) -> String {
        #"{"model":"gpt-4o","messages":[{"role":"user","content":"\#(prompt)"}],\#(offer)\#(extra)}"#
    }

    func call(_ body: String, headers: HTTPFields = HTTPFields(), script: Script? = nil, seed: UInt64 = 5) -> Reply {
        var ctx = ProviderContext(script: script ?? self.script, now: 1_700_000_000, random: SeededRandom(seed: seed))
        return Endpoint.answer(
            HTTPRequest(method: "POST", target: "/v1/chat/completions", headers: headers, body: Array(body.utf8)), &ctx, by: OpenAIChat.chatCompletion)
    }

    func expectedID(seed: UInt64 = 5) -> String {
        var random = SeededRandom(seed: seed)
        return "mock-" + random.uuidString()
    }

    /// Each `data:` event's JSON (the `[DONE]` left out).
    func chunks(_ reply: Reply) throws -> [JSONValue] {
        try reply.streamTexts.filter { $0 != "data: [DONE]\n\n" }.map { event in
            #expect(event.hasPrefix("data: ") && event.hasSuffix("}\n\n"), "\(event)")
            return try ReplyJSON.parse(String(event.dropFirst(6).dropLast(2)))
        }
    }

    static func keys(_ value: JSONValue?) -> [String] {
        value?.objectValue?.members.map(\.key) ?? []
    }

    // MARK: - Non-stream

    @Test func aToolCallMessageHasTheAPIsLayout() throws {
        let reply = call(body("weather in Paris?"))
        #expect(reply.status == 200)
        #expect(reply.headers["x-mockllm-rule"] == "rule weather")
        let text = reply.bodyBytes.description
        let id = try #require(ReplyJSON.at(try ReplyJSON.parse(text), "choices", "0", "message", "tool_calls", "0", "id")?.stringValue)
        #expect(ReplyJSON.isID(id, prefix: "call_", letters: 24), "\(id)")
        let promptTokens = 3 + 4 + TokenEstimator.count("weather in Paris?")
        let completionTokens = TokenEstimator.count("get_weather") + TokenEstimator.count(Self.weatherArguments)
        #expect(text == #"{"id":"\#(expectedID())","object":"chat.completion","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"\#(id)","type":"function","function":{"name":"get_weather","arguments":\#(ReplyJSON.escaped(Self.weatherArguments))}}],"refusal":null},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":\#(promptTokens),"completion_tokens":\#(completionTokens),"total_tokens":\#(promptTokens + completionTokens)}}"#)
    }

    @Test func textAndSeveralCallsKeepTheScriptedIDs() throws {
        let text = call(body("two of them")).bodyBytes.description
        let second = try #require(ReplyJSON.at(try ReplyJSON.parse(text), "choices", "0", "message", "tool_calls", "1", "id")?.stringValue)
        #expect(ReplyJSON.isID(second, prefix: "call_", letters: 24), "\(second)")
        #expect(text.contains(#""message":{"role":"assistant","content":"Checking both.","tool_calls":[{"id":"call_fixed","type":"function","function":{"name":"get_weather","arguments":\#(ReplyJSON.escaped(Self.osloArguments))}},{"id":"\#(second)","type":"function","function":{"name":"get_time","arguments":\#(ReplyJSON.escaped(Self.timeArguments))}}],"refusal":null},"finish_reason":"tool_calls"}"#), "\(text)")
    }

    @Test func callIDsComeFromTheSeed() throws {
        func id(_ seed: UInt64) throws -> String? {
            ReplyJSON.at(try ReplyJSON.parse(call(body("weather"), seed: seed).bodyBytes.description), "choices", "0", "message", "tool_calls", "0", "id")?.stringValue
        }
        #expect(try id(5) == id(5))
        #expect(try id(5) != id(6))
    }

    @Test(arguments: [
        ("weather", "", "tool_calls"),
        ("weather", #","tool_choice":"auto""#, "tool_calls"),
        ("weather", #","tool_choice":"required""#, "tool_calls"),
        ("weather", #","parallel_tool_calls":false"#, "tool_calls"),
        ("weather", #","tool_choice":{"type":"function","function":{"name":"get_weather"}}"#, "stop"),
        ("weather", #","tool_choice":{"type":"function","function":{"name":"get_time"}}"#, "stop"),
        ("hello", "", "stop"),
        ("hello", #","tool_choice":{"type":"function","function":{"name":"get_time"}}"#, "stop"),
    ])
    func finishReasons(prompt: String, extra: String, finish: String) throws {
        let reply = call(body(prompt, extra))
        #expect(reply.status == 200, "\(reply.bodyBytes)")
        #expect(ReplyJSON.at(try ReplyJSON.parse(reply.bodyBytes.description), "choices", "0", "finish_reason")?.stringValue == finish)
    }

    @Test func legacyFunctionsAnswerWithOneFunctionCall() throws {
        let reply = call(body("two of them", offer: Self.functions))
        let text = reply.bodyBytes.description
        #expect(text.contains(#""message":{"role":"assistant","content":"Checking both.","function_call":{"name":"get_weather","arguments":\#(ReplyJSON.escaped(Self.osloArguments))},"refusal":null},"finish_reason":"function_call"}"#), "\(text)")
        #expect(!text.contains("tool_calls"))
        let sent = TokenEstimator.count("Checking both.") + TokenEstimator.count("get_weather") + TokenEstimator.count(Self.osloArguments)
        #expect(ReplyJSON.at(try ReplyJSON.parse(text), "usage", "completion_tokens") == .number(Double(sent)), "the call not sent is not counted")
        let only = call(body("weather", offer: Self.functions)).bodyBytes.description
        #expect(only.contains(#""message":{"role":"assistant","content":null,"function_call":{"name":"get_weather","arguments":\#(ReplyJSON.escaped(Self.weatherArguments))},"refusal":null},"finish_reason":"function_call"}"#), "\(only)")
    }

    @Test func toolsWinOverFunctions() throws {
        let text = call(body("weather", "," + Self.functions)).bodyBytes.description
        #expect(text.contains(#""tool_calls":[{"id":"call_"#))
        #expect(text.contains(#""finish_reason":"tool_calls""#))
    }

    @Test func maxTokensBelowTheReplyDropsTheCalls() throws {
        let reply = call(body("two of them", #","max_tokens":2"#))
        let message = ReplyJSON.at(try ReplyJSON.parse(reply.bodyBytes.description), "choices", "0")
        let cut = try #require(TokenEstimator.prefix("Checking both.", maxTokens: 2))
        #expect(Self.keys(ReplyJSON.at(message, "message")) == ["role", "content"])
        #expect(ReplyJSON.at(message, "message", "content")?.stringValue == String(cut))
        #expect(ReplyJSON.at(message, "finish_reason")?.stringValue == "length")
        #expect(reply.bodyBytes.description.contains(#""completion_tokens":2,"#))
        let callsOnly = call(body("weather", #","max_completion_tokens":1"#)).bodyBytes.description
        #expect(callsOnly.contains(#""message":{"role":"assistant","content":""},"finish_reason":"length""#), "\(callsOnly)")
        let stream = try chunks(call(body("two of them", #","max_tokens":2,"stream":true"#)))
        #expect(stream.allSatisfy { ReplyJSON.at($0, "choices", "0", "delta", "tool_calls") == nil })
        #expect(ReplyJSON.at(stream.last, "choices", "0", "finish_reason")?.stringValue == "length")
    }

    // MARK: - Stream

    func head(seed: UInt64 = 5) -> String {
        #"data: {"id":"\#(expectedID(seed: seed))","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":["#
    }

    @Test func aStreamedCallStartsWithItsHeaderThenOnlyArgumentPieces() throws {
        let reply = call(body("two of them", #","stream":true"#))
        let all = reply.streamTexts
        let ends = "\"index\":0,\"finish_reason\":null}]}\n\n"
        let header0 = all.firstIndex { $0.contains(#""id":"call_fixed""#) }
        let i = try #require(header0)
        #expect(all[i] == head() + #"{"delta":{"tool_calls":[{"index":0,"id":"call_fixed","type":"function","function":{"name":"get_weather","arguments":""}}]},"# + ends)
        #expect(all[i + 1] == head() + #"{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{"}}]},"# + ends)
        #expect(all[all.count - 2] == head() + #"{"delta":{},"index":0,"finish_reason":"tool_calls"}]}"# + "\n\n")
        #expect(all.last == "data: [DONE]\n\n")

        let chunks = try chunks(reply)
        let deltas = chunks.compactMap { ReplyJSON.at($0, "choices", "0", "delta") }
        #expect(Self.keys(deltas[0]) == ["role", "content"])
        let content = deltas.compactMap { ReplyJSON.at($0, "content")?.stringValue }.joined()
        #expect(content == "Checking both.")
        let calls = deltas.compactMap { ReplyJSON.at($0, "tool_calls", "0") }
        #expect(deltas.allSatisfy { ReplyJSON.at($0, "tool_calls")?.arrayValue.map { $0.count == 1 } ?? true }, "one call per delta")
        var seen: Set<Int> = []
        var arguments: [Int: String] = [:]
        var ids: [String] = []
        var order: [Int] = []
        for call in calls {
            let index = try #require(ReplyJSON.at(call, "index").flatMap { if case .number(let d) = $0 { Int(d) } else { nil } })
            if order.last != index { order.append(index) }
            if seen.insert(index).inserted {
                #expect(Self.keys(call) == ["index", "id", "type", "function"])
                #expect(Self.keys(ReplyJSON.at(call, "function")) == ["name", "arguments"])
                #expect(ReplyJSON.at(call, "type")?.stringValue == "function")
                #expect(ReplyJSON.at(call, "function", "arguments")?.stringValue == "")
                ids.append(ReplyJSON.at(call, "id")?.stringValue ?? "")
            } else {
                #expect(Self.keys(call) == ["index", "function"])
                #expect(Self.keys(ReplyJSON.at(call, "function")) == ["arguments"])
            }
            arguments[index, default: ""] += ReplyJSON.at(call, "function", "arguments")?.stringValue ?? ""
        }
        #expect(order == [0, 1], "calls one after another, in order")
        #expect(ids.first == "call_fixed")
        #expect(ReplyJSON.isID(ids.last ?? "", prefix: "call_", letters: 24))
        #expect(arguments == [0: Self.osloArguments, 1: Self.timeArguments])
        // The non-stream reply to the same request has the same generated id.
        let nonStream = call(body("two of them"))
        #expect(ReplyJSON.at(try ReplyJSON.parse(nonStream.bodyBytes.description), "choices", "0", "message", "tool_calls", "1", "id")?.stringValue == ids.last)
    }

    @Test(arguments: ["character", "word", "token", "characters:1", "characters:5", "characters:1000"])
    func argumentPiecesConcatenateToTheArguments(chunking: String) throws {
        var headers = HTTPFields()
        headers.append(name: "x-mockllm-chunking", value: chunking)
        let chunks = try chunks(call(body("two of them", #","stream":true"#), headers: headers))
        let deltas = chunks.compactMap { ReplyJSON.at($0, "choices", "0", "delta") }
        var pieces: [Int: [String]] = [:]
        for call in deltas.compactMap({ ReplyJSON.at($0, "tool_calls", "0") }) {
            guard case .number(let index)? = ReplyJSON.at(call, "index") else { Issue.record("no index"); continue }
            if ReplyJSON.at(call, "id") == nil { pieces[Int(index), default: []].append(ReplyJSON.at(call, "function", "arguments")?.stringValue ?? "") }
        }
        #expect(pieces[0]?.joined() == Self.osloArguments)
        #expect(pieces[1]?.joined() == Self.timeArguments)
        #expect(pieces.values.allSatisfy { $0.allSatisfy { !$0.isEmpty } }, "no empty piece after the header")
        #expect(deltas.compactMap { ReplyJSON.at($0, "content")?.stringValue }.joined() == "Checking both.")
        switch chunking {
        case "character", "characters:1": #expect(pieces[0]?.count == Self.osloArguments.unicodeScalars.count)
        case "characters:1000": #expect(pieces[0]?.count == 1 && pieces[1]?.count == 1)
        case "characters:5": #expect(pieces[0]?.count == (Self.osloArguments.unicodeScalars.count + 4) / 5)
        default: #expect((pieces[0]?.count ?? 0) >= 1)
        }
    }

    @Test func aLegacyStreamUsesFunctionCallDeltas() throws {
        let reply = call(body("two of them", #","stream":true"#, offer: Self.functions))
        let all = reply.streamTexts
        let ends = "\"index\":0,\"finish_reason\":null}]}\n\n"
        let i = try #require(all.firstIndex { $0.contains("function_call") })
        #expect(all[i] == head() + #"{"delta":{"function_call":{"name":"get_weather","arguments":""}},"# + ends)
        #expect(all[i + 1] == head() + #"{"delta":{"function_call":{"arguments":"{"}},"# + ends)
        #expect(all.filter { $0.contains(#""name":"#) }.count == 1, "one call")
        #expect(!all.contains { $0.contains("tool_calls") })
        #expect(all[all.count - 2] == head() + #"{"delta":{},"index":0,"finish_reason":"function_call"}]}"# + "\n\n")
        let pieces = try chunks(reply).compactMap { ReplyJSON.at($0, "choices", "0", "delta", "function_call", "arguments")?.stringValue }
        #expect(pieces.joined() == Self.osloArguments)
        #expect(pieces.first == "")
    }

    @Test func includeUsageStillEndsWithTheUsageChunk() throws {
        let reply = call(body("two of them", #","stream":true,"stream_options":{"include_usage":true}"#))
        let all = reply.streamTexts
        #expect(all.dropLast(2).allSatisfy { $0.hasSuffix(#","usage":null}"# + "\n\n") })
        #expect(all.last == "data: [DONE]\n\n")
        let usageChunk = try ReplyJSON.parse(String(all[all.count - 2].dropFirst(6).dropLast(2)))
        #expect(ReplyJSON.at(usageChunk, "choices")?.arrayValue == [])
        let nonStream = try ReplyJSON.parse(call(body("two of them")).bodyBytes.description)
        let usage = try #require(ReplyJSON.at(nonStream, "usage"))
        #expect(ReplyJSON.at(usageChunk, "usage") == usage)
        let expected = TokenEstimator.count("Checking both.") + TokenEstimator.count("get_weather") + TokenEstimator.count(Self.osloArguments)
            + TokenEstimator.count("get_time") + TokenEstimator.count(Self.timeArguments)
        #expect(ReplyJSON.at(usage, "completion_tokens") == .number(Double(expected)))
    }

    // MARK: - Conversations, automatic calls and structured output

    @Test(arguments: [#""15 degrees""#, #"[{"type":"text","text":"15 degrees"}]"#])
    func aToolResultInTheRequestIsMatchedByTheCallsName(content: String) throws {
        let request = #"""
            {"model":"gpt-4o",\#(Self.tools),"messages":[{"role":"user","content":"how warm is Paris?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},{"role":"tool","tool_call_id":"call_1","content":\#(content)}]}
            """#
        let reply = call(request)
        #expect(reply.headers["x-mockllm-rule"] == "rule after")
        #expect(reply.bodyBytes.description.contains(#""message":{"role":"assistant","content":"It is 15 degrees."},"finish_reason":"stop""#))
    }

    @Test func theAutoToolsHeaderInventsACall() throws {
        let script = Script()
        var headers = HTTPFields()
        headers.append(name: "x-mockllm-auto-tools", value: "true")
        let reply = call(body("weather in Paris?"), headers: headers, script: script)
        #expect(reply.headers["x-mockllm-rule"] == "auto tools")
        let json = try ReplyJSON.parse(reply.bodyBytes.description)
        let toolCall = ReplyJSON.at(json, "choices", "0", "message", "tool_calls", "0")
        #expect(ReplyJSON.at(toolCall, "function", "name")?.stringValue == "get_weather")
        #expect(ReplyJSON.isID(ReplyJSON.at(toolCall, "id")?.stringValue ?? "", prefix: "call_", letters: 24))
        let arguments = try #require(ReplyJSON.at(toolCall, "function", "arguments")?.stringValue)
        #expect(try ReplyJSON.parse(arguments).objectValue != nil, "\(arguments)")
        #expect(ReplyJSON.at(json, "choices", "0", "message", "content") == .null)
        #expect(ReplyJSON.at(json, "choices", "0", "finish_reason")?.stringValue == "tool_calls")
        #expect(call(body("weather in Paris?"), headers: headers, script: script).bodyBytes.description == reply.bodyBytes.description, "deterministic")

        let none = try ReplyJSON.parse(call(body("weather in Paris?", #","tool_choice":"none""#), headers: headers, script: script).bodyBytes.description)
        #expect(ReplyJSON.at(none, "choices", "0", "message", "content")?.stringValue == Script.builtInDefaultReply)
        #expect(ReplyJSON.at(none, "choices", "0", "finish_reason")?.stringValue == "stop")
        let off = try ReplyJSON.parse(call(body("weather in Paris?"), script: script).bodyBytes.description)
        #expect(ReplyJSON.at(off, "choices", "0", "message", "content")?.stringValue == Script.builtInDefaultReply, "off without the header")

        let answered = #"""
            {"model":"gpt-4o",\#(Self.tools),"messages":[{"role":"user","content":"weather in Paris?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},{"role":"tool","tool_call_id":"call_1","content":"15 degrees"}]}
            """#
        let report = try ReplyJSON.parse(call(answered, headers: headers, script: script).bodyBytes.description)
        #expect(ReplyJSON.at(report, "choices", "0", "message", "content")?.stringValue == "The get_weather tool returned: 15 degrees")
        #expect(ReplyJSON.at(report, "choices", "0", "finish_reason")?.stringValue == "stop")
    }

    @Test func responseFormatShapesAnUnansweredReply() throws {
        let object = call(body("hello", #","response_format":{"type":"json_object"}"#))
        #expect(object.headers["x-mockllm-rule"] == "response_format")
        #expect(ReplyJSON.at(try ReplyJSON.parse(object.bodyBytes.description), "choices", "0", "message", "content")?.stringValue
            == #"{"text":"I don't know the answer to that."}"#)
        let schema = #","response_format":{"type":"json_schema","json_schema":{"name":"w","strict":true,"schema":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}}}"#
        let content = try #require(ReplyJSON.at(try ReplyJSON.parse(call(body("hello", schema)).bodyBytes.description), "choices", "0", "message", "content")?.stringValue)
        #expect(try ReplyJSON.parse(content).objectValue != nil, "\(content)")
        let text = call(body("hello", #","response_format":{"type":"text"}"#))
        #expect(text.headers["x-mockllm-rule"] == "default")
        let ruled = call(body("weather", #","response_format":{"type":"json_object"}"#))
        #expect(ruled.headers["x-mockllm-rule"] == "rule weather", "a rule wins")
    }

    // MARK: - Request validation

    @Test(arguments: [
        (#""tools":{}"#, "Invalid type for 'tools': expected an array, but got an object instead.", "tools"),
        (#""tools":["x"]"#, "Invalid type for 'tools[0]': expected an object, but got a string instead.", "tools[0]"),
        (#""tools":[{"type":"function"}]"#, "Missing required parameter: 'tools[0].function'.", "tools[0].function"),
        (#""tools":[{"type":"function","function":{"description":"d"}}]"#, "Missing required parameter: 'tools[0].function.name'.",
         "tools[0].function.name"),
        (#""tools":[{"type":"retrieval"}]"#, "Invalid value: 'retrieval'. Supported values are: 'function' and 'custom'.", "tools[0].type"),
        (#""tools":[{"type":"function","function":{"name":"get weather"}}]"#,
         "Invalid 'tools[0].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
         "tools[0].function.name"),
        (#""tools":[{"type":"function","function":{"name":"ok"}},{"type":"function","function":{"name":"caf\u00e9"}}]"#,
         "Invalid 'tools[1].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
         "tools[1].function.name"),
        (#""tools":[{"type":"function","function":{"name":"\#(String(repeating: "a", count: 65))"}}]"#,
         "Invalid 'tools[0].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
         "tools[0].function.name"),
        (#""tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"bogus""#,
         "Invalid value: 'bogus'. Supported values are: 'none', 'auto', and 'required'.", "tool_choice"),
        (#""tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":5"#,
         "Invalid type for 'tool_choice': expected a string or an object, but got a number instead.", "tool_choice"),
        (#""tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"nope"}}"#,
         "Invalid value for 'tool_choice': no function named 'nope' was specified in the 'tools' parameter.", "tool_choice"),
        (#""tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"custom","function":{"name":"f"}}"#,
         "Invalid value: 'custom'. Supported values are: 'function'.", "tool_choice.type"),
        (#""tool_choice":"auto""#, "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", "tool_choice"),
        (#""functions":[{"name":"f"}],"function_call":"required""#, "Invalid value: 'required'. Supported values are: 'none' and 'auto'.",
         "function_call"),
        (#""functions":[{"name":"f"}],"function_call":{"name":"g"}"#,
         "Invalid value for 'function_call': no function named 'g' was specified in the 'functions' parameter.", "function_call"),
        (#""response_format":{"type":"xml"}"#, "Invalid value: 'xml'. Supported values are: 'text', 'json_object', and 'json_schema'.",
         "response_format.type"),
        (#""response_format":{"type":"json_schema","json_schema":{"schema":{}}}"#,
         "Missing required parameter: 'response_format.json_schema.name'.", "response_format.json_schema.name"),
        (#""response_format":{"type":"json_schema"}"#, "Missing required parameter: 'response_format.json_schema'.", "response_format.json_schema"),
        (#""response_format":"json""#, "Invalid type for 'response_format': expected an object, but got a string instead.", "response_format"),
    ])
    func invalidToolFieldsGetOpenAIErrors(fields: String, message: String, param: String) {
        expectError(#"{"model":"m","messages":[{"role":"user","content":"x"}],\#(fields)}"#, message, param)
    }

    @Test(arguments: [
        (#"{"role":"tool","content":"15"}"#, "Missing required parameter: 'messages[1].tool_call_id'.", "messages[1].tool_call_id"),
        (#"{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}"#,
         "Missing required parameter: 'messages[1].tool_calls[0].id'.", "messages[1].tool_calls[0].id"),
        (#"{"role":"assistant","tool_calls":{}}"#, "Invalid type for 'messages[1].tool_calls': expected an array, but got an object instead.",
         "messages[1].tool_calls"),
        (#"{"role":"function","content":"15"}"#, "Missing required parameter: 'messages[1].name'.", "messages[1].name"),
    ])
    func invalidToolMessagesGetOpenAIErrors(message: String, error: String, param: String) {
        expectError(#"{"model":"m","messages":[{"role":"user","content":"x"},\#(message)]}"#, error, param)
    }

    func expectError(_ body: String, _ message: String, _ param: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let reply = call(body)
        #expect(reply.status == 400, sourceLocation: sourceLocation)
        let text = reply.bodyBytes.description
        #expect(text.hasPrefix(#"{"error":{"message":\#(ReplyJSON.escaped(message)),"type":"invalid_request_error","param":"\#(param)""#),
                "\(text)", sourceLocation: sourceLocation)
    }

    @Test func parallelToolCallsFalseMakesOneAutomaticCallPerReply() throws {
        var headers = HTTPFields()
        headers.append(name: "x-mockllm-auto-tools", value: "true")
        func names(_ extra: String) throws -> [String] {
            let json = try ReplyJSON.parse(call(body("the weather in Paris and the time", extra), headers: headers, script: Script()).bodyBytes.description)
            let calls = ReplyJSON.at(json, "choices", "0", "message", "tool_calls")?.arrayValue ?? []
            return calls.compactMap { ReplyJSON.at($0, "function", "name")?.stringValue }
        }
        #expect(try names("") == ["get_weather", "get_time"])
        #expect(try names(#","parallel_tool_calls":true"#) == ["get_weather", "get_time"])
        #expect(try names(#","parallel_tool_calls":false"#) == ["get_weather"])
        #expect(try names(#","parallel_tool_calls":null"#) == ["get_weather", "get_time"])
    }
}
