import MockLLMCore
import MockLLMScript

/// The Messages reply as any provider that speaks Anthropic's Messages answers it: Anthropic's
/// own API (`AnthropicMessages`) and Claude on Vertex AI (`VertexAnthropic`), which words its
/// refusals in its own shape (`Self`'s) and names the model in the path.
extension Provider {
    /// The script's plan for a decoded and checked `request`, then the message as one JSON
    /// object or as the event stream; the rules see the request as this provider's.
    static func messageReply(to request: AnthropicRequest, _ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        let requestID = context.requestID
        guard let prompt = request.messages.lastUserText else {
            throw refusal(.invalidRequest(OpenAIChat.noUserMessage), requestID: requestID)
        }
        var id = ByteBuffer(capacity: 41)
        id.append(ascii: "mock-")
        context.random.appendUUID(to: &id)
        let plan = try self.plan(for: request.matchInput(prompt: prompt, http, provider: metadata.name), maxTokens: request.maxTokens,
                                 stopSequences: request.stopSequences, context: &context)
        let (stopReason, stopSequence) = AnthropicMessages.stop(plan.finish)
        let blocks = AnthropicBlock.blocks(of: plan, random: &context.random)
        let usage = AnthropicUsage(inputTokens: plan.promptTokens, outputTokens: plan.tokens)
        context.usage = TokenUsage(prompt: usage.inputTokens, completion: usage.outputTokens)
        let headers = plan.replyHeaders(stream: request.stream, requestIDHeader: AnthropicErrors.requestIDHeader, requestID: requestID)
        if request.stream {
            let stream = AnthropicStream(
                id: id, model: request.model, blocks: blocks, chunking: plan.pacing.chunking, stopReason: stopReason,
                stopSequence: stopSequence, usage: usage, schedule: plan.schedule)
            return plan.streamReply(stream, headers: headers,
                                    errorEvent: AnthropicErrors.streamErrorEvent, malformedEvent: AnthropicErrors.malformedEvent)
        }
        var out = ByteBuffer(capacity: 320 + request.model.utf8.count + plan.text.utf8.count * 2)
        AnthropicMessages.writeMessage(id: id, model: request.model, content: blocks, stopReason: stopReason,
                                       stopSequence: stopSequence, usage: usage, into: &out)
        return Reply(status: 200, headers: headers, body: .bytes(out, delay: plan.bodyDelay))
    }
}
