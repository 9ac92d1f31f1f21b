import MockLLMCore

/// One response as the Responses API shows it (`"object":"response"`), written by hand with the
/// real API's member order: the non-stream body, the object `GET /v1/responses/{id}` returns, and
/// the `response` of the stream's `response.created`, `response.in_progress` and final events.
struct OpenAIResponseObject {
    enum Item {
        case message(id: String, text: String)
        case functionCall(id: String, callID: String, name: String, arguments: String)
    }

    var id: String
    var createdAt: Int
    var items: [Item]
    /// Cut by `max_output_tokens`: status `incomplete`, and so is its message's.
    var incomplete: Bool
    var inputTokens: Int
    var outputTokens: Int
    let echo: Echo

    /// The request's fields as the object repeats them, written once per response.
    struct Echo {
        var background: Bool
        /// `"instructions":...,"max_output_tokens":...,"max_tool_calls":...,"model":...`
        var beforeOutput = ByteBuffer()
        /// `"parallel_tool_calls":...` through `"truncation":...`
        var afterOutput = ByteBuffer()
        /// `"user":...,"metadata":{...}`
        var afterUsage = ByteBuffer()
    }

    var status: String { incomplete ? "incomplete" : "completed" }

    /// The object; `inProgress` as the stream's first events show it (no output, no usage).
    func write(inProgress: Bool = false, into out: inout ByteBuffer) {
        out.append(ascii: "{\"id\":")
        out.append(jsonString: id)
        out.append(ascii: ",\"object\":\"response\",\"created_at\":")
        out.append(decimal: createdAt)
        out.append(ascii: ",\"status\":")
        out.append(jsonString: inProgress ? "in_progress" : status)
        out.append(ascii: echo.background ? ",\"background\":true" : ",\"background\":false")
        out.append(ascii: ",\"completed_at\":")
        if !inProgress && !incomplete { out.append(decimal: createdAt) } else { out.append(ascii: "null") }
        out.append(ascii: ",\"error\":null,\"incomplete_details\":")
        out.append(ascii: !inProgress && incomplete ? "{\"reason\":\"max_output_tokens\"}," : "null,")
        out.append(echo.beforeOutput)
        out.append(ascii: ",\"output\":[")
        if !inProgress {
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
        }
        out.append(ascii: "],")
        out.append(echo.afterOutput)
        out.append(ascii: ",\"usage\":")
        if inProgress {
            out.append(ascii: "null")
        } else {
            out.append(ascii: "{\"input_tokens\":")
            out.append(decimal: inputTokens)
            out.append(ascii: ",\"input_tokens_details\":{\"cached_tokens\":0,\"cache_write_tokens\":0},\"output_tokens\":")
            out.append(decimal: outputTokens)
            out.append(ascii: ",\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":")
            out.append(decimal: inputTokens + outputTokens)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: ","))
        out.append(echo.afterUsage)
        out.append(UInt8(ascii: "}"))
    }

    /// An output item, finished.
    func write(_ item: Item, into out: inout ByteBuffer) {
        switch item {
        case .message(let id, let text):
            OpenAIResponsesWriter.writeMessage(id: id, status: status, text: text, into: &out)
        case .functionCall(let id, let callID, let name, let arguments):
            OpenAIResponsesWriter.writeFunctionCall(id: id, callID: callID, name: name, arguments: arguments, status: "completed", into: &out)
        }
    }
}

/// The pieces of Responses API JSON shared by the object, the stream and the input item list.
enum OpenAIResponsesWriter {
    /// `{"id","type":"message","status","content":[...],"role":"assistant"}`; nil text: no content yet.
    static func writeMessage(id: String, status: String, text: String?, into out: inout ByteBuffer) {
        out.append(ascii: "{\"id\":")
        out.append(jsonString: id)
        out.append(ascii: ",\"type\":\"message\",\"status\":")
        out.append(jsonString: status)
        out.append(ascii: ",\"content\":[")
        if let text { writeOutputText(text, into: &out) }
        out.append(ascii: "],\"role\":\"assistant\"}")
    }

    /// `{"type":"output_text","annotations":[],"logprobs":[],"text":...}`
    static func writeOutputText(_ text: String, into out: inout ByteBuffer) {
        out.append(ascii: "{\"type\":\"output_text\",\"annotations\":[],\"logprobs\":[],\"text\":")
        out.append(jsonString: text)
        out.append(UInt8(ascii: "}"))
    }

    /// `{"id","type":"function_call","status","arguments","call_id","name"}`
    static func writeFunctionCall(id: String, callID: String, name: String, arguments: String, status: String, into out: inout ByteBuffer) {
        out.append(ascii: "{\"id\":")
        out.append(jsonString: id)
        out.append(ascii: ",\"type\":\"function_call\",\"status\":")
        out.append(jsonString: status)
        out.append(ascii: ",\"arguments\":")
        out.append(jsonString: arguments)
        out.append(ascii: ",\"call_id\":")
        out.append(jsonString: callID)
        out.append(ascii: ",\"name\":")
        out.append(jsonString: name)
        out.append(UInt8(ascii: "}"))
    }

    /// A decimal as the API writes `temperature` and `top_p`: `1.0`, `0.7`.
    static func writeDecimal(_ d: Double, into out: inout ByteBuffer) {
        if d.isFinite && d == d.rounded(.towardZero) && d.magnitude < 0x1p53 {
            out.append(decimal: Int(d))
            out.append(ascii: ".0")
        } else {
            out.append(json: .number(d))
        }
    }
}
