import MockLLMCore
import MockLLMSimulation

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

    private let framing: OpenAIChunkFraming
    private let choices: [Choice]
    private var chunks: TextChunks
    private let chunking: Chunking
    private var phase = Phase.text(0)
    private var pending: Event?
    private var schedule: StreamSchedule
    /// The first event, unless no choice has text.
    let firstPayloadEvent: Int

    init(id: ByteBuffer, created: Int, model: String, choices: [Choice], chunking: Chunking,
         usage: OpenAIUsage, includeUsage: Bool, schedule: StreamSchedule) {
        framing = OpenAIChunkFraming(id: id, object: "text_completion", created: created, model: model, usage: usage, includeUsage: includeUsage)
        self.choices = choices
        chunks = TextChunks(choices.first?.text ?? "", chunking: chunking)
        self.chunking = chunking
        self.schedule = schedule
        firstPayloadEvent = choices.allSatisfy { $0.text.isEmpty } ? .max : 0
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
                phase = framing.includeUsage ? .usage : .done
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
            framing.open(&out)
            out.append(ascii: "{\"text\":")
            out.append(jsonString: chunk)
            out.append(ascii: ",\"index\":")
            out.append(decimal: i)
            out.append(ascii: ",\"logprobs\":null,\"finish_reason\":null}]")
            framing.close(&out)
        case .finish(let i):
            framing.open(&out)
            out.append(ascii: "{\"text\":\"\",\"index\":")
            out.append(decimal: i)
            out.append(ascii: ",\"logprobs\":null,\"finish_reason\":")
            out.append(jsonString: choices[i].finishReason)
            out.append(ascii: "}]")
            framing.close(&out)
        case .usage:
            framing.writeUsage(into: &out)
        case .done:
            OpenAIChunkFraming.writeDone(into: &out)
        }
    }
}
