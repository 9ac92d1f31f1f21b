import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Byte-for-byte checks of OpenAI's legacy completions endpoint, without a server.
@Suite("OpenAI legacy completions")
struct OpenAICompletionsTests {
    let script = Script(responses: ["hello": "Hi \"you\"\n", "ping": "pong", "long": "one two three four five six"], defaultReply: "default")

    func call(_ body: String, seed: UInt64 = 5) -> Reply {
        var ctx = ProviderContext(script: script, now: 1_700_000_000, random: SeededRandom(seed: seed))
        return Endpoint.answer(HTTPRequest(method: "POST", target: "/v1/completions", body: Array(body.utf8)), &ctx, by: OpenAICompletions.completion)
    }

    func expectedID(seed: UInt64 = 5) -> String {
        var random = SeededRandom(seed: seed)
        return "cmpl-" + random.uuidString()
    }

    func bodyText(_ reply: Reply) -> String { reply.bodyBytes.description }

    @Test func theEndpointIsServedByTheOpenAIProvider() {
        #expect(OpenAIChat.metadata.endpoints.contains { $0.method == "POST" && $0.path == "/v1/completions" })
    }

    @Test func nonStreamReplyHasTheTextCompletionLayout() {
        let reply = call(#"{"model":"gpt-3.5-turbo-instruct","prompt":"hello","suffix":"ignored"}"#)
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"] == "application/json")
        #expect(bodyText(reply) == #"{"id":"\#(expectedID())","object":"text_completion","created":1700000000,"model":"gpt-3.5-turbo-instruct","choices":[{"text":"Hi \"you\"\n","index":0,"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":5,"total_tokens":6}}"#)
    }

    @Test func streamHasTheTextCompletionEventLayout() {
        let reply = call(#"{"model":"m","prompt":"ping","stream":true}"#)
        #expect(reply.headers["content-type"] == "text/event-stream; charset=utf-8")
        let head = #"data: {"id":"\#(expectedID())","object":"text_completion","created":1700000000,"model":"m","choices":["#
        #expect(reply.streamTexts == [
            head + #"{"text":"p","index":0,"logprobs":null,"finish_reason":null}]}"# + "\n\n",
            head + #"{"text":"o","index":0,"logprobs":null,"finish_reason":null}]}"# + "\n\n",
            head + #"{"text":"n","index":0,"logprobs":null,"finish_reason":null}]}"# + "\n\n",
            head + #"{"text":"g","index":0,"logprobs":null,"finish_reason":null}]}"# + "\n\n",
            head + #"{"text":"","index":0,"logprobs":null,"finish_reason":"stop"}]}"# + "\n\n",
            "data: [DONE]\n\n",
        ])
    }

    @Test func includeUsageAddsAUsageEventWithNoChoices() {
        let all = call(#"{"model":"m","prompt":"ping","stream":true,"stream_options":{"include_usage":true}}"#).streamTexts
        let head = #"data: {"id":"\#(expectedID())","object":"text_completion","created":1700000000,"model":"m","choices":["#
        #expect(all.count == 7)
        #expect(all[0] == head + #"{"text":"p","index":0,"logprobs":null,"finish_reason":null}],"usage":null}"# + "\n\n")
        #expect(all[4] == head + #"{"text":"","index":0,"logprobs":null,"finish_reason":"stop"}],"usage":null}"# + "\n\n")
        #expect(all[5] == head + #"],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"# + "\n\n")
        #expect(all[6] == "data: [DONE]\n\n")
    }

    @Test func aListOfPromptsGetsOneChoiceEachInOrder() {
        let text = bodyText(call(#"{"model":"m","prompt":["ping","hello"]}"#))
        #expect(text.contains(#""choices":[{"text":"pong","index":0,"logprobs":null,"finish_reason":"stop"},{"text":"Hi \"you\"\n","index":1,"logprobs":null,"finish_reason":"stop"}]"#), "\(text)")
        #expect(text.hasSuffix(#""usage":{"prompt_tokens":2,"completion_tokens":6,"total_tokens":8}}"#), "\(text)")
    }

    @Test func aStreamOfAListOfPromptsFinishesEachChoice() {
        let all = call(#"{"model":"m","prompt":["ping","hello"],"stream":true}"#).streamTexts
        let texts = all.filter { $0.contains(#""index":1"#) }
        #expect(all.filter { $0.contains(#""finish_reason":"stop""#) }.count == 2)
        #expect(texts.last!.contains(#"{"text":"","index":1,"logprobs":null,"finish_reason":"stop"}"#))
        #expect(all.firstIndex { $0.contains(#""index":1"#) }! > all.firstIndex { $0.contains(#""index":0,"logprobs":null,"finish_reason":"stop""#) }!)
        #expect(all.last == "data: [DONE]\n\n")
    }

    @Test func echoPrependsThePrompt() {
        #expect(bodyText(call(#"{"model":"m","prompt":"ping","echo":true}"#)).contains(#""text":"pingpong""#))
        let streamed = call(#"{"model":"m","prompt":"ping","echo":true,"stream":true}"#).streamTexts
        #expect(streamed.count == 10)
    }

    @Test func maxTokensCutsWithLength() {
        let text = bodyText(call(#"{"model":"m","prompt":"long","max_tokens":2}"#))
        #expect(text.contains(#""finish_reason":"length""#), "\(text)")
        #expect(text.contains(#""completion_tokens":2,"#), "\(text)")
        // Without max_tokens the mock does not cut (the real API's default is 16).
        #expect(bodyText(call(#"{"model":"m","prompt":"long"}"#)).contains(#""text":"one two three four five six","index":0,"logprobs":null,"finish_reason":"stop""#))
    }

    @Test func stopCutsBeforeTheSequence() {
        let text = bodyText(call(#"{"model":"m","prompt":"long","stop":[" three"]}"#))
        #expect(text.contains(#""text":"one two","index":0,"logprobs":null,"finish_reason":"stop""#), "\(text)")
    }

    @Test(arguments: [
        (#"{"prompt":"x"}"#, "Missing required parameter: 'model'.", "model"),
        (#"{"model":"m"}"#, "Missing required parameter: 'prompt'.", "prompt"),
        (#"{"model":"m","prompt":7}"#, "Invalid type for 'prompt': expected a string or an array of strings, but got a number instead.", "prompt"),
        (#"{"model":"m","prompt":[]}"#, "Invalid 'prompt': empty array. Expected an array with minimum length 1, but got an empty array instead.", "prompt"),
        (#"{"model":"m","prompt":["a",1]}"#, "Invalid type for 'prompt[1]': expected a string, but got a number instead.", "prompt[1]"),
        (#"{"model":"m","prompt":"x","n":2}"#, "This mock server answers with one choice: 'n' must be 1.", "n"),
        (#"{"model":"m","prompt":"x","temperature":3}"#, "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3 instead.", "temperature"),
        (#"{"model":"m","prompt":"x","max_tokens":0}"#, "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead.", "max_tokens"),
        (#"{"model":"m","prompt":"x","echo":"yes"}"#, "Invalid type for 'echo': expected a boolean, but got a string instead.", "echo"),
        (#"{"model":"m","prompt":"x","stream_options":{"include_usage":true}}"#, "The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options"),
    ])
    func invalidRequestsGetOpenAIErrors(body: String, message: String, param: String) {
        let reply = call(body)
        #expect(reply.status == 400)
        var expected = ByteBuffer()
        expected.append(jsonString: message)
        let text = bodyText(reply)
        #expect(text.hasPrefix(#"{"error":{"message":"# + expected.description + #","type":"invalid_request_error","param":""# + param + "\""), "\(text)")
    }
}
