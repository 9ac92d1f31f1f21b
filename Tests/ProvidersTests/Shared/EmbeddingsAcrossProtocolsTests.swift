@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// The same text gives the same vector, for the same length, in every protocol: OpenAI's
/// `/v1/embeddings`, Ollama's `/api/embed` (and the direction of its legacy endpoint), Gemini's
/// `embedContent` (whose shortened vectors are the full one's first values).
@Suite("Embeddings across protocols")
struct EmbeddingsAcrossProtocolsTests {
    func vector(_ handler: Endpoint.Handler, _ path: String, _ body: String, _ keys: String...) throws -> [Double] {
        let reply: Reply
        if path.hasPrefix("/v1beta/") {
            reply = GeminiHarness.call(body, path: path, script: Script())
        } else {
            var ctx = ProviderContext(script: Script(), now: 1_700_000_000, random: SeededRandom(seed: 7), requestID: "r")
            reply = Endpoint.answer(HTTPRequest(method: "POST", target: path, body: Array(body.utf8)), &ctx, by: handler)
        }
        #expect(reply.status == 200)
        var node = try ReplyJSON.parse(reply.bodyBytes.description)
        for key in keys { node = try #require(ReplyJSON.at(node, key)) }
        return node.arrayValue?.compactMap { if case .number(let d) = $0 { d } else { nil } } ?? []
    }

    func openAI(_ text: String, dimensions: Int) throws -> [Double] {
        try vector(OpenAIChat.embeddings, "/v1/embeddings", #"{"model":"m","input":"\#(text)","dimensions":\#(dimensions)}"#, "data", "0", "embedding")
    }

    func ollama(_ text: String, model: String, dimensions: Int = 0) throws -> [Double] {
        try vector(Ollama.embed, "/api/embed", #"{"model":"\#(model)","input":["\#(text)"],"dimensions":\#(dimensions)}"#, "embeddings", "0")
    }

    func gemini(_ text: String, model: String, dimensions: Int = 0) throws -> [Double] {
        try vector(Gemini.embedContent, "/v1beta/models/\(model):embedContent",
                   #"{"content":{"parts":[{"text":"\#(text)"}]},"outputDimensionality":\#(dimensions)}"#, "embedding", "values")
    }

    @Test(arguments: ["hello", "Ünïcödé text, with punctuation!"])
    func theSameTextGetsTheSameVectorEverywhere(text: String) throws {
        let at768 = try openAI(text, dimensions: 768)
        #expect(at768.count == 768)
        #expect(try ollama(text, model: "nomic-embed-text") == at768)
        #expect(try gemini(text, model: "text-embedding-004") == at768)
        let at3072 = try openAI(text, dimensions: 3072)
        #expect(try ollama(text, model: "llama3.2") == at3072)
        #expect(try gemini(text, model: "gemini-embedding-001") == at3072)
        #expect(try ollama(text, model: "nomic-embed-text", dimensions: 16) == openAI(text, dimensions: 16))
        #expect(try gemini(text, model: "gemini-embedding-001", dimensions: 16) == Array(at3072.prefix(16)))
    }

    @Test func ollamasLegacyVectorPointsTheSameWay() throws {
        let raw = try vector(Ollama.embeddings, "/api/embeddings", #"{"model":"nomic-embed-text","prompt":"hello"}"#, "embedding")
        let length = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for (a, b) in zip(raw, try openAI("hello", dimensions: 768)) { #expect(abs(a / length - b) < 1e-6) }
    }
}
