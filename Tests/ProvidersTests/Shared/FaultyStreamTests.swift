@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Stream faults byte for byte, without a server: `FaultyStream` over a plain event source,
/// then both providers' streams cut after K events (the events before the cut are exactly the
/// normal stream's), their error and malformed events, stalls and slow first tokens, and the
/// HTTP faults' replies.
@Suite("Faulty streams")
struct FaultyStreamTests {
    // MARK: - The wrapper

    /// Events `e0`, `e1`, ... with delays 10, 20, 30... ns.
    struct Numbered: EventSource {
        let count: Int
        var next = 0

        mutating func nextDelay() -> UInt64? {
            next < count ? UInt64(next + 1) * 10 : nil
        }

        mutating func writeNext(into out: inout ByteBuffer) {
            out.append(utf8: "e\(next)")
            next += 1
        }
    }

    static func bytes(_ text: String) -> ByteBuffer {
        var out = ByteBuffer()
        out.append(utf8: text)
        return out
    }

    func faulty(_ fault: StreamFault, count: Int = 5) -> (events: [(delay: UInt64, text: String)], ending: StreamEnding) {
        FaultyStream(Numbered(count: count), fault: fault, errorEvent: Self.bytes("ERR"), malformedEvent: Self.bytes("BAD")).drained()
    }

    @Test func withoutACutTheStreamIsUntouched() {
        let run = faulty(StreamFault(after: 2, cut: nil, firstTokenDelay: 99))
        #expect(run.events.map(\.1) == ["e0", "e1", "e2", "e3", "e4"])
        #expect(run.events.map(\.0) == [10, 20, 30, 40, 50])
        #expect(run.ending == .complete)
    }

    @Test(arguments: 0...5)
    func aDisconnectClosesAfterKEvents(k: Int) {
        let run = faulty(StreamFault(after: k, cut: .disconnect))
        #expect(run.events.map(\.1) == (0..<k).map { "e\($0)" })
        #expect(run.events.map(\.0) == (0..<k).map { UInt64($0 + 1) * 10 })
        #expect(run.ending == .close)
    }

    @Test(arguments: 0...5)
    func aResetResetsAfterKEvents(k: Int) {
        let run = faulty(StreamFault(after: k, cut: .reset))
        #expect(run.events.map(\.1) == (0..<k).map { "e\($0)" })
        #expect(run.ending == .reset)
    }

    @Test(arguments: 0...4)
    func aTruncatedStreamEndsProperlyAfterKEvents(k: Int) {
        let run = faulty(StreamFault(after: k, cut: .truncate))
        #expect(run.events.map(\.1) == (0..<k).map { "e\($0)" })
        #expect(run.ending == .complete)
    }

    @Test func aCutPastTheEndNeverHappens() {
        for cut: StreamFault.Cut in [.disconnect, .reset, .truncate, .malformed, .error(type: nil, message: "x"), .stall(nanoseconds: 7)] {
            let run = faulty(StreamFault(after: 6, cut: cut))
            #expect(run.events.map(\.1) == ["e0", "e1", "e2", "e3", "e4"], "\(cut)")
            #expect(run.events.map(\.0) == [10, 20, 30, 40, 50], "\(cut)")
            #expect(run.ending == .complete, "\(cut)")
        }
    }

    @Test func aMalformedEventIsSlippedInAndTheStreamGoesOn() {
        let run = faulty(StreamFault(after: 2, cut: .malformed))
        #expect(run.events.map(\.1) == ["e0", "e1", "BAD", "e2", "e3", "e4"])
        #expect(run.events.map(\.0) == [10, 20, 0, 30, 40, 50])
        #expect(run.ending == .complete)
        #expect(faulty(StreamFault(after: 0, cut: .malformed)).events.map(\.1) == ["BAD", "e0", "e1", "e2", "e3", "e4"])
    }

    @Test func anErrorEventEndsTheStream() {
        let run = faulty(StreamFault(after: 3, cut: .error(type: nil, message: "boom")))
        #expect(run.events.map(\.1) == ["e0", "e1", "e2", "ERR"])
        #expect(run.events.map(\.0) == [10, 20, 30, 0])
        #expect(run.ending == .complete)
        #expect(faulty(StreamFault(after: 0, cut: .error(type: nil, message: "boom"))).events.map(\.1) == ["ERR"])
    }

    @Test func aStallDelaysTheEventAfterTheCutOnly() {
        let run = faulty(StreamFault(after: 2, cut: .stall(nanoseconds: 1_000)))
        #expect(run.events.map(\.1) == ["e0", "e1", "e2", "e3", "e4"])
        #expect(run.events.map(\.0) == [10, 20, 1_030, 40, 50])
        #expect(run.ending == .complete)
        let forever = faulty(StreamFault(after: 1, cut: .stall(nanoseconds: nil)))
        #expect(forever.events.map(\.0) == [10, FaultyStream<Numbered>.forever + 20, 30, 40, 50])
        #expect(FaultyStream<Numbered>.forever > UInt64(100 * 365 * 86_400) * 1_000_000_000, "longer than any stream limit (a century)")
    }

    // MARK: - The providers' streams

    enum Wire: String, CaseIterable, Sendable { case openai, anthropic }

    static let script = Script(responses: ["ping": "pong"], models: .builtIn)

    func call(_ wire: Wire, _ headers: [String: String] = [:], stream: Bool = true, prompt: String = "ping",
              model: String? = nil, script: Script = FaultyStreamTests.script) -> Reply {
        var fields = HTTPFields()
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { fields.append(name: name, value: value) }
        var ctx = ProviderContext(script: script, now: 1_700_000_000, random: SeededRandom(seed: 4), requestID: "req_1")
        switch wire {
        case .openai:
            let body = #"{"model":"\#(model ?? "gpt-4o-mini")","stream":\#(stream),"messages":[{"role":"user","content":"\#(prompt)"}]}"#
            return Endpoint.answer(HTTPRequest(method: "POST", target: "/v1/chat/completions", headers: fields, body: Array(body.utf8)), &ctx, by: OpenAIChat.chatCompletion)
        case .anthropic:
            let body = #"{"model":"\#(model ?? "claude-3-haiku-20240307")","max_tokens":100,"stream":\#(stream),"messages":[{"role":"user","content":"\#(prompt)"}]}"#
            return Endpoint.answer(HTTPRequest(method: "POST", target: "/v1/messages", headers: fields, body: Array(body.utf8)), &ctx, by: AnthropicMessages.messages)
        }
    }

    func run(_ reply: Reply) -> (events: [(delay: UInt64, text: String)], ending: StreamEnding) {
        guard case .stream(let source) = reply.body else {
            Issue.record("not a stream")
            return ([], .complete)
        }
        return source.drained()
    }

    /// The stream without a fault: 7 events for OpenAI (role, p, o, n, g, finish, [DONE]),
    /// 10 for Anthropic (message_start, content_block_start, ping, 4 deltas, content_block_stop,
    /// message_delta, message_stop).
    func normal(_ wire: Wire, _ headers: [String: String] = [:]) -> [(delay: UInt64, text: String)] {
        let events = run(call(wire, headers)).events
        #expect(events.count == (wire == .openai ? 7 : 10))
        return events
    }

    static let openAIError = #"data: {"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}"# + "\n\n"
    static let anthropicError = "event: error\n" + #"data: {"type":"error","error":{"type":"api_error","message":"The server had an error while processing your request."}}"# + "\n\n"
    static let openAIMalformed = "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"delta\":{\"content\":\"unterminated\n\n"
    static let anthropicMalformed = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"unterminated\n\n"

    @Test(arguments: Wire.allCases)
    func aDisconnectOrResetCutsAfterKEventsWhichAreTheNormalStreams(wire: Wire) {
        let whole = normal(wire).map(\.1)
        for k in 0..<whole.count {
            for (name, ending) in [("disconnect", StreamEnding.close), ("reset", .reset)] {
                let reply = call(wire, ["x-mockllm-fault": "\(name):\(k)"])
                #expect(reply.status == 200)
                #expect(reply.headers["x-mockllm-fault"] == "header")
                let cut = run(reply)
                #expect(cut.events.map(\.1) == Array(whole.prefix(k)), "\(name):\(k)")
                #expect(cut.ending == ending, "\(name):\(k)")
            }
        }
    }

    @Test(arguments: Wire.allCases)
    func aTruncatedStreamEndsWithoutItsLastEvents(wire: Wire) {
        let whole = normal(wire).map(\.1)
        let last = wire == .openai ? "data: [DONE]\n\n" : "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
        #expect(whole.last == last)
        for k in 0..<whole.count {
            let cut = run(call(wire, ["x-mockllm-fault": "truncate:\(k)"]))
            #expect(cut.events.map(\.1) == Array(whole.prefix(k)))
            #expect(!cut.events.map(\.1).contains(last))
            #expect(cut.ending == .complete, "the body ends properly, only the protocol's end is missing")
        }
    }

    @Test(arguments: Wire.allCases)
    func aMalformedEventIsNotJSONAndTheRestFollows(wire: Wire) {
        let whole = normal(wire).map(\.1)
        let malformed = wire == .openai ? Self.openAIMalformed : Self.anthropicMalformed
        for k in 0..<whole.count {
            let run = run(call(wire, ["x-mockllm-fault": "malformed:\(k)"]))
            #expect(run.events.map(\.1) == Array(whole.prefix(k)) + [malformed] + Array(whole.dropFirst(k)))
            #expect(run.ending == .complete)
        }
    }

    @Test(arguments: Wire.allCases)
    func anErrorEventIsTheProtocolsAndEndsTheStream(wire: Wire) {
        let whole = normal(wire).map(\.1)
        let error = wire == .openai ? Self.openAIError : Self.anthropicError
        for k in 0..<whole.count {
            let run = run(call(wire, ["x-mockllm-fault": "error:\(k)"]))
            #expect(run.events.map(\.1) == Array(whole.prefix(k)) + [error])
            #expect(run.ending == .complete)
        }
    }

    @Test(arguments: 1...5)
    func aContentFilterEndsOpenAIsStreamWithItsFinishReasonAndAnthropicsWithAnError(k: Int) {
        let whole = normal(.openai).map(\.1)
        let filtered = run(call(.openai, ["x-mockllm-fault": "content_filter:\(k)"])).events.map(\.1)
        // The events before the cut, the finish event filtered, then [DONE].
        #expect(filtered.count == min(k, 5) + 2)
        #expect(Array(filtered.prefix(min(k, 5))) == Array(whole.prefix(min(k, 5))))
        #expect(filtered[filtered.count - 2].contains(#""delta":{},"index":0,"finish_reason":"content_filter"}]"#))
        #expect(!filtered[filtered.count - 2].contains("content_filter_results"), "OpenAI's chunk carries no verdicts")
        #expect(filtered.last == "data: [DONE]\n\n")
        let anthropic = normal(.anthropic).map(\.1)
        let cut = run(call(.anthropic, ["x-mockllm-fault": "content_filter:\(k)"])).events.map(\.1)
        #expect(Array(cut.dropLast()) == Array(anthropic.prefix(k)))
        #expect(cut.last?.hasPrefix("event: error\n") == true)
        #expect(cut.last?.contains(#""type":"content_filter""#) == true)
    }

    @Test func aScriptedErrorEventCarriesItsTypeAndMessageEscaped() throws {
        let script = try ScriptLoader.parse(yaml: """
            responses: {ping: pong}
            faults:
              - name: overloaded
                stream: {after: 2, error: {type: overloaded_error, message: 'Overloaded "now"'}}
            """, file: "f.yml", providers: ["openai", "anthropic"]).script
        let openai = run(call(.openai, script: script)).events.map(\.1)
        #expect(openai.count == 3)
        #expect(openai.last == #"data: {"error":{"message":"Overloaded \"now\"","type":"overloaded_error","param":null,"code":null}}"# + "\n\n")
        let anthropic = run(call(.anthropic, script: script)).events.map(\.1)
        #expect(anthropic.count == 3)
        #expect(anthropic.last == "event: error\n" + #"data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded \"now\""}}"# + "\n\n")
        #expect(call(.openai, script: script).headers["x-mockllm-fault"] == "overloaded")
    }

    /// Paced so each event has its own delay: 50 ms to the first token, 10 ms between chunks.
    static let paced = ["x-mockllm-ttft-ms": "50", "x-mockllm-itl-ms": "10"]

    @Test(arguments: Wire.allCases)
    func aStallAddsItsDelayToTheEventAfterTheCut(wire: Wire) {
        let whole = normal(wire, Self.paced)
        // The header's stall comes after the first event.
        let stalled = run(call(wire, Self.paced.merging(["x-mockllm-fault": "stall:250"]) { a, _ in a }))
        #expect(stalled.events.map(\.1) == whole.map(\.1))
        #expect(stalled.events.map(\.0) == whole.enumerated().map { $0.offset == 1 ? $0.element.0 + 250_000_000 : $0.element.0 })
        #expect(stalled.ending == .complete)
        let forever = run(call(wire, Self.paced.merging(["x-mockllm-fault": "stall"]) { a, _ in a }))
        #expect(forever.events.map(\.0)[1] == whole[1].0 + FaultyStream<OpenAIChatStream>.forever)
    }

    @Test(arguments: Wire.allCases)
    func aScriptedStallAfterKEvents(wire: Wire) throws {
        let whole = normal(wire, Self.paced)
        for k in 0..<whole.count {
            let script = try ScriptLoader.parse(yaml: "responses: {ping: pong}\nfaults:\n  - stream: {after: \(k), stall_ms: 40}",
                                                file: "f.yml", providers: ["openai", "anthropic"]).script
            let run = run(call(wire, Self.paced, script: script))
            #expect(run.events.map(\.1) == whole.map(\.1))
            #expect(run.events.map(\.0) == whole.enumerated().map { $0.offset == k ? $0.element.0 + 40_000_000 : $0.element.0 }, "after \(k)")
        }
    }

    @Test(arguments: Wire.allCases)
    func aSlowFirstTokenDelaysTheFirstContentEventOnly(wire: Wire) {
        let first = wire == .openai ? 1 : 3  // after the role chunk; after message_start, content_block_start and ping
        for headers in [[:], Self.paced] {
            let whole = normal(wire, headers)
            let slow = run(call(wire, headers.merging(["x-mockllm-fault": "slow_first_token:300"]) { a, _ in a }))
            #expect(slow.events.map(\.1) == whole.map(\.1))
            #expect(slow.events.map(\.0) == whole.enumerated().map { $0.offset == first ? $0.element.0 + 300_000_000 : $0.element.0 })
            #expect(slow.ending == .complete)
        }
    }

    @Test(arguments: Wire.allCases)
    func aSlowFirstTokenAndACutTogether(wire: Wire) throws {
        let script = try ScriptLoader.parse(yaml: """
            responses: {ping: pong}
            faults:
              - {name: both, slow_first_token_ms: 100, stream: {after: 5, disconnect: fin}}
            """, file: "f.yml", providers: ["openai", "anthropic"]).script
        let whole = normal(wire)
        let run = run(call(wire, script: script))
        let first = wire == .openai ? 1 : 3
        #expect(run.events.map(\.1) == Array(whole.prefix(5).map(\.1)))
        #expect(run.events.map(\.0) == whole.prefix(5).enumerated().map { $0.offset == first ? $0.element.0 + 100_000_000 : $0.element.0 })
        #expect(run.ending == .close)
    }

    // MARK: - Non-stream requests

    func delay(_ reply: Reply) -> UInt64? {
        if case .bytes(_, let delay) = reply.body { return delay }
        return nil
    }

    @Test(arguments: Wire.allCases)
    func aNonStreamReplyWaitsForAStallOrASlowFirstToken(wire: Wire) throws {
        let plain = call(wire, Self.paced, stream: false)
        let base = try #require(delay(plain))
        #expect(base > 0)
        let stalled = call(wire, Self.paced.merging(["x-mockllm-fault": "stall:700"]) { a, _ in a }, stream: false)
        #expect(delay(stalled) == base + 700_000_000)
        #expect(stalled.bodyBytes.description == plain.bodyBytes.description)
        #expect(stalled.headers["x-mockllm-fault"] == "header")
        let slow = call(wire, Self.paced.merging(["x-mockllm-fault": "slow_first_token:200"]) { a, _ in a }, stream: false)
        #expect(delay(slow) == base + 200_000_000)
        let forever = call(wire, ["x-mockllm-fault": "stall"], stream: false)
        #expect(delay(forever) == FaultyStream<OpenAIChatStream>.forever)
        // A cut has nothing to cut in a whole body: the reply is the normal one.
        let cut = call(wire, ["x-mockllm-fault": "disconnect:1"], stream: false)
        #expect(delay(cut) == 0)
        #expect(cut.status == 200)
    }

    // MARK: - HTTP faults

    @Test func anErrorFaultIsTheProvidersErrorWithItsHeaders() throws {
        let script = try ScriptLoader.parse(yaml: """
            responses: {ping: pong}
            faults:
              - name: limited
                error: {status: 429, message: "Slow down.", code: rate_limited, retry_after: 3}
            """, file: "f.yml", providers: ["openai", "anthropic"]).script
        for stream in [false, true] {
            let openai = call(.openai, stream: stream, script: script)
            #expect(openai.status == 429)
            #expect(openai.headers["retry-after"] == "3")
            #expect(openai.headers["x-mockllm-fault"] == "limited")
            #expect(openai.headers["x-mockllm-rule"] == "responses")
            #expect(openai.bodyBytes.description == #"{"error":{"message":"Slow down.","type":"rate_limit_exceeded","param":null,"code":"rate_limited"}}"#)
            let anthropic = call(.anthropic, stream: stream, script: script)
            #expect(anthropic.status == 429)
            #expect(anthropic.headers["x-mockllm-fault"] == "limited")
            #expect(anthropic.bodyBytes.description == #"{"type":"error","error":{"type":"rate_limit_error","message":"Slow down."},"request_id":"req_1"}"#)
        }
    }

    @Test func aStatusFaultUsesTheAPIsTypesAndWords() {
        let openai = call(.openai, ["x-mockllm-fault": "529"])
        #expect(openai.status == 529)
        #expect(openai.bodyBytes.description == #"{"error":{"message":"Overloaded","type":"service_unavailable","param":null,"code":null}}"#)
        let anthropic = call(.anthropic, ["x-mockllm-fault": "529"])
        #expect(anthropic.bodyBytes.description == #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"}"#)
        let limited = call(.anthropic, ["x-mockllm-fault": "429"], stream: false)
        #expect(limited.bodyBytes.description == #"{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit."},"request_id":"req_1"}"#)
        let openaiLimited = call(.openai, ["x-mockllm-fault": "429"], stream: false)
        #expect(openaiLimited.bodyBytes.description.contains(#""message":"Rate limit reached for requests. Please try again later.""#))
    }

    @Test func aContextLengthFaultIsTheAPIsRefusal() {
        let openai = call(.openai, ["x-mockllm-fault": "context_length"])
        #expect(openai.status == 400)
        #expect(openai.headers["x-mockllm-fault"] == "header")
        #expect(openai.bodyBytes.description == #"{"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 128001 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#)
        let anthropic = call(.anthropic, ["x-mockllm-fault": "context_length"], stream: false)
        #expect(anthropic.status == 400)
        #expect(anthropic.bodyBytes.description == #"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 200001 tokens > 200000 maximum"},"request_id":"req_1"}"#)
    }

    @Test func aPromptLongerThanTheModelsWindowIsRefusedWithoutAFault() throws {
        let script = try ScriptLoader.parse(yaml: """
            responses: {ping: pong}
            models:
              - {id: tiny, context_window: 20}
              - {id: tiny-claude, provider: anthropic, context_window: 20}
            """, file: "f.yml", providers: ["openai", "anthropic"]).script
        let long = Array(repeating: "word", count: 40).joined(separator: " ")
        let tokens = [ChatMessage(role: "user", text: long)].promptTokens
        #expect(tokens > 20)
        let openai = call(.openai, prompt: long, model: "tiny", script: script)
        #expect(openai.status == 400)
        #expect(openai.headers["x-mockllm-fault"] == nil)
        #expect(openai.bodyBytes.description == #"{"error":{"message":"This model's maximum context length is 20 tokens. However, your messages resulted in \#(tokens) tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#)
        let anthropic = call(.anthropic, prompt: long, model: "tiny-claude", script: script)
        #expect(anthropic.status == 400)
        #expect(anthropic.bodyBytes.description.contains(#""message":"prompt is too long: \#(tokens) tokens > 20 maximum""#))
        #expect(call(.openai, model: "tiny", script: script).status == 200, "a short prompt fits")
        // A fault on a model with a window names that window.
        let faulted = call(.openai, ["x-mockllm-fault": "context_length"], model: "tiny", script: script)
        #expect(faulted.bodyBytes.description.contains("maximum context length is 20 tokens. However, your messages resulted in 21 tokens."))
    }

    @Test func anInvalidFaultHeaderIsRefusedBeforeTheScriptAnswers() throws {
        let script = try ScriptLoader.parse(yaml: """
            rules:
              - {name: once, match: {prompt: ping}, reply: first, times: 1}
            """, file: "f.yml", providers: ["openai", "anthropic"]).script
        let refused = call(.openai, ["x-mockllm-fault": "nope"], stream: false, script: script)
        #expect(refused.status == 400)
        #expect(refused.bodyBytes.description.contains("x-mockllm-fault: unknown fault 'nope'"))
        let answered = call(.openai, stream: false, script: script)
        #expect(answered.headers["x-mockllm-rule"] == "rule once", "the refused request did not use up the rule")
    }

    @Test func aRulesScriptedErrorComesBeforeItsFault() throws {
        let script = try ScriptLoader.parse(yaml: """
            rules:
              - {name: broken, match: {prompt: ping}, error: {status: 500, message: boom}, fault: {status: 429}}
            """, file: "f.yml", providers: ["openai", "anthropic"]).script
        let reply = call(.openai, stream: false, script: script)
        #expect(reply.status == 500)
        #expect(reply.headers["x-mockllm-fault"] == nil)
        #expect(script.rules[0].fault?.injected == 0)
    }

    @Test func aStreamWithoutAFaultHasNoFaultHeader() {
        #expect(call(.openai).headers["x-mockllm-fault"] == nil)
        #expect(call(.anthropic, stream: false).headers["x-mockllm-fault"] == nil)
    }
}
