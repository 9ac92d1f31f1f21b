/// The `chat.completion.chunk` event stream, produced one event at a time.
///
/// Layout as the original (COMPAT.md): a role event, one event per chunk with
/// `"delta":{"role":null,"content":"<chunk>"}`, an event with an empty delta and the finish
/// reason, then (with `stream_options.include_usage`) a usage event with empty `choices`, then
/// `data: [DONE]`. Every chunk of a stream carries the same id.
struct OpenAIChatStream: EventSource {
    private enum Step {
        case role, content, finish, usage, done, ended
    }

    /// `data: {"id":"...","object":"chat.completion.chunk","created":N,"model":"...","choices":[`
    private let prefix: ByteBuffer
    private var chunks: TextChunks
    private var pendingChunk: Substring?
    private var step = Step.role
    private let includeUsage: Bool
    private let usage: OpenAIUsage
    private let finishReason: String
    private var schedule: StreamSchedule

    /// - Parameter id: the stream's id, plain ASCII (`mock-<uuid>`).
    init(id: ByteBuffer, created: Int, model: String, text: String, chunking: Chunking, finishReason: String,
         usage: OpenAIUsage, includeUsage: Bool, schedule: StreamSchedule) {
        var prefix = ByteBuffer()
        prefix.append(ascii: "data: {\"id\":\"")
        prefix.append(id)
        prefix.append(ascii: "\",\"object\":\"chat.completion.chunk\",\"created\":")
        prefix.append(decimal: created)
        prefix.append(ascii: ",\"model\":")
        prefix.append(jsonString: model)
        prefix.append(ascii: ",\"choices\":[")
        self.prefix = prefix
        chunks = TextChunks(text, chunking: chunking)
        self.finishReason = finishReason
        self.usage = usage
        self.includeUsage = includeUsage
        self.schedule = schedule
    }

    mutating func nextDelay() -> UInt64? {
        switch step {
        case .role:
            return 0
        case .content:
            if let chunk = chunks.next() {
                pendingChunk = chunk
                return schedule.delay(before: chunk)
            }
            step = .finish
            return 0
        case .finish, .usage, .done:
            return 0
        case .ended:
            return nil
        }
    }

    mutating func writeNext(into out: inout ByteBuffer) {
        switch step {
        case .role:
            writeChoice("{\"delta\":{\"role\":\"assistant\",\"content\":null},\"index\":0,\"finish_reason\":null}", into: &out)
            step = .content
        case .content:
            guard let chunk = pendingChunk else { return }
            pendingChunk = nil
            out.append(prefix)
            out.append(ascii: "{\"delta\":{\"role\":null,\"content\":")
            out.append(jsonString: chunk)
            out.append(ascii: "},\"index\":0,\"finish_reason\":null}]")
            closeEvent(&out)
        case .finish:
            out.append(prefix)
            out.append(ascii: "{\"delta\":{},\"index\":0,\"finish_reason\":")
            out.append(jsonString: finishReason)
            out.append(ascii: "}]")
            closeEvent(&out)
            step = includeUsage ? .usage : .done
        case .usage:
            out.append(prefix)
            out.append(ascii: "],\"usage\":")
            usage.write(into: &out)
            out.append(ascii: "}\n\n")
            step = .done
        case .done:
            out.append(ascii: "data: [DONE]\n\n")
            step = .ended
        case .ended:
            break
        }
    }

    private func writeChoice(_ choice: StaticString, into out: inout ByteBuffer) {
        out.append(prefix)
        out.append(ascii: choice)
        out.append(UInt8(ascii: "]"))
        closeEvent(&out)
    }

    /// Ends a chunk object; with include_usage every chunk before the last carries `"usage":null`.
    private func closeEvent(_ out: inout ByteBuffer) {
        if includeUsage { out.append(ascii: ",\"usage\":null") }
        out.append(ascii: "}\n\n")
    }
}

/// `{"prompt_tokens":N,"completion_tokens":N,"total_tokens":N}`
struct OpenAIUsage {
    var promptTokens: Int
    var completionTokens: Int

    func write(into out: inout ByteBuffer) {
        out.append(ascii: "{\"prompt_tokens\":")
        out.append(decimal: promptTokens)
        out.append(ascii: ",\"completion_tokens\":")
        out.append(decimal: completionTokens)
        out.append(ascii: ",\"total_tokens\":")
        out.append(decimal: promptTokens + completionTokens)
        out.append(UInt8(ascii: "}"))
    }
}
