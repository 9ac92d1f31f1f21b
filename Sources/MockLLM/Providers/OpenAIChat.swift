/// OpenAI Chat Completions, `POST /v1/chat/completions` (JSON and server-sent events), and
/// OpenAI's model listing, `GET /v1/models` and `GET /v1/models/{model}`.
public enum OpenAIChat: Provider {
    public static let metadata = ProviderMetadata(
        name: "openai",
        version: "1.0.0",
        description: "OpenAI Chat Completions API provider",
        endpoints: [
            Endpoint(method: "POST", path: "/v1/chat/completions", handlerName: "handle_chat_completion", handler: chatCompletion),
            Endpoint(method: "GET", path: "/v1/models", handlerName: "list_models", handler: listModels),
            Endpoint(method: "GET", path: "/v1/models/{model}", handlerName: "retrieve_model", handler: retrieveModel),
        ],
        capabilities: Capabilities(streaming: true, functionCalling: false, vision: true))

    public static func errorReply(_ error: APIError, requestID: String) -> Reply {
        OpenAIErrors.reply(error, requestID: requestID)
    }

    /// The original's message for a conversation without a user message.
    static let noUserMessage = "No user message found in request"

    static func chatCompletion(_ http: HTTPRequest, _ context: inout ProviderContext) -> Reply {
        let requestID = context.requestID
        let request: OpenAIChatRequest
        do {
            request = try OpenAIChatRequest(try RequestFields.parseBody(http.body))
        } catch let problem as BodyProblem {
            return errorReply(OpenAIErrors.error(for: problem), requestID: requestID)
        } catch let problem as FieldProblem {
            return errorReply(OpenAIErrors.error(for: problem), requestID: requestID)
        } catch {
            return errorReply(APIError(status: 500, kind: .server, message: "\(error)"), requestID: requestID)
        }
        switch ModelCheck.check(model: request.model, maxTokens: request.maxTokens, script: context.script) {
        case .accepted:
            break
        case .unknownModel:
            return errorReply(OpenAIErrors.modelNotFound(request.model), requestID: requestID)
        case .tooManyTokens(let limit):
            let n = request.maxTokens ?? 0
            return errorReply(.invalidRequest(
                "max_tokens is too large: \(n). This model supports at most \(limit) completion tokens, whereas you provided \(n).",
                param: "max_tokens", code: "invalid_value"), requestID: requestID)
        }
        guard let prompt = request.messages.lastUserText else {
            return errorReply(.invalidRequest(noUserMessage, param: "messages"), requestID: requestID)
        }
        let reply = context.script.reply(forPrompt: prompt)
        var text = reply.text
        var completionTokens = reply.tokenCount
        var finishReason = "stop"
        if let max = request.maxTokens, max < completionTokens, let cut = TokenEstimator.prefix(text, maxTokens: max) {
            text = String(cut)
            completionTokens = max
            finishReason = "length"
        }
        let usage = OpenAIUsage(promptTokens: request.messages.promptTokens, completionTokens: completionTokens)
        var id = ByteBuffer()
        id.reserveCapacity(41)
        id.append(ascii: "mock-")
        context.random.appendUUID(to: &id)
        let pacing = context.script.pacing
        if request.stream {
            let stream = OpenAIChatStream(
                id: id, created: context.now, model: request.model, text: text, finishReason: finishReason,
                usage: usage, includeUsage: request.includeUsage, pacing: pacing, random: context.random.fork())
            return Reply(status: 200, headers: sseHeaders, body: .stream(stream))
                .adding(header: OpenAIErrors.requestIDHeader, requestID)
        }
        var out = ByteBuffer()
        out.reserveCapacity(320 + request.model.utf8.count + text.utf8.count * 2)
        out.append(ascii: "{\"id\":\"")
        out.append(id)
        out.append(ascii: "\",\"object\":\"chat.completion\",\"created\":")
        out.append(decimal: context.now)
        out.append(ascii: ",\"model\":")
        out.append(jsonString: request.model)
        out.append(ascii: ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":")
        out.append(jsonString: text)
        out.append(ascii: "},\"finish_reason\":")
        out.append(jsonString: finishReason)
        out.append(ascii: "}],\"usage\":")
        usage.write(into: &out)
        out.append(UInt8(ascii: "}"))
        let delay = pacing == .immediate ? 0 : pacing.replyDelay(characterCount: text.unicodeScalars.count)
        return Reply.json(200, out, delay: delay).adding(header: OpenAIErrors.requestIDHeader, requestID)
    }

    static let sseHeaders = HTTPFields([
        HTTPFields.Field(name: "content-type", value: "text/event-stream; charset=utf-8"),
        HTTPFields.Field(name: "cache-control", value: "no-cache"),
    ])
}
