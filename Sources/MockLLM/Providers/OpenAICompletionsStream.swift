/// The legacy `text_completion` event stream, produced one event at a time.
///
/// Per choice in order, one event per chunk with `{"text":"<chunk>","index":i,"logprobs":null,
/// "finish_reason":null}`, then an event with empty text and its finish reason; then (with
/// `stream_options.include_usage`) a usage event with empty `choices`, then `data: [DONE]`.
/// Every event of a stream carries the same id.
struct OpenAICompletionsStream: EventSource {
    struct Choice {
        var text: String
        var finishReason: String
    }

    private enum Phase {
        case text(Int), usage, done, ended
    }

    private enum Event {
        case text(Int, Substring), finish(Int), usage, done
    }

    /// `data: {"id":"...","object":"text_completion","created":N,"model":"...","choices":[`
    private let prefix: ByteBuffer
    private let choices: [Choice]
    private var chunks: TextChunks
    private let chunking: Chunking
    private var phase = Phase.text(0)
    private var pending: Event?
    private let includeUsage: Bool
    private let usage: OpenAIUsage
    private var schedule: StreamSchedule
    /// The first event, unless no choice has text.
    let firstTokenEvent: Int

    init(id: ByteBuffer, created: Int, model: String, choices: [Choice], chunking: Chunking,
         usage: OpenAIUsage, includeUsage: Bool, schedule: StreamSchedule) {
        var prefix = ByteBuffer()
        prefix.append(ascii: "data: {\"id\":\"")
        prefix.append(id)
        prefix.append(ascii: "\",\"object\":\"text_completion\",\"created\":")
        prefix.append(decimal: created)
        prefix.append(ascii: ",\"model\":")
        prefix.append(jsonString: model)
        prefix.append(ascii: ",\"choices\":[")
        self.prefix = prefix
        self.choices = choices
        chunks = TextChunks(choices.first?.text ?? "", chunking: chunking)
        self.chunking = chunking
        self.usage = usage
        self.includeUsage = includeUsage
        self.schedule = schedule
        firstTokenEvent = choices.allSatisfy { $0.text.isEmpty } ? .max : 0
    }

    mutating func nextDelay() -> UInt64? {
        switch phase {
        case .text(let i):
            if let chunk = chunks.next() {
                pending = .text(i, chunk)
                return schedule.delay(before: chunk)
            }
            pending = .finish(i)
            if i + 1 < choices.count {
                chunks = TextChunks(choices[i + 1].text, chunking: chunking)
                phase = .text(i + 1)
            } else {
                phase = includeUsage ? .usage : .done
            }
            return 0
        case .usage:
            pending = .usage
            phase = .done
            return 0
        case .done:
            pending = .done
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
        case .text(let i, let chunk):
            out.append(prefix)
            out.append(ascii: "{\"text\":")
            out.append(jsonString: chunk)
            out.append(ascii: ",\"index\":")
            out.append(decimal: i)
            out.append(ascii: ",\"logprobs\":null,\"finish_reason\":null}]")
            closeEvent(&out)
        case .finish(let i):
            out.append(prefix)
            out.append(ascii: "{\"text\":\"\",\"index\":")
            out.append(decimal: i)
            out.append(ascii: ",\"logprobs\":null,\"finish_reason\":")
            out.append(jsonString: choices[i].finishReason)
            out.append(ascii: "}]")
            closeEvent(&out)
        case .usage:
            out.append(prefix)
            out.append(ascii: "],\"usage\":")
            usage.write(into: &out)
            out.append(ascii: "}\n\n")
        case .done:
            out.append(ascii: "data: [DONE]\n\n")
        }
    }

    /// Ends an event; with include_usage every event before the last carries `"usage":null`.
    private func closeEvent(_ out: inout ByteBuffer) {
        if includeUsage { out.append(ascii: ",\"usage\":null") }
        out.append(ascii: "}\n\n")
    }
}
