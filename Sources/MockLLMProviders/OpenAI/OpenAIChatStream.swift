import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// The `chat.completion.chunk` event stream, produced one event at a time.
///
/// Layout as the original (docs/MIGRATING.md): a role event, one event per chunk with
/// `"delta":{"role":null,"content":"<chunk>"}`, an event with an empty delta and the finish
/// reason, then (with `stream_options.include_usage`) a usage event with empty `choices`, then
/// `data: [DONE]`. Every chunk of a stream carries the same id. Tool calls follow the content
/// as the real API streams them: per call, a first delta with its index, id, type and name and
/// empty arguments, then deltas carrying only the index and a piece of the arguments (cut by
/// the pacing's chunking); calls one after another. Legacy `function_call` deltas carry no
/// index or id.
///
/// A content filter (`OpenAIContentFilterCut`) stops the text or the calls after a number of
/// events: the next event is the finish event with `finish_reason: content_filter` (Azure's
/// with its `content_filter_results` flagging the category), then the usage event and `[DONE]`
/// as usual.
struct OpenAIChatStream: EventSource {
    private enum Phase {
        case preamble, role, content, toolHeader(Int), toolArguments(Int), finish, usage, done, ended
    }

    private enum Event {
        case preamble, role, content(Substring), toolHeader(Int), toolArguments(Int, Substring), finish, usage, done
    }

    private let framing: OpenAIChunkFraming
    private var chunks: TextChunks
    private let chunking: Chunking
    private var argumentChunks = TextChunks("")
    private var phase = Phase.role
    private var pending: Event?
    private let calls: [ToolCall]
    private let legacyFunctions: Bool
    private let finishReason: String
    private var schedule: StreamSchedule
    private let annotations: OpenAIAnnotations
    private let contentFilter: OpenAIContentFilterCut?
    /// Events started so far, and whether the content filter stopped the stream.
    private var events = 0
    private var filtered = false
    /// After the role event (and the front door's preamble), unless the reply has neither text nor calls.
    let firstPayloadEvent: Int

    /// - Parameters:
    ///   - id: the stream's id, plain ASCII (`mock-<uuid>`).
    ///   - calls: the tool calls, each with its id.
    init(id: ByteBuffer, created: Int, model: String, text: String, calls: [ToolCall] = [], legacyFunctions: Bool = false,
         chunking: Chunking, finishReason: String, usage: OpenAIUsage, includeUsage: Bool, schedule: StreamSchedule,
         annotations: OpenAIAnnotations = .none, contentFilter: OpenAIContentFilterCut? = nil) {
        framing = OpenAIChunkFraming(id: id, object: "chat.completion.chunk", created: created, model: model, usage: usage, includeUsage: includeUsage)
        chunks = TextChunks(text, chunking: chunking)
        self.chunking = chunking
        self.calls = calls
        self.legacyFunctions = legacyFunctions
        self.finishReason = finishReason
        self.schedule = schedule
        self.annotations = annotations
        self.contentFilter = contentFilter
        let preamble = annotations.streamPreamble.isEmpty ? 0 : 1
        firstPayloadEvent = text.isEmpty && calls.isEmpty ? .max : 1 + preamble
        if preamble > 0 { phase = .preamble }
    }

    mutating func nextDelay() -> UInt64? {
        if let contentFilter, !filtered, events >= contentFilter.after {
            switch phase {
            case .content, .toolHeader, .toolArguments, .finish:
                phase = .finish
                filtered = true
            default:
                break
            }
        }
        let delay = nextPhaseDelay()
        if delay != nil { events += 1 }
        return delay
    }

    private mutating func nextPhaseDelay() -> UInt64? {
        switch phase {
        case .preamble:
            pending = .preamble
            phase = .role
            return 0
        case .role:
            pending = .role
            phase = .content
            return 0
        case .content:
            if let chunk = chunks.next() {
                pending = .content(chunk)
                return schedule.delay(before: chunk)
            }
            phase = calls.isEmpty ? .finish : .toolHeader(0)
            return nextPhaseDelay()
        case .toolHeader(let i):
            pending = .toolHeader(i)
            argumentChunks = TextChunks(calls[i].arguments, chunking: chunking)
            phase = .toolArguments(i)
            return schedule.delay(before: Substring(calls[i].name))
        case .toolArguments(let i):
            if let chunk = argumentChunks.next() {
                pending = .toolArguments(i, chunk)
                return schedule.delay(before: chunk)
            }
            phase = i + 1 < calls.count ? .toolHeader(i + 1) : .finish
            return nextPhaseDelay()
        case .finish:
            pending = .finish
            phase = framing.includeUsage ? .usage : .done
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
        case .preamble:
            out.append(contentsOf: annotations.streamPreamble)
        case .role:
            openChoice(&out, text: false)
            out.append(ascii: "\"delta\":{\"role\":\"assistant\",\"content\":null},\"index\":0,\"finish_reason\":null}]")
            framing.close(&out)
        case .content(let chunk):
            openChoice(&out, text: true)
            out.append(ascii: "\"delta\":{\"role\":null,\"content\":")
            out.append(jsonString: chunk)
            out.append(ascii: "},\"index\":0,\"finish_reason\":null}]")
            framing.close(&out)
        case .toolHeader(let i):
            openChoice(&out, text: false)
            if legacyFunctions {
                out.append(ascii: "\"delta\":{\"function_call\":{\"name\":")
            } else {
                out.append(ascii: "\"delta\":{\"tool_calls\":[{\"index\":")
                out.append(decimal: i)
                out.append(ascii: ",\"id\":")
                out.append(jsonString: calls[i].id ?? "")
                out.append(ascii: ",\"type\":\"function\",\"function\":{\"name\":")
            }
            out.append(jsonString: calls[i].name)
            out.append(ascii: legacyFunctions ? ",\"arguments\":\"\"}}" : ",\"arguments\":\"\"}}]}")
            out.append(ascii: ",\"index\":0,\"finish_reason\":null}]")
            framing.close(&out)
        case .toolArguments(let i, let chunk):
            openChoice(&out, text: false)
            if legacyFunctions {
                out.append(ascii: "\"delta\":{\"function_call\":{\"arguments\":")
                out.append(jsonString: chunk)
                out.append(ascii: "}}")
            } else {
                out.append(ascii: "\"delta\":{\"tool_calls\":[{\"index\":")
                out.append(decimal: i)
                out.append(ascii: ",\"function\":{\"arguments\":")
                out.append(jsonString: chunk)
                out.append(ascii: "}}]}")
            }
            out.append(ascii: ",\"index\":0,\"finish_reason\":null}]")
            framing.close(&out)
        case .finish:
            framing.open(&out)
            out.append(UInt8(ascii: "{"))
            if filtered, let contentFilter {
                out.append(contentsOf: contentFilter.choice)
                out.append(ascii: "\"delta\":{},\"index\":0,\"finish_reason\":\"content_filter\"}]")
            } else {
                out.append(contentsOf: annotations.emptyChoice)
                out.append(ascii: "\"delta\":{},\"index\":0,\"finish_reason\":")
                out.append(jsonString: finishReason)
                out.append(ascii: "}]")
            }
            framing.close(&out)
        case .usage:
            framing.writeUsage(into: &out)
        case .done:
            OpenAIChunkFraming.writeDone(into: &out)
        }
    }

    /// Starts an event up to the members of its one choice, after the front door's annotations
    /// for a chunk with or without text.
    private func openChoice(_ out: inout ByteBuffer, text: Bool) {
        framing.open(&out)
        out.append(UInt8(ascii: "{"))
        out.append(contentsOf: text ? annotations.choice : annotations.emptyChoice)
    }
}

/// A content filter stopping a chat stream: after `after` events (the front door's preamble and
/// the role event count), the finish event with `finish_reason: content_filter`, its choice
/// starting with `choice` (the front door's `filteredChoice(category:)`).
struct OpenAIContentFilterCut {
    var after: Int
    var choice: [UInt8]
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
