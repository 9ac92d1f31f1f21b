import MockLLMCore

/// One decoded Gemini `EmbedContentRequest`: the body of `embedContent`, or one entry of
/// `batchEmbedContents`' `requests`. Read by JSON or proto names (`outputDimensionality`,
/// `output_dimensionality`), refused in Google's words. The text embedded is the content's
/// text parts joined with newlines (other parts are accepted and add nothing); `taskType` and
/// `title` are checked and do not change the vector.
struct GeminiEmbedRequest {
    /// `model` (`models/...`), when the request names one.
    var model: String?
    var text: String
    /// `outputDimensionality` when set (0, the proto's default, is unset).
    var outputDimensionality: Int?

    /// `TaskType`, in the order of its numbers (proto JSON takes the name or the number).
    static let taskTypes = [
        "TASK_TYPE_UNSPECIFIED", "RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT", "SEMANTIC_SIMILARITY", "CLASSIFICATION",
        "CLUSTERING", "QUESTION_ANSWERING", "FACT_VERIFICATION", "CODE_RETRIEVAL_QUERY",
    ]

    /// - Parameter request: the message named in problems (`EmbedContentRequest`,
    ///   `BatchEmbedContentsRequest`).
    init(_ fields: RequestFields, request: String) throws(FieldProblem) {
        guard fields.node.isObject else {
            throw .wrongType(path: fields.path, expected: "an object", found: fields.node.kindDescription)
        }
        model = try fields.string("model")
        guard let content = try fields.object("content") else { throw .missing(path: fields.childPath("content")) }
        _ = try content.string("role")
        text = try GeminiRequest.parts(of: content, request: request, requireParts: true).text
        let taskKey = fields.googleKey("taskType", "task_type")
        if let task = fields.value(taskKey), !task.isNull {
            let valid = task.string.map(Self.taskTypes.contains) ?? task.integer.map { Self.taskTypes.indices.contains($0) } ?? false
            guard valid else {
                let path = GeminiErrors.protoPath(fields.childPath(taskKey))
                var shown = ByteBuffer()
                if let name = task.string { shown.append(jsonString: name) } else { shown.append(utf8: task.materialize().jsonText) }
                throw .invalidValue(
                    path: path,
                    message: "Invalid value at '\(path)' (type.googleapis.com/google.ai.generativelanguage.v1beta.TaskType), \(shown.description)",
                    code: "")
            }
        }
        _ = try fields.string("title")
        let dimensionKey = fields.googleKey("outputDimensionality", "output_dimensionality")
        if let dimensions = try fields.integer(dimensionKey), dimensions != 0 {
            guard dimensions > 0 else {
                let path = GeminiErrors.protoPath(fields.childPath(dimensionKey))
                throw .invalidValue(path: path, message: "* \(request).\(path): output_dimensionality must be positive.\n", code: "")
            }
            outputDimensionality = dimensions
        }
    }
}

/// A decoded `BatchEmbedContentsRequest`: `requests`, 1 to 100 of them, each naming the
/// model of the URL (`models/{model}`).
struct GeminiBatchEmbedRequest {
    static let maxRequests = 100
    var requests: [GeminiEmbedRequest]

    /// - Parameter model: the URL's model, without `models/`.
    init(_ body: RequestFields, model: String) throws(FieldProblem) {
        let message = "BatchEmbedContentsRequest"
        guard let list = try body.array("requests"), !list.isEmpty else { throw .missing(path: "requests") }
        guard list.count <= Self.maxRequests else {
            throw .invalidValue(path: "requests", message: "* \(message).requests: at most \(Self.maxRequests) requests can be in one batch\n", code: "")
        }
        var requests: [GeminiEmbedRequest] = []
        requests.reserveCapacity(list.count)
        for (i, raw) in list.enumerated() {
            let fields = RequestFields(raw, path: "requests", index: i)
            let request = try GeminiEmbedRequest(fields, request: message)
            let named = request.model ?? ""
            guard named.hasPrefix("models/") || named.hasPrefix("tunedModels/") else {
                throw .invalidValue(path: fields.childPath("model"), message: "* \(message).\(fields.childPath("model")): unexpected model name format\n", code: "")
            }
            guard named == "models/" + model else {
                throw .invalidValue(
                    path: fields.childPath("model"),
                    message: "* \(message).\(fields.childPath("model")): the model must be the one in the URL, models/\(model)\n", code: "")
            }
            requests.append(request)
        }
        self.requests = requests
    }
}

extension GeminiErrors {
    /// `embedContent` and `batchEmbedContents` word their problems after their own request messages.
    enum EmbedContent: ProblemWording {
        static func error(for problem: FieldProblem) -> APIError { GeminiErrors.error(for: problem, request: "EmbedContentRequest") }
        static func error(for problem: BodyProblem) -> APIError { GeminiErrors.error(for: problem) }
    }

    enum BatchEmbedContents: ProblemWording {
        static func error(for problem: FieldProblem) -> APIError { GeminiErrors.error(for: problem, request: "BatchEmbedContentsRequest") }
        static func error(for problem: BodyProblem) -> APIError { GeminiErrors.error(for: problem) }
    }
}
