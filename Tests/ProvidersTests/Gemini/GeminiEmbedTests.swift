@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Gemini's `embedContent` and `batchEmbedContents` without a server: the reply byte for
/// byte, lengths and `outputDimensionality`, Google's refusals, strict models and the listing.
@Suite("Gemini embeddings")
struct GeminiEmbedTests {
    static let path = "/v1beta/models/gemini-embedding-001:embedContent"
    static let batchPath = "/v1beta/models/gemini-embedding-001:batchEmbedContents"

    func call(_ body: String, path: String = Self.path, strict: Bool = false) -> Reply {
        GeminiHarness.call(body, path: path, script: Script(models: .builtIn, strictModels: strict))
    }

    func content(_ text: String) -> String { #"{"parts":[{"text":"\#(text)"}]}"# }

    func values(_ reply: Reply, _ path: String...) throws -> [Double] {
        var node = try ReplyJSON.parse(reply.bodyBytes.description)
        for key in path { node = try #require(ReplyJSON.at(node, key)) }
        return node.arrayValue?.compactMap { if case .number(let d) = $0 { d } else { nil } } ?? []
    }

    func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    @Test func embedContentAnswersInGooglesShapeByteForByte() {
        let (reply, usage) = GeminiHarness.answer(
            #"{"model":"models/gemini-embedding-001","content":\#(content("hi")),"taskType":"RETRIEVAL_QUERY","outputDimensionality":4}"#,
            path: Self.path, script: Script(models: .builtIn))
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"] == "application/json")
        #expect(reply.headers[GeminiErrors.requestIDHeader] == "req_abc")
        #expect(reply.bodyBytes.description == #"{"embedding": {"values": [-0.02911656,-0.015238643,-0.006977801,-0.016475229]}}"#)
        #expect(usage == TokenUsage(prompt: 1, completion: 0))
    }

    @Test func batchEmbedContentsAnswersEachRequestInOrder() {
        let model = #""model":"models/gemini-embedding-001""#
        let body = #"{"requests":[{\#(model),"content":\#(content("hi")),"outputDimensionality":4},"#
            + #"{\#(model),"content":\#(content("there")),"output_dimensionality":2,"task_type":2,"title":"Doc"}]}"#
        let (reply, usage) = GeminiHarness.answer(body, path: Self.batchPath, script: Script(models: .builtIn))
        #expect(reply.bodyBytes.description
            == #"{"embeddings": [{"values": [-0.02911656,-0.015238643,-0.006977801,-0.016475229]},{"values": [0.018866902,-0.017968355]}]}"#)
        #expect(usage == TokenUsage(prompt: 2, completion: 0))
    }

    @Test(arguments: [("gemini-embedding-001", 3072), ("text-embedding-004", 768), ("embedding-001", 768), ("my-embedder", 3072)])
    func aFullVectorHasTheModelsLengthAndUnitLength(model: String, length: Int) throws {
        let full = try values(call(#"{"content":\#(content("x"))}"#, path: "/v1/models/\(model):embedContent"), "embedding", "values")
        #expect(full.count == length)
        #expect(abs(norm(full) - 1) < 1e-5)
    }

    @Test func outputDimensionalityKeepsTheFirstValuesWithoutRescaling() throws {
        let full = try values(call(#"{"content":\#(content("shorter"))}"#), "embedding", "values")
        let short = try values(call(#"{"content":\#(content("shorter")),"outputDimensionality":768}"#), "embedding", "values")
        #expect(short == Array(full.prefix(768)))
        #expect(norm(short) < 0.9, "only full-length vectors are normalised, as Google's")
    }

    @Test func theTextPartsAreJoinedWithNewlines() throws {
        let parts = try values(call(#"{"content":{"role":"user","parts":[{"text":"a"},{"text":"b"}]},"outputDimensionality":8}"#), "embedding", "values")
        let joined = try values(call(#"{"content":\#(content(#"a\nb"#)),"outputDimensionality":8}"#), "embedding", "values")
        #expect(parts == joined)
    }

    @Test(arguments: [
        ("{bad", "Invalid JSON payload received. Expected a string key at line 1, column 2."),
        ("", "* EmbedContentRequest.content: content is not specified\n"),
        (#"{"content":"hi"}"#, "Invalid value at 'content' (TYPE_MESSAGE), a string"),
        (#"{"content":{}}"#, "* EmbedContentRequest.content.parts: contents.parts must not be empty.\n"),
        (#"{"content":{"parts":[{}]}}"#, "* EmbedContentRequest.content.parts[0].data: required oneof field 'data' must have one initialized field\n"),
        (#"{"content":{"parts":[{"text":"x"}]},"taskType":"NOPE"}"#,
         #"Invalid value at 'task_type' (type.googleapis.com/google.ai.generativelanguage.v1beta.TaskType), "NOPE""#),
        (#"{"content":{"parts":[{"text":"x"}]},"task_type":42}"#,
         "Invalid value at 'task_type' (type.googleapis.com/google.ai.generativelanguage.v1beta.TaskType), 42"),
        (#"{"content":{"parts":[{"text":"x"}]},"outputDimensionality":"4"}"#, "Invalid value at 'output_dimensionality' (TYPE_INT32), a string"),
        (#"{"content":{"parts":[{"text":"x"}]},"outputDimensionality":-1}"#,
         "* EmbedContentRequest.output_dimensionality: output_dimensionality must be positive.\n"),
        (#"{"content":{"parts":[{"text":"x"}]},"outputDimensionality":3073}"#,
         "* EmbedContentRequest.output_dimensionality: output_dimensionality must be at most 3072 for models/gemini-embedding-001.\n"),
    ])
    func embedContentRefusesBadInputInGooglesWords(body: String, message: String) throws {
        let reply = call(body)
        #expect(reply.status == 400)
        let error = try ReplyJSON.parse(reply.bodyBytes.description)
        #expect(ReplyJSON.at(error, "error", "status") == .string("INVALID_ARGUMENT"))
        #expect(ReplyJSON.at(error, "error", "message") == .string(message))
    }

    @Test(arguments: [
        ("{}", "* BatchEmbedContentsRequest.requests: requests is not specified\n"),
        (#"{"requests":[]}"#, "* BatchEmbedContentsRequest.requests: requests is not specified\n"),
        (#"{"requests":[{"content":{"parts":[{"text":"x"}]}}]}"#, "* BatchEmbedContentsRequest.requests[0].model: unexpected model name format\n"),
        (#"{"requests":[{"model":"gemini-embedding-001","content":{"parts":[{"text":"x"}]}}]}"#,
         "* BatchEmbedContentsRequest.requests[0].model: unexpected model name format\n"),
        (#"{"requests":[{"model":"models/text-embedding-004","content":{"parts":[{"text":"x"}]}}]}"#,
         "* BatchEmbedContentsRequest.requests[0].model: the model must be the one in the URL, models/gemini-embedding-001\n"),
        (#"{"requests":[{"model":"models/gemini-embedding-001"}]}"#, "* BatchEmbedContentsRequest.requests[0].content: content is not specified\n"),
        (#"{"requests":["x"]}"#, "Invalid value at 'requests[0]' (TYPE_MESSAGE), a string"),
        (#"{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"x"}]}},"#
            + #"{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"y"}]},"outputDimensionality":5000}]}"#,
         "* BatchEmbedContentsRequest.requests[1].output_dimensionality: output_dimensionality must be at most 3072 for models/gemini-embedding-001.\n"),
    ])
    func batchEmbedContentsRefusesBadInputInGooglesWords(body: String, message: String) throws {
        let reply = call(body, path: Self.batchPath)
        #expect(reply.status == 400)
        #expect(ReplyJSON.at(try ReplyJSON.parse(reply.bodyBytes.description), "error", "message") == .string(message))
    }

    @Test func aBatchHoldsAtMostAHundredRequests() throws {
        let one = #"{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"x"}]},"outputDimensionality":1}"#
        #expect(call(#"{"requests":[\#(Array(repeating: one, count: 100).joined(separator: ","))]}"#, path: Self.batchPath).status == 200)
        let over = call(#"{"requests":[\#(Array(repeating: one, count: 101).joined(separator: ","))]}"#, path: Self.batchPath)
        #expect(ReplyJSON.at(try ReplyJSON.parse(over.bodyBytes.description), "error", "message")
            == .string("* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n"))
    }

    @Test func strictModelsServesOnlyKnownEmbeddingModels() throws {
        let body = #"{"content":{"parts":[{"text":"x"}]}}"#
        #expect(call(body, strict: true).status == 200)
        let unknown = call(body, path: "/v1beta/models/gemini-embedding-9:embedContent", strict: true)
        #expect(unknown.status == 404)
        #expect(ReplyJSON.at(try ReplyJSON.parse(unknown.bodyBytes.description), "error", "message") == .string(
            "models/gemini-embedding-9 is not found for API version v1beta, or is not supported for embedContent. "
                + "Call ListModels to see the list of available models and their supported methods."))
        let chat = call(#"{"requests":[{"model":"models/gemini-2.5-flash","content":{"parts":[{"text":"x"}]}}]}"#,
                        path: "/v1/models/gemini-2.5-flash:batchEmbedContents", strict: true)
        #expect(chat.status == 404)
        #expect(chat.bodyBytes.description.contains("is not found for API version v1, or is not supported for batchEmbedContents."))
        #expect(call(body, path: "/v1beta/models/gemini-2.5-flash:embedContent").status == 200, "without strict_models any model embeds")
    }

    @Test func theListingShowsEmbeddingModelsWithTheirMethods() throws {
        let app = Application(script: Script(models: .builtIn), seed: 1)
        let text = app.reply(to: HTTPRequest(method: "GET", target: "/v1beta/models/gemini-embedding-001")).bodyBytes.description
        #expect(text == #"{"name": "models/gemini-embedding-001","version": "001","displayName": "Gemini Embedding 001","#
            + #""description": "Gemini Embedding 001, served by mockllm.","inputTokenLimit": 2048,"outputTokenLimit": 1,"#
            + #""supportedGenerationMethods": ["embedContent","countTextTokens","countTokens","asyncBatchEmbedContent"]}"#)
        let routes = Gemini.metadata.endpoints.map { "\($0.method) \($0.path)" }
        for version in ["v1beta", "v1"] {
            #expect(routes.contains("POST /\(version)/models/{model}:embedContent"))
            #expect(routes.contains("POST /\(version)/models/{model}:batchEmbedContents"))
        }
    }
}
