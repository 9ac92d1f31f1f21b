import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// `POST /model/{modelId}/invoke` and `/invoke-with-response-stream`: the body in the model
/// family's own format (`Family`), answered in that format; the stream is `chunk` events whose
/// `bytes` is the base64 of one of the family's stream objects, the last one carrying
/// `amazon-bedrock-invocationMetrics` (`BedrockChunkStream`).
extension Bedrock {
    static func invoke(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        try invoke(http, &context, stream: false)
    }

    static func invokeStream(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        try invoke(http, &context, stream: true)
    }

    private static func invoke(_ http: HTTPRequest, _ context: inout ProviderContext, stream: Bool) throws(Refusal) -> Reply {
        let model = model(context)
        guard let family = Family(model: model) else {
            throw refusal(.invalidRequest("The provided model doesn't support on-demand throughput or its request body is not one mockllm speaks; "
                + "use Converse for it."), requestID: context.requestID)
        }
        if family == .anthropic { return try invokeAnthropic(http, &context, model: model, stream: stream) }
        let request = try decodeBody(http, requestID: context.requestID, wording: BedrockErrors.self) { (fields) throws(FieldProblem) in
            try BedrockInvokeRequest(fields, family: family, model: model)
        }
        try checkModel(model, maxTokens: request.maxTokens, context: context)
        let input = MatchInput(prompt: request.prompt, model: model, messages: request.messages, headers: http.headers,
                               endpoint: http.path, provider: metadata.name)
        let plan = try self.plan(for: input, maxTokens: request.maxTokens, stopSequences: request.stopSequences, context: &context)
        context.usage = TokenUsage(prompt: plan.promptTokens, completion: plan.tokens)
        let writer = BedrockInvokeWriter(family: family, plan: plan)
        if stream {
            let start: FramedTextStream.Frame = { out in writer.writeStart(into: &out) }
            let frames = FramedTextStream(
                text: plan.text, chunking: plan.pacing.chunking, schedule: plan.schedule, start: family == .nova ? start : nil,
                event: { chunk, index, out in writer.writeChunk(chunk, index: index, into: &out) },
                end: { out in writer.writeEnd(into: &out) })
            return invokeStreamReply(frames, plan: plan, requestID: context.requestID, padding: BedrockPadding(random: &context.random))
        }
        var out = ByteBuffer(capacity: 160 + plan.text.utf8.count * 2)
        writer.writeBody(into: &out)
        return invokeReply(out, plan: plan, requestID: context.requestID)
    }

    /// Anthropic's models: the Messages body (decoded and answered by the Anthropic provider's
    /// own code) with `anthropic_version` and without `model` and `stream`.
    private static func invokeAnthropic(_ http: HTTPRequest, _ context: inout ProviderContext, model: String, stream: Bool) throws(Refusal) -> Reply {
        let requestID = context.requestID
        let request = try decodeBody(http, requestID: requestID, wording: BedrockErrors.self) { (fields) throws(FieldProblem) in
            try AnthropicRequest(fields, pathModel: .bedrock(model))
        }
        try checkModel(model, maxTokens: request.maxTokens, context: context)
        guard let prompt = request.messages.lastUserText else {
            throw refusal(.invalidRequest(OpenAIChat.noUserMessage), requestID: requestID)
        }
        let plan = try self.plan(for: request.matchInput(prompt: prompt, http, provider: metadata.name), maxTokens: request.maxTokens,
                                 stopSequences: request.stopSequences, context: &context)
        let id = ByteBuffer(context.random.alphanumericString(prefix: "msg_bdrk_", count: 24))
        let (stopReason, stopSequence) = AnthropicMessages.stop(plan.finish)
        let blocks = AnthropicBlock.blocks(of: plan, random: &context.random)
        let usage = AnthropicUsage(inputTokens: plan.promptTokens, outputTokens: plan.tokens)
        context.usage = TokenUsage(prompt: usage.inputTokens, completion: usage.outputTokens)
        if stream {
            var metrics = ByteBuffer(capacity: 160)
            metrics.append(UInt8(ascii: ","))
            BedrockInvokeWriter.writeInvocationMetrics(plan, into: &metrics)
            let events = AnthropicStream(
                id: id, model: model, blocks: blocks, chunking: plan.pacing.chunking, stopReason: stopReason, stopSequence: stopSequence,
                usage: usage, schedule: plan.schedule, sse: false, messageStopMembers: metrics)
            return invokeStreamReply(events, plan: plan, requestID: requestID, padding: BedrockPadding(random: &context.random))
        }
        var out = ByteBuffer(capacity: 320 + model.utf8.count + plan.text.utf8.count * 2)
        AnthropicMessages.writeMessage(id: id, model: model, content: blocks, stopReason: stopReason, stopSequence: stopSequence,
                                       usage: usage, into: &out)
        return invokeReply(out, plan: plan, requestID: requestID)
    }

    /// `InvokeModel`'s reply: the body, with the token counts and latency in Bedrock's headers.
    private static func invokeReply(_ body: ByteBuffer, plan: ChatPlan, requestID: String) -> Reply {
        var headers = plan.replyHeaders(stream: false, requestIDHeader: BedrockErrors.requestIDHeader, requestID: requestID)
        headers.append(name: "x-amzn-bedrock-input-token-count", value: String(plan.promptTokens))
        headers.append(name: "x-amzn-bedrock-output-token-count", value: String(plan.tokens))
        headers.append(name: "x-amzn-bedrock-invocation-latency", value: String(latencyMilliseconds(plan)))
        return Reply(status: 200, headers: headers, body: .bytes(body, delay: plan.bodyDelay))
    }

    /// `InvokeModelWithResponseStream`'s reply: each of `events`' JSON objects as a `chunk`.
    private static func invokeStreamReply(_ events: some EventSource, plan: ChatPlan, requestID: String, padding: BedrockPadding) -> Reply {
        var headers = streamHeaders(plan, requestID: requestID)
        headers.append(name: "x-amzn-bedrock-content-type", value: "application/json")
        return plan.streamReply(BedrockChunkStream(events, padding: padding), headers: headers,
                                errorEvent: BedrockErrors.streamErrorEvent, malformedEvent: BedrockErrors.malformedEvent)
    }
}

/// An `InvokeModelWithResponseStream` stream: each event of `inner` (a JSON object, unframed)
/// sent as a `chunk` event whose payload is `{"bytes":"<base64 of the object>","p":"..."}`
/// (Bedrock's padding, `BedrockPadding`). The object is written into a buffer kept for the
/// stream's life, then encoded straight into the output.
struct BedrockChunkStream<Inner: EventSource>: EventSource {
    private static var lead: EventStreamLead { BedrockChunkLead.chunk }
    private var inner: Inner
    private var scratch = ByteBuffer(capacity: 256)
    private var padding: BedrockPadding

    init(_ inner: Inner, padding: BedrockPadding) {
        self.inner = inner
        self.padding = padding
    }

    var firstPayloadEvent: Int { inner.firstPayloadEvent }
    var ending: StreamEnding { inner.ending }

    mutating func nextDelay() -> UInt64? { inner.nextDelay() }

    mutating func writeNext(into out: inout ByteBuffer) {
        scratch.removeAll()
        inner.writeNext(into: &scratch)
        let lead = Self.lead
        let start = EventStream.startMessage(lead, into: &out)
        scratch.withUnsafeReadableBytes { out.append(base64Of: $0) }
        let tail = padding.append(BedrockPadding.afterChunk, to: &out)
        EventStream.finishMessage(lead, startedAt: start, in: &out, tail: tail)
    }
}

/// The `chunk` event's lead: its headers and `{"bytes":"`, made once (a generic type cannot
/// hold a stored static).
enum BedrockChunkLead {
    static let chunk = EventStreamLead(
        headers: EventStream.encodedHeaders([":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"]),
        payloadStart: "{\"bytes\":\"")
}
