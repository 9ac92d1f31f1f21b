@testable import MockLLMBench
@testable import MockLLMCore
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Which events count, for the protocols recognised by their JSON members (Responses, Gemini,
/// Ollama): the member itself decides, not the same bytes elsewhere in the event.
@Suite("Bench: token, end and error events by protocol")
struct EventMeaningTests {
    func sse(_ provider: BenchProvider, _ data: String, named name: String? = nil) -> EventMeaning {
        let named = name.map { name in Array(name.utf8).withUnsafeBytes { provider.meaning(ofEventNamed: $0) } } ?? nil
        return Array(data.utf8).withUnsafeBytes { provider.meaning(named: named, data: $0) }
    }

    func line(_ text: String) -> EventMeaning {
        Array(text.utf8).withUnsafeBytes { BenchProvider.ollama.meaning(ofLine: $0) }
    }

    @Test func responsesTokensAreTextDeltasWithText() {
        let delta = #"{"type":"response.output_text.delta","content_index":0,"delta":"Hi","item_id":"msg_1","logprobs":[],"output_index":0,"sequence_number":4}"#
        #expect(sse(.responses, delta, named: "response.output_text.delta") == .token)
        #expect(sse(.responses, delta) == .token)
        // Members in another order, as a gateway might write them.
        #expect(sse(.responses, #"{"delta":"Hi","sequence_number":4,"type":"response.output_text.delta"}"#) == .token)
        #expect(sse(.responses, #"{"type":"response.output_text.delta","delta":""}"#) == [])
        // Function call arguments are not text.
        #expect(sse(.responses, #"{"type":"response.function_call_arguments.delta","delta":"{\"a\""}"#) == [])
        // A `delta` member nested deeper is not the event's.
        #expect(sse(.responses, #"{"type":"response.output_text.delta","delta":"","extra":{"delta":"x"}}"#) == [])
    }

    @Test func responsesEndsAtCompletedOrIncompleteAndFailsAtErrors() {
        #expect(sse(.responses, #"{"type":"response.completed","response":{"id":"resp_1","output":[{"type":"message"}]}}"#) == .end)
        #expect(sse(.responses, #"{"type":"response.incomplete","response":{}}"#) == .end)
        #expect(sse(.responses, #"{"type":"response.created","response":{"status":"in_progress"}}"#) == [])
        #expect(sse(.responses, #"{"type":"error","code":"server_error","message":"boom","param":null}"#) == .error)
        #expect(sse(.responses, #"{"type":"response.failed","response":{"error":{"code":"server_error"}}}"#) == .error)
        #expect(sse(.responses, #"{"code":"x"}"#, named: "error") == .error)
        #expect(sse(.responses, #"{"type":"response.output_text.delta","delta":"unterminated"#) == .malformed)
    }

    @Test func geminiTokensAreChunksWithTextInTheFirstCandidate() {
        let text = #"{"candidates": [{"content": {"parts": [{"text": "Hi"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 1}}"#
        #expect(sse(.gemini, text) == .token)
        let last = #"{"candidates": [{"content": {"parts": [{"text": "!"}],"role": "model"},"finishReason": "STOP","index": 0}]}"#
        #expect(sse(.gemini, last) == [.token, .end])
        // A thought is text too; a later part may hold it.
        #expect(sse(.gemini, #"{"candidates": [{"content": {"parts": [{"thoughtSignature": "x"},{"text": "Hm","thought": true}]}}]}"#) == .token)
        #expect(sse(.gemini, #"{"candidates": [{"content": {"parts": [{"text": ""}]}}]}"#) == [])
        // A function call whose arguments have a `text` member is no text; its chunk ends the stream.
        let call = #"{"candidates": [{"content": {"parts": [{"functionCall": {"name": "say","args": {"text": "hi"}}}],"role": "model"},"finishReason": "STOP","index": 0}]}"#
        #expect(sse(.gemini, call) == .end)
        // Only the first candidate counts.
        #expect(sse(.gemini, #"{"candidates": [{"content": {"parts": []}},{"content": {"parts": [{"text": "x"}]},"finishReason": "STOP"}]}"#) == [])
        #expect(sse(.gemini, #"{"usageMetadata": {"promptTokenCount": 1,"candidatesTokenCount": 3}}"#) == [])
    }

    @Test func geminiFailsAtAnErrorObjectOrBrokenJSON() {
        #expect(sse(.gemini, #"{"error": {"code": 500,"message": "boom","status": "INTERNAL"}}"#) == .error)
        #expect(sse(.gemini, #"{"candidates": [{"content": {"parts": [{"text": "unterminated"#) == .malformed)
        #expect(sse(.gemini, #"{"error": {"code": 500,"message": "cut"#) == [.error, .malformed])
    }

    @Test func ollamaTokensAreUnfinishedLinesWithContent() {
        #expect(line(#"{"model":"llama3.2","created_at":"2023-11-14T22:13:20Z","message":{"role":"assistant","content":"H"},"done":false}"#) == .token)
        #expect(line(#"{"done":false,"message":{"content":"H","role":"assistant"}}"#) == .token)
        #expect(line(#"{"model":"m","message":{"role":"assistant","content":""},"done":false}"#) == [])
        // Tool calls (content empty), even with arguments that look like content or like the end.
        let calls = #"{"model":"m","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"f","arguments":{"content":"x","done":true}}}]},"done":false}"#
        #expect(line(calls) == [])
        // Thinking is not content.
        #expect(line(#"{"model":"m","message":{"role":"assistant","content":"","thinking":"hm"},"done":false}"#) == [])
    }

    @Test func ollamaEndsAtDoneAndFailsAtAnErrorLine() {
        let done = #"{"model":"m","created_at":"t","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":5,"eval_count":3}"#
        #expect(line(done) == .end)
        #expect(line(#"{"model":"m","done_reason":"stop","done":true}"#) == .end)
        #expect(line(#"{"error":"boom"}"#) == .error)
        #expect(line(#"{"model":"mock","message":{"role":"assistant","content":"unterminated"#) == .malformed)
        #expect(line("[DONE]") == .malformed)
    }
}
