import MockLLMCore
import MockLLMScript

/// A decoded `POST /v1/messages` body: what the mock uses, strictly type-checked, with
/// Anthropic's own validation messages. Parameters it does not use (thinking, top_k, ...) are
/// accepted and ignored.
struct AnthropicRequest {
    var model: String
    var maxTokens: Int
    var messages: [ChatMessage]
    var system: String?
    var stream: Bool
    var stopSequences: [String]
    var hasTools: Bool
    /// The custom tools offered and `tool_choice`.
    var toolOffer: ToolOffer?
    /// `output_config.format`.
    var responseFormat: ResponseFormat?

    /// A model named by a cloud's path rather than the body.
    enum PathModel {
        /// Vertex AI's `.../models/{model}:rawPredict`: the body may not name one.
        case vertex(String)
        /// Bedrock's `InvokeModel` path: the body has no `model` or `stream` (the path says both)
        /// and must carry `anthropic_version`.
        case bedrock(String)
    }

    /// - Parameters:
    ///   - requireMaxTokens: false for `count_tokens`, which takes no `max_tokens`.
    ///   - pathModel: the model a cloud's path names; nil: the body's `model`, required.
    init(_ body: RequestFields, requireMaxTokens: Bool = true, pathModel: PathModel? = nil) throws(FieldProblem) {
        switch pathModel {
        case .vertex(let pathModel):
            guard !body.contains("model") else {
                throw .invalidValue(path: "model", message: "model: Extra inputs are not permitted", code: "")
            }
            model = pathModel
        case .bedrock(let bedrockModel):
            model = bedrockModel
            for key: StaticString in ["model", "stream"] where body.contains(key) {
                throw .invalidValue(path: "\(key)", message: "Malformed input request: #: extraneous key [\(key)] is not permitted, please reformat your input and try again.", code: "")
            }
            // Required; `bedrock-2023-05-31` is the documented value, and anthropic's SDKs send
            // their own API version date in it (AnthropicBedrock 2.x), which Bedrock takes too.
            guard let version = try body.string("anthropic_version", required: true), !version.isEmpty else {
                throw .invalidValue(path: "anthropic_version", message: "Invalid API version: ", code: "")
            }
        case nil:
            model = try body.string("model", required: true)!
        }
        if !requireMaxTokens && !body.contains("max_tokens") {
            maxTokens = 0
        } else if let tokens = try body.integer("max_tokens") {
            guard tokens >= 1 else {
                throw .invalidValue(path: "max_tokens", message: "max_tokens: Input should be greater than or equal to 1", code: "")
            }
            maxTokens = tokens
        } else {
            // Absent, or null (which the API refuses too).
            throw body.contains("max_tokens")
                ? .wrongType(path: "max_tokens", expected: "an integer", found: "null")
                : .missing(path: "max_tokens")
        }
        guard let rawMessages = try body.array("messages", required: true), !rawMessages.isEmpty else {
            throw .invalidValue(path: "messages", message: "messages: at least one message is required", code: "")
        }
        var messages: [ChatMessage] = []
        messages.reserveCapacity(rawMessages.count)
        for (i, raw) in rawMessages.enumerated() {
            messages.append(try Self.message(raw, index: i))
        }
        self.messages = messages
        if let system = body.value("system") {
            self.system = try Self.text(of: system, path: "system", in: body)
        }
        if case .bedrock = pathModel { stream = false } else { stream = try body.bool("stream") ?? false }
        if let temperature = try body.number("temperature"), !(0...1).contains(temperature) {
            throw .invalidValue(
                path: "temperature",
                message: "temperature: Input should be \(temperature < 0 ? "greater than or equal to 0" : "less than or equal to 1")",
                code: "")
        }
        stopSequences = []
        if let stops = try body.array("stop_sequences") {
            for (i, stop) in stops.enumerated() {
                guard let text = stop.string else {
                    throw .wrongType(path: "stop_sequences[\(i)]", expected: "a string", found: stop.kindDescription)
                }
                stopSequences.append(text)
            }
        }
        _ = try body.object("metadata")
        hasTools = try body.array("tools")?.isEmpty == false
        let tools = try Self.tools(body)
        let choice = try Self.toolChoice(body, tools: tools)
        let parallel = try Self.parallelToolUse(body)
        toolOffer = tools.map { ToolOffer(tools: $0, choice: choice, parallel: parallel) }
        responseFormat = try Self.outputFormat(body)
    }

    private static func message(_ raw: JSONNode, index: Int) throws(FieldProblem) -> ChatMessage {
        let fields = RequestFields(raw, path: "messages", index: index)
        guard raw.isObject else {
            throw .wrongType(path: fields.path, expected: "an object", found: raw.kindDescription)
        }
        let role = try fields.string("role", required: true)!
        guard role == "user" || role == "assistant" else {
            throw .invalidValue(
                path: fields.childPath("role"),
                message: "\(AnthropicErrors.dotted(fields.childPath("role"))): Input should be 'user' or 'assistant'", code: "")
        }
        guard let content = fields.value("content") else { throw .missing(path: fields.childPath("content")) }
        let path = AnthropicErrors.dotted(fields.childPath("content"))
        if content.string == "" {
            throw .invalidValue(path: fields.childPath("content"), message: "messages: text content blocks must be non-empty", code: "")
        }
        if content.isArray && content.count == 0 {
            throw .invalidValue(path: fields.childPath("content"), message: "\(path): List should have at least 1 item after validation, not 0", code: "")
        }
        var message = ChatMessage(role: role, text: try text(of: content, path: "content", in: fields))
        (message.toolCalls, message.toolResults) = try toolParts(of: content, in: fields)
        return message
    }

    /// A string, or content blocks whose text blocks are joined with newlines (images,
    /// documents, tool results and the rest are accepted and not matched on).
    static func text(of content: JSONNode, path key: String, in parent: RequestFields) throws(FieldProblem) -> String {
        if let s = content.string { return s }
        let contentPath = parent.childPath(key)
        guard content.isArray else {
            throw .invalidValue(
                path: contentPath, message: "\(AnthropicErrors.dotted(contentPath)): Input should be a valid string or a list of content blocks",
                code: "")
        }
        var texts: [String] = []
        try content.forEachElement { (i, block) throws(FieldProblem) in
            let fields = RequestFields(block, path: contentPath, index: i)
            guard block.isObject else {
                throw .wrongType(path: fields.path, expected: "an object", found: block.kindDescription)
            }
            let type = try fields.string("type", required: true)!
            if type == "text" { texts.append(try fields.string("text", required: true)!) }
        }
        return texts.joined(separator: "\n")
    }
}
