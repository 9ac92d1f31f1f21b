@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// `tool_use` replies, tool results and structured output through the Anthropic provider,
/// byte for byte, without a server.
@Suite("Anthropic tool use")
struct AnthropicToolUseTests {
    static let yaml = """
        rules:
          - name: blocks
            match: {prompt: {contains: blocks}}
            reply:
              blocks:
                - text: First I check.
                - tool_call: {name: get_weather, arguments: {city: Paris, days: 3}}
                - text: ""
                - json: {note: done}
                - tool_call: {name: get_time, id: toolu_fixed}
          - name: weather
            match: {prompt: {contains: weather}}
            reply: {tool_calls: [{name: get_weather, arguments: {city: Paris}}]}
          - name: after
            match: {tool_result: {name: get_weather, content: "15"}}
            reply: It is 15 degrees.
        responses: {}
        """

    /// Arguments are written with a space after `:` and `,` (docs/CONFIG.md).
    static let weatherInput = #"{"city": "Paris", "days": 3}"#
    static let noteText = #"{"note":"done"}"#

    static let tools = #"""
        "tools":[{"name":"get_weather","description":"Weather forecast for a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},{"name":"get_time","description":"Current time","input_schema":{"type":"object","properties":{}}}]
        """#

    let script: Script

    init() throws {
        script = try ScriptLoader.parse(yaml: Self.yaml, file: "t", providers: providerCatalog).script
    }

    func body(_ prompt: String, _ extra: String = "") -> String {
        #"{"model":"claude-3-haiku","max_tokens":100,"messages":[{"role":"user","content":"\#(prompt)"}],\#(Self.tools)\#(extra)}"#
    }

    func call(_ body: String, headers: HTTPFields = HTTPFields(), script: Script? = nil, seed: UInt64 = 9) -> Reply {
        var ctx = ProviderContext(script: script ?? self.script, now: 1_700_000_000, random: SeededRandom(seed: seed), requestID: "req_abc")
        return Endpoint.answer(HTTPRequest(method: "POST", target: "/v1/messages", headers: headers, body: Array(body.utf8)), &ctx, by: AnthropicMessages.messages)
    }

    func expectedID(seed: UInt64 = 9) -> String {
        var random = SeededRandom(seed: seed)
        return "mock-" + random.uuidString()
    }

    /// Each event's name and data.
    func events(_ reply: Reply) throws -> [(name: String, data: JSONValue)] {
        try reply.streamTexts.map { event in
            let lines = event.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 4 && lines[0].hasPrefix("event: ") && lines[1].hasPrefix("data: ") && event.hasSuffix("\n\n"), "\(event)")
            return (String(lines[0].dropFirst(7)), try ReplyJSON.parse(String(lines[1].dropFirst(6))))
        }
    }

    static func int(_ value: JSONValue?) -> Int? {
        if case .number(let d)? = value { return Int(d) }
        return nil
    }

    // MARK: - Non-stream

    @Test func blocksComeInTheScriptedOrderWithoutEmptyTexts() throws {
        let reply = call(body("blocks please"))
        #expect(reply.status == 200)
        #expect(reply.headers["x-mockllm-rule"] == "rule blocks")
        let text = reply.bodyBytes.description
        let id = try #require(ReplyJSON.at(try ReplyJSON.parse(text), "content", "1", "id")?.stringValue)
        #expect(ReplyJSON.isID(id, prefix: "toolu_01", letters: 22), "\(id)")
        let input = 3 + 4 + TokenEstimator.count("blocks please")
        let output = TokenEstimator.count("First I check.") + TokenEstimator.count("get_weather") + TokenEstimator.count(Self.weatherInput)
            + TokenEstimator.count(Self.noteText) + TokenEstimator.count("get_time") + TokenEstimator.count("{}")
        #expect(text == #"{"id":"\#(expectedID())","type":"message","role":"assistant","model":"claude-3-haiku","content":[{"type":"text","text":"First I check."},{"type":"tool_use","id":"\#(id)","name":"get_weather","input":\#(Self.weatherInput)},{"type":"text","text":\#(ReplyJSON.escaped(Self.noteText))},{"type":"tool_use","id":"toolu_fixed","name":"get_time","input":{}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":\#(input),"output_tokens":\#(output)}}"#)
    }

    @Test func aCallOnlyReplyIsOneToolUseBlockWithAnObjectInput() throws {
        let json = try ReplyJSON.parse(call(body("weather?")).bodyBytes.description)
        let content = try #require(ReplyJSON.at(json, "content")?.arrayValue)
        #expect(content.count == 1)
        #expect(ReplyJSON.at(content[0], "type")?.stringValue == "tool_use")
        #expect(ReplyJSON.at(content[0], "name")?.stringValue == "get_weather")
        #expect(ReplyJSON.at(content[0], "input") == (try ReplyJSON.parse(#"{"city":"Paris"}"#)), "input is an object, not a string")
        #expect(ReplyJSON.at(json, "stop_reason")?.stringValue == "tool_use")
    }

    @Test func toolUseIDsComeFromTheSeed() throws {
        func id(_ seed: UInt64) throws -> String? {
            ReplyJSON.at(try ReplyJSON.parse(call(body("weather?"), seed: seed).bodyBytes.description), "content", "0", "id")?.stringValue
        }
        #expect(try id(9) == id(9))
        #expect(try id(9) != id(10))
    }

    @Test func maxTokensBelowTheReplyDropsTheToolUse() throws {
        let cut = try #require(TokenEstimator.prefix("First I check.", maxTokens: 2))
        let text = call(body("blocks please").replacingOccurrences(of: #""max_tokens":100"#, with: #""max_tokens":2"#)).bodyBytes.description
        #expect(text.contains(#""content":[{"type":"text","text":\#(ReplyJSON.escaped(String(cut)))}],"stop_reason":"max_tokens""#), "\(text)")
        let stream = try events(call(body("blocks please", #","stream":true"#).replacingOccurrences(of: #""max_tokens":100"#, with: #""max_tokens":2"#)))
        #expect(!stream.contains { ReplyJSON.at($0.data, "content_block", "type")?.stringValue == "tool_use" })
        #expect(stream.first { $0.name == "message_delta" }.flatMap { ReplyJSON.at($0.data, "delta", "stop_reason")?.stringValue } == "max_tokens")
    }

    // MARK: - Stream

    @Test func theStreamOpensEachBlockInOrder() throws {
        let reply = call(body("blocks please", #","stream":true"#))
        let raw = reply.streamTexts
        #expect(raw.contains(#"event: content_block_start\#ndata: {"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"toolu_fixed","name":"get_time","input":{}}}\#n\#n"#))
        let all = try events(reply)
        let names = all.map(\.name)
        #expect(names.first == "message_start")
        #expect(names.suffix(2) == ["message_delta", "message_stop"])
        #expect(names.filter { $0 == "ping" }.count == 1)
        #expect(names.prefix(3) == ["message_start", "content_block_start", "ping"], "ping once, after the first block's start")

        var starts: [Int] = [], stops: [Int] = []
        var open: Int?
        var blocks: [(type: String, start: JSONValue, deltas: [JSONValue])] = []
        for (name, data) in all {
            switch name {
            case "content_block_start":
                let index = try #require(Self.int(ReplyJSON.at(data, "index")))
                #expect(open == nil)
                open = index
                starts.append(index)
                blocks.append((ReplyJSON.at(data, "content_block", "type")?.stringValue ?? "", ReplyJSON.at(data, "content_block") ?? .null, []))
            case "content_block_delta":
                #expect(Self.int(ReplyJSON.at(data, "index")) == open)
                blocks[blocks.count - 1].deltas.append(ReplyJSON.at(data, "delta") ?? .null)
            case "content_block_stop":
                #expect(Self.int(ReplyJSON.at(data, "index")) == open)
                stops.append(open ?? -1)
                open = nil
            default:
                break
            }
        }
        #expect(starts == [0, 1, 2, 3])
        #expect(stops == [0, 1, 2, 3])
        #expect(blocks.map(\.type) == ["text", "tool_use", "text", "tool_use"])

        func text(_ i: Int) -> String {
            blocks[i].deltas.compactMap { ReplyJSON.at($0, "type")?.stringValue == "text_delta" ? ReplyJSON.at($0, "text")?.stringValue : nil }.joined()
        }
        func pieces(_ i: Int) -> [String] {
            blocks[i].deltas.compactMap { ReplyJSON.at($0, "type")?.stringValue == "input_json_delta" ? ReplyJSON.at($0, "partial_json")?.stringValue : nil }
        }
        #expect(text(0) == "First I check.")
        #expect(text(2) == Self.noteText)
        #expect(ReplyJSON.at(blocks[0].start, "text")?.stringValue == "")
        for i in [1, 3] {
            #expect(ReplyJSON.at(blocks[i].start, "input") == .object(JSONObject()), "content_block_start has an empty input")
            #expect(pieces(i).count == blocks[i].deltas.count, "only input_json_delta in a tool_use block")
            #expect(pieces(i).first == "", "the first input_json_delta is empty")
        }
        #expect(pieces(1).joined() == Self.weatherInput)
        #expect(pieces(3).joined() == "{}")
        #expect(ReplyJSON.at(blocks[3].start, "id")?.stringValue == "toolu_fixed")

        // The same request unstreamed has the same generated id and the same input.
        let id = try #require(ReplyJSON.at(blocks[1].start, "id")?.stringValue)
        #expect(ReplyJSON.isID(id, prefix: "toolu_01", letters: 22))
        let message = try ReplyJSON.parse(call(body("blocks please")).bodyBytes.description)
        #expect(ReplyJSON.at(message, "content", "1", "id")?.stringValue == id)
        #expect(ReplyJSON.at(message, "content", "1", "input") == (try ReplyJSON.parse(pieces(1).joined())))

        let delta = try #require(all.last { $0.name == "message_delta" }?.data)
        #expect(ReplyJSON.at(delta, "delta", "stop_reason")?.stringValue == "tool_use")
        #expect(ReplyJSON.at(delta, "usage", "output_tokens") == ReplyJSON.at(message, "usage", "output_tokens"))
    }

    @Test func aLeadingToolUseBlockGetsThePingAfterItsStart() throws {
        let all = try events(call(body("weather?", #","stream":true"#)))
        #expect(all.map(\.name).prefix(4) == ["message_start", "content_block_start", "ping", "content_block_delta"])
        #expect(ReplyJSON.at(all[1].data, "content_block", "type")?.stringValue == "tool_use")
        #expect(ReplyJSON.at(all[3].data, "delta") == (try ReplyJSON.parse(#"{"type":"input_json_delta","partial_json":""}"#)))
    }

    @Test(arguments: ["character", "word", "token", "characters:4", "characters:1000"])
    func inputPiecesConcatenateToTheInput(chunking: String) throws {
        var headers = HTTPFields()
        headers.append(name: "x-mockllm-chunking", value: chunking)
        let all = try events(call(body("blocks please", #","stream":true"#), headers: headers))
        let deltas = all.filter { $0.name == "content_block_delta" }
        func pieces(_ index: Int, _ kind: String, _ key: String) -> [String] {
            deltas.filter { Self.int(ReplyJSON.at($0.data, "index")) == index && ReplyJSON.at($0.data, "delta", "type")?.stringValue == kind }
                .compactMap { ReplyJSON.at($0.data, "delta", key)?.stringValue }
        }
        let weather = pieces(1, "input_json_delta", "partial_json")
        #expect(weather.first == "")
        #expect(weather.dropFirst().allSatisfy { !$0.isEmpty })
        #expect(weather.joined() == Self.weatherInput)
        #expect(pieces(3, "input_json_delta", "partial_json").joined() == "{}")
        #expect(pieces(0, "text_delta", "text").joined() == "First I check.")
        if chunking == "character" { #expect(weather.count == 1 + Self.weatherInput.unicodeScalars.count) }
        if chunking == "characters:1000" { #expect(weather.count == 2) }
    }

    // MARK: - Conversations, automatic calls and structured output

    @Test(arguments: [#""15 degrees""#, #"[{"type":"text","text":"15 degrees"}]"#])
    func aToolResultIsMatchedByTheCallsName(content: String) throws {
        let request = #"""
            {"model":"m","max_tokens":50,\#(Self.tools),"messages":[{"role":"user","content":"how warm is Paris?"},{"role":"assistant","content":[{"type":"text","text":"Let me look."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":\#(content)}]}]}
            """#
        let reply = call(request)
        #expect(reply.headers["x-mockllm-rule"] == "rule after")
        #expect(reply.bodyBytes.description.contains(#""content":[{"type":"text","text":"It is 15 degrees."}],"stop_reason":"end_turn""#))
    }

    @Test func theAutoToolsHeaderInventsAToolUse() throws {
        let script = Script()
        var headers = HTTPFields()
        headers.append(name: "x-mockllm-auto-tools", value: "true")
        let reply = call(body("weather in Paris?"), headers: headers, script: script)
        #expect(reply.headers["x-mockllm-rule"] == "auto tools")
        let json = try ReplyJSON.parse(reply.bodyBytes.description)
        #expect(ReplyJSON.at(json, "content")?.arrayValue?.count == 1)
        #expect(ReplyJSON.at(json, "content", "0", "name")?.stringValue == "get_weather")
        #expect(ReplyJSON.isID(ReplyJSON.at(json, "content", "0", "id")?.stringValue ?? "", prefix: "toolu_01", letters: 22))
        #expect(ReplyJSON.at(json, "content", "0", "input")?.objectValue != nil)
        #expect(ReplyJSON.at(json, "stop_reason")?.stringValue == "tool_use")

        let named = try ReplyJSON.parse(call(body("weather in Paris?", #","tool_choice":{"type":"tool","name":"get_time"}"#), headers: headers, script: script).bodyBytes.description)
        #expect(ReplyJSON.at(named, "content", "0", "name")?.stringValue == "get_time")
        let none = try ReplyJSON.parse(call(body("weather in Paris?", #","tool_choice":{"type":"none"}"#), headers: headers, script: script).bodyBytes.description)
        #expect(ReplyJSON.at(none, "content", "0", "text")?.stringValue == Script.builtInDefaultReply)
        #expect(ReplyJSON.at(none, "stop_reason")?.stringValue == "end_turn")

        let answered = #"""
            {"model":"m","max_tokens":50,\#(Self.tools),"messages":[{"role":"user","content":"weather in Paris?"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"15 degrees"}]}]
            """#
        let report = try ReplyJSON.parse(call(answered + "}", headers: headers, script: script).bodyBytes.description)
        #expect(ReplyJSON.at(report, "content", "0", "text")?.stringValue == "The get_weather tool returned: 15 degrees")
        #expect(ReplyJSON.at(report, "stop_reason")?.stringValue == "end_turn")
        let forced = try ReplyJSON.parse(call(answered + #","tool_choice":{"type":"any"}}"#, headers: headers, script: script).bodyBytes.description)
        #expect(ReplyJSON.at(forced, "content", "0", "type")?.stringValue == "tool_use", "any calls even after a result")
    }

    @Test func outputFormatShapesAnUnansweredReply() throws {
        let format = #","output_config":{"format":{"type":"json_schema","schema":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}}}"#
        let reply = call(body("hello", format))
        #expect(reply.headers["x-mockllm-rule"] == "response_format")
        let text = try #require(ReplyJSON.at(try ReplyJSON.parse(reply.bodyBytes.description), "content", "0", "text")?.stringValue)
        #expect(try ReplyJSON.parse(text).objectValue != nil, "\(text)")
        #expect(call(body("weather", format)).headers["x-mockllm-rule"] == "rule weather", "a rule wins")
        // The structured-outputs beta's top-level output_format (LiteLLM still sends it) is the same request.
        let beta = #","output_format":{"type":"json_schema","schema":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}}"#
        let betaReply = call(body("hello", beta))
        #expect(betaReply.headers["x-mockllm-rule"] == "response_format")
        #expect(betaReply.bodyBytes.description == reply.bodyBytes.description)
    }

    // MARK: - Request validation

    @Test(arguments: [
        (#""tools":[{"name":"f"}]"#, "tools.0.input_schema: Field required"),
        (#""tools":[{"input_schema":{}}]"#, "tools.0.name: Field required"),
        (#""tools":{}"#, "tools: Input should be a valid list"),
        (#""tools":[{"name":"f","input_schema":{}}],"tool_choice":{"type":"bogus"}"#,
         "tool_choice: Input tag 'bogus' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'"),
        (#""tools":[{"name":"f","input_schema":{}}],"tool_choice":{"type":"tool","name":"nope"}"#, "Tool 'nope' not found in provided tools"),
        (#""tool_choice":{"type":"tool","name":"f"}"#, "Tool 'f' not found in provided tools"),
        (#""tools":[{"name":"f","input_schema":{}}],"tool_choice":{"type":"tool"}"#, "tool_choice.name: Field required"),
        (#""tools":[{"name":"f","input_schema":{}}],"tool_choice":{}"#, "tool_choice.type: Field required"),
        (#""output_config":{"format":{"type":"xml"}}"#, "output_config.format.type: Input should be 'json_schema'"),
        (#""output_config":{"format":{"type":"json_schema"}}"#, "output_config.format.schema: Field required"),
        (#""output_format":{"type":"xml"}"#, "output_format.type: Input should be 'json_schema'"),
        (#""output_format":{"type":"json_schema","schema":{}},"output_config":{"format":{"type":"json_schema","schema":{}}}"#,
         "output_format: cannot be given together with output_config.format; use output_config.format"),
    ])
    func invalidToolFieldsGetAnthropicErrors(fields: String, message: String) {
        expectError(#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],\#(fields)}"#, message)
    }

    @Test(arguments: [
        (#"[{"role":"user","content":[{"type":"tool_result","content":"15"}]}]"#, "messages.0.content.0.tool_use_id: Field required"),
        (#"[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"tool_use","name":"f","input":{}}]}]"#,
         "messages.1.content.0.id: Field required"),
        (#"[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"tool_use","id":"t","input":{}}]}]"#,
         "messages.1.content.0.name: Field required"),
    ])
    func invalidToolBlocksGetAnthropicErrors(messages: String, message: String) {
        expectError(#"{"model":"m","max_tokens":5,"messages":\#(messages)}"#, message)
    }

    func expectError(_ body: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let reply = call(body)
        #expect(reply.status == 400, sourceLocation: sourceLocation)
        #expect(reply.bodyBytes.description
            == #"{"type":"error","error":{"type":"invalid_request_error","message":\#(ReplyJSON.escaped(message))},"request_id":"req_abc"}"#,
            sourceLocation: sourceLocation)
    }

    @Test func disableParallelToolUseMakesOneAutomaticCallPerReply() throws {
        var headers = HTTPFields()
        headers.append(name: "x-mockllm-auto-tools", value: "true")
        func names(_ extra: String) throws -> [String] {
            let json = try ReplyJSON.parse(call(body("the weather in Paris and the time", extra), headers: headers, script: Script()).bodyBytes.description)
            return (ReplyJSON.at(json, "content")?.arrayValue ?? []).compactMap { ReplyJSON.at($0, "name")?.stringValue }
        }
        #expect(try names("") == ["get_weather", "get_time"])
        #expect(try names(#","tool_choice":{"type":"auto","disable_parallel_tool_use":false}"#) == ["get_weather", "get_time"])
        #expect(try names(#","tool_choice":{"type":"auto","disable_parallel_tool_use":true}"#) == ["get_weather"])
        #expect(try names(#","tool_choice":{"type":"any","disable_parallel_tool_use":true}"#) == ["get_weather"])
    }
}
