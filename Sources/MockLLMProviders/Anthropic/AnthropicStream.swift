import MockLLMCore
import MockLLMSimulation

/// The Messages event stream, produced one event at a time, each as
/// `event: <type>\ndata: <json>\n\n`: `message_start`, then per content block
/// `content_block_start`, its deltas (`text_delta` per text chunk; for a `tool_use` block an
/// empty `input_json_delta` then one per chunk of its input), `content_block_stop`, with a
/// `ping` after the first block's start; then `message_delta` (stop reason and the cumulative
/// usage: input, cache and output tokens) and `message_stop`. No `[DONE]`: that is OpenAI's.
/// Bedrock's `InvokeModelWithResponseStream` sends the same events' JSON without the SSE lines
/// (`sse: false`), each wrapped in a `chunk` (`BedrockChunkStream`).
struct AnthropicStream: EventSource {
    private enum Phase {
        case messageStart, blockStart(Int), ping, firstDelta(Int), delta(Int), blockStop(Int), messageDelta, messageStop, ended
    }

    private enum Event {
        case messageStart, blockStart(Int), ping, textDelta(Int, Substring), inputDelta(Int, Substring), blockStop(Int)
        case messageDelta, messageStop
    }

    private let id: ByteBuffer
    private let model: String
    private let usage: AnthropicUsage
    private let stopReason: String
    private let stopSequence: String?
    private let blocks: [AnthropicBlock]
    private let chunking: Chunking
    private var chunks = TextChunks("")
    private var phase = Phase.messageStart
    private var pending: Event?
    private var schedule: StreamSchedule
    /// Server-sent events (`event:` and `data:` lines); false: each event is its JSON alone.
    private let sse: Bool
    /// Members added to `message_stop` after its type (`,"amazon-bedrock-invocationMetrics":{...}`).
    private let messageStopMembers: ByteBuffer

    init(id: ByteBuffer, model: String, blocks: [AnthropicBlock], chunking: Chunking, stopReason: String, stopSequence: String?,
         usage: AnthropicUsage, schedule: StreamSchedule, sse: Bool = true, messageStopMembers: ByteBuffer = ByteBuffer()) {
        self.sse = sse
        self.messageStopMembers = messageStopMembers
        self.id = id
        self.model = model
        self.blocks = blocks.isEmpty ? [.text("")] : blocks
        firstPayloadEvent = Self.firstPayloadEvent(of: self.blocks)
        self.chunking = chunking
        self.stopReason = stopReason
        self.stopSequence = stopSequence
        self.usage = usage
        self.schedule = schedule
    }

    /// The first text delta, or a tool_use block's start (which waits for its name); after
    /// `message_start`, then per block its start, the `ping` after the first, and the stop of
    /// an empty text block.
    let firstPayloadEvent: Int

    private static func firstPayloadEvent(of blocks: [AnthropicBlock]) -> Int {
        var index = 1
        for (i, block) in blocks.enumerated() {
            if case .toolUse = block { return index }
            index += i == 0 ? 2 : 1
            if case .text(let text) = block, !text.isEmpty { return index }
            index += 1
        }
        return .max
    }

    mutating func nextDelay() -> UInt64? {
        switch phase {
        case .messageStart:
            pending = .messageStart
            phase = .blockStart(0)
            return 0
        case .blockStart(let i):
            pending = .blockStart(i)
            switch blocks[i] {
            case .text(let text): chunks = TextChunks(text, chunking: chunking)
            case .toolUse(_, _, let input): chunks = TextChunks(input, chunking: chunking)
            }
            phase = i == 0 ? .ping : .firstDelta(i)
            if case .toolUse(_, let name, _) = blocks[i] { return schedule.delay(before: Substring(name)) }
            return 0
        case .ping:
            pending = .ping
            phase = .firstDelta(0)
            return 0
        case .firstDelta(let i):
            phase = .delta(i)
            // A tool_use block's input starts with an empty piece, as the API's does.
            if case .toolUse = blocks[i] {
                pending = .inputDelta(i, "")
                return 0
            }
            return nextDelay()
        case .delta(let i):
            if let chunk = chunks.next() {
                if case .toolUse = blocks[i] { pending = .inputDelta(i, chunk) } else { pending = .textDelta(i, chunk) }
                return schedule.delay(before: chunk)
            }
            phase = .blockStop(i)
            return nextDelay()
        case .blockStop(let i):
            pending = .blockStop(i)
            phase = i + 1 < blocks.count ? .blockStart(i + 1) : .messageDelta
            return 0
        case .messageDelta:
            pending = .messageDelta
            phase = .messageStop
            return 0
        case .messageStop:
            pending = .messageStop
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
            open("message_start", into: &out)
            out.append(ascii: "{\"type\":\"message_start\",\"message\":")
            AnthropicMessages.writeMessage(
                id: id, model: model, content: [], stopReason: nil, stopSequence: nil,
                usage: AnthropicUsage(inputTokens: usage.inputTokens, outputTokens: 1), into: &out)
            out.append(ascii: "}")
            close(into: &out)
        case .blockStart(let i):
            open("content_block_start", into: &out)
            out.append(ascii: "{\"type\":\"content_block_start\",\"index\":")
            out.append(decimal: i)
            out.append(ascii: ",\"content_block\":")
            blocks[i].writeStart(into: &out)
            out.append(ascii: "}")
            close(into: &out)
        case .ping:
            open("ping", into: &out)
            out.append(ascii: "{\"type\": \"ping\"}")
            close(into: &out)
        case .textDelta(let i, let chunk):
            writeDeltaHead(i, into: &out)
            out.append(ascii: "{\"type\":\"text_delta\",\"text\":")
            out.append(jsonString: chunk)
            out.append(ascii: "}}")
            close(into: &out)
        case .inputDelta(let i, let chunk):
            writeDeltaHead(i, into: &out)
            out.append(ascii: "{\"type\":\"input_json_delta\",\"partial_json\":")
            out.append(jsonString: chunk)
            out.append(ascii: "}}")
            close(into: &out)
        case .blockStop(let i):
            open("content_block_stop", into: &out)
            out.append(ascii: "{\"type\":\"content_block_stop\",\"index\":")
            out.append(decimal: i)
            out.append(ascii: "}")
            close(into: &out)
        case .messageDelta:
            open("message_delta", into: &out)
            out.append(ascii: "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":")
            out.append(jsonString: stopReason)
            out.append(ascii: ",\"stop_sequence\":")
            out.append(jsonStringOrNull: stopSequence)
            // Cumulative, as the API writes it: input and cache counts, then the output tokens.
            out.append(ascii: "},\"usage\":{\"input_tokens\":")
            out.append(decimal: usage.inputTokens)
            out.append(ascii: ",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":")
            out.append(decimal: usage.outputTokens)
            out.append(ascii: "}}")
            close(into: &out)
        case .messageStop:
            open("message_stop", into: &out)
            out.append(ascii: "{\"type\":\"message_stop\"")
            out.append(messageStopMembers)
            out.append(UInt8(ascii: "}"))
            close(into: &out)
        }
    }

    /// `event: NAME\ndata: ` before an event's JSON when the stream is server-sent events;
    /// nothing when each event's JSON goes out on its own (Bedrock's `chunk` events).
    private func open(_ name: StaticString, into out: inout ByteBuffer) {
        guard sse else { return }
        out.append(ascii: "event: ")
        out.append(ascii: name)
        out.append(ascii: "\ndata: ")
    }

    /// The blank line that ends a server-sent event.
    private func close(into out: inout ByteBuffer) {
        if sse { out.append(ascii: "\n\n") }
    }

    private func writeDeltaHead(_ i: Int, into out: inout ByteBuffer) {
        open("content_block_delta", into: &out)
        out.append(ascii: "{\"type\":\"content_block_delta\",\"index\":")
        out.append(decimal: i)
        out.append(ascii: ",\"delta\":")
    }
}

/// `{"input_tokens":N,"output_tokens":N}`
struct AnthropicUsage {
    var inputTokens: Int
    var outputTokens: Int

    func write(into out: inout ByteBuffer) {
        out.append(ascii: "{\"input_tokens\":")
        out.append(decimal: inputTokens)
        out.append(ascii: ",\"output_tokens\":")
        out.append(decimal: outputTokens)
        out.append(UInt8(ascii: "}"))
    }
}
