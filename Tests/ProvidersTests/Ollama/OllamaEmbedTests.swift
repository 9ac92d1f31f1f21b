@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Ollama's embeddings without a server: `/api/embed` byte for byte, its lengths, truncation
/// and refusals in the Go server's words, and the legacy `/api/embeddings`.
@Suite("Ollama embeddings")
struct OllamaEmbedTests {
    func call(_ handler: Endpoint.Handler, _ path: String, _ body: String, strict: Bool = false) -> Reply {
        answer(handler, path, body, strict: strict).reply
    }

    /// The reply and the token usage the handler reported with it.
    func answer(_ handler: Endpoint.Handler, _ path: String, _ body: String, strict: Bool = false) -> (reply: Reply, usage: TokenUsage?) {
        var ctx = ProviderContext(script: Script(models: .builtIn, strictModels: strict), now: 1_700_000_000, random: SeededRandom(seed: 1), requestID: "req_1")
        let reply = Endpoint.answer(HTTPRequest(method: "POST", target: path, body: Array(body.utf8)), &ctx, by: handler)
        return (reply, ctx.usage)
    }

    func embed(_ body: String, strict: Bool = false) -> Reply { call(Ollama.embed, "/api/embed", body, strict: strict) }
    func legacy(_ body: String, strict: Bool = false) -> Reply { call(Ollama.embeddings, "/api/embeddings", body, strict: strict) }

    func vectors(_ reply: Reply) throws -> [[Double]] {
        let items = ReplyJSON.at(try ReplyJSON.parse(reply.bodyBytes.description), "embeddings")?.arrayValue ?? []
        return items.map { $0.arrayValue?.compactMap { if case .number(let d) = $0 { d } else { nil } } ?? [] }
    }

    func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    @Test func embedAnswersInOllamasShapeByteForByte() {
        let (reply, usage) = answer(Ollama.embed, "/api/embed",
                                    #"{"model":"nomic-embed-text","input":["hi","there"],"dimensions":4,"truncate":true,"keep_alive":"5m"}"#)
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"] == "application/json; charset=utf-8")
        #expect(reply.bodyBytes.description == #"{"model":"nomic-embed-text","embeddings":[[-0.7781413,-0.4072534,-0.18648204,-0.4403012],"#
            + #"[0.44822165,-0.42687482,-0.5376201,0.572573]],"total_duration":1002000,"load_duration":1000000,"prompt_eval_count":2}"#)
        #expect(usage == TokenUsage(prompt: 2, completion: 0))
    }

    @Test(arguments: [#""input":"""#, #""input":[]"#, #""input":null"#, ""])
    func noInputOnlyLoadsTheModel(input: String) {
        let body = input.isEmpty ? #"{"model":"nomic-embed-text"}"# : #"{"model":"nomic-embed-text",\#(input)}"#
        #expect(embed(body).bodyBytes.description == #"{"model":"nomic-embed-text","embeddings":[]}"#)
    }

    @Test(arguments: [
        ("nomic-embed-text", 768), ("mxbai-embed-large:latest", 1024), ("all-minilm", 384), ("nomic-embed-text:v1.5", 768),
        ("llama3.2", 3072), ("gemma3", 2560), ("phi4", 4096),
    ])
    func aVectorHasTheModelsEmbeddingLength(model: String, length: Int) throws {
        let vectors = try vectors(embed(#"{"model":"\#(model)","input":["a","b"]}"#))
        #expect(vectors.map(\.count) == [length, length])
        for v in vectors { #expect(abs(norm(v) - 1) < 1e-5) }
    }

    @Test func dimensionsShortensAndRenormalisesButNeverLengthens() throws {
        let short = try vectors(embed(#"{"model":"all-minilm","input":"x","dimensions":10}"#))[0]
        #expect(short.count == 10 && abs(norm(short) - 1) < 1e-5)
        #expect(try vectors(embed(#"{"model":"all-minilm","input":"x","dimensions":1000}"#))[0].count == 384)
        #expect(try vectors(embed(#"{"model":"all-minilm","input":"x","dimensions":-3}"#))[0].count == 384)
    }

    @Test func anInputOverTheContextIsCutToItUnlessTruncateIsFalse() throws {
        let why = embed(#"{"model":"nomic-embed-text","input":"why","dimensions":8}"#)
        let cut = embed(#"{"model":"nomic-embed-text","input":"why is the sky blue?","dimensions":8,"options":{"num_ctx":1}}"#)
        #expect(try vectors(cut) == vectors(why))
        #expect(cut.bodyBytes.description.hasSuffix(#""prompt_eval_count":1}"#))
        let refused = embed(#"{"model":"nomic-embed-text","input":"why is the sky blue?","truncate":false,"options":{"num_ctx":3}}"#)
        #expect((refused.status, refused.bodyBytes.description) == (400, #"{"error":"the input length exceeds the context length"}"#))
        // mxbai-embed-large holds 512 tokens, less than the default context of 4096.
        let long = String(repeating: "word ", count: 600)
        #expect(answer(Ollama.embed, "/api/embed", #"{"model":"mxbai-embed-large","input":"\#(long)"}"#).usage?.prompt == 512)
        #expect(embed(#"{"model":"mxbai-embed-large","input":"\#(long)","truncate":false}"#).status == 400)
        #expect(embed(#"{"model":"llama3.2","input":"\#(long)","truncate":false}"#).status == 200)
    }

    @Test(arguments: [
        ("", 400, "missing request body"),
        ("[1]", 400, "json: cannot unmarshal array into Go value of type api.EmbedRequest"),
        (#"{"model":5}"#, 400, "json: cannot unmarshal number into Go struct field EmbedRequest.model of type string"),
        (#"{"model":"m","truncate":"no"}"#, 400, "json: cannot unmarshal string into Go struct field EmbedRequest.truncate of type bool"),
        (#"{"model":"m","dimensions":"4"}"#, 400, "json: cannot unmarshal string into Go struct field EmbedRequest.dimensions of type int"),
        (#"{"model":"m","dimensions":1.5}"#, 400, "json: cannot unmarshal number 1.5 into Go struct field EmbedRequest.dimensions of type int"),
        (#"{"model":"m","options":{"num_ctx":"x"}}"#, 400, #"option \"num_ctx\" must be of type integer"#),
        (#"{"model":"m","keep_alive":"soon"}"#, 400, #"time: invalid duration \"soon\""#),
        (#"{"input":"x"}"#, 404, "model '' not found"),
        (#"{"model":"m","input":5}"#, 400, "invalid input type"),
        (#"{"model":"m","input":["a",1]}"#, 400, "invalid input type"),
        (#"{"model":"m","input":{"text":"a"}}"#, 400, "invalid input type"),
    ])
    func embedRefusesBadInputInOllamasWords(body: String, status: Int, message: String) {
        let reply = embed(body)
        #expect((reply.status, reply.bodyBytes.description) == (status, #"{"error":"\#(message)"}"#))
    }

    @Test func strictModelsRefusesAModelThatIsNotPulled() {
        let reply = embed(#"{"model":"phi4","input":"x"}"#, strict: true)
        #expect((reply.status, reply.bodyBytes.description) == (404, #"{"error":"model \"phi4\" not found, try pulling it first"}"#))
        #expect(embed(#"{"model":"nomic-embed-text","input":"x"}"#, strict: true).status == 200)
        #expect(embed(#"{"model":"llama3.2","input":"x"}"#, strict: true).status == 200, "any model embeds")
        #expect(legacy(#"{"model":"phi4","prompt":"x"}"#, strict: true).status == 404)
    }

    @Test func theLegacyEndpointSendsTheSameDirectionUnnormalisedAsFloat64s() throws {
        let (reply, usage) = answer(Ollama.embeddings, "/api/embeddings",
                                    #"{"model":"nomic-embed-text","prompt":"hi","options":{"temperature":0}}"#)
        #expect(reply.status == 200)
        let text = reply.bodyBytes.description
        #expect(text.hasPrefix(#"{"embedding":[-1.1177018880844116,-0.584968090057373,"#))
        let values: [Double] = ReplyJSON.at(try ReplyJSON.parse(text), "embedding")?.arrayValue?.compactMap { (value: JSONValue) -> Double? in
            if case .number(let d) = value { d } else { nil }
        } ?? []
        #expect(values.count == 768)
        #expect(values.allSatisfy { Double(Float($0)) == $0 }, "float32 values, written as Go writes a float64")
        let length = norm(values)
        #expect(length >= 10 && length < 20)
        let unit = try vectors(embed(#"{"model":"nomic-embed-text","input":"hi"}"#))[0]
        for (a, b) in zip(values, unit) { #expect(abs(a / length - b) < 1e-6) }
        #expect(usage == TokenUsage(prompt: 1, completion: 0))
    }

    @Test(arguments: [
        ("", 400, "missing request body"),
        ("[1]", 400, "json: cannot unmarshal array into Go value of type api.EmbeddingRequest"),
        (#"{"prompt":"x"}"#, 400, "model is required"),
        (#"{"model":"m","prompt":5}"#, 400, "json: cannot unmarshal number into Go struct field EmbeddingRequest.prompt of type string"),
        (#"{"model":"m","prompt":"x","options":[]}"#, 400, "json: cannot unmarshal array into Go struct field EmbeddingRequest.options of type map[string]interface {}"),
    ])
    func theLegacyEndpointRefusesInOllamasWords(body: String, status: Int, message: String) {
        let reply = legacy(body)
        #expect((reply.status, reply.bodyBytes.description) == (status, #"{"error":"\#(message)"}"#))
    }

    @Test func anEmptyPromptOnlyLoadsTheModel() {
        #expect(legacy(#"{"model":"nomic-embed-text","prompt":""}"#).bodyBytes.description == #"{"embedding":[]}"#)
        #expect(legacy(#"{"model":"nomic-embed-text"}"#).bodyBytes.description == #"{"embedding":[]}"#)
    }

    @Test func anEmbeddingModelIsShownAsOneAndRefusesTextWithStrictModels() throws {
        let shown = try ReplyJSON.parse(call(Ollama.show, "/api/show", #"{"model":"nomic-embed-text"}"#).bodyBytes.description)
        #expect(ReplyJSON.at(shown, "capabilities") == .array([.string("embedding")]))
        #expect(ReplyJSON.at(shown, "template") == .string("{{ .Prompt }}"))
        #expect(ReplyJSON.at(shown, "model_info", "nomic-bert.embedding_length") == .number(768))
        #expect(ReplyJSON.at(shown, "model_info", "nomic-bert.context_length") == .number(2048))
        let messages = #""messages":[{"role":"user","content":"hi"}]"#
        let chat = call(Ollama.chat, "/api/chat", #"{"model":"nomic-embed-text",\#(messages)}"#, strict: true)
        #expect((chat.status, chat.bodyBytes.description) == (400, #"{"error":"\"nomic-embed-text\" does not support chat"}"#))
        let generate = call(Ollama.generate, "/api/generate", #"{"model":"mxbai-embed-large","prompt":"hi"}"#, strict: true)
        #expect(generate.bodyBytes.description == #"{"error":"\"mxbai-embed-large\" does not support generate"}"#)
    }

    @Test func theEndpointsAreRouted() {
        let routes = Ollama.metadata.endpoints.map { "\($0.method) \($0.path)" }
        #expect(routes.contains("POST /api/embed") && routes.contains("POST /api/embeddings"))
    }
}
