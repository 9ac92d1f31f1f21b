import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// How a realtime session writes its server events: the envelope every event shares, errors,
/// and the objects events carry (items, responses, references to them).
extension OpenAIRealtimeSession {
    /// One server event: `{"type":...,"event_id":...` then `body`'s members, then `}`.
    func send(_ type: StaticString, into out: inout [WebSocketOutput], _ body: (inout ByteBuffer) -> Void) {
        var event = ByteBuffer()
        event.append(ascii: "{\"type\":\"")
        event.append(ascii: type)
        event.append(ascii: "\",\"event_id\":\"")
        eventCount += 1
        event.append(utf8: eventPrefix)
        event.append(utf8: String(eventCount, radix: 16))
        event.append(ascii: "\"")
        body(&event)
        event.append(ascii: "}")
        out.append(.text(event))
    }

    func error(_ api: APIError, eventID: String?, into out: inout [WebSocketOutput]) {
        send("error", into: &out) { body in
            body.append(ascii: ",\"error\":")
            writeErrorMembers(api, into: &body)
            body.append(ascii: ",\"param\":")
            body.append(jsonStringOrNull: api.param)
            body.append(ascii: ",\"event_id\":")
            body.append(jsonStringOrNull: eventID)
            body.append(ascii: "}")
        }
    }

    /// `{"type":...,"code":...,"message":...` (left open): an error as the error event and a failed
    /// response's `status_details` both carry it.
    func writeErrorMembers(_ api: APIError, into body: inout ByteBuffer) {
        body.append(ascii: "{\"type\":")
        body.append(jsonString: api.typeOverride ?? OpenAIErrors.typeName(for: api.kind))
        body.append(ascii: ",\"code\":")
        body.append(jsonStringOrNull: api.code)
        body.append(ascii: ",\"message\":")
        body.append(jsonString: api.message)
    }

    func itemNotFound(_ id: String, eventID: String?, into out: inout [WebSocketOutput]) {
        error(.invalidRequest("Item with item_id '\(id)' not found.", param: "item_id", code: "item_not_found"), eventID: eventID, into: &out)
    }

    func newID(_ prefix: String) -> String {
        context.random.alphanumericString(prefix: prefix, count: 20)
    }

    func writeResponseRef(_ r: Response, outputIndex: Int, into body: inout ByteBuffer) {
        body.append(ascii: ",\"response_id\":")
        body.append(jsonString: r.id)
        body.append(ascii: ",\"output_index\":")
        body.append(decimal: outputIndex)
    }

    func writeContentRef(_ r: Response, _ itemID: String, into body: inout ByteBuffer) {
        writeResponseRef(r, outputIndex: r.openMessage ?? max(0, r.output.count - 1), into: &body)
        body.append(ascii: ",\"item_id\":")
        body.append(jsonString: itemID)
        body.append(ascii: ",\"content_index\":0")
    }

    func write(_ item: Item, into body: inout ByteBuffer) {
        body.append(ascii: "{\"id\":")
        body.append(jsonString: item.id)
        body.append(ascii: ",\"object\":\"realtime.item\"")
        switch item.kind {
        case .message(let role, let content):
            body.append(ascii: ",\"type\":\"message\",\"status\":")
            body.append(jsonString: item.status)
            body.append(ascii: ",\"role\":")
            body.append(jsonString: role)
            body.append(ascii: ",\"content\":[{\"type\":")
            let name = beta ? (content == "output_audio" ? "audio" : content == "output_text" ? "text" : content) : content
            body.append(jsonString: name)
            switch content {
            case "input_audio":
                body.append(ascii: ",\"transcript\":")
                body.append(jsonString: item.text)
            case "output_audio":
                body.append(ascii: ",\"transcript\":")
                body.append(jsonString: item.text)
            default:
                body.append(ascii: ",\"text\":")
                body.append(jsonString: item.text)
            }
            body.append(ascii: "}]")
        case .functionCall(let callID, let name, let arguments):
            body.append(ascii: ",\"type\":\"function_call\",\"status\":")
            body.append(jsonString: item.status)
            body.append(ascii: ",\"call_id\":")
            body.append(jsonString: callID)
            body.append(ascii: ",\"name\":")
            body.append(jsonString: name)
            body.append(ascii: ",\"arguments\":")
            body.append(jsonString: arguments)
        case .functionCallOutput(let callID, let output):
            body.append(ascii: ",\"type\":\"function_call_output\",\"status\":")
            body.append(jsonString: item.status)
            body.append(ascii: ",\"call_id\":")
            body.append(jsonString: callID)
            body.append(ascii: ",\"output\":")
            body.append(jsonString: output)
        }
        body.append(ascii: "}")
    }

    /// `,"response":{...}` as `response.created` and `response.done` carry it.
    func writeResponse(_ r: Response, status: String, reason: String? = nil, error: APIError? = nil, into body: inout ByteBuffer) {
        body.append(ascii: ",\"response\":{\"id\":")
        body.append(jsonString: r.id)
        body.append(ascii: ",\"object\":\"realtime.response\",\"status\":")
        body.append(jsonString: status)
        body.append(ascii: ",\"status_details\":")
        if status == "in_progress" || status == "completed" {
            body.append(ascii: "null")
        } else {
            body.append(ascii: "{\"type\":")
            body.append(jsonString: status)
            body.append(ascii: ",\"reason\":")
            body.append(jsonStringOrNull: reason)
            if let error {
                body.append(ascii: ",\"error\":")
                writeErrorMembers(error, into: &body)
                body.append(ascii: "}")
            }
            body.append(ascii: "}")
        }
        body.append(ascii: ",\"conversation_id\":")
        if r.inConversation { body.append(jsonString: "conv_" + sessionID.dropFirst(5)) } else { body.append(ascii: "null") }
        body.append(ascii: beta ? ",\"modalities\":" : ",\"output_modalities\":")
        body.append(jsonStrings: r.modalities)
        body.append(ascii: beta ? ",\"max_output_tokens\":" : ",\"max_output_tokens\":")
        config.writeMaxTokens(r.maxTokens, into: &body)
        if !beta {
            body.append(ascii: ",\"audio\":{\"output\":{\"format\":")
            OpenAIRealtimeConfig.write(config.outputFormat, into: &body)
            body.append(ascii: ",\"voice\":")
            body.append(jsonString: config.voice)
            body.append(ascii: "}}")
        }
        body.append(ascii: ",\"metadata\":")
        body.append(json: r.metadata ?? .null)
        body.append(ascii: ",\"output\":[")
        if status != "in_progress" {
            for (i, item) in r.output.enumerated() {
                if i > 0 { body.append(UInt8(ascii: ",")) }
                write(item, into: &body)
            }
        }
        body.append(ascii: "],\"usage\":")
        if status == "in_progress" {
            body.append(ascii: "null")
        } else {
            let input = r.plan.chat.promptTokens
            let audioIn = (items.last { $0.audioMilliseconds != nil }?.audioMilliseconds ?? 0) / 100
            let text = r.plan.chat.tokens
            let audioOut = r.plan.audio.map { Int($0.duration / 50_000_000) } ?? 0
            body.append(ascii: "{\"total_tokens\":")
            body.append(decimal: input + audioIn + text + audioOut)
            body.append(ascii: ",\"input_tokens\":")
            body.append(decimal: input + audioIn)
            body.append(ascii: ",\"output_tokens\":")
            body.append(decimal: text + audioOut)
            body.append(ascii: ",\"input_token_details\":{\"text_tokens\":")
            body.append(decimal: input)
            body.append(ascii: ",\"audio_tokens\":")
            body.append(decimal: audioIn)
            body.append(ascii: ",\"image_tokens\":0,\"cached_tokens\":0},\"output_token_details\":{\"text_tokens\":")
            body.append(decimal: text)
            body.append(ascii: ",\"audio_tokens\":")
            body.append(decimal: audioOut)
            body.append(ascii: "}}")
        }
        body.append(ascii: "}")
    }
}
