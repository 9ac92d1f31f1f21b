/// The `chat.completion.chunk` event stream, produced one event at a time.
///
/// Layout as the original (COMPAT.md): a role event, one event per chunk with
/// `"delta":{"role":null,"content":"<chunk>"}`, an event with an empty delta and the finish
/// reason, then (with `stream_options.include_usage`) a usage event with empty `choices`, then
/// `data: [DONE]`. Every chunk of a stream carries the same id. Tool calls follow the content
/// as the real API streams them: per call, a first delta with its index, id, type and name and
/// empty arguments, then deltas carrying only the index and a piece of the arguments (cut by
/// the pacing's chunking); calls one after another. Legacy `function_call` deltas carry no
/// index or id.
struct OpenAIChatStream: EventSource {
    private enum Phase {
        case role, content, toolHeader(Int), toolArguments(Int), finish, usage, done, ended
    }

    private enum Event {
        case role, content(Substring), toolHeader(Int), toolArguments(Int, Substring), finish, usage, done
    }

    /// `data: {"id":"...","object":"chat.completion.chunk","created":N,"model":"...","choices":[`
    private let prefix: ByteBuffer
    private var chunks: TextChunks
    private let chunking: Chunking
    private var argumentChunks = TextChunks("")
    private var phase = Phase.role
    private var pending: Event?
    private let calls: [ToolCall]
    private let legacyFunctions: Bool
    private let includeUsage: Bool
    private let usage: OpenAIUsage
    private let finishReason: String
    private var schedule: StreamSchedule
    /// After the role event, unless the reply has neither text nor calls.
    let firstTokenEvent: Int

    /// - Parameters:
    ///   - id: the stream's id, plain ASCII (`mock-<uuid>`).
    ///   - calls: the tool calls, each with its id.
    init(id: ByteBuffer, created: Int, model: String, text: String, calls: [ToolCall] = [], legacyFunctions: Bool = false,
         chunking: Chunking, finishReason: String, usage: OpenAIUsage, includeUsage: Bool, schedule: StreamSchedule) {
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
        self.chunking = chunking
        self.calls = calls
        self.legacyFunctions = legacyFunctions
        self.finishReason = finishReason
        self.usage = usage
        self.includeUsage = includeUsage
        self.schedule = schedule
        firstTokenEvent = text.isEmpty && calls.isEmpty ? .max : 1
    }

    mutating func nextDelay() -> UInt64? {
        switch phase {
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
            return nextDelay()
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
            return nextDelay()
        case .finish:
            pending = .finish
            phase = includeUsage ? .usage : .done
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
        case .role:
            out.append(prefix)
            out.append(ascii: "{\"delta\":{\"role\":\"assistant\",\"content\":null},\"index\":0,\"finish_reason\":null}]")
            closeEvent(&out)
        case .content(let chunk):
            out.append(prefix)
            out.append(ascii: "{\"delta\":{\"role\":null,\"content\":")
            out.append(jsonString: chunk)
            out.append(ascii: "},\"index\":0,\"finish_reason\":null}]")
            closeEvent(&out)
        case .toolHeader(let i):
            out.append(prefix)
            if legacyFunctions {
                out.append(ascii: "{\"delta\":{\"function_call\":{\"name\":")
            } else {
                out.append(ascii: "{\"delta\":{\"tool_calls\":[{\"index\":")
                out.append(decimal: i)
                out.append(ascii: ",\"id\":")
                out.append(jsonString: calls[i].id ?? "")
                out.append(ascii: ",\"type\":\"function\",\"function\":{\"name\":")
            }
            out.append(jsonString: calls[i].name)
            out.append(ascii: legacyFunctions ? ",\"arguments\":\"\"}}" : ",\"arguments\":\"\"}}]}")
            out.append(ascii: ",\"index\":0,\"finish_reason\":null}]")
            closeEvent(&out)
        case .toolArguments(let i, let chunk):
            out.append(prefix)
            if legacyFunctions {
                out.append(ascii: "{\"delta\":{\"function_call\":{\"arguments\":")
                out.append(jsonString: chunk)
                out.append(ascii: "}}")
            } else {
                out.append(ascii: "{\"delta\":{\"tool_calls\":[{\"index\":")
                out.append(decimal: i)
                out.append(ascii: ",\"function\":{\"arguments\":")
                out.append(jsonString: chunk)
                out.append(ascii: "}}]}")
            }
            out.append(ascii: ",\"index\":0,\"finish_reason\":null}]")
            closeEvent(&out)
        case .finish:
            out.append(prefix)
            out.append(ascii: "{\"delta\":{},\"index\":0,\"finish_reason\":")
            out.append(jsonString: finishReason)
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
