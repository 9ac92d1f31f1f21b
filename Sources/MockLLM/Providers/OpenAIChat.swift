/// OpenAI Chat Completions, `POST /v1/chat/completions`: JSON and server-sent events.
public enum OpenAIChat: Provider {
    public static let metadata = ProviderMetadata(
        name: "openai",
        version: "1.0.0",
        description: "OpenAI Chat Completions API provider",
        endpoints: [
            Endpoint(method: "POST", path: "/v1/chat/completions", handlerName: "handle_chat_completion", handler: chatCompletion),
        ],
        models: ["gpt-3.5-turbo", "gpt-4", "gpt-4-turbo", "gpt-4o", "gpt-4o-mini"],
        capabilities: Capabilities(streaming: true, functionCalling: false, vision: true))

    public static func errorReply(_ error: APIError) -> Reply {
        OpenAIErrors.reply(error)
    }

    /// The original's message for a conversation without a user message.
    static let noUserMessage = "No user message found in request"

    static func chatCompletion(_ http: HTTPRequest, _ context: inout ProviderContext) -> Reply {
        let request: OpenAIChatRequest
        do {
            request = try OpenAIChatRequest(try RequestFields.parseBody(http.body))
        } catch let problem as BodyProblem {
            return errorReply(OpenAIErrors.error(for: problem))
        } catch let problem as FieldProblem {
            return errorReply(OpenAIErrors.error(for: problem))
        } catch {
            return errorReply(APIError(status: 500, kind: .server, message: "\(error)"))
        }
        guard let prompt = request.messages.lastUserText else {
            return errorReply(.invalidRequest(noUserMessage, param: "messages"))
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
        return Reply.json(200, out, delay: delay)
    }

    static let sseHeaders = HTTPFields([
        HTTPFields.Field(name: "content-type", value: "text/event-stream; charset=utf-8"),
        HTTPFields.Field(name: "cache-control", value: "no-cache"),
    ])
}
