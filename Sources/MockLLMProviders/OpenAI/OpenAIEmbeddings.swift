import MockLLMCore
import MockLLMSimulation

/// OpenAI Embeddings, `POST /v1/embeddings`: one unit-length vector per input, deterministic
/// from the input's text (the same text gives the same vector on any worker, in any run).
extension OpenAIChat {
    static func embeddings(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        try embeddings(http, &context, as: OpenAIChat.self)
    }

    /// Embeddings behind `door`, which admits the model.
    static func embeddings<Door: OpenAIFrontDoor>(
        _ http: HTTPRequest, _ context: inout ProviderContext, as door: Door.Type
    ) throws(Refusal) -> Reply {
        let requestID = context.requestID
        let implied = Door.impliedModel(context)
        var request = try Door.decodeBody(http, requestID: requestID, wording: OpenAIErrors.self) {
            (body) throws(FieldProblem) in try OpenAIEmbeddingsRequest(body, impliedModel: implied)
        }
        let inputs = request.inputs
        request.model = try Door.admit(model: request.model, maxTokens: 0, for: .embeddings,
                                       promptTokens: { inputs.reduce(0) { $0 + $1.tokens } }, context: &context).model
        let dimensions = request.dimensions
        var promptTokens = 0
        var out = ByteBuffer(capacity: 96 + request.model.utf8.count + request.inputs.count * dimensions * (request.base64 ? 6 : 12))
        out.append(ascii: "{\"object\":\"list\",\"data\":[")
        var vector = [Float](repeating: 0, count: dimensions)
        for (i, input) in request.inputs.enumerated() {
            promptTokens += input.tokens
            EmbeddingVector.fill(&vector, seed: input.hash)
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(ascii: "{\"object\":\"embedding\",\"index\":")
            out.append(decimal: i)
            out.append(ascii: ",\"embedding\":")
            if request.base64 {
                EmbeddingVector.appendBase64(vector, into: &out)
            } else {
                out.append(UInt8(ascii: "["))
                for (j, value) in vector.enumerated() {
                    if j > 0 { out.append(UInt8(ascii: ",")) }
                    out.append(utf8: value.description)
                }
                out.append(UInt8(ascii: "]"))
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(ascii: "],\"model\":")
        out.append(jsonString: request.model)
        out.append(ascii: ",\"usage\":{\"prompt_tokens\":")
        out.append(decimal: promptTokens)
        out.append(ascii: ",\"total_tokens\":")
        out.append(decimal: promptTokens)
        out.append(ascii: "}}")
        let reply = Reply.json(200, out).adding(header: OpenAIErrors.requestIDHeader, requestID)
        context.usage = TokenUsage(prompt: promptTokens, completion: 0)
        return reply
    }
}

/// OpenAI's `encoding_format: "base64"` form of a vector.
extension EmbeddingVector {
    /// The vector as little-endian float32 bytes in base64, as a JSON string.
    static func appendBase64(_ vector: [Float], into out: inout ByteBuffer) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            let bits = value.bitPattern
            bytes.append(UInt8(truncatingIfNeeded: bits))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 16))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 24))
        }
        out.append(UInt8(ascii: "\""))
        bytes.withUnsafeBytes { out.append(base64Of: $0) }
        out.append(UInt8(ascii: "\""))
    }
}

/// A decoded `POST /v1/embeddings` body.
struct OpenAIEmbeddingsRequest {
    struct Input {
        var hash: UInt64
        var tokens: Int
    }

    var model: String
    var inputs: [Input]
    var dimensions: Int
    var base64: Bool

    /// The vector length of a model when `dimensions` is not sent (1536 for models it does not know).
    static func defaultDimensions(_ model: String) -> Int {
        switch model {
        case "text-embedding-3-large": 3072
        default: 1536
        }
    }

    /// The most `dimensions` may ask for: the model's length, or 8192 for models it does not know.
    static func maxDimensions(_ model: String) -> Int {
        switch model {
        case "text-embedding-3-large": 3072
        case "text-embedding-3-small", "text-embedding-ada-002": 1536
        default: 8192
        }
    }

    static let invalidInput = "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."

    /// - Parameter impliedModel: the model when the body names none (an Azure deployment's path
    ///   names it); the body's wins.
    init(_ body: RequestFields, impliedModel: String? = nil) throws(FieldProblem) {
        var model: String?
        var rawInput: JSONNode?
        var dimensions: Int?
        var format = "float"
        try body.node.forEachMember { (key, value) throws(FieldProblem) in
            switch key {
            case "model": model = try body.string(value, "model")
            case "input": rawInput = value.isNull ? nil : value
            case "dimensions": dimensions = try body.integer(value, "dimensions")
            case "encoding_format": format = try body.string(value, "encoding_format") ?? "float"
            case "user": _ = try body.string(value, "user")
            default: break
            }
        }
        guard let model = model ?? impliedModel else {
            throw body.contains("model") ? .wrongType(path: "model", expected: "a string", found: "null") : .missing(path: "model")
        }
        guard let rawInput else { throw .missing(path: "input") }
        guard format == "float" || format == "base64" else {
            throw .invalidValue(
                path: "encoding_format",
                message: "Invalid value for 'encoding_format': '\(format)'. Supported values are: 'float' and 'base64'.",
                code: "invalid_value")
        }
        if let dimensions {
            let limit = Self.maxDimensions(model)
            guard dimensions >= 1 else {
                throw .invalidValue(
                    path: "dimensions", message: "Invalid 'dimensions': integer below minimum value. Expected a value >= 1, but got \(dimensions) instead.",
                    code: "integer_below_min_value")
            }
            guard dimensions <= limit else {
                throw .invalidValue(
                    path: "dimensions", message: "Invalid 'dimensions': integer above maximum value. Expected a value <= \(limit), but got \(dimensions) instead.",
                    code: "integer_above_max_value")
            }
        }
        self.model = model
        inputs = try Self.inputs(rawInput)
        self.dimensions = dimensions ?? Self.defaultDimensions(model)
        base64 = format == "base64"
    }

    private static func invalid() -> FieldProblem {
        .invalidValue(path: "input", message: invalidInput, code: "invalid_value")
    }

    /// A string, or a non-empty array of strings, of token ids, or of arrays of token ids.
    private static func inputs(_ raw: JSONNode) throws(FieldProblem) -> [Input] {
        if let text = raw.string {
            guard !text.isEmpty else { throw invalid() }
            return [Input(hash: EmbeddingVector.hash(text: text), tokens: TokenEstimator.count(text))]
        }
        guard raw.isArray else {
            throw .wrongType(path: "input", expected: "a string or an array", found: raw.kindDescription)
        }
        let items = raw.elements
        guard let first = items.first else { throw invalid() }
        if first.string != nil {
            var inputs: [Input] = []
            inputs.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                guard let text = item.string else {
                    throw .wrongType(path: "input[\(i)]", expected: "a string", found: item.kindDescription)
                }
                guard !text.isEmpty else { throw invalid() }
                inputs.append(Input(hash: EmbeddingVector.hash(text: text), tokens: TokenEstimator.count(text)))
            }
            return inputs
        }
        if first.isArray {
            var inputs: [Input] = []
            inputs.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                guard item.isArray else {
                    throw .wrongType(path: "input[\(i)]", expected: "an array", found: item.kindDescription)
                }
                let ids = try tokenIDs(item.elements, path: "input[\(i)]")
                inputs.append(Input(hash: EmbeddingVector.hash(tokenIDs: ids), tokens: ids.count))
            }
            return inputs
        }
        let ids = try tokenIDs(items, path: "input")
        return [Input(hash: EmbeddingVector.hash(tokenIDs: ids), tokens: ids.count)]
    }

    private static func tokenIDs(_ items: [JSONNode], path: String) throws(FieldProblem) -> [Int] {
        guard !items.isEmpty else { throw invalid() }
        var ids: [Int] = []
        ids.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            guard let id = item.integer, id >= 0 else {
                if item.integer != nil { throw invalid() }
                throw .wrongType(path: "\(path)[\(i)]", expected: "an integer", found: item.kindDescription)
            }
            ids.append(id)
        }
        return ids
    }
}
