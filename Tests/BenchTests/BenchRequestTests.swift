@testable import MockLLMBench
@testable import MockLLMCore
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

@Suite("Bench requests by protocol")
struct BenchRequestTests {
    func request(_ provider: BenchProvider, url: String = "http://127.0.0.1:8000", model: String? = nil,
                 headers: [String] = []) throws -> (head: String, body: String) {
        var options = BenchOptions(url: url)
        options.provider = provider
        options.model = model
        options.headers = headers
        options.itlMilliseconds = 20
        let text = String(decoding: try options.validated().request, as: UTF8.self)
        let parts = text.split(separator: "\r\n\r\n", maxSplits: 1, omittingEmptySubsequences: false)
        return (String(parts[0]), String(parts[1]))
    }

    @Test func responsesPostsInputToTheResponsesEndpoint() throws {
        let (head, body) = try request(.responses)
        #expect(head.hasPrefix("POST /v1/responses HTTP/1.1\r\n"))
        #expect(head.contains("Accept: text/event-stream\r\n"))
        #expect(body == #"{"model":"gpt-4o-mini","input":"hello","stream":true}"#)
    }

    @Test func geminiNamesTheModelInThePathAndAsksForEvents() throws {
        let (head, body) = try request(.gemini, headers: ["x-goog-api-key: k"])
        #expect(head.hasPrefix("POST /v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse HTTP/1.1\r\n"))
        #expect(head.contains("x-mockllm-itl-ms: 20\r\nx-goog-api-key: k"))
        #expect(body == #"{"contents":[{"role":"user","parts":[{"text":"hello"}]}]}"#)
        #expect(try request(.gemini, model: "gemini-2.0-flash-001").head.hasPrefix("POST /v1beta/models/gemini-2.0-flash-001:stream"))
        #expect(try request(.gemini, url: "http://h:1/gw/v1beta/models/m:streamGenerateContent?key=x&alt=sse").head
            .hasPrefix("POST /gw/v1beta/models/m:streamGenerateContent?key=x&alt=sse HTTP/1.1\r\n"))
    }

    @Test func azureNamesTheDeploymentInThePathWithAnAPIVersion() throws {
        let (head, body) = try request(.azure, model: "prod-chat")
        #expect(head.hasPrefix("POST /openai/deployments/prod-chat/chat/completions?api-version=2024-10-21 HTTP/1.1\r\n"))
        #expect(body == #"{"model":"prod-chat","stream":true,"messages":[{"role":"user","content":"hello"}]}"#)
        #expect(throws: BenchUsageError.self) { try request(.azure, model: "../admin?x=") }
        #expect(try request(.azure, url: "http://h:1/openai/v1/chat/completions").head.hasPrefix("POST /openai/v1/chat/completions HTTP/1.1"))
    }

    @Test func geminiRefusesAModelThatDoesNotFitThePathOrAPathWithoutEvents() {
        #expect(throws: BenchUsageError.self) { try request(.gemini, model: "gemini 2.5") }
        #expect(throws: BenchUsageError.self) { try request(.gemini, model: "../admin?x=") }
        #expect(throws: BenchUsageError.self) { try request(.gemini, model: "") }
        // Without ?alt=sse Gemini streams a JSON array, which bench cannot read.
        #expect(throws: BenchUsageError.self) { try request(.gemini, url: "http://h:1/v1beta/models/m:streamGenerateContent") }
        #expect(throws: BenchUsageError.self) { try request(.gemini, url: "http://h:1/v1beta/models/m:streamGenerateContent?alt=sse2") }
    }

    @Test func vertexNamesAProjectAndLocationAndTheModelInThePath() throws {
        let (head, body) = try request(.vertex, headers: ["Authorization: Bearer t"])
        #expect(head.hasPrefix(
            "POST /v1/projects/mockllm/locations/us-central1/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse HTTP/1.1\r\n"))
        #expect(body == #"{"contents":[{"role":"user","parts":[{"text":"hello"}]}]}"#)
        let claude = try request(.vertexAnthropic)
        #expect(claude.head.hasPrefix(
            "POST /v1/projects/mockllm/locations/us-central1/publishers/anthropic/models/claude-3-haiku@20240307:streamRawPredict HTTP/1.1\r\n"))
        #expect(!claude.head.contains("anthropic-version"))
        #expect(claude.body
            == #"{"anthropic_version":"vertex-2023-10-16","max_tokens":4096,"stream":true,"messages":[{"role":"user","content":"hello"}]}"#)
        // One @ before a version; Gemini's own API has none.
        #expect(throws: BenchUsageError.self) { try request(.vertexAnthropic, model: "a@b@c") }
        #expect(throws: BenchUsageError.self) { try request(.gemini, model: "gemini@1") }
        #expect(throws: BenchUsageError.self) { try request(.vertex, url: "http://h:1/v1/publishers/google/models/m:streamGenerateContent") }
        #expect(try request(.vertexAnthropic, url: "http://h:1/v1/projects/p/locations/l/publishers/anthropic/models/m:streamRawPredict")
            .head.hasPrefix("POST /v1/projects/p/locations/l/publishers/anthropic/models/m:streamRawPredict HTTP/1.1\r\n"))
    }

    @Test func ollamaPostsAChatAskingForNDJSON() throws {
        let (head, body) = try request(.ollama)
        #expect(head.hasPrefix("POST /api/chat HTTP/1.1\r\n"))
        #expect(head.contains("Accept: application/x-ndjson\r\n"))
        #expect(body == #"{"model":"llama3.2","stream":true,"messages":[{"role":"user","content":"hello"}]}"#)
    }

    @Test func openAIAndAnthropicAreUnchanged() throws {
        #expect(try request(.openai).body == #"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hello"}]}"#)
        #expect(try request(.anthropic).body
            == #"{"model":"claude-3-haiku","max_tokens":4096,"stream":true,"messages":[{"role":"user","content":"hello"}]}"#)
    }
}
