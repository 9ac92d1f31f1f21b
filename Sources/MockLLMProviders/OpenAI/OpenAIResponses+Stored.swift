import MockLLMCore

/// The stored responses of the Responses API: `GET` and `DELETE /v1/responses/{response_id}`
/// and `GET /v1/responses/{response_id}/input_items`, from the server's `OpenAIResponseStore`.
/// An id that is not kept (never stored, `store: false`, deleted, or evicted) is a 404 in the
/// real API's words.
extension OpenAIResponses {
    static func retrieve(_ http: HTTPRequest, _ context: inout ProviderContext) -> Reply {
        let id = context.pathParameters["response_id"] ?? ""
        if QueryParameters(http.query)["stream"] == "true" {
            return OpenAIChat.errorReply(.invalidRequest(
                "This mock server does not replay streams: GET /v1/responses/{response_id} with stream=true is not supported.",
                param: "stream", code: "unsupported_value"), requestID: context.requestID)
        }
        guard let entry = context.responseStore?.entry(id) else { return notFound(id, context) }
        return Reply.json(200, entry.body).adding(header: OpenAIErrors.requestIDHeader, context.requestID)
    }

    static func delete(_ http: HTTPRequest, _ context: inout ProviderContext) -> Reply {
        let id = context.pathParameters["response_id"] ?? ""
        guard context.responseStore?.remove(id) == true else { return notFound(id, context) }
        var out = ByteBuffer(capacity: 96)
        out.append(ascii: "{\"id\":")
        out.append(jsonString: id)
        out.append(ascii: ",\"object\":\"response\",\"deleted\":true}")
        return Reply.json(200, out).adding(header: OpenAIErrors.requestIDHeader, context.requestID)
    }

    /// The response's own input items, each with its id: `limit` (1-100, default 20), `order`
    /// (`desc`, the default, or `asc`) and `after` (an item id) page through them.
    static func inputItems(_ http: HTTPRequest, _ context: inout ProviderContext) -> Reply {
        let id = context.pathParameters["response_id"] ?? ""
        let query = QueryParameters(http.query)
        let limit: Int
        let ascending: Bool
        do {
            limit = try listLimit(query["limit"])
            ascending = try OpenAIResponsesRequest.oneOf(["asc", "desc"], query["order"] ?? "desc", path: "order") == "asc"
        } catch {
            return OpenAIChat.errorReply(OpenAIErrors.error(for: error), requestID: context.requestID)
        }
        guard let entry = context.responseStore?.entry(id) else { return notFound(id, context) }
        var items = ascending ? entry.input : entry.input.reversed()
        if let after = query["after"] {
            items = items.firstIndex { $0.id == after }.map { Array(items[($0 + 1)...]) } ?? []
        }
        let page = items.prefix(limit)
        var out = ByteBuffer(capacity: 256)
        out.append(ascii: "{\"object\":\"list\",\"data\":[")
        for (i, item) in page.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            item.write(into: &out)
        }
        out.append(ascii: "],\"first_id\":")
        out.append(jsonStringOrNull: page.first?.id)
        out.append(ascii: ",\"last_id\":")
        out.append(jsonStringOrNull: page.last?.id)
        out.append(ascii: items.count > limit ? ",\"has_more\":true}" : ",\"has_more\":false}")
        return Reply.json(200, out).adding(header: OpenAIErrors.requestIDHeader, context.requestID)
    }

    private static func listLimit(_ text: String?) throws(FieldProblem) -> Int {
        guard let text else { return 20 }
        guard let n = Int(text) else { throw .wrongType(path: "limit", expected: "an integer", found: "a string") }
        guard (1...100).contains(n) else {
            throw .invalidValue(
                path: "limit",
                message: "Invalid 'limit': integer \(n < 1 ? "below minimum" : "above maximum") value. Expected a value \(n < 1 ? ">= 1" : "<= 100"), but got \(n) instead.",
                code: n < 1 ? "integer_below_min_value" : "integer_above_max_value")
        }
        return n
    }

    /// What the API answers for a response it does not have.
    private static func notFound(_ id: String, _ context: ProviderContext) -> Reply {
        OpenAIChat.errorReply(
            APIError(status: 404, kind: .notFound, message: "Response with id '\(id)' not found."), requestID: context.requestID)
    }
}

extension OpenAIResponsesRequest {
    /// A value that must be one of `allowed` (a query parameter).
    static func oneOf(_ allowed: [String], _ text: String, path: String) throws(FieldProblem) -> String {
        guard allowed.contains(text) else { throw OpenAIChatRequest.invalidValue(text, allowed: allowed, path: path) }
        return text
    }
}
