import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// `POST /model/{modelId}/converse` and `/converse-stream`.
extension Bedrock {
    static func converse(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        try converse(http, &context, stream: false)
    }

    static func converseStream(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        try converse(http, &context, stream: true)
    }

    /// The request decoded, the script's plan for it, then the Converse reply or its stream.
    private static func converse(_ http: HTTPRequest, _ context: inout ProviderContext, stream: Bool) throws(Refusal) -> Reply {
        let requestID = context.requestID
        let model = model(context)
        let request = try decodeBody(http, requestID: requestID, wording: BedrockErrors.self) { (fields) throws(FieldProblem) in
            try BedrockConverseRequest(fields, model: model)
        }
        try checkModel(model, maxTokens: request.maxTokens, context: context)
        guard let prompt = request.messages.lastUserText else {
            throw refusal(.invalidRequest("A conversation must start with a user message. Try again with a conversation that starts with a user message."),
                          requestID: requestID)
        }
        let plan = try self.plan(for: request.matchInput(prompt: prompt, http), maxTokens: request.maxTokens,
                                 stopSequences: request.stopSequences, context: &context)
        let blocks = AnthropicBlock.blocks(of: plan, random: &context.random, idPrefix: "tooluse_")
        context.usage = TokenUsage(prompt: plan.promptTokens, completion: plan.tokens)
        if stream {
            let events = BedrockConverseStream(blocks: blocks, chunking: plan.pacing.chunking, stopReason: stopReason(plan.finish),
                                               plan: plan, schedule: plan.schedule, padding: BedrockPadding(random: &context.random))
            return plan.streamReply(events, headers: streamHeaders(plan, requestID: requestID),
                                    errorEvent: BedrockErrors.streamErrorEvent, malformedEvent: BedrockErrors.malformedEvent)
        }
        var out = ByteBuffer(capacity: 256 + plan.text.utf8.count * 2)
        out.append(ascii: "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[")
        for (i, block) in blocks.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            switch block {
            case .text(let text):
                out.append(ascii: "{\"text\":")
                out.append(jsonString: text)
                out.append(UInt8(ascii: "}"))
            case .toolUse(let id, let name, let input):
                out.append(ascii: "{\"toolUse\":{\"toolUseId\":")
                out.append(jsonString: id)
                out.append(ascii: ",\"name\":")
                out.append(jsonString: name)
                out.append(ascii: ",\"input\":")
                out.append(utf8: input)
                out.append(ascii: "}}")
            }
        }
        out.append(ascii: "]}},\"stopReason\":")
        out.append(jsonString: stopReason(plan.finish))
        out.append(ascii: ",")
        writeUsageAndMetrics(plan, into: &out)
        out.append(UInt8(ascii: "}"))
        let headers = plan.replyHeaders(stream: false, requestIDHeader: BedrockErrors.requestIDHeader, requestID: requestID)
        return Reply(status: 200, headers: headers, body: .bytes(out, delay: plan.bodyDelay))
    }

    /// `"usage":{"inputTokens":N,"outputTokens":N,"totalTokens":N},"metrics":{"latencyMs":N}`
    static func writeUsageAndMetrics(_ plan: ChatPlan, into out: inout ByteBuffer) {
        writeUsage(plan, into: &out)
        out.append(ascii: ",\"metrics\":{\"latencyMs\":")
        out.append(decimal: latencyMilliseconds(plan))
        out.append(UInt8(ascii: "}"))
    }

    /// `"usage":{"inputTokens":N,"outputTokens":N,"totalTokens":N}` (Converse's and Nova's).
    static func writeUsage(_ plan: ChatPlan, into out: inout ByteBuffer) {
        out.append(ascii: "\"usage\":{\"inputTokens\":")
        out.append(decimal: plan.promptTokens)
        out.append(ascii: ",\"outputTokens\":")
        out.append(decimal: plan.tokens)
        out.append(ascii: ",\"totalTokens\":")
        out.append(decimal: plan.promptTokens + plan.tokens)
        out.append(UInt8(ascii: "}"))
    }
}

/// The `ConverseStream` event stream, one AWS event stream message per event, each named by its
/// `:event-type` with the member's JSON as payload: `messageStart` (`{"role":"assistant"}`),
/// per content block a `contentBlockStart` for a tool use (its id and name; a text block has
/// none, as Bedrock sends none), `contentBlockDelta`s (`{"text":...}` per text chunk,
/// `{"toolUse":{"input":...}}` per chunk of a call's input), `contentBlockStop`; then
/// `messageStop` (`stopReason`) and `metadata` (`usage`, `metrics.latencyMs`). Every payload
/// carries Bedrock's `p` padding (`BedrockPadding`), its members in name order as Bedrock's are.
struct BedrockConverseStream: EventSource {
    private enum Event { case messageStart, blockStart(Int), delta(Int, Substring), blockStop(Int), messageStop, metadata }
    private enum Phase { case messageStart, block(Int), deltas(Int), blockStop(Int), messageStop, metadata, ended }

    /// Each event kind's headers, encoded once.
    private static let messageStartHeaders = headers("messageStart")
    private static let blockStartHeaders = headers("contentBlockStart")
    private static let deltaHeaders = headers("contentBlockDelta")
    private static let blockStopHeaders = headers("contentBlockStop")
    private static let messageStopHeaders = headers("messageStop")
    private static let metadataHeaders = headers("metadata")

    static func headers(_ type: String) -> EventStreamHeaders {
        EventStream.encodedHeaders([":event-type": type, ":content-type": "application/json", ":message-type": "event"])
    }

    private let blocks: [AnthropicBlock]
    /// Whether each block is a tool use, read per delta without copying the block.
    private let isTool: [Bool]
    /// Each block's deltas up to their text: `{"contentBlockIndex":N,"delta":{"text":` (a tool
    /// use's `..."delta":{"toolUse":{"input":`), one append per event instead of three.
    private let deltaPrefixes: [ByteBuffer]
    private let chunking: Chunking
    private let stopReason: String
    private let plan: ChatPlan
    private var schedule: StreamSchedule
    private var chunks = TextChunks("")
    private var phase = Phase.messageStart
    private var pending: Event?
    private var padding: BedrockPadding

    init(blocks: [AnthropicBlock], chunking: Chunking, stopReason: String, plan: ChatPlan, schedule: StreamSchedule,
         padding: BedrockPadding) {
        self.blocks = blocks.isEmpty ? [.text("")] : blocks
        isTool = self.blocks.map { if case .toolUse = $0 { true } else { false } }
        deltaPrefixes = isTool.enumerated().map { i, tool in
            var prefix = ByteBuffer(capacity: 48)
            prefix.append(ascii: "{\"contentBlockIndex\":")
            prefix.append(decimal: i)
            prefix.append(ascii: tool ? ",\"delta\":{\"toolUse\":{\"input\":" : ",\"delta\":{\"text\":")
            return prefix
        }
        self.chunking = chunking
        self.stopReason = stopReason
        self.plan = plan
        self.schedule = schedule
        self.padding = padding
    }

    /// The first text delta or tool use start, right after `messageStart`.
    var firstPayloadEvent: Int { 1 }

    mutating func nextDelay() -> UInt64? {
        switch phase {
        case .messageStart:
            pending = .messageStart
            phase = .block(0)
            return 0
        case .block(let i):
            phase = .deltas(i)
            switch blocks[i] {
            case .text(let text):
                chunks = TextChunks(text, chunking: chunking)
                return nextDelay()
            case .toolUse(_, let name, let input):
                chunks = TextChunks(input, chunking: chunking)
                pending = .blockStart(i)
                return schedule.delay(before: Substring(name))
            }
        case .deltas(let i):
            if let chunk = chunks.next() {
                pending = .delta(i, chunk)
                return schedule.delay(before: chunk)
            }
            phase = .blockStop(i)
            return nextDelay()
        case .blockStop(let i):
            pending = .blockStop(i)
            phase = i + 1 < blocks.count ? .block(i + 1) : .messageStop
            return 0
        case .messageStop:
            pending = .messageStop
            phase = .metadata
            return 0
        case .metadata:
            pending = .metadata
            phase = .ended
            return 0
        case .ended:
            return nil
        }
    }

    mutating func writeNext(into out: inout ByteBuffer) {
        guard let event = pending else { return }
        pending = nil
        switch event {
        case .messageStart:
            EventStream.appendMessage(headers: Self.messageStartHeaders, into: &out) { out in
                out.append(UInt8(ascii: "{"))
                padding.append(to: &out, closing: "\",\"role\":\"assistant\"}")
            }
        case .blockStart(let i):
            guard case .toolUse(let id, let name, _) = blocks[i] else { return }
            EventStream.appendMessage(headers: Self.blockStartHeaders, into: &out) { out in
                out.append(ascii: "{\"contentBlockIndex\":")
                out.append(decimal: i)
                out.append(UInt8(ascii: ","))
                padding.append(to: &out, closing: "\",\"start\":{\"toolUse\":{\"toolUseId\":")
                out.append(jsonString: id)
                out.append(ascii: ",\"name\":")
                out.append(jsonString: name)
                out.append(ascii: "}}}")
            }
        case .delta(let i, let chunk):
            let isTool = isTool[i]
            EventStream.appendMessage(headers: Self.deltaHeaders, into: &out) { out in
                out.append(deltaPrefixes[i])
                out.append(jsonString: chunk)
                out.append(ascii: isTool ? "}}," : "},")
                padding.append(to: &out, closing: "\"}")
            }
        case .blockStop(let i):
            EventStream.appendMessage(headers: Self.blockStopHeaders, into: &out) { out in
                out.append(ascii: "{\"contentBlockIndex\":")
                out.append(decimal: i)
                out.append(UInt8(ascii: ","))
                padding.append(to: &out, closing: "\"}")
            }
        case .messageStop:
            EventStream.appendMessage(headers: Self.messageStopHeaders, into: &out) { out in
                out.append(UInt8(ascii: "{"))
                padding.append(to: &out, closing: "\",\"stopReason\":")
                out.append(jsonString: stopReason)
                out.append(UInt8(ascii: "}"))
            }
        case .metadata:
            EventStream.appendMessage(headers: Self.metadataHeaders, into: &out) { out in
                out.append(ascii: "{\"metrics\":{\"latencyMs\":")
                out.append(decimal: Bedrock.latencyMilliseconds(plan))
                out.append(ascii: "},")
                padding.append(to: &out, closing: "\",")
                Bedrock.writeUsage(plan, into: &out)
                out.append(UInt8(ascii: "}"))
            }
        }
    }
}
