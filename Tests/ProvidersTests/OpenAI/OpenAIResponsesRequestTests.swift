@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Refusals of `POST /v1/responses` bodies: 400 in OpenAI's envelope, with the real API's
/// wording and the path of the field at fault.
@Suite("OpenAI Responses API requests")
struct OpenAIResponsesRequestTests {
    let harness = ResponsesHarness(script: Script(responses: ["ping": "pong"], defaultReply: "default"))

    struct Refusal: Sendable, CustomTestStringConvertible {
        var body: String
        var message: String
        var param: String?
        var code: String?
        var testDescription: String { body }
    }

    static let refusals: [Refusal] = [
        Refusal(body: #"{"model":"m"}"#, message: "Missing required parameter: 'input'.", param: "input", code: "missing_required_parameter"),
        Refusal(body: #"{"input":"hi"}"#, message: "Missing required parameter: 'model'.", param: "model", code: "missing_required_parameter"),
        Refusal(body: #"{"model":"m","input":5}"#, message: "Invalid type for 'input': expected a string or an array, but got a number instead.",
                param: "input", code: "invalid_type"),
        Refusal(body: #"{"model":"m","input":["hi"]}"#, message: "Invalid type for 'input[0]': expected an object, but got a string instead.",
                param: "input[0]", code: "invalid_type"),
        Refusal(body: #"{"model":"m","input":[{"role":"bot","content":"hi"}]}"#,
                message: "Invalid value: 'bot'. Supported values are: 'user', 'assistant', 'system', and 'developer'.",
                param: "input[0].role", code: "invalid_value"),
        Refusal(body: #"{"model":"m","input":[{"role":"user","content":"a"},{"type":"message","role":"user"}]}"#,
                message: "Missing required parameter: 'input[1].content'.", param: "input[1].content", code: "missing_required_parameter"),
        Refusal(body: #"{"model":"m","input":[{"role":"user","content":[{"type":"input_text"}]}]}"#,
                message: "Missing required parameter: 'input[0].content[0].text'.", param: "input[0].content[0].text", code: "missing_required_parameter"),
        Refusal(body: #"{"model":"m","input":[{"type":"function_call_output","output":"x"}]}"#,
                message: "Missing required parameter: 'input[0].call_id'.", param: "input[0].call_id", code: "missing_required_parameter"),
        Refusal(body: #"{"model":"m","input":[{"type":"function_call","call_id":"c","name":"f"}]}"#,
                message: "Missing required parameter: 'input[0].arguments'.", param: "input[0].arguments", code: "missing_required_parameter"),
        // The chat completions shape of a tool is not the Responses API's.
        Refusal(body: #"{"model":"m","input":"hi","tools":[{"type":"function","function":{"name":"f"}}]}"#,
                message: "Missing required parameter: 'tools[0].name'.", param: "tools[0].name", code: "missing_required_parameter"),
        Refusal(body: #"{"model":"m","input":"hi","tools":[{"type":"function","name":"a b"}]}"#,
                message: "Invalid 'tools[0].name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
                param: "tools[0].name", code: "invalid_value"),
        Refusal(body: #"{"model":"m","input":"hi","tools":[{"type":"function","name":"f"}],"tool_choice":{"type":"function","name":"g"}}"#,
                message: "Tool choice 'function' not found in 'tools' parameter.", param: "tool_choice", code: "invalid_value"),
        Refusal(body: #"{"model":"m","input":"hi","tool_choice":"sometimes"}"#,
                message: "Invalid value: 'sometimes'. Supported values are: 'none', 'auto', and 'required'.", param: "tool_choice", code: "invalid_value"),
        Refusal(body: #"{"model":"m","input":"hi","max_output_tokens":5}"#,
                message: "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got 5 instead.",
                param: "max_output_tokens", code: "integer_below_min_value"),
        Refusal(body: #"{"model":"m","input":"hi","text":{"format":{"type":"xml"}}}"#,
                message: "Invalid value: 'xml'. Supported values are: 'text', 'json_object', and 'json_schema'.", param: "text.format.type", code: "invalid_value"),
        Refusal(body: #"{"model":"m","input":"hi","text":{"format":{"type":"json_schema","name":"x"}}}"#,
                message: "Missing required parameter: 'text.format.schema'.", param: "text.format.schema", code: "missing_required_parameter"),
        Refusal(body: #"{"model":"m","input":"hi","temperature":3}"#,
                message: "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3 instead.",
                param: "temperature", code: "decimal_above_max_value"),
        Refusal(body: #"{"model":"m","input":"hi","metadata":{"a":1}}"#,
                message: "Invalid type for 'metadata.a': expected a string, but got a number instead.", param: "metadata.a", code: "invalid_type"),
        Refusal(body: #"{"model":"m","input":"hi","stream":"yes"}"#,
                message: "Invalid type for 'stream': expected a boolean, but got a string instead.", param: "stream", code: "invalid_type"),
        Refusal(body: #"{"model":"m","input":"hi","previous_response_id":"resp_gone"}"#,
                message: "Previous response with id 'resp_gone' not found.", param: "previous_response_id", code: "previous_response_not_found"),
        Refusal(body: #"{"model":"m","input":[{"role":"developer","content":"Be brief."}]}"#,
                message: "No user message found in request", param: "input", code: nil),
    ]

    @Test(arguments: refusals)
    func aBadBodyIsRefusedInOpenAIsWords(_ refusal: Refusal) throws {
        let reply = harness.create(refusal.body)
        #expect(reply.status == 400)
        #expect(reply.headers["x-request-id"] == "req_test")
        let json = try ResponsesHarness.json(reply)
        #expect(ReplyJSON.at(json, "error", "message")?.stringValue == refusal.message)
        #expect(ReplyJSON.at(json, "error", "type")?.stringValue == "invalid_request_error")
        #expect(ReplyJSON.at(json, "error", "param") == refusal.param.map(JSONValue.string) ?? .null)
        #expect(ReplyJSON.at(json, "error", "code") == refusal.code.map(JSONValue.string) ?? .null)
        #expect(harness.store.count == 0, "a refused request stores nothing")
    }

    @Test func invalidJSONIsRefused() throws {
        let reply = harness.create(#"{"model":"m","input":"#)
        #expect(reply.status == 400)
        #expect(try ReplyJSON.at(ResponsesHarness.json(reply), "error", "message")?.stringValue?.hasPrefix("We could not parse the JSON body of your request") == true)
    }

    @Test func itemsItDoesNotUseAreAccepted() throws {
        let reply = harness.create(#"""
            {"model":"m","input":[{"type":"reasoning","id":"rs_1","summary":[]},{"role":"user","content":[{"type":"input_image","image_url":"data:,"},{"type":"input_text","text":"ping"}]}],
             "tools":[{"type":"web_search"}],"tool_choice":{"type":"allowed_tools","mode":"auto","tools":[]},"include":["reasoning.encrypted_content"],"reasoning":{"effort":"low"}}
            """#)
        #expect(reply.status == 200)
        let json = try ResponsesHarness.json(reply)
        #expect(ReplyJSON.at(json, "output", "0", "content", "0", "text")?.stringValue == "pong")
        #expect(ReplyJSON.at(json, "tools")?.jsonText == #"[{"type":"web_search"}]"#)
        #expect(ReplyJSON.at(json, "reasoning", "effort")?.stringValue == "low")
    }

    @Test func aContextWindowRefusalIsWordedAsTheResponsesAPIWordsIt() throws {
        var headers = HTTPFields()
        headers.append(name: "x-mockllm-fault", value: "context_length")
        let reply = harness.create(#"{"model":"m","input":"ping"}"#, headers: headers)
        #expect(reply.status == 400)
        let json = try ResponsesHarness.json(reply)
        #expect(ReplyJSON.at(json, "error", "message")?.stringValue == "Your input exceeds the context window of this model. Please adjust your input and try again.")
        #expect(ReplyJSON.at(json, "error", "code")?.stringValue == "context_length_exceeded")
        #expect(ReplyJSON.at(json, "error", "param")?.stringValue == "input")
    }
}
