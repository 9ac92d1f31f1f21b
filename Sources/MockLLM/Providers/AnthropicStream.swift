/// The Messages event stream, produced one event at a time, each as
/// `event: <type>\ndata: <json>\n\n`: `message_start`, `content_block_start`, `ping`,
/// one `content_block_delta` (`text_delta`) per chunk, `content_block_stop`, `message_delta`
/// (stop reason and output tokens), `message_stop`. No `[DONE]`: that is OpenAI's.
struct AnthropicStream: EventSource {
    private enum Step {
        case messageStart, blockStart, ping, delta, blockStop, messageDelta, messageStop, ended
    }

    private let id: ByteBuffer
    private let model: String
    private let usage: AnthropicUsage
    private let stopReason: String
    private let stopSequence: String?
    private var chunks: TextChunks
    private var pendingChunk: Substring?
    private var step = Step.messageStart
    private var schedule: StreamSchedule

    init(id: ByteBuffer, model: String, text: String, chunking: Chunking, stopReason: String, stopSequence: String?,
         usage: AnthropicUsage, schedule: StreamSchedule) {
        self.id = id
        self.model = model
        chunks = TextChunks(text, chunking: chunking)
        self.stopReason = stopReason
        self.stopSequence = stopSequence
        self.usage = usage
        self.schedule = schedule
    }

    mutating func nextDelay() -> UInt64? {
        switch step {
        case .delta:
            if let chunk = chunks.next() {
                pendingChunk = chunk
                return schedule.delay(before: chunk)
            }
            step = .blockStop
            return 0
        case .ended:
            return nil
        default:
            return 0
        }
    }

    mutating func writeNext(into out: inout ByteBuffer) {
        switch step {
        case .messageStart:
            out.append(ascii: "event: message_start\ndata: {\"type\":\"message_start\",\"message\":")
            AnthropicMessages.writeMessage(
                id: id, model: model, text: nil, stopReason: nil, stopSequence: nil,
                usage: AnthropicUsage(inputTokens: usage.inputTokens, outputTokens: 1), into: &out)
            out.append(ascii: "}\n\n")
            step = .blockStart
        case .blockStart:
            out.append(ascii: "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n")
            step = .ping
        case .ping:
            out.append(ascii: "event: ping\ndata: {\"type\": \"ping\"}\n\n")
            step = .delta
        case .delta:
            guard let chunk = pendingChunk else { return }
            pendingChunk = nil
            out.append(ascii: "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":")
            out.append(jsonString: chunk)
            out.append(ascii: "}}\n\n")
        case .blockStop:
            out.append(ascii: "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n")
            step = .messageDelta
        case .messageDelta:
            out.append(ascii: "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":")
            out.append(jsonString: stopReason)
            out.append(ascii: ",\"stop_sequence\":")
            out.append(jsonStringOrNull: stopSequence)
            out.append(ascii: "},\"usage\":{\"output_tokens\":")
            out.append(decimal: usage.outputTokens)
            out.append(ascii: "}}\n\n")
            step = .messageStop
        case .messageStop:
            out.append(ascii: "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
            step = .ended
        case .ended:
            break
        }
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
