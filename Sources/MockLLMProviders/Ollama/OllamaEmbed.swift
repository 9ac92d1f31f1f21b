import MockLLMCore
import MockLLMSimulation

/// Ollama's embeddings: `POST /api/embed` (unit-length vectors, one per input) and the legacy
/// `POST /api/embeddings` (one vector for `prompt`, as the model outputs it: not normalised).
/// The vectors are the shared `EmbeddingVector`s of the texts, so the same text gives the same
/// vector here as in the other protocols; their length is the model's embedding length
/// (`OllamaCatalog`: 768 for `nomic-embed-text`, 1024 for `mxbai-embed-large`, a chat model's
/// `embedding_length`). No script rule, pacing, fault or quota applies, as with OpenAI's
/// embeddings; the metrics are simulated like a chat's (1 ms load, 1 µs per prompt token).
extension Ollama {
    /// The context an embedding input must fit when `options.num_ctx` does not say: Ollama's
    /// default, as `/api/ps` reports it (the model's own window when smaller).
    static let defaultEmbedContext = 4096

    static func embed(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        let requestID = context.requestID
        guard !http.body.isEmpty else { return errorReply(OllamaErrors.bad("missing request body"), requestID: requestID) }
        let request = try decodeBody(http, requestID: requestID, wording: OllamaEmbedWording.self, OllamaEmbedRequest.init)
        guard !request.model.isEmpty else { return errorReply(OllamaErrors.modelNotFound(""), requestID: requestID) }
        guard let inputs = request.inputs else { return errorReply(OllamaErrors.bad("invalid input type"), requestID: requestID) }
        guard let model = OllamaCatalog.model(named: request.model, in: context.script) else {
            return errorReply(OllamaErrors.modelNotPulled(request.model), requestID: requestID)
        }
        let length = OllamaCatalog.entry(for: model).embeddingLength
        let dimensions = request.dimensions > 0 ? min(request.dimensions, length) : length
        let limit = min(request.options.contextLength ?? defaultEmbedContext, model.contextWindow)
        var out = ByteBuffer(capacity: 64 + request.model.utf8.count + inputs.count * dimensions * 12)
        out.append(ascii: "{\"model\":")
        out.append(jsonString: request.model)
        out.append(ascii: ",\"embeddings\":[")
        var promptTokens = 0
        for (i, input) in inputs.enumerated() {
            var text = input
            var tokens = TokenEstimator.count(text)
            if tokens > limit {
                guard request.truncate else {
                    return errorReply(OllamaErrors.bad("the input length exceeds the context length"), requestID: requestID)
                }
                text = String(TokenEstimator.prefix(text, maxTokens: limit) ?? Substring(text))
                tokens = limit
            }
            promptTokens += tokens
            if i > 0 { out.append(UInt8(ascii: ",")) }
            let vector = EmbeddingVector.unit(seed: EmbeddingVector.hash(text: text), dimensions: dimensions)
            appendArray(vector, into: &out, GoFloat.append)
        }
        out.append(UInt8(ascii: "]"))
        if !inputs.isEmpty {  // the server answers no input before it times anything
            let metrics = OllamaTiming().metrics(promptTokens: promptTokens, evalTokens: 0)
            out.append(ascii: ",\"total_duration\":")
            out.append(decimal: metrics.total)
            out.append(ascii: ",\"load_duration\":")
            out.append(decimal: metrics.load)
            if promptTokens > 0 {
                out.append(ascii: ",\"prompt_eval_count\":")
                out.append(decimal: promptTokens)
            }
        }
        out.append(UInt8(ascii: "}"))
        let reply = json(out, context)
        context.usage = TokenUsage(prompt: promptTokens, completion: 0)
        return reply
    }

    /// The legacy endpoint: `{"embedding":[...]}`, the vector `/api/embed` gives the prompt at
    /// the model's full length, scaled to the raw output's length (10 to 20, from the text), each
    /// value a float32 written as Go writes a float64. An empty prompt only loads the model:
    /// `{"embedding":[]}`.
    static func embeddings(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        let requestID = context.requestID
        guard !http.body.isEmpty else { return errorReply(OllamaErrors.bad("missing request body"), requestID: requestID) }
        let request = try decodeBody(http, requestID: requestID, wording: OllamaEmbeddingsWording.self, OllamaEmbeddingsRequest.init)
        guard !request.model.isEmpty else { return errorReply(OllamaErrors.bad("model is required"), requestID: requestID) }
        guard let model = OllamaCatalog.model(named: request.model, in: context.script) else {
            return errorReply(OllamaErrors.modelNotPulled(request.model), requestID: requestID)
        }
        let seed = EmbeddingVector.hash(text: request.prompt)
        let length = request.prompt.isEmpty ? 0 : OllamaCatalog.entry(for: model).embeddingLength
        let scale = EmbeddingVector.rawLength(seed: seed)
        let vector = EmbeddingVector.unit(seed: seed, dimensions: length).map { $0 * scale }
        var out = ByteBuffer(capacity: 16 + length * 22)
        out.append(ascii: "{\"embedding\":")
        appendArray(vector, into: &out) { value, out in GoFloat.append(Double(value), into: &out) }
        out.append(UInt8(ascii: "}"))
        let reply = json(out, context)
        context.usage = TokenUsage(prompt: TokenEstimator.count(request.prompt), completion: 0)
        return reply
    }

    /// `[v,v,...]`, each value written by `write`.
    private static func appendArray(_ vector: [Float], into out: inout ByteBuffer, _ write: (Float, inout ByteBuffer) -> Void) {
        out.append(UInt8(ascii: "["))
        for (i, value) in vector.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            write(value, &out)
        }
        out.append(UInt8(ascii: "]"))
    }
}
