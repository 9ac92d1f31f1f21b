import MockLLMCore
import MockLLMScript

/// One item of a Responses API conversation, reduced to what the mock keeps: the messages,
/// function calls and function call outputs of a request's `input` and of a response's `output`.
/// Stored with each response for `previous_response_id` and `GET .../input_items`.
enum OpenAIResponseItem: Sendable, Equatable {
    /// A message (`role` user, assistant, system or developer); its text parts joined with newlines.
    case message(id: String?, role: String, text: String)
    case functionCall(id: String?, callID: String, name: String, arguments: String)
    /// A tool's result; an output given as content parts keeps their text, joined with newlines.
    case functionCallOutput(id: String?, callID: String, output: String)

    var id: String? {
        switch self {
        case .message(let id, _, _), .functionCall(let id, _, _, _), .functionCallOutput(let id, _, _): id
        }
    }

    /// This item with `id` when it has none (items listed by `input_items` all have one).
    func identified(_ id: () -> String) -> OpenAIResponseItem {
        switch self {
        case .message(nil, let role, let text): .message(id: id(), role: role, text: text)
        case .functionCall(nil, let callID, let name, let arguments): .functionCall(id: id(), callID: callID, name: name, arguments: arguments)
        case .functionCallOutput(nil, let callID, let output): .functionCallOutput(id: id(), callID: callID, output: output)
        default: self
        }
    }

    /// The item as `GET /v1/responses/{id}/input_items` lists it.
    func write(into out: inout ByteBuffer) {
        switch self {
        case .message(let id, let role, let text):
            out.append(ascii: "{\"id\":")
            out.append(jsonString: id ?? "")
            out.append(ascii: ",\"type\":\"message\",\"status\":\"completed\",\"content\":[")
            if role == "assistant" {
                OpenAIResponsesWriter.writeOutputText(text, into: &out)
            } else {
                out.append(ascii: "{\"type\":\"input_text\",\"text\":")
                out.append(jsonString: text)
                out.append(UInt8(ascii: "}"))
            }
            out.append(ascii: "],\"role\":")
            out.append(jsonString: role)
            out.append(UInt8(ascii: "}"))
        case .functionCall(let id, let callID, let name, let arguments):
            OpenAIResponsesWriter.writeFunctionCall(
                id: id ?? "", callID: callID, name: name, arguments: arguments, status: "completed", into: &out)
        case .functionCallOutput(let id, let callID, let output):
            out.append(ascii: "{\"id\":")
            out.append(jsonString: id ?? "")
            out.append(ascii: ",\"type\":\"function_call_output\",\"status\":\"completed\",\"call_id\":")
            out.append(jsonString: callID)
            out.append(ascii: ",\"output\":")
            out.append(jsonString: output)
            out.append(UInt8(ascii: "}"))
        }
    }
}

extension [OpenAIResponseItem] {
    /// The conversation as chat messages, for matching and counting: a function call is an
    /// assistant message carrying it, its output a `tool` message with the call's result.
    var chatMessages: [ChatMessage] {
        map { item in
            switch item {
            case .message(_, let role, let text):
                ChatMessage(role: role, text: text)
            case .functionCall(_, let callID, let name, _):
                ChatMessage(role: "assistant", text: "", toolCalls: [(callID, name)])
            case .functionCallOutput(_, let callID, let output):
                ChatMessage(role: "tool", text: output, toolResults: [ChatMessage.ToolResult(callID: callID, text: output)])
            }
        }
    }
}
