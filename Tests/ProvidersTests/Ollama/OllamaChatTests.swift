@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// `POST /api/chat` byte for byte, without a server: the JSON reply, the NDJSON stream, tool
/// calls and their results, options, structured output and the load/unload replies.
@Suite("Ollama chat")
struct OllamaChatTests {
    static let yaml = """
        rules:
          - name: after-weather
            match: {tool_result: {name: get_weather, content: "15"}}
            reply: It is 15 degrees.
          - name: weather
            match: {prompt: {contains: weather}}
            reply:
              text: Checking.
              tool_calls: [{name: get_weather, arguments: {city: Paris, days: 3}}]
          - name: fixed-id
            match: {prompt: {contains: fixed}}
            reply: {tool_calls: [{name: get_time, id: call_fixed}]}
          - name: busy
            match: {prompt: busy}
            error: {status: 503, message: server busy, retry_after: 2}
        responses:
          hello: "Hi \\"you\\"\\n"
          ping: pong
          long: one two three four five six
        """

    static let tools = #""tools":[{"type":"function","function":{"name":"get_weather","description":"Weather in a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]"#

    let script: Script

    init() throws {
        script = try ScriptLoader.parse(yaml: Self.yaml, file: "t", providers: providerCatalog).script
    }

    func call(_ body: String, headers: HTTPFields = HTTPFields(), script: Script? = nil, seed: UInt64 = 3) -> Reply {
        answer(body, headers: headers, script: script, seed: seed).reply
    }

    /// The reply and the token usage the handler reported with it.
    func answer(_ body: String, headers: HTTPFields = HTTPFields(), script: Script? = nil, seed: UInt64 = 3) -> (reply: Reply, usage: TokenUsage?) {
        var ctx = ProviderContext(script: script ?? self.script, now: 1_700_000_000, random: SeededRandom(seed: seed), requestID: "req_1")
        let reply = Endpoint.answer(HTTPRequest(method: "POST", target: "/api/chat", headers: headers, body: Array(body.utf8)), &ctx, by: Ollama.chat)
        return (reply, ctx.usage)
    }

    func body(_ prompt: String, _ extra: String = "") -> String {
        #"{"model":"llama3.2","messages":[{"role":"user","content":"\#(prompt)"}]\#(extra)}"#
    }

    /// The first tool call's id in `text`, checked to be Ollama's shape: `call_` and 8 of `[a-z0-9]`.
    static func callID(in text: String) -> String {
        guard let start = text.firstRange(of: #""id":"call_"#)?.upperBound else { return "none" }
        let id = "call_" + text[start...].prefix { $0 != "\"" }
        #expect(id.utf8.count == 13 && id.utf8.dropFirst(5).allSatisfy { (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) }, "\(id)")
        return id
    }

    static let head = #"{"model":"llama3.2","created_at":"2023-11-14T22:13:20Z","#

    @Test func aNonStreamReplyIsOneObjectWithTheMessageAndTheMetrics() {
        let (reply, usage) = answer(body("hello", #","stream":false"#))
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"] == "application/json; charset=utf-8")
        #expect(reply.headers["x-mockllm-rule"] == "responses")
        #expect(reply.bodyBytes.description == Self.head
            + #""message":{"role":"assistant","content":"Hi \"you\"\n"},"done":true,"done_reason":"stop","#
            + #""total_duration":1013000,"load_duration":1000000,"prompt_eval_count":8,"prompt_eval_duration":8000,"eval_count":5,"eval_duration":5000}"#)
        #expect(usage == TokenUsage(prompt: 8, completion: 5))
    }

    @Test func streamingIsTheDefaultAndEachLineIsOneObject() {
        let reply = call(body("ping"))
        #expect(reply.headers["content-type"] == "application/x-ndjson")
        #expect(reply.headers["cache-control"] == nil)
        let piece = { (c: String) in Self.head + #""message":{"role":"assistant","content":"\#(c)"},"done":false}"# + "\n" }
        #expect(reply.streamTexts == ["p", "o", "n", "g"].map(piece) + [
            Self.head + #""message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","#
                + #""total_duration":1009000,"load_duration":1000000,"prompt_eval_count":8,"prompt_eval_duration":8000,"eval_count":1,"eval_duration":1000}"# + "\n",
        ])
        #expect(call(body("ping", #","stream":true"#)).streamTexts == reply.streamTexts)
    }

    @Test func createdAtAndTheDurationsFollowThePacingSchedule() {
        let paced = HTTPFields(["x-mockllm-ttft-ms": "250", "x-mockllm-itl-ms": "20"])
        let lines = call(body("ping"), headers: paced).streamTexts
        #expect(lines.map { $0.contains(#""created_at":"2023-11-14T22:13:20.25Z""#) } == [true, false, false, false, false])
        #expect(lines[3].contains(#""created_at":"2023-11-14T22:13:20.31Z""#))
        #expect(lines[4].contains(#""created_at":"2023-11-14T22:13:20.31Z""#))
        #expect(lines[4].hasSuffix(#""total_duration":311000000,"load_duration":1000000,"prompt_eval_count":8,"prompt_eval_duration":250000000,"eval_count":1,"eval_duration":60000000}"# + "\n"))
        let whole = call(body("ping", #","stream":false"#), headers: paced)
        #expect(whole.bodyBytes.description.hasSuffix(#""total_duration":311000000,"load_duration":1000000,"prompt_eval_count":8,"prompt_eval_duration":250000000,"eval_count":1,"eval_duration":60000000}"#))
        #expect(whole.bodyBytes.description.contains(#""created_at":"2023-11-14T22:13:20.31Z""#))
        guard case .bytes(_, let delay) = whole.body else { Issue.record("not bytes"); return }
        #expect(delay == 310_000_000)
    }

    @Test func aToolCallCarriesItsArgumentsAsAnObject() {
        let text = call(body("weather in Paris?", #","stream":false,"# + Self.tools)).bodyBytes.description
        #expect(text.hasPrefix(Self.head
            + #""message":{"role":"assistant","content":"Checking.","tool_calls":[{"id":"\#(Self.callID(in: text))","function":{"index":0,"name":"get_weather","arguments":{"city":"Paris","days":3}}}]},"done":true,"done_reason":"stop","#))
        let fixed = call(body("fixed please", #","stream":false"#))
        #expect(fixed.bodyBytes.description.contains(#""tool_calls":[{"id":"call_fixed","function":{"index":0,"name":"get_time","arguments":{}}}]"#))
    }

    @Test func aStreamedToolCallComesWholeInOneLineAfterTheText() {
        let lines = call(body("weather", "," + Self.tools), headers: HTTPFields(["x-mockllm-chunking": "word"])).streamTexts
        #expect(lines.count == 3)
        #expect(lines[0] == Self.head + #""message":{"role":"assistant","content":"Checking."},"done":false}"# + "\n")
        #expect(lines[1] == Self.head
            + #""message":{"role":"assistant","content":"","tool_calls":[{"id":"\#(Self.callID(in: lines[1]))","function":{"index":0,"name":"get_weather","arguments":{"city":"Paris","days":3}}}]},"done":false}"# + "\n")
        #expect(lines[2].contains(#""message":{"role":"assistant","content":""},"done":true,"done_reason":"stop""#))
    }

    @Test func aToolResultIsMatchedByItsToolName() {
        let conversation = #"{"model":"llama3.2","stream":false,"messages":[{"role":"user","content":"weather?"},"#
            + #"{"role":"assistant","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Paris"}}}]},"#
        let named = call(conversation + #"{"role":"tool","content":"15","tool_name":"get_weather"}]}"#)
        #expect(named.headers["x-mockllm-rule"] == "rule after-weather")
        #expect(named.bodyBytes.description.contains(#""content":"It is 15 degrees.""#))
        // Clients before tool_name: the result of the call at its position.
        let unnamed = call(conversation + #"{"role":"tool","content":"15"}]}"#)
        #expect(unnamed.headers["x-mockllm-rule"] == "rule after-weather")
        let other = call(conversation + #"{"role":"tool","content":"15","tool_name":"get_time"}]}"#)
        #expect(other.headers["x-mockllm-rule"] != "rule after-weather")
    }

    @Test func automaticModeCallsAnOfferedToolThenReportsItsResult() {
        let auto = HTTPFields(["x-mockllm-auto-tools": "true"])
        let first = call(body("Rome forecast please", #","stream":false,"# + Self.tools), headers: auto)
        #expect(first.headers["x-mockllm-rule"] == "auto tools")
        let json = try? ReplyJSON.parse(first.bodyBytes.description)
        #expect(ReplyJSON.at(json, "message", "tool_calls", "0", "function", "name") == .string("get_weather"))
        #expect(ReplyJSON.at(json, "message", "tool_calls", "0", "function", "arguments", "city")?.stringValue != nil)
        let second = call(#"{"model":"llama3.2","stream":false,"# + Self.tools + #","messages":[{"role":"user","content":"Rome forecast please"},"#
            + #"{"role":"assistant","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Rome"}}}]},"#
            + #"{"role":"tool","content":"21 degrees","tool_name":"get_weather"}]}"#, headers: auto)
        #expect(second.bodyBytes.description.contains(#""content":"The get_weather tool returned: 21 degrees""#))
    }

    @Test func numPredictCutsTheReplyWithLengthAndStopEndsItEarly() {
        let cut = call(body("long", #","stream":false,"options":{"num_predict":2,"temperature":0.2,"seed":7}"#)).bodyBytes.description
        #expect(cut.contains(#""content":"one two"}"#))
        #expect(cut.contains(#""done_reason":"length""#))
        #expect(cut.contains(#""eval_count":2,"#))
        let stopped = call(body("long", #","stream":false,"options":{"stop":[" three"]}"#)).bodyBytes.description
        #expect(stopped.contains(#""content":"one two"}"#))
        #expect(stopped.contains(#""done_reason":"stop""#))
        let unlimited = call(body("long", #","stream":false,"options":{"num_predict":-1}"#)).bodyBytes.description
        #expect(unlimited.contains(#""content":"one two three four five six""#))
    }

    @Test func formatAsksForJSON() throws {
        let schema = #","format":{"type":"object","properties":{"age":{"type":"integer"},"ok":{"type":"boolean"}},"required":["age","ok"]},"stream":false"#
        let reply = call(body("tell me about you", schema))
        #expect(reply.headers["x-mockllm-rule"] == "response_format")
        let content = try #require(ReplyJSON.at(try ReplyJSON.parse(reply.bodyBytes.description), "message", "content")?.stringValue)
        let value = try ReplyJSON.parse(content)
        guard case .number = ReplyJSON.at(value, "age"), case .bool = ReplyJSON.at(value, "ok") else {
            Issue.record("not the schema's shape: \(content)")
            return
        }
        let jsonMode = call(body("tell me about you", #","format":"json","stream":false"#)).bodyBytes.description
        #expect(jsonMode.contains(#""content":"{\"text\":"#))
    }

    @Test func noMessagesLoadsTheModelAndKeepAliveZeroUnloadsIt() {
        let load = call(#"{"model":"llama3.2","messages":[]}"#)
        #expect(load.headers["content-type"] == "application/json; charset=utf-8")
        #expect(load.bodyBytes.description == Self.head + #""message":{"role":"assistant","content":""},"done":true,"done_reason":"load"}"#)
        let unload = call(#"{"model":"llama3.2","keep_alive":0}"#)
        #expect(unload.bodyBytes.description.hasSuffix(#""done":true,"done_reason":"unload"}"#))
        #expect(call(#"{"model":"llama3.2","keep_alive":"0s"}"#).bodyBytes.description.contains("unload"))
        #expect(call(#"{"model":"llama3.2","keep_alive":"5m"}"#).bodyBytes.description.contains(#""done_reason":"load""#))
    }

    @Test func aStreamFaultEndsWithAnErrorLine() {
        let lines = call(body("ping"), headers: HTTPFields(["x-mockllm-fault": "error:2"])).streamTexts
        #expect(lines.count == 3)
        #expect(lines[1].contains(#""content":"o""#))
        #expect(lines[2] == #"{"error":"The server had an error while processing your request."}"# + "\n")
        let malformed = call(body("ping"), headers: HTTPFields(["x-mockllm-fault": "malformed:1"])).streamTexts
        #expect(malformed[1] == OllamaErrors.malformedLine.description)
    }

    @Test func aScriptedErrorIsOllamasEnvelopeWithItsHeaders() {
        let reply = call(body("busy"))
        #expect(reply.status == 503)
        #expect(reply.headers["retry-after"] == "2")
        #expect(reply.bodyBytes.description == #"{"error":"server busy"}"#)
    }
}
