import MockLLMCore
import MockLLMScript

/// Gemini's model listing (`GET models`, paged with `pageSize` and `pageToken`; `GET models/{model}`)
/// from the registry's `gemini` models, and `countTokens`.
extension Gemini {
    /// Gemini's models the registry starts from; the context window is the input token limit.
    static let defaultModels: [ModelInfo] = [
        ModelInfo(id: "gemini-2.5-pro", aliases: ["gemini-pro-latest"], displayName: "Gemini 2.5 Pro",
                  contextWindow: 1_048_576, maxOutputTokens: 65_536, created: 1_750_118_400),
        ModelInfo(id: "gemini-2.5-flash", aliases: ["gemini-flash-latest"], displayName: "Gemini 2.5 Flash",
                  contextWindow: 1_048_576, maxOutputTokens: 65_536, created: 1_750_118_400),
        ModelInfo(id: "gemini-2.5-flash-lite", aliases: ["gemini-flash-lite-latest"], displayName: "Gemini 2.5 Flash-Lite",
                  contextWindow: 1_048_576, maxOutputTokens: 65_536, created: 1_753_142_400),
        ModelInfo(id: "gemini-2.0-flash", aliases: ["gemini-2.0-flash-001"], displayName: "Gemini 2.0 Flash",
                  contextWindow: 1_048_576, maxOutputTokens: 8_192, created: 1_738_713_600),
        ModelInfo(id: "gemini-1.5-pro", aliases: ["gemini-1.5-pro-latest", "gemini-1.5-pro-002"], displayName: "Gemini 1.5 Pro",
                  contextWindow: 2_097_152, maxOutputTokens: 8_192, created: 1_727_136_000),
        // Gemini's embedding models (`embedContent`, `batchEmbedContents`), listed as Google lists them.
        ModelInfo(id: "gemini-embedding-001", displayName: "Gemini Embedding 001",
                  contextWindow: 2_048, maxOutputTokens: 1, created: 1_752_451_200),
        ModelInfo(id: "text-embedding-004", displayName: "Text Embedding 004",
                  contextWindow: 2_048, maxOutputTokens: 1, created: 1_712_620_800),
    ]

    static func listModels(_ http: HTTPRequest, _ context: inout ProviderContext) -> Reply {
        let requestID = context.requestID
        let query = QueryParameters(http.query)
        var pageSize = 50
        if let text = query["pageSize"] {
            guard let n = Int(text), n >= 0 else {
                return errorReply(.invalidRequest("Invalid value at 'page_size' (TYPE_INT32), \"\(text)\""), requestID: requestID)
            }
            pageSize = n == 0 ? 50 : min(n, 1000)
        }
        let all = context.script.models.models(of: metadata.name)
        var start = 0
        if let token = query["pageToken"], !token.isEmpty {
            guard let i = all.firstIndex(where: { $0.id == token }) else {
                return errorReply(.invalidRequest("Invalid page token: \(token)"), requestID: requestID)
            }
            start = i
        }
        let end = min(all.count, start + pageSize)
        var out = ByteBuffer(capacity: 400 * (end - start + 1))
        out.append(ascii: "{\"models\": [")
        for (i, model) in all[start..<end].enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            write(model, into: &out)
        }
        out.append(UInt8(ascii: "]"))
        if end < all.count {
            out.append(ascii: ",\"nextPageToken\": ")
            out.append(jsonString: all[end].id)
        }
        out.append(UInt8(ascii: "}"))
        return Reply.json(200, out).adding(header: GeminiErrors.requestIDHeader, requestID)
    }

    static func getModel(_ http: HTTPRequest, _ context: inout ProviderContext) -> Reply {
        let name = context.pathParameters["model"] ?? ""
        guard let model = context.script.models.resolve(name), model.provider == metadata.name else {
            return errorReply(APIError(status: 404, kind: .notFound, message: "Model is not found: models/\(name) for api version \(apiVersion(http))"),
                              requestID: context.requestID)
        }
        var out = ByteBuffer(capacity: 400)
        write(model, into: &out)
        return Reply.json(200, out).adding(header: GeminiErrors.requestIDHeader, context.requestID)
    }

    /// `{"name": "models/gemini-2.5-flash","version": "001","displayName": ..,"description": ..,`
    /// `"inputTokenLimit": ..,"outputTokenLimit": ..,"supportedGenerationMethods": [..],"temperature": 1,...}`;
    /// an embedding model has its own methods and no sampling parameters.
    private static func write(_ model: ModelInfo, into out: inout ByteBuffer) {
        out.append(ascii: "{\"name\": ")
        out.append(jsonString: "models/" + model.id)
        out.append(ascii: ",\"version\": \"001\",\"displayName\": ")
        out.append(jsonString: model.displayName)
        out.append(ascii: ",\"description\": ")
        out.append(jsonString: model.displayName + ", served by mockllm.")
        out.append(ascii: ",\"inputTokenLimit\": ")
        out.append(decimal: model.contextWindow)
        out.append(ascii: ",\"outputTokenLimit\": ")
        out.append(decimal: model.maxOutputTokens)
        if isEmbeddingModel(model.id) {
            out.append(ascii: ",\"supportedGenerationMethods\": [\"embedContent\",\"countTextTokens\",\"countTokens\",\"asyncBatchEmbedContent\"]}")
            return
        }
        out.append(ascii: ",\"supportedGenerationMethods\": [\"generateContent\",\"countTokens\"]")
        out.append(ascii: ",\"temperature\": 1,\"topP\": 0.95,\"topK\": 64,\"maxTemperature\": 2}")
    }

    /// `countTokens`: `{"totalTokens": N,...}` for `contents` or a whole `generateContentRequest`,
    /// counted as a reply's `promptTokenCount` would be.
    static func countTokens(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        let requestID = context.requestID
        let model = context.pathParameters["model"] ?? ""
        let messages = try countGeminiTokens(http, requestID: requestID) { () throws(Refusal) in
            try checkModel(model, maxTokens: nil, method: "countTokens", http: http, context: context)
        }
        return countTokensReply(messages, requestID: requestID)
    }

    /// `{"totalTokens": N,"promptTokensDetails": [...]}`, with Vertex AI's
    /// `"totalBillableCharacters": C` after the total when `billableCharacters` is given.
    static func countTokensReply(_ messages: [ChatMessage], requestID: String, billableCharacters: Int? = nil) -> Reply {
        let tokens = messages.promptTokens
        var out = ByteBuffer(capacity: 128)
        out.append(ascii: "{\"totalTokens\": ")
        out.append(decimal: tokens)
        if let billableCharacters {
            out.append(ascii: ",\"totalBillableCharacters\": ")
            out.append(decimal: billableCharacters)
        }
        out.append(ascii: ",\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": ")
        out.append(decimal: tokens)
        out.append(ascii: "}]}")
        return Reply.json(200, out).adding(header: GeminiErrors.requestIDHeader, requestID)
    }
}
