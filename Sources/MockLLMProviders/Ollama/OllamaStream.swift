import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// Ollama's NDJSON stream (`application/x-ndjson`), one JSON object and `\n` per event:
///
/// - chat: `{"model":..,"created_at":..,"message":{"role":"assistant","content":"<chunk>"},"done":false}`
///   per chunk; the tool calls, if any, in one object whose content is empty; then the final
///   object, `"content":""`, `"done":true`, `done_reason` and the metrics;
/// - generate: `"response":"<chunk>"` instead of the message; the final object carries
///   `context` (unless raw) and, after the metrics, any scripted `tool_calls`.
///
/// `created_at` advances with the schedule (the stream's start plus the delays so far), and
/// the durations are the schedule's (`OllamaTiming`): simulated, never measured.
struct OllamaStream: EventSource {
    enum Kind {
        case chat
        /// `context`: the token ids the final object reports (nil: raw, none).
        case generate(context: [Int]?)
    }

    private enum Phase {
        case text, toolCalls, final, ended
    }

    private enum Event {
        case text(Substring), toolCalls, final
    }

    let kind: Kind
    private let model: String
    private let created: Int
    private var chunks: TextChunks
    private let calls: [OllamaToolCall]
    private let doneReason: String
    private let promptTokens: Int
    private let evalTokens: Int
    private var schedule: StreamSchedule
    private var phase = Phase.text
    private var pending: Event?
    private(set) var timing = OllamaTiming()
    let firstPayloadEvent: Int

    init(kind: Kind, model: String, created: Int, text: String, calls: [OllamaToolCall], chunking: Chunking,
         doneReason: String, promptTokens: Int, evalTokens: Int, schedule: StreamSchedule) {
        self.kind = kind
        self.model = model
        self.created = created
        chunks = TextChunks(text, chunking: chunking)
        self.calls = calls
        self.doneReason = doneReason
        self.promptTokens = promptTokens
        self.evalTokens = evalTokens
        self.schedule = schedule
        firstPayloadEvent = text.isEmpty && calls.isEmpty ? .max : 0
    }

    /// The timing of the whole stream, for a non-stream reply of the same plan.
    var totalTiming: OllamaTiming {
        var copy = self
        while copy.nextDelay() != nil {}
        return copy.timing
    }

    mutating func nextDelay() -> UInt64? {
        switch phase {
        case .text:
            if let chunk = chunks.next() {
                pending = .text(chunk)
                return timing.add(schedule.delay(before: chunk))
            }
            phase = calls.isEmpty ? .final : .toolCalls
            return nextDelay()
        case .toolCalls:
            pending = .toolCalls
            phase = .final
            // The calls go out whole, once the model has generated all of them.
            var delay: UInt64 = 0
            for call in calls {
                var pieces = TextChunks(call.call.name + call.call.arguments, chunking: chunks.chunking)
                while let piece = pieces.next() { delay &+= schedule.delay(before: piece) }
            }
            return timing.add(delay)
        case .final:
            pending = .final
            phase = .ended
            return 0
        case .ended:
            return nil
        }
    }

    mutating func writeNext(into out: inout ByteBuffer) {
        guard let event = pending else { return }
        pending = nil
        Self.writeHead(model: model, created: created, elapsed: timing.elapsed, into: &out)
        switch (event, kind) {
        case (.text(let chunk), .chat):
            Self.writeMessage(content: chunk, calls: [], into: &out)
            out.append(ascii: ",\"done\":false}\n")
        case (.text(let chunk), .generate):
            out.append(ascii: "\"response\":")
            out.append(jsonString: chunk)
            out.append(ascii: ",\"done\":false}\n")
        case (.toolCalls, .chat):
            Self.writeMessage(content: "", calls: calls, into: &out)
            out.append(ascii: ",\"done\":false}\n")
        case (.toolCalls, .generate):
            out.append(ascii: "\"response\":\"\",\"done\":false}\n")
        case (.final, _):
            Self.writeFinal(kind: kind, content: "", calls: [], trailingCalls: calls, doneReason: doneReason,
                            metrics: timing.metrics(promptTokens: promptTokens, evalTokens: evalTokens), into: &out)
            out.append(ascii: "}\n")
        }
    }

    /// `{"model":..,"created_at":"..",`
    static func writeHead(model: String, created: Int, elapsed: UInt64, into out: inout ByteBuffer) {
        out.append(ascii: "{\"model\":")
        out.append(jsonString: model)
        out.append(ascii: ",\"created_at\":")
        out.append(jsonString: OllamaTiming.timestamp(seconds: created, plus: elapsed))
        out.append(UInt8(ascii: ","))
    }

    /// `"message":{"role":"assistant","content":..[,"tool_calls":[..]]}`
    static func writeMessage(content: some StringProtocol, calls: [OllamaToolCall], into out: inout ByteBuffer) {
        out.append(ascii: "\"message\":{\"role\":\"assistant\",\"content\":")
        out.append(jsonString: String(content))
        if !calls.isEmpty {
            out.append(ascii: ",\"tool_calls\":")
            OllamaToolCall.write(calls, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// The done object's members after the head, without its closing brace: the message (chat)
    /// or response (generate), `done`, `done_reason`, `context` (generate), the metrics, and a
    /// generate reply's tool calls (`trailingCalls`, where Go's field order puts them).
    static func writeFinal(kind: Kind, content: String, calls: [OllamaToolCall], trailingCalls: [OllamaToolCall],
                           doneReason: String, metrics: OllamaTiming.Metrics, into out: inout ByteBuffer) {
        switch kind {
        case .chat:
            writeMessage(content: content, calls: calls, into: &out)
        case .generate:
            out.append(ascii: "\"response\":")
            out.append(jsonString: content)
        }
        out.append(ascii: ",\"done\":true,\"done_reason\":")
        out.append(jsonString: doneReason)
        if case .generate(let context?) = kind {
            out.append(ascii: ",\"context\":[")
            for (i, token) in context.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(decimal: token)
            }
            out.append(UInt8(ascii: "]"))
        }
        metrics.write(into: &out)
        if case .generate = kind, !trailingCalls.isEmpty {
            out.append(ascii: ",\"tool_calls\":")
            OllamaToolCall.write(trailingCalls, into: &out)
        }
    }
}

/// A tool call as Ollama sends it: `{"id":"call_..","function":{"index":i,"name":..,"arguments":{..}}}`,
/// the arguments an object (not a string, unlike OpenAI's).
struct OllamaToolCall {
    var call: ToolCall
    var id: String
    var index: Int

    /// The plan's calls, each with its scripted id or one in Ollama's shape (`call_` and 8 of
    /// `[a-z0-9]`), the arguments compact as Go writes them.
    static func calls(of plan: ChatPlan, random: inout SeededRandom) -> [OllamaToolCall] {
        plan.toolCalls.enumerated().map { i, call in
            var call = call
            if let parsed = try? JSONReader.parse(Array(call.arguments.utf8)) { call.arguments = parsed.jsonText }
            return OllamaToolCall(call: call, id: call.id ?? random.lowercaseID(prefix: "call_", count: 8), index: i)
        }
    }

    static func write(_ calls: [OllamaToolCall], into out: inout ByteBuffer) {
        out.append(UInt8(ascii: "["))
        for (i, call) in calls.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(ascii: "{\"id\":")
            out.append(jsonString: call.id)
            out.append(ascii: ",\"function\":{\"index\":")
            out.append(decimal: call.index)
            out.append(ascii: ",\"name\":")
            out.append(jsonString: call.call.name)
            out.append(ascii: ",\"arguments\":")
            out.append(utf8: call.call.arguments)
            out.append(ascii: "}}")
        }
        out.append(UInt8(ascii: "]"))
    }
}

extension SeededRandom {
    /// `prefix` and `count` random lower-case letters and digits.
    mutating func lowercaseID(prefix: String, count: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var bytes = Array(prefix.utf8)
        for _ in 0..<count { bytes.append(alphabet[Int(next() % 36)]) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
