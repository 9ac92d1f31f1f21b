import MockLLMCore
import MockLLMScript

/// Anthropic's model listing: `GET /v1/models` (the registry's Anthropic models, newest first,
/// paged with `limit`, `after_id` and `before_id`) and `GET /v1/models/{model}`.
extension AnthropicMessages {
    /// Anthropic's models the registry starts from: the original mockllm's, plus current ones.
    /// Vertex AI's names for them (`claude-3-5-sonnet-v2@20241022`) are aliases, so a model
    /// named in a Vertex path resolves with no declaration.
    static let defaultModels: [ModelInfo] = [
        ModelInfo(id: "claude-3-sonnet-20240229", aliases: ["claude-3-sonnet", "sonnet", "claude-3-sonnet@20240229"],
                  displayName: "Claude 3 Sonnet", contextWindow: 200_000, maxOutputTokens: 4_096, created: 1_709_164_800),
        ModelInfo(id: "claude-3-opus-20240229", aliases: ["claude-3-opus", "opus", "claude-3-opus@20240229"],
                  displayName: "Claude 3 Opus", contextWindow: 200_000, maxOutputTokens: 4_096, created: 1_709_164_800),
        ModelInfo(id: "claude-3-haiku-20240307", aliases: ["claude-3-haiku", "haiku", "claude-3-haiku@20240307"],
                  displayName: "Claude 3 Haiku", contextWindow: 200_000, maxOutputTokens: 4_096, created: 1_709_769_600),
        ModelInfo(id: "claude-2.1", displayName: "Claude 2.1",
                  contextWindow: 200_000, maxOutputTokens: 4_096, created: 1_700_524_800),
        ModelInfo(id: "claude-2.0", displayName: "Claude 2.0",
                  contextWindow: 100_000, maxOutputTokens: 4_096, created: 1_689_033_600),
        ModelInfo(id: "claude-3-5-sonnet-20241022", aliases: ["claude-3-5-sonnet-latest", "claude-3-5-sonnet-v2@20241022"],
                  displayName: "Claude Sonnet 3.5 (New)", contextWindow: 200_000, maxOutputTokens: 8_192, created: 1_729_555_200),
        ModelInfo(id: "claude-sonnet-4-5-20250929", aliases: ["claude-sonnet-4-5", "claude-sonnet-4-5@20250929"],
                  displayName: "Claude Sonnet 4.5", contextWindow: 200_000, maxOutputTokens: 64_000, created: 1_759_104_000),
        ModelInfo(id: "claude-haiku-4-5-20251001", aliases: ["claude-haiku-4-5", "claude-haiku-4-5@20251001"],
                  displayName: "Claude Haiku 4.5", contextWindow: 200_000, maxOutputTokens: 64_000, created: 1_759_276_800),
    ]

    static func listModels(_ http: HTTPRequest, _ context: inout ProviderContext) -> Reply {
        let requestID = context.requestID
        let query = QueryParameters(http.query)
        var limit = 20
        if let text = query["limit"] {
            guard let n = Int(text), (1...1000).contains(n) else {
                return errorReply(.invalidRequest("limit: Input should be an integer between 1 and 1000"), requestID: requestID)
            }
            limit = n
        }
        let all = context.script.models.models(of: metadata.name).sorted { ($0.created, $1.id) > ($1.created, $0.id) }
        var page = ArraySlice(all)
        if let after = query["after_id"] {
            guard let i = all.firstIndex(where: { $0.id == after }) else {
                return errorReply(APIError(status: 404, kind: .notFound, message: "after_id: model \(after) not found"), requestID: requestID)
            }
            page = all[(i + 1)...].prefix(limit)
        } else if let before = query["before_id"] {
            guard let i = all.firstIndex(where: { $0.id == before }) else {
                return errorReply(APIError(status: 404, kind: .notFound, message: "before_id: model \(before) not found"), requestID: requestID)
            }
            page = all[..<i].suffix(limit)
        } else {
            page = page.prefix(limit)
        }
        let hasMore = query["before_id"] != nil ? page.startIndex > 0 : page.endIndex < all.count
        var out = ByteBuffer(capacity: 256 * (page.count + 1))
        out.append(ascii: "{\"data\":[")
        for (i, model) in page.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            write(model, into: &out)
        }
        out.append(ascii: "],\"has_more\":")
        out.append(ascii: hasMore ? "true" : "false")
        out.append(ascii: ",\"first_id\":")
        out.append(jsonStringOrNull: page.first?.id)
        out.append(ascii: ",\"last_id\":")
        out.append(jsonStringOrNull: page.last?.id)
        out.append(UInt8(ascii: "}"))
        return Reply.json(200, out).adding(header: AnthropicErrors.requestIDHeader, requestID)
    }

    static func retrieveModel(_ http: HTTPRequest, _ context: inout ProviderContext) -> Reply {
        let name = context.pathParameters["model"] ?? ""
        guard let model = context.script.models.resolve(name), model.provider == metadata.name else {
            return errorReply(APIError(status: 404, kind: .notFound, message: "model: \(name)"), requestID: context.requestID)
        }
        var out = ByteBuffer(capacity: 256)
        write(model, into: &out)
        return Reply.json(200, out).adding(header: AnthropicErrors.requestIDHeader, context.requestID)
    }

    /// `{"type":"model","id":..,"display_name":..,"created_at":"2024-02-29T00:00:00Z",`
    /// `"max_input_tokens":..,"max_tokens":..,"lifecycle":"active"}`
    private static func write(_ model: ModelInfo, into out: inout ByteBuffer) {
        out.append(ascii: "{\"type\":\"model\",\"id\":")
        out.append(jsonString: model.id)
        out.append(ascii: ",\"display_name\":")
        out.append(jsonString: model.displayName)
        out.append(ascii: ",\"created_at\":")
        out.append(jsonString: RFC3339.format(unixSeconds: model.created))
        out.append(ascii: ",\"max_input_tokens\":")
        out.append(decimal: model.contextWindow)
        out.append(ascii: ",\"max_tokens\":")
        out.append(decimal: model.maxOutputTokens)
        out.append(ascii: ",\"lifecycle\":\"active\"}")
    }
}
