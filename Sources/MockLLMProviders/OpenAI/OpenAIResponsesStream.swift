import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// The Responses API event stream, produced one event at a time, each as
/// `event: <type>\ndata: {"type":"<type>",...,"sequence_number":N}\n\n` with the members after
/// `type` in the real API's (alphabetical) order and sequence numbers counting from 0.
///
/// `response.created` and `response.in_progress` (the object in progress: no output, no usage);
/// then per output item `response.output_item.added`, and for a message
/// `response.content_part.added`, one `response.output_text.delta` per chunk,
/// `response.output_text.done` and `response.content_part.done`, for a function call one
/// `response.function_call_arguments.delta` per chunk of its arguments and
/// `response.function_call_arguments.done`; then `response.output_item.done`; last
/// `response.completed` (or `response.incomplete` when `max_output_tokens` cut the reply) with
/// the whole object. No `[DONE]`: the real API ends the body after the last event.
struct OpenAIResponsesStream: EventSource {
    private enum Phase {
        case created, inProgress, itemAdded(Int), partAdded(Int), delta(Int), textDone(Int), partDone(Int)
        case argumentsDone(Int), itemDone(Int), final, ended
    }

    private enum Event {
        case created, inProgress, itemAdded(Int), partAdded(Int), textDelta(Int, Substring), textDone(Int), partDone(Int)
        case argumentsDelta(Int, Substring), argumentsDone(Int), itemDone(Int), final

        var isCreated: Bool { if case .created = self { true } else { false } }
        var isPartAdded: Bool { if case .partAdded = self { true } else { false } }
    }

    private let response: OpenAIResponseObject
    private let chunking: Chunking
    private var chunks = TextChunks("")
    private var phase = Phase.created
    private var pending: Event?
    private var sequence = 0
    private var schedule: StreamSchedule
    /// The first text delta, or a function call's `output_item.added` (which waits for its name).
    let firstPayloadEvent: Int

    init(response: OpenAIResponseObject, chunking: Chunking, schedule: StreamSchedule) {
        self.response = response
        self.chunking = chunking
        self.schedule = schedule
        firstPayloadEvent = switch response.items.first {
        case .message(_, let text)?: text.isEmpty ? .max : 4
        case .functionCall?: 2
        case nil: .max
        }
    }

    mutating func nextDelay() -> UInt64? {
        switch phase {
        case .created:
            pending = .created
            phase = .inProgress
            return 0
        case .inProgress:
            pending = .inProgress
            phase = response.items.isEmpty ? .final : .itemAdded(0)
            return 0
        case .itemAdded(let i):
            pending = .itemAdded(i)
            switch response.items[i] {
            case .message(_, let text):
                chunks = TextChunks(text, chunking: chunking)
                phase = .partAdded(i)
                return 0
            case .functionCall(_, _, let name, let arguments):
                chunks = TextChunks(arguments, chunking: chunking)
                phase = .delta(i)
                return schedule.delay(before: Substring(name))
            }
        case .partAdded(let i):
            pending = .partAdded(i)
            phase = .delta(i)
            return 0
        case .delta(let i):
            let isMessage = if case .message = response.items[i] { true } else { false }
            if let chunk = chunks.next() {
                pending = isMessage ? .textDelta(i, chunk) : .argumentsDelta(i, chunk)
                return schedule.delay(before: chunk)
            }
            phase = isMessage ? .textDone(i) : .argumentsDone(i)
            return nextDelay()
        case .textDone(let i):
            pending = .textDone(i)
            phase = .partDone(i)
            return 0
        case .partDone(let i), .argumentsDone(let i):
            if case .partDone = phase { pending = .partDone(i) } else { pending = .argumentsDone(i) }
            phase = .itemDone(i)
            return 0
        case .itemDone(let i):
            pending = .itemDone(i)
            phase = i + 1 < response.items.count ? .itemAdded(i + 1) : .final
            return 0
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
        switch event {
        case .created, .inProgress:
            open(event.isCreated ? "response.created" : "response.in_progress", &out)
            out.append(ascii: "\"response\":")
            response.write(inProgress: true, into: &out)
        case .itemAdded(let i):
            open("response.output_item.added", &out)
            out.append(ascii: "\"item\":")
            switch response.items[i] {
            case .message(let id, _):
                OpenAIResponsesWriter.writeMessage(id: id, status: "in_progress", text: nil, into: &out)
            case .functionCall(let id, let callID, let name, _):
                OpenAIResponsesWriter.writeFunctionCall(id: id, callID: callID, name: name, arguments: "", status: "in_progress", into: &out)
            }
            outputIndex(i, &out)
        case .partAdded(let i), .partDone(let i):
            open(event.isPartAdded ? "response.content_part.added" : "response.content_part.done", &out)
            contentIndexAndItem(i, &out)
            outputIndex(i, &out)
            out.append(ascii: ",\"part\":")
            OpenAIResponsesWriter.writeOutputText(event.isPartAdded ? "" : text(i), into: &out)
        case .textDelta(let i, let chunk):
            open("response.output_text.delta", &out)
            out.append(ascii: "\"content_index\":0,\"delta\":")
            out.append(jsonString: chunk)
            itemID(i, &out)
            out.append(ascii: ",\"logprobs\":[]")
            outputIndex(i, &out)
        case .textDone(let i):
            open("response.output_text.done", &out)
            contentIndexAndItem(i, &out)
            out.append(ascii: ",\"logprobs\":[]")
            outputIndex(i, &out)
            sequenceNumber(&out)
            out.append(ascii: ",\"text\":")
            out.append(jsonString: text(i))
            out.append(ascii: "}\n\n")
            return
        case .argumentsDelta(let i, let chunk):
            open("response.function_call_arguments.delta", &out)
            out.append(ascii: "\"delta\":")
            out.append(jsonString: chunk)
            itemID(i, &out)
            outputIndex(i, &out)
        case .argumentsDone(let i):
            open("response.function_call_arguments.done", &out)
            var (name, arguments) = ("", "")
            if case .functionCall(_, _, let n, let a) = response.items[i] { (name, arguments) = (n, a) }
            out.append(ascii: "\"arguments\":")
            out.append(jsonString: arguments)
            itemID(i, &out)
            // The API's schema requires the function's name here (openai-python 2.x's type does too).
            out.append(ascii: ",\"name\":")
            out.append(jsonString: name)
            outputIndex(i, &out)
        case .itemDone(let i):
            open("response.output_item.done", &out)
            out.append(ascii: "\"item\":")
            response.write(response.items[i], into: &out)
            outputIndex(i, &out)
        case .final:
            open(response.incomplete ? "response.incomplete" : "response.completed", &out)
            out.append(ascii: "\"response\":")
            response.write(into: &out)
        }
        sequenceNumber(&out)
        out.append(ascii: "}\n\n")
    }

    /// `event: <type>\ndata: {"type":"<type>",`
    private func open(_ type: StaticString, _ out: inout ByteBuffer) {
        out.append(ascii: "event: ")
        out.append(ascii: type)
        out.append(ascii: "\ndata: {\"type\":\"")
        out.append(ascii: type)
        out.append(ascii: "\",")
    }

    private mutating func sequenceNumber(_ out: inout ByteBuffer) {
        out.append(ascii: ",\"sequence_number\":")
        out.append(decimal: sequence)
        sequence += 1
    }

    private func itemID(_ i: Int, _ out: inout ByteBuffer) {
        out.append(ascii: ",\"item_id\":")
        out.append(jsonString: id(i))
    }

    private func contentIndexAndItem(_ i: Int, _ out: inout ByteBuffer) {
        out.append(ascii: "\"content_index\":0")
        itemID(i, &out)
    }

    private func outputIndex(_ i: Int, _ out: inout ByteBuffer) {
        out.append(ascii: ",\"output_index\":")
        out.append(decimal: i)
    }

    private func id(_ i: Int) -> String {
        switch response.items[i] {
        case .message(let id, _), .functionCall(let id, _, _, _): id
        }
    }

    private func text(_ i: Int) -> String {
        if case .message(_, let text) = response.items[i] { return text }
        return ""
    }
}

extension OpenAIResponsesStream {
    /// The Responses stream's `error` event (`code` the fault's type, `server_error` without
    /// one), numbered as the event it replaces: the fault comes after `fault.after` events.
    /// openai-python yields it as a `ResponseErrorEvent`; the stream then ends without
    /// `response.completed`, so `responses.stream(...).get_final_response()` raises.
    static func errorEvent(_ fault: StreamFault) -> ByteBuffer {
        var out = ByteBuffer()
        guard case .error(let type, let message)? = fault.cut else { return out }
        out.append(ascii: "event: error\ndata: {\"type\":\"error\",\"code\":")
        out.append(jsonString: type ?? "server_error")
        out.append(ascii: ",\"message\":")
        out.append(jsonString: message)
        out.append(ascii: ",\"param\":null,\"sequence_number\":")
        out.append(decimal: fault.after)
        out.append(ascii: "}\n\n")
        return out
    }

    /// A text delta cut off inside its JSON.
    static let malformedEvent: ByteBuffer = {
        var out = ByteBuffer()
        out.append(ascii: "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"content_index\":0,\"delta\":\"unterminated\n\n")
        return out
    }()
}
