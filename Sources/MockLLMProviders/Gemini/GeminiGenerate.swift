import MockLLMCore
import MockLLMScript

/// `generateContent`, `streamGenerateContent` and `countTokens` as any provider that speaks
/// Gemini's messages answers them: the Developer API (`Gemini`) and Vertex AI (`Vertex`), which
/// words its own refusals (`Self`'s error shape) and stamps its replies with `createTime`.
extension Provider {
    /// `decodeBody` as Google's front end reads a body: an empty one is `{}`.
    static func decodeGoogleBody<Value>(
        _ http: HTTPRequest, requestID: String, wording: any ProblemWording.Type,
        _ decode: (RequestFields) throws(FieldProblem) -> Value
    ) throws(Refusal) -> Value {
        try decodeBody(http, requestID: requestID, wording: wording, emptyBody: Array("{}".utf8), decode)
    }

    /// The reply to a `GenerateContentRequest` for `model`: one `GenerateContentResponse`, or the
    /// stream of them (`?alt=sse` events, else one JSON array). `checkModel` refuses a model
    /// the API does not serve, in its words; `createTime`: Vertex AI's stamp, nil for the
    /// Developer API's shape.
    static func generateReply(
        _ http: HTTPRequest, _ context: inout ProviderContext, model: String, stream: Bool, createTime: String?,
        checkModel: (GeminiRequest, ProviderContext) throws(Refusal) -> Void
    ) throws(Refusal) -> Reply {
        let requestID = context.requestID
        let request = try decodeGoogleBody(http, requestID: requestID, wording: GeminiErrors.self) { (fields) throws(FieldProblem) in
            try GeminiRequest(fields)
        }
        try checkModel(request, context)
        guard let prompt = request.messages.lastUserText else {
            return errorReply(.invalidRequest("Please ensure that multiturn requests ends with a user role or a function response."),
                              requestID: requestID)
        }
        let responseID = context.random.alphanumericString(prefix: "", count: 23)  // drawn first: a seed fixes it
        let input = MatchInput(
            prompt: prompt, model: model, messages: request.messages, hasTools: request.hasTools, headers: http.headers,
            endpoint: http.path, provider: metadata.name, tools: request.toolOffer, responseFormat: request.responseFormat)
        let plan = try self.plan(for: input, maxTokens: request.maxOutputTokens, stopSequences: request.stopSequences, context: &context)
        var response = GeminiResponse(model: model, responseID: responseID, promptTokens: plan.promptTokens)
        response.createTime = createTime
        let parts = GeminiPart.parts(of: plan)
        let finishReason = GeminiResponse.finishReason(plan.finish)
        if stream {
            let sse = QueryParameters(http.query)["alt"] == "sse"
            let headers = plan.replyHeaders(stream: sse, requestIDHeader: GeminiErrors.requestIDHeader, requestID: requestID)
            let events = GeminiStream(response: response, sse: sse, parts: parts, chunking: plan.pacing.chunking,
                                      finishReason: finishReason, outputTokens: plan.tokens, schedule: plan.schedule)
            context.usage = TokenUsage(prompt: plan.promptTokens, completion: plan.tokens)
            return plan.streamReply(
                events, headers: headers,
                errorEvent: { GeminiErrors.streamErrorEvent($0, sse: sse) },
                malformedEvent: GeminiErrors.malformedEvent(sse: sse, first: plan.streamFault?.after == 0))
        }
        let outputTokens = plan.tokens * request.candidateCount
        let headers = plan.replyHeaders(stream: false, requestIDHeader: GeminiErrors.requestIDHeader, requestID: requestID)
        var out = ByteBuffer(capacity: 400 + model.utf8.count + plan.text.utf8.count * 2 * request.candidateCount)
        response.write(parts: parts, finishReason: finishReason, candidates: request.candidateCount, outputTokens: outputTokens, into: &out)
        context.usage = TokenUsage(prompt: plan.promptTokens, completion: outputTokens)
        return Reply(status: 200, headers: headers, body: .bytes(out, delay: plan.bodyDelay))
    }

    /// `countTokens`: the request's `contents` (or a whole `generateContentRequest`) counted as a
    /// reply's `promptTokenCount` would be, after `checkModel`.
    static func countGeminiTokens(
        _ http: HTTPRequest, requestID: String, checkModel: () throws(Refusal) -> Void
    ) throws(Refusal) -> [ChatMessage] {
        let request: GeminiRequest = try decodeGoogleBody(http, requestID: requestID, wording: GeminiErrors.CountTokens.self) {
            (body) throws(FieldProblem) in
            let key = body.googleKey("generateContentRequest", "generate_content_request")
            if let whole = try body.object(key) { return try GeminiRequest(whole, request: "CountTokensRequest") }
            return try GeminiRequest(body, request: "CountTokensRequest")
        }
        try checkModel()
        return request.messages
    }
}
