import MockLLMCore
import MockLLMSimulation

/// Gemini's embeddings: `POST .../models/{model}:embedContent` (`{"embedding": {"values": [...]}}`)
/// and `:batchEmbedContents` (`{"embeddings": [{"values": [...]},...]}`, in the order of the
/// requests; google-genai's `models.embed_content` always calls this one on the Developer API).
///
/// A vector is the shared `EmbeddingVector` of the content's text at the model's full length
/// (3072 for `gemini-embedding-001` and other models, 768 for `text-embedding-004` and
/// `embedding-001`), unit length, the same vector the other protocols give that text at that
/// length. `outputDimensionality` keeps its first values without scaling them again, as Google
/// does (only full-length vectors are normalised: shortened ones must be normalised by the
/// caller). No script rule, pacing, fault or quota applies, as with OpenAI's embeddings; the
/// usage (the texts' tokens) is counted in the metrics only: the reply carries none.
extension Gemini {
    static func embedContent(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        let requestID = context.requestID
        let model = context.pathParameters["model"] ?? ""
        let request = try decodeGoogleBody(http, requestID: requestID, wording: GeminiErrors.EmbedContent.self) { (body) throws(FieldProblem) in
            try GeminiEmbedRequest(body, request: "EmbedContentRequest")
        }
        return try embeddings([request], model: model, batch: false, http: http, context: &context)
    }

    static func batchEmbedContents(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        let requestID = context.requestID
        let model = context.pathParameters["model"] ?? ""
        let batch = try decodeGoogleBody(http, requestID: requestID, wording: GeminiErrors.BatchEmbedContents.self) { (body) throws(FieldProblem) in
            try GeminiBatchEmbedRequest(body, model: model)
        }
        return try embeddings(batch.requests, model: model, batch: true, http: http, context: &context)
    }

    /// The reply to decoded requests: one `ContentEmbedding` each, after the model and
    /// `outputDimensionality` checks.
    private static func embeddings(_ requests: [GeminiEmbedRequest], model: String, batch: Bool, http: HTTPRequest,
                                   context: inout ProviderContext) throws(Refusal) -> Reply {
        let message = batch ? "BatchEmbedContentsRequest" : "EmbedContentRequest"
        let method = batch ? "batchEmbedContents" : "embedContent"
        try checkModel(model, maxTokens: nil, method: method, http: http, context: context)
        let id = context.script.models.resolve(model)?.id ?? model
        if context.script.strictModels && !isEmbeddingModel(id) {
            return errorReply(notFound(model, method: method, http: http), requestID: context.requestID)
        }
        let length = embeddingLength(id)
        var tokens = 0
        var out = ByteBuffer(capacity: 32 + requests.count * (24 + length * 12))
        out.append(ascii: batch ? "{\"embeddings\": [" : "{\"embedding\": ")
        for (i, request) in requests.enumerated() {
            if let asked = request.outputDimensionality, asked > length {
                let path = batch ? "requests[\(i)].output_dimensionality" : "output_dimensionality"
                return errorReply(.invalidRequest("* \(message).\(path): output_dimensionality must be at most \(length) for models/\(model).\n",
                                                  param: path), requestID: context.requestID)
            }
            tokens += TokenEstimator.count(request.text)
            let vector = EmbeddingVector.unit(seed: EmbeddingVector.hash(text: request.text), dimensions: length)
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(ascii: "{\"values\": [")
            for (j, value) in vector.prefix(request.outputDimensionality ?? length).enumerated() {
                if j > 0 { out.append(UInt8(ascii: ",")) }
                appendFloat(value, into: &out)
            }
            out.append(ascii: "]}")
        }
        out.append(ascii: batch ? "]}" : "}")
        let reply = Reply.json(200, out).adding(header: GeminiErrors.requestIDHeader, context.requestID)
        context.usage = TokenUsage(prompt: tokens, completion: 0)
        return reply
    }

    /// Google's embedding models: `gemini-embedding-001`, `text-embedding-004`, `embedding-001`, ...
    static func isEmbeddingModel(_ id: String) -> Bool {
        id.contains("embedding")
    }

    /// The length of a model's full vectors: 768 for the `text-embedding-*` and `embedding-*`
    /// models, 3072 for `gemini-embedding-001` and any other.
    static func embeddingLength(_ id: String) -> Int {
        id.hasPrefix("text-embedding") || id.hasPrefix("embedding-") ? 768 : 3072
    }

    /// A float32 in its shortest form, as Google writes one (`0.013168523`, `-7.465681e-05`, `1`).
    private static func appendFloat(_ value: Float, into out: inout ByteBuffer) {
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        out.append(utf8: text)
    }
}
