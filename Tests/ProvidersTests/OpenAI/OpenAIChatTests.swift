import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Byte-for-byte checks of the OpenAI chat provider, without a server.
@Suite("OpenAI chat provider")
struct OpenAIChatTests {
    let script = Script(responses: ["hello": "Hi \"you\"\n", "ping": "pong"], defaultReply: "default")

    func context(seed: UInt64 = 5) -> ProviderContext {
        ProviderContext(script: script, now: 1_700_000_000, random: SeededRandom(seed: seed))
    }

    func call(_ body: String, seed: UInt64 = 5) -> Reply {
        var ctx = context(seed: seed)
        return Endpoint.answer(HTTPRequest(method: "POST", target: "/v1/chat/completions", body: Array(body.utf8)), &ctx, by: OpenAIChat.chatCompletion)
    }

    func expectedID(seed: UInt64 = 5) -> String {
        var random = SeededRandom(seed: seed)
        return "mock-" + random.uuidString()
    }

    func bodyText(_ reply: Reply) -> String { reply.bodyBytes.description }

    @Test func nonStreamReplyHasTheOriginalsByteLayout() {
        let reply = call(#"{"model":"gpt-4","messages":[{"role":"user","content":"hello"}]}"#)
        #expect(reply.status == 200)
        let id = expectedID()
        #expect(bodyText(reply) == #"{"id":"\#(id)","object":"chat.completion","created":1700000000,"model":"gpt-4","choices":[{"index":0,"message":{"role":"assistant","content":"Hi \"you\"\n"},"finish_reason":"stop"}],"usage":{"prompt_tokens":8,"completion_tokens":5,"total_tokens":13}}"#)
    }

    @Test func streamHasTheOriginalsEventLayout() {
        let reply = call(#"{"model":"m","stream":true,"messages":[{"role":"user","content":"ping"}]}"#)
        #expect(reply.headers["content-type"] == "text/event-stream; charset=utf-8")
        let head = #"data: {"id":"\#(expectedID())","object":"chat.completion.chunk","created":1700000000,"model":"m","choices":["#
        let all = reply.streamEvents
        #expect(all.map(\.text) == [
            head + #"{"delta":{"role":"assistant","content":null},"index":0,"finish_reason":null}]}"# + "\n\n",
            head + #"{"delta":{"role":null,"content":"p"},"index":0,"finish_reason":null}]}"# + "\n\n",
            head + #"{"delta":{"role":null,"content":"o"},"index":0,"finish_reason":null}]}"# + "\n\n",
            head + #"{"delta":{"role":null,"content":"n"},"index":0,"finish_reason":null}]}"# + "\n\n",
            head + #"{"delta":{"role":null,"content":"g"},"index":0,"finish_reason":null}]}"# + "\n\n",
            head + #"{"delta":{},"index":0,"finish_reason":"stop"}]}"# + "\n\n",
            "data: [DONE]\n\n",
        ])
        #expect(all.allSatisfy { $0.delay == 0 })
    }

    @Test func includeUsageAddsAUsageChunkWithEmptyChoices() {
        let reply = call(#"{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"ping"}]}"#)
        let all = reply.streamTexts
        #expect(all.count == 8)
        #expect(all[0].hasSuffix(#"}],"usage":null}"# + "\n\n"))
        #expect(all[6].hasSuffix(#""choices":[],"usage":{"prompt_tokens":8,"completion_tokens":1,"total_tokens":9}}"# + "\n\n"))
        #expect(all[7] == "data: [DONE]\n\n")
    }

    @Test func lagPacesEachCharacterButNotTheFrame() {
        let lagged = Script(responses: ["ping": "pong"], pacing: .seedLag(factor: 10))
        var ctx = ProviderContext(script: lagged, now: 0, random: SeededRandom(seed: 3))
        let reply = Endpoint.answer(HTTPRequest(method: "POST", target: "/", body: Array(#"{"model":"m","stream":true,"messages":[{"role":"user","content":"ping"}]}"#.utf8)), &ctx, by: OpenAIChat.chatCompletion)
        let delays = reply.streamEvents.map(\.delay)
        #expect(delays.count == 7)
        #expect(delays[0] == 0 && delays[5] == 0 && delays[6] == 0)
        #expect(delays[1...4].allSatisfy { (5_000_000...15_000_000).contains($0) })
    }

    @Test func maxTokensCutsTheReplyWithFinishReasonLength() {
        let long = Script(responses: ["q": "Hello! How can I help you today?"])
        var ctx = ProviderContext(script: long, now: 0, random: SeededRandom(seed: 1))
        let reply = Endpoint.answer(HTTPRequest(method: "POST", target: "/", body: Array(#"{"model":"m","max_tokens":3,"messages":[{"role":"user","content":"q"}]}"#.utf8)), &ctx, by: OpenAIChat.chatCompletion)
        let text = reply.bodyBytes.description
        #expect(text.contains(#""content":"Hello! How""#))
        #expect(text.contains(#""finish_reason":"length""#))
        #expect(text.contains(#""completion_tokens":3"#))
    }

    @Test func contentPartsAreJoinedAndOtherRolesIgnored() {
        let reply = call(#"{"model":"m","messages":[{"role":"user","content":"ping"},{"role":"assistant","content":null},{"role":"user","content":[{"type":"text","text":"hel"},{"type":"image_url","image_url":{"url":"x"}}]},{"role":"system","content":"s"}]}"#)
        #expect(bodyText(reply).contains(#""content":"default""#))
        let joined = call(#"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hello"}]}]}"#)
        #expect(bodyText(joined).contains(#""content":"Hi \"you\"\n""#))
    }

    @Test(arguments: [
        (#"{"messages":[{"role":"user","content":"x"}]}"#, "Missing required parameter: 'model'.", "model"),
        (#"{"model":"m"}"#, "Missing required parameter: 'messages'.", "messages"),
        (#"{"model":"m","messages":"hi"}"#, "Invalid type for 'messages': expected an array, but got a string instead.", "messages"),
        (#"{"model":"m","messages":[]}"#, "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", "messages"),
        (#"{"model":"m","messages":[{"role":"user","content":[]}]}"#, "Invalid 'messages[0].content': empty array. Expected an array with minimum length 1, but got an empty array instead.", "messages[0].content"),
        (#"{"model":"m","messages":[{"role":"user","content":[{"text":"x"}]}]}"#, "Missing required parameter: 'messages[0].content[0].type'.", "messages[0].content[0].type"),
        (#"{"model":"m","messages":["hi"]}"#, "Invalid type for 'messages[0]': expected an object, but got a string instead.", "messages[0]"),
        (#"{"model":"m","messages":[{"role":"robot","content":"x"}]}"#, "Invalid value: 'robot'. Supported values are: 'system', 'developer', 'user', 'assistant', 'tool', and 'function'.", "messages[0].role"),
        (#"{"model":"m","messages":[{"content":"x"}]}"#, "Missing required parameter: 'messages[0].role'.", "messages[0].role"),
        (#"{"model":"m","messages":[{"role":"user"}]}"#, "Missing required parameter: 'messages[0].content'.", "messages[0].content"),
        (#"{"model":"m","messages":[{"role":"user","content":5}]}"#, "Invalid type for 'messages[0].content': expected a string or an array of content parts, but got a number instead.", "messages[0].content"),
        (#"{"model":7,"messages":[{"role":"user","content":"x"}]}"#, "Invalid type for 'model': expected a string, but got a number instead.", "model"),
        (#"{"model":"m","stream":"yes","messages":[{"role":"user","content":"x"}]}"#, "Invalid type for 'stream': expected a boolean, but got a string instead.", "stream"),
        (#"{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]}"#, "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead.", "max_tokens"),
        (#"{"model":"m","stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}"#, "The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options"),
        (#"{"model":"m","messages":[{"role":"system","content":"x"}]}"#, "No user message found in request", "messages"),
    ])
    func invalidRequestsGetOpenAIErrors(body: String, message: String, param: String) {
        let reply = call(body)
        #expect(reply.status == 400)
        let text = bodyText(reply)
        var expected = ByteBuffer()
        expected.append(jsonString: message)
        #expect(text.hasPrefix(#"{"error":{"message":"# + expected.description + #","type":"invalid_request_error","param":""# + param + "\""), "\(text)")
    }

    @Test(arguments: ["", "{", "[1]", "null", "\"x\""])
    func bodiesThatAreNotAJSONObjectAre400(body: String) {
        let reply = call(body)
        #expect(reply.status == 400)
        #expect(bodyText(reply).hasPrefix(#"{"error":{"message":"#))
        #expect(bodyText(reply).contains(#""type":"invalid_request_error""#))
    }
}

@Suite("Stream schedules")
struct StreamScheduleTests {
    func schedule(_ yaml: String, seed: UInt64, headers: HTTPFields = HTTPFields()) throws -> [UInt64] {
        let script = try ScriptLoader.parse(yaml: yaml, file: "t", providers: providerCatalog).script
        var ctx = ProviderContext(script: script, now: 0, random: SeededRandom(seed: seed))
        let body = #"{"model":"m","stream":true,"messages":[{"role":"user","content":"q"}]}"#
        let reply = Endpoint.answer(HTTPRequest(method: "POST", target: "/v1/chat/completions", headers: headers, body: Array(body.utf8)), &ctx, by: OpenAIChat.chatCompletion)
        return reply.streamEvents.map(\.delay)
    }

    let jittered = """
        responses: {q: "a fairly long reply to stream with jitter on every chunk"}
        pacing: {ttft_ms: 100, itl_ms: 20, jitter: {distribution: lognormal, sigma: 0.4}, seed: 11}
        """

    @Test func aPacingSeedGivesIdenticalSchedulesWhateverTheServerSeed() throws {
        let a = try schedule(jittered, seed: 1)
        let b = try schedule(jittered, seed: 999)
        #expect(a == b)
        #expect(Set(a.dropFirst(2).dropLast(2)).count > 10, "jittered")
        #expect(a[1] > 30_000_000, "the first chunk waits about the TTFT")
    }

    @Test func withoutAPacingSeedTheServerSeedFixesTheSchedule() throws {
        let yaml = jittered.replacingOccurrences(of: ", seed: 11", with: "")
        #expect(try schedule(yaml, seed: 5) == schedule(yaml, seed: 5))
        #expect(try schedule(yaml, seed: 5) != schedule(yaml, seed: 6))
    }

    @Test func overrideHeadersReplaceTheScriptsPacing() throws {
        let delays = try schedule(jittered, seed: 1, headers: HTTPFields(["x-mockllm-ttft-ms": "0", "x-mockllm-itl-ms": "3", "x-mockllm-chunking": "word", "x-mockllm-seed": "4"]))
        #expect(delays.count == 1 + 11 + 2, "role, one event per word, finish, [DONE]")
        #expect(delays.filter { $0 > 10_000_000 }.isEmpty)
    }
}
