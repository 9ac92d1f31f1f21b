@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Byte-for-byte checks of the Anthropic provider, without a server.
@Suite("Anthropic messages provider")
struct AnthropicMessagesTests {
    let script = Script(responses: ["hello": "Hi \"you\"", "ping": "pong", "long": "one two three four five six"])

    func call(_ body: String, script: Script? = nil, seed: UInt64 = 9) -> Reply {
        var ctx = ProviderContext(script: script ?? self.script, now: 1_700_000_000, random: SeededRandom(seed: seed), requestID: "req_abc")
        return Endpoint.answer(HTTPRequest(method: "POST", target: "/v1/messages", body: Array(body.utf8)), &ctx, by: AnthropicMessages.messages)
    }

    func expectedID(seed: UInt64 = 9) -> String {
        var random = SeededRandom(seed: seed)
        return "mock-" + random.uuidString()
    }

    @Test func nonStreamReplyHasTheMessageLayout() {
        let reply = call(#"{"model":"claude-3-haiku","max_tokens":100,"messages":[{"role":"user","content":"hello"}]}"#)
        #expect(reply.status == 200)
        #expect(reply.headers["request-id"] == "req_abc")
        #expect(reply.bodyBytes.description == #"{"id":"\#(expectedID())","type":"message","role":"assistant","model":"claude-3-haiku","content":[{"type":"text","text":"Hi \"you\""}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":8,"output_tokens":4}}"#)
    }

    @Test func streamIsTheRealEventSequence() {
        let reply = call(#"{"model":"m","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"ping"}]}"#)
        #expect(reply.headers["content-type"] == "text/event-stream; charset=utf-8")
        let all = reply.streamTexts
        #expect(all == [
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"\(expectedID())\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":8,\"output_tokens\":1}}}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
            "event: ping\ndata: {\"type\": \"ping\"}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"p\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"o\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"n\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"g\"}}\n\n",
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":8,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":1}}\n\n",
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
        ])
    }

    @Test func lagPacesOnlyTheDeltas() {
        let lagged = Script(responses: ["ping": "pong"], pacing: .seedLag(factor: 10))
        let delays = call(#"{"model":"m","max_tokens":9,"stream":true,"messages":[{"role":"user","content":"ping"}]}"#, script: lagged).streamEvents.map(\.delay)
        #expect(delays.count == 10)
        #expect(delays[3...6].allSatisfy { (5_000_000...15_000_000).contains($0) })
        #expect(delays[0...2].allSatisfy { $0 == 0 } && delays[7...].allSatisfy { $0 == 0 })
    }

    @Test func maxTokensCutsWithStopReasonMaxTokens() {
        let text = call(#"{"model":"m","max_tokens":2,"messages":[{"role":"user","content":"long"}]}"#).bodyBytes.description
        #expect(text.contains(#""text":"one two""#))
        #expect(text.contains(#""stop_reason":"max_tokens","stop_sequence":null"#))
        #expect(text.contains(#""output_tokens":2"#))
    }

    @Test func stopSequencesCutAtTheEarliest() {
        let text = call(#"{"model":"m","max_tokens":50,"stop_sequences":["five"," three"],"messages":[{"role":"user","content":"long"}]}"#).bodyBytes.description
        #expect(text.contains(#""text":"one two""#))
        #expect(text.contains(#""stop_reason":"stop_sequence","stop_sequence":" three""#))
    }

    @Test func systemAndBlocksAreReadAndCounted() {
        let text = call(#"{"model":"m","max_tokens":50,"system":[{"type":"text","text":"Be brief."}],"messages":[{"role":"user","content":[{"type":"text","text":"hello"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AA=="}}]}]}"#).bodyBytes.description
        #expect(text.contains(#""text":"Hi \"you\"""#))
        #expect(text.contains(#""input_tokens":15"#))
    }

    @Test(arguments: [
        (#"{"model":"m","messages":[{"role":"user","content":"x"}]}"#, "max_tokens: Field required"),
        (#"{"max_tokens":5,"messages":[{"role":"user","content":"x"}]}"#, "model: Field required"),
        (#"{"model":"m","max_tokens":"5","messages":[{"role":"user","content":"x"}]}"#, "max_tokens: Input should be a valid integer"),
        (#"{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]}"#, "max_tokens: Input should be greater than or equal to 1"),
        (#"{"model":"m","max_tokens":5,"messages":"x"}"#, "messages: Input should be a valid list"),
        (#"{"model":"m","max_tokens":5,"messages":[]}"#, "messages: at least one message is required"),
        (#"{"model":"m","max_tokens":5,"messages":[{"role":"system","content":"x"}]}"#, "messages.0.role: Input should be 'user' or 'assistant'"),
        (#"{"model":"m","max_tokens":5,"messages":[{"role":"user"}]}"#, "messages.0.content: Field required"),
        (#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"text":"x"}]}]}"#, "messages.0.content.0.type: Field required"),
        (#"{"model":"m","max_tokens":5,"temperature":2,"messages":[{"role":"user","content":"x"}]}"#, "temperature: Input should be less than or equal to 1"),
        (#"{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":"x"}]}"#, "No user message found in request"),
        ("[1]", "Input should be a valid dictionary"),
    ])
    func invalidRequestsGetAnthropicErrors(body: String, message: String) {
        let reply = call(body)
        #expect(reply.status == 400)
        var expected = ByteBuffer()
        expected.append(jsonString: message)
        #expect(reply.bodyBytes.description == #"{"type":"error","error":{"type":"invalid_request_error","message":\#(expected)},"request_id":"req_abc"}"#)
    }

    @Test func strictModelsRefuseUnknownModelsAndTooManyTokens() {
        let strict = Script(responses: [:], models: .builtIn, strictModels: true)
        let unknown = call(#"{"model":"claude-9","max_tokens":5,"messages":[{"role":"user","content":"x"}]}"#, script: strict)
        #expect(unknown.status == 404)
        #expect(unknown.bodyBytes.description.contains(#""type":"not_found_error","message":"model: claude-9""#))
        let alias = call(#"{"model":"haiku","max_tokens":5,"messages":[{"role":"user","content":"x"}]}"#, script: strict)
        #expect(alias.status == 200)
        let tooMany = call(#"{"model":"haiku","max_tokens":5000,"messages":[{"role":"user","content":"x"}]}"#, script: strict)
        #expect(tooMany.status == 400)
        #expect(tooMany.bodyBytes.description.contains("max_tokens: 5000 > 4096, which is the maximum allowed number of output tokens for haiku"))
    }

    @Test func aFaultsStatusAloneIsWordedAsAnthropicWordsIt() {
        #expect(AnthropicErrors.statusMessage(529) == "Overloaded")
        #expect(AnthropicErrors.statusMessage(429) == "Number of request tokens has exceeded your per-minute rate limit.")
        #expect(AnthropicErrors.statusMessage(418) == FaultsSection.defaultMessage(418))
        let statusAlone = AnthropicErrors.reply(APIError(RuleError.statusOnly(429)), requestID: "req_1")
        #expect(statusAlone.bodyBytes.description
            == #"{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit."},"request_id":"req_1"}"#)
        // The flag decides, not the text: a scripted message that reads like the generic one is kept.
        let written = AnthropicErrors.reply(APIError(RuleError(status: 429, message: FaultsSection.defaultMessage(429))), requestID: "req_1")
        #expect(written.bodyBytes.description.contains(FaultsSection.defaultMessage(429)))
    }
}
