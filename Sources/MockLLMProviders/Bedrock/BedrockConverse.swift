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

    /// Each event kind's lead (its headers and the payload's fixed start), made once.
    private static let messageStartLead = lead("messageStart", payloadStart: "{\"p\":\"")
    private static let blockStartLead = lead("contentBlockStart", payloadStart: "{\"contentBlockIndex\":")
    private static let blockStopLead = lead("contentBlockStop", payloadStart: "{\"contentBlockIndex\":")
    private static let messageStopLead = lead("messageStop", payloadStart: "{\"p\":\"")
    private static let metadataLead = lead("metadata", payloadStart: "{\"metrics\":{\"latencyMs\":")
    /// The deltas of a block past the first few: the index is written per event.
    private static let deltaLead = lead("contentBlockDelta", payloadStart: "{\"contentBlockIndex\":")
    /// The deltas of each of the first few blocks, up to the text or input: the whole payload
    /// but for the chunk and the padding is then folded into the checksum, not read per event.
    private static let textDeltaLeads = (0..<indexedLeads).map { lead("contentBlockDelta", payloadStart: deltaStart($0, tool: false)) }
    private static let toolDeltaLeads = (0..<indexedLeads).map { lead("contentBlockDelta", payloadStart: deltaStart($0, tool: true)) }
    private static let indexedLeads = 8

    static func headers(_ type: String) -> ByteBuffer {
        EventStream.encodedHeaders([":event-type": type, ":content-type": "application/json", ":message-type": "event"])
    }

    static func lead(_ type: String, payloadStart: String) -> EventStreamLead {
        EventStreamLead(headers: headers(type), payloadStart: payloadStart)
    }

    /// `{"contentBlockIndex":N,"delta":{"text":` (a tool use's `..."delta":{"toolUse":{"input":`).
    static func deltaStart(_ index: Int, tool: Bool) -> String {
        "{\"contentBlockIndex\":\(index),\"delta\":{\"" + (tool ? "toolUse\":{\"input\":" : "text\":")
    }

    /// How a block's deltas start: a lead up to the text (the first few blocks), or up to the
    /// index with the rest written per event.
    private struct BlockDeltas {
        let lead: EventStreamLead
        let isTool: Bool
        let indexed: Bool
        /// Their end after the text or input (`BedrockPadding.afterText`, `.afterToolInput`).
        let tail: BedrockPadding.Tail

        init(lead: EventStreamLead, isTool: Bool, indexed: Bool) {
            self.lead = lead
            self.isTool = isTool
            self.indexed = indexed
            tail = isTool ? BedrockPadding.afterToolInput : BedrockPadding.afterText
        }
    }

    private let blocks: [AnthropicBlock]
    private let deltas: [BlockDeltas]
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
        let blocks = blocks.isEmpty ? [.text("")] : blocks
        self.blocks = blocks
        deltas = blocks.indices.map { i in
            let isTool = if case .toolUse = blocks[i] { true } else { false }
            guard i < Self.indexedLeads else { return BlockDeltas(lead: Self.deltaLead, isTool: isTool, indexed: false) }
            return BlockDeltas(lead: isTool ? Self.toolDeltaLeads[i] : Self.textDeltaLeads[i], isTool: isTool, indexed: true)
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
        guard let event = pending.take() else { return }
        switch event {
        case .delta(let i, let chunk):
            let deltas = deltas[i]
            let start = EventStream.startMessage(deltas.lead, into: &out)
            if !deltas.indexed {
                out.append(decimal: i)
                out.append(ascii: deltas.isTool ? ",\"delta\":{\"toolUse\":{\"input\":" : ",\"delta\":{\"text\":")
            }
            out.append(jsonString: chunk)
            let tail = padding.append(deltas.tail, to: &out)
            EventStream.finishMessage(deltas.lead, startedAt: start, in: &out, tail: tail)
        case .messageStart:
            EventStream.appendMessage(Self.messageStartLead, into: &out) { out in
                padding.appendValue(to: &out, closing: "\",\"role\":\"assistant\"}")
            }
        case .blockStart(let i):
            guard case .toolUse(let id, let name, _) = blocks[i] else { return }
            EventStream.appendMessage(Self.blockStartLead, into: &out) { out in
                out.append(decimal: i)
                out.append(UInt8(ascii: ","))
                padding.append(to: &out, closing: "\",\"start\":{\"toolUse\":{\"toolUseId\":")
                out.append(jsonString: id)
                out.append(ascii: ",\"name\":")
                out.append(jsonString: name)
                out.append(ascii: "}}}")
            }
        case .blockStop(let i):
            EventStream.appendMessage(Self.blockStopLead, into: &out) { out in
                out.append(decimal: i)
                out.append(UInt8(ascii: ","))
                padding.append(to: &out, closing: "\"}")
            }
        case .messageStop:
            EventStream.appendMessage(Self.messageStopLead, into: &out) { out in
                padding.appendValue(to: &out, closing: "\",\"stopReason\":")
                out.append(jsonString: stopReason)
                out.append(UInt8(ascii: "}"))
            }
        case .metadata:
            EventStream.appendMessage(Self.metadataLead, into: &out) { out in
                out.append(decimal: Bedrock.latencyMilliseconds(plan))
                out.append(ascii: "},")
                padding.append(to: &out, closing: "\",")
                Bedrock.writeUsage(plan, into: &out)
                out.append(UInt8(ascii: "}"))
            }
        }
    }
}
