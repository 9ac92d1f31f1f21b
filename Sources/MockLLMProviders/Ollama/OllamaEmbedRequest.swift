import MockLLMCore

/// A decoded `POST /api/embed` body (`api.EmbedRequest`), type-checked as Go decodes it.
/// `input` is Go's `any`: whatever its type it decodes, and the handler then refuses what is
/// neither a string nor an array of strings (`invalid input type`), after checking the model
/// name, as the server does. `keep_alive` is checked and not used.
struct OllamaEmbedRequest {
    var model = ""
    /// The texts, in order (an empty string is no input); nil when `input` has another type.
    var inputs: [String]? = []
    /// `truncate` (default true): cut an input over the context to fit, else refuse it.
    var truncate = true
    /// `dimensions`: a shorter vector when positive and below the model's length.
    var dimensions = 0
    var options = OllamaOptions()

    init(_ body: RequestFields) throws(FieldProblem) {
        let s = "EmbedRequest"
        try body.node.forEachMember { (key, value) throws(FieldProblem) in
            switch key {
            case "model": model = try OllamaOptions.typed(value, s, "model", "string") { $0.string } ?? ""
            case "input": inputs = Self.inputs(value)
            case "truncate": truncate = try OllamaOptions.typed(value, s, "truncate", "bool") { $0.bool } ?? true
            case "dimensions": dimensions = try Self.goInt(value, s, "dimensions") ?? 0
            case "options": options = try OllamaOptions(value, in: s)
            case "keep_alive": _ = try OllamaOptions.keepAliveIsZero(value)
            default: break
            }
        }
    }

    /// A string (none when empty), an array of strings, or null (none); nil for anything else.
    private static func inputs(_ value: JSONNode) -> [String]? {
        if value.isNull { return [] }
        if let text = value.string { return text.isEmpty ? [] : [text] }
        guard value.isArray else { return nil }
        var texts: [String] = []
        texts.reserveCapacity(value.count)
        for item in value.elements {
            guard let text = item.string else { return nil }
            texts.append(text)
        }
        return texts
    }

    /// A Go `int` member: a whole number, else Go's refusal (`cannot unmarshal number 1.5 into
    /// Go struct field EmbedRequest.dimensions of type int`).
    static func goInt(_ value: JSONNode, _ structName: String, _ path: String) throws(FieldProblem) -> Int? {
        if value.isNull { return nil }
        if let n = value.integer { return n }
        if let number = value.number {
            throw .invalidValue(
                path: path, message: "json: cannot unmarshal number \(number) into Go struct field \(structName).\(path) of type int", code: "")
        }
        throw OllamaErrors.unmarshal(value, structName, path, "int")
    }
}

/// A decoded `POST /api/embeddings` body (`api.EmbeddingRequest`, the legacy endpoint): `model`,
/// `prompt`, `options`, `keep_alive`.
struct OllamaEmbeddingsRequest {
    var model = ""
    var prompt = ""
    var options = OllamaOptions()

    init(_ body: RequestFields) throws(FieldProblem) {
        let s = "EmbeddingRequest"
        try body.node.forEachMember { (key, value) throws(FieldProblem) in
            switch key {
            case "model": model = try OllamaOptions.typed(value, s, "model", "string") { $0.string } ?? ""
            case "prompt": prompt = try OllamaOptions.typed(value, s, "prompt", "string") { $0.string } ?? ""
            case "options": options = try OllamaOptions(value, in: s)
            case "keep_alive": _ = try OllamaOptions.keepAliveIsZero(value)
            default: break
            }
        }
    }
}

/// `/api/embed`'s and `/api/embeddings`' wording: Ollama's, naming their own request types.
enum OllamaEmbedWording: ProblemWording {
    static func error(for problem: BodyProblem) -> APIError { OllamaErrors.error(for: problem, type: "api.EmbedRequest") }
    static func error(for problem: FieldProblem) -> APIError { OllamaErrors.error(for: problem) }
}

enum OllamaEmbeddingsWording: ProblemWording {
    static func error(for problem: BodyProblem) -> APIError { OllamaErrors.error(for: problem, type: "api.EmbeddingRequest") }
    static func error(for problem: FieldProblem) -> APIError { OllamaErrors.error(for: problem) }
}
