/// Anthropic Messages, `POST /v1/messages` (JSON and the real event stream), and Anthropic's
/// model listing, `GET /v1/models` and `GET /v1/models/{model}`, for requests carrying
/// `anthropic-version` (which Anthropic's SDKs always send).
public enum AnthropicMessages: Provider {
    public static let metadata = ProviderMetadata(
        name: "anthropic",
        version: "1.0.0",
        description: "Anthropic Messages API provider",
        endpoints: [
            Endpoint(method: "POST", path: "/v1/messages", handlerName: "handle_chat_completion", handler: messages),
            Endpoint(method: "GET", path: "/v1/models", handlerName: "list_models", handler: listModels),
            Endpoint(method: "GET", path: "/v1/models/{model}", handlerName: "retrieve_model", handler: retrieveModel),
        ],
        capabilities: Capabilities(streaming: true, functionCalling: false, vision: true))

    public static func claims(_ request: HTTPRequest) -> Bool {
        request.headers.contains("anthropic-version")
    }

    public static func errorReply(_ error: APIError, requestID: String) -> Reply {
        AnthropicErrors.reply(error, requestID: requestID)
    }

    static func messages(_ http: HTTPRequest, _ context: inout ProviderContext) -> Reply {
        let requestID = context.requestID
        let request: AnthropicRequest
        do {
            request = try AnthropicRequest(try RequestFields.parseBody(http.body))
        } catch let problem as BodyProblem {
            return errorReply(AnthropicErrors.error(for: problem), requestID: requestID)
        } catch let problem as FieldProblem {
            return errorReply(AnthropicErrors.error(for: problem), requestID: requestID)
        } catch {
            return errorReply(APIError(status: 500, kind: .server, message: "\(error)"), requestID: requestID)
        }
        switch ModelCheck.check(model: request.model, maxTokens: request.maxTokens, script: context.script) {
        case .accepted:
            break
        case .unknownModel:
            return errorReply(APIError(status: 404, kind: .notFound, message: "model: \(request.model)"), requestID: requestID)
        case .tooManyTokens(let limit):
            return errorReply(.invalidRequest(
                "max_tokens: \(request.maxTokens) > \(limit), which is the maximum allowed number of output tokens for \(request.model)"),
                requestID: requestID)
        }
        guard let prompt = request.messages.lastUserText else {
            return errorReply(.invalidRequest(OpenAIChat.noUserMessage), requestID: requestID)
        }
        let reply = context.script.reply(forPrompt: prompt)
        let outcome = Outcome(reply: reply, maxTokens: request.maxTokens, stopSequences: request.stopSequences)
        var conversation = request.messages
        if let system = request.system { conversation.insert(ChatMessage(role: "system", text: system), at: 0) }
        let usage = AnthropicUsage(inputTokens: conversation.promptTokens, outputTokens: outcome.tokens)
        var id = ByteBuffer(capacity: 41)
        id.append(ascii: "mock-")
        context.random.appendUUID(to: &id)
        let pacing = context.script.pacing
        if request.stream {
            let stream = AnthropicStream(
                id: id, model: request.model, text: outcome.text, stopReason: outcome.stopReason,
                stopSequence: outcome.stopSequence, usage: usage, pacing: pacing, random: context.random.fork())
            return Reply(status: 200, headers: OpenAIChat.sseHeaders, body: .stream(stream))
                .adding(header: AnthropicErrors.requestIDHeader, requestID)
        }
        var out = ByteBuffer(capacity: 320 + request.model.utf8.count + outcome.text.utf8.count * 2)
        writeMessage(id: id, model: request.model, text: outcome.text, stopReason: outcome.stopReason,
                     stopSequence: outcome.stopSequence, usage: usage, into: &out)
        let delay = pacing == .immediate ? 0 : pacing.replyDelay(characterCount: outcome.text.unicodeScalars.count)
        return Reply.json(200, out, delay: delay).adding(header: AnthropicErrors.requestIDHeader, requestID)
    }

    /// The reply text as the model would end it: cut at the first stop sequence, or after
    /// `max_tokens` tokens, whichever comes first.
    struct Outcome {
        var text: String
        var tokens: Int
        var stopReason = "end_turn"
        var stopSequence: String?

        init(reply: ScriptReply, maxTokens: Int, stopSequences: [String]) {
            text = reply.text
            tokens = reply.tokenCount
            var earliest: (range: Range<String.Index>, sequence: String)?
            for sequence in stopSequences where !sequence.isEmpty {
                if let range = text.firstRange(of: sequence), range.lowerBound < (earliest?.range.lowerBound ?? text.endIndex) {
                    earliest = (range, sequence)
                }
            }
            if let earliest {
                text = String(text[..<earliest.range.lowerBound])
                tokens = TokenEstimator.count(text)
                stopReason = "stop_sequence"
                stopSequence = earliest.sequence
            }
            if tokens > maxTokens, let cut = TokenEstimator.prefix(text, maxTokens: maxTokens) {
                text = String(cut)
                tokens = maxTokens
                stopReason = "max_tokens"
                stopSequence = nil
            }
        }
    }

    /// `{"id":..,"type":"message","role":"assistant","model":..,"content":[{"type":"text","text":..}],`
    /// `"stop_reason":..,"stop_sequence":..,"usage":{..}}`; with `text` nil, the empty message of
    /// `message_start`.
    static func writeMessage(
        id: ByteBuffer, model: String, text: String?, stopReason: String?, stopSequence: String?,
        usage: AnthropicUsage, into out: inout ByteBuffer
    ) {
        out.append(ascii: "{\"id\":\"")
        out.append(id)
        out.append(ascii: "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":")
        out.append(jsonString: model)
        if let text {
            out.append(ascii: ",\"content\":[{\"type\":\"text\",\"text\":")
            out.append(jsonString: text)
            out.append(ascii: "}]")
        } else {
            out.append(ascii: ",\"content\":[]")
        }
        out.append(ascii: ",\"stop_reason\":")
        out.append(jsonStringOrNull: stopReason)
        out.append(ascii: ",\"stop_sequence\":")
        out.append(jsonStringOrNull: stopSequence)
        out.append(ascii: ",\"usage\":")
        usage.write(into: &out)
        out.append(UInt8(ascii: "}"))
    }

}
