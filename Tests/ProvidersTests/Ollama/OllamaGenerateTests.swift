@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// `POST /api/generate` byte for byte, without a server: `response` instead of a message, the
/// final object's `context`, `system`, `raw`, and the load reply.
@Suite("Ollama generate")
struct OllamaGenerateTests {
    static let yaml = """
        rules:
          - name: pirate
            match: {system: {contains: pirate}, endpoint: /api/generate}
            reply: Arr.
        responses:
          ping: pong
        """

    let script: Script

    init() throws {
        script = try ScriptLoader.parse(yaml: Self.yaml, file: "t", providers: providerCatalog).script
    }

    func call(_ body: String, headers: HTTPFields = HTTPFields()) -> Reply {
        var ctx = ProviderContext(script: script, now: 1_700_000_000, random: SeededRandom(seed: 1), requestID: "req_1")
        return Endpoint.answer(HTTPRequest(method: "POST", target: "/api/generate", headers: headers, body: Array(body.utf8)), &ctx, by: Ollama.generate)
    }

    static let head = #"{"model":"mistral","created_at":"2023-11-14T22:13:20Z","#
    static let context = Ollama.contextTokens(["ping", "pong"])

    @Test func aNonStreamReplyCarriesTheWholeResponseAndTheContext() {
        let reply = call(#"{"model":"mistral","prompt":"ping","stream":false}"#)
        #expect(reply.headers["content-type"] == "application/json; charset=utf-8")
        #expect(Self.context.count == 2)
        #expect(reply.bodyBytes.description == Self.head + #""response":"pong","done":true,"done_reason":"stop","context":[\#(Self.context.map(String.init).joined(separator: ","))],"#
            + #""total_duration":1009000,"load_duration":1000000,"prompt_eval_count":8,"prompt_eval_duration":8000,"eval_count":1,"eval_duration":1000}"#)
    }

    @Test func theStreamSendsResponsePiecesThenTheDoneObject() {
        let reply = call(#"{"model":"mistral","prompt":"ping"}"#, headers: HTTPFields(["x-mockllm-chunking": "characters:2"]))
        #expect(reply.headers["content-type"] == "application/x-ndjson")
        #expect(reply.streamTexts == [
            Self.head + #""response":"po","done":false}"# + "\n",
            Self.head + #""response":"ng","done":false}"# + "\n",
            Self.head + #""response":"","done":true,"done_reason":"stop","context":[\#(Self.context.map(String.init).joined(separator: ","))],"#
                + #""total_duration":1009000,"load_duration":1000000,"prompt_eval_count":8,"prompt_eval_duration":8000,"eval_count":1,"eval_duration":1000}"# + "\n",
        ])
    }

    @Test func contextIdsAreDeterministicOnePerEstimatedToken() {
        let ids = Ollama.contextTokens(["You are a pirate.", "Why is the sky blue?", "Because of Rayleigh scattering."])
        #expect(ids == Ollama.contextTokens(["You are a pirate.", "Why is the sky blue?", "Because of Rayleigh scattering."]))
        #expect(ids.count == TokenEstimator.count("You are a pirate.") + TokenEstimator.count("Why is the sky blue?")
            + TokenEstimator.count("Because of Rayleigh scattering."))
        #expect(ids.allSatisfy { (0..<128_000).contains($0) })
        #expect(Set(ids).count > ids.count / 2)
    }

    @Test func theSystemPromptIsMatchedAndRawModeSendsNoContext() {
        let pirate = call(#"{"model":"mistral","prompt":"hi","system":"You are a pirate.","stream":false}"#)
        #expect(pirate.headers["x-mockllm-rule"] == "rule pirate")
        #expect(pirate.bodyBytes.description.contains(#""response":"Arr.","done":true"#))
        #expect(pirate.bodyBytes.description.contains(#""prompt_eval_count":17,"#), "two messages: 3 + (4 + 5) + (4 + 1) tokens")
        let raw = call(#"{"model":"mistral","prompt":"[INST] ping [/INST]","raw":true,"stream":false}"#).bodyBytes.description
        #expect(!raw.contains("context"))
        #expect(raw.contains(#""done_reason":"stop","total_duration""#))
    }

    @Test func anEmptyPromptLoadsTheModel() {
        #expect(call(#"{"model":"mistral"}"#).bodyBytes.description == Self.head + #""response":"","done":true,"done_reason":"load"}"#)
        #expect(call(#"{"model":"mistral","prompt":"","keep_alive":"0"}"#).bodyBytes.description
            == Self.head + #""response":"","done":true,"done_reason":"unload"}"#)
    }

    @Test func itsRefusalsAreWordedAsOllamasServerWordsThem() {
        let missing = call(#"{"prompt":"ping"}"#)
        #expect(missing.status == 404)
        #expect(missing.bodyBytes.description == #"{"error":"model '' not found"}"#)
        let raw = call(#"{"model":"mistral","prompt":"x","raw":true,"system":"s"}"#)
        #expect(raw.status == 400)
        #expect(raw.bodyBytes.description == #"{"error":"raw mode does not support template, system, or context"}"#)
        let context = call(#"{"model":"mistral","prompt":"x","context":["a"]}"#)
        #expect(context.bodyBytes.description == #"{"error":"json: cannot unmarshal string into Go struct field GenerateRequest.context of type int"}"#)
        #expect(call("[]").bodyBytes.description == #"{"error":"json: cannot unmarshal array into Go value of type api.GenerateRequest"}"#)
        #expect(call(#"{"model":"mistral","prompt":7}"#).bodyBytes.description
            == #"{"error":"json: cannot unmarshal number into Go struct field GenerateRequest.prompt of type string"}"#)
    }
}
