import MockLLMCore
import MockLLMScript

/// Anthropic's model listing: `GET /v1/models` (the registry's Anthropic models, newest first,
/// paged with `limit`, `after_id` and `before_id`) and `GET /v1/models/{model}`.
extension AnthropicMessages {
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
