@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Ollama's refusals, without a server: every one `{"error":"..."}` with the server's status
/// and wording (Go's `encoding/json` for wrong types), strict models, and the helpers behind
/// them (Go durations, timestamps).
@Suite("Ollama validation")
struct OllamaValidationTests {
    func call(_ body: String, strict: Bool = false) -> Reply {
        let script = Script(responses: ["ping": "pong"], models: .builtIn, strictModels: strict)
        var ctx = ProviderContext(script: script, now: 1_700_000_000, random: SeededRandom(seed: 1), requestID: "req_1")
        return Endpoint.answer(HTTPRequest(method: "POST", target: "/api/chat", body: Array(body.utf8)), &ctx, by: Ollama.chat)
    }

    func refusal(_ body: String, strict: Bool = false) -> (status: Int, text: String) {
        let reply = call(body, strict: strict)
        #expect(reply.headers["content-type"] == "application/json; charset=utf-8")
        return (reply.status, reply.bodyBytes.description)
    }

    static let user = #""messages":[{"role":"user","content":"ping"}]"#

    @Test(arguments: [
        ("", 400, "missing request body"),
        (#"{"messages":[]}"#, 400, "model is required"),
        (#"[1]"#, 400, "json: cannot unmarshal array into Go value of type api.ChatRequest"),
        (#"{"model":5}"#, 400, "json: cannot unmarshal number into Go struct field ChatRequest.model of type string"),
        (#"{"model":"m","stream":"yes"}"#, 400, "json: cannot unmarshal string into Go struct field ChatRequest.stream of type bool"),
        (#"{"model":"m","messages":{}}"#, 400, "json: cannot unmarshal object into Go struct field ChatRequest.messages of type []api.Message"),
        (#"{"model":"m","messages":[{"role":"user","content":["x"]}]}"#, 400,
         "json: cannot unmarshal array into Go struct field Message.messages.content of type string"),
        (#"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":"{}"}}]}]}"#, 400,
         "json: cannot unmarshal string into Go value of type map[string]interface {}"),
        (#"{"model":"m","tools":[{"type":"function","function":{"name":3}}]}"#, 400,
         "json: cannot unmarshal number into Go struct field ToolFunction.tools.function.name of type string"),
        (#"{"model":"m","options":[]}"#, 400, "json: cannot unmarshal array into Go struct field ChatRequest.options of type map[string]interface {}"),
        (#"{"model":"m","options":{"num_predict":"10"}}"#, 400, #"option \"num_predict\" must be of type integer"#),
        (#"{"model":"m","options":{"temperature":"hot"}}"#, 400, #"option \"temperature\" must be of type float32"#),
        (#"{"model":"m","options":{"stop":"\n"}}"#, 400, #"option \"stop\" must be of type array"#),
        (#"{"model":"m","options":{"stop":[1]}}"#, 400, #"option \"stop\" must be of an array of strings"#),
        (#"{"model":"m","format":"xml"}"#, 400, #"invalid format: \"\\\"xml\\\"\"; expected \"json\" or a valid JSON Schema object"#),
        (#"{"model":"m","keep_alive":"10"}"#, 400, #"time: missing unit in duration \"10\""#),
        (#"{"model":"m","keep_alive":"soon"}"#, 400, #"time: invalid duration \"soon\""#),
        (#"{"model":"m","keep_alive":[]}"#, 400, "Unsupported type: '[]interface {}'"),
        (#"{"model":"m","think":"deep"}"#, 400, #"invalid think value: \"deep\" (must be \"high\", \"medium\", \"low\", \"max\", true, or false)"#),
        (#"{"model":"m","think":1}"#, 400, #"think must be a boolean or string (\"high\", \"medium\", \"low\", \"max\", true, or false)"#),
        (#"{"model":"m","top_logprobs":21}"#, 400, "top_logprobs must be between 0 and 20"),
    ])
    func badInputIsRefusedInTheServersWords(body: String, status: Int, message: String) {
        let (got, text) = refusal(body)
        #expect(got == status)
        #expect(text == #"{"error":"\#(message)"}"#)
    }

    @Test func validInputOfEveryKindIsAccepted() {
        let body = #"{"model":"m",\#(Self.user),"stream":false,"options":{"num_predict":10.0,"temperature":0.7,"top_p":1,"stop":["x"],"seed":42,"use_mmap":true,"unknown":"ignored"},"#
            + #""keep_alive":"1h30m","think":false,"format":"","logprobs":false,"top_logprobs":0,"tools":[]}"#
        let reply = call(body)
        #expect(reply.status == 200, "\(reply.bodyBytes.description)")
        #expect(call(#"{"model":"m",\#(Self.user),"keep_alive":-1,"think":"high","stream":false}"#).status == 200)
    }

    @Test func strictModelsRefuseUnpulledModelsAndMissingCapabilities() {
        #expect(refusal(#"{"model":"llama9",\#(Self.user)}"#, strict: true) == (404, #"{"error":"model 'llama9' not found"}"#))
        #expect(call(#"{"model":"llama3.2",\#(Self.user),"stream":false}"#, strict: true).status == 200)
        #expect(call(#"{"model":"llama3.2:latest",\#(Self.user),"stream":false}"#, strict: true).status == 200)
        #expect(refusal(#"{"model":"llama3.1",\#(Self.user)}"#, strict: true).status == 404, "only :latest is implied")
        let tools = #""tools":[{"type":"function","function":{"name":"f"}}]"#
        #expect(refusal(#"{"model":"gemma3",\#(Self.user),\#(tools)}"#, strict: true)
            == (400, #"{"error":"registry.ollama.ai/library/gemma3:latest does not support tools"}"#))
        #expect(refusal(#"{"model":"llama3.2",\#(Self.user),"think":true}"#, strict: true)
            == (400, #"{"error":"\"llama3.2\" does not support thinking"}"#))
        #expect(refusal(#"{"model":"gpt-4o",\#(Self.user)}"#, strict: true).status == 404, "another provider's model is not pulled")
    }

    @Test func aPromptOverTheContextWindowIsRefusedAsTheRunnerRefusesIt() {
        var ctx = ProviderContext(script: Script(responses: [:], models: .builtIn), now: 0, random: SeededRandom(seed: 1))
        let headers = HTTPFields(["x-mockllm-fault": "context_length"])
        let reply = Endpoint.answer(HTTPRequest(method: "POST", target: "/api/chat", headers: headers,
                                            body: Array(#"{"model":"mistral",\#(Self.user)}"#.utf8)), &ctx, by: Ollama.chat)
        #expect(reply.status == 400)
        #expect(reply.bodyBytes.description.hasPrefix(#"{"error":"the prompt is longer than the context length currently available to the model;"#))
    }

    @Test func goDurationsParseAsGoParsesThem() throws {
        #expect(try GoDuration.parse("0").get() == 0)
        #expect(try GoDuration.parse("-0").get() == 0)
        #expect(try GoDuration.parse("5m").get() == 300e9)
        #expect(try GoDuration.parse("1h30m").get() == 5400e9)
        #expect(try GoDuration.parse("1.5s").get() == 1.5e9)
        #expect(try GoDuration.parse("-1h").get() == -3600e9)
        #expect(try GoDuration.parse("250ms").get() == 250e6)
        #expect(try GoDuration.parse("3µs").get() == 3e3)
        for bad in ["", "m", "5", "1.2.3s", "5x", "+"] {
            #expect((try? GoDuration.parse(bad).get()) == nil, "\(bad)")
        }
    }

    @Test func timestampsAreGosRFC3339WithNanoseconds() {
        #expect(OllamaTiming.timestamp(seconds: 1_700_000_000, plus: 0) == "2023-11-14T22:13:20Z")
        #expect(OllamaTiming.timestamp(seconds: 1_700_000_000, plus: 500_000_000) == "2023-11-14T22:13:20.5Z")
        #expect(OllamaTiming.timestamp(seconds: 1_700_000_000, plus: 1_000_000_123) == "2023-11-14T22:13:21.000000123Z")
        #expect(OllamaTiming.timestamp(seconds: 1_700_000_000, plus: 20_500_000) == "2023-11-14T22:13:20.0205Z")
    }

    @Test func zeroMetricsAreLeftOutAsGoLeavesThemOut() {
        var out = ByteBuffer()
        OllamaTiming.Metrics(total: 5, load: 0, promptEvalCount: 3, promptEval: 0, evalCount: 0, eval: 2).write(into: &out)
        #expect(out.description == #","total_duration":5,"prompt_eval_count":3,"eval_duration":2"#)
    }
}
