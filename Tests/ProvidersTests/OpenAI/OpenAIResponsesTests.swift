@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Byte-for-byte checks of the Responses API, `POST /v1/responses`, without a server.
@Suite("OpenAI Responses API")
struct OpenAIResponsesTests {
    /// How the response echoes `tools`: every member, `strict` true unless sent.
    static let echoedTools = #"[{"type":"function","description":"Weather","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}},"strict":true},{"type":"function","description":null,"name":"get_time","parameters":null,"strict":false}]"#

    let harness: ResponsesHarness

    init() throws {
        harness = try ResponsesHarness(script: ResponsesHarness.sharedScript())
    }

    @Test func theEndpointsAreServedByTheOpenAIProvider() {
        let routes = OpenAIChat.metadata.endpoints.map { "\($0.method) \($0.path)" }
        #expect(routes.contains("POST /v1/responses"))
        #expect(routes.contains("GET /v1/responses/{response_id}"))
        #expect(routes.contains("DELETE /v1/responses/{response_id}"))
        #expect(routes.contains("GET /v1/responses/{response_id}/input_items"))
    }

    @Test func aTextReplyIsAResponseObjectWithOneMessage() throws {
        let reply = harness.create(#"{"model":"gpt-4o","input":"ping"}"#)
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"] == "application/json")
        #expect(reply.headers["x-request-id"] == "req_test")
        let json = try ResponsesHarness.json(reply)
        let id = try #require(ReplyJSON.at(json, "id")?.stringValue)
        let message = try #require(ReplyJSON.at(json, "output", "0", "id")?.stringValue)
        #expect(ResponsesHarness.isID(id, prefix: "resp_"))
        #expect(ResponsesHarness.isID(message, prefix: "msg_", sharing: id))
        let (middle, tail) = ResponsesHarness.defaults()
        #expect(ResponsesHarness.body(reply) == #"{"id":"\#(id)","object":"response","created_at":1700000000,"status":"completed","background":false,"completed_at":1700000000,"error":null,"incomplete_details":null,\#(middle),"output":[{"id":"\#(message)","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"pong"}],"role":"assistant"}],\#(tail),"usage":{"input_tokens":8,"input_tokens_details":{"cached_tokens":0,"cache_write_tokens":0},"output_tokens":1,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":9},"user":null,"metadata":{}}"#)
    }

    @Test func aSeedFixesTheIDs() {
        let first = harness.create(#"{"model":"m","input":"ping"}"#)
        let again = ResponsesHarness(script: harness.script).create(#"{"model":"m","input":"ping"}"#)
        #expect(ResponsesHarness.body(first) == ResponsesHarness.body(again))
        #expect(ResponsesHarness.body(harness.create(#"{"model":"m","input":"ping"}"#)) != ResponsesHarness.body(first))
    }

    @Test func aFunctionCallIsAFunctionCallItemAndToolsAreEchoedFlat() throws {
        let reply = harness.create(#"{"model":"gpt-4o","input":"weather in Paris?","tools":\#(ResponsesHarness.tools),"tool_choice":{"type":"function","name":"get_weather"}}"#)
        let json = try ResponsesHarness.json(reply)
        let id = try #require(ReplyJSON.at(json, "id")?.stringValue)
        let call = try #require(ReplyJSON.at(json, "output", "0", "id")?.stringValue)
        #expect(ResponsesHarness.isID(call, prefix: "fc_", sharing: id))
        let (middle, tail) = ResponsesHarness.defaults(tools: Self.echoedTools)
        let named = tail.replacingOccurrences(of: #""tool_choice":"auto""#, with: #""tool_choice":{"type":"function","name":"get_weather"}"#)
        #expect(ResponsesHarness.body(reply) == #"{"id":"\#(id)","object":"response","created_at":1700000000,"status":"completed","background":false,"completed_at":1700000000,"error":null,"incomplete_details":null,\#(middle),"output":[{"id":"\#(call)","type":"function_call","status":"completed","arguments":"{\"city\": \"Paris\"}","call_id":"call_fixed","name":"get_weather"}],\#(named),"usage":{"input_tokens":11,"input_tokens_details":{"cached_tokens":0,"cache_write_tokens":0},"output_tokens":12,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":23},"user":null,"metadata":{}}"#)
    }

    @Test func textThenCallsAreOneMessageThenOneItemPerCall() throws {
        let json = try ResponsesHarness.json(harness.create(#"{"model":"m","input":"both please","tools":\#(ResponsesHarness.tools)}"#))
        let output = try #require(ReplyJSON.at(json, "output")?.arrayValue)
        #expect(output.map { ReplyJSON.at($0, "type")?.stringValue } == ["message", "function_call", "function_call"])
        #expect(ReplyJSON.at(output[0], "content", "0", "text")?.stringValue == "Checking.")
        #expect(output.dropFirst().map { ReplyJSON.at($0, "arguments")?.stringValue } == [#"{"city": "Oslo"}"#, #"{"zone": "UTC"}"#])
        for call in output.dropFirst() {
            #expect(ReplyJSON.isID(ReplyJSON.at(call, "call_id")?.stringValue ?? "", prefix: "call_", letters: 24))
        }
    }

    @Test func echoedFieldsRepeatTheRequest() throws {
        let json = try ResponsesHarness.json(harness.create(#"""
            {"model":"gpt-4o","input":"ping","instructions":"Be brief.","temperature":0.25,"top_p":0.5,"max_output_tokens":100,
             "metadata":{"run":"7"},"parallel_tool_calls":false,"store":false,"user":"u1","truncation":"auto",
             "text":{"format":{"type":"json_schema","name":"answer","schema":{"type":"object"},"strict":true},"verbosity":"low"}}
            """#))
        #expect(ReplyJSON.at(json, "instructions")?.stringValue == "Be brief.")
        #expect(ReplyJSON.at(json, "temperature") == .number(0.25))
        #expect(ReplyJSON.at(json, "top_p") == .number(0.5))
        #expect(ReplyJSON.at(json, "max_output_tokens") == .number(100))
        #expect(ReplyJSON.at(json, "metadata", "run")?.stringValue == "7")
        #expect(ReplyJSON.at(json, "parallel_tool_calls") == .bool(false))
        #expect(ReplyJSON.at(json, "store") == .bool(false))
        #expect(ReplyJSON.at(json, "user")?.stringValue == "u1")
        #expect(ReplyJSON.at(json, "truncation")?.stringValue == "auto")
        #expect(ReplyJSON.at(json, "text")?.jsonText == #"{"format":{"type":"json_schema","description":null,"name":"answer","schema":{"type":"object"},"strict":true},"verbosity":"low"}"#)
    }

    @Test func instructionsAreTheSystemPrompt() throws {
        let script = try ScriptLoader.parse(yaml: """
            rules:
              - {name: sys, match: {system: {contains: pirate}}, reply: Arr.}
            responses: {}
            """, file: "t", providers: providerCatalog).script
        let reply = ResponsesHarness(script: script).create(#"{"model":"m","input":"hi","instructions":"You are a pirate."}"#)
        #expect(try ReplyJSON.at(ResponsesHarness.json(reply), "output", "0", "content", "0", "text")?.stringValue == "Arr.")
        #expect(reply.headers["x-mockllm-rule"] == "rule sys")
    }

    @Test func maxOutputTokensCutsTheReplyAndMakesItIncomplete() throws {
        let reply = harness.create(#"{"model":"m","input":"long","max_output_tokens":16}"#)
        let json = try ResponsesHarness.json(reply)
        #expect(ReplyJSON.at(json, "status")?.stringValue == "incomplete")
        #expect(ReplyJSON.at(json, "incomplete_details")?.jsonText == #"{"reason":"max_output_tokens"}"#)
        #expect(ReplyJSON.at(json, "completed_at") == .null)
        #expect(ReplyJSON.at(json, "output", "0", "status")?.stringValue == "incomplete")
        #expect(ReplyJSON.at(json, "usage", "output_tokens") == .number(16))
        let text = try #require(ReplyJSON.at(json, "output", "0", "content", "0", "text")?.stringValue)
        #expect(text.hasPrefix("one two") && !text.hasSuffix("eighteen"))
    }

    @Test func aStructuredOutputRequestGetsJSONOfItsSchema() throws {
        let json = try ResponsesHarness.json(harness.create(#"""
            {"model":"m","input":"anything","text":{"format":{"type":"json_schema","name":"w","strict":true,"schema":{"type":"object","properties":{"city":{"type":"string"},"n":{"type":"integer"}},"required":["city","n"],"additionalProperties":false}}}}
            """#))
        let text = try #require(ReplyJSON.at(json, "output", "0", "content", "0", "text")?.stringValue)
        let value = try ReplyJSON.parse(text)
        #expect(ReplyJSON.at(value, "city")?.stringValue != nil)
        #expect(ReplyJSON.at(value, "n")?.stringValue == nil && ReplyJSON.at(value, "n") != nil)
    }

    @Test func automaticModeCallsAnOfferedToolThenReportsItsResult() throws {
        var headers = HTTPFields()
        headers.append(name: "x-mockllm-auto-tools", value: "true")
        let first = try ResponsesHarness.json(harness.create(#"{"model":"m","input":"What time is it?","tools":\#(ResponsesHarness.tools)}"#, headers: headers))
        let call = try #require(ReplyJSON.at(first, "output", "0"))
        #expect(ReplyJSON.at(call, "type")?.stringValue == "function_call")
        #expect(ReplyJSON.at(call, "name")?.stringValue == "get_time")
        let id = try #require(ReplyJSON.at(first, "id")?.stringValue)
        let callID = try #require(ReplyJSON.at(call, "call_id")?.stringValue)
        let second = try ResponsesHarness.json(harness.create(
            #"{"model":"m","previous_response_id":"\#(id)","input":[{"type":"function_call_output","call_id":"\#(callID)","output":"noon"}],"tools":\#(ResponsesHarness.tools)}"#,
            headers: headers))
        #expect(ReplyJSON.at(second, "output", "0", "content", "0", "text")?.stringValue == "The get_time tool returned: noon")
        #expect(ReplyJSON.at(second, "previous_response_id")?.stringValue == id)
    }

    @Test func parallelToolCallsFalseMakesOneAutomaticCallPerResponse() throws {
        var headers = HTTPFields()
        headers.append(name: "x-mockllm-auto-tools", value: "true")
        func names(_ extra: String) throws -> [String] {
            let json = try ResponsesHarness.json(harness.create(
                #"{"model":"m","input":"the time and the Weather in Paris","tools":\#(ResponsesHarness.tools)\#(extra)}"#, headers: headers))
            return (ReplyJSON.at(json, "output")?.arrayValue ?? []).compactMap { ReplyJSON.at($0, "name")?.stringValue }
        }
        // ("Weather" in capitals: the script's rule matches "weather".)
        #expect(try names("") == ["get_time", "get_weather"])
        #expect(try names(#","parallel_tool_calls":false"#) == ["get_time"])
    }
}
