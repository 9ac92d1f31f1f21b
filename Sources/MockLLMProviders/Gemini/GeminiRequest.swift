import MockLLMCore
import MockLLMScript

/// A decoded Gemini `GenerateContentRequest` (`generateContent`, `streamGenerateContent`,
/// `countTokens`): what the mock uses, type-checked, in Google's words. Google's JSON parser
/// takes every field by its JSON name (`systemInstruction`) or its proto name
/// (`system_instruction`), and google-genai sends both kinds, so both are read. Fields the mock
/// does not use (safetySettings, cachedContent, thinkingConfig, ...) are accepted and ignored.
struct GeminiRequest {
    /// The conversation: `systemInstruction` first as a system message, then `contents`
    /// (`model` turns as assistant messages).
    var messages: [ChatMessage]
    var maxOutputTokens: Int?
    var stopSequences: [String] = []
    /// `generationConfig.candidateCount`: the non-stream reply repeats the candidate.
    var candidateCount = 1
    var hasTools = false
    /// The function declarations offered and `toolConfig.functionCallingConfig`.
    var toolOffer: ToolOffer?
    /// `responseJsonSchema`, `responseSchema` (normalised to JSON Schema), or JSON for
    /// `responseMimeType: application/json` alone.
    var responseFormat: ResponseFormat?

    /// A request with only `messages`, for what reads its other fields itself (a Live
    /// session's `setup`).
    init(messages: [ChatMessage]) {
        self.messages = messages
    }

    /// - Parameter request: the request message's name in Google's messages
    ///   (`GenerateContentRequest`, `CountTokensRequest`).
    init(_ body: RequestFields, request: String = "GenerateContentRequest") throws(FieldProblem) {
        guard let contents = try body.array("contents"), !contents.isEmpty else { throw .missing(path: "contents") }
        var messages: [ChatMessage] = []
        messages.reserveCapacity(contents.count + 1)
        if let system = try body.object(body.googleKey("systemInstruction", "system_instruction")) {
            let parts = try Self.parts(of: system, request: request, requireParts: false)
            messages.append(ChatMessage(role: "system", text: parts.text))
        }
        for (i, raw) in contents.enumerated() {
            messages.append(try Self.content(RequestFields(raw, path: "contents", index: i), request: request))
        }
        self.messages = messages
        if let config = try body.object(body.googleKey("generationConfig", "generation_config")) {
            try readGenerationConfig(config)
        }
        try readTools(body)
    }

    /// One `contents` entry: `role` (`user`, the default, or `model`) and its parts.
    static func content(_ fields: RequestFields, request: String) throws(FieldProblem) -> ChatMessage {
        guard fields.node.isObject else {
            throw .wrongType(path: fields.path, expected: "an object", found: fields.node.kindDescription)
        }
        let role: String
        switch try fields.string("role") ?? "" {
        case "", "user": role = "user"
        case "model": role = "assistant"
        default: throw .invalidValue(path: fields.childPath("role"), message: "Please use a valid role: user, model.", code: "")
        }
        let parts = try parts(of: fields, request: request, requireParts: true)
        return ChatMessage(role: role, text: parts.text, toolCalls: parts.calls, toolResults: parts.results)
    }

    /// What a content's parts say: the texts joined with newlines (thoughts left out), the
    /// `functionCall`s (by id, else by name), the `functionResponse`s (their `response` as JSON text).
    static func parts(of content: RequestFields, request: String, requireParts: Bool) throws(FieldProblem)
        -> (text: String, calls: [(id: String, name: String)], results: [ChatMessage.ToolResult]) {
        let list = try content.array("parts") ?? []
        if requireParts && list.isEmpty {
            let path = GeminiErrors.protoPath(content.childPath("parts"))
            throw .invalidValue(path: path, message: "* \(request).\(path): contents.parts must not be empty.\n", code: "")
        }
        var texts: [String] = []
        var calls: [(id: String, name: String)] = []
        var results: [ChatMessage.ToolResult] = []
        for (i, raw) in list.enumerated() {
            let part = RequestFields(raw, path: content.childPath("parts"), index: i)
            guard raw.isObject else { throw .wrongType(path: part.path, expected: "an object", found: raw.kindDescription) }
            try checkOneData(part, request: request)
            let thought = try part.bool("thought") ?? false
            if let text = try part.string("text"), !thought { texts.append(text) }
            if let call = try part.object(part.googleKey("functionCall", "function_call")) {
                let name = try call.string("name", required: true)!
                _ = try call.object("args")
                calls.append((try call.string("id") ?? name, name))
            }
            if let result = try part.object(part.googleKey("functionResponse", "function_response")) {
                let name = try result.string("name", required: true)!
                let value = try result.object("response")?.node.materialize() ?? .object(JSONObject())
                results.append(ChatMessage.ToolResult(callID: try result.string("id"), name: name, text: value.jsonText))
            }
        }
        return (texts.joined(separator: "\n"), calls, results)
    }

    /// A part holds exactly one piece of data (the proto's `oneof data`).
    private static func checkOneData(_ part: RequestFields, request: String) throws(FieldProblem) {
        var set: String?
        for (json, proto) in dataFields {
            guard let key = part.contains(json) ? json : part.contains(proto) ? proto : nil else { continue }
            if set != nil {
                throw .invalidValue(path: part.path, message: "Invalid JSON payload received. Oneof field 'data' is already set. Cannot set '\(key)'", code: "")
            }
            set = key.description
        }
        if set == nil {
            let path = GeminiErrors.protoPath(part.path)
            throw .invalidValue(path: path, message: "* \(request).\(path).data: required oneof field 'data' must have one initialized field\n", code: "")
        }
    }

    private static let dataFields: [(StaticString, StaticString)] = [
        ("text", "text"), ("inlineData", "inline_data"), ("fileData", "file_data"), ("functionCall", "function_call"),
        ("functionResponse", "function_response"), ("executableCode", "executable_code"),
        ("codeExecutionResult", "code_execution_result"),
    ]
}

extension RequestFields {
    /// The key a Google request uses for a field: its JSON name (`maxOutputTokens`) unless only
    /// its proto name (`max_output_tokens`) is present.
    func googleKey(_ json: StaticString, _ proto: StaticString) -> StaticString {
        contains(json) || !contains(proto) ? json : proto
    }
}
